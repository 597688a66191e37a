//! One change to the account, planned or made, and its text: the one text
//! that `plan` prints, that a consent (the CLI's prompt, the wizard's dialog)
//! shows and that the wizard's detail shows, so that what a person reads
//! before saying yes is what the plan said.

use serde::Serialize;
use serde_json::Value;

/// One change to the account: planned (dry run) or made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub service: &'static str,
    pub operation: &'static str,
    pub resource: String,
    /// Why, and what differs.
    pub detail: String,
    /// For documents (policies, trust policies): the current and the desired text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<DocDiff>,
    /// The request's parameters, as they go (or would go) to AWS: read off the
    /// wire (see `aws::wire`), secret values hidden; a value known only after
    /// an earlier change is shown as what makes it.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub params: Value,
}

/// A document as it is and as it will be (empty `before` when it is created).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocDiff {
    pub before: String,
    pub after: String,
}

impl DocDiff {
    /// The changed lines with `context` unchanged lines around them: tag `+`,
    /// `-` or ` `, and `…` where unchanged lines are left out.
    pub fn lines(&self, context: usize) -> Vec<(char, String)> {
        let diff = similar::TextDiff::from_lines(&self.before, &self.after);
        let mut out = Vec::new();
        for (i, group) in diff.grouped_ops(context).iter().enumerate() {
            if i > 0 {
                out.push(('…', String::new()));
            }
            for op in group {
                for change in diff.iter_changes(op) {
                    let tag = match change.tag() {
                        similar::ChangeTag::Delete => '-',
                        similar::ChangeTag::Insert => '+',
                        similar::ChangeTag::Equal => ' ',
                    };
                    out.push((tag, change.value().trim_end_matches('\n').to_string()));
                }
            }
        }
        out
    }
}

/// What a change is for: a sentence, and for documents their diff.
pub struct Detail {
    pub(crate) text: String,
    pub(crate) diff: Option<DocDiff>,
}

impl Detail {
    pub fn with_diff(text: impl Into<String>, before: &Value, after: &Value) -> Self {
        let pretty = |v: &Value| {
            if v.is_null() { String::new() } else { serde_json::to_string_pretty(v).expect("json") + "\n" }
        };
        Self { text: text.into(), diff: Some(DocDiff { before: pretty(before), after: pretty(after) }) }
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Self { text, diff: None }
    }
}

impl From<&str> for Detail {
    fn from(text: &str) -> Self {
        Self { text: text.into(), diff: None }
    }
}

/// What a line of a change's text is, for the front ends to style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `service:Operation resource — detail`.
    Head,
    /// `name = value`: a parameter of the request.
    Param,
    Added,
    Removed,
    Same,
    /// Unchanged lines left out of a diff.
    Gap,
}

/// Whether a parameter is a document (a policy, a task definition's
/// containers): a change with a diff shows those as the diff instead.
fn document(v: &Value) -> bool {
    match v {
        Value::Object(_) | Value::Array(_) => true,
        Value::String(s) => {
            let t = s.trim_start();
            ((t.starts_with('{') || t.starts_with('[')) && serde_json::from_str::<Value>(s).is_ok())
                // A blob carrying a JSON document (bedrock's use-case form) is that document, base64-encoded.
                || (s.len() > 2
                    && !s.contains(' ')
                    && aws_smithy_types::base64::decode(s)
                        .is_ok_and(|b| matches!(serde_json::from_slice::<Value>(&b), Ok(Value::Object(_)))))
        }
        _ => false,
    }
}

impl Change {
    /// The change as text, line by line: its head, the request's parameters
    /// (with a diff: the scalar ones, the documents being the diff), and the
    /// diff when `diff` is asked for.
    pub fn text(&self, diff: bool) -> Vec<(Tag, String)> {
        let mut out =
            vec![(Tag::Head, format!("{}:{} {} — {}", self.service, self.operation, self.resource, self.detail))];
        let has_diff = self.diff.is_some();
        let skip = |path: &str| has_diff && !path.contains('.') && self.params.get(path).is_some_and(document);
        out.extend(crate::aws::wire::lines(&self.params, &skip).into_iter().map(|l| (Tag::Param, format!("  {l}"))));
        for (tag, line) in self.diff.iter().filter(|_| diff).flat_map(|d| d.lines(2)) {
            out.push(match tag {
                '+' => (Tag::Added, format!("  + {line}")),
                '-' => (Tag::Removed, format!("  - {line}")),
                '…' => (Tag::Gap, "  …".to_string()),
                _ => (Tag::Same, format!("    {line}")),
            });
        }
        out
    }
}

/// A list of changes as text (see [`Change::text`]).
pub fn text(changes: &[Change], diff: bool) -> Vec<(Tag, String)> {
    changes.iter().flat_map(|c| c.text(diff)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_its_head_its_parameters_and_its_diff() {
        let c = Change {
            service: "iam",
            operation: "CreatePolicy",
            resource: "arn:aws:iam::1:policy/p".into(),
            detail: "create the policy".into(),
            diff: Some(DocDiff { before: String::new(), after: "{\n  \"a\": 1\n}\n".into() }),
            params: serde_json::json!({"PolicyName": "p", "PolicyDocument": "{\"a\":1}"}),
        };
        let text: Vec<String> = c.text(true).into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            text,
            vec![
                "iam:CreatePolicy arn:aws:iam::1:policy/p — create the policy",
                "  PolicyName = p",
                "  + {",
                "  +   \"a\": 1",
                "  + }",
            ]
        );
    }

    #[test]
    fn a_blob_carrying_a_document_is_shown_as_the_document() {
        let form = serde_json::json!({"companyName": "Comafi", "useCases": "support"});
        let c = Change {
            service: "bedrock",
            operation: "PutUseCaseForModelAccess",
            resource: String::new(),
            detail: "submit".into(),
            diff: Some(DocDiff { before: String::new(), after: serde_json::to_string_pretty(&form).unwrap() }),
            params: serde_json::json!({
                "formData": aws_smithy_types::base64::encode(serde_json::to_vec(&form).unwrap()),
                "other": "abc",
            }),
        };
        let text: Vec<String> = c.text(true).into_iter().map(|(_, l)| l).collect();
        assert!(!text.iter().any(|l| l.contains("formData")), "{text:?}");
        assert!(text.contains(&"  +   \"useCases\": \"support\"".to_string()), "{text:?}");
        assert!(text.contains(&"  other = abc".to_string()), "{text:?}");
    }
}
