//! Reading IAM: principals and managed policy documents (every policy that
//! applies to a principal is read in `policies`).

use aws_sdk_iam::types::{AttachedPolicy, Policy};
use serde::Deserialize;

pub use super::policies::principal_policies;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::policy::PolicyDocument;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    Role,
    User,
}

impl PrincipalKind {
    pub fn parse(text: &str) -> Result<Self, AwsError> {
        match text {
            "role" => Ok(Self::Role),
            "user" => Ok(Self::User),
            other => Err(AwsError::other(format!("principal kind must be \"role\" or \"user\", not \"{other}\""))),
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::User => "user",
        }
    }
}

pub fn principal_arn(x: &Exec, kind: PrincipalKind, name: &str) -> String {
    format!("arn:{}:iam::{}:{}/{name}", x.aws.partition(), x.aws.account_id, kind.word())
}

pub fn policy_arn(x: &Exec, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{}:policy{path}{name}", x.aws.partition(), x.aws.account_id)
}

pub(super) fn parse_doc(text: Option<&str>, what: &str) -> Result<PolicyDocument, AwsError> {
    PolicyDocument::parse_url_encoded(text.unwrap_or_default()).map_err(|e| AwsError::other(format!("{what}: {e}")))
}

/// A customer-managed policy and its default version's document, if the policy exists.
pub async fn managed_policy(x: &Exec, arn: &str) -> Result<Option<(Policy, PolicyDocument)>, AwsError> {
    let iam = x.aws.iam();
    let Some(out) =
        x.read_opt_shared(Op::new("iam", "GetPolicy", arn), arn, iam.get_policy().policy_arn(arn).send()).await?
    else {
        return Ok(None);
    };
    let policy = out.policy.ok_or_else(|| AwsError::other(format!("GetPolicy returned no policy for {arn}")))?;
    let version = policy.default_version_id().unwrap_or("v1").to_string();
    let v = x
        .read_once(
            Op::new("iam", "GetPolicyVersion", arn),
            &format!("{arn} {version}"),
            iam.get_policy_version().policy_arn(arn).version_id(&version).send(),
        )
        .await?;
    let doc =
        parse_doc(v.policy_version().and_then(|pv| pv.document()), &format!("default version {version} of {arn}"))?;
    Ok(Some((policy, doc)))
}

/// Whether the principal exists; its ARN when it does.
pub async fn principal_exists(x: &Exec, kind: PrincipalKind, name: &str) -> Result<Option<String>, AwsError> {
    let iam = x.aws.iam();
    let arn = principal_arn(x, kind, name);
    Ok(match kind {
        PrincipalKind::Role => x
            .read_opt_shared(Op::new("iam", "GetRole", &arn), name, iam.get_role().role_name(name).send())
            .await?
            .and_then(|o| o.role)
            .map(|r| r.arn),
        PrincipalKind::User => x
            .read_opt_shared(Op::new("iam", "GetUser", &arn), name, iam.get_user().user_name(name).send())
            .await?
            .and_then(|o| o.user)
            .map(|u| u.arn),
    })
}

/// The managed policies attached to a principal; None when the principal does not exist.
pub async fn attached(x: &Exec, kind: PrincipalKind, name: &str) -> Result<Option<Vec<AttachedPolicy>>, AwsError> {
    let iam = x.aws.iam();
    let arn = principal_arn(x, kind, name);
    match kind {
        PrincipalKind::Role => {
            x.read_opt_shared(
                Op::new("iam", "ListAttachedRolePolicies", &arn),
                name,
                iam.list_attached_role_policies()
                    .role_name(name)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>(),
            )
            .await
        }
        PrincipalKind::User => {
            x.read_opt_shared(
                Op::new("iam", "ListAttachedUserPolicies", &arn),
                name,
                iam.list_attached_user_policies()
                    .user_name(name)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>(),
            )
            .await
        }
    }
}

/// Every managed policy a principal may carry: the account's own and AWS's.
pub fn managed_policy_patterns(x: &Exec) -> [String; 2] {
    let partition = x.aws.partition();
    [format!("arn:{partition}:iam::{}:policy/*", x.aws.account_id), format!("arn:{partition}:iam::aws:policy/*")]
}

/// What [`managed_policy`] calls for the policy `arn` (a pattern for policies found at run time).
pub fn managed_policy_reads(arn: &str) -> Vec<Op> {
    vec![Op::new("iam", "GetPolicy", arn), Op::new("iam", "GetPolicyVersion", arn)]
}

/// What [`principal_policies`] calls for one principal: its own policies, a
/// user's groups', and the documents of the managed policies it carries.
pub fn policy_reads(x: &Exec, kind: PrincipalKind, name: &str) -> Vec<Op> {
    let arn = principal_arn(x, kind, name);
    let own: &[&'static str] = match kind {
        PrincipalKind::Role => &["GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies"],
        PrincipalKind::User => {
            &["GetUser", "ListUserPolicies", "GetUserPolicy", "ListAttachedUserPolicies", "ListGroupsForUser"]
        }
    };
    let mut out: Vec<Op> = own.iter().map(|op| Op::new("iam", op, &arn)).collect();
    if kind == PrincipalKind::User {
        let groups = format!("arn:{}:iam::{}:group/*", x.aws.partition(), x.aws.account_id);
        for op in ["ListGroupPolicies", "GetGroupPolicy", "ListAttachedGroupPolicies"] {
            out.push(Op::new("iam", op, &groups));
        }
    }
    for pattern in managed_policy_patterns(x) {
        out.extend(managed_policy_reads(&pattern));
    }
    out
}
