//! Where the tasks run: the subnets (the default VPC's when none are given)
//! and the tasks' security group `PROJECT-ecs` (made when none is given),
//! whose only way in is the container port from the load balancer's group
//! `PROJECT-alb` (port 80 open to the world), never 0.0.0.0/0 when a load
//! balancer is used. `ecs.ensure_network` makes what lacks; `ecs.network`
//! checks it; `resolve` is how the other steps find it again.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, SecurityGroup, UserIdGroupPair};
use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub project: String,
    /// Comma-separated subnet ids ("" = the default VPC's).
    #[serde(default)]
    pub subnets: String,
    /// Comma-separated security group ids ("" = PROJECT-ecs, made here).
    #[serde(default)]
    pub security_groups: String,
    pub container_port: String,
    /// `create`, a target group ARN, or `none`.
    pub load_balancer: String,
}

impl KindParams for Params {}

/// The network the steps agree on.
pub struct Network {
    pub vpc_id: String,
    pub subnets: Vec<String>,
    /// The tasks' groups (None for PROJECT-ecs when it does not exist yet).
    pub task_groups: Vec<String>,
    pub task_group_made: Option<SecurityGroup>,
    /// PROJECT-alb, when a load balancer is created here.
    pub alb_group: Option<SecurityGroup>,
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub fn port(text: &str) -> Result<i32, AwsError> {
    text.trim().parse().map_err(|_| AwsError::other(format!("container_port must be a number, not \"{text}\"")))
}

fn ec2_arn(x: &Exec, what: &str) -> String {
    format!("arn:{}:ec2:{}:{}:{what}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

async fn group_named(x: &Exec, vpc: &str, name: &str) -> Result<Option<SecurityGroup>, AwsError> {
    let ec2 = x.aws.ec2();
    let call = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send();
    let op = Op::new("ec2", "DescribeSecurityGroups", ec2_arn(x, &format!("security-group/{name}")));
    let out = x.read_once(op, &format!("group-name={name} vpc-id={vpc}"), call).await?;
    Ok(out.security_groups().first().cloned())
}

/// Finds the network: the subnets (and their VPC), the tasks' groups, the load balancer's group.
pub async fn resolve(x: &Exec, p: &Params) -> Result<Network, AwsError> {
    let ec2 = x.aws.ec2();
    let given = list(&p.subnets);
    let (vpc_id, subnets) = if given.is_empty() {
        let call = ec2.describe_vpcs().filters(Filter::builder().name("isDefault").values("true").build()).send();
        let out = x.read_once(Op::new("ec2", "DescribeVpcs", ec2_arn(x, "vpc/*")), "isDefault=true", call).await?;
        let vpc = out.vpcs().first().and_then(|v| v.vpc_id()).map(str::to_string).ok_or_else(|| {
            AwsError::other(format!("{} has no default VPC", x.aws.region)).with_fix(
                "name the tasks' subnets: --set subnets=subnet-…,subnet-… (or subnets = [...] under [inputs])",
            )
        })?;
        (vpc, None)
    } else {
        let call = ec2.describe_subnets().set_subnet_ids(Some(given.clone())).send();
        let out = x.read(Op::new("ec2", "DescribeSubnets", ec2_arn(x, "subnet/*")), call).await?;
        let found: Vec<&str> = out.subnets().iter().filter_map(|s| s.subnet_id()).collect();
        if let Some(missing) = given.iter().find(|g| !found.contains(&g.as_str())) {
            return Err(AwsError::other(format!("subnet {missing} does not exist in {}", x.aws.region)));
        }
        let vpc = out.subnets().first().and_then(|s| s.vpc_id()).unwrap_or_default().to_string();
        (vpc, Some(given))
    };
    // Knowing the VPC, the rest is asked at once: its subnets (unless given) and the two groups.
    let default_subnets = async {
        if let Some(given) = &subnets {
            return Ok(given.clone());
        }
        let call = ec2.describe_subnets().filters(Filter::builder().name("vpc-id").values(&vpc_id).build()).send();
        let op = Op::new("ec2", "DescribeSubnets", ec2_arn(x, &format!("vpc/{vpc_id}")));
        let out = x.read_once(op, &format!("vpc-id={vpc_id}"), call).await?;
        let mut ids: Vec<String> = out.subnets().iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect();
        ids.sort();
        Ok::<_, AwsError>(ids)
    };
    let alb_group = async {
        match p.load_balancer.as_str() {
            "create" => group_named(x, &vpc_id, &format!("{}-alb", p.project)).await,
            _ => Ok(None),
        }
    };
    let groups = list(&p.security_groups);
    let task_group = async {
        match groups.is_empty() {
            true => group_named(x, &vpc_id, &format!("{}-ecs", p.project)).await,
            false => Ok(None),
        }
    };
    let (subnets, alb_group, made) = tokio::join!(default_subnets, alb_group, task_group);
    let (subnets, alb_group, made) = (subnets?, alb_group?, made?);
    let (task_groups, task_group_made) = if groups.is_empty() {
        (made.iter().filter_map(|g| g.group_id().map(str::to_string)).collect(), made)
    } else {
        (groups, None)
    };
    Ok(Network { vpc_id, subnets, task_groups, task_group_made, alb_group })
}

/// Whether a group lets in `port` from `source` (a group id) or from `cidr`.
fn lets_in(g: &SecurityGroup, port: i32, source: Option<&str>, cidr: Option<&str>) -> bool {
    g.ip_permissions().iter().any(|perm| {
        let covers = perm.ip_protocol() == Some("-1")
            || (perm.from_port().is_some_and(|f| f <= port) && perm.to_port().is_some_and(|t| t >= port));
        covers
            && (source.is_some_and(|s| perm.user_id_group_pairs().iter().any(|pair| pair.group_id() == Some(s)))
                || cidr.is_some_and(|c| perm.ip_ranges().iter().any(|r| r.cidr_ip() == Some(c))))
    })
}

async fn make_group(x: &mut Exec, vpc: &str, name: &str, why: &str) -> Result<Option<String>, AwsError> {
    let ec2 = x.aws.ec2();
    let call = ec2.create_security_group().group_name(name).description(why).vpc_id(vpc).send();
    let out = x
        .change(
            Op::new("ec2", "CreateSecurityGroup", ec2_arn(x, &format!("security-group/{name}"))),
            format!("create security group {name}: {why}"),
            call,
        )
        .await?;
    Ok(out.and_then(|o| o.group_id))
}

async fn open(x: &mut Exec, group: &str, name: &str, port: i32, source: Result<&str, &str>) -> Result<(), AwsError> {
    let ec2 = x.aws.ec2();
    let mut perm = IpPermission::builder().ip_protocol("tcp").from_port(port).to_port(port);
    let from = match source {
        Ok(sg) => {
            perm = perm.user_id_group_pairs(UserIdGroupPair::builder().group_id(sg).build());
            format!("from {sg}")
        }
        Err(cidr) => {
            perm = perm.ip_ranges(IpRange::builder().cidr_ip(cidr).build());
            format!("from {cidr}")
        }
    };
    let call = ec2.authorize_security_group_ingress().group_id(group).ip_permissions(perm.build()).send();
    let detail = format!("let in port {port} to {name} {from}");
    x.change(
        Op::new("ec2", "AuthorizeSecurityGroupIngress", ec2_arn(x, &format!("security-group/{group}"))),
        detail,
        call,
    )
    .await?;
    Ok(())
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let port = port(&p.container_port)?;
    let net = resolve(x, &p).await?;
    x.output("subnets", net.subnets.join(","));
    let alb_name = format!("{}-alb", p.project);
    let alb_group = match (&net.alb_group, p.load_balancer.as_str()) {
        (Some(g), _) => g.group_id().map(str::to_string),
        (None, "create") => {
            make_group(x, &net.vpc_id, &alb_name, "the load balancer of the ECS service: HTTP from anywhere").await?
        }
        _ => None,
    };
    if p.load_balancer == "create" {
        let open_80 = net.alb_group.as_ref().is_some_and(|g| lets_in(g, 80, None, Some("0.0.0.0/0")));
        if !open_80 {
            open(x, alb_group.as_deref().unwrap_or("(made above)"), &alb_name, 80, Err("0.0.0.0/0")).await?;
        }
    }
    if !list(&p.security_groups).is_empty() {
        x.note("the tasks' security groups are the operator's: they are used as they are");
        return Ok(());
    }
    let task_name = format!("{}-ecs", p.project);
    let task_group = match &net.task_group_made {
        Some(g) => g.group_id().map(str::to_string),
        None => make_group(x, &net.vpc_id, &task_name, "the tasks of the ECS service").await?,
    };
    let source: Result<&str, &str> = match (p.load_balancer.as_str(), alb_group.as_deref()) {
        ("none", _) => Err("0.0.0.0/0"),
        (_, Some(sg)) => Ok(sg),
        _ => Err("0.0.0.0/0"),
    };
    let already = net.task_group_made.as_ref().is_some_and(|g| match source {
        Ok(sg) => lets_in(g, port, Some(sg), None),
        Err(cidr) => lets_in(g, port, None, Some(cidr)),
    });
    if !already {
        open(x, task_group.as_deref().unwrap_or("(made above)"), &task_name, port, source).await?;
    }
    // Behind a load balancer, nothing else may reach the tasks: a world-open rule on the port goes.
    if source.is_ok()
        && let Some(g) = net.task_group_made.as_ref().filter(|g| lets_in(g, port, None, Some("0.0.0.0/0")))
    {
        let id = g.group_id().unwrap_or_default().to_string();
        let perm = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let call = x.aws.ec2().revoke_security_group_ingress().group_id(&id).ip_permissions(perm).send();
        let detail = format!(
            "stop letting in port {port} to {task_name} from 0.0.0.0/0: only the load balancer may reach the tasks"
        );
        x.change(
            Op::new("ec2", "RevokeSecurityGroupIngress", ec2_arn(x, &format!("security-group/{id}"))),
            detail,
            call,
        )
        .await?;
    }
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let port = port(&p.container_port)?;
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    let net = match resolve(x, &p).await {
        Ok(n) => n,
        Err(e) if e.kind == crate::aws::error::ErrorKind::Other => {
            return Ok(ProbeResult::new(&id, Status::Fail, e.to_string()).with_fix(e.fix().unwrap_or(fix)));
        }
        Err(e) => return Err(e),
    };
    if net.subnets.is_empty() {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("VPC {} has no subnets", net.vpc_id)));
    }
    let subnets = net.subnets.join(", ");
    if !list(&p.security_groups).is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("subnets {subnets}; the operator's security groups {}", net.task_groups.join(", ")),
        ));
    }
    let Some(task) = &net.task_group_made else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("security group {}-ecs does not exist", p.project))
            .with_fix(fix));
    };
    let task_id = task.group_id().unwrap_or_default();
    let world = lets_in(task, port, None, Some("0.0.0.0/0"));
    if p.load_balancer == "none" {
        return Ok(if world {
            ProbeResult::new(&id, Status::Pass, format!("subnets {subnets}; {task_id} lets in port {port}"))
        } else {
            ProbeResult::new(&id, Status::Fail, format!("{task_id} does not let in port {port}")).with_fix(fix)
        });
    }
    if world {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("{task_id} lets in port {port} from 0.0.0.0/0: with a load balancer, only its group may reach the tasks"),
        )
        .with_fix(format!("remove that rule: aws ec2 revoke-security-group-ingress --group-id {task_id} --protocol tcp --port {port} --cidr 0.0.0.0/0")));
    }
    if p.load_balancer == "create" {
        let Some(alb) = &net.alb_group else {
            return Ok(ProbeResult::new(&id, Status::Fail, format!("security group {}-alb does not exist", p.project))
                .with_fix(fix));
        };
        let alb_id = alb.group_id().unwrap_or_default();
        if !lets_in(task, port, Some(alb_id), None) {
            return Ok(ProbeResult::new(
                &id,
                Status::Fail,
                format!("{task_id} does not let in port {port} from the load balancer's group {alb_id}"),
            )
            .with_fix(fix));
        }
        if !lets_in(alb, 80, None, Some("0.0.0.0/0")) {
            return Ok(ProbeResult::new(
                &id,
                Status::Fail,
                format!("{alb_id} does not let in HTTP (80) from anywhere"),
            )
            .with_fix(fix));
        }
    }
    Ok(ProbeResult::new(
        &id,
        Status::Pass,
        format!("subnets {subnets}; {task_id} lets in port {port} only from the load balancer"),
    ))
}

/// The calls of [`resolve`]: the default VPC, its subnets, the groups by name.
pub fn resolve_calls(x: &Exec) -> Vec<Op> {
    ["DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups"]
        .iter()
        .map(|op| Op::new("ec2", op, ec2_arn(x, "*")))
        .collect()
}

/// The calls of [`ensure`]: the network found, groups made, ingress let in or revoked.
pub fn ensure_calls(x: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = resolve_calls(x);
    let groups = ec2_arn(x, "security-group/*");
    for op in ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"] {
        out.push(Op::new("ec2", op, &groups));
    }
    Ok(out)
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(resolve_calls(x))
}
