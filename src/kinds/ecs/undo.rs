//! Undoing what the ECS kinds made: the service scaled to 0, deleted and
//! waited on until it is inactive; the family's active revisions
//! deregistered; the cluster deleted once no service that stays runs in it.

use super::cluster::{self, cluster_arn};
use super::service::{describe, service_arn};
use super::task::family_arn;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{Undoing, Undone, owned_by, refused};

/// How long a deleted service may take to drain and become inactive (ECS
/// drains its load balancer targets first: the target group's deregistration delay).
const INACTIVE_WITHIN: u64 = 15 * 60;
const POLL: u64 = 10;

pub async fn service(x: &mut Exec, cluster: &str, name: &str) -> Result<Undone, AwsError> {
    let Some(current) = describe(x, cluster, name).await? else {
        return Ok(Undone::Gone(format!("service {cluster}/{name} does not exist (or is inactive)")));
    };
    let ecs = x.aws.ecs();
    let arn = service_arn(x, cluster, name);
    if current.desired_count() > 0 {
        let call = ecs.update_service().cluster(cluster).service(name).desired_count(0).send();
        let what = format!("scale service {name} from {} task(s) to 0", current.desired_count());
        x.change(Op::new("ecs", "UpdateService", &arn), what, call).await?;
    }
    let call = ecs.delete_service().cluster(cluster).service(name).send();
    x.change(Op::new("ecs", "DeleteService", &arn), format!("delete service {cluster}/{name}"), call).await?;
    if !x.apply {
        return Ok(Undone::Removed);
    }
    // Until it is inactive, its target group and load balancer cannot go.
    let mut waited = 0;
    while describe(x, cluster, name).await?.is_some() {
        if waited >= INACTIVE_WITHIN {
            return Err(AwsError::other(format!(
                "service {cluster}/{name} was deleted but is not inactive after {} minutes",
                INACTIVE_WITHIN / 60
            ))
            .with_fix("run destroy again later: it finishes what is left"));
        }
        x.wait(&format!("service {name} draining its tasks"), POLL).await;
        waited += POLL;
    }
    Ok(Undone::Removed)
}

/// The family's active revisions that preflight registered (its tags say so, for
/// this project): a revision registered otherwise (by the pipeline, by hand) stays.
pub async fn family(x: &mut Exec, family: &str, u: &Undoing) -> Result<Undone, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "ListTaskDefinitions", family_arn(x, family));
    let list = ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>();
    let arns = x.read(op, list).await?;
    // The prefix matches other families too (`app` and `app-worker`).
    let mine: Vec<String> = arns.into_iter().filter(|a| a.contains(&format!("task-definition/{family}:"))).collect();
    let mut ours = Vec::new();
    for arn in mine {
        let call = ecs
            .describe_task_definition()
            .task_definition(&arn)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send();
        let described = x.read(Op::new("ecs", "DescribeTaskDefinition", family_arn(x, family)), call).await?;
        let tags = described.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        let tagged = match &u.project {
            Some(project) => owned_by(tags, project).is_some(),
            None => described.tags().iter().any(|t| t.key() == Some(crate::kinds::undo::CHECKLIST)),
        };
        if tagged {
            ours.push(arn);
        }
    }
    if ours.is_empty() {
        return Ok(Undone::Gone(format!("task definition {family} has no active revision that preflight registered")));
    }
    for arn in ours {
        let revision = arn.rsplit(':').next().unwrap_or_default().to_string();
        let call = ecs.deregister_task_definition().task_definition(&arn).send();
        let what = format!("deregister revision {revision} of task definition {family}");
        x.change(Op::new("ecs", "DeregisterTaskDefinition", &arn), what, call).await?;
    }
    Ok(Undone::Removed)
}

pub async fn cluster(x: &mut Exec, name: &str, u: &Undoing) -> Result<Undone, AwsError> {
    if cluster::describe(x, name).await?.is_none() {
        return Ok(Undone::Gone(format!("cluster {name} does not exist (or is inactive)")));
    }
    let ecs = x.aws.ecs();
    let arn = cluster_arn(x, name);
    let op = Op::new("ecs", "ListServices", &arn);
    let list = ecs.list_services().cluster(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let services = x.read(op, list).await?;
    // Those still there: a deleted service may be listed while it drains, then inactive.
    let mut active = Vec::new();
    for batch in services.chunks(10) {
        let names: Vec<String> = batch.iter().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).collect();
        let op = Op::new("ecs", "DescribeServices", format!("{}/*", arn.replace(":cluster/", ":service/")));
        let call = ecs.describe_services().cluster(name).set_services(Some(names)).send();
        let out = x.read(op, call).await?;
        active.extend(
            out.services()
                .iter()
                .filter(|s| s.status() != Some("INACTIVE"))
                .filter_map(|s| s.service_name().map(str::to_string)),
        );
    }
    let staying: Vec<String> = active
        .into_iter()
        .map(|service| (Thing::Service { cluster: name.into(), name: service.clone() }, service))
        .filter(|(thing, _)| !u.goes(thing))
        .map(|(thing, service)| u.staying(&thing, format!("service {service}")))
        .collect();
    if !staying.is_empty() {
        return Ok(refused(&format!("cluster {name}"), &staying));
    }
    let call = ecs.delete_cluster().cluster(name).send();
    x.change(Op::new("ecs", "DeleteCluster", &arn), format!("delete cluster {name}"), call).await?;
    Ok(Undone::Removed)
}

/// The clusters, services and task definition families tagged as this
/// project's (a family by its latest revision), with the checklist each names.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    use aws_sdk_ecs::types::{ClusterField, ServiceField, TaskDefinitionField};
    let ecs = x.aws.ecs();
    let pairs = |tags: &[aws_sdk_ecs::types::Tag]| -> Vec<(String, String)> {
        tags.iter()
            .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
            .collect()
    };
    let ours = |tags: &[(String, String)]| owned_by(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), project);
    let mut out = Vec::new();
    let all = cluster_arn(x, "*");
    let list = ecs.list_clusters().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let clusters = x.read(Op::new("ecs", "ListClusters", &all), list).await?;
    for batch in clusters.chunks(100) {
        let call = ecs.describe_clusters().set_clusters(Some(batch.to_vec())).include(ClusterField::Tags).send();
        let described = x.read(Op::new("ecs", "DescribeClusters", &all), call).await?;
        for c in described.clusters().iter().filter(|c| c.status() != Some("INACTIVE")) {
            let name = c.cluster_name().unwrap_or_default().to_string();
            let list =
                ecs.list_services().cluster(&name).into_paginator().items().send().collect::<Result<Vec<_>, _>>();
            let services = x.read(Op::new("ecs", "ListServices", cluster_arn(x, &name)), list).await?;
            for chunk in services.chunks(10) {
                let call = ecs
                    .describe_services()
                    .cluster(&name)
                    .set_services(Some(chunk.to_vec()))
                    .include(ServiceField::Tags)
                    .send();
                let op = Op::new("ecs", "DescribeServices", service_arn(x, &name, "*"));
                for s in x.read(op, call).await?.services().iter().filter(|s| s.status() != Some("INACTIVE")) {
                    if let Some(checklist) = ours(&pairs(s.tags())) {
                        let service = s.service_name().unwrap_or_default().to_string();
                        out.push((Thing::Service { cluster: name.clone(), name: service }, checklist));
                    }
                }
            }
            if let Some(checklist) = ours(&pairs(c.tags())) {
                out.push((Thing::Cluster { name }, checklist));
            }
        }
    }
    let families = format!("arn:{}:ecs:{}:{}:task-definition/*", x.aws.partition(), x.aws.region, x.aws.account_id);
    let list = ecs
        .list_task_definition_families()
        .status(aws_sdk_ecs::types::TaskDefinitionFamilyStatus::Active)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>();
    for family in x.read(Op::new("ecs", "ListTaskDefinitionFamilies", &families), list).await? {
        // The family is preflight's when one of its active revisions is (newest first): the
        // latest may be one registered by hand or by the pipeline.
        let list = ecs
            .list_task_definitions()
            .family_prefix(&family)
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .sort(aws_sdk_ecs::types::SortOrder::Desc)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>();
        let revisions = x.read(Op::new("ecs", "ListTaskDefinitions", &families), list).await?;
        for arn in revisions.iter().filter(|a| a.contains(&format!("task-definition/{family}:"))) {
            let call = ecs.describe_task_definition().task_definition(arn).include(TaskDefinitionField::Tags).send();
            let described = x.read(Op::new("ecs", "DescribeTaskDefinition", &families), call).await?;
            if let Some(checklist) = ours(&pairs(described.tags())) {
                out.push((Thing::TaskFamily { family: family.clone() }, checklist));
                break;
            }
        }
    }
    Ok(out)
}
