//! Local evaluation of identity policies, the way IAM decides within one
//! account: an explicit Deny wins, then any Allow grants, otherwise the request
//! is implicitly denied; a permissions boundary must allow it as well.
//! A Condition is decided against what the request is known to carry (the
//! requirement's own Condition says it: `iam:PassedToService` of a PassRole);
//! one that cannot be decided never counts as a grant and counts as a possible
//! denial. Policy variables are resolved from what is known of the principal,
//! and one that is not known weighs like a condition.
//!
//! What a request names is what AWS checks ([`super::resources`]): an action
//! without resource-level permissions is requested on the text `*`, which only
//! a Resource matching that text grants or denies; any other required resource
//! is a pattern, narrowed to the ARNs of the action's resource types that it
//! matches, and every resource in it must be allowed.

use serde_json::{Value, json};

use super::condition::{Holds, Known, all_hold, tests};
use super::document::{Effect, Patterns, PolicyDocument, Statement};
use super::pattern::{Pattern, covers, overlaps};
use super::resources::{Scope, scope};
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
    /// The desired statement's Condition: what the request carries (and what a fix must keep).
    pub condition: Option<Value>,
}

impl Requirement {
    pub fn new(action: impl Into<String>, resource: impl Into<String>, sid: Option<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), sid, condition: None }
    }

    /// The request carries what this Condition block tests (`StringEquals iam:PassedToService …`).
    pub fn with_condition(mut self, condition: Option<Value>) -> Self {
        self.condition = condition;
        self
    }

    /// What the request is known to carry: each key the Condition pins to one value.
    pub fn context(&self) -> Vec<(String, Known)> {
        let mut out = Vec::new();
        for t in tests(self.condition.as_ref()) {
            // A set key (kms:ResourceAliases) carries at least this value: ForAnyValue tests hold on it.
            let lower = t.operator.to_ascii_lowercase();
            let op = lower.strip_prefix("foranyvalue:").unwrap_or(&lower);
            let exact = matches!(op, "stringequals" | "arnequals")
                || (matches!(op, "stringlike" | "arnlike") && t.values.iter().all(|v| !v.contains(['*', '?'])));
            if let ([value], true) = (t.values.as_slice(), exact) {
                out.push((t.key.to_ascii_lowercase(), Known::Exact(value.clone())));
            }
        }
        out
    }
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

    /// The verdict as tools read it: `allowed`, `implicitly denied`, `explicitly denied`,
    /// `possibly denied`, `unknown` or `outside the boundary`, and by what.
    pub fn to_json(&self) -> Value {
        match self {
            Verdict::Allowed { by } => json!({ "verdict": "allowed", "by": by }),
            Verdict::Denied { by, doubt: None, .. } => json!({ "verdict": "explicitly denied", "by": by }),
            Verdict::Denied { by, doubt: Some(why), .. } => {
                json!({ "verdict": "possibly denied", "by": by, "because": why })
            }
            Verdict::Unproven { by } => json!({ "verdict": "unknown", "because": by }),
            Verdict::NotAllowed => json!({ "verdict": "implicitly denied" }),
            Verdict::OutsideBoundary { boundary } => json!({ "verdict": "outside the boundary", "by": boundary }),
        }
    }
}

/// Every (action, resource) pair that the Allow statements of `doc` grant and
/// AWS checks: a pair of an action and a resource of none of its types (a
/// stream for `logs:CreateLogGroup`) is no requirement.
pub fn requirements(doc: &PolicyDocument) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for st in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let (Patterns::Only(actions), Patterns::Only(resources)) = (&st.actions, &st.resources) else {
            return Err(format!("{} uses NotAction/NotResource, which cannot be a requirement", st.label()));
        };
        for action in actions {
            for resource in resources.iter().filter(|r| super::resources::checked(action, r)) {
                out.push(
                    Requirement::new(action.clone(), resource.clone(), st.sid.clone())
                        .with_condition(st.condition.clone()),
                );
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
    /// The requests AWS makes for `action` within `resource`, one per shape.
    fn of(action: &str, resource: &str) -> Vec<Self> {
        match scope(action, resource) {
            Scope::Star => vec![Request::Star],
            Scope::Within(pieces) if !pieces.is_empty() => pieces.into_iter().map(Request::Every).collect(),
            // A pair AWS never checks is judged as written: no verdict stands on nothing.
            Scope::Within(_) | Scope::AsWritten => vec![Request::Every(Pattern::glob(resource))],
        }
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

/// Whether a statement's Condition holds for the request: None when surely,
/// Some(why not sure) when it may, Err(()) when it never does.
fn condition_holds(st: &Statement, context: &[(String, Known)]) -> Result<Option<String>, ()> {
    if st.condition.is_none() {
        return Ok(None);
    }
    let known = |key: &str| {
        let key = key.to_ascii_lowercase();
        context
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| Known::Unknown(format!("preflight cannot know the request's {key}")))
    };
    match all_hold(&tests(st.condition.as_ref()), known) {
        (Holds::Always, _) => Ok(None),
        (Holds::Never, _) => Err(()),
        (Holds::Sometimes, _) | (Holds::Unknown(_), _) => Ok(Some(String::new())),
    }
}

fn bearing(
    st: &Statement,
    action: &str,
    req: &Request,
    vars: Option<&Variables>,
    context: &[(String, Known)],
) -> Bearing {
    let fit = match st.effect {
        Effect::Allow if grants_action(&st.actions, action) => grants_resource(&st.resources, req, vars),
        Effect::Deny if touches_action(&st.actions, action) => touches_resource(&st.resources, req, vars),
        _ => Fit::No,
    };
    if fit == Fit::No {
        return Bearing::Not;
    }
    let Ok(doubt) = condition_holds(st, context) else { return Bearing::Not };
    match (fit, doubt.is_some(), &st.effect) {
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

fn decide(sources: &[Source], vars: &Variables, action: &str, req: &Request, context: &[(String, Known)]) -> Verdict {
    let vars_of = |s: &Source| s.doc.supports_variables().then_some(vars);
    let mut possible_denial = None;
    for source in sources {
        for st in source.doc.statements.iter().filter(|s| s.effect == Effect::Deny) {
            match bearing(st, action, req, vars_of(source), context) {
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
            match bearing(st, action, req, vars_of(source), context) {
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
    /// The verdict on `action` over `resource`, nothing known of the request's context.
    pub fn evaluate(&self, action: &str, resource: &str) -> Verdict {
        self.evaluate_in(action, resource, &[])
    }

    /// The verdict on a requirement: its action, over its resource, with what its Condition says the request carries.
    pub fn judge(&self, req: &Requirement) -> Verdict {
        self.evaluate_in(&req.action, &req.resource, &req.context())
    }

    /// Every request AWS makes within `resource` must be allowed; the first one that is not decides.
    pub fn evaluate_in(&self, action: &str, resource: &str, context: &[(String, Known)]) -> Verdict {
        let mut by: Vec<String> = Vec::new();
        for req in Request::of(action, resource) {
            match self.one(action, &req, context) {
                Verdict::Allowed { by: more } => {
                    for b in more {
                        if !by.contains(&b) {
                            by.push(b);
                        }
                    }
                }
                other => return other,
            }
        }
        Verdict::Allowed { by }
    }

    fn one(&self, action: &str, req: &Request, context: &[(String, Known)]) -> Verdict {
        let verdict = decide(&self.policies, &self.vars, action, req, context);
        let Some(boundary) = &self.boundary else {
            return verdict;
        };
        if !verdict.is_allowed() {
            return verdict;
        }
        match decide(std::slice::from_ref(boundary), &self.vars, action, req, context) {
            Verdict::Allowed { .. } => verdict,
            other @ (Verdict::Denied { .. } | Verdict::Unproven { .. }) => other,
            _ => Verdict::OutsideBoundary { boundary: boundary.name.clone() },
        }
    }
}

/// The smallest policy document that grants the given missing requirements,
/// one statement per statement of the desired document they come from.
pub fn fix_document(missing: &[&Requirement]) -> Value {
    type Group = (Option<String>, Option<Value>, Vec<String>, Vec<String>);
    let mut groups: Vec<Group> = Vec::new();
    for req in missing {
        let idx = match groups.iter().position(|g| g.0 == req.sid && g.1 == req.condition) {
            Some(i) => i,
            None => {
                groups.push((req.sid.clone(), req.condition.clone(), Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        let group = &mut groups[idx];
        if !group.2.contains(&req.action) {
            group.2.push(req.action.clone());
        }
        if !group.3.contains(&req.resource) {
            group.3.push(req.resource.clone());
        }
    }
    let statements: Vec<Value> = groups
        .into_iter()
        .map(|(sid, condition, actions, resources)| {
            let mut st = serde_json::Map::new();
            if let Some(sid) = sid {
                st.insert("Sid".into(), json!(sid));
            }
            st.insert("Effect".into(), json!("Allow"));
            st.insert("Action".into(), json!(actions));
            st.insert("Resource".into(), json!(resources));
            if let Some(condition) = condition {
                st.insert("Condition".into(), condition);
            }
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
/// the action and resource patterns that no Allow statement of `desired` covers
/// (a desired statement under a Condition covers only statements under the same one).
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
                        && (d.condition.is_none() || d.condition == st.condition)
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
        let r = |a: &str, res: &str| Requirement::new(a, res, None);
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
            Verdict::Unproven { by: vec!["statement \"R\" of m allows it only if ${aws:RequestedRegion} (before the ARN's resource part, where IAM substitutes no variable) has a matching value, which preflight cannot resolve".into()] }
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

    #[test]
    fn a_variable_before_the_resource_part_never_proves_a_grant() {
        let allow = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:${aws:PrincipalAccount}:log-group:/P/*"}]}"#,
        );
        // The account is known, and still IAM does not substitute it there.
        match allow.evaluate("logs:CreateLogGroup", "arn:aws:logs:us-east-1:123456789012:log-group:/P/*") {
            Verdict::Unproven { by } => assert!(by[0].contains("before the ARN's resource part"), "{by:?}"),
            other => panic!("{other:?}"),
        }
        let deny = with_vars(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"D","Effect":"Deny","Action":"logs:*","Resource":"arn:aws:logs:${aws:RequestedRegion}:123456789012:log-group:/P/*"}]}"#,
        );
        match deny.evaluate("logs:CreateLogGroup", "arn:aws:logs:us-east-1:123456789012:log-group:/P/*") {
            Verdict::Denied { doubt: Some(why), .. } => assert!(why.contains("${aws:RequestedRegion}"), "{why}"),
            other => panic!("a possible denial, named as such: {other:?}"),
        }
    }

    #[test]
    fn a_deny_on_streams_does_not_touch_log_groups() {
        let p = principal(vec![source(
            "m",
            r#"{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Sid":"NoStreams","Effect":"Deny","Action":"logs:*","Resource":"arn:aws:logs:us-east-1:1:log-group:/P/*:log-stream:*"}]}"#,
        )]);
        // A log group name holds no colon: the streams pattern never matches a group.
        assert!(p.evaluate("logs:CreateLogGroup", "arn:aws:logs:us-east-1:1:log-group:/P/*").is_allowed());
        assert!(matches!(
            p.evaluate("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:/P/*:log-stream:*"),
            Verdict::Denied { doubt: None, .. }
        ));
    }

    #[test]
    fn requirements_are_the_pairs_aws_checks() {
        let desired = PolicyDocument::parse(
            r#"{"Statement":[{"Sid":"W","Effect":"Allow","Action":["logs:CreateLogGroup","logs:PutLogEvents"],"Resource":["arn:aws:logs:us-east-1:1:log-group:/P/*","arn:aws:logs:us-east-1:1:log-group:/P/*:log-stream:*"]}]}"#,
        )
        .unwrap();
        let reqs: Vec<(String, String)> =
            requirements(&desired).unwrap().into_iter().map(|r| (r.action, r.resource)).collect();
        let group = "arn:aws:logs:us-east-1:1:log-group:/P/*".to_string();
        let streams = "arn:aws:logs:us-east-1:1:log-group:/P/*:log-stream:*".to_string();
        assert_eq!(
            reqs,
            vec![
                ("logs:CreateLogGroup".into(), group.clone()),
                ("logs:PutLogEvents".into(), group.clone()),
                ("logs:PutLogEvents".into(), streams.clone())
            ],
            "CreateLogGroup is never checked on a stream"
        );
        // Exactly what AWS checks: groups for CreateLogGroup, streams for PutLogEvents.
        let exact = principal(vec![source(
            "exact",
            r#"{"Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:1:log-group:/P/*:*"},{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:1:log-group:/P/*:log-stream:*"}]}"#,
        )]);
        for r in requirements(&desired).unwrap() {
            assert!(exact.judge(&r).is_allowed(), "{} on {}: {:?}", r.action, r.resource, exact.judge(&r));
        }
        // A log group ARN without `:*` grants nothing AWS checks.
        let bare = principal(vec![source(
            "bare",
            r#"{"Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:1:log-group:/P/app"}]}"#,
        )]);
        assert_eq!(
            bare.evaluate("logs:CreateLogGroup", "arn:aws:logs:us-east-1:1:log-group:/P/app:*"),
            Verdict::NotAllowed
        );
    }

    #[test]
    fn a_condition_the_request_is_known_to_pass_grants() {
        let desired = PolicyDocument::parse(
            r#"{"Statement":[{"Sid":"Pass","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::1:role/app","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}"#,
        )
        .unwrap();
        let req = &requirements(&desired).unwrap()[0];
        let to = |service: &str| {
            principal(vec![source(
                "deploy",
                &format!(
                    r#"{{"Statement":[{{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::1:role/*","Condition":{{"StringEquals":{{"iam:PassedToService":"{service}"}}}}}}]}}"#
                ),
            )])
        };
        assert!(to("ecs-tasks.amazonaws.com").judge(req).is_allowed());
        assert_eq!(to("lambda.amazonaws.com").judge(req), Verdict::NotAllowed);
        // Without the request's context the condition cannot be decided.
        assert!(matches!(
            to("ecs-tasks.amazonaws.com").evaluate("iam:PassRole", "arn:aws:iam::1:role/app"),
            Verdict::Unproven { .. }
        ));
        // A fix keeps the condition.
        assert_eq!(fix_document(&[req])["Statement"][0]["Condition"], desired.statements[0].raw["Condition"]);
    }

    #[test]
    fn verdicts_read_as_json() {
        assert_eq!(Verdict::NotAllowed.to_json(), json!({"verdict": "implicitly denied"}));
        let denied = Verdict::Denied { by: "statement \"D\" of m".into(), statement: json!({}), doubt: None };
        assert_eq!(denied.to_json()["verdict"], "explicitly denied");
        assert_eq!(Verdict::Unproven { by: vec!["x".into()] }.to_json()["verdict"], "unknown");
    }
}
