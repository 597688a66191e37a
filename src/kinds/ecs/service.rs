//! The service: `ecs.ensure_service` creates it (Fargate, awsvpc, the load
//! balancer's target group, the deployment circuit breaker with rollback) or
//! updates it to the newest revision (with `--force`, a new deployment even
//! when nothing differs: seed 001's --force-new-deployment), then watches the
//! deployment: a poll every 5 s, bounded by stable_timeout_s, stopping at the
//! first decisive evidence (a stopped task of this deployment, a failed
//! rollout) with its class and fix, never a bare "timed out" and never a
//! rollback reported as success. `ecs.service` checks the service's state.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, LaunchType, LoadBalancer,
    NetworkConfiguration, Service,
};
use serde::Deserialize;

use super::cluster::cluster_arn;
use super::platform_of;
use super::watch::{Context, Stopped, Verdict, classify, rollout, seen, stable, table};
use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::ec2::network::{self, port, resolve};
use crate::kinds::elb::target_group;
use crate::kinds::kind::KindParams;

const POLL: Duration = Duration::from_secs(5);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub desired_count: String,
    pub container_name: String,
    pub container_port: String,
    pub project: String,
    #[serde(default)]
    pub subnets: String,
    #[serde(default)]
    pub security_groups: String,
    pub assign_public_ip: String,
    pub load_balancer: String,
    pub stable_timeout_s: String,
    pub image: String,
    pub cpu_architecture: String,
    pub health_path: String,
    pub log_group: String,
    /// Where ecr-push talks to the registry (the sandbox's); empty: ECR's own.
    #[serde(default)]
    pub registry_url: String,
    /// The task definition's asset: the roles it names are those the service hands to ECS.
    pub task_definition: Option<String>,
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        self.task_definition.iter().cloned().collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub cluster: String,
    pub service: String,
    pub family: String,
    /// `active`, `revision`, `running` or `deployment`.
    pub check: String,
}

impl KindParams for Check {
    fn validate(&self) -> Result<(), String> {
        match self.check.as_str() {
            "active" | "revision" | "running" | "deployment" => Ok(()),
            other => Err(format!("`check` is active, revision, running or deployment, not \"{other}\"")),
        }
    }
}

fn number(text: &str, what: &str) -> Result<i32, AwsError> {
    text.trim()
        .parse()
        .map_err(|_| AwsError::new(ErrorKind::Input, format!("{what} must be a whole number, not \"{text}\"")))
}

fn service_arn(x: &Exec, cluster: &str, service: &str) -> String {
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

/// The family's newest ACTIVE revision, and the roles it names.
async fn newest(x: &Exec, family: &str) -> Result<Option<(String, Vec<String>)>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "DescribeTaskDefinition", family);
    match x.read(op, ecs.describe_task_definition().task_definition(family).send()).await {
        Ok(out) => Ok(out.task_definition().and_then(|t| {
            let roles = [t.task_role_arn(), t.execution_role_arn()].into_iter().flatten();
            let roles = roles.filter(|r| !r.is_empty()).map(str::to_string).collect();
            t.task_definition_arn().map(|arn| (arn.to_string(), roles))
        })),
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("ClientException") => Ok(None),
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

fn net_params(p: &Params) -> network::Params {
    network::Params {
        project: p.project.clone(),
        subnets: p.subnets.clone(),
        security_groups: p.security_groups.clone(),
        container_port: p.container_port.clone(),
        load_balancer: p.load_balancer.clone(),
    }
}

/// The stopped tasks of this service (ECS marks them `service:NAME`).
async fn stopped(x: &Exec, p: &Params) -> Result<Vec<(Stopped, String)>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "ListTasks", cluster_arn(x, &p.cluster));
    let list = x
        .read(
            op,
            ecs.list_tasks().cluster(&p.cluster).desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped).send(),
        )
        .await?;
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

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let desired = number(&p.desired_count, "desired_count")?;
    let container_port = port(&p.container_port)?;
    let arn = service_arn(x, &p.cluster, &p.service);
    let (revision, roles) = newest(x, &p.family).await?.ok_or_else(|| {
        AwsError::other(format!("task definition family {} has no revision", p.family))
            .with_fix(format!("preflight run {} --step task-definition", x.checklist))
    })?;
    let net = resolve(x, &net_params(&p)).await?;
    let ip = if p.assign_public_ip == "ENABLED" { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled };
    let awsvpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(net.subnets.clone()))
        .set_security_groups(Some(net.task_groups.clone()))
        .assign_public_ip(ip)
        .build()
        .map_err(|e| AwsError::other(e.to_string()))?;
    let network_configuration = NetworkConfiguration::builder().awsvpc_configuration(awsvpc).build();
    let before: BTreeSet<String> = stopped(x, &p).await?.into_iter().map(|(t, _)| t.arn).collect();
    let ecs = x.aws.ecs();
    match describe(x, &p.cluster, &p.service).await? {
        None => {
            let tg = match p.load_balancer.as_str() {
                "none" => None,
                _ => target_group(
                    x,
                    &crate::kinds::elb::Params {
                        project: p.project.clone(),
                        subnets: p.subnets.clone(),
                        container_port: p.container_port.clone(),
                        health_path: p.health_path.clone(),
                        load_balancer: p.load_balancer.clone(),
                        check: String::new(),
                    },
                )
                .await?
                .and_then(|t| t.target_group_arn().map(str::to_string)),
            };
            let breaker = DeploymentCircuitBreaker::builder().enable(true).rollback(true).build();
            let mut call = ecs
                .create_service()
                .cluster(&p.cluster)
                .service_name(&p.service)
                .task_definition(&revision)
                .desired_count(desired)
                .launch_type(LaunchType::Fargate)
                .network_configuration(network_configuration)
                .deployment_configuration(
                    DeploymentConfiguration::builder().deployment_circuit_breaker(breaker).build(),
                );
            if let Some(tg) = &tg {
                call = call.load_balancers(
                    LoadBalancer::builder()
                        .target_group_arn(tg)
                        .container_name(&p.container_name)
                        .container_port(container_port)
                        .build(),
                );
            }
            let detail = format!(
                "create service {} on Fargate: {desired} task(s) of {revision}{}, circuit breaker with rollback",
                p.service,
                tg.as_deref().map(|t| format!(" behind {t}")).unwrap_or_default()
            );
            x.change(Op::new("ecs", "CreateService", &arn).passing(roles), detail, call.send()).await?;
        }
        Some(s) => {
            let mut why = Vec::new();
            if s.task_definition() != Some(revision.as_str()) {
                why.push(format!("{} → {revision}", s.task_definition().unwrap_or("?")));
            }
            if s.desired_count() != desired {
                why.push(format!("desired {} → {desired}", s.desired_count()));
            }
            if x.force {
                why.push("a new deployment is forced (--force)".into());
            }
            if why.is_empty() {
                x.note(format!("service {} already runs {revision}", p.service));
                return Ok(());
            }
            let call = ecs
                .update_service()
                .cluster(&p.cluster)
                .service(&p.service)
                .task_definition(&revision)
                .desired_count(desired)
                .force_new_deployment(x.force)
                .send();
            x.change(
                Op::new("ecs", "UpdateService", &arn).passing(roles),
                format!("update service {}: {}", p.service, why.join("; ")),
                call,
            )
            .await?;
        }
    }
    if !x.apply {
        return Ok(());
    }
    let ctx = Context {
        image: p.image.clone(),
        platform: platform_of(&p.cpu_architecture).to_string(),
        health_path: p.health_path.clone(),
        port: container_port,
        groups: net.task_groups.join(", "),
        log_group: p.log_group.clone(),
    };
    watch(x, &p, &revision, &before, &ctx).await
}

pub async fn probe(x: &mut Exec, id: String, p: Check) -> Result<ProbeResult, AwsError> {
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    // The service's four probes ask once (the watcher, which polls, never shares).
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
    let result = |ok: bool, pass: String, fail: String| {
        if ok {
            ProbeResult::new(&id, Status::Pass, pass)
        } else {
            ProbeResult::new(&id, Status::Fail, fail).with_fix(fix.clone())
        }
    };
    Ok(match p.check.as_str() {
        "revision" => {
            let newest = newest(x, &p.family).await?.map(|(arn, _)| arn).unwrap_or_default();
            let runs = s.task_definition().unwrap_or("?");
            result(
                runs == newest,
                format!("service {} runs the newest revision {runs}", p.service),
                format!("service {} runs {runs}, not the newest revision {newest}", p.service),
            )
        }
        "running" => result(
            s.desired_count() > 0 && s.running_count() == s.desired_count(),
            format!("{} of {} tasks running", s.running_count(), s.desired_count()),
            format!("{} of {} tasks running ({} pending)", s.running_count(), s.desired_count(), s.pending_count()),
        ),
        "deployment" => {
            let deployments = s.deployments();
            let rolled_back = deployments.iter().any(|d| d.rollout_state().is_some_and(|r| r.as_str() == "FAILED"))
                || deployments.iter().any(|d| {
                    d.rollout_state_reason().is_some_and(|r| {
                        r.to_lowercase().contains("rolled back") || r.to_lowercase().contains("circuit breaker")
                    })
                });
            let breaker = s.deployment_configuration().and_then(|c| c.deployment_circuit_breaker());
            if rolled_back {
                ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!("a deployment of {} failed and was rolled back: {}", p.service, seen(&s)),
                )
                .with_fix(fix)
            } else if breaker.is_some_and(|b| !b.enable() || !b.rollback()) {
                ProbeResult::new(&id, Status::Fail, format!("the deployment circuit breaker of {} is off: a failing deployment would never end", p.service))
                    .with_fix(format!("aws ecs update-service --cluster {} --service {} --deployment-configuration 'deploymentCircuitBreaker={{enable=true,rollback=true}}'", p.cluster, p.service))
            } else {
                result(
                    stable(&s),
                    format!("one deployment, COMPLETED: {}", seen(&s)),
                    format!("the deployment is not complete: {}", seen(&s)),
                )
            }
        }
        _ => result(
            s.status() == Some("ACTIVE"),
            format!("service {} is ACTIVE", p.service),
            format!("service {} is {}", p.service, s.status().unwrap_or("?")),
        ),
    })
}

/// The calls of [`ensure`]: the revision, the network, the service made or
/// updated (handing over the task definition's roles), then the watcher's reads.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = service_arn(x, &p.cluster, &p.service);
    let roles = match &p.task_definition {
        Some(asset) => super::roles_of(&x.asset_json(asset)?),
        None => Vec::new(),
    };
    let mut out = vec![Op::new("ecs", "DescribeTaskDefinition", "*")];
    out.extend(network::resolve_calls(x));
    out.extend([
        Op::new("ecs", "ListTasks", "*"),
        Op::new("ecs", "DescribeTasks", tasks_pattern(x, &p.cluster)),
        Op::new("ecs", "DescribeServices", &arn),
        Op::new("elasticloadbalancing", "DescribeTargetGroups", "*"),
        Op::new("ecs", "CreateService", &arn).passing(roles.clone()),
        Op::new("ecs", "UpdateService", &arn).passing(roles),
        Op::new("logs", "GetLogEvents", stream_arn(x, &p.log_group, "*")),
    ]);
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
pub fn probe_calls(x: &Exec, p: &Check) -> Result<Vec<Op>, AwsError> {
    Ok(vec![
        Op::new("ecs", "DescribeServices", service_arn(x, &p.cluster, &p.service)),
        Op::new("ecs", "DescribeTaskDefinition", "*"),
    ])
}
