//! The service: `ecs.ensure_service` creates it (Fargate, awsvpc, the load
//! balancer's target group, the deployment circuit breaker with rollback, the
//! platform version and the health-check grace period) or updates exactly the
//! settings that differ from the profile's (see `settings`), and starts a new
//! deployment by itself when the running one is older than what the profile
//! means (a secret written since: see `fresh`; with `--force`, always: seed
//! 001's --force-new-deployment); then it watches the deployment: a poll every
//! 5 s, bounded by stable_timeout_s, stopping at the first decisive evidence
//! (a stopped task of this deployment, a failed rollout) with its class and
//! fix, never a bare "timed out" and never a rollback reported as success.
//! `ecs.service` checks the service's state, one `check` at a time.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{LaunchType, Service};
use serde::Deserialize;

use super::cluster::cluster_arn;
use super::fresh::{self, Stale};
use super::platform_of;
use super::settings::{self, Compared, Want};
use super::task::revision_key;
use super::watch::{Context, Stopped, Verdict, classify, rollout, seen, stable, table};
use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::{Exec, Later};
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::ec2::network::{self, port, resolve};
use crate::kinds::elb::target_group_arn;
use crate::kinds::kind::KindParams;

const POLL: Duration = Duration::from_secs(5);

/// The action's parameters, and the probe's (which names its `check`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub cluster: String,
    pub service: String,
    pub family: String,
    /// For the probe: `active`, `revision`, `running`, `deployment`, `settings` or `current`.
    #[serde(default)]
    pub check: String,
    #[serde(default = "one")]
    pub desired_count: String,
    #[serde(default)]
    pub container_name: String,
    #[serde(default)]
    pub container_port: String,
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    pub subnets: String,
    #[serde(default)]
    pub security_groups: String,
    #[serde(default)]
    pub assign_public_ip: String,
    #[serde(default)]
    pub load_balancer: String,
    #[serde(default = "latest")]
    pub platform_version: String,
    /// Seconds; only with a load balancer.
    #[serde(default)]
    pub health_check_grace_period: String,
    #[serde(default = "timeout")]
    pub stable_timeout_s: String,
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub cpu_architecture: String,
    #[serde(default)]
    pub health_path: String,
    #[serde(default)]
    pub log_group: String,
    /// Where ecr-push talks to the registry (the sandbox's); empty: ECR's own.
    #[serde(default)]
    pub registry_url: String,
    /// The task definition's asset: the roles it names are those the service hands to ECS.
    pub task_definition: Option<String>,
}

fn one() -> String {
    "1".into()
}

fn latest() -> String {
    "LATEST".into()
}

fn timeout() -> String {
    "600".into()
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        self.task_definition.iter().cloned().collect()
    }
    fn validate(&self) -> Result<(), String> {
        match self.check.as_str() {
            "" | "active" | "revision" | "running" | "deployment" | "settings" | "current" => Ok(()),
            other => {
                Err(format!("`check` is active, revision, running, deployment, settings or current, not \"{other}\""))
            }
        }
    }
}

fn number(text: &str, what: &str) -> Result<i32, AwsError> {
    text.trim()
        .parse()
        .map_err(|_| AwsError::new(ErrorKind::Input, format!("{what} must be a whole number, not \"{text}\"")))
}

pub fn service_arn(x: &Exec, cluster: &str, service: &str) -> String {
    format!("arn:{}:ecs:{}:{}:service/{cluster}/{service}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// The service, unless it does not exist or is INACTIVE (deleted).
pub async fn describe(x: &Exec, cluster: &str, service: &str) -> Result<Option<Service>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "DescribeServices", service_arn(x, cluster, service));
    match x.read(op, ecs.describe_services().cluster(cluster).services(service).send()).await {
        Ok(out) => Ok(out.services().iter().find(|s| s.status() != Some("INACTIVE")).cloned()),
        Err(e) if e.code.as_deref() == Some("ClusterNotFoundException") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The tasks of a cluster, as IAM matches their ARNs.
fn tasks_pattern(x: &Exec, cluster: &str) -> String {
    format!("arn:{}:ecs:{}:{}:task/{cluster}/*", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// A log group's streams (or one of them), as IAM names them.
fn stream_arn(x: &Exec, group: &str, stream: &str) -> String {
    format!(
        "arn:{}:logs:{}:{}:log-group:{group}:log-stream:{stream}",
        x.aws.partition(),
        x.aws.region,
        x.aws.account_id
    )
}

/// The stopped tasks of this service (ECS marks them `service:NAME`).
async fn stopped(x: &Exec, p: &Params) -> Result<Vec<(Stopped, String)>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "ListTasks", cluster_arn(x, &p.cluster));
    let list = match x
        .read(
            op,
            ecs.list_tasks().cluster(&p.cluster).desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped).send(),
        )
        .await
    {
        Ok(list) => list,
        // No cluster yet (a plan that makes it): no task has stopped.
        Err(e) if e.code.as_deref() == Some("ClusterNotFoundException") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let arns = list.task_arns().to_vec();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let op = Op::new("ecs", "DescribeTasks", tasks_pattern(x, &p.cluster));
    let out = x.read(op, ecs.describe_tasks().cluster(&p.cluster).set_tasks(Some(arns)).send()).await?;
    let group = format!("service:{}", p.service);
    Ok(out
        .tasks()
        .iter()
        .filter(|t| t.group() == Some(group.as_str()))
        .map(|t| {
            let s = Stopped {
                arn: t.task_arn().unwrap_or_default().to_string(),
                stopped_reason: t.stopped_reason().unwrap_or_default().to_string(),
                stop_code: t.stop_code().map(|c| c.as_str().to_string()).unwrap_or_default(),
                containers: t
                    .containers()
                    .iter()
                    .map(|c| {
                        (
                            c.name().unwrap_or_default().to_string(),
                            c.reason().unwrap_or_default().to_string(),
                            c.exit_code(),
                        )
                    })
                    .collect(),
            };
            (s, t.started_by().unwrap_or_default().to_string())
        })
        .collect())
}

/// The last lines of a task's container log (`ecs/CONTAINER/TASK`).
async fn tail(x: &Exec, log_group: &str, container: &str, task: &str) -> String {
    let logs = x.aws.logs();
    let stream = format!("ecs/{container}/{task}");
    let op = Op::new("logs", "GetLogEvents", stream_arn(x, log_group, &stream));
    match x
        .read(
            op,
            logs.get_log_events()
                .log_group_name(log_group)
                .log_stream_name(&stream)
                .limit(20)
                .start_from_head(false)
                .send(),
        )
        .await
    {
        Ok(out) if !out.events().is_empty() => {
            let lines: Vec<&str> = out.events().iter().filter_map(|e| e.message()).collect();
            format!("\nlast {} lines of {log_group} {stream}:\n{}", lines.len(), lines.join("\n"))
        }
        Ok(_) => format!("\n(no log lines in {log_group} {stream})"),
        Err(e) => format!("\n(the log stream {log_group} {stream} could not be read: {})", e.message),
    }
}

fn failed(v: Verdict, extra: String) -> AwsError {
    AwsError::other(format!("{}{extra}", v.message)).with_fix(v.fix)
}

/// Watches the deployment of `revision` until it is stable, fails or the time is up.
async fn watch(x: &Exec, p: &Params, revision: &str, before: &BTreeSet<String>, ctx: &Context) -> Result<(), AwsError> {
    let limit = Duration::from_secs(number(&p.stable_timeout_s, "stable_timeout_s")?.max(1) as u64);
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let Some(s) = describe(x, &p.cluster, &p.service).await? else {
            return Err(AwsError::other(format!("service {} disappeared while deploying", p.service)));
        };
        let now = seen(&s);
        if now != last {
            x.info(format!("deployment: {now}"));
            last = now;
        }
        x.table(table(&s));
        if let Some(v) = rollout(&s, revision) {
            return Err(failed(v, String::new()));
        }
        let deployment = s
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.id())
            .unwrap_or_default()
            .to_string();
        for (task, started_by) in stopped(x, p).await? {
            let ours = started_by == deployment || !before.contains(&task.arn);
            if let (true, Some(v)) = (ours, classify(&task, ctx)) {
                let extra = match (&v.logs_of, v.class) {
                    (Some(container), _) => tail(x, &p.log_group, container, task.task_id()).await,
                    (None, "wrong-architecture") => {
                        format!("\n{}", super::image::described(x, &p.image, &p.registry_url).await)
                    }
                    _ => String::new(),
                };
                return Err(failed(v, extra));
            }
        }
        if stable(&s) {
            x.info(format!(
                "service {} is stable: {} of {} tasks running",
                p.service,
                s.running_count(),
                s.desired_count()
            ));
            return Ok(());
        }
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(AwsError::other(format!(
                "service {} did not become stable within {} s; last seen: {last}; no stopped task of this deployment said why",
                p.service,
                limit.as_secs()
            ))
            .with_fix("ECS may still be placing tasks: preflight verify ecs-service later; if tasks never start, look at the service's events in the console, or raise stable_timeout_s"));
        }
        tokio::time::sleep(POLL.min(left)).await;
    }
}

fn net_params(p: &Params) -> network::Params {
    network::Params {
        project: p.project.clone(),
        subnets: p.subnets.clone(),
        security_groups: p.security_groups.clone(),
        container_port: p.container_port.clone(),
        load_balancer: p.load_balancer.clone(),
        check: String::new(),
    }
}

fn elb_params(p: &Params) -> crate::kinds::elb::Params {
    crate::kinds::elb::Params {
        project: p.project.clone(),
        subnets: p.subnets.clone(),
        container_port: p.container_port.clone(),
        health_path: p.health_path.clone(),
        load_balancer: p.load_balancer.clone(),
        check: String::new(),
    }
}

/// The family's newest ACTIVE revision (or the one an earlier step of this
/// plan registers), and the roles it names.
async fn newest(x: &Exec, family: &str) -> Result<Option<(Later<String>, Vec<String>)>, AwsError> {
    let planned = x.planned(&revision_key(family));
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "DescribeTaskDefinition", "*");
    let found = match x.read(op, ecs.describe_task_definition().task_definition(family).send()).await {
        Ok(out) => out.task_definition().and_then(|t| {
            let roles = [t.task_role_arn(), t.execution_role_arn()].into_iter().flatten();
            let roles = roles.filter(|r| !r.is_empty()).map(str::to_string).collect();
            t.task_definition_arn().map(|arn| (arn.to_string(), roles))
        }),
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("ClientException") => None,
        Err(e) => return Err(e),
    };
    Ok(match (planned, found) {
        (Some(revision), Some((_, roles))) => Some((revision, roles)),
        (Some(revision), None) => Some((revision, Vec::new())),
        (None, Some((arn, roles))) => Some((Later::Known(arn), roles)),
        (None, None) => None,
    })
}

/// The service as the profile means it.
pub async fn want(x: &Exec, p: &Params) -> Result<Want, AwsError> {
    let desired = number(&p.desired_count, "desired_count")?;
    let container_port = port(&p.container_port)?;
    let (revision, mut roles) = newest(x, &p.family).await?.ok_or_else(|| {
        AwsError::other(format!("task definition family {} has no revision", p.family))
            .with_fix(format!("preflight run {} --step task-definition", x.checklist))
    })?;
    // The roles the asset names, when the revision is not registered yet.
    if roles.is_empty()
        && let Some(asset) = &p.task_definition
    {
        roles = super::roles_of(&x.asset_json(asset)?);
    }
    let net = resolve(x, &net_params(p)).await?;
    if net.task_groups.is_empty() {
        return Err(AwsError::other(format!("the tasks' security group {}-ecs does not exist", p.project))
            .with_fix(format!("preflight run {} --step network", x.checklist)));
    }
    let target_group = match p.load_balancer.as_str() {
        "none" => None,
        _ => Some(target_group_arn(x, &elb_params(p)).await?.ok_or_else(|| {
            AwsError::other("the service's target group does not exist")
                .with_fix(format!("preflight run {} --step load-balancer", x.checklist))
        })?),
    };
    let grace = match (&target_group, p.health_check_grace_period.trim()) {
        (Some(_), "") => None,
        (Some(_), g) => Some(number(g, "health_check_grace_period")?),
        (None, _) => None,
    };
    Ok(Want {
        revision,
        roles,
        desired,
        subnets: net.subnets,
        groups: net.task_groups,
        public_ip: p.assign_public_ip == "ENABLED",
        target_group,
        container_name: p.container_name.clone(),
        container_port,
        platform_version: p.platform_version.clone(),
        grace,
    })
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let want = want(x, &p).await?;
    let arn = service_arn(x, &p.cluster, &p.service);
    let before: BTreeSet<String> = stopped(x, &p).await?.into_iter().map(|(t, _)| t.arn).collect();
    let ecs = x.aws.ecs();
    match describe(x, &p.cluster, &p.service).await? {
        None => {
            let call = ecs
                .create_service()
                .cluster(&p.cluster)
                .service_name(&p.service)
                .task_definition(want.revision.wire())
                .desired_count(want.desired)
                .launch_type(LaunchType::Fargate)
                .platform_version(&want.platform_version)
                .network_configuration(settings::network(&want)?)
                .set_load_balancers(Some(settings::load_balancers(&want)).filter(|l| !l.is_empty()))
                .set_health_check_grace_period_seconds(want.grace)
                .deployment_configuration(settings::deployment())
                .set_tags(Some(super::tags(x)));
            let detail = format!(
                "create service {} on Fargate ({}): {} task(s) of {}{}, circuit breaker with rollback",
                p.service,
                want.platform_version,
                want.desired,
                want.revision,
                want.target_group.as_ref().map(|t| format!(" behind {t}")).unwrap_or_default()
            );
            let op = Op::new("ecs", "CreateService", &arn).passing(want.roles.clone());
            x.change(op, detail, call.send()).await?;
        }
        Some(s) => {
            let scaled = settings::scaled(x, &p.cluster, &p.service).await?;
            let compared = settings::compare(&s, &want, scaled);
            let stale = fresh::stale(x, &s, &p.image, &p.registry_url).await?;
            let same_revision = !compared.differences.iter().any(|d| d.setting == settings::Setting::Revision);
            if let (Some(image), true) = (&stale.image, same_revision) {
                return Err(AwsError::other(format!(
                    "service {} {image}, and the newest revision of {} names the same image",
                    p.service, p.family
                ))
                .with_fix(format!("register a revision of the image now: preflight run {}", x.checklist)));
            }
            let mut why: Vec<String> = compared.differences.iter().map(ToString::to_string).collect();
            let renew = !stale.values.is_empty() || x.force;
            why.extend(stale.values.iter().map(|v| format!("a new deployment: {v}")));
            if x.force {
                why.push("a new deployment is forced (--force)".into());
            }
            if why.is_empty() {
                x.note(format!("service {} is as the profile says{}", p.service, compared.caveats()));
                return Ok(());
            }
            let call = ecs.update_service().cluster(&p.cluster).service(&p.service);
            let call = settings::update(call, &want, &compared.differences)?;
            let call = if renew { call.force_new_deployment(true) } else { call };
            let op = Op::new("ecs", "UpdateService", &arn).passing(want.roles.clone());
            x.change(op, format!("update service {}: {}", p.service, why.join("; ")), call.send()).await?;
        }
    }
    if !x.apply {
        return Ok(());
    }
    let revision = want.revision.known().cloned().unwrap_or_default();
    let ctx = Context {
        image: p.image.clone(),
        platform: platform_of(&p.cpu_architecture).to_string(),
        health_path: p.health_path.clone(),
        port: want.container_port,
        groups: network::shown(&want.groups),
        log_group: p.log_group.clone(),
    };
    watch(x, &p, &revision, &before, &ctx).await
}

/// A probe's verdict.
fn verdict(id: &str, ok: bool, pass: String, fail: String, fix: &str) -> ProbeResult {
    if ok { ProbeResult::new(id, Status::Pass, pass) } else { ProbeResult::new(id, Status::Fail, fail).with_fix(fix) }
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    // The service's probes ask once (the watcher, which polls, never shares).
    let op = Op::new("ecs", "DescribeServices", service_arn(x, &p.cluster, &p.service));
    let key = format!("{} {}", p.cluster, p.service);
    let Some(s) = x.read_shared(op, &key, describe(x, &p.cluster, &p.service)).await? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("service {} does not exist in cluster {}", p.service, p.cluster),
        )
        .with_fix(fix));
    };
    Ok(match p.check.as_str() {
        "revision" => {
            let runs = s.task_definition().unwrap_or("?");
            match newest(x, &p.family).await?.map(|(r, _)| r) {
                Some(Later::Known(newest)) => verdict(
                    &id,
                    runs == newest,
                    format!("service {} runs the newest revision {runs}", p.service),
                    format!("service {} runs {runs}, not the newest revision {newest}", p.service),
                    &fix,
                ),
                Some(later) => ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!("service {} runs {runs}; it is to run {later}", p.service),
                )
                .with_fix(fix),
                None => {
                    ProbeResult::new(&id, Status::Fail, format!("task definition family {} has no revision", p.family))
                        .with_fix(format!("preflight run {} --step task-definition", x.checklist))
                }
            }
        }
        "running" => running(x, &id, &s, &p, &fix).await?,
        "deployment" => deployment(&id, &s, &p, &fix),
        "settings" => {
            let want = match want(x, &p).await {
                Ok(w) => w,
                Err(e) if e.kind == ErrorKind::Other => {
                    return Ok(ProbeResult::new(&id, Status::Fail, e.message.clone()).with_fix(e.fix().unwrap_or(fix)));
                }
                Err(e) => return Err(e),
            };
            let scaled = settings::scaled(x, &p.cluster, &p.service).await?;
            let compared: Compared = settings::compare(&s, &want, scaled);
            let differ: Vec<String> = compared.differences.iter().map(ToString::to_string).collect();
            verdict(
                &id,
                differ.is_empty(),
                format!("service {} is as the profile says{}", p.service, compared.caveats()),
                format!("service {} differs from the profile: {}", p.service, differ.join("; ")),
                &fix,
            )
        }
        "current" => {
            let stale: Stale = fresh::stale(x, &s, &p.image, &p.registry_url).await?;
            verdict(
                &id,
                stale.is_empty(),
                format!("service {}'s deployment runs the image and values the profile names now", p.service),
                format!(
                    "service {}'s deployment is older than what the profile means: {}",
                    p.service,
                    stale.reasons().join("; ")
                ),
                &format!("preflight run {} (a new deployment starts by itself)", x.checklist),
            )
        }
        _ => verdict(
            &id,
            s.status() == Some("ACTIVE"),
            format!("service {} is ACTIVE", p.service),
            format!("service {} is {}", p.service, s.status().unwrap_or("?")),
            &fix,
        ),
    })
}

/// Every desired task runs, and the desired count is the profile's (or Auto Scaling's).
async fn running(x: &Exec, id: &str, s: &Service, p: &Params, fix: &str) -> Result<ProbeResult, AwsError> {
    let asked = number(&p.desired_count, "desired_count")?;
    let scaled = settings::scaled(x, &p.cluster, &p.service).await?;
    let desired = s.desired_count();
    let range = |(min, max): (i32, i32)| format!("Application Auto Scaling's range {min} to {max}");
    if desired == 0 || (scaled.is_none() && desired != asked) {
        let asks = scaled.map_or(format!("the profile asks {asked}"), range);
        return Ok(ProbeResult::new(
            id,
            Status::Fail,
            format!("desired {desired} ({asks}); {} running", s.running_count()),
        )
        .with_fix(fix));
    }
    Ok(verdict(
        id,
        s.running_count() == desired,
        format!(
            "{} of {desired} tasks running{}",
            s.running_count(),
            scaled.map(|r| format!(" ({})", range(r))).unwrap_or_default()
        ),
        format!("{} of {desired} tasks running ({} pending)", s.running_count(), s.pending_count()),
        fix,
    ))
}

fn deployment(id: &str, s: &Service, p: &Params, fix: &str) -> ProbeResult {
    let deployments = s.deployments();
    let rolled_back = deployments.iter().any(|d| d.rollout_state().is_some_and(|r| r.as_str() == "FAILED"))
        || deployments.iter().any(|d| {
            d.rollout_state_reason().is_some_and(|r| {
                r.to_lowercase().contains("rolled back") || r.to_lowercase().contains("circuit breaker")
            })
        });
    if rolled_back {
        return ProbeResult::new(
            id,
            Status::Fail,
            format!("a deployment of {} failed and was rolled back: {}", p.service, seen(s)),
        )
        .with_fix(fix);
    }
    verdict(
        id,
        stable(s),
        format!("one deployment, COMPLETED: {}", seen(s)),
        format!("the deployment is not complete: {}", seen(s)),
        fix,
    )
}

/// The calls of [`ensure`]: the revision, the network, the target group, the
/// service made or updated (handing over the task definition's roles), what
/// makes it stale, Auto Scaling's range, then the watcher's reads.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = service_arn(x, &p.cluster, &p.service);
    let roles = match &p.task_definition {
        Some(asset) => super::roles_of(&x.asset_json(asset)?),
        None => Vec::new(),
    };
    let mut out = vec![
        Op::new("ecs", "DescribeTaskDefinition", "*"),
        Op::new("application-autoscaling", "DescribeScalableTargets", "*"),
    ];
    out.extend(network::resolve_calls(x));
    out.extend([
        Op::new("ecs", "ListTasks", cluster_arn(x, &p.cluster)),
        Op::new("ecs", "DescribeTasks", tasks_pattern(x, &p.cluster)),
        Op::new("ecs", "DescribeServices", &arn),
        Op::new("elasticloadbalancing", "DescribeTargetGroups", "*"),
        Op::new("ecs", "CreateService", &arn).passing(roles.clone()),
        Op::new("ecs", "UpdateService", &arn).passing(roles),
        Op::new("logs", "GetLogEvents", stream_arn(x, &p.log_group, "*")),
    ]);
    out.extend(fresh::stale_calls(x, &p.image, &p.registry_url));
    // A task stopped for its platform: what ECR holds for the image.
    let image = super::image::Params {
        image: p.image.clone(),
        cpu_architecture: p.cpu_architecture.clone(),
        platform: String::new(),
        registry_url: p.registry_url.clone(),
    };
    out.extend(super::image::probe_calls(x, &image)?);
    Ok(out)
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = vec![
        Op::new("ecs", "DescribeServices", service_arn(x, &p.cluster, &p.service)),
        Op::new("ecs", "DescribeTaskDefinition", "*"),
    ];
    match p.check.as_str() {
        "running" => out.push(Op::new("application-autoscaling", "DescribeScalableTargets", "*")),
        "settings" => {
            out.push(Op::new("application-autoscaling", "DescribeScalableTargets", "*"));
            out.extend(network::resolve_calls(x));
            out.push(Op::new("elasticloadbalancing", "DescribeTargetGroups", "*"));
        }
        "current" => out.extend(fresh::stale_calls(x, &p.image, &p.registry_url)),
        _ => {}
    }
    Ok(out)
}
