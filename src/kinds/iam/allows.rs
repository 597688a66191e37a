//! `iam.allows` (probe): every permission the principal needs is effective,
//! judged by evaluating all of its policies locally (inline, attached, groups,
//! boundary; explicit Deny wins). With `--deep`, IAM's policy simulator is
//! asked too, and a disagreement fails the probe.

use std::collections::BTreeSet;

use aws_sdk_iam::types::PolicyEvaluationDecisionType as Decision;
use serde::Deserialize;

use super::read::{PrincipalKind, policy_reads, principal_arn, principal_policies};
use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::bedrock::profile;
use crate::kinds::kind::KindParams;
use crate::policy::{PolicyDocument, Principal, Requirement, Verdict, fix_document, requirements, summarize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub principal_kind: String,
    pub principal_name: String,
    /// Asset path of a document whose Allow statements are the requirements.
    pub document: Option<String>,
    /// Requirements written out in the checklist.
    #[serde(default)]
    pub require: Vec<Require>,
    /// Actions that must not be allowed beyond the listed resources (least privilege).
    #[serde(default)]
    pub limit: Vec<Limit>,
    /// The checklist whose run grants these permissions, when it is another one.
    pub fixed_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub action: String,
    pub resources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Require {
    pub sid: Option<String>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

fn something_required(document: &Option<String>, require: &[Require]) -> Result<(), String> {
    if document.is_none() && require.is_empty() {
        return Err("give `document` (an asset) or at least one `require` entry".into());
    }
    Ok(())
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        self.document.iter().cloned().collect()
    }
    fn validate(&self) -> Result<(), String> {
        something_required(&self.document, &self.require)
    }
}

async fn wanted(x: &Exec, document: &Option<String>, require: &[Require]) -> Result<Vec<Requirement>, AwsError> {
    let mut out = Vec::new();
    if let Some(path) = document {
        let json = profile::expand_document(x, x.asset_json(path)?).await?;
        let doc = PolicyDocument::from_value(&json).map_err(|e| AwsError::other(format!("asset {path}: {e}")))?;
        out.extend(requirements(&doc).map_err(AwsError::other)?);
    }
    for r in require {
        let mut resources = Vec::new();
        for resource in &r.resources {
            resources.extend(profile::expand_resource(x, resource).await?);
        }
        for action in &r.actions {
            // Only the pairs AWS checks (an action on a resource of one of its types).
            for resource in resources.iter().filter(|res| crate::policy::resources::checked(action, res)) {
                out.push(Requirement::new(action.clone(), resource.clone(), r.sid.clone()));
            }
        }
    }
    Ok(out)
}

/// What [`wanted`] reads: the models of an inference profile named where a model goes.
fn wanted_calls(x: &Exec, document: &Option<String>, require: &[Require]) -> Result<Vec<Op>, AwsError> {
    let mut resources: Vec<String> = require.iter().flat_map(|r| r.resources.clone()).collect();
    if let Some(path) = document {
        resources.extend(profile::resources_of(&x.asset_json(path)?));
    }
    Ok(profile::expand_calls(x, resources.iter().map(String::as_str)))
}

pub fn reason(v: &Verdict) -> String {
    match v {
        Verdict::Allowed { by } => format!("allowed by {}", by.join(", ")),
        Verdict::Denied { by, doubt: None, .. } => format!("explicitly denied by {by}"),
        Verdict::Denied { by, doubt: Some(why), .. } => format!("possibly denied by {by} ({why})"),
        Verdict::Unproven { by } => format!("not proven: {}", by.join("; ")),
        Verdict::NotAllowed => "not allowed by any policy".into(),
        Verdict::OutsideBoundary { boundary } => format!("outside the {boundary}"),
    }
}

/// What grants a missing requirement, for the fix: a cure in words that names
/// the command (`run \`preflight run secrets --step read-access\``), or the
/// profile's change and then the command; None when nothing preflight runs
/// grants it (the caller's own permissions).
pub type Grants<'a> = &'a (dyn Fn(&Requirement) -> Option<String> + Send + Sync);

/// The cure of every requirement a checklist's run grants: `run \`preflight run ARGS\``.
pub fn run_grants(args: &str) -> impl Fn(&Requirement) -> Option<String> + Send + Sync + use<> {
    let cure = format!("run `preflight run {args}`");
    move |_| Some(cure.clone())
}

/// Whether a principal may do everything `required` says (local evaluation of
/// all its policies, a fix statement on failure); for kinds that compute
/// their requirements. A principal that does not exist fails, naming the
/// `preflight run` arguments that create it (`created_by`); a missing
/// permission names what grants it (`grants`).
pub async fn may(
    x: &mut Exec,
    id: String,
    kind: PrincipalKind,
    name: &str,
    required: &[Requirement],
    created_by: &str,
    grants: Grants<'_>,
) -> Result<ProbeResult, AwsError> {
    let Some(principal) = principal_policies(x, kind, name).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("{} {name} does not exist", kind.word()))
            .with_fix(format!("create it: preflight run {created_by}")));
    };
    judge(x, id, kind, name, &principal, Wanted { required, limits: &[], grants }).await
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let who = format!("{} {}", kind.word(), p.principal_name);
    let required = wanted(x, &p.document, &p.require).await?;
    let Some(principal) = principal_policies(x, kind, &p.principal_name).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("{who} does not exist"))
            .with_fix(format!("create it: preflight run {}", p.fixed_by.as_deref().unwrap_or(&x.checklist))));
    };
    let grants = run_grants(p.fixed_by.as_deref().unwrap_or(&x.checklist));
    judge(x, id, kind, &p.principal_name, &principal, Wanted { required: &required, limits: &p.limit, grants: &grants })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerParams {
    /// Asset path of a document whose Allow statements are the requirements.
    pub document: Option<String>,
    #[serde(default)]
    pub require: Vec<Require>,
}

impl KindParams for CallerParams {
    fn assets(&self) -> Vec<String> {
        self.document.iter().cloned().collect()
    }
    fn validate(&self) -> Result<(), String> {
        something_required(&self.document, &self.require)
    }
}

/// The role or user behind the caller's ARN (`…:user/NAME`, `…:assumed-role/NAME/session`).
pub fn caller_principal(arn: &str) -> Option<(PrincipalKind, String)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match parts.next()? {
        "user" => parts.next_back().map(|n| (PrincipalKind::User, n.to_string())),
        "assumed-role" => parts.next().map(|n| (PrincipalKind::Role, n.to_string())),
        _ => None,
    }
}

/// What is known of the caller's policies.
pub enum Caller {
    /// The account's root user, which may do everything.
    Root,
    /// The role or user behind the caller, and every policy in force for it.
    Read { kind: PrincipalKind, name: String, principal: Box<Principal> },
    /// They cannot be read: why.
    Unreadable(String),
}

/// Reads the policies of whoever runs preflight (the user, or the role behind an assumed-role session).
pub async fn read_caller(x: &Exec) -> Result<Caller, AwsError> {
    let arn = x.aws.principal_arn.clone();
    if arn.ends_with(":root") {
        return Ok(Caller::Root);
    }
    let Some((kind, name)) = caller_principal(&arn) else {
        return Ok(Caller::Unreadable(format!("cannot tell which IAM policies apply to the caller {arn}")));
    };
    let mut principal = match principal_policies(x, kind, &name).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Ok(Caller::Unreadable(format!(
                "the caller {arn} is not an IAM {} that preflight can read",
                kind.word()
            )));
        }
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            return Ok(Caller::Unreadable(format!("the caller may not read its own policies ({e})")));
        }
        Err(e) => return Err(e),
    };
    if kind == PrincipalKind::Role {
        // The caller's session (SSO, say) may carry tags of its own: the role's tags are not its tags.
        principal.vars = principal.vars.without_principal_tags();
    }
    Ok(Caller::Read { kind, name, principal: Box::new(principal) })
}

/// `iam.caller_allows` (probe): the same judgement for whoever runs preflight.
/// When their policies cannot be read, the probe is manual, not failed.
pub async fn probe_caller(x: &mut Exec, id: String, p: CallerParams) -> Result<ProbeResult, AwsError> {
    let required = wanted(x, &p.document, &p.require).await?;
    let (kind, name, principal) = match read_caller(x).await? {
        Caller::Root => {
            return Ok(ProbeResult::new(
                &id,
                Status::Pass,
                "the caller is the account's root user, which may do everything (use an IAM role for day-to-day work)",
            ));
        }
        Caller::Unreadable(why) => {
            return Ok(ProbeResult::new(&id, Status::Manual, why).with_fix(manual_fix(x, &required)));
        }
        Caller::Read { kind, name, principal } => (kind, name, principal),
    };
    // Nothing preflight runs grants the caller its own permissions: whoever administers them does.
    let grants = |_: &Requirement| None;
    judge(x, id, kind, &name, &principal, Wanted { required: &required, limits: &[], grants: &grants }).await
}

fn manual_fix(x: &Exec, required: &[Requirement]) -> String {
    let refs: Vec<&Requirement> = required.iter().collect();
    format!(
        "make sure the caller is allowed\n{}\nthen record it: preflight confirm {} --step {}",
        serde_json::to_string_pretty(&fix_document(&refs)).expect("json"),
        x.checklist,
        x.step
    )
}

/// What a principal must be allowed, at most, and what grants it.
struct Wanted<'a> {
    required: &'a [Requirement],
    limits: &'a [Limit],
    grants: Grants<'a>,
}

/// The fix for missing permissions: what grants each (one cure for all, or a
/// line per cure naming its actions), then the statement granting them by hand.
fn grant_fix(who: &str, missing: &[&Requirement], grants: Grants<'_>) -> String {
    let statement = serde_json::to_string_pretty(&fix_document(missing)).expect("json");
    // Each cure and the actions it grants, in the order of the requirements.
    let mut cures: Vec<(String, Vec<&str>)> = Vec::new();
    let mut uncured = false;
    for r in missing {
        let Some(cure) = grants(r) else {
            uncured = true;
            continue;
        };
        match cures.iter_mut().find(|(c, _)| *c == cure) {
            Some((_, actions)) if actions.contains(&r.action.as_str()) => {}
            Some((_, actions)) => actions.push(&r.action),
            None => cures.push((cure, vec![&r.action])),
        }
    }
    let mut out = String::new();
    match (cures.as_slice(), uncured) {
        ([], _) => {}
        ([(cure, _)], false) => out.push_str(&format!("{cure}: it grants them\n")),
        _ => {
            for (cure, actions) in &cures {
                out.push_str(&format!("for {}: {cure}\n", actions.join(", ")));
            }
        }
    }
    if cures.is_empty() {
        out.push_str(&format!("grant them to {who} (e.g. as an inline policy):\n{statement}"));
    } else {
        out.push_str(&format!("or grant them by hand (e.g. as an inline policy of {who}):\n{statement}"));
    }
    out
}

/// Evaluates the requirements (and limits) for one principal whose policies are known.
async fn judge(
    x: &mut Exec,
    id: String,
    kind: PrincipalKind,
    name: &str,
    principal: &crate::policy::Principal,
    wanted: Wanted<'_>,
) -> Result<ProbeResult, AwsError> {
    let Wanted { required, limits, grants } = wanted;
    let who = format!("{} {name}", kind.word());
    let verdicts: Vec<(&Requirement, Verdict)> = required.iter().map(|r| (r, principal.judge(r))).collect();
    let failed: Vec<&(&Requirement, Verdict)> = verdicts.iter().filter(|(_, v)| !v.is_allowed()).collect();
    // Each pair's verdict, for tools (`verify --json`): the message says the same in words.
    let pairs: Vec<serde_json::Value> = verdicts
        .iter()
        .map(|(r, v)| {
            let mut pair = serde_json::json!({ "action": r.action, "resource": r.resource });
            if let Some(sid) = &r.sid {
                pair["statement"] = serde_json::json!(sid);
            }
            if let Some(c) = &r.condition {
                pair["condition"] = c.clone();
            }
            if let serde_json::Value::Object(more) = v.to_json() {
                pair.as_object_mut().expect("an object").extend(more);
            }
            pair
        })
        .collect();
    let second = if x.probing.deep { Some(simulate(x, kind, name, &verdicts).await) } else { None };

    if !failed.is_empty() {
        let lines = summarize(&failed.iter().map(|(r, v)| (*r, reason(v))).collect::<Vec<_>>());
        let mut fixes = Vec::new();
        let missing: Vec<&Requirement> =
            failed.iter().filter(|(_, v)| !matches!(v, Verdict::Denied { .. })).map(|(r, _)| *r).collect();
        if !missing.is_empty() {
            fixes.push(grant_fix(&who, &missing, grants));
        }
        let mut shown = BTreeSet::new();
        for (_, v) in &failed {
            if let Verdict::Denied { by, statement, .. } = v
                && shown.insert(by.clone())
            {
                fixes.push(format!(
                    "remove or narrow the Deny ({by}):\n{}",
                    serde_json::to_string_pretty(statement).expect("json")
                ));
            }
        }
        let mut message =
            format!("{who} may not do {} of {} required actions: {}", failed.len(), required.len(), lines.join("; "));
        if let Some(second) = second {
            message.push_str(&format!(" [simulator: {}]", second.summary));
        }
        return Ok(ProbeResult::new(&id, Status::Fail, message).with_fix(fixes.join("\n")).with_pairs(pairs));
    }

    let too_broad: Vec<String> = limits.iter().flat_map(|l| principal.grants_beyond(&l.action, &l.resources)).collect();
    if !too_broad.is_empty() {
        let allowed: Vec<String> =
            limits.iter().map(|l| format!("{} only on {}", l.action, l.resources.join(", "))).collect();
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("{who} has every required permission, but too broadly: {}", too_broad.join("; ")),
        )
        .with_fix(format!("narrow those statements to {}", allowed.join("; ")))
        .with_pairs(pairs));
    }
    let sources: BTreeSet<String> = principal
        .policies
        .iter()
        .filter(|s| {
            verdicts
                .iter()
                .any(|(_, v)| matches!(v, Verdict::Allowed { by } if by.iter().any(|b| b.ends_with(&s.name))))
        })
        .map(|s| s.name.clone())
        .collect();
    let mut message = format!(
        "{who} may do all {} required actions (granted by {})",
        required.len(),
        sources.into_iter().collect::<Vec<_>>().join(", ")
    );
    if let Some(second) = second {
        message.push_str(&format!(" [simulator: {}]", second.summary));
        if !second.disagreements.is_empty() {
            return Ok(ProbeResult::new(&id, Status::Fail, message)
                .with_fix(format!(
                    "IAM's policy simulator denies what the local evaluation allows ({}); look for SCPs, session policies or conditions",
                    second.disagreements.join("; ")
                ))
                .with_pairs(pairs));
        }
    }
    Ok(ProbeResult::new(&id, Status::Pass, message).with_pairs(pairs))
}

pub struct SecondOpinion {
    pub summary: String,
    pub disagreements: Vec<String>,
    /// (action, resource) the simulator denies although the local evaluation allows them.
    pub denied: Vec<(String, String)>,
}

/// iam:SimulatePrincipalPolicy for the same requirements, compared with the local verdicts.
pub async fn simulate(
    x: &Exec,
    kind: PrincipalKind,
    name: &str,
    verdicts: &[(&Requirement, Verdict)],
) -> SecondOpinion {
    let arn = principal_arn(x, kind, name);
    let iam = x.aws.iam().clone();
    let resources: BTreeSet<&str> = verdicts.iter().map(|(r, _)| r.resource.as_str()).collect();
    let mut disagreements = Vec::new();
    let mut denied = Vec::new();
    let mut checked = 0;
    for resource in resources {
        let actions: Vec<String> =
            verdicts.iter().filter(|(r, _)| r.resource == resource).map(|(r, _)| r.action.clone()).collect();
        let call = iam
            .simulate_principal_policy()
            .policy_source_arn(&arn)
            .set_action_names(Some(actions))
            .resource_arns(resource)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>();
        let results = match x.read(Op::new("iam", "SimulatePrincipalPolicy", &arn), call).await {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::AccessDenied => {
                return SecondOpinion {
                    summary: "unavailable: the caller may not call iam:SimulatePrincipalPolicy".into(),
                    disagreements,
                    denied,
                };
            }
            Err(e) => {
                return SecondOpinion { summary: format!("unavailable: {e}"), disagreements, denied };
            }
        };
        for r in results {
            checked += 1;
            let local = verdicts
                .iter()
                .find(|(q, _)| q.resource == resource && q.action.eq_ignore_ascii_case(r.eval_action_name()));
            let allowed = *r.eval_decision() == Decision::Allowed;
            if let Some((q, v)) = local
                && v.is_allowed() != allowed
            {
                if v.is_allowed() {
                    denied.push((q.action.clone(), resource.to_string()));
                }
                disagreements.push(format!(
                    "{} on {resource}: simulator says {}, local evaluation says {}",
                    r.eval_action_name(),
                    r.eval_decision().as_str(),
                    reason(v)
                ));
            }
        }
    }
    let summary = if disagreements.is_empty() {
        format!("agrees on {checked} checks")
    } else {
        format!("disagrees on {} of {checked} checks", disagreements.len())
    };
    SecondOpinion { summary, disagreements, denied }
}

/// The reads that judge a principal: its policies, and with `--deep` the simulator.
pub fn judge_calls(x: &Exec, kind: PrincipalKind, name: &str) -> Vec<Op> {
    let mut out = policy_reads(x, kind, name);
    if x.probing.deep {
        out.push(Op::new("iam", "SimulatePrincipalPolicy", principal_arn(x, kind, name)));
    }
    out
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = wanted_calls(x, &p.document, &p.require)?;
    out.extend(judge_calls(x, PrincipalKind::parse(&p.principal_kind)?, &p.principal_name));
    Ok(out)
}

/// The principal whose policies the caller's reads name: a user by the policy
/// variable `${aws:username}` (one document serves every user it is attached to),
/// a role by its name; None for the root user or a caller preflight cannot read.
pub fn caller_as_named(x: &Exec) -> Option<(PrincipalKind, String)> {
    match caller_principal(&x.aws.principal_arn)? {
        (PrincipalKind::User, _) => Some((PrincipalKind::User, CALLER_USER.into())),
        other => Some(other),
    }
}

/// How a policy names the user who makes the request.
pub const CALLER_USER: &str = "${aws:username}";

/// What reading the caller's own policies calls (the check before a run, `iam.caller_allows`).
pub fn caller_reads(x: &Exec) -> Vec<Op> {
    match caller_as_named(x) {
        Some((kind, name)) => judge_calls(x, kind, &name),
        None => Vec::new(),
    }
}

/// The calls of [`probe_caller`].
pub fn probe_caller_calls(x: &Exec, p: &CallerParams) -> Result<Vec<Op>, AwsError> {
    let mut out = wanted_calls(x, &p.document, &p.require)?;
    out.extend(caller_reads(x));
    Ok(out)
}
