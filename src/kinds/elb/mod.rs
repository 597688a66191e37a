//! The Application Load Balancer in front of the service (seeds 001 and 003:
//! health check on /health): `elb.ensure_load_balancer` makes (or adopts, by
//! name) an internet-facing ALB `PROJECT-alb` in the subnets, with the group
//! `PROJECT-alb`, a target group `PROJECT-tg` (ip targets, the container port,
//! the health path) and a listener on 80 forwarding to it; `elb.load_balancer`
//! checks each part. With `load_balancer = none` there is nothing to do; with a
//! target group ARN, that group is used as it is.

pub mod undo;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Listener, LoadBalancer, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher,
    ProtocolEnum, TargetGroup, TargetTypeEnum,
};
use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Exec, Later};
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

/// preflight's tags (`Exec::tags`) as Elastic Load Balancing takes them.
fn tags(x: &Exec) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    x.tags()
        .into_iter()
        .map(|(k, v)| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn alb_name(project: &str) -> String {
    format!("{project}-alb")
}

pub fn tg_name(project: &str) -> String {
    format!("{project}-tg")
}

pub fn elb_arn(x: &Exec, what: &str) -> String {
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

/// The keys under which a plan remembers the load balancer and target group it would make.
fn lb_key(name: &str) -> String {
    format!("elb loadbalancer {name}")
}

fn tg_key(name: &str) -> String {
    format!("elb targetgroup {name}")
}

/// The health check preflight sets on its target group, compared whole: the
/// application's health path on the traffic port over HTTP, any 2xx (as the
/// health step asks), and ALB's own interval, timeout and thresholds.
pub struct HealthCheck<'a> {
    pub path: &'a str,
}

impl HealthCheck<'_> {
    pub const PROTOCOL: &'static str = "HTTP";
    pub const PORT: &'static str = "traffic-port";
    pub const MATCHER: &'static str = "200-299";
    pub const INTERVAL: i32 = 30;
    pub const TIMEOUT: i32 = 5;
    pub const HEALTHY: i32 = 5;
    pub const UNHEALTHY: i32 = 2;

    /// What differs in a target group: (field, as it is, as wanted).
    fn differences(&self, tg: &TargetGroup) -> Vec<(&'static str, String, String)> {
        let show = |v: Option<String>| v.unwrap_or_else(|| "(not set)".into());
        let fields = [
            ("protocol", tg.health_check_protocol().map(|p| p.as_str().to_string()), Self::PROTOCOL.to_string()),
            ("port", tg.health_check_port().map(str::to_string), Self::PORT.to_string()),
            ("path", tg.health_check_path().map(str::to_string), self.path.to_string()),
            ("matcher", tg.matcher().and_then(|m| m.http_code()).map(str::to_string), Self::MATCHER.to_string()),
            ("interval", tg.health_check_interval_seconds().map(|n| n.to_string()), Self::INTERVAL.to_string()),
            ("timeout", tg.health_check_timeout_seconds().map(|n| n.to_string()), Self::TIMEOUT.to_string()),
            ("healthy threshold", tg.healthy_threshold_count().map(|n| n.to_string()), Self::HEALTHY.to_string()),
            ("unhealthy threshold", tg.unhealthy_threshold_count().map(|n| n.to_string()), Self::UNHEALTHY.to_string()),
        ];
        fields
            .into_iter()
            .filter(|(_, have, want)| have.as_deref() != Some(want.as_str()))
            .map(|(f, have, want)| (f, show(have), want))
            .collect()
    }
}

/// The whole health check on a CreateTargetGroup or ModifyTargetGroup request.
macro_rules! health_check {
    ($call:expr, $path:expr) => {
        $call
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_port(HealthCheck::PORT)
            .health_check_path($path)
            .matcher(Matcher::builder().http_code(HealthCheck::MATCHER).build())
            .health_check_interval_seconds(HealthCheck::INTERVAL)
            .health_check_timeout_seconds(HealthCheck::TIMEOUT)
            .healthy_threshold_count(HealthCheck::HEALTHY)
            .unhealthy_threshold_count(HealthCheck::UNHEALTHY)
    };
}

fn said(diffs: &[(&'static str, String, String)]) -> String {
    diffs.iter().map(|(f, have, want)| format!("{f} {have} → {want}")).collect::<Vec<_>>().join(", ")
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
        check: String::new(),
    }
}

/// The load balancer's listener on port 80, if any.
async fn listener_80(x: &Exec, lb: &str) -> Result<Option<Listener>, AwsError> {
    let elb = x.aws.elb();
    let out = x
        .read(
            Op::new("elasticloadbalancing", "DescribeListeners", lb),
            elb.describe_listeners().load_balancer_arn(lb).send(),
        )
        .await?;
    Ok(out.listeners().iter().find(|l| l.port() == Some(80)).cloned())
}

/// What differs between a listener and the one wanted (HTTP, one default
/// action forwarding to exactly the target group), or None when it is that.
fn listener_differs(l: &Listener, tg: &str) -> Option<String> {
    if l.protocol() != Some(&ProtocolEnum::Http) {
        return Some(format!("it speaks {}, not HTTP", l.protocol().map_or("?", |p| p.as_str())));
    }
    let actions = l.default_actions();
    let forwards_only = |a: &Action| {
        a.r#type() == Some(&ActionTypeEnum::Forward)
            && (a.target_group_arn() == Some(tg)
                || a.forward_config().is_some_and(|f| {
                    f.target_groups().len() == 1 && f.target_groups()[0].target_group_arn() == Some(tg)
                }))
    };
    match actions {
        [a] if forwards_only(a) => None,
        [a] if a.r#type() == Some(&ActionTypeEnum::Forward) => {
            let to: Vec<&str> = a
                .target_group_arn()
                .into_iter()
                .chain(
                    a.forward_config()
                        .into_iter()
                        .flat_map(|f| f.target_groups().iter().filter_map(|t| t.target_group_arn())),
                )
                .collect();
            Some(format!("it forwards to {}", to.join(", ")))
        }
        [a] => Some(format!("its action is {}", a.r#type().map_or("?", |t| t.as_str()))),
        many => Some(format!("it has {} default actions", many.len())),
    }
}

fn forward(tg: &Later<String>) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg.wire()).build()
}

/// The target group's ARN: the one in the account, or the one a plan's
/// earlier step would make; None when there is neither.
pub async fn target_group_arn(x: &Exec, p: &Params) -> Result<Option<Later<String>>, AwsError> {
    Ok(match target_group(x, p).await? {
        Some(tg) => Some(Later::Known(tg.target_group_arn().unwrap_or_default().to_string())),
        None if !p.load_balancer.starts_with("arn:") => x.planned(&tg_key(&tg_name(&p.project))),
        None => None,
    })
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
    let tg = tg_name(&p.project);
    if name.len() > 32 || tg.len() > 32 {
        return Err(AwsError::other(format!("{name} is longer than the 32 characters a load balancer name may have"))
            .with_fix(format!(
                "choose a shorter project: {}; or create the load balancer yourself and give its target group: {}",
                crate::kinds::kind::change_input(x, "project", "acme"),
                crate::kinds::kind::change_input(x, "load_balancer", "arn:aws:elasticloadbalancing:…:targetgroup/…")
            )));
    }
    let net = resolve(x, &net_params(&p)).await?;
    let elb = x.aws.elb();
    let lb_arn = match load_balancer(x, &name).await? {
        Some(lb) => Later::Known(lb.load_balancer_arn().unwrap_or_default().to_string()),
        None => {
            let Some(group) = net.alb_group.id() else {
                return Err(AwsError::other(format!("the load balancer's security group {name} does not exist"))
                    .with_fix(format!("preflight run {} --step network", x.checklist)));
            };
            let call = elb
                .create_load_balancer()
                .name(&name)
                .r#type(LoadBalancerTypeEnum::Application)
                .scheme(LoadBalancerSchemeEnum::InternetFacing)
                .set_subnets(Some(net.subnets.clone()))
                .security_groups(group.wire())
                .set_tags(Some(tags(x)))
                .send();
            let detail = format!(
                "create the internet-facing load balancer {name} in {} subnets, with the security group {group}",
                net.subnets.len()
            );
            let out = x
                .change(Op::new("elasticloadbalancing", "CreateLoadBalancer", lb_pattern(x, &name)), detail, call)
                .await?;
            let arn = out
                .map(|o| o.load_balancers().first().and_then(|l| l.load_balancer_arn().map(str::to_string)))
                .required("load balancer ARN")?
                .named(format!("load balancer {name}"));
            x.remember(&lb_key(&name), &arn);
            arn
        }
    };
    let want = HealthCheck { path: &p.health_path };
    let tg_arn = match target_group(x, &p).await? {
        Some(existing) => {
            let arn = existing.target_group_arn().unwrap_or_default().to_string();
            let diffs = want.differences(&existing);
            if !diffs.is_empty() {
                let call = health_check!(elb.modify_target_group().target_group_arn(&arn), &p.health_path).send();
                let detail = format!("health check of {tg}: {}", said(&diffs));
                x.change(Op::new("elasticloadbalancing", "ModifyTargetGroup", &arn), detail, call).await?;
            }
            Later::Known(arn)
        }
        None => {
            let create = elb
                .create_target_group()
                .name(&tg)
                .protocol(ProtocolEnum::Http)
                .port(port)
                .vpc_id(&net.vpc_id)
                .target_type(TargetTypeEnum::Ip);
            let call = health_check!(create, &p.health_path).send();
            let detail = format!(
                "create target group {tg}: ip targets on port {port}, health check GET {} expecting {}",
                p.health_path,
                HealthCheck::MATCHER
            );
            let out = x
                .change(Op::new("elasticloadbalancing", "CreateTargetGroup", tg_pattern(x, &p.project)), detail, call)
                .await?;
            let arn = out
                .map(|o| o.target_groups().first().and_then(|t| t.target_group_arn().map(str::to_string)))
                .required("target group ARN")?
                .named(format!("target group {tg}"));
            x.remember(&tg_key(&tg), &arn);
            arn
        }
    };
    if let Later::Known(arn) = &tg_arn {
        x.output("target_group_arn", arn.clone());
    }
    // A load balancer not made yet has no listener.
    let listener = match &lb_arn {
        Later::Known(lb) => listener_80(x, lb).await?,
        Later::After(_) => None,
    };
    match listener {
        None => {
            let call = elb
                .create_listener()
                .load_balancer_arn(lb_arn.wire())
                .protocol(ProtocolEnum::Http)
                .port(80)
                .default_actions(forward(&tg_arn))
                .send();
            x.change(
                Op::new("elasticloadbalancing", "CreateListener", lb_arn.to_string()),
                format!("listen on 80 (HTTP) and forward to {tg}"),
                call,
            )
            .await?;
        }
        Some(l) => {
            let differs = match &tg_arn {
                Later::Known(tg) => listener_differs(&l, tg),
                Later::After(p) => Some(format!("it does not forward to {p}")),
            };
            if let Some(why) = differs {
                let arn = l.listener_arn().unwrap_or_default().to_string();
                let call = elb
                    .modify_listener()
                    .listener_arn(&arn)
                    .protocol(ProtocolEnum::Http)
                    .port(80)
                    .default_actions(forward(&tg_arn))
                    .send();
                x.change(
                    Op::new("elasticloadbalancing", "ModifyListener", &arn),
                    format!("listener on 80: forward only to {tg} ({why})"),
                    call,
                )
                .await?;
            }
        }
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
                if !p.load_balancer.starts_with("arn:")
                    && !HealthCheck { path: &p.health_path }.differences(&tg).is_empty() =>
            {
                let diffs = HealthCheck { path: &p.health_path }.differences(&tg);
                ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!(
                        "target group {}'s health check is not the one wanted: {}",
                        tg.target_group_name().unwrap_or("?"),
                        said(&diffs)
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
            Ok(match listener_80(x, &lb).await? {
                None => ProbeResult::new(&id, Status::Fail, format!("{name} has no listener on 80")).with_fix(fix),
                Some(l) => match listener_differs(&l, &tg) {
                    None => ProbeResult::new(
                        &id,
                        Status::Pass,
                        format!("{name} listens on 80 (HTTP) and forwards only to {}", tg_name(&p.project)),
                    ),
                    Some(why) => ProbeResult::new(
                        &id,
                        Status::Fail,
                        format!("{name}'s listener on 80 does not forward only to {}: {why}", tg_name(&p.project)),
                    )
                    .with_fix(fix),
                },
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
    out.push(Op::new(
        "elasticloadbalancing",
        "ModifyListener",
        elb_arn(x, &format!("listener/app/{}/*", alb_name(&p.project))),
    ));
    out.push(Op::new("elasticloadbalancing", "CreateTargetGroup", &tg));
    out.push(Op::new("elasticloadbalancing", "ModifyTargetGroup", &tg));
    Ok(out)
}

/// The calls of [`probe`].
pub fn probe_calls(_: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(if p.load_balancer == "none" { Vec::new() } else { read_calls() })
}
