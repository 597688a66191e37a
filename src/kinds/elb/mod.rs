//! The Application Load Balancer in front of the service (seeds 001 and 003:
//! health check on /health): `elb.ensure_load_balancer` makes (or adopts, by
//! name) an internet-facing ALB `PROJECT-alb` in the subnets, with the group
//! `PROJECT-alb`, a target group `PROJECT-tg` (ip targets, the container port,
//! the health path) and a listener on 80 forwarding to it; `elb.load_balancer`
//! checks each part. With `load_balancer = none` there is nothing to do; with a
//! target group ARN, that group is used as it is.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancer, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, TargetGroup,
    TargetTypeEnum,
};
use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::ec2::network::{self, port, resolve};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub project: String,
    #[serde(default)]
    pub subnets: String,
    pub container_port: String,
    pub health_path: String,
    /// `create`, a target group ARN, or `none`.
    pub load_balancer: String,
    /// For the probe: `alb`, `target-group` or `listener`.
    #[serde(default)]
    pub check: String,
}

impl KindParams for Params {
    fn validate(&self) -> Result<(), String> {
        match self.check.as_str() {
            "" | "alb" | "target-group" | "listener" => Ok(()),
            other => Err(format!("`check` is alb, target-group or listener, not \"{other}\"")),
        }
    }
}

pub fn alb_name(project: &str) -> String {
    format!("{project}-alb")
}

fn tg_name(project: &str) -> String {
    format!("{project}-tg")
}

fn elb_arn(x: &Exec, what: &str) -> String {
    format!("arn:{}:elasticloadbalancing:{}:{}:{what}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// Every load balancer of this name, as IAM matches their ARNs (`…/app/NAME/ID`).
fn lb_pattern(x: &Exec, name: &str) -> String {
    elb_arn(x, &format!("loadbalancer/app/{name}/*"))
}

/// The project's target group, as IAM matches its ARN (`…:targetgroup/NAME/ID`).
fn tg_pattern(x: &Exec, project: &str) -> String {
    elb_arn(x, &format!("targetgroup/{}/*", tg_name(project)))
}

/// The load balancer of this name, or None.
pub async fn load_balancer(x: &Exec, name: &str) -> Result<Option<LoadBalancer>, AwsError> {
    let elb = x.aws.elb();
    let op = Op::new("elasticloadbalancing", "DescribeLoadBalancers", elb_arn(x, &format!("loadbalancer/app/{name}")));
    match x.read_once(op, name, elb.describe_load_balancers().names(name).send()).await {
        Ok(out) => Ok(out.load_balancers().first().cloned()),
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The target group by name (or by ARN when the operator gave one), or None.
pub async fn target_group(x: &Exec, p: &Params) -> Result<Option<TargetGroup>, AwsError> {
    let elb = x.aws.elb();
    let (call, what) = if p.load_balancer.starts_with("arn:") {
        (elb.describe_target_groups().target_group_arns(&p.load_balancer), p.load_balancer.clone())
    } else {
        (
            elb.describe_target_groups().names(tg_name(&p.project)),
            elb_arn(x, &format!("targetgroup/{}", tg_name(&p.project))),
        )
    };
    // `what` is the ARN asked for, or the ARN the name makes: one key per request.
    match x.read_once(Op::new("elasticloadbalancing", "DescribeTargetGroups", &what), &what, call.send()).await {
        Ok(out) => Ok(out.target_groups().first().cloned()),
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("TargetGroupNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

fn net_params(p: &Params) -> network::Params {
    network::Params {
        project: p.project.clone(),
        subnets: p.subnets.clone(),
        security_groups: String::new(),
        container_port: p.container_port.clone(),
        load_balancer: p.load_balancer.clone(),
    }
}

/// Whether the load balancer has a listener on 80 forwarding to the target group.
async fn forwards(x: &Exec, lb: &str, tg: &str) -> Result<bool, AwsError> {
    let elb = x.aws.elb();
    let out = x
        .read(
            Op::new("elasticloadbalancing", "DescribeListeners", lb),
            elb.describe_listeners().load_balancer_arn(lb).send(),
        )
        .await?;
    Ok(out
        .listeners()
        .iter()
        .any(|l| l.port() == Some(80) && l.default_actions().iter().any(|a| a.target_group_arn() == Some(tg))))
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    if p.load_balancer == "none" {
        x.note("load_balancer = none: the service runs without one");
        return Ok(());
    }
    if p.load_balancer.starts_with("arn:") {
        return match target_group(x, &p).await? {
            Some(_) => Ok(()),
            None => Err(AwsError::other(format!("target group {} does not exist", p.load_balancer))),
        };
    }
    let port = port(&p.container_port)?;
    let name = alb_name(&p.project);
    if name.len() > 32 || tg_name(&p.project).len() > 32 {
        return Err(AwsError::other(format!("{name} is longer than the 32 characters a load balancer name may have"))
            .with_fix("choose a shorter project, or create the load balancer yourself and give its target group: --set load_balancer=ARN"));
    }
    let net = resolve(x, &net_params(&p)).await?;
    let elb = x.aws.elb();
    let lb_arn = match load_balancer(x, &name).await? {
        Some(lb) => lb.load_balancer_arn().unwrap_or_default().to_string(),
        None => {
            let groups: Vec<String> = net.alb_group.iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
            let call = elb
                .create_load_balancer()
                .name(&name)
                .r#type(LoadBalancerTypeEnum::Application)
                .scheme(LoadBalancerSchemeEnum::InternetFacing)
                .set_subnets(Some(net.subnets.clone()))
                .set_security_groups(Some(groups))
                .send();
            let detail = format!("create the internet-facing load balancer {name} in {} subnets", net.subnets.len());
            let out = x
                .change(Op::new("elasticloadbalancing", "CreateLoadBalancer", lb_pattern(x, &name)), detail, call)
                .await?;
            out.and_then(|o| o.load_balancers().first().and_then(|l| l.load_balancer_arn().map(str::to_string)))
                .unwrap_or_default()
        }
    };
    let tg_arn = match target_group(x, &p).await? {
        Some(tg) => {
            if tg.health_check_path() != Some(p.health_path.as_str()) {
                let arn = tg.target_group_arn().unwrap_or_default().to_string();
                let call = elb.modify_target_group().target_group_arn(&arn).health_check_path(&p.health_path).send();
                let detail = format!("health check path {} → {}", tg.health_check_path().unwrap_or("?"), p.health_path);
                x.change(Op::new("elasticloadbalancing", "ModifyTargetGroup", &arn), detail, call).await?;
            }
            tg.target_group_arn().unwrap_or_default().to_string()
        }
        None => {
            let tg = tg_name(&p.project);
            let call = elb
                .create_target_group()
                .name(&tg)
                .protocol(ProtocolEnum::Http)
                .port(port)
                .vpc_id(&net.vpc_id)
                .target_type(TargetTypeEnum::Ip)
                .health_check_path(&p.health_path)
                .send();
            let detail = format!("create target group {tg}: ip targets on port {port}, health check {}", p.health_path);
            let out = x
                .change(Op::new("elasticloadbalancing", "CreateTargetGroup", tg_pattern(x, &p.project)), detail, call)
                .await?;
            out.and_then(|o| o.target_groups().first().and_then(|t| t.target_group_arn().map(str::to_string)))
                .unwrap_or_default()
        }
    };
    x.output("target_group_arn", tg_arn.clone());
    if lb_arn.is_empty() || tg_arn.is_empty() || !forwards(x, &lb_arn, &tg_arn).await? {
        let action = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&tg_arn).build();
        let call = elb
            .create_listener()
            .load_balancer_arn(&lb_arn)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(action)
            .send();
        // In a plan the load balancer may not exist yet: its ARN is known only by name.
        let on = if lb_arn.is_empty() { lb_pattern(x, &name) } else { lb_arn.clone() };
        x.change(
            Op::new("elasticloadbalancing", "CreateListener", on),
            format!("listen on 80 and forward to {}", tg_name(&p.project)),
            call,
        )
        .await?;
    }
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    if p.load_balancer == "none" {
        return Ok(ProbeResult::new(&id, Status::Skipped, "load_balancer = none: the service has none"));
    }
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    let name = alb_name(&p.project);
    let tg = target_group(x, &p).await?;
    match p.check.as_str() {
        "target-group" => Ok(match tg {
            None => ProbeResult::new(&id, Status::Fail, "the target group does not exist").with_fix(fix),
            Some(tg) if tg.target_type() != Some(&TargetTypeEnum::Ip) => ProbeResult::new(
                &id,
                Status::Fail,
                format!(
                    "target group {} has {} targets: Fargate tasks register by ip",
                    tg.target_group_name().unwrap_or("?"),
                    tg.target_type().map_or("?", |t| t.as_str())
                ),
            ),
            Some(tg)
                if tg.health_check_path() != Some(p.health_path.as_str()) && !p.load_balancer.starts_with("arn:") =>
            {
                ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!(
                        "target group {} checks {}, not {}",
                        tg.target_group_name().unwrap_or("?"),
                        tg.health_check_path().unwrap_or("?"),
                        p.health_path
                    ),
                )
                .with_fix(fix)
            }
            Some(tg) => ProbeResult::new(
                &id,
                Status::Pass,
                format!(
                    "target group {}: ip targets on port {}, health check {}",
                    tg.target_group_name().unwrap_or("?"),
                    tg.port().unwrap_or(0),
                    tg.health_check_path().unwrap_or("?")
                ),
            ),
        }),
        _ if p.load_balancer.starts_with("arn:") => Ok(ProbeResult::new(
            &id,
            Status::Skipped,
            "the load balancer is the operator's (load_balancer is a target group ARN)",
        )),
        "alb" => Ok(match load_balancer(x, &name).await? {
            None => ProbeResult::new(&id, Status::Fail, format!("load balancer {name} does not exist")).with_fix(fix),
            Some(lb) if lb.scheme() != Some(&LoadBalancerSchemeEnum::InternetFacing) => ProbeResult::new(
                &id,
                Status::Fail,
                format!("load balancer {name} is internal: the health check from outside cannot reach it"),
            ),
            Some(lb) if lb.availability_zones().len() < 2 => ProbeResult::new(
                &id,
                Status::Fail,
                format!(
                    "load balancer {name} spans {} availability zone(s); an ALB needs two",
                    lb.availability_zones().len()
                ),
            ),
            Some(lb) => {
                x.output("dns_name", lb.dns_name().unwrap_or_default());
                ProbeResult::new(
                    &id,
                    Status::Pass,
                    format!("load balancer {name} is internet-facing at {}", lb.dns_name().unwrap_or("?")),
                )
            }
        }),
        _ => {
            let (Some(lb), Some(tg)) = (load_balancer(x, &name).await?, tg) else {
                return Ok(
                    ProbeResult::new(&id, Status::Fail, "no load balancer and target group to connect").with_fix(fix)
                );
            };
            let (lb, tg) = (
                lb.load_balancer_arn().unwrap_or_default().to_string(),
                tg.target_group_arn().unwrap_or_default().to_string(),
            );
            Ok(if forwards(x, &lb, &tg).await? {
                ProbeResult::new(
                    &id,
                    Status::Pass,
                    format!("{name} listens on 80 and forwards to {}", tg_name(&p.project)),
                )
            } else {
                ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!("{name} has no listener on 80 forwarding to {}", tg_name(&p.project)),
                )
                .with_fix(fix)
            })
        }
    }
}

/// The reads of [`probe`] (and of [`ensure`]'s looking).
fn read_calls() -> Vec<Op> {
    ["DescribeLoadBalancers", "DescribeTargetGroups", "DescribeListeners"]
        .iter()
        .map(|op| Op::new("elasticloadbalancing", op, "*"))
        .collect()
}

/// The calls of [`ensure`]: the network, then the load balancer, target group and listener made or corrected.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    if p.load_balancer == "none" {
        return Ok(Vec::new());
    }
    let mut out = read_calls();
    if p.load_balancer.starts_with("arn:") {
        return Ok(out);
    }
    out.extend(network::resolve_calls(x));
    let (lb, tg) = (lb_pattern(x, &alb_name(&p.project)), tg_pattern(x, &p.project));
    out.push(Op::new("elasticloadbalancing", "CreateLoadBalancer", &lb));
    out.push(Op::new("elasticloadbalancing", "CreateListener", &lb));
    out.push(Op::new("elasticloadbalancing", "CreateTargetGroup", &tg));
    out.push(Op::new("elasticloadbalancing", "ModifyTargetGroup", &tg));
    Ok(out)
}

/// The calls of [`probe`].
pub fn probe_calls(_: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(if p.load_balancer == "none" { Vec::new() } else { read_calls() })
}
