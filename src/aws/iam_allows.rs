//! `iam.allows` (probe): every permission the principal needs is effective,
//! judged by evaluating all of its policies locally (inline, attached, groups,
//! boundary; explicit Deny wins). With `--deep`, IAM's policy simulator is
//! asked too, and a disagreement fails the probe.

use std::collections::BTreeSet;

use aws_sdk_iam::types::PolicyEvaluationDecisionType as Decision;
use serde::Deserialize;

use super::error::{AwsError, ErrorKind, Op};
use super::exec::Exec;
use super::iam_read::{PrincipalKind, principal_arn, principal_policies};
use super::registry::KindParams;
use crate::engine::outcome::{ProbeResult, Status};
use crate::policy::{PolicyDocument, Requirement, Verdict, fix_document, requirements, summarize};

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

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        self.document.iter().cloned().collect()
    }
    fn validate(&self) -> Result<(), String> {
        if self.document.is_none() && self.require.is_empty() {
            return Err("give `document` (an asset) or at least one `require` entry".into());
        }
        Ok(())
    }
}

fn wanted(x: &Exec, p: &Params) -> Result<Vec<Requirement>, AwsError> {
    let mut out = Vec::new();
    if let Some(path) = &p.document {
        let json = x.asset_json(path)?;
        let doc = PolicyDocument::from_value(&json).map_err(|e| AwsError::other(format!("asset {path}: {e}")))?;
        out.extend(requirements(&doc).map_err(AwsError::other)?);
    }
    for r in &p.require {
        for action in &r.actions {
            for resource in &r.resources {
                out.push(Requirement { action: action.clone(), resource: resource.clone(), sid: r.sid.clone() });
            }
        }
    }
    Ok(out)
}

fn reason(v: &Verdict) -> String {
    match v {
        Verdict::Allowed { by } => format!("allowed by {}", by.join(", ")),
        Verdict::Denied { by, conditional: false, .. } => format!("explicitly denied by {by}"),
        Verdict::Denied { by, conditional: true, .. } => format!("possibly denied by {by} (a conditional Deny)"),
        Verdict::OnlyUnderCondition { by } => {
            format!("allowed only under conditions ({})", by.join(", "))
        }
        Verdict::NotAllowed => "not allowed by any policy".into(),
        Verdict::OutsideBoundary { boundary } => format!("outside the {boundary}"),
    }
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let who = format!("{} {}", kind.word(), p.principal_name);
    let required = wanted(x, &p)?;
    let Some(principal) = principal_policies(x, kind, &p.principal_name).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("{who} does not exist"))
            .with_fix(format!("create it: preflight run {}", x.checklist)));
    };
    let verdicts: Vec<(&Requirement, Verdict)> =
        required.iter().map(|r| (r, principal.evaluate(&r.action, &r.resource))).collect();
    let failed: Vec<&(&Requirement, Verdict)> = verdicts.iter().filter(|(_, v)| !v.is_allowed()).collect();
    let second = if x.deep { Some(simulate(x, kind, &p.principal_name, &verdicts).await) } else { None };

    if !failed.is_empty() {
        let lines = summarize(&failed.iter().map(|(r, v)| (*r, reason(v))).collect::<Vec<_>>());
        let mut fixes = Vec::new();
        let missing: Vec<&Requirement> =
            failed.iter().filter(|(_, v)| !matches!(v, Verdict::Denied { .. })).map(|(r, _)| *r).collect();
        if !missing.is_empty() {
            fixes.push(format!(
                "grant the missing permissions (e.g. as an inline policy of {who}, or run `preflight run {}`):\n{}",
                x.checklist,
                serde_json::to_string_pretty(&fix_document(&missing)).expect("json")
            ));
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
        return Ok(ProbeResult::new(&id, Status::Fail, message).with_fix(fixes.join("\n")));
    }

    let too_broad: Vec<String> =
        p.limit.iter().flat_map(|l| principal.grants_beyond(&l.action, &l.resources)).collect();
    if !too_broad.is_empty() {
        let allowed: Vec<String> =
            p.limit.iter().map(|l| format!("{} only on {}", l.action, l.resources.join(", "))).collect();
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("{who} has every required permission, but too broadly: {}", too_broad.join("; ")),
        )
        .with_fix(format!("narrow those statements to {}", allowed.join("; "))));
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
            return Ok(ProbeResult::new(&id, Status::Fail, message).with_fix(format!(
                "IAM's policy simulator denies what the local evaluation allows ({}); look for SCPs, session policies or conditions",
                second.disagreements.join("; ")
            )));
        }
    }
    Ok(ProbeResult::new(&id, Status::Pass, message))
}

struct SecondOpinion {
    summary: String,
    disagreements: Vec<String>,
}

/// iam:SimulatePrincipalPolicy for the same requirements, compared with the local verdicts.
async fn simulate(x: &Exec, kind: PrincipalKind, name: &str, verdicts: &[(&Requirement, Verdict)]) -> SecondOpinion {
    let arn = principal_arn(x, kind, name);
    let iam = x.aws.iam().clone();
    let resources: BTreeSet<&str> = verdicts.iter().map(|(r, _)| r.resource.as_str()).collect();
    let mut disagreements = Vec::new();
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
                };
            }
            Err(e) => {
                return SecondOpinion { summary: format!("unavailable: {e}"), disagreements };
            }
        };
        for r in results {
            checked += 1;
            let local = verdicts
                .iter()
                .find(|(q, _)| q.resource == resource && q.action.eq_ignore_ascii_case(r.eval_action_name()));
            let allowed = *r.eval_decision() == Decision::Allowed;
            if let Some((_, v)) = local
                && v.is_allowed() != allowed
            {
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
    SecondOpinion { summary, disagreements }
}
