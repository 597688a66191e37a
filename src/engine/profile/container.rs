//! The container's variables, from the profile: `[environment]` (plain
//! `NAME = "value"`) and `[container_secrets]` (`NAME = "secret-name"`,
//! `"secret-name:JSON_KEY"` or `"ssm:/parameter/name"`), which the task
//! definition turns into `environment` and `secrets` (`valueFrom` ARNs).

use toml_edit::TableLike;

use crate::engine::suggest::did_you_mean;

/// Where a container secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// A Secrets Manager secret, whole or one key of its JSON.
    Secret { name: String, key: Option<String> },
    /// An SSM parameter.
    Parameter { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSecret {
    /// The variable the container sees.
    pub variable: String,
    pub from: SecretRef,
    /// The line of its key in the profile (a fix names it).
    pub line: usize,
}

fn valid_variable(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl SecretRef {
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(name) = text.strip_prefix("ssm:") {
            if !name.starts_with('/') || name.len() < 2 {
                let meant =
                    if name.is_empty() { String::new() } else { did_you_mean(text, [format!("ssm:/{name}").as_str()]) };
                return Err(format!(
                    "\"{text}\"{meant}: an SSM parameter is named from the root, e.g. ssm:/acme-prod/brands"
                ));
            }
            return Ok(SecretRef::Parameter { name: name.to_string() });
        }
        // `smm:/name`: a misspelt ssm: (a JSON key that starts with / is no one's intent).
        if let Some((prefix, rest)) = text.split_once(':')
            && rest.starts_with('/')
            && prefix.len() >= 2
            && strsim::damerau_levenshtein(&prefix.to_ascii_lowercase(), "ssm") <= 1
        {
            return Err(format!(
                "\"{text}\" (did you mean `ssm:{rest}`?): an SSM parameter is ssm:/NAME, a secret's key SECRET:KEY"
            ));
        }
        let (name, key) = match text.split_once(':') {
            Some((n, k)) if !k.is_empty() => (n, Some(k.to_string())),
            Some(_) => return Err(format!("\"{text}\": a JSON key follows the colon, e.g. acme-prod-app:DB_URL")),
            None => (text, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)) {
            return Err(format!(
                "\"{text}\" is not a secret name (letters, digits and /_+=.@-), SECRET:JSON_KEY, or ssm:/PARAMETER"
            ));
        }
        Ok(SecretRef::Secret { name: name.to_string(), key })
    }
}

/// `[environment]`: NAME = "value".
pub(super) fn environment(
    table: &dyn TableLike,
    at: &dyn Fn(&toml_edit::Key) -> String,
    errors: &mut Vec<String>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, item) in table.iter() {
        let Some((key, _)) = table.get_key_value(name) else { continue };
        match item.as_str() {
            _ if !valid_variable(name) => {
                errors.push(format!("{}: `{name}` is not a variable name (letters, digits, _)", at(key)))
            }
            Some(v) => out.push((name.to_string(), v.to_string())),
            None => errors.push(format!("{}: environment.{name} must be a string (quote numbers: \"8000\")", at(key))),
        }
    }
    out
}

/// `[container_secrets]`: NAME = "secret", "secret:KEY" or "ssm:/name".
pub(super) fn secrets(
    table: &dyn TableLike,
    at: &dyn Fn(&toml_edit::Key) -> String,
    line_of: &dyn Fn(&toml_edit::Key) -> usize,
    errors: &mut Vec<String>,
) -> Vec<ContainerSecret> {
    let mut out = Vec::new();
    for (name, item) in table.iter() {
        let Some((key, _)) = table.get_key_value(name) else { continue };
        if !valid_variable(name) {
            errors.push(format!("{}: `{name}` is not a variable name (letters, digits, _)", at(key)));
            continue;
        }
        match item.as_str().map(SecretRef::parse) {
            Some(Ok(from)) => out.push(ContainerSecret { variable: name.to_string(), from, line: line_of(key) }),
            Some(Err(e)) => errors.push(format!("{}: container_secrets.{name}: {e}", at(key))),
            None => errors.push(format!("{}: container_secrets.{name} must be a string", at(key))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert_eq!(SecretRef::parse("acme-app").unwrap(), SecretRef::Secret { name: "acme-app".into(), key: None });
        assert_eq!(
            SecretRef::parse("acme-app:DB_URL").unwrap(),
            SecretRef::Secret { name: "acme-app".into(), key: Some("DB_URL".into()) }
        );
        assert_eq!(SecretRef::parse("ssm:/acme/brands").unwrap(), SecretRef::Parameter { name: "/acme/brands".into() });
        assert_eq!(
            SecretRef::parse("smm:/acme/brands").unwrap_err(),
            "\"smm:/acme/brands\" (did you mean `ssm:/acme/brands`?): an SSM parameter is ssm:/NAME, a secret's key SECRET:KEY"
        );
        assert!(SecretRef::parse("ssm:acme/brands").unwrap_err().contains("(did you mean `ssm:/acme/brands`?)"));
        assert!(
            SecretRef::parse("ssm:brands").is_err()
                && SecretRef::parse("app:").is_err()
                && SecretRef::parse("a b").is_err()
        );
    }
}
