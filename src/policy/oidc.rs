//! Reading a web-identity trust policy (GitHub Actions OIDC) for the mistakes
//! that matter: the wrong provider or account, a missing or loose `aud`, a
//! `sub` that is missing, wider than configured, another repository's, or
//! different only in letter case (GitHub's `sub` is case-sensitive), and any
//! other statement that lets someone else (an account, a user, a service,
//! everyone) assume the role.

use serde_json::{Map, Value, json};

use super::condition::tests;
use super::document::{Effect, Patterns, PolicyDocument, Statement};
use super::pattern::covers;

/// What the role should trust.
#[derive(Debug, Clone)]
pub struct Expected {
    pub provider_arn: String,
    /// `token.actions.githubusercontent.com`
    pub host: String,
    /// `sts.amazonaws.com`
    pub audience: String,
    /// `repo:OWNER/NAME:ref:refs/heads/main` or `repo:OWNER/NAME:environment:NAME`
    pub subject: String,
}

impl Expected {
    /// The trust policy that says exactly this.
    pub fn document(&self) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "Federated": self.provider_arn },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        format!("{}:aud", self.host): self.audience,
                        format!("{}:sub", self.host): self.subject,
                    }
                }
            }]
        })
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

fn is_wildcard(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

/// Every (operator, values) under which the condition tests `key` (keys are case-insensitive).
fn tests_of(condition: Option<&Value>, key: &str) -> Vec<(String, Vec<String>)> {
    tests(condition).into_iter().filter(|t| t.key.eq_ignore_ascii_case(key)).map(|t| (t.operator, t.values)).collect()
}

fn federated(st: &Statement) -> Vec<String> {
    match st.raw.get("Principal") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(m)) => m.get("Federated").map(strings).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn allows(st: &Statement, action: &str) -> bool {
    st.effect == Effect::Allow
        && match &st.actions {
            Patterns::Only(a) => a.iter().any(|a| covers(a, action, true)),
            Patterns::AllExcept(a) => !a.iter().any(|a| covers(a, action, true)),
        }
}

fn allows_web_identity(st: &Statement) -> bool {
    allows(st, "sts:AssumeRoleWithWebIdentity")
}

/// Every principal a statement names, as (type, value): `("*", "*")` for `"Principal": "*"`.
fn principals(st: &Statement) -> Vec<(String, String)> {
    match st.raw.get("Principal") {
        Some(Value::String(s)) => vec![("*".into(), s.clone())],
        Some(Value::Object(m)) => {
            m.iter().flat_map(|(kind, v)| strings(v).into_iter().map(|p| (kind.clone(), p))).collect()
        }
        _ => Vec::new(),
    }
}

/// Statements other than the expected web-identity trust that let someone assume the role.
fn others(doc: &PolicyDocument, e: &Expected) -> Vec<String> {
    let assume = ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"];
    let only = format!("only {} may (remove it from the trust policy)", e.subject);
    let mut out = Vec::new();
    for st in doc.statements.iter().filter(|st| assume.iter().any(|a| allows(st, a))) {
        if let Some(not) = st.raw.get("NotPrincipal") {
            out.push(format!("{} lets everyone but {not} assume the role: {only}", st.label()));
        }
        for (kind, who) in principals(st) {
            // The expected provider, or another one already named by the web-identity checks.
            if kind == "Federated" && (who == e.provider_arn || allows_web_identity(st)) {
                continue;
            }
            let who = match (kind.as_str(), who.as_str()) {
                ("*", _) => "everyone (Principal \"*\")".to_string(),
                (kind, "*") => format!("every {kind} principal (\"*\")"),
                (kind, who) => format!("{who} ({kind})"),
            };
            out.push(format!("{} also lets {who} assume the role: {only}", st.label()));
        }
    }
    out
}

fn aud_problems(condition: Option<&Value>, e: &Expected, out: &mut Vec<String>) {
    let key = format!("{}:aud", e.host);
    let tests = tests_of(condition, &key);
    if tests.is_empty() {
        out.push(format!(
            "no `{key}` condition: tokens issued for any audience are accepted; require StringEquals \"{}\"",
            e.audience
        ));
    }
    for (op, values) in tests {
        if op != "StringEquals" {
            out.push(format!("`{key}` is tested with {op}; use StringEquals \"{}\"", e.audience));
        } else if values != [e.audience.clone()] {
            out.push(format!("`{key}` is {values:?}, expected \"{}\"", e.audience));
        }
    }
}

fn sub_problems(condition: Option<&Value>, e: &Expected, out: &mut Vec<String>) {
    let key = format!("{}:sub", e.host);
    let tests = tests_of(condition, &key);
    if tests.is_empty() {
        out.push(format!(
            "no `{key}` condition: ANY GitHub repository, of any owner, can assume this role; require \"{}\"",
            e.subject
        ));
    }
    for (op, values) in tests {
        let like = op == "StringLike";
        if !like && op != "StringEquals" {
            out.push(format!("`{key}` is tested with {op}; use StringEquals \"{}\"", e.subject));
            continue;
        }
        for v in values {
            if v == e.subject {
                continue;
            }
            if !like && is_wildcard(&v) {
                out.push(format!("`{key}` uses StringEquals with the wildcard \"{v}\", which never matches: the pipeline cannot assume the role; use \"{}\"", e.subject));
            } else if like && is_wildcard(&v) && covers(&v, &e.subject, false) {
                out.push(format!("`{key}` \"{v}\" is wider than configured: it also lets other repositories or branches assume the role; use \"{}\"", e.subject));
            } else if v.eq_ignore_ascii_case(&e.subject) || (like && covers(&v, &e.subject, true)) {
                out.push(format!("`{key}` \"{v}\" differs from \"{}\" only in letter case: GitHub's sub is case-sensitive, so the pipeline is denied", e.subject));
            } else {
                out.push(format!("`{key}` names another subject \"{v}\"; this repository's is \"{}\"", e.subject));
            }
        }
    }
}

/// The problems of a trust policy; empty when it trusts exactly the expected subject.
pub fn lint(doc: &PolicyDocument, e: &Expected) -> Vec<String> {
    let trusting: Vec<&Statement> = doc.statements.iter().filter(|s| allows_web_identity(s)).collect();
    let mut out = Vec::new();
    if trusting.is_empty() {
        out.push("no statement allows sts:AssumeRoleWithWebIdentity: the pipeline cannot assume the role".into());
    }
    for st in trusting {
        let principals = federated(st);
        if !principals.contains(&e.provider_arn) || principals.len() != 1 {
            let others: Vec<&String> = principals.iter().filter(|p| **p != e.provider_arn).collect();
            out.push(format!(
                "{} trusts {} instead of {} (another provider or account)",
                st.label(),
                if others.is_empty() { "no federated provider".to_string() } else { format!("{others:?}") },
                e.provider_arn
            ));
        }
        aud_problems(st.condition.as_ref(), e, &mut out);
        sub_problems(st.condition.as_ref(), e, &mut out);
    }
    out.extend(others(doc, e));
    out
}

/// The one statement that would fix the trust policy, for messages.
pub fn fix(e: &Expected) -> Map<String, Value> {
    e.document()["Statement"][0].as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected {
            provider_arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com".into(),
            host: "token.actions.githubusercontent.com".into(),
            audience: "sts.amazonaws.com".into(),
            subject: "repo:Comafi/comafi-ai:ref:refs/heads/main".into(),
        }
    }

    fn with(condition: Value) -> PolicyDocument {
        let mut doc = expected().document();
        doc["Statement"][0]["Condition"] = condition;
        PolicyDocument::from_value(&doc).unwrap()
    }

    fn problems(condition: Value) -> Vec<String> {
        lint(&with(condition), &expected())
    }

    #[test]
    fn the_expected_document_passes() {
        assert!(lint(&PolicyDocument::from_value(&expected().document()).unwrap(), &expected()).is_empty());
        // StringLike with the exact value (as in seed 000 §9.4) is fine too.
        assert!(problems(json!({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:Comafi/comafi-ai:ref:refs/heads/main"}})).is_empty());
    }

    #[test]
    fn a_missing_sub_lets_anyone_in() {
        let p = problems(json!({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}));
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("ANY GitHub repository"), "{p:?}");
    }

    #[test]
    fn wide_wildcards_other_repositories_and_case() {
        let aud = json!("sts.amazonaws.com");
        for (sub, like, expect) in [
            ("repo:Comafi/*", true, "wider than configured"),
            ("*", true, "wider than configured"),
            ("repo:Comafi/other:ref:refs/heads/main", false, "names another subject"),
            ("repo:comafi/comafi-ai:ref:refs/heads/main", false, "only in letter case"),
            ("repo:comafi/comafi-ai:*", true, "only in letter case"),
            ("repo:Comafi/comafi-ai:*", false, "never matches"),
        ] {
            let op = if like { "StringLike" } else { "StringEquals" };
            let mut cond = json!({"StringEquals": {"token.actions.githubusercontent.com:aud": aud}});
            cond.as_object_mut()
                .unwrap()
                .entry(op)
                .or_insert(json!({}))
                .as_object_mut()
                .unwrap()
                .insert("token.actions.githubusercontent.com:sub".into(), json!(sub));
            let p = problems(cond);
            assert!(p.iter().any(|m| m.contains(expect)), "{sub} ({op}): {p:?}");
        }
    }

    #[test]
    fn audience_and_provider() {
        let sub = "repo:Comafi/comafi-ai:ref:refs/heads/main";
        assert!(
            problems(json!({"StringEquals": {"token.actions.githubusercontent.com:sub": sub}}))[0]
                .contains("no `token.actions.githubusercontent.com:aud` condition")
        );
        assert!(problems(json!({"StringEquals": {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": "other"}}))[0].contains("expected \"sts.amazonaws.com\""));
        assert!(problems(json!({"StringEquals": {"token.actions.githubusercontent.com:sub": sub}, "StringLike": {"token.actions.githubusercontent.com:aud": "sts.*"}}))[0].contains("tested with StringLike"));
        let mut doc = expected().document();
        doc["Statement"][0]["Principal"]["Federated"] =
            json!("arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com");
        let p = lint(&PolicyDocument::from_value(&doc).unwrap(), &expected());
        assert!(p[0].contains("another provider or account"), "{p:?}");
        doc["Statement"][0]["Action"] = json!("sts:AssumeRole");
        assert!(lint(&PolicyDocument::from_value(&doc).unwrap(), &expected())[0].contains("no statement allows"));
    }

    #[test]
    fn nobody_else_may_assume_the_role() {
        let lint_with = |extra: Value| {
            let mut doc = expected().document();
            doc["Statement"].as_array_mut().unwrap().push(extra);
            lint(&PolicyDocument::from_value(&doc).unwrap(), &expected())
        };
        let only = "only repo:Comafi/comafi-ai:ref:refs/heads/main may";
        for (extra, expect) in [
            (
                json!({"Sid": "Ops", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::999999999999:root"]}, "Action": "sts:AssumeRole"}),
                "statement \"Ops\" also lets arn:aws:iam::999999999999:root (AWS) assume the role",
            ),
            (
                json!({"Effect": "Allow", "Principal": "*", "Action": "sts:Assume*"}),
                "statement #2 also lets everyone (Principal \"*\") assume the role",
            ),
            (
                json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*"}),
                "statement #2 also lets every AWS principal (\"*\") assume the role",
            ),
            (
                json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
                "ec2.amazonaws.com (Service)",
            ),
            (
                json!({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/corp"}, "Action": "sts:AssumeRoleWithSAML"}),
                "saml-provider/corp (Federated)",
            ),
            (
                json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}),
                "lets everyone but",
            ),
        ] {
            let p = lint_with(extra.clone());
            assert!(p.iter().any(|m| m.contains(expect) && m.contains(only)), "{extra}: {p:?}");
        }
        // Denies, session tags and the expected provider under another action let nobody else in.
        for extra in [
            json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
            json!({"Effect": "Allow", "Principal": {"Federated": expected().provider_arn}, "Action": "sts:TagSession"}),
            json!({"Effect": "Allow", "Principal": {"Federated": expected().provider_arn}, "Action": "sts:AssumeRole"}),
        ] {
            assert!(lint_with(extra.clone()).is_empty(), "{extra}");
        }
    }
}
