//! Undoing the repository `ecr.ensure_repository` made, with its images.

use super::repository::{describe, repo_arn};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{Undone, owned_by};

pub async fn repository(x: &mut Exec, name: &str) -> Result<Undone, AwsError> {
    if describe(x, name).await?.is_none() {
        return Ok(Undone::Gone(format!("repository {name} does not exist")));
    }
    let ecr = x.aws.ecr();
    let arn = repo_arn(x, name);
    let op = Op::new("ecr", "ListImages", &arn);
    let list = ecr.list_images().repository_name(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let images = x.read(op, list).await?;
    let mut digests: Vec<&str> = images.iter().filter_map(|i| i.image_digest()).collect();
    digests.sort();
    digests.dedup();
    let call = ecr.delete_repository().repository_name(name).force(true).send();
    let what = format!("delete repository {name} and its {} image(s)", digests.len());
    x.change(Op::new("ecr", "DeleteRepository", &arn), what, call).await?;
    Ok(Undone::Removed)
}

/// The repositories tagged as this project's, with the checklist each names.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    let ecr = x.aws.ecr();
    let all = repo_arn(x, "*");
    let list = ecr.describe_repositories().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let mut out = Vec::new();
    for r in x.read(Op::new("ecr", "DescribeRepositories", &all), list).await? {
        let arn = r.repository_arn().unwrap_or_default().to_string();
        let tags = x
            .read(Op::new("ecr", "ListTagsForResource", &arn), ecr.list_tags_for_resource().resource_arn(&arn).send())
            .await?;
        if let Some(checklist) = owned_by(tags.tags().iter().map(|t| (t.key(), t.value())), project) {
            out.push((Thing::Repository { name: r.repository_name().unwrap_or_default().to_string() }, checklist));
        }
    }
    Ok(out)
}
