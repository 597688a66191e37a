//! IAM policy documents as IAM reads them: `Statement` may be one object or a
//! list, `Action`/`Resource` a string or a list, with `NotAction`/`NotResource`
//! and `Condition` kept so that evaluation can honour them.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Either the listed patterns, or everything except them (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    Only(Vec<String>),
    AllExcept(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Patterns,
    pub resources: Patterns,
    pub condition: Option<Value>,
    /// Its place in the document (0 for the first), for messages when it has no Sid.
    pub index: usize,
    /// The statement as written, for messages and fixes.
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub statements: Vec<Statement>,
    /// The document as written.
    pub raw: Value,
}

impl PolicyDocument {
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("a policy document must be a JSON object")?;
        let statements = match obj.get("Statement") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Statement::from_value(v).map(|st| Statement { index: i, ..st }))
                .collect::<Result<_, _>>()?,
            Some(one @ Value::Object(_)) => vec![Statement::from_value(one)?],
            Some(_) => return Err("`Statement` must be an object or a list of objects".into()),
            None => return Err("the document has no `Statement`".into()),
        };
        Ok(Self { statements, raw: value.clone() })
    }

    /// Policy variables (`${aws:username}`) are substituted only in documents of
    /// Version 2012-10-17; in older ones they are plain text.
    pub fn supports_variables(&self) -> bool {
        self.raw.get("Version").and_then(Value::as_str) == Some("2012-10-17")
    }

    /// IAM returns documents URL-encoded (`GetPolicyVersion`, `GetRolePolicy`, `GetRole`).
    pub fn parse_url_encoded(text: &str) -> Result<Self, String> {
        Self::parse(&url_decode(text))
    }
}

/// Decodes a URL-encoded policy document; a document that is already plain JSON is returned as is.
pub fn url_decode(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_string();
    }
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn strings(value: &Value, field: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("`{field}` must hold only strings")))
            .collect(),
        _ => Err(format!("`{field}` must be a string or a list of strings")),
    }
}

fn patterns(obj: &Map<String, Value>, only: &str, except: &str) -> Result<Patterns, String> {
    match (obj.get(only), obj.get(except)) {
        (Some(v), None) => Ok(Patterns::Only(strings(v, only)?)),
        (None, Some(v)) => Ok(Patterns::AllExcept(strings(v, except)?)),
        (Some(_), Some(_)) => Err(format!("a statement cannot have both `{only}` and `{except}`")),
        // Trust policies have no Resource: they apply to the role itself.
        (None, None) if only == "Resource" => Ok(Patterns::Only(vec!["*".into()])),
        (None, None) => Err(format!("a statement needs `{only}` or `{except}`")),
    }
}

impl Statement {
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("each statement must be a JSON object")?;
        let effect = match obj.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            other => {
                return Err(format!("`Effect` must be \"Allow\" or \"Deny\", found {other:?}"));
            }
        };
        Ok(Self {
            sid: obj.get("Sid").and_then(Value::as_str).map(str::to_string),
            effect,
            actions: patterns(obj, "Action", "NotAction")?,
            resources: patterns(obj, "Resource", "NotResource")?,
            condition: obj.get("Condition").filter(|c| c.as_object().is_some_and(|m| !m.is_empty())).cloned(),
            index: 0,
            raw: value.clone(),
        })
    }

    /// `statement "Sid"`, or `statement #2` (its place, from 1) when it has no Sid.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("statement \"{sid}\""),
            _ => format!("statement #{}", self.index + 1),
        }
    }
}

/// A canonical form for comparing two documents by meaning: statement order,
/// list order, single-vs-list and action case do not matter.
pub fn canonical(doc: &PolicyDocument) -> Value {
    fn set(p: &Patterns, lower: bool) -> Value {
        let (key, list) = match p {
            Patterns::Only(v) => ("only", v),
            Patterns::AllExcept(v) => ("except", v),
        };
        let mut items: Vec<String> = list.iter().map(|s| if lower { s.to_lowercase() } else { s.clone() }).collect();
        items.sort();
        items.dedup();
        json!({ key: items })
    }
    let mut statements: Vec<String> = doc
        .statements
        .iter()
        .map(|s| {
            json!({
                "sid": s.sid,
                "effect": format!("{:?}", s.effect),
                "actions": set(&s.actions, true),
                "resources": set(&s.resources, false),
                "condition": s.condition,
                "principal": s.raw.get("Principal"),
            })
            .to_string()
        })
        .collect();
    statements.sort();
    Value::Array(statements.into_iter().map(Value::String).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_statement_and_string_fields() {
        let doc = PolicyDocument::parse(r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#)
            .unwrap();
        assert_eq!(doc.statements.len(), 1);
        assert_eq!(doc.statements[0].actions, Patterns::Only(vec!["s3:GetObject".into()]));
    }

    #[test]
    fn decodes_url_encoded_documents() {
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22NotAction%22%3A%22iam%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let doc = PolicyDocument::parse_url_encoded(enc).unwrap();
        assert_eq!(doc.statements[0].effect, Effect::Deny);
        assert_eq!(doc.statements[0].actions, Patterns::AllExcept(vec!["iam:*".into()]));
    }

    #[test]
    fn statements_are_named_by_sid_or_place() {
        let doc = PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"a","Resource":"*"},{"Effect":"Allow","Action":"a","Resource":"*"}]}"#).unwrap();
        assert_eq!(doc.statements[0].label(), "statement \"A\"");
        assert_eq!(doc.statements[1].label(), "statement #2");
        assert!(doc.supports_variables());
        assert!(
            !PolicyDocument::parse(r#"{"Statement":{"Effect":"Allow","Action":"a","Resource":"*"}}"#)
                .unwrap()
                .supports_variables()
        );
    }

    #[test]
    fn rejects_malformed_statements() {
        assert!(PolicyDocument::parse(r#"{"Statement":[{"Effect":"Maybe","Action":"a","Resource":"*"}]}"#).is_err());
        assert!(PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#).is_err());
        assert!(PolicyDocument::parse(r#"{"Version":"2012-10-17"}"#).is_err());
    }

    #[test]
    fn canonical_form_ignores_order_and_shape() {
        let a = PolicyDocument::parse(r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":["logs:B","logs:A"],"Resource":"*"},{"Effect":"Allow","Action":"x:y","Resource":["r"]}]}"#).unwrap();
        let b = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Action":["x:y"],"Resource":"r"},{"Sid":"A","Effect":"Allow","Action":["LOGS:A","logs:b"],"Resource":["*"]}]}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        let c = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Action":"x:y","Resource":"r2"}]}"#).unwrap();
        assert_ne!(canonical(&a), canonical(&c));
    }
}
