//! Local evaluation of identity policies, the way IAM decides within one
//! account: an explicit Deny wins, then any Allow grants, otherwise the request
//! is implicitly denied; a permissions boundary must allow it as well.
//! Conditions cannot be decided offline, so a conditional Allow never counts as
//! a grant and a conditional Deny counts as a possible denial; policy variables
//! are resolved from what is known of the principal, and one that is not known
//! weighs like a condition.
//!
//! A required resource of exactly `*` is the request of an action without
//! resource-level permissions (logs:GetQueryResults, cloudwatch:PutMetricData):
//! its resource is the text `*`, which only a Resource matching that text
//! grants or denies. Any other required resource is a pattern, and every
//! resource it matches must be allowed.

use serde_json::{Value, json};

use super::document::{Effect, Patterns, PolicyDocument, Statement};
use super::pattern::{Pattern, covers, overlaps};
use super::variables::{Expanded, Variables, expand};

/// One policy that applies to the principal, named for the operator.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub doc: PolicyDocument,
}

/// One permission the principal must hold, and the statement of the desired
/// document it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub action: String,
    pub resource: String,
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Allowed {
        by: Vec<String>,
    },
    /// `doubt` says why the Deny only might apply (its Condition, a variable preflight cannot resolve).
    Denied {
        by: String,
        statement: Value,
        doubt: Option<String>,
    },
    /// Allow statements that might grant it, each saying on what it depends; none surely does.
    Unproven {
        by: Vec<String>,
    },
    NotAllowed,
    OutsideBoundary {
        boundary: String,
    },
}

impl Verdict {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed { .. })
    }
}

/// Every (action, resource) pair that the Allow statements of `doc` grant.
pub fn requirements(doc: &PolicyDocument) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for st in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let (Patterns::Only(actions), Patterns::Only(resources)) = (&st.actions, &st.resources) else {
            return Err(format!("{} uses NotAction/NotResource, which cannot be a requirement", st.label()));
        };
        for action in actions {
            for resource in resources {
                out.push(Requirement { action: action.clone(), resource: resource.clone(), sid: st.sid.clone() });
            }
        }
    }
    Ok(out)
}

fn grants_action(p: &Patterns, action: &str) -> bool {
    match p {
        Patterns::Only(list) => list.iter().any(|a| covers(a, action, true)),
        Patterns::AllExcept(list) => !list.iter().any(|a| overlaps(a, action, true)),
    }
}

fn touches_action(p: &Patterns, action: &str) -> bool {
    match p {
        Patterns::Only(list) => list.iter().any(|a| overlaps(a, action, true)),
        Patterns::AllExcept(list) => !list.iter().any(|a| covers(a, action, true)),
    }
}

/// What a requirement asks of a statement's Resource.
enum Request {
    /// The action has no resource-level permissions: the request's resource is the text `*`.
    Star,
    /// Every resource matching the pattern.
    Every(Pattern),
}

impl Request {
    fn of(resource: &str) -> Self {
        if resource == "*" { Request::Star } else { Request::Every(Pattern::glob(resource)) }
    }
}

/// Whether a Resource entry (or a whole Resource element) bears on a request;
/// `Maybe` names the variables that decide it.
#[derive(Debug, Clone, PartialEq)]
enum Fit {
    Yes,
    No,
    Maybe(Vec<String>),
}

impl Fit {
    fn any(fits: impl Iterator<Item = Fit>) -> Fit {
        let mut out = Fit::No;
        for f in fits {
            match f {
                Fit::Yes => return Fit::Yes,
                Fit::Maybe(v) if out == Fit::No => out = Fit::Maybe(v),
                _ => {}
            }
        }
        out
    }
    fn not(self) -> Fit {
        match self {
            Fit::Yes => Fit::No,
            Fit::No => Fit::Yes,
            maybe => maybe,
        }
    }
}

/// One entry of Resource/NotResource against the request: does it match all of
/// it (`whole`), or some of it? `vars` is None when the document predates
/// policy variables (Version 2012-10-17), which makes them plain text.
fn entry_fits(entry: &str, req: &Request, whole: bool, vars: Option<&Variables>) -> Fit {
    let expanded = match vars {
        Some(vars) => expand(entry, vars),
        None => Expanded::Pattern(Pattern::glob(entry)),
    };
    let check = |p: &Pattern| match req {
        Request::Star => p.covers(&Pattern::literal("*"), false),
        Request::Every(r) if whole => p.covers(r, false),
        Request::Every(r) => p.overlaps(r, false),
    };
    match expanded {
        Expanded::Pattern(p) if check(&p) => Fit::Yes,
        Expanded::Unknown { variables, widest } if check(&widest) => Fit::Maybe(variables),
        // A variable without a value makes the entry match no resource.
        _ => Fit::No,
    }
}

/// Whether the statement's resources include the whole request (an Allow must).
fn grants_resource(p: &Patterns, req: &Request, vars: Option<&Variables>) -> Fit {
    match p {
        Patterns::Only(list) => Fit::any(list.iter().map(|r| entry_fits(r, req, true, vars))),
        Patterns::AllExcept(list) => Fit::any(list.iter().map(|r| entry_fits(r, req, false, vars))).not(),
    }
}

/// Whether the statement's resources include any of the request (a Deny applies then).
fn touches_resource(p: &Patterns, req: &Request, vars: Option<&Variables>) -> Fit {
    match p {
        Patterns::Only(list) => Fit::any(list.iter().map(|r| entry_fits(r, req, false, vars))),
        Patterns::AllExcept(list) => Fit::any(list.iter().map(|r| entry_fits(r, req, true, vars))).not(),
    }
}

/// How one statement bears on one request.
enum Bearing {
    Not,
    Surely,
    /// It might: why it is not sure.
    Maybe(String),
}

fn bearing(st: &Statement, action: &str, req: &Request, vars: Option<&Variables>) -> Bearing {
    let fit = match st.effect {
        Effect::Allow if grants_action(&st.actions, action) => grants_resource(&st.resources, req, vars),
        Effect::Deny if touches_action(&st.actions, action) => touches_resource(&st.resources, req, vars),
        _ => Fit::No,
    };
    match (fit, st.condition.is_some(), &st.effect) {
        (Fit::No, _, _) => Bearing::Not,
        (Fit::Yes, false, _) => Bearing::Surely,
        (Fit::Yes, true, Effect::Deny) => Bearing::Maybe("a conditional Deny".into()),
        (Fit::Yes, true, Effect::Allow) => Bearing::Maybe("only under its Condition".into()),
        (Fit::Maybe(v), cond, Effect::Deny) => Bearing::Maybe(format!(
            "{}its Resource uses {}, which preflight cannot resolve",
            if cond { "a conditional Deny; " } else { "" },
            v.join(", ")
        )),
        (Fit::Maybe(v), cond, Effect::Allow) => Bearing::Maybe(format!(
            "only {}if {} has a matching value, which preflight cannot resolve",
            if cond { "under its Condition and " } else { "" },
            v.join(", ")
        )),
    }
}

fn where_(source: &Source, st: &Statement) -> String {
    format!("{} of {}", st.label(), source.name)
}

fn decide(sources: &[Source], vars: &Variables, action: &str, resource: &str) -> Verdict {
    let req = Request::of(resource);
    let vars_of = |s: &Source| s.doc.supports_variables().then_some(vars);
    let mut possible_denial = None;
    for source in sources {
        for st in source.doc.statements.iter().filter(|s| s.effect == Effect::Deny) {
            match bearing(st, action, &req, vars_of(source)) {
                Bearing::Surely => {
                    return Verdict::Denied { by: where_(source, st), statement: st.raw.clone(), doubt: None };
                }
                Bearing::Maybe(why) if possible_denial.is_none() => {
                    possible_denial =
                        Some(Verdict::Denied { by: where_(source, st), statement: st.raw.clone(), doubt: Some(why) });
                }
                _ => {}
            }
        }
    }
    if let Some(denial) = possible_denial {
        return denial;
    }
    let (mut allowed, mut unproven) = (Vec::new(), Vec::new());
    for source in sources {
        for st in source.doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
            match bearing(st, action, &req, vars_of(source)) {
                Bearing::Surely => allowed.push(where_(source, st)),
                Bearing::Maybe(why) => unproven.push(format!("{} allows it {why}", where_(source, st))),
                Bearing::Not => {}
            }
        }
    }
    if !allowed.is_empty() {
        Verdict::Allowed { by: allowed }
    } else if !unproven.is_empty() {
        Verdict::Unproven { by: unproven }
    } else {
        Verdict::NotAllowed
    }
}

/// The policies in force for one principal, and what is known of its requests.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    pub policies: Vec<Source>,
    pub boundary: Option<Source>,
    /// Values for the policy variables of its policies.
    pub vars: Variables,
}

impl Principal {
    pub fn evaluate(&self, action: &str, resource: &str) -> Verdict {
        let verdict = decide(&self.policies, &self.vars, action, resource);
        let Some(boundary) = &self.boundary else {
            return verdict;
        };
        if !verdict.is_allowed() {
            return verdict;
        }
        match decide(std::slice::from_ref(boundary), &self.vars, action, resource) {
            Verdict::Allowed { .. } => verdict,
            other @ (Verdict::Denied { .. } | Verdict::Unproven { .. }) => other,
            _ => Verdict::OutsideBoundary { boundary: boundary.name.clone() },
        }
    }
}

/// The smallest policy document that grants the given missing requirements,
/// one statement per statement of the desired document they come from.
pub fn fix_document(missing: &[&Requirement]) -> Value {
    let mut groups: Vec<(Option<String>, Vec<String>, Vec<String>)> = Vec::new();
    for req in missing {
        let idx = match groups.iter().position(|g| g.0 == req.sid) {
            Some(i) => i,
            None => {
                groups.push((req.sid.clone(), Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        let group = &mut groups[idx];
        if !group.1.contains(&req.action) {
            group.1.push(req.action.clone());
        }
        if !group.2.contains(&req.resource) {
            group.2.push(req.resource.clone());
        }
    }
    let statements: Vec<Value> = groups
        .into_iter()
        .map(|(sid, actions, resources)| {
            let mut st = serde_json::Map::new();
            if let Some(sid) = sid {
                st.insert("Sid".into(), json!(sid));
            }
            st.insert("Effect".into(), json!("Allow"));
            st.insert("Action".into(), json!(actions));
            st.insert("Resource".into(), json!(resources));
            Value::Object(st)
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

impl Principal {
    /// Where the principal's policies allow `action` on more than `allowed`
    /// (e.g. `iam:PassRole` on `*` instead of two role ARNs), one line each.
    pub fn grants_beyond(&self, action: &str, allowed: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for source in &self.policies {
            for st in
                source.doc.statements.iter().filter(|s| s.effect == Effect::Allow && touches_action(&s.actions, action))
            {
                let wider: Vec<String> = match &st.resources {
                    Patterns::Only(list) => {
                        list.iter().filter(|r| !allowed.iter().any(|a| covers(a, r, false))).cloned().collect()
                    }
                    Patterns::AllExcept(list) => vec![format!("everything but {}", list.join(", "))],
                };
                if !wider.is_empty() {
                    out.push(format!("{} allows {action} on {}", where_(source, st), wider.join(", ")));
                }
            }
        }
        out
    }
}

/// Short lines for a list of (requirement, note) pairs: actions that share the
/// same note and the same resources are named together,
/// `logs:GetQueryResults, logs:StopQuery on *: not allowed by any policy`.
pub fn summarize(items: &[(&Requirement, String)]) -> Vec<String> {
    // action -> (note, resources), in first-seen order
    let mut per_action: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (req, note) in items {
        match per_action.iter_mut().find(|(a, n, _)| *a == req.action && *n == note.as_str()) {
            Some((_, _, resources)) => resources.push(&req.resource),
            None => per_action.push((&req.action, note, vec![&req.resource])),
        }
    }
    let mut groups: Vec<(Vec<&str>, &str, Vec<&str>)> = Vec::new();
    for (action, note, resources) in per_action {
        match groups.iter_mut().find(|(_, n, r)| *n == note && *r == resources) {
            Some((actions, _, _)) => actions.push(action),
            None => groups.push((vec![action], note, resources)),
        }
    }
    groups
        .into_iter()
        .map(|(actions, note, resources)| {
            let suffix = if note.is_empty() { String::new() } else { format!(": {note}") };
            format!("{} on {}{suffix}", actions.join(", "), resources.join(", "))
        })
        .collect()
}

/// What `actual` allows beyond `desired`, one line per statement of `actual`:
/// the action and resource patterns that no Allow statement of `desired` covers.
pub fn beyond(actual: &PolicyDocument, desired: &PolicyDocument) -> Vec<String> {
    let mut out = Vec::new();
    for st in actual.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let (Patterns::Only(actions), Patterns::Only(resources)) = (&st.actions, &st.resources) else {
            out.push(format!("{} uses NotAction/NotResource", st.label()));
            continue;
        };
        let (mut extra_actions, mut extra_resources) = (Vec::new(), Vec::new());
        for action in actions {
            for resource in resources {
                let covered = desired.statements.iter().any(|d| {
                    d.effect == Effect::Allow
                        && d.condition.is_none()
                        && grants_action(&d.actions, action)
                        && match &d.resources {
                            Patterns::Only(list) => list.iter().any(|r| covers(r, resource, false)),
                            Patterns::AllExcept(list) => !list.iter().any(|r| overlaps(r, resource, false)),
                        }
                });
                if !covered {
                    if !extra_actions.contains(action) {
                        extra_actions.push(action.clone());
                    }
                    if !extra_resources.contains(resource) {
                        extra_resources.push(resource.clone());
                    }
                }
            }
        }
        if !extra_actions.is_empty() {
            out.push(format!("{}: {} on {}", st.label(), extra_actions.join(", "), extra_resources.join(", ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*";

    fn source(name: &str, json: &str) -> Source {
        Source { name: name.into(), doc: PolicyDocument::parse(json).unwrap() }
    }

    fn principal(policies: Vec<Source>) -> Principal {
        Principal { policies, ..Default::default() }
    }

    #[test]
    fn allow_with_wildcards_grants() {
        let p = principal(vec![source(
            "managed",
            r#"{"Statement":[{"Effect":"Allow","Action":"logs:Start*","Resource":"arn:aws:logs:*:*:log-group:*"}]}"#,
        )]);
        assert!(p.evaluate("logs:StartQuery", QUERY).is_allowed());
        assert_eq!(p.evaluate("logs:StopQuery", QUERY), Verdict::NotAllowed);
    }

    #[test]
    fn a_narrower_resource_does_not_grant_the_whole_prefix() {
        let p = principal(vec![source(
            "m",
            &format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":"logs:StartQuery","Resource":"{}"}}]}}"#,
                QUERY.replace("/comafi/*", "/comafi/audit/*")
            ),
        )]);
        assert_eq!(p.evaluate("logs:StartQuery", QUERY), Verdict::NotAllowed);
    }

    #[test]
    fn explicit_deny_wins_over_any_allow() {
        let p = principal(vec![
            source("admin", r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
            source(
                "inline guard",
                r#"{"Statement":[{"Sid":"NoQueries","Effect":"Deny","Action":"logs:StartQuery","Resource":"arn:aws:logs:*:*:log-group:/comafi/audit/*"}]}"#,
            ),
        ]);
        match p.evaluate("logs:StartQuery", QUERY) {
            Verdict::Denied { by, doubt, .. } => {
                assert_eq!(by, "statement \"NoQueries\" of inline guard");
                assert_eq!(doubt, None);
            }
            other => panic!("expected a denial, got {other:?}"),
        }
        assert!(p.evaluate("logs:StopQuery", QUERY).is_allowed());
    }

    #[test]
    fn not_action_and_not_resource() {
        let p = principal(vec![source(
            "m",
            r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:logs:*"}]}"#,
        )]);
        assert!(p.evaluate("logs:StartQuery", QUERY).is_allowed());
        assert_eq!(p.evaluate("iam:CreateRole", "arn:aws:logs:x").clone(), Verdict::NotAllowed);
        assert!(matches!(p.evaluate("s3:GetObject", "arn:aws:s3:::b/k"), Verdict::Denied { .. }));
    }

    #[test]
    fn conditions_never_prove_a_grant() {
        let p = principal(vec![source(
            "m",
            r#"{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#,
        )]);
        assert_eq!(
            p.evaluate("logs:StartQuery", QUERY),
            Verdict::Unproven { by: vec!["statement #1 of m allows it only under its Condition".into()] }
        );
    }

    #[test]
    fn permissions_split_across_policies_are_combined() {
        let p = principal(vec![
            source("inline", r#"{"Statement":[{"Effect":"Allow","Action":["logs:StartQuery"],"Resource":"*"}]}"#),
            source("managed", r#"{"Statement":[{"Effect":"Allow","Action":["logs:StopQuery"],"Resource":"*"}]}"#),
        ]);
        assert!(p.evaluate("logs:StartQuery", QUERY).is_allowed());
        assert!(p.evaluate("logs:StopQuery", QUERY).is_allowed());
    }

    #[test]
    fn grants_beyond_names_the_wide_statement() {
        let roles = vec!["arn:aws:iam::1:role/app".to_string(), "arn:aws:iam::1:role/exec".to_string()];
        let exact = principal(vec![source(
            "deploy",
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::1:role/app","arn:aws:iam::1:role/exec"]}]}"#,
        )]);
        assert!(exact.grants_beyond("iam:PassRole", &roles).is_empty());
        let wide = principal(vec![source(
            "deploy",
            r#"{"Statement":[{"Sid":"Pass","Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
        )]);
        assert_eq!(
            wide.grants_beyond("iam:PassRole", &roles),
            vec!["statement \"Pass\" of deploy allows iam:PassRole on *"]
        );
    }

    #[test]
    fn boundary_limits_what_policies_grant() {
        let mut p =
            principal(vec![source("admin", r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)]);
        p.boundary =
            Some(source("boundary b", r#"{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#));
        assert!(p.evaluate("logs:StartQuery", QUERY).is_allowed());
        assert_eq!(p.evaluate("bedrock:InvokeModel", "*"), Verdict::OutsideBoundary { boundary: "boundary b".into() });
    }

    #[test]
    fn fix_groups_missing_pairs_by_statement() {
        let doc = PolicyDocument::parse(&format!(r#"{{"Statement":[{{"Sid":"Q","Effect":"Allow","Action":["logs:StartQuery","logs:StopQuery"],"Resource":["{QUERY}"]}},{{"Sid":"M","Effect":"Allow","Action":"cloudwatch:PutMetricData","Resource":"*"}}]}}"#)).unwrap();
        let reqs = requirements(&doc).unwrap();
        assert_eq!(reqs.len(), 3);
        let missing: Vec<&Requirement> = reqs.iter().collect();
        let fix = fix_document(&missing);
        assert_eq!(fix["Statement"][0]["Sid"], "Q");
        assert_eq!(fix["Statement"][0]["Action"], json!(["logs:StartQuery", "logs:StopQuery"]));
        assert_eq!(fix["Statement"][1]["Resource"], json!(["*"]));
    }

    #[test]
    fn summaries_name_shared_resources_once() {
        let r = |a: &str, res: &str| Requirement { action: a.into(), resource: res.into(), sid: None };
        let (a, b, c) = (r("logs:GetQueryResults", "*"), r("logs:StopQuery", "*"), r("logs:StartQuery", "arn:g"));
        let denied = "denied".to_string();
        let items = vec![(&a, String::new()), (&b, String::new()), (&c, String::new()), (&c, denied.clone())];
        assert_eq!(
            summarize(&items),
            vec![
                "logs:GetQueryResults, logs:StopQuery on *",
                "logs:StartQuery on arn:g",
                "logs:StartQuery on arn:g: denied"
            ]
        );
        let d = r("logs:StartQuery", "arn:h");
        assert_eq!(summarize(&[(&c, String::new()), (&d, String::new())]), vec!["logs:StartQuery on arn:g, arn:h"]);
    }

    #[test]
    fn beyond_reports_extra_grants() {
        let desired = PolicyDocument::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"logs:StartQuery","Resource":"arn:aws:logs:*"}]}"#,
        )
        .unwrap();
        let same = PolicyDocument::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"LOGS:StartQuery","Resource":"arn:aws:logs:x"}]}"#,
        )
        .unwrap();
        assert!(beyond(&same, &desired).is_empty());
        let wide =
            PolicyDocument::parse(r#"{"Statement":[{"Sid":"All","Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#)
                .unwrap();
        assert_eq!(beyond(&wide, &desired), vec!["statement \"All\": logs:* on *"]);
    }

    #[test]
    fn a_star_requirement_is_a_request_on_the_text_star() {
        // Actions without resource-level permissions: a Deny on other log groups is not about them.
        let scoped = |deny: &str| {
            principal(vec![
                source(
                    "runtime",
                    r#"{"Statement":[{"Effect":"Allow","Action":"logs:GetQueryResults","Resource":"*"}]}"#,
                ),
                source(
                    "guard",
                    &format!(r#"{{"Statement":[{{"Sid":"G","Effect":"Deny","Action":"logs:*",{deny}}}]}}"#),
                ),
            ])
        };
        let other = scoped(r#""Resource":"arn:aws:logs:us-east-1:1:log-group:/billing/*""#);
        assert!(other.evaluate("logs:GetQueryResults", "*").is_allowed());
        // ...but it still is about a pattern requirement it overlaps.
        assert!(matches!(
            other.evaluate("logs:StartQuery", "arn:aws:logs:us-east-1:1:log-group:*"),
            Verdict::Denied { .. }
        ));
        for deny in
            [r#""Resource":"*""#, r#""Resource":"?""#, r#""NotResource":"arn:aws:logs:*:*:log-group:/comafi/*""#]
        {
            assert!(matches!(scoped(deny).evaluate("logs:GetQueryResults", "*"), Verdict::Denied { .. }), "{deny}");
        }
        // Only a Resource matching the text `*` grants it; a NotResource that leaves it out does too.
        for (allow, granted) in [
            (r#""Resource":"arn:aws:logs:*""#, false),
            (r#""Resource":"arn:aws:logs:us-east-1:1:log-group:/comafi/*""#, false),
            (r#""Resource":["arn:x","*"]"#, true),
            (r#""NotResource":"arn:aws:s3:::secret/*""#, true),
        ] {
            let p = principal(vec![source(
                "m",
                &format!(r#"{{"Statement":[{{"Effect":"Allow","Action":"logs:StopQuery",{allow}}}]}}"#),
            )]);
            assert_eq!(p.evaluate("logs:StopQuery", "*").is_allowed(), granted, "{allow}");
        }
    }

    fn user_vars() -> Variables {
        Variables::user("1", "arn:aws:iam::1:user/ana", "ana", Some("AIDA1"), [("team", "ai")])
    }

    fn with_vars(json: &str) -> Principal {
        Principal { policies: vec![source("m", json)], boundary: None, vars: user_vars() }
    }

    #[test]
    fn variables_resolve_to_what_is_known_of_the_principal() {
        let p = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"},{"Sid":"D","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/secret/*"}]}"#,
        );
        assert!(matches!(p.evaluate("s3:GetObject", "arn:aws:s3:::home/ana/*"), Verdict::Denied { doubt: None, .. }));
        assert!(p.evaluate("s3:GetObject", "arn:aws:s3:::home/ana/public/*").is_allowed());
        assert_eq!(p.evaluate("s3:GetObject", "arn:aws:s3:::home/bob/*"), Verdict::NotAllowed);
        // Before Version 2012-10-17 a variable is plain text.
        let old = with_vars(
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#,
        );
        assert_eq!(old.evaluate("s3:GetObject", "arn:aws:s3:::home/ana/*"), Verdict::NotAllowed);
        // A tag the principal lacks: the entry matches nothing; its default is used when given.
        let absent = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/cost}/*"}]}"#,
        );
        assert!(absent.evaluate("s3:GetObject", "arn:aws:s3:::b/*").is_allowed());
        let default = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/cost, 'b'}/*"}]}"#,
        );
        assert!(matches!(default.evaluate("s3:GetObject", "arn:aws:s3:::b/*"), Verdict::Denied { doubt: None, .. }));
    }

    #[test]
    fn unknown_variables_never_prove_a_grant_and_make_a_deny_possible() {
        let allow = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"R","Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:${aws:RequestedRegion}:1:log-group:/comafi/*"}]}"#,
        );
        assert_eq!(
            allow.evaluate("logs:StartQuery", QUERY.replace("123456789012", "1").as_str()),
            Verdict::Unproven { by: vec!["statement \"R\" of m allows it only if ${aws:RequestedRegion} has a matching value, which preflight cannot resolve".into()] }
        );
        // A value that could never match is no candidate at all.
        assert_eq!(
            allow.evaluate("logs:StartQuery", "arn:aws:logs:us-east-1:2:log-group:/comafi/*"),
            Verdict::NotAllowed
        );
        let deny = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"D","Effect":"Deny","Action":"logs:*","Resource":"arn:aws:logs:us-east-1:1:log-group:${aws:SourceVpc}"}]}"#,
        );
        match deny.evaluate("logs:StartQuery", "arn:aws:logs:us-east-1:1:log-group:/comafi/*") {
            Verdict::Denied { doubt: Some(why), .. } => assert!(why.contains("${aws:SourceVpc}"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(deny.evaluate("logs:StartQuery", "arn:aws:logs:us-east-1:2:log-group:/comafi/*").is_allowed());
        // A certain Deny is named before a possible one.
        let both = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Maybe","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::${aws:SourceVpc}"},{"Sid":"Sure","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
        );
        assert!(
            matches!(both.evaluate("s3:GetObject", "arn:aws:s3:::b"), Verdict::Denied { by, doubt: None, .. } if by.contains("Sure"))
        );
    }

    #[test]
    fn escapes_are_literal_characters() {
        let p = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}"},{"Effect":"Allow","Action":"logs:StopQuery","Resource":"${*}"}]}"#,
        );
        assert_eq!(p.evaluate("s3:GetObject", "arn:aws:s3:::b/*"), Verdict::NotAllowed);
        assert_eq!(p.evaluate("s3:GetObject", "arn:aws:s3:::b/x"), Verdict::NotAllowed);
        // The request's resource `*` is the text `*`: `${*}` is exactly that.
        assert!(p.evaluate("logs:StopQuery", "*").is_allowed());
    }
}
