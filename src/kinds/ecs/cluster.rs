//! The ECS cluster: `ecs.ensure_cluster` creates it with the FARGATE and
//! FARGATE_SPOT capacity providers (adopts it when present, adding the
//! providers it lacks); `ecs.cluster` checks it is ACTIVE.

use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

const PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
}

impl KindParams for Params {}

pub fn cluster_arn(x: &Exec, name: &str) -> String {
    format!("arn:{}:ecs:{}:{}:cluster/{name}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// The cluster's status and capacity providers, or None when it does not exist (or is INACTIVE).
pub async fn describe(x: &Exec, name: &str) -> Result<Option<(String, Vec<String>)>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "DescribeClusters", cluster_arn(x, name));
    let out = x.read(op, ecs.describe_clusters().clusters(name).send()).await?;
    Ok(out
        .clusters()
        .iter()
        .find(|c| c.status() != Some("INACTIVE"))
        .map(|c| (c.status().unwrap_or_default().to_string(), c.capacity_providers().to_vec())))
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let ecs = x.aws.ecs();
    let arn = cluster_arn(x, &p.name);
    match describe(x, &p.name).await? {
        None => {
            let call = ecs
                .create_cluster()
                .cluster_name(&p.name)
                .set_capacity_providers(Some(PROVIDERS.map(String::from).to_vec()))
                .set_tags(Some(super::tags(x)))
                .send();
            let detail = format!("create cluster {} with the FARGATE and FARGATE_SPOT capacity providers", p.name);
            x.change(Op::new("ecs", "CreateCluster", &arn), detail, call).await?;
        }
        Some((_, providers)) if PROVIDERS.iter().all(|p| providers.iter().any(|have| have == p)) => {
            x.note(format!("cluster {} exists with its Fargate capacity providers", p.name));
        }
        Some((_, providers)) => {
            let mut all = providers.clone();
            all.extend(PROVIDERS.iter().filter(|p| !providers.iter().any(|h| h == *p)).map(|p| p.to_string()));
            let call = ecs
                .put_cluster_capacity_providers()
                .cluster(&p.name)
                .set_capacity_providers(Some(all))
                .set_default_capacity_provider_strategy(Some(Vec::new()))
                .send();
            let detail = format!("add the Fargate capacity providers to cluster {}", p.name);
            x.change(Op::new("ecs", "PutClusterCapacityProviders", &arn), detail, call).await?;
        }
    }
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    Ok(match describe(x, &p.name).await? {
        None => ProbeResult::new(&id, Status::Fail, format!("cluster {} does not exist", p.name)).with_fix(fix),
        Some((status, _)) if status == "ACTIVE" => {
            x.output("cluster_arn", cluster_arn(x, &p.name));
            ProbeResult::new(&id, Status::Pass, format!("cluster {} is ACTIVE", p.name))
        }
        Some((status, _)) => {
            ProbeResult::new(&id, Status::Fail, format!("cluster {} is {status}, not ACTIVE", p.name)).with_fix(fix)
        }
    })
}

/// The calls of [`ensure`].
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = cluster_arn(x, &p.name);
    Ok(["DescribeClusters", "CreateCluster", "PutClusterCapacityProviders"]
        .iter()
        .map(|op| Op::new("ecs", op, &arn))
        .collect())
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("ecs", "DescribeClusters", cluster_arn(x, &p.name))])
}
