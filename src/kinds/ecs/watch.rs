//! What a stopped task or a failed rollout says, sorted into the failures an
//! operator meets on a first deploy, each with its fix (the texts are ECS's
//! own: see shared/notes). Pure: the service step reads, this decides.

use aws_sdk_ecs::types::Service;

use crate::aws::exec::Table;

/// A task of the deployment that stopped, as ECS describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stopped {
    pub arn: String,
    pub stopped_reason: String,
    pub stop_code: String,
    /// Per container: name, reason, exit code.
    pub containers: Vec<(String, String, Option<i32>)>,
}

impl Stopped {
    pub fn task_id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

/// What the fixes refer to.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub image: String,
    /// `linux/amd64` or `linux/arm64`.
    pub platform: String,
    pub health_path: String,
    pub port: i32,
    pub groups: String,
    pub log_group: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// A short name of the class, for tests and JSON readers.
    pub class: &'static str,
    pub message: String,
    pub fix: String,
    /// The container whose log stream tells more (`ecs/CONTAINER/TASK`).
    pub logs_of: Option<String>,
}

fn verdict(class: &'static str, message: String, fix: String) -> Option<Verdict> {
    Some(Verdict { class, message, fix, logs_of: None })
}

/// The decisive evidence of one stopped task, if it is decisive.
pub fn classify(t: &Stopped, c: &Context) -> Option<Verdict> {
    let all: Vec<&str> =
        std::iter::once(t.stopped_reason.as_str()).chain(t.containers.iter().map(|(_, r, _)| r.as_str())).collect();
    let text = all.join(" | ");
    let lower = text.to_lowercase();
    let task = t.task_id();
    if lower.contains("cannotpullcontainererror") {
        if lower.contains("descriptor matching platform")
            || lower.contains("descriptor for platform")
            || lower.contains("no matching manifest")
        {
            return verdict(
                "wrong-architecture",
                format!("task {task} could not pull {}: the image has no {} variant ({text})", c.image, c.platform),
                format!(
                    "docker buildx build --platform {} -t {} . and push it (preflight run ecr-push), or set cpu_architecture to the image's",
                    c.platform, c.image
                ),
            );
        }
        if lower.contains("not found")
            || lower.contains("failed to resolve reference")
            || lower.contains("manifest unknown")
        {
            return verdict(
                "missing-tag",
                format!("task {task} could not pull {}: the tag does not exist ({text})", c.image),
                "push the image: preflight run ecr-push (and check image_tag)".into(),
            );
        }
        if ["timeout", "i/o timeout", "dial tcp", "deadline exceeded", "connection refused"]
            .iter()
            .any(|w| lower.contains(w))
        {
            return verdict(
                "no-route-to-ecr",
                format!("task {task} could not reach ECR to pull {} ({text})", c.image),
                "give the tasks a way out: assign_public_ip = \"ENABLED\" (public subnets), or VPC endpoints for ECR, S3 and Logs, or a NAT gateway".into(),
            );
        }
        return verdict(
            "cannot-pull",
            format!("task {task} could not pull {} ({text})", c.image),
            "check the image exists (preflight verify ecr-push) and that the execution role may pull it (preflight verify ecs-service)".into(),
        );
    }
    if lower.contains("resourceinitializationerror") && lower.contains("unable to pull secrets or registry auth") {
        let action = ["secretsmanager:GetSecretValue", "ssm:GetParameters", "kms:Decrypt", "ecr:GetAuthorizationToken"]
            .iter()
            .find(|a| lower.contains(&a.to_lowercase()))
            .map(|a| format!(" (the role may not {a})"))
            .unwrap_or_default();
        return verdict(
            "secrets",
            format!("task {task} could not read its secrets or the registry's credentials{action} ({text})"),
            "let the execution role read them: preflight run secrets --step read-access (and preflight verify ecs-service, step execution-role); if the role may read them, the tasks have no route to Secrets Manager/SSM: assign_public_ip or VPC endpoints".into(),
        );
    }
    if lower.contains("resourceinitializationerror") && lower.contains("logging driver") {
        return verdict(
            "logging",
            format!("task {task} could not start its log driver ({text})"),
            format!(
                "the log group {} must exist and the execution role may write it: preflight run ecs-service --step log-group, then --step execution-role",
                c.log_group
            ),
        );
    }
    if lower.contains("failed elb health checks") {
        return verdict(
            "elb-health",
            format!("task {task} failed the load balancer's health checks ({text})"),
            format!(
                "the application must answer 2xx on {} at port {}, and the tasks' groups ({}) must let the load balancer in on that port",
                c.health_path, c.port, c.groups
            ),
        );
    }
    if lower.contains("failed container health checks") {
        return verdict(
            "container-health",
            format!("task {task} failed its container health check ({text})"),
            format!(
                "the container's check runs curl -sf http://localhost:{}{}: the image needs curl, and the application must answer there",
                c.port, c.health_path
            ),
        );
    }
    if lower.contains("essential container in task exited") {
        let (name, code) = t
            .containers
            .iter()
            .find(|(_, _, code)| code.is_some_and(|c| c != 0))
            .or_else(|| t.containers.first())
            .map(|(n, _, code)| (n.clone(), *code))
            .unwrap_or_default();
        let code = code.map_or("an unknown code".to_string(), |c| format!("exit code {c}"));
        return Some(Verdict {
            class: "container-exited",
            message: format!("task {task}: the container {name} exited with {code}"),
            fix: "the application stopped by itself: its last log lines are above (CloudWatch Logs); fix the cause and push a new image".into(),
            logs_of: Some(name),
        });
    }
    if t.stop_code == "TaskFailedToStart" {
        return verdict(
            "failed-to-start",
            format!("task {task} failed to start ({text})"),
            "read the reason above; preflight verify ecs-service checks each part".into(),
        );
    }
    None
}

/// A rollout ECS gave up on (the deployment circuit breaker).
pub fn rollout_failed(state: &str, reason: &str) -> Option<Verdict> {
    (state == "FAILED").then(|| Verdict {
        class: "circuit-breaker",
        message: format!("the deployment failed and ECS rolled it back: {reason}"),
        fix: "the tasks of the new revision did not start; the stopped tasks' reasons say why (aws ecs list-tasks --desired-status STOPPED)".into(),
        logs_of: None,
    })
}

fn revision_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// What the deployments of a service deploying `revision` say: a rollout the
/// circuit breaker failed, or a service back on another revision (a rollback
/// that finished: what `aws ecs wait services-stable` calls success), is a
/// failure. None while the deployment may still succeed.
pub fn rollout(s: &Service, revision: &str) -> Option<Verdict> {
    let deployments = s.deployments();
    if let Some(d) = deployments.iter().find(|d| d.rollout_state().is_some_and(|r| r.as_str() == "FAILED")) {
        let mut v = rollout_failed("FAILED", d.rollout_state_reason().unwrap_or("no reason given"))?;
        v.message.push_str(&format!(
            " (deployment {} of {})",
            d.id().unwrap_or("?"),
            revision_of(d.task_definition().unwrap_or("?"))
        ));
        return Some(v);
    }
    // The service's own taskDefinition follows its PRIMARY deployment, a
    // rollback's included (moto never moves a deployment to a new revision,
    // but does move the service's: so the service's is read).
    let runs = s.task_definition().unwrap_or_default();
    let reason = deployments.iter().find(|d| d.status() == Some("PRIMARY")).and_then(|d| d.rollout_state_reason());
    (!runs.is_empty() && runs != revision).then(|| Verdict {
        class: "rolled-back",
        message: format!(
            "the service went back to {} instead of {}: ECS rolled the deployment back ({})",
            revision_of(runs),
            revision_of(revision),
            reason.unwrap_or("no reason given")
        ),
        fix: "the tasks of the new revision did not start; the stopped tasks' reasons say why (aws ecs list-tasks --desired-status STOPPED), then preflight run ecs-service --step service".into(),
        logs_of: None,
    })
}

/// Done: one deployment, COMPLETED (or no rollout state: the old
/// deployment controller), every desired task running.
pub fn stable(s: &Service) -> bool {
    let deployments = s.deployments();
    deployments.len() == 1
        && deployments[0].rollout_state().is_none_or(|r| r.as_str() == "COMPLETED")
        && s.running_count() == s.desired_count()
}

/// One line of what a poll saw.
pub fn seen(s: &Service) -> String {
    let deployments: Vec<String> = s
        .deployments()
        .iter()
        .map(|d| {
            format!(
                "{} {} {} (desired {}, pending {}, running {}, failed {})",
                d.status().unwrap_or("?"),
                d.id().unwrap_or("?"),
                d.rollout_state().map_or("?", |r| r.as_str()),
                d.desired_count(),
                d.pending_count(),
                d.running_count(),
                d.failed_tasks()
            )
        })
        .collect();
    format!(
        "{} running of {} desired, {} pending; deployments: {}",
        s.running_count(),
        s.desired_count(),
        s.pending_count(),
        if deployments.is_empty() { "none".into() } else { deployments.join("; ") }
    )
}

/// The deployments as a table for the wizard's detail pane.
pub fn table(s: &Service) -> Table {
    // Narrow enough for the detail pane: the deployment ids (27 characters) are in the log lines.
    let header = ["status", "revision", "rollout", "want", "pend", "run", "fail"];
    Table {
        title: format!("Deployments of {}", s.service_name().unwrap_or("the service")),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: s
            .deployments()
            .iter()
            .map(|d| {
                vec![
                    d.status().unwrap_or("?").to_string(),
                    revision_of(d.task_definition().unwrap_or("?")).to_string(),
                    d.rollout_state().map_or("-".to_string(), |r| r.as_str().to_string()),
                    d.desired_count().to_string(),
                    d.pending_count().to_string(),
                    d.running_count().to_string(),
                    d.failed_tasks().to_string(),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};

    use super::*;

    const NEW: &str = "arn:aws:ecs:us-east-1:1:task-definition/app:7";
    const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/app:6";

    fn deployment(id: &str, status: &str, td: &str, state: DeploymentRolloutState, reason: &str) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .task_definition(td)
            .rollout_state(state)
            .rollout_state_reason(reason)
            .desired_count(1)
            .running_count(1)
            .build()
    }

    fn service(deployments: Vec<Deployment>, running: i32) -> Service {
        let primary = deployments
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.task_definition())
            .unwrap_or_default()
            .to_string();
        Service::builder()
            .service_name("app")
            .task_definition(primary)
            .desired_count(1)
            .running_count(running)
            .set_deployments(Some(deployments))
            .build()
    }

    #[test]
    fn a_rollback_is_never_success() {
        // While the circuit breaker rolls back: the new deployment FAILED, the old one PRIMARY again.
        let rolling = service(
            vec![
                deployment("ecs-svc/2", "PRIMARY", OLD, DeploymentRolloutState::InProgress, "rolling back"),
                deployment(
                    "ecs-svc/1",
                    "ACTIVE",
                    NEW,
                    DeploymentRolloutState::Failed,
                    "ECS deployment circuit breaker: tasks failed to start.",
                ),
            ],
            1,
        );
        let v = rollout(&rolling, NEW).unwrap();
        assert_eq!(v.class, "circuit-breaker");
        assert!(
            v.message.contains("tasks failed to start") && v.message.contains("ecs-svc/1 of app:7"),
            "{}",
            v.message
        );
        // After it: one deployment, COMPLETED, every task running: stable, on the old revision.
        let back = service(
            vec![deployment(
                "ecs-svc/2",
                "PRIMARY",
                OLD,
                DeploymentRolloutState::Completed,
                "ECS deployment ecs-svc/2 completed.",
            )],
            1,
        );
        assert!(stable(&back), "the shape `services-stable` accepts");
        let v = rollout(&back, NEW).unwrap();
        assert_eq!(v.class, "rolled-back");
        assert!(v.message.contains("went back to app:6 instead of app:7"), "{}", v.message);
        // Ours, completed: no verdict, stable.
        let done = service(vec![deployment("ecs-svc/1", "PRIMARY", NEW, DeploymentRolloutState::Completed, "")], 1);
        assert_eq!((rollout(&done, NEW), stable(&done)), (None, true));
        // Ours, in progress, a task short: neither.
        let going = service(vec![deployment("ecs-svc/1", "PRIMARY", NEW, DeploymentRolloutState::InProgress, "")], 0);
        assert_eq!((rollout(&going, NEW), stable(&going)), (None, false));
        let t = table(&rolling);
        assert_eq!(t.rows[1], ["ACTIVE", "app:7", "FAILED", "1", "0", "1", "0"]);
        assert_eq!(t.title, "Deployments of app");
    }

    fn ctx() -> Context {
        Context {
            image: "1.dkr.ecr.us-east-1.amazonaws.com/app:latest".into(),
            platform: "linux/amd64".into(),
            health_path: "/health".into(),
            port: 8000,
            groups: "sg-1".into(),
            log_group: "/ecs/app".into(),
        }
    }

    fn stopped(reason: &str) -> Stopped {
        Stopped {
            arn: "arn:aws:ecs:us-east-1:1:task/c/abc123".into(),
            stopped_reason: reason.into(),
            ..Default::default()
        }
    }

    #[test]
    fn every_first_deploy_failure_is_named_with_its_fix() {
        let cases = [
            (
                "CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'",
                "wrong-architecture",
                "docker buildx build --platform linux/amd64",
            ),
            (
                "CannotPullContainerError: failed to find a descriptor for platform {linux/amd64}",
                "wrong-architecture",
                "buildx",
            ),
            (
                "CannotPullContainerError: ref pull has been retried 5 time(s): failed to resolve reference \"x:latest\": not found",
                "missing-tag",
                "preflight run ecr-push",
            ),
            (
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): dial tcp 1.2.3.4:443: i/o timeout",
                "no-route-to-ecr",
                "assign_public_ip",
            ),
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException: ... is not authorized to perform: secretsmanager:GetSecretValue",
                "secrets",
                "read-access",
            ),
            (
                "ResourceInitializationError: failed to initialize logging driver: failed to create Cloudwatch log stream",
                "logging",
                "--step log-group",
            ),
            (
                "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:...)",
                "elb-health",
                "/health at port 8000",
            ),
            ("(service app) (task abc123) failed container health checks.", "container-health", "curl"),
        ];
        for (reason, class, fix) in cases {
            let v = classify(&stopped(reason), &ctx()).unwrap_or_else(|| panic!("not classified: {reason}"));
            assert_eq!(v.class, class, "{reason}");
            assert!(v.fix.contains(fix), "{reason}: {}", v.fix);
        }
        let v = classify(&stopped("GetSecretValue denied: ResourceInitializationError: unable to pull secrets or registry auth: is not authorized to perform: secretsmanager:GetSecretValue"), &ctx()).unwrap();
        assert!(v.message.contains("(the role may not secretsmanager:GetSecretValue)"), "{}", v.message);
        let mut exited = stopped("Essential container in task exited");
        exited.containers = vec![("app".into(), String::new(), Some(3))];
        let v = classify(&exited, &ctx()).unwrap();
        assert_eq!((v.class, v.logs_of.as_deref()), ("container-exited", Some("app")));
        assert!(v.message.contains("exit code 3"));
        assert_eq!(classify(&stopped("Scaling activity initiated by (deployment ecs-svc/1)"), &ctx()), None);
        assert_eq!(
            rollout_failed("FAILED", "ECS deployment circuit breaker: tasks failed to start.").unwrap().class,
            "circuit-breaker"
        );
        assert_eq!(rollout_failed("COMPLETED", ""), None);
    }
}
