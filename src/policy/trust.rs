//! Trust policies (who may assume a role), read by meaning. For a service
//! principal, the confused-deputy keys of each statement's Condition
//! (`aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOrgID`) are evaluated
//! against the account the service acts for; a key that cannot be decided
//! leaves the verdict undecided, never trusted.

use serde_json::Value;

use super::condition::{Holds, Known, all_hold, tests};
use super::document::{Effect, Patterns, PolicyDocument, Statement};
use super::pattern::covers;

fn principal_values(st: &Statement, key: &str) -> Vec<String> {
    match st.raw.get("Principal") {
        Some(Value::String(s)) if s == "*" => vec!["*".into()],
        Some(Value::Object(map)) => match map.get(key) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn names_assume_role(st: &Statement) -> bool {
    match &st.actions {
        Patterns::Only(list) => list.iter().any(|a| covers(a, "sts:AssumeRole", true)),
        Patterns::AllExcept(list) => !list.iter().any(|a| covers(a, "sts:AssumeRole", true)),
    }
}

/// A service assuming the role on behalf of this account (an ECS task of it).
#[derive(Debug, Clone)]
pub struct ServiceCaller<'a> {
    /// `ecs-tasks.amazonaws.com`
    pub service: &'a str,
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
}

impl ServiceCaller<'_> {
    /// The `aws:SourceArn` ECS sends for a task: some ECS ARN of this account and region.
    fn source_arns(&self) -> Option<String> {
        (self.service == "ecs-tasks.amazonaws.com")
            .then(|| format!("arn:{}:ecs:{}:{}:*", self.partition, self.region, self.account))
    }

    /// What the service's AssumeRole request carries under `key`.
    fn known(&self, key: &str) -> Known {
        match key.to_ascii_lowercase().as_str() {
            "aws:sourceaccount" => Known::Exact(self.account.into()),
            "aws:sourcearn" => match self.source_arns() {
                Some(arns) => Known::Within(arns),
                None => {
                    Known::Unknown(format!("preflight does not know which ARN {} sends as aws:SourceArn", self.service))
                }
            },
            "aws:sourceorgid" | "aws:sourceorgpaths" => Known::Unknown(format!(
                "{key} needs AWS Organizations to tell whether account {} belongs to the organization it names, which preflight cannot decide",
                self.account
            )),
            _ => Known::Unknown(format!(
                "preflight cannot know the value of `{key}` when {} assumes the role",
                self.service
            )),
        }
    }

    /// How to name the values a test was compared with.
    fn about(&self, key: &str) -> String {
        match (key.to_ascii_lowercase().as_str(), self.source_arns()) {
            ("aws:sourcearn", Some(arns)) => format!("this account's ECS ARNs in {} ({arns})", self.region),
            _ => format!("this account {}", self.account),
        }
    }
}

/// Whether the service may assume the role for this account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Yes; `notes` name conditions that narrow it within this account.
    Trusted { notes: Vec<String> },
    /// No, for the reasons given.
    Refused(Vec<String>),
    /// Cannot be decided offline, for the reasons given.
    Undecided(Vec<String>),
}

/// Whether `caller.service` may call `sts:AssumeRole` on the role for this account.
pub fn service_trust(doc: &PolicyDocument, caller: &ServiceCaller) -> Trust {
    let service = caller.service;
    let names_service = |st: &&Statement| principal_values(st, "Service").iter().any(|p| p == service || p == "*");
    let applies = |st: &Statement| all_hold(&tests(st.condition.as_ref()), |k| caller.known(k));
    let (mut refused, mut undecided, mut notes, mut trusted) = (Vec::new(), Vec::new(), Vec::new(), false);
    let denies = doc.statements.iter().filter(|st| st.effect == Effect::Deny && names_assume_role(st));
    for st in denies.filter(names_service) {
        let label = st.label();
        match applies(st) {
            (Holds::Always, _) => refused.push(format!(
                "{label} denies sts:AssumeRole to {service}{}",
                if st.condition.is_some() { " (its Condition holds for this account)" } else { "" }
            )),
            (Holds::Sometimes, t) => undecided.push(format!(
                "{label} denies sts:AssumeRole to {service} when {}, which holds for some of {}",
                t.as_ref().map(ToString::to_string).unwrap_or_default(),
                caller.about(t.as_ref().map_or("", |t| &t.key))
            )),
            (Holds::Unknown(why), t) => undecided.push(format!(
                "{label} may deny sts:AssumeRole to {service}: {why}{}",
                t.map(|t| format!(" ({t})")).unwrap_or_default()
            )),
            (Holds::Never, _) => {}
        }
    }
    let allows: Vec<&Statement> = doc
        .statements
        .iter()
        .filter(|st| st.effect == Effect::Allow && names_assume_role(st))
        .filter(names_service)
        .collect();
    let mut never = Vec::new();
    for st in &allows {
        let label = st.label();
        match applies(st) {
            (Holds::Always, _) => trusted = true,
            (Holds::Sometimes, t) => {
                trusted = true;
                if let Some(t) = t {
                    notes.push(format!("{label} only when {t}"));
                }
            }
            (Holds::Never, Some(t)) => never.push(format!(
                "{label} lets {service} assume the role only when {t}, which never holds for {}",
                caller.about(&t.key)
            )),
            (Holds::Never, None) => never.push(format!("{label} never lets {service} assume the role")),
            (Holds::Unknown(why), t) => {
                undecided.push(format!("{label}: {why}{}", t.map(|t| format!(" ({t})")).unwrap_or_default()))
            }
        }
    }
    if !refused.is_empty() {
        return Trust::Refused(refused);
    }
    if trusted && undecided.is_empty() {
        return Trust::Trusted { notes };
    }
    if trusted {
        return Trust::Undecided(undecided);
    }
    if !undecided.is_empty() {
        return Trust::Undecided(never.into_iter().chain(undecided).collect());
    }
    if !never.is_empty() {
        return Trust::Refused(never);
    }
    if doc.statements.iter().any(|st| principal_values(st, "Service").iter().any(|p| p == service)) {
        return Trust::Refused(vec![format!("the statements naming {service} do not allow sts:AssumeRole")]);
    }
    Trust::Refused(vec![format!("no statement trusts the service principal {service}")])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECS: &str = "ecs-tasks.amazonaws.com";

    fn caller() -> ServiceCaller<'static> {
        ServiceCaller { service: ECS, partition: "aws", region: "us-east-1", account: "123456789012" }
    }

    fn trust(statements: &str) -> Trust {
        service_trust(&PolicyDocument::parse(&format!(r#"{{"Statement":{statements}}}"#)).unwrap(), &caller())
    }

    fn allow(condition: &str) -> String {
        format!(
            r#"{{"Effect":"Allow","Principal":{{"Service":["{ECS}"]}},"Action":"sts:AssumeRole","Condition":{condition}}}"#
        )
    }

    fn refused(t: Trust) -> String {
        match t {
            Trust::Refused(r) => r.join("; "),
            other => panic!("not refused: {other:?}"),
        }
    }

    fn undecided(t: Trust) -> String {
        match t {
            Trust::Undecided(r) => r.join("; "),
            other => panic!("not undecided: {other:?}"),
        }
    }

    #[test]
    fn the_service_principal_and_action() {
        assert_eq!(trust(&format!("[{}]", allow("{}"))), Trust::Trusted { notes: vec![] });
        let other = r#"[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]"#;
        assert!(refused(trust(other)).contains("no statement trusts"));
        let wrong_action =
            format!(r#"[{{"Effect":"Allow","Principal":{{"Service":"{ECS}"}},"Action":"sts:TagSession"}}]"#);
        assert!(refused(trust(&wrong_action)).contains("do not allow sts:AssumeRole"));
        let denied = format!(r#"[{},{{"Sid":"No","Effect":"Deny","Principal":"*","Action":"sts:*"}}]"#, allow("{}"));
        assert_eq!(refused(trust(&denied)), "statement \"No\" denies sts:AssumeRole to ecs-tasks.amazonaws.com");
    }

    #[test]
    fn confused_deputy_keys_are_evaluated_for_this_account() {
        let sa =
            |op: &str, v: &str| trust(&format!("[{}]", allow(&format!(r#"{{"{op}":{{"aws:SourceAccount":"{v}"}}}}"#))));
        assert_eq!(sa("StringEquals", "123456789012"), Trust::Trusted { notes: vec![] });
        assert_eq!(
            refused(sa("StringEquals", "111111111111")),
            "statement #1 lets ecs-tasks.amazonaws.com assume the role only when StringEquals aws:SourceAccount \"111111111111\", which never holds for this account 123456789012"
        );
        assert!(refused(sa("StringNotEquals", "123456789012")).contains("StringNotEquals aws:SourceAccount"));
        let arn =
            |op: &str, v: &str| trust(&format!("[{}]", allow(&format!(r#"{{"{op}":{{"aws:SourceArn":"{v}"}}}}"#))));
        assert!(refused(arn("ArnLike", "arn:aws:ecs:us-east-1:111111111111:*")).contains(
            "which never holds for this account's ECS ARNs in us-east-1 (arn:aws:ecs:us-east-1:123456789012:*)"
        ));
        assert!(refused(arn("ArnLike", "arn:aws:ecs:eu-west-1:123456789012:*")).contains("eu-west-1"));
        assert_eq!(arn("ArnLike", "arn:aws:ecs:*:123456789012:*"), Trust::Trusted { notes: vec![] });
        assert_eq!(
            arn("ArnLike", "arn:aws:ecs:us-east-1:123456789012:task/comafi/*"),
            Trust::Trusted {
                notes: vec![
                    "statement #1 only when ArnLike aws:SourceArn \"arn:aws:ecs:us-east-1:123456789012:task/comafi/*\""
                        .into()
                ]
            }
        );
        assert!(refused(arn("ArnNotLike", "arn:aws:ecs:*:123456789012:*")).contains("ArnNotLike"));
    }

    #[test]
    fn keys_that_cannot_be_decided_leave_it_undecided() {
        let org = trust(&format!("[{}]", allow(r#"{"StringEquals":{"aws:SourceOrgID":"o-a1b2c3d4e5"}}"#)));
        assert!(undecided(org).starts_with("statement #1: aws:SourceOrgID needs AWS Organizations"));
        let key = trust(&format!("[{}]", allow(r#"{"StringEquals":{"sts:ExternalId":"x"}}"#)));
        assert!(undecided(key).contains("`sts:ExternalId`"));
        // A certain refusal by one statement is a refusal; a trusted statement with an undecidable Deny is undecided.
        let both = format!(
            r#"[{},{{"Sid":"Maybe","Effect":"Deny","Principal":{{"Service":"{ECS}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:SourceOrgID":"o-1"}}}}}}]"#,
            allow("{}")
        );
        assert!(undecided(trust(&both)).starts_with("statement \"Maybe\" may deny sts:AssumeRole"));
        // A Deny for other accounts only is the usual guard, not a refusal.
        let guard = format!(
            r#"[{},{{"Effect":"Deny","Principal":{{"Service":"{ECS}"}},"Action":"sts:AssumeRole","Condition":{{"StringNotEquals":{{"aws:SourceAccount":"123456789012"}}}}}}]"#,
            allow("{}")
        );
        assert_eq!(trust(&guard), Trust::Trusted { notes: vec![] });
        let other_service = ServiceCaller { service: "lambda.amazonaws.com", ..caller() };
        let doc = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:*"}}}]}"#).unwrap();
        assert!(undecided(service_trust(&doc, &other_service)).contains("which ARN lambda.amazonaws.com sends"));
    }
}
