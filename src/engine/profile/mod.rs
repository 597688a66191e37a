//! The profile file (`preflight.toml`): input values under `[inputs]` and the
//! expected account and region under `[expect]`. Its schema is ours: a key or
//! table it does not know is an error naming where it is and the closest valid
//! name (a typo must never switch a guard off). Answers are written back with
//! the operator's comments kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{Document, DocumentMut, Item, Value as TomlValue};

use super::store::write_atomic;
use super::suggest::{closest, did_you_mean};

pub mod container;
pub mod lists;

pub use container::ContainerSecret;
pub use lists::Lists;

/// The tables a profile may have.
const TABLES: [&str; 6] = ["inputs", "expect", "secrets", "parameters", "environment", "container_secrets"];
/// The keys of `[expect]`.
const EXPECT_KEYS: [&str; 2] = ["account_id", "region"];

/// One value of the profile's `[inputs]`, as a string (lists joined with
/// commas), and where its key is, for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub value: String,
    pub line: usize,
    pub col: usize,
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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub path: PathBuf,
    /// False when the file does not exist (allowed for the default path only).
    pub exists: bool,
    pub inputs: BTreeMap<String, Entry>,
    pub expect: Expect,
    /// `[[secrets]]`, `[[parameters]]`, `[environment]`, `[container_secrets]`: what kinds read.
    pub lists: Lists,
    /// `checklists = [...]`: the checklists this project uses (written by `init`), each with its
    /// line; the ids are checked against the library by the front end (`setup::load`).
    pub checklists: Option<Vec<(String, usize)>>,
}

impl Profile {
    /// Reads and checks the profile. A profile named explicitly (`--profile-file`,
    /// `PREFLIGHT_PROFILE`) must exist; the default one may be absent.
    pub fn read(path: &Path, explicit: bool) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(Self {
                path: path.to_path_buf(),
                lists: Lists { path: path.to_path_buf(), ..Lists::default() },
                ..Self::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
                "{}: the profile file does not exist\n  fix: check the path given to --profile-file or PREFLIGHT_PROFILE, or create the file (e.g. cp examples/preflight.toml {})",
                path.display(),
                path.display()
            )),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Checks a profile's text; every error names file, line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Self, String> {
        let at = |offset: usize| {
            let before = &text[..offset.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, col)
        };
        let doc = Document::parse(text).map_err(|e| {
            let (line, col) = at(e.span().map_or(0, |s| s.start));
            format!("{}:{line}:{col}: {}", path.display(), e.message().trim_end())
        })?;
        let mut errors = Vec::new();
        let mut profile = Self { path: path.to_path_buf(), exists: true, ..Self::default() };
        let key_at = |key: &toml_edit::Key| at(key.span().map_or(0, |s| s.start));
        for (key, item) in doc.as_table().iter().filter_map(|(k, _)| doc.as_table().get_key_value(k)) {
            let (line, col) = key_at(key);
            let here = format!("{}:{line}:{col}", path.display());
            let name = key.get();
            if name == "checklists" && !item.is_table_like() {
                match item.as_array().filter(|a| a.iter().all(|v| v.as_str().is_some())) {
                    Some(array) => {
                        let ids = array
                            .iter()
                            .map(|v| (v.as_str().unwrap_or_default().to_string(), at(v.span().map_or(0, |s| s.start)).0))
                            .collect();
                        profile.checklists = Some(ids);
                    }
                    None => errors.push(format!(
                        "{here}: `checklists` is a list of checklist ids, e.g. checklists = [\"iam-policy\", \"model-access\"]"
                    )),
                }
                continue;
            }
            if !TABLES.contains(&name) {
                let message = if item.is_table_like() {
                    let guess = closest(name, TABLES).map(|t| format!(" (did you mean [{t}]?)")).unwrap_or_default();
                    format!("unknown table [{name}]{guess}")
                } else {
                    format!(
                        "unknown key `{name}` outside any table{}; input values go under [inputs]",
                        did_you_mean(name, ["checklists"])
                    )
                };
                errors.push(format!(
                    "{here}: {message}; a profile has [inputs], [expect], [[secrets]], [[parameters]], [environment] and [container_secrets]"
                ));
                continue;
            }
            if name == "secrets" || name == "parameters" {
                let Some(array) = item.as_array_of_tables() else {
                    errors.push(format!("{here}: `{name}` is a list of tables: write each entry as [[{name}]]"));
                    continue;
                };
                let at_key = |k: &toml_edit::Key| {
                    let (line, col) = key_at(k);
                    format!("{}:{line}:{col}", path.display())
                };
                for table in array.iter() {
                    let (line, col) = at(table.span().map_or(0, |s| s.start));
                    let here = format!("{}:{line}:{col}", path.display());
                    if name == "secrets" {
                        if let Some(e) = lists::secret(table, &here, line, &at_key, &mut errors) {
                            if profile.lists.secret(&e.name).is_some() {
                                errors.push(format!("{here}: secret {} is listed twice; keep one entry", e.name));
                            }
                            profile.lists.secrets.push(e);
                        }
                    } else if let Some(e) = lists::parameter(table, &here, line, &at_key, &mut errors) {
                        if profile.lists.parameter(&e.name).is_some() {
                            errors.push(format!("{here}: parameter {} is listed twice; keep one entry", e.name));
                        }
                        profile.lists.parameters.push(e);
                    }
                }
                continue;
            }
            let Some(table) = item.as_table_like() else {
                errors.push(format!("{here}: `{name}` must be a table ([{name}])"));
                continue;
            };
            let at_key = |k: &toml_edit::Key| {
                let (line, col) = key_at(k);
                format!("{}:{line}:{col}", path.display())
            };
            if name == "environment" {
                profile.lists.environment = container::environment(table, &at_key, &mut errors);
                continue;
            }
            if name == "container_secrets" {
                profile.lists.container_secrets = container::secrets(table, &at_key, &|k| key_at(k).0, &mut errors);
                continue;
            }
            for (k, _) in table.iter() {
                let Some((key, value)) = table.get_key_value(k) else { continue };
                let (line, col) = key_at(key);
                let here = format!("{}:{line}:{col}", path.display());
                match name {
                    "inputs" => match input_value(value) {
                        Some(value) => {
                            profile.inputs.insert(k.to_string(), Entry { value, line, col });
                        }
                        None => errors.push(format!("{here}: inputs.{k} must be a string, number or list")),
                    },
                    _ => match (k, value.as_str()) {
                        ("account_id", Some(v)) if v.len() == 12 && v.chars().all(|c| c.is_ascii_digit()) => {
                            profile.expect.account_id = Some(v.to_string());
                        }
                        ("account_id", _) => errors.push(format!(
                            "{here}: expect.account_id must be a 12-digit account id in quotes, e.g. account_id = \"123456789012\""
                        )),
                        ("region", Some(v))
                            if regex_lite::Regex::new(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$").unwrap().is_match(v) =>
                        {
                            profile.expect.region = Some(v.to_string());
                        }
                        ("region", _) => errors.push(format!(
                            "{here}: expect.region must be a region name in quotes, e.g. region = \"us-east-1\""
                        )),
                        _ => errors.push(format!(
                            "{here}: unknown key `{k}` in [expect]{}; [expect] has account_id and region",
                            did_you_mean(k, EXPECT_KEYS)
                        )),
                    },
                }
            }
        }
        profile.lists.path = path.to_path_buf();
        profile.lists.input_lines = profile.inputs.iter().map(|(k, e)| (k.clone(), e.line)).collect();
        if errors.is_empty() { Ok(profile) } else { Err(errors.join("\n")) }
    }

    /// A message for each key of `[inputs]` that no input declares, naming the
    /// closest declared name. The caller warns, or with `--strict` refuses.
    pub fn unknown_inputs<'a>(&self, declared: impl IntoIterator<Item = &'a str> + Clone) -> Vec<String> {
        self.inputs
            .iter()
            .filter(|(name, _)| !declared.clone().into_iter().any(|d| d == name.as_str()))
            .map(|(name, e)| {
                format!(
                    "{}:{}:{}: [inputs] `{name}` is not an input of any checklist{}; it is ignored",
                    self.path.display(),
                    e.line,
                    e.col,
                    did_you_mean(name, declared.clone())
                )
            })
            .collect()
    }
}

fn input_value(item: &Item) -> Option<String> {
    Some(match item.as_value()? {
        TomlValue::String(s) => s.value().clone(),
        TomlValue::Integer(i) => i.value().to_string(),
        TomlValue::Boolean(b) => b.value().to_string(),
        TomlValue::Array(a) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string().trim().to_string()))
            .collect::<Vec<_>>()
            .join(","),
        _ => return None,
    })
}

/// Stores answers under `[inputs]`, keeping everything else in the file as
/// written, the comments on the changed lines included.
pub fn save_inputs(path: &Path, answers: &[(String, String)]) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("cannot update {}: {e}", path.display()))?;
    if doc.get("inputs").is_none() {
        doc["inputs"] = toml_edit::table();
    }
    for (name, value) in answers {
        let mut new = TomlValue::from(value.as_str());
        if let Some(old) = doc["inputs"].get(name.as_str()).and_then(Item::as_value) {
            *new.decor_mut() = old.decor().clone();
        }
        doc["inputs"][name.as_str()] = Item::Value(new);
    }
    write_atomic(path, doc.to_string().as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile, String> {
        Profile::parse(Path::new("p.toml"), text)
    }

    #[test]
    fn answers_are_saved_and_comments_kept() {
        let path = std::env::temp_dir().join(format!("preflight-profile-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "# my account\n[inputs]\nproject = \"comafi\" # the prefix\nretention = 90\nsubnets = [\"a\", \"b\"]\n",
        )
        .unwrap();
        let profile = Profile::read(&path, true).unwrap();
        assert_eq!(profile.inputs["retention"].value, "90");
        assert_eq!(profile.inputs["subnets"].value, "a,b");
        assert_eq!((profile.inputs["retention"].line, profile.inputs["retention"].col), (4, 1));
        save_inputs(&path, &[("region".into(), "us-east-1".into()), ("project".into(), "acme".into())]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# my account") && text.contains("project = \"acme\" # the prefix"), "{text}");
        assert_eq!(Profile::read(&path, true).unwrap().inputs["region"].value, "us-east-1");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn unknown_input_keys_are_named_with_their_place_and_the_closest_input() {
        let profile = parse("[inputs]\nproject = \"comafi\"\n  projet = \"x\"\nzzz = 1\n").unwrap();
        assert_eq!(
            profile.unknown_inputs(["project", "region"]),
            vec![
                "p.toml:3:3: [inputs] `projet` is not an input of any checklist (did you mean `project`?); it is ignored",
                "p.toml:4:1: [inputs] `zzz` is not an input of any checklist; it is ignored",
            ]
        );
    }

    #[test]
    fn a_typo_outside_inputs_is_an_error_never_a_silent_guard_off() {
        let err = parse("[expect]\naccount = \"999999999999\"\n").unwrap_err();
        assert_eq!(
            err,
            "p.toml:2:1: unknown key `account` in [expect] (did you mean `account_id`?); [expect] has account_id and region"
        );
        let err = parse("[inptus]\nproject = \"comafi\"\n").unwrap_err();
        assert_eq!(
            err,
            "p.toml:1:2: unknown table [inptus] (did you mean [inputs]?); a profile has [inputs], [expect], [[secrets]], [[parameters]], [environment] and [container_secrets]"
        );
        let err = parse("project = \"comafi\"\n[inputs]\n").unwrap_err();
        assert!(err.starts_with("p.toml:1:1: unknown key `project` outside any table; input values go under [inputs]"));
        let err = parse("[expect]\naccount_id = 123\nregion = \"mars\"\n").unwrap_err();
        assert!(err.contains("p.toml:2:1: expect.account_id must be a 12-digit account id"), "{err}");
        assert!(err.contains("p.toml:3:1: expect.region must be a region name"), "{err}");
    }

    #[test]
    fn secrets_and_parameters_are_read_and_every_mistake_is_placed() {
        let good = parse(
            "[[secrets]]\nname = \"acme-prod-openai-api-key\"\nsource = \"env:OPENAI_API_KEY\"\n\n[[secrets]]\nname = \"acme-prod-app\"\nkeys = [\"DB_URL\", \"SESSION_SECRET\"]\nsource = { DB_URL = \"prompt\", SESSION_SECRET = \"generate:hex32\" }\nreaders = [\"execution\", \"task\"]\nkms_key_id = \"alias/acme\"\n\n[[parameters]]\nname = \"/acme-prod/brands\"\nvalue = \"a,b,c\"\nreaders = [\"task\"]\n",
        )
        .unwrap();
        let l = &good.lists;
        assert_eq!(l.secrets[0].sources[lists::PLAIN], lists::Source::Env("OPENAI_API_KEY".into()));
        assert_eq!(l.secrets[0].readers, vec![lists::Reader::Execution], "execution reads by default");
        assert_eq!(l.secrets[1].sources["SESSION_SECRET"], lists::Source::Generate("hex32".into()));
        assert_eq!((l.secrets[1].line, l.secrets[1].kms_key_id.as_deref()), (5, Some("alias/acme")));
        assert_eq!(l.parameters[0].value, lists::ParamValue::Literal("a,b,c".into()));
        let bad = |text: &str| parse(text).unwrap_err();
        assert!(
            bad("[[secrets]]\nname = \"s\"\nsource = \"prompt\"\nreader = [\"task\"]\n")
                .contains("p.toml:4:1: unknown field `reader` in [[secrets]] (did you mean `readers`?)")
        );
        assert!(
            bad("[[secrets]]\nname = \"s\"\nsource = { A = \"prompt\" }\n")
                .contains("p.toml:1:1: secret s has a source per key but no `keys`")
        );
        assert!(
            bad("[[secrets]]\nname = \"s\"\nkeys = [\"A\", \"B\"]\nsource = { A = \"prompt\", C = \"prompt\" }\n")
                .contains("must name exactly its keys; no source for B; not in keys: C")
        );
        assert!(bad("[[secrets]]\nname = \"s\"\nsource = \"vault:x\"\n").contains("source \"vault:x\" is not one"));
        assert!(
            bad("[[secrets]]\nname = \"s\"\nsource = \"prompt\"\nreaders = [\"tsak\"]\n")
                .contains("unknown reader \"tsak\" (did you mean `task`?)")
        );
        assert!(
            bad("[[secrets]]\nname = \"s\"\nsource = \"prompt\"\n[[secrets]]\nname = \"s\"\nsource = \"prompt\"\n")
                .contains("p.toml:4:1: secret s is listed twice")
        );
        assert!(
            bad("[[parameters]]\nname = \"/p\"\nvalue = \"x\"\ntype = \"Securestring\"\n")
                .contains("(did you mean `SecureString`?)")
        );
        assert!(bad("[secrets]\nname = \"s\"\n").contains("write each entry as [[secrets]]"));
    }

    #[test]
    fn secret_and_parameter_names_are_what_aws_accepts() {
        let bad = |text: &str| parse(text).unwrap_err();
        let e = bad("[[secrets]]\nname = \"acme app\"\nsource = \"prompt\"\n");
        assert!(e.contains("p.toml:1:1: secret name \"acme app\" holds ' ', which it may not"), "{e}");
        assert!(e.contains("CreateSecret"), "the source is named: {e}");
        let e = bad(&format!("[[secrets]]\nname = \"{}\"\nsource = \"prompt\"\n", "s".repeat(513)));
        assert!(e.contains("is 513 characters long, at most 512"), "{e}");
        assert!(bad("[[secrets]]\nsource = \"prompt\"\n").contains("a secret needs a name"));
        let param = |name: &str| format!("[[parameters]]\nname = \"{name}\"\nvalue = \"x\"\n");
        assert!(bad(&param("/ssm/x")).contains("starts with ssm (in any case)"));
        assert!(bad(&param("/AWS/x")).contains("starts with aws (in any case)"));
        assert!(bad(&param("acme/x")).contains("does not have the form AWS takes"), "a path starts with /");
        assert!(bad(&param(&"/l".repeat(16))).contains("has 16 levels, at most 15"));
        assert!(parse(&param(&"/l".repeat(15))).is_ok());
    }

    #[test]
    fn expectations_name_what_differs() {
        let expect = parse("[expect]\naccount_id = \"111111111111\"\nregion = \"us-east-1\"\n").unwrap().expect;
        assert_eq!(expect.mismatch("111111111111", "us-east-1"), None);
        assert_eq!(
            expect.mismatch("123456789012", "us-east-1").unwrap(),
            "account 123456789012 is not the expected 111111111111"
        );
    }

    #[test]
    fn only_the_default_profile_may_be_missing() {
        let missing = Path::new("/nonexistent/prefligth.toml");
        let p = Profile::read(missing, false).unwrap();
        assert!(!p.exists && p.inputs.is_empty());
        let err = Profile::read(missing, true).unwrap_err();
        assert!(err.starts_with("/nonexistent/prefligth.toml: the profile file does not exist"), "{err}");
        assert!(parse("[inputs]\nproject = \n").unwrap_err().starts_with("p.toml:2:"));
    }
}
