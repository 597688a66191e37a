//! `ecs.network_in_use`: the subnets and security groups the service actually
//! runs in (its network configuration), judged, not only the ones preflight
//! named: a service moved by hand to a group that does not let the load
//! balancer in (or that lets in the world) fails here, naming the group.

use aws_sdk_ec2::types::SecurityGroup;
use serde::Deserialize;

use super::service::{describe, service_arn};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::ec2::network::{self, Group, WORLD, ec2_arn, lets_in, port, resolve};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub cluster: String,
    pub service: String,
    pub project: String,
    #[serde(default)]
    pub subnets: String,
    #[serde(default)]
    pub security_groups: String,
    pub container_port: String,
    pub load_balancer: String,
}

impl KindParams for Params {}

/// The groups, by id (those that do not exist are left out).
async fn groups(x: &Exec, ids: &[String]) -> Result<Vec<SecurityGroup>, AwsError> {
    let ec2 = x.aws.ec2();
    let op = Op::new("ec2", "DescribeSecurityGroups", ec2_arn(x, "security-group/*"));
    match x.read(op, ec2.describe_security_groups().set_group_ids(Some(ids.to_vec())).send()).await {
        Ok(out) => Ok(out.security_groups().to_vec()),
        // One id that does not exist fails the whole request: ask one by one.
        Err(e) if e.code.as_deref() == Some("InvalidGroup.NotFound") && ids.len() > 1 => {
            let mut found = Vec::new();
            for id in ids {
                found.extend(Box::pin(groups(x, std::slice::from_ref(id))).await?);
            }
            Ok(found)
        }
        Err(e) if e.code.as_deref() == Some("InvalidGroup.NotFound") => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let port = port(&p.container_port)?;
    let Some(s) = describe(x, &p.cluster, &p.service).await? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Skipped,
            format!("no service {} yet: nothing runs in the network", p.service),
        ));
    };
    let Some(vpc) = s.network_configuration().and_then(|n| n.awsvpc_configuration()) else {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("service {} has no awsvpc network configuration", p.service),
        )
        .with_fix(format!("preflight run {} --step service", x.checklist)));
    };
    let ids: Vec<String> = vpc.security_groups().to_vec();
    let found = groups(x, &ids).await?;
    let fix_service = format!("move it back to what the profile names: preflight run {} --step service", x.checklist);
    if let Some(gone) = ids.iter().find(|g| !found.iter().any(|f| f.group_id() == Some(g.as_str()))) {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("service {} uses security group {gone}, which does not exist", p.service),
        )
        .with_fix(fix_service));
    }
    let listed = ids.join(", ");
    if p.load_balancer != "none"
        && let Some(open) = found.iter().find(|g| lets_in(g, port, None, Some(WORLD)))
    {
        let gid = open.group_id().unwrap_or_default();
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("service {} uses {gid}, which lets in port {port} from {WORLD}: with a load balancer only its group may reach the tasks", p.service),
        )
        .with_fix(format!("aws ec2 revoke-security-group-ingress --group-id {gid} --protocol tcp --port {port} --cidr {WORLD}, or {fix_service}")));
    }
    if p.load_balancer == "create" {
        let net_params = network::Params {
            project: p.project.clone(),
            subnets: p.subnets.clone(),
            security_groups: p.security_groups.clone(),
            container_port: p.container_port.clone(),
            load_balancer: p.load_balancer.clone(),
            check: String::new(),
        };
        let net = resolve(x, &net_params).await?;
        let Group::Found(alb) = &net.alb_group else {
            return Ok(ProbeResult::new(&id, Status::Fail, format!("security group {}-alb does not exist", p.project))
                .with_fix(format!("preflight run {} --step network", x.checklist)));
        };
        let alb_id = alb.group_id().unwrap_or_default();
        if !found.iter().any(|g| lets_in(g, port, Some(alb_id), None)) {
            return Ok(ProbeResult::new(
                &id,
                Status::Fail,
                format!(
                    "service {} runs in {listed}, and none lets in port {port} from the load balancer's group {alb_id}: the load balancer cannot reach the tasks",
                    p.service
                ),
            )
            .with_fix(format!(
                "{fix_service}; or let the load balancer in: aws ec2 authorize-security-group-ingress --group-id {} --protocol tcp --port {port} --source-group {alb_id}",
                ids.first().map(String::as_str).unwrap_or("GROUP")
            )));
        }
    }
    Ok(ProbeResult::new(
        &id,
        Status::Pass,
        format!(
            "service {} runs in subnets {} with groups {listed}, which let in what they should",
            p.service,
            vpc.subnets().join(", ")
        ),
    ))
}

/// The calls of [`probe`]: the service, its groups, the network by name.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = vec![Op::new("ecs", "DescribeServices", service_arn(x, &p.cluster, &p.service))];
    out.extend(network::resolve_calls(x));
    Ok(out)
}
