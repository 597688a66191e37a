//! Trust policies (who may assume a role), read by meaning.

use serde_json::Value;

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

/// Whether the AWS service `service` (e.g. `ecs-tasks.amazonaws.com`) may
/// call `sts:AssumeRole` on the role; `Err` explains why not. Conditions on
/// the Allow (`aws:SourceAccount`...) are normal in trust policies and accepted.
pub fn trusts_service(doc: &PolicyDocument, service: &str) -> Result<(), String> {
    let applies = |st: &&Statement, effect: Effect| {
        st.effect == effect
            && names_assume_role(st)
            && principal_values(st, "Service").iter().any(|p| p == service || p == "*")
    };
    if let Some(deny) = doc.statements.iter().find(|st| applies(st, Effect::Deny)) {
        return Err(format!("{} denies sts:AssumeRole to {service}", deny.label()));
    }
    if doc.statements.iter().any(|st| applies(&st, Effect::Allow)) {
        return Ok(());
    }
    if doc.statements.iter().any(|st| principal_values(st, "Service").iter().any(|p| p == service)) {
        return Err(format!("the statements naming {service} do not allow sts:AssumeRole"));
    }
    Err(format!("no statement trusts the service principal {service}"))
}

/// Accounts that `aws:SourceAccount` conditions on the service's Allow statements
/// name (a confused-deputy guard: the service may act only for them).
pub fn source_accounts(doc: &PolicyDocument, service: &str) -> Vec<String> {
    let mut out = Vec::new();
    for st in doc
        .statements
        .iter()
        .filter(|st| st.effect == Effect::Allow && principal_values(st, "Service").iter().any(|p| p == service))
    {
        let Some(Value::Object(ops)) = &st.condition else { continue };
        for keys in ops.values() {
            if let Value::Object(keys) = keys {
                for (_, v) in keys.iter().filter(|(k, _)| k.eq_ignore_ascii_case("aws:SourceAccount")) {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        Value::Array(items) => out.extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_tasks_trust() {
        let ok = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#).unwrap();
        assert!(trusts_service(&ok, "ecs-tasks.amazonaws.com").is_ok());
        let other = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#).unwrap();
        assert!(trusts_service(&other, "ecs-tasks.amazonaws.com").unwrap_err().contains("no statement trusts"));
        let wrong_action = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:TagSession"}]}"#).unwrap();
        assert!(trusts_service(&wrong_action, "ecs-tasks.amazonaws.com").is_err());
        let denied = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"No","Effect":"Deny","Principal":"*","Action":"sts:*"}]}"#).unwrap();
        assert!(trusts_service(&denied, "ecs-tasks.amazonaws.com").unwrap_err().contains("\"No\""));
        let guarded = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#).unwrap();
        assert_eq!(source_accounts(&guarded, "ecs-tasks.amazonaws.com"), vec!["111111111111"]);
        assert!(source_accounts(&ok, "ecs-tasks.amazonaws.com").is_empty());
    }
}
