//! The profile file (`preflight.toml`): input values under `[inputs]`, read
//! with their types and written back with the operator's comments kept.

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::{Document, DocumentMut, Item, Value as TomlValue};

use super::store::write_atomic;
use super::suggest::did_you_mean;

/// One value of the profile's `[inputs]`, as a string (lists joined with
/// commas), and where its key is, for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub value: String,
    pub line: usize,
    pub col: usize,
}

/// The `[inputs]` of the profile. A missing file is an empty profile.
pub fn read_inputs(path: &Path) -> Result<BTreeMap<String, Entry>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let doc = Document::parse(text.as_str()).map_err(|e| {
        let at = e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(1);
        format!("{}:{at}: {}", path.display(), e.message())
    })?;
    let mut out = BTreeMap::new();
    let Some(item) = doc.get("inputs") else {
        return Ok(out);
    };
    let table =
        item.as_table_like().ok_or_else(|| format!("{}: `inputs` must be a table ([inputs])", path.display()))?;
    for (name, item) in table.iter() {
        let (line, col) = table
            .get_key_value(name)
            .and_then(|(key, _)| key.span())
            .map(|span| line_col(&text, span.start))
            .unwrap_or((1, 1));
        let value = match item.as_value() {
            Some(TomlValue::String(s)) => s.value().clone(),
            Some(TomlValue::Integer(i)) => i.value().to_string(),
            Some(TomlValue::Boolean(b)) => b.value().to_string(),
            Some(TomlValue::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string().trim().to_string()))
                .collect::<Vec<_>>()
                .join(","),
            _ => {
                return Err(format!("{}:{line}:{col}: inputs.{name} must be a string, number or list", path.display()));
            }
        };
        out.insert(name.to_string(), Entry { value, line, col });
    }
    Ok(out)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    (before.matches('\n').count() + 1, before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1)
}

/// A message for each key of `[inputs]` that no input declares, naming the
/// closest declared name. The caller warns, or with `--strict` refuses.
pub fn unknown_inputs<'a>(
    path: &Path,
    entries: &BTreeMap<String, Entry>,
    declared: impl IntoIterator<Item = &'a str> + Clone,
) -> Vec<String> {
    entries
        .iter()
        .filter(|(name, _)| !declared.clone().into_iter().any(|d| d == name.as_str()))
        .map(|(name, e)| {
            format!(
                "{}:{}:{}: [inputs] `{name}` is not an input of any checklist{}; it is ignored",
                path.display(),
                e.line,
                e.col,
                did_you_mean(name, declared.clone())
            )
        })
        .collect()
}

/// What the profile says the AWS context should be (`[expect]`): a guard
/// against running a checklist in the wrong account or region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    pub account_id: Option<String>,
    pub region: Option<String>,
}

impl Expect {
    /// How the live context differs from the expectation, if it does.
    pub fn mismatch(&self, account_id: &str, region: &str) -> Option<String> {
        let mut out = Vec::new();
        if let Some(a) = self.account_id.as_deref().filter(|a| *a != account_id) {
            out.push(format!("account {account_id} is not the expected {a}"));
        }
        if let Some(r) = self.region.as_deref().filter(|r| *r != region) {
            out.push(format!("region {region} is not the expected {r}"));
        }
        if out.is_empty() { None } else { Some(out.join("; ")) }
    }
}

pub fn read_expect(path: &Path) -> Result<Expect, String> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(Expect::default()) };
    let doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| format!("{}: {}", path.display(), e.message()))?;
    let field = |name: &str| doc.get("expect").and_then(|t| t.get(name)).and_then(|v| v.as_str()).map(str::to_string);
    Ok(Expect { account_id: field("account_id"), region: field("region") })
}

/// Stores answers under `[inputs]`, keeping everything else in the file as written.
pub fn save_inputs(path: &Path, answers: &[(String, String)]) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("cannot update {}: {e}", path.display()))?;
    if doc.get("inputs").is_none() {
        doc["inputs"] = toml_edit::table();
    }
    for (name, value) in answers {
        doc["inputs"][name.as_str()] = Item::Value(value.as_str().into());
    }
    write_atomic(path, doc.to_string().as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_saved_and_comments_kept() {
        let path = std::env::temp_dir().join(format!("preflight-profile-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "# my account\n[inputs]\nproject = \"comafi\" # the prefix\nretention = 90\nsubnets = [\"a\", \"b\"]\n",
        )
        .unwrap();
        let inputs = read_inputs(&path).unwrap();
        assert_eq!(inputs["retention"].value, "90");
        assert_eq!(inputs["subnets"].value, "a,b");
        assert_eq!((inputs["retention"].line, inputs["retention"].col), (4, 1));
        save_inputs(&path, &[("region".into(), "us-east-1".into())]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# my account") && text.contains("# the prefix"), "{text}");
        assert_eq!(read_inputs(&path).unwrap()["region"].value, "us-east-1");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn unknown_keys_are_named_with_their_place_and_the_closest_input() {
        let path = std::env::temp_dir().join(format!("preflight-profile-typo-{}.toml", std::process::id()));
        std::fs::write(&path, "[inputs]\nproject = \"comafi\"\n  projet = \"x\"\nzzz = 1\n").unwrap();
        let entries = read_inputs(&path).unwrap();
        let messages = unknown_inputs(&path, &entries, ["project", "region"]);
        std::fs::remove_file(&path).unwrap();
        let shown = path.display().to_string();
        assert_eq!(
            messages,
            vec![
                format!(
                    "{shown}:3:3: [inputs] `projet` is not an input of any checklist (did you mean `project`?); it is ignored"
                ),
                format!("{shown}:4:1: [inputs] `zzz` is not an input of any checklist; it is ignored"),
            ]
        );
    }

    #[test]
    fn expectations_name_what_differs() {
        let path = std::env::temp_dir().join(format!("preflight-profile-expect-{}.toml", std::process::id()));
        std::fs::write(&path, "[expect]\naccount_id = \"111111111111\"\nregion = \"us-east-1\"\n").unwrap();
        let expect = read_expect(&path).unwrap();
        assert_eq!(expect.mismatch("111111111111", "us-east-1"), None);
        assert_eq!(
            expect.mismatch("123456789012", "us-east-1").unwrap(),
            "account 123456789012 is not the expected 111111111111"
        );
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_expect(&path).unwrap(), Expect::default());
    }

    #[test]
    fn missing_profile_is_empty_and_bad_profile_is_located() {
        assert!(read_inputs(Path::new("/nonexistent/preflight.toml")).unwrap().is_empty());
        let path = std::env::temp_dir().join(format!("preflight-profile-bad-{}.toml", std::process::id()));
        std::fs::write(&path, "[inputs]\nproject = \n").unwrap();
        assert!(read_inputs(&path).unwrap_err().contains(":2:"));
        std::fs::remove_file(&path).unwrap();
    }
}
