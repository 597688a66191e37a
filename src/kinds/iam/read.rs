//! Reading IAM: principals, managed policy documents, and every policy that
//! applies to a principal (inline, attached managed, its groups', boundary).

use aws_sdk_iam::types::{AttachedPolicy, Policy};
use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::policy::{PolicyDocument, Principal, Source, Variables};

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

fn parse_doc(text: Option<&str>, what: &str) -> Result<PolicyDocument, AwsError> {
    PolicyDocument::parse_url_encoded(text.unwrap_or_default()).map_err(|e| AwsError::other(format!("{what}: {e}")))
}

/// A customer-managed policy and its default version's document, if the policy exists.
pub async fn managed_policy(x: &Exec, arn: &str) -> Result<Option<(Policy, PolicyDocument)>, AwsError> {
    let iam = x.aws.iam();
    let Some(out) = x.read_opt(Op::new("iam", "GetPolicy", arn), iam.get_policy().policy_arn(arn).send()).await? else {
        return Ok(None);
    };
    let policy = out.policy.ok_or_else(|| AwsError::other(format!("GetPolicy returned no policy for {arn}")))?;
    let version = policy.default_version_id().unwrap_or("v1").to_string();
    let v = x
        .read(
            Op::new("iam", "GetPolicyVersion", arn),
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
            .read_opt(Op::new("iam", "GetRole", &arn), iam.get_role().role_name(name).send())
            .await?
            .and_then(|o| o.role)
            .map(|r| r.arn),
        PrincipalKind::User => x
            .read_opt(Op::new("iam", "GetUser", &arn), iam.get_user().user_name(name).send())
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
            x.read_opt(
                Op::new("iam", "ListAttachedRolePolicies", &arn),
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
            x.read_opt(
                Op::new("iam", "ListAttachedUserPolicies", &arn),
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

async fn managed_sources(
    x: &Exec,
    list: Vec<AttachedPolicy>,
    owner: &str,
    out: &mut Vec<Source>,
) -> Result<(), AwsError> {
    for p in list {
        let arn = p.policy_arn().unwrap_or_default();
        if let Some((_, doc)) = managed_policy(x, arn).await? {
            out.push(Source {
                name: format!("managed policy {} (attached to {owner})", p.policy_name().unwrap_or(arn)),
                doc,
            });
        }
    }
    Ok(())
}

/// Reads the inline policies of a role, user or group into `sources`
/// (the SDK has one pair of operations per owner type).
macro_rules! inline_sources {
    ($x:expr, $sources:expr, $arn:expr, $list:ident / $list_op:literal, $get:ident / $get_op:literal, $owner:ident, $name:expr, $what:literal) => {{
        let iam = $x.aws.iam();
        let list = iam.$list().$owner($name).into_paginator().items().send().collect::<Result<Vec<_>, _>>();
        let names = $x.read(Op::new("iam", $list_op, $arn), list).await?;
        for policy in names {
            let out =
                $x.read(Op::new("iam", $get_op, $arn), iam.$get().$owner($name).policy_name(&policy).send()).await?;
            let doc = parse_doc(Some(out.policy_document()), &format!("inline policy {policy}"))?;
            $sources.push(Source { name: format!("inline policy {policy} of {} {}", $what, $name), doc });
        }
    }};
}

/// Every policy in force for the principal, ready to evaluate, with what is
/// known of its requests for policy variables (its name, id, ARN, account and
/// tags); None when it does not exist.
pub async fn principal_policies(x: &Exec, kind: PrincipalKind, name: &str) -> Result<Option<Principal>, AwsError> {
    let iam = x.aws.iam();
    let arn = principal_arn(x, kind, name);
    let mut sources = Vec::new();
    let account = &x.aws.account_id;
    let (boundary_arn, vars) = match kind {
        PrincipalKind::Role => {
            let Some(role) = x
                .read_opt(Op::new("iam", "GetRole", &arn), iam.get_role().role_name(name).send())
                .await?
                .and_then(|o| o.role)
            else {
                return Ok(None);
            };
            inline_sources!(
                x,
                &mut sources,
                &arn,
                list_role_policies / "ListRolePolicies",
                get_role_policy / "GetRolePolicy",
                role_name,
                name,
                "role"
            );
            managed_sources(
                x,
                attached(x, kind, name).await?.unwrap_or_default(),
                &format!("role {name}"),
                &mut sources,
            )
            .await?;
            let tags = role.tags().iter().map(|t| (t.key(), t.value()));
            let vars = Variables::role(account, role.arn(), Some(tags));
            (role.permissions_boundary.and_then(|b| b.permissions_boundary_arn), vars)
        }
        PrincipalKind::User => {
            let Some(user) = x
                .read_opt(Op::new("iam", "GetUser", &arn), iam.get_user().user_name(name).send())
                .await?
                .and_then(|o| o.user)
            else {
                return Ok(None);
            };
            inline_sources!(
                x,
                &mut sources,
                &arn,
                list_user_policies / "ListUserPolicies",
                get_user_policy / "GetUserPolicy",
                user_name,
                name,
                "user"
            );
            managed_sources(
                x,
                attached(x, kind, name).await?.unwrap_or_default(),
                &format!("user {name}"),
                &mut sources,
            )
            .await?;
            let groups = x
                .read(
                    Op::new("iam", "ListGroupsForUser", &arn),
                    iam.list_groups_for_user()
                        .user_name(name)
                        .into_paginator()
                        .items()
                        .send()
                        .collect::<Result<Vec<_>, _>>(),
                )
                .await?;
            for group in groups {
                let g = group.group_name();
                let garn = group.arn();
                inline_sources!(
                    x,
                    &mut sources,
                    garn,
                    list_group_policies / "ListGroupPolicies",
                    get_group_policy / "GetGroupPolicy",
                    group_name,
                    g,
                    "group"
                );
                let list = x
                    .read(
                        Op::new("iam", "ListAttachedGroupPolicies", garn),
                        iam.list_attached_group_policies()
                            .group_name(g)
                            .into_paginator()
                            .items()
                            .send()
                            .collect::<Result<Vec<_>, _>>(),
                    )
                    .await?;
                managed_sources(x, list, &format!("group {g}"), &mut sources).await?;
            }
            let tags = user.tags().iter().map(|t| (t.key(), t.value()));
            let vars = Variables::user(account, user.arn(), user.user_name(), Some(user.user_id()), tags);
            (user.permissions_boundary.and_then(|b| b.permissions_boundary_arn), vars)
        }
    };
    let boundary = match boundary_arn {
        Some(b) => {
            managed_policy(x, &b).await?.map(|(_, doc)| Source { name: format!("permissions boundary {b}"), doc })
        }
        None => None,
    };
    Ok(Some(Principal { policies: sources, boundary, vars }))
}
