//! Undoing the log group `logs.ensure_log_group` made (its logs go with it).

use super::{describe, group_arn};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{Undone, owned_by};

pub async fn log_group(x: &mut Exec, name: &str) -> Result<Undone, AwsError> {
    if describe(x, name).await?.is_none() {
        return Ok(Undone::Gone(format!("log group {name} does not exist")));
    }
    let call = x.aws.logs().delete_log_group().log_group_name(name).send();
    let arn = group_arn(x, name);
    x.change(Op::new("logs", "DeleteLogGroup", &arn), format!("delete log group {name} and its logs"), call).await?;
    Ok(Undone::Removed)
}

/// The log groups tagged as this project's, with the checklist each names.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    let logs = x.aws.logs();
    let all = group_arn(x, "*");
    let list = logs.describe_log_groups().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let mut out = Vec::new();
    for g in x.read(Op::new("logs", "DescribeLogGroups", &all), list).await? {
        let name = g.log_group_name().unwrap_or_default().to_string();
        // Tagging names a group without `:*`.
        let arn = group_arn(x, &name);
        let bare = arn.strip_suffix(":*").unwrap_or(&arn).to_string();
        let tags = x
            .read(
                Op::new("logs", "ListTagsForResource", &bare),
                logs.list_tags_for_resource().resource_arn(&bare).send(),
            )
            .await?;
        let pairs = tags
            .tags()
            .map(|m| m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>())
            .unwrap_or_default();
        if let Some(checklist) = owned_by(pairs, project) {
            out.push((Thing::LogGroup { name }, checklist));
        }
    }
    Ok(out)
}
