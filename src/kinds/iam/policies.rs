//! Every policy that applies to a principal (its inline policies, the managed
//! policies attached to it, its groups' for a user, its permissions boundary),
//! read with as few round trips one after another as the answers allow: the
//! principal first (so that a missing one costs one call, as it always did),
//! then its inline and attached policies (and a user's groups) at once, then
//! every document at once. The sources keep IAM's order.

use aws_sdk_iam::types::AttachedPolicy;
use futures_util::future::join_all;

use super::read::{PrincipalKind, attached, managed_policy, parse_doc, principal_arn};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::policy::{Principal, Source, Variables};

/// The documents of attached managed policies, in their order.
async fn managed_sources(x: &Exec, list: Vec<AttachedPolicy>, owner: &str) -> Result<Vec<Source>, AwsError> {
    let docs = join_all(list.iter().map(|p| managed_policy(x, p.policy_arn().unwrap_or_default()))).await;
    let mut out = Vec::new();
    for (p, doc) in list.iter().zip(docs) {
        if let Some((_, doc)) = doc? {
            let arn = p.policy_arn().unwrap_or_default();
            out.push(Source {
                name: format!("managed policy {} (attached to {owner})", p.policy_name().unwrap_or(arn)),
                doc,
            });
        }
    }
    Ok(out)
}

/// The inline policies of a role, user or group, in their order (the SDK has
/// one pair of operations per owner type): the names, then every document at once.
macro_rules! inline_sources {
    ($x:expr, $arn:expr, $list:ident / $list_op:literal, $get:ident / $get_op:literal, $owner:ident, $name:expr, $what:literal) => {
        async {
            let (x, arn, name): (&Exec, &str, &str) = ($x, $arn, $name);
            let iam = x.aws.iam();
            let list = iam.$list().$owner(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>();
            let names = x.read_once(Op::new("iam", $list_op, arn), name, list).await?;
            let iam = &iam;
            let docs = join_all(names.iter().map(|policy| async move {
                let get = iam.$get().$owner(name).policy_name(policy).send();
                x.read_once(Op::new("iam", $get_op, arn), &format!("{name} {policy}"), get).await
            }))
            .await;
            let mut sources = Vec::new();
            for (policy, out) in names.iter().zip(docs) {
                let doc = parse_doc(Some(out?.policy_document()), &format!("inline policy {policy}"))?;
                sources.push(Source { name: format!("inline policy {policy} of {} {name}", $what), doc });
            }
            Ok::<_, AwsError>(sources)
        }
    };
}

/// The principal's own inline and attached policies, both asked at once.
async fn own_sources(
    x: &Exec,
    kind: PrincipalKind,
    name: &str,
    inline: impl Future<Output = Result<Vec<Source>, AwsError>>,
) -> Result<Vec<Source>, AwsError> {
    let owner = format!("{} {name}", kind.word());
    let managed = async { managed_sources(x, attached(x, kind, name).await?.unwrap_or_default(), &owner).await };
    let (inline, managed) = tokio::join!(inline, managed);
    Ok([inline?, managed?].concat())
}

/// A user's groups' policies, every group at once.
async fn group_sources(x: &Exec, name: &str, arn: &str) -> Result<Vec<Source>, AwsError> {
    let iam = x.aws.iam();
    let list =
        iam.list_groups_for_user().user_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let groups = x.read_once(Op::new("iam", "ListGroupsForUser", arn), name, list).await?;
    let per_group = join_all(groups.iter().map(|group| async {
        let (g, garn) = (group.group_name(), group.arn());
        let inline = inline_sources!(
            x,
            garn,
            list_group_policies / "ListGroupPolicies",
            get_group_policy / "GetGroupPolicy",
            group_name,
            g,
            "group"
        );
        let managed = async {
            let call = iam.list_attached_group_policies().group_name(g).into_paginator().items().send();
            let list =
                x.read_once(Op::new("iam", "ListAttachedGroupPolicies", garn), g, call.collect::<Result<Vec<_>, _>>());
            managed_sources(x, list.await?, &format!("group {g}")).await
        };
        let (inline, managed) = tokio::join!(inline, managed);
        Ok::<_, AwsError>([inline?, managed?].concat())
    }))
    .await;
    Ok(per_group.into_iter().collect::<Result<Vec<_>, _>>()?.concat())
}

/// Every policy in force for the principal, ready to evaluate, with what is
/// known of its requests for policy variables (its name, id, ARN, account and
/// tags); None when it does not exist.
pub async fn principal_policies(x: &Exec, kind: PrincipalKind, name: &str) -> Result<Option<Principal>, AwsError> {
    let iam = x.aws.iam();
    let arn = principal_arn(x, kind, name);
    let account = &x.aws.account_id;
    let (sources, boundary_arn, vars) = match kind {
        PrincipalKind::Role => {
            let role = x.read_opt_shared(Op::new("iam", "GetRole", &arn), name, iam.get_role().role_name(name).send());
            let Some(role) = role.await?.and_then(|o| o.role) else {
                return Ok(None);
            };
            let inline = inline_sources!(
                x,
                &arn,
                list_role_policies / "ListRolePolicies",
                get_role_policy / "GetRolePolicy",
                role_name,
                name,
                "role"
            );
            let sources = own_sources(x, kind, name, inline).await;
            let tags = role.tags().iter().map(|t| (t.key(), t.value()));
            let vars = Variables::role(account, role.arn(), Some(tags));
            (sources?, role.permissions_boundary.and_then(|b| b.permissions_boundary_arn), vars)
        }
        PrincipalKind::User => {
            let user = x.read_opt_shared(Op::new("iam", "GetUser", &arn), name, iam.get_user().user_name(name).send());
            let Some(user) = user.await?.and_then(|o| o.user) else {
                return Ok(None);
            };
            let inline = inline_sources!(
                x,
                &arn,
                list_user_policies / "ListUserPolicies",
                get_user_policy / "GetUserPolicy",
                user_name,
                name,
                "user"
            );
            let (own, groups) = tokio::join!(own_sources(x, kind, name, inline), group_sources(x, name, &arn));
            let tags = user.tags().iter().map(|t| (t.key(), t.value()));
            let vars = Variables::user(account, user.arn(), user.user_name(), Some(user.user_id()), tags);
            ([own?, groups?].concat(), user.permissions_boundary.and_then(|b| b.permissions_boundary_arn), vars)
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
