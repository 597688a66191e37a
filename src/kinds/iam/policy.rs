//! `iam.ensure_policy` (action) and `iam.policy_grants` (probe): a
//! customer-managed policy whose default version says what the asset says.

use aws_sdk_iam::types::PolicyVersion;
use serde::Deserialize;

use super::read::{managed_policy, managed_policy_reads, policy_arn};
use super::root_path;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Detail, Exec};
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;
use crate::policy::{PolicyDocument, Principal, Source, beyond, canonical, fix_document, requirements, summarize};

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
    /// Asset path of the policy document (a template).
    pub document: String,
    #[serde(default = "root_path")]
    pub path: String,
    pub description: Option<String>,
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        vec![self.document.clone()]
    }
}

/// The asset as it is meant (an inference profile id where a model goes: the profile and its models).
async fn desired(x: &Exec, p: &Params) -> Result<(serde_json::Value, PolicyDocument), AwsError> {
    let json = crate::kinds::bedrock::profile::expand_document(x, x.asset_json(&p.document)?).await?;
    let doc = PolicyDocument::from_value(&json).map_err(|e| AwsError::other(format!("asset {}: {e}", p.document)))?;
    Ok((json, doc))
}

/// What changes between two documents, by meaning.
pub fn describe_diff(current: &PolicyDocument, desired: &PolicyDocument) -> String {
    let added = beyond(desired, current);
    let removed = beyond(current, desired);
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("grants {}", added.join("; ")));
    }
    if !removed.is_empty() {
        parts.push(format!("stops granting {}", removed.join("; ")));
    }
    if parts.is_empty() { "statement ids, denies or conditions differ".into() } else { parts.join("; ") }
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let (json, want) = desired(x, &p).await?;
    let body = serde_json::to_string(&json).expect("json");
    let arn = policy_arn(x, &p.path, &p.name);
    x.output("policy_arn", &arn);
    let iam = x.aws.iam().clone();
    let Some((_, current)) = managed_policy(x, &arn).await? else {
        let detail =
            Detail::with_diff(format!("create the policy from {}", p.document), &serde_json::Value::Null, &json);
        let call = iam
            .create_policy()
            .policy_name(&p.name)
            .path(&p.path)
            .policy_document(&body)
            .set_description(p.description.clone())
            .set_tags(Some(super::tags(x)))
            .send();
        x.change(Op::new("iam", "CreatePolicy", &arn), detail, call).await?;
        return Ok(());
    };
    if canonical(&current) == canonical(&want) {
        x.note(format!("policy {} already has the desired document", p.name));
        return Ok(());
    }
    let versions: Vec<PolicyVersion> = x
        .read(Op::new("iam", "ListPolicyVersions", &arn), iam.list_policy_versions().policy_arn(&arn).send())
        .await?
        .versions
        .unwrap_or_default();
    if versions.len() >= MAX_VERSIONS {
        let oldest = versions
            .iter()
            .filter(|v| !v.is_default_version)
            .min_by_key(|v| v.create_date.map(|d| (d.secs(), d.subsec_nanos())));
        if let Some(id) = oldest.and_then(|v| v.version_id()) {
            let detail = format!("delete the oldest non-default version {id}: IAM keeps at most {MAX_VERSIONS}");
            x.change(
                Op::new("iam", "DeletePolicyVersion", &arn),
                detail,
                iam.delete_policy_version().policy_arn(&arn).version_id(id).send(),
            )
            .await?;
        }
    }
    let detail =
        Detail::with_diff(format!("new default version: {}", describe_diff(&current, &want)), &current.raw, &json);
    x.change(
        Op::new("iam", "CreatePolicyVersion", &arn),
        detail,
        iam.create_policy_version().policy_arn(&arn).policy_document(&body).set_as_default(true).send(),
    )
    .await?;
    Ok(())
}

pub async fn grants(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let (_, want) = desired(x, &p).await?;
    let required = requirements(&want).map_err(AwsError::other)?;
    let arn = policy_arn(x, &p.path, &p.name);
    let rerun = format!("preflight run {} --step {}", x.checklist, x.step);
    let Some((policy, current)) = managed_policy(x, &arn).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("policy {} does not exist", p.name))
            .with_fix(format!("create it: {rerun}")));
    };
    x.output("policy_arn", &arn);
    let alone = Principal {
        policies: vec![Source { name: format!("policy {}", p.name), doc: current.clone() }],
        ..Default::default()
    };
    let missing: Vec<_> = required.iter().filter(|r| !alone.judge(r).is_allowed()).collect();
    let version = policy.default_version_id().unwrap_or("?");
    if !missing.is_empty() {
        let list = summarize(&missing.iter().map(|r| (*r, String::new())).collect::<Vec<_>>());
        let fix = format!(
            "{rerun}\nor add this to the policy:\n{}",
            serde_json::to_string_pretty(&fix_document(&missing)).expect("json")
        );
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("policy {} ({version}) does not grant {}", p.name, list.join("; ")),
        )
        .with_fix(fix));
    }
    let extra = beyond(&current, &want);
    if !extra.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("policy {} ({version}) grants more than least privilege: {}", p.name, extra.join("; ")),
        )
        .with_fix(format!("replace the document with {}: {rerun}", p.document)));
    }
    Ok(ProbeResult::new(
        &id,
        Status::Pass,
        format!("policy {} ({version}) grants exactly the {} permissions of {}", p.name, required.len(), p.document),
    ))
}

/// The calls of [`ensure`]: the policy read, created, or given a new version (the oldest pruned).
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = policy_arn(x, &p.path, &p.name);
    let mut out = asset_reads(x, p)?;
    out.extend(managed_policy_reads(&arn));
    for op in ["CreatePolicy", "ListPolicyVersions", "DeletePolicyVersion", "CreatePolicyVersion"] {
        out.push(Op::new("iam", op, &arn));
    }
    Ok(out)
}

/// What reading the asset as meant calls (an inference profile's models).
fn asset_reads(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let resources = crate::kinds::bedrock::profile::resources_of(&x.asset_json(&p.document)?);
    Ok(crate::kinds::bedrock::profile::expand_calls(x, resources.iter().map(String::as_str)))
}

/// The calls of [`grants`]: the policy's default document.
pub fn grants_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = asset_reads(x, p)?;
    out.extend(managed_policy_reads(&policy_arn(x, &p.path, &p.name)));
    Ok(out)
}
