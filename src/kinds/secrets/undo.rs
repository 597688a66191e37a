//! Undoing the secrets and parameters of the profile that preflight made:
//! a secret is scheduled for deletion with a recovery window (restorable until
//! then) unless asked to go without one; a parameter is deleted.

use super::facts::{self, when};
use super::parameter::parameter_arn;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{PROJECT, Undone, owned_by};

/// `days`: the recovery window (7 to 30); None deletes it at once, for good.
pub async fn secret(x: &mut Exec, name: &str, days: Option<i64>) -> Result<Undone, AwsError> {
    let Some(found) = facts::secret(x, name).await? else {
        return Ok(Undone::Gone(format!("secret {name} does not exist")));
    };
    if let Some(deleted) = &found.deleted {
        return Ok(Undone::Gone(format!(
            "secret {name} is already scheduled for deletion on {} (restorable until then: aws secretsmanager restore-secret --secret-id {name})",
            when(deleted)
        )));
    }
    let sm = x.aws.secrets();
    let call = sm.delete_secret().secret_id(name);
    let (call, what) = match days {
        Some(d) => (
            call.recovery_window_in_days(d),
            format!("schedule secret {name} for deletion in {d} days (restorable until then)"),
        ),
        None => {
            (call.force_delete_without_recovery(true), format!("delete secret {name} now, with no recovery window"))
        }
    };
    let done = x.change(Op::new("secretsmanager", "DeleteSecret", &found.arn), what, call.send()).await?;
    if let crate::aws::later::Later::Known(out) = done
        && days.is_some()
        && let Some(date) = out.deletion_date()
    {
        x.info(format!(
            "secret {name} can be restored until {}: aws secretsmanager restore-secret --secret-id {name}",
            when(date)
        ));
    }
    Ok(Undone::Removed)
}

pub async fn parameter(x: &mut Exec, name: &str) -> Result<Undone, AwsError> {
    let ssm = x.aws.ssm();
    let arn = parameter_arn(x, name);
    // The value is not read (nor decrypted): whether it exists is all that counts.
    let op = Op::new("ssm", "DescribeParameters", "*");
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .map_err(|e| AwsError::other(e.to_string()))?;
    let out = x.read(op, ssm.describe_parameters().parameter_filters(filter).send()).await?;
    if out.parameters().is_empty() {
        return Ok(Undone::Gone(format!("parameter {name} does not exist")));
    }
    let call = ssm.delete_parameter().name(name).send();
    x.change(Op::new("ssm", "DeleteParameter", &arn), format!("delete parameter {name}"), call).await?;
    Ok(Undone::Removed)
}

/// The secrets and parameters tagged as this project's, with the checklist each names.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
    let sm = x.aws.secrets();
    let filters = [
        Filter::builder().key(FilterNameStringType::TagKey).values(PROJECT).build(),
        Filter::builder().key(FilterNameStringType::TagValue).values(project).build(),
    ];
    let list =
        sm.list_secrets().set_filters(Some(filters.to_vec())).into_paginator().send().collect::<Result<Vec<_>, _>>();
    let account = format!("arn:{}:secretsmanager:{}:{}:secret:*", x.aws.partition(), x.aws.region, x.aws.account_id);
    let mut out = Vec::new();
    let pages = x.read(Op::new("secretsmanager", "ListSecrets", &account), list).await?;
    for s in pages.iter().flat_map(|p| p.secret_list()) {
        let tags = s.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        if let Some(checklist) = owned_by(tags, project) {
            out.push((Thing::Secret { name: s.name().unwrap_or_default().to_string() }, checklist));
        }
    }
    let ssm = x.aws.ssm();
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
        .key(format!("tag:{PROJECT}"))
        .values(project)
        .build()
        .map_err(|e| AwsError::other(e.to_string()))?;
    let list =
        ssm.describe_parameters().parameter_filters(filter).into_paginator().send().collect::<Result<Vec<_>, _>>();
    let pages = x.read(Op::new("ssm", "DescribeParameters", "*"), list).await?;
    for p in pages.iter().flat_map(|p| p.parameters()) {
        let name = p.name().unwrap_or_default().to_string();
        let arn = parameter_arn(x, &name);
        let tags = x
            .read(
                Op::new("ssm", "ListTagsForResource", &arn),
                ssm.list_tags_for_resource()
                    .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                    .resource_id(&name)
                    .send(),
            )
            .await?;
        let pairs = tags.tag_list().iter().map(|t| (t.key(), t.value()));
        if let Some(checklist) = owned_by(pairs, project) {
            out.push((Thing::Parameter { name }, checklist));
        }
    }
    Ok(out)
}
