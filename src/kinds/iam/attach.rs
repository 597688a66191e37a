//! `iam.attach_policy` (action): a managed policy attached to a role or user.

use serde::Deserialize;

use super::read::{PrincipalKind, attached, policy_arn, principal_arn};
use super::root_path;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub principal_kind: String,
    pub principal_name: String,
    pub policy_name: String,
    #[serde(default = "root_path")]
    pub policy_path: String,
}

impl KindParams for Params {}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let policy = policy_arn(x, &p.policy_path, &p.policy_name);
    let target = principal_arn(x, kind, &p.principal_name);
    // A principal that does not exist yet (a plan before its step ran) has nothing attached.
    let current = attached(x, kind, &p.principal_name).await?.unwrap_or_default();
    if current.iter().any(|a| a.policy_arn() == Some(policy.as_str())) {
        x.note(format!("{} is already attached to {} {}", p.policy_name, kind.word(), p.principal_name));
        return Ok(());
    }
    let iam = x.aws.iam().clone();
    let detail = format!("attach {} to {} {}", p.policy_name, kind.word(), p.principal_name);
    match kind {
        PrincipalKind::Role => x
            .change(
                Op::new("iam", "AttachRolePolicy", &target),
                detail,
                iam.attach_role_policy().role_name(&p.principal_name).policy_arn(&policy).send(),
            )
            .await
            .map(|_| ())?,
        PrincipalKind::User => x
            .change(
                Op::new("iam", "AttachUserPolicy", &target),
                detail,
                iam.attach_user_policy().user_name(&p.principal_name).policy_arn(&policy).send(),
            )
            .await
            .map(|_| ())?,
    }
    Ok(())
}

/// `iam.ensure_attached_policy` (action): the customer-managed policy of
/// `iam.ensure_policy`, then attached as `iam.attach_policy` does; for steps
/// where the policy exists only for this one principal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyParams {
    pub principal_kind: String,
    pub principal_name: String,
    pub policy_name: String,
    /// Asset path of the policy document.
    pub document: String,
    #[serde(default = "root_path")]
    pub policy_path: String,
    pub description: Option<String>,
}

impl KindParams for PolicyParams {
    fn assets(&self) -> Vec<String> {
        vec![self.document.clone()]
    }
}

pub async fn ensure_with_policy(x: &mut Exec, p: PolicyParams) -> Result<(), AwsError> {
    let policy = super::policy::Params {
        name: p.policy_name.clone(),
        document: p.document,
        path: p.policy_path.clone(),
        description: p.description,
    };
    super::policy::ensure(x, policy).await?;
    ensure(
        x,
        Params {
            principal_kind: p.principal_kind,
            principal_name: p.principal_name,
            policy_name: p.policy_name,
            policy_path: p.policy_path,
        },
    )
    .await
}

fn attach_ops(x: &Exec, kind: PrincipalKind, name: &str) -> Vec<Op> {
    let target = principal_arn(x, kind, name);
    let (list, attach) = match kind {
        PrincipalKind::Role => ("ListAttachedRolePolicies", "AttachRolePolicy"),
        PrincipalKind::User => ("ListAttachedUserPolicies", "AttachUserPolicy"),
    };
    vec![Op::new("iam", list, &target), Op::new("iam", attach, &target)]
}

/// The calls of [`ensure`]: what is attached, then the attachment.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(attach_ops(x, PrincipalKind::parse(&p.principal_kind)?, &p.principal_name))
}

/// The calls of [`ensure_with_policy`]: those of `iam.ensure_policy`, then of the attachment.
pub fn ensure_with_policy_calls(x: &Exec, p: &PolicyParams) -> Result<Vec<Op>, AwsError> {
    let policy = super::policy::Params {
        name: p.policy_name.clone(),
        document: p.document.clone(),
        path: p.policy_path.clone(),
        description: None,
    };
    let mut out = super::policy::ensure_calls(x, &policy)?;
    out.extend(attach_ops(x, PrincipalKind::parse(&p.principal_kind)?, &p.principal_name));
    Ok(out)
}
