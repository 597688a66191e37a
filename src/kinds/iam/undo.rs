//! Undoing what the IAM kinds made: an attachment detached, an inline policy
//! deleted, a role deleted once nothing that stays is attached to it, a
//! policy deleted (its older versions first) once nothing that stays carries
//! it, the OIDC provider deleted only when no other role trusts it.

use super::read::{PrincipalKind, attached, principal_arn, principal_exists};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{Undoing, Undone, owned_by, refused};

fn role_arn(x: &Exec, name: &str) -> String {
    principal_arn(x, PrincipalKind::Role, name)
}

pub async fn attachment(x: &mut Exec, role: &str, policy: &str) -> Result<Undone, AwsError> {
    let on = attached(x, PrincipalKind::Role, role).await?.unwrap_or_default();
    if !on.iter().any(|p| p.policy_arn() == Some(policy)) {
        return Ok(Undone::Gone(format!("{policy} is not attached to role {role}")));
    }
    let call = x.aws.iam().detach_role_policy().role_name(role).policy_arn(policy).send();
    x.change(Op::new("iam", "DetachRolePolicy", role_arn(x, role)), format!("detach {policy} from role {role}"), call)
        .await?;
    Ok(Undone::Removed)
}

pub async fn inline(x: &mut Exec, role: &str, name: &str) -> Result<Undone, AwsError> {
    let iam = x.aws.iam().clone();
    let arn = role_arn(x, role);
    let key = format!("{role} {name}");
    let read = iam.get_role_policy().role_name(role).policy_name(name).send();
    if x.read_opt_shared(Op::new("iam", "GetRolePolicy", &arn), &key, read).await?.is_none() {
        return Ok(Undone::Gone(format!("role {role} has no inline policy {name}")));
    }
    let call = iam.delete_role_policy().role_name(role).policy_name(name).send();
    x.change(Op::new("iam", "DeleteRolePolicy", &arn), format!("delete inline policy {name} of role {role}"), call)
        .await?;
    Ok(Undone::Removed)
}

pub async fn role(x: &mut Exec, name: &str, u: &Undoing) -> Result<Undone, AwsError> {
    if principal_exists(x, PrincipalKind::Role, name).await?.is_none() {
        return Ok(Undone::Gone(format!("role {name} does not exist")));
    }
    let iam = x.aws.iam().clone();
    let arn = role_arn(x, name);
    let inline = x
        .read_shared(
            Op::new("iam", "ListRolePolicies", &arn),
            name,
            x.read(Op::new("iam", "ListRolePolicies", &arn), iam.list_role_policies().role_name(name).send()),
        )
        .await?;
    let mut staying = Vec::new();
    for policy in inline.policy_names() {
        let thing = Thing::InlinePolicy { role: name.into(), name: policy.clone() };
        if !u.goes(&thing) {
            staying.push(u.staying(&thing, format!("its inline policy {policy}")));
        }
    }
    for p in attached(x, PrincipalKind::Role, name).await?.unwrap_or_default() {
        let policy = p.policy_arn().unwrap_or_default().to_string();
        let thing = Thing::Attachment { role: name.into(), policy: policy.clone() };
        if !u.goes(&thing) {
            staying.push(u.staying(&thing, format!("the attached policy {policy}")));
        }
    }
    if !staying.is_empty() {
        return Ok(refused(&format!("role {name}"), &staying));
    }
    let call = iam.delete_role().role_name(name).send();
    x.change(Op::new("iam", "DeleteRole", &arn), format!("delete role {name}"), call).await?;
    Ok(Undone::Removed)
}

pub async fn policy(x: &mut Exec, arn: &str, u: &Undoing) -> Result<Undone, AwsError> {
    let iam = x.aws.iam().clone();
    let read = iam.get_policy().policy_arn(arn).send();
    if x.read_opt_shared(Op::new("iam", "GetPolicy", arn), arn, read).await?.is_none() {
        return Ok(Undone::Gone(format!("{arn} does not exist")));
    }
    let op = Op::new("iam", "ListEntitiesForPolicy", arn);
    let entities = x.read(op, iam.list_entities_for_policy().policy_arn(arn).send()).await?;
    let mut staying = Vec::new();
    for r in entities.policy_roles() {
        let role = r.role_name().unwrap_or_default();
        let thing = Thing::Attachment { role: role.into(), policy: arn.into() };
        if !u.goes(&thing) {
            staying.push(u.staying(&thing, format!("role {role}")));
        }
    }
    for user in entities.policy_users() {
        staying.push(format!("user {} (not made by preflight)", user.user_name().unwrap_or_default()));
    }
    for group in entities.policy_groups() {
        staying.push(format!("group {} (not made by preflight)", group.group_name().unwrap_or_default()));
    }
    let name = arn.rsplit('/').next().unwrap_or(arn);
    if !staying.is_empty() {
        return Ok(refused(&format!("policy {name}"), &staying));
    }
    let versions =
        x.read(Op::new("iam", "ListPolicyVersions", arn), iam.list_policy_versions().policy_arn(arn).send()).await?;
    // A policy's versions but the default go first (IAM refuses to delete a policy that has them).
    for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
        let id = v.version_id().unwrap_or_default();
        let call = iam.delete_policy_version().policy_arn(arn).version_id(id).send();
        x.change(Op::new("iam", "DeletePolicyVersion", arn), format!("delete version {id} of policy {name}"), call)
            .await?;
    }
    let call = iam.delete_policy().policy_arn(arn).send();
    x.change(Op::new("iam", "DeletePolicy", arn), format!("delete policy {name}"), call).await?;
    Ok(Undone::Removed)
}

pub async fn provider(x: &mut Exec, arn: &str, u: &Undoing) -> Result<Undone, AwsError> {
    let iam = x.aws.iam().clone();
    let read = iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send();
    if x.read_opt_shared(Op::new("iam", "GetOpenIDConnectProvider", arn), arn, read).await?.is_none() {
        return Ok(Undone::Gone(format!("{arn} does not exist")));
    }
    // Every role of the account that trusts it, other than the ones this destroy deletes.
    let roles_arn = format!("arn:{}:iam::{}:role/*", x.aws.partition(), x.aws.account_id);
    let list = iam.list_roles().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let roles = x.read(Op::new("iam", "ListRoles", &roles_arn), list).await?;
    let mut trusting = Vec::new();
    for role in roles {
        let trust = role.assume_role_policy_document().unwrap_or_default();
        let trust = crate::policy::document::url_decode(trust);
        if trust.contains(arn) && !u.goes(&Thing::Role { name: role.role_name().to_string() }) {
            trusting.push(role.role_name().to_string());
        }
    }
    let url = arn.split_once(":oidc-provider/").map_or(arn, |(_, u)| u);
    if !trusting.is_empty() {
        return Ok(Undone::Kept(format!(
            "the OIDC provider {url} is kept: role {} trusts it too",
            trusting.join(", role ")
        )));
    }
    let call = iam.delete_open_id_connect_provider().open_id_connect_provider_arn(arn).send();
    x.change(Op::new("iam", "DeleteOpenIDConnectProvider", arn), format!("delete the OIDC provider {url}"), call)
        .await?;
    Ok(Undone::Removed)
}

/// The roles, policies and OIDC provider tagged as this project's, with the
/// checklist each names; a role's inline policies and attachments go with it.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    let iam = x.aws.iam().clone();
    let mut out = Vec::new();
    // The policies first: an attachment of one of them to a role of the project is preflight's.
    let policies = format!("arn:{}:iam::{}:policy/*", x.aws.partition(), x.aws.account_id);
    let list = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>();
    let mut ours = Vec::new();
    for p in x.read(Op::new("iam", "ListPolicies", &policies), list).await? {
        let arn = p.arn().unwrap_or_default().to_string();
        let tags =
            x.read(Op::new("iam", "ListPolicyTags", &arn), iam.list_policy_tags().policy_arn(&arn).send()).await?;
        if let Some(checklist) = owned_by(tags.tags().iter().map(|t| (t.key(), t.value())), project) {
            ours.push(arn.clone());
            out.push((Thing::Policy { arn }, checklist));
        }
    }
    // What preflight puts on a role it makes: the secrets' read policy (secrets/read-access),
    // the execution role's managed policy, the project's own policies. Anything else on a
    // role stays, and makes its undo refuse, naming it.
    let read_policy = format!("{project}-secrets-read");
    let roles_arn = role_arn(x, "*");
    let list = iam.list_roles().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    for role in x.read(Op::new("iam", "ListRoles", &roles_arn), list).await? {
        let name = role.role_name().to_string();
        let tags = x
            .read(Op::new("iam", "ListRoleTags", role_arn(x, &name)), iam.list_role_tags().role_name(&name).send())
            .await?;
        let Some(checklist) = owned_by(tags.tags().iter().map(|t| (t.key(), t.value())), project) else { continue };
        let arn = role_arn(x, &name);
        let inline =
            x.read(Op::new("iam", "ListRolePolicies", &arn), iam.list_role_policies().role_name(&name).send()).await?;
        for policy in inline.policy_names().iter().filter(|p| **p == read_policy) {
            out.push((Thing::InlinePolicy { role: name.clone(), name: policy.clone() }, "secrets".to_string()));
        }
        for p in attached(x, PrincipalKind::Role, &name).await?.unwrap_or_default() {
            let policy = p.policy_arn().unwrap_or_default().to_string();
            if policy == super::execution::EXECUTION_POLICY || ours.contains(&policy) {
                out.push((Thing::Attachment { role: name.clone(), policy }, checklist.clone()));
            }
        }
        out.push((Thing::Role { name }, checklist));
    }
    let providers = format!("arn:{}:iam::{}:oidc-provider/*", x.aws.partition(), x.aws.account_id);
    let list = x
        .read(Op::new("iam", "ListOpenIDConnectProviders", &providers), iam.list_open_id_connect_providers().send())
        .await?;
    for p in list.open_id_connect_provider_list() {
        let arn = p.arn().unwrap_or_default().to_string();
        let call = iam.list_open_id_connect_provider_tags().open_id_connect_provider_arn(&arn).send();
        let tags = x.read(Op::new("iam", "ListOpenIDConnectProviderTags", &arn), call).await?;
        if let Some(checklist) = owned_by(tags.tags().iter().map(|t| (t.key(), t.value())), project) {
            out.push((Thing::OidcProvider { arn }, checklist));
        }
    }
    Ok(out)
}
