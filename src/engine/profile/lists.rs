//! The profile's lists, `[[secrets]]` and `[[parameters]]`: what a checklist
//! repeats a step over (one step instance per entry). Entries are checked
//! like inputs, each error with file:line:col. Only where a value comes from
//! is written here (`source`), never a secret value.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml_edit::{Item, TableLike, Value as TomlValue};

use crate::engine::suggest::did_you_mean;

/// The lists a step may repeat over (`for_each` in a checklist).
pub const LISTS: [&str; 2] = ["secrets", "parameters"];

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Asked for, masked, with confirmation (or `PREFLIGHT_SECRET_<NAME>`).
    Prompt,
    /// An environment variable of the process that runs preflight.
    Env(String),
    /// A file's content (one trailing newline dropped).
    File(String),
    /// Made once, when there is no value yet: `hex32` (like secrets.token_hex(32)), `base64-48`.
    Generate(String),
}

pub const GENERATORS: [&str; 2] = ["hex32", "base64-48"];

impl Source {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            Err(format!(
                "source \"{text}\" {why}; a source is prompt, env:VAR, file:PATH, generate:hex32 or generate:base64-48"
            ))
        };
        match text.split_once(':') {
            None if text == "prompt" => Ok(Source::Prompt),
            Some(("env", var)) if !var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                Ok(Source::Env(var.into()))
            }
            Some(("env", _)) => bad("names no valid variable"),
            Some(("file", path)) if !path.is_empty() => Ok(Source::File(path.into())),
            Some(("generate", g)) if GENERATORS.contains(&g) => Ok(Source::Generate(g.into())),
            Some(("generate", g)) => bad(&format!("asks for an unknown generator `{g}`")),
            _ => bad("is not one"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Prompt => "prompt".into(),
            Source::Env(v) => format!("env:{v}"),
            Source::File(p) => format!("file:{p}"),
            Source::Generate(g) => format!("generate:{g}"),
        }
    }
}

/// Which role must read an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reader {
    Execution,
    Task,
}

impl Reader {
    pub fn name(self) -> &'static str {
        match self {
            Reader::Execution => "execution",
            Reader::Task => "task",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecretEntry {
    pub name: String,
    /// For a JSON secret, its keys; None for a plain one.
    pub keys: Option<Vec<String>>,
    /// By key (`value` for a plain secret).
    pub sources: BTreeMap<String, Source>,
    pub readers: Vec<Reader>,
    pub kms_key_id: Option<String>,
    pub line: usize,
}

/// The key of a plain secret's one value.
pub const PLAIN: &str = "value";

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// Written in the profile (so not a secret, whatever its type).
    Literal(String),
    From(Source),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParameterEntry {
    pub name: String,
    pub value: ParamValue,
    pub secure: bool,
    pub readers: Vec<Reader>,
    pub kms_key_id: Option<String>,
    pub line: usize,
}

/// What the profile holds besides inputs, for the kinds that use it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lists {
    pub secrets: Vec<SecretEntry>,
    pub parameters: Vec<ParameterEntry>,
    /// `[environment]`: the container's plain variables.
    pub environment: Vec<(String, String)>,
    /// `[container_secrets]`: the container's variables read from secrets and parameters.
    pub container_secrets: Vec<super::ContainerSecret>,
    /// The profile file all this was read from, and the line of each key of its
    /// `[inputs]`: a fix says where to change a value (`preflight.toml:7`).
    pub path: PathBuf,
    pub input_lines: BTreeMap<String, usize>,
}

/// Where a key or table is, as `path:line:col`.
pub(super) type At<'a> = &'a dyn Fn(&toml_edit::Key) -> String;

fn string(item: &Item) -> Option<String> {
    item.as_str().map(str::to_string)
}

fn readers(item: Option<&Item>, here: &str, errors: &mut Vec<String>) -> Vec<Reader> {
    let Some(item) = item else { return vec![Reader::Execution] };
    let Some(array) = item.as_array() else {
        errors.push(format!("{here}: readers must be a list, e.g. readers = [\"execution\", \"task\"]"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for v in array.iter() {
        match v.as_str() {
            Some("execution") => out.push(Reader::Execution),
            Some("task") => out.push(Reader::Task),
            other => errors.push(format!(
                "{here}: unknown reader {}{}; readers are \"execution\" (the task execution role) and \"task\" (the task role)",
                other.map_or_else(|| v.to_string(), |s| format!("\"{s}\"")),
                other.map(|s| did_you_mean(s, ["execution", "task"])).unwrap_or_default()
            )),
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() && errors.is_empty() {
        errors.push(format!("{here}: readers is empty; name who must read it (\"execution\", \"task\")"));
    }
    out
}

fn check_fields(table: &dyn TableLike, allowed: &[&str], what: &str, at: At, errors: &mut Vec<String>) {
    for (k, _) in table.iter() {
        if !allowed.contains(&k)
            && let Some((key, _)) = table.get_key_value(k)
        {
            errors.push(format!(
                "{}: unknown field `{k}` in {what}{}; its fields: {}",
                at(key),
                did_you_mean(k, allowed.iter().copied()),
                allowed.join(", ")
            ));
        }
    }
}

/// A secret's or parameter's name against its row of engine::limits: Err is the message.
fn check_name(row: &str, kind: &str, name: &str, example: &str) -> Result<(), String> {
    let row = crate::engine::limits::row(row);
    if name.is_empty() {
        return Err(format!("a {kind} needs a name: {} is {} (e.g. name = \"{example}\")", row.what, row.words));
    }
    row.check_name(name).map_err(|why| format!("{kind} name \"{name}\" {why}"))
}

/// One `[[secrets]]` entry.
pub(super) fn secret(
    table: &dyn TableLike,
    here: &str,
    line: usize,
    at: At,
    errors: &mut Vec<String>,
) -> Option<SecretEntry> {
    let before = errors.len();
    check_fields(table, &["name", "keys", "source", "readers", "kms_key_id"], "[[secrets]]", at, errors);
    let name = table.get("name").and_then(string).unwrap_or_default();
    if let Err(e) = check_name("secretsmanager.secret_name", "secret", &name, "acme-prod-app") {
        errors.push(format!("{here}: {e}"));
    }
    let keys: Option<Vec<String>> = table.get("keys").map(|k| {
        k.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
    });
    if keys.as_ref().is_some_and(|k| k.is_empty()) {
        errors.push(format!(
            "{here}: keys of secret {name} must be a non-empty list of strings, e.g. keys = [\"DB_URL\"]"
        ));
    }
    let mut sources = BTreeMap::new();
    match (table.get("source"), &keys) {
        (None, _) => errors.push(format!("{here}: secret {name} has no source; e.g. source = \"env:VAR\" or \"prompt\"")),
        (Some(item), None) => match item.as_str() {
            Some(text) => match Source::parse(text) {
                Ok(s) => {
                    sources.insert(PLAIN.to_string(), s);
                }
                Err(e) => errors.push(format!("{here}: secret {name}: {e}")),
            },
            None => errors.push(format!(
                "{here}: secret {name} has a source per key but no `keys`: a JSON secret lists its keys (keys = [...])"
            )),
        },
        (Some(item), Some(keys)) => match item.as_table_like() {
            None => errors.push(format!(
                "{here}: secret {name} is a JSON secret (it has keys): give a source per key, e.g. source = {{ {} = \"prompt\" }}",
                keys.first().map_or("KEY", String::as_str)
            )),
            Some(per_key) => {
                for (k, v) in per_key.iter() {
                    match v.as_str().map(Source::parse) {
                        Some(Ok(s)) => {
                            sources.insert(k.to_string(), s);
                        }
                        Some(Err(e)) => errors.push(format!("{here}: secret {name}, key {k}: {e}")),
                        None => errors.push(format!("{here}: secret {name}, key {k}: a source is a string")),
                    }
                }
                let listed: Vec<&String> = keys.iter().collect();
                let given: Vec<&String> = sources.keys().collect();
                let missing: Vec<&str> = listed.iter().filter(|k| !given.contains(k)).map(|k| k.as_str()).collect();
                let extra: Vec<&str> = given.iter().filter(|k| !listed.contains(k)).map(|k| k.as_str()).collect();
                if !missing.is_empty() || !extra.is_empty() {
                    errors.push(format!(
                        "{here}: the sources of secret {name} must name exactly its keys{}{}",
                        if missing.is_empty() { String::new() } else { format!("; no source for {}", missing.join(", ")) },
                        if extra.is_empty() { String::new() } else { format!("; not in keys: {}", extra.join(", ")) }
                    ));
                }
            }
        },
    }
    let readers = readers(table.get("readers"), here, errors);
    let kms_key_id = table.get("kms_key_id").and_then(string);
    (errors.len() == before).then_some(SecretEntry { name, keys, sources, readers, kms_key_id, line })
}

/// One `[[parameters]]` entry.
pub(super) fn parameter(
    table: &dyn TableLike,
    here: &str,
    line: usize,
    at: At,
    errors: &mut Vec<String>,
) -> Option<ParameterEntry> {
    let before = errors.len();
    check_fields(table, &["name", "value", "source", "type", "readers", "kms_key_id"], "[[parameters]]", at, errors);
    let name = table.get("name").and_then(string).unwrap_or_default();
    if let Err(e) = check_name("ssm.parameter_name", "parameter", &name, "/acme-prod/brands") {
        errors.push(format!("{here}: {e}"));
    }
    let value = match (table.get("value").and_then(|v| v.as_value()), table.get("source").and_then(string)) {
        (Some(TomlValue::String(v)), None) => Some(ParamValue::Literal(v.value().clone())),
        (Some(_), None) => {
            errors.push(format!("{here}: the value of parameter {name} must be a string"));
            None
        }
        (None, Some(s)) => match Source::parse(&s) {
            Ok(s) => Some(ParamValue::From(s)),
            Err(e) => {
                errors.push(format!("{here}: parameter {name}: {e}"));
                None
            }
        },
        (Some(_), Some(_)) => {
            errors.push(format!("{here}: parameter {name} has both value and source; give one"));
            None
        }
        (None, None) => {
            errors.push(format!("{here}: parameter {name} has neither value nor source"));
            None
        }
    };
    let secure = match table.get("type").and_then(string).as_deref() {
        None | Some("String") => false,
        Some("SecureString") => true,
        Some(other) => {
            errors.push(format!(
                "{here}: type \"{other}\" of parameter {name}{} is not String or SecureString",
                did_you_mean(other, ["String", "SecureString"])
            ));
            false
        }
    };
    let readers = readers(table.get("readers"), here, errors);
    let kms_key_id = table.get("kms_key_id").and_then(string);
    if kms_key_id.is_some() && !secure {
        errors.push(format!("{here}: kms_key_id is for SecureString parameters; {name} is a String"));
    }
    (errors.len() == before).then_some(ParameterEntry {
        name,
        value: value.unwrap_or(ParamValue::Literal(String::new())),
        secure,
        readers,
        kms_key_id,
        line,
    })
}

impl Lists {
    /// The names of a list's entries, in order.
    pub fn names(&self, list: &str) -> Vec<String> {
        match list {
            "secrets" => self.secrets.iter().map(|e| e.name.clone()).collect(),
            "parameters" => self.parameters.iter().map(|e| e.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn secret(&self, name: &str) -> Option<&SecretEntry> {
        self.secrets.iter().find(|e| e.name == name)
    }

    pub fn parameter(&self, name: &str) -> Option<&ParameterEntry> {
        self.parameters.iter().find(|e| e.name == name)
    }
}
