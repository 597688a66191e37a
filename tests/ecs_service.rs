//! The `ecs-service` checklist against moto (ECS, EC2, ELBv2, Logs, IAM with
//! the AWS-managed policies, Secrets Manager) after `ecr-push` (to a registry
//! on 127.0.0.1) and `secrets`. Where moto differs (notes): its services start
//! no tasks, so the healthy path runs with MOTO_ECS_SERVICE_RUNNING=1; its
//! target health is always empty, so the health step calls a small HTTP server
//! on 127.0.0.1 through `health_url`; it records no service events and no
//! circuit-breaker rollback, so the watcher's classes are planted as stopped
//! tasks (RunTask with the service's group and the deployment as startedBy,
//! then StopTask with ECS's own reason texts).

mod support;

use std::process::Child;
use std::time::{Duration, Instant};

use support::health::Health;
use support::image::{build, write_docker_archive};
use support::registry::Registry;
use support::{Moto, Out, Sandbox, is_mutating, step};

fn moto(running: bool) -> Moto {
    let mut env = vec![("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")];
    if running {
        env.push(("MOTO_ECS_SERVICE_RUNNING", "1"));
    }
    Moto::start_with(&env)
}

/// An account with the runtime role, the image in the registry and the app's secret:
/// what ecs-service builds on.
fn account(name: &str, moto: &Moto, registry: &Registry, health: &str, arch: &str) -> Sandbox {
    let sb = Sandbox::new(name, &moto.url);
    let image = sb.dir.join("image.tar");
    write_docker_archive(&image, &[&build(arch, 1, 512)]);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        format!(
            "[inputs]\nproject = \"acme\"\necr_registry_url = \"{}\"\nimage_source = \"{}\"\nhealth_url = \"{health}\"\nhealth_expect = \"ok\"\n\n[[secrets]]\nname = \"acme-app\"\nkeys = [\"DB_URL\"]\nsource = {{ DB_URL = \"generate:hex32\" }}\nreaders = [\"execution\", \"task\"]\n\n[environment]\nWORKERS = \"2\"\n\n[container_secrets]\nDB_URL = \"acme-app:DB_URL\"\n",
            registry.url,
            image.display()
        ),
    )
    .unwrap();
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let platform = if arch == "arm64" { "platform=linux/arm64" } else { "platform=linux/amd64" };
    let pushed = sb.run(&["run", "ecr-push", "--yes", "--set", platform]);
    assert_eq!(pushed.code, 0, "{pushed:?}");
    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);
    sb
}

#[tokio::test(flavor = "multi_thread")]
async fn from_nothing_to_healthy_then_free_reruns_and_a_forced_deployment() {
    let moto = moto(true);
    let registry = Registry::start();
    let health = Health::start(200, r#"{"status":"ok"}"#);
    let sb = account("ecs-fresh", &moto, &registry, &health.url, "amd64");
    let before = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(before.code, 1, "{before:?}");
    // On a fresh account every probe of what the checklist makes fails (the
    // image is ecr-push's and the execution role secrets', already there;
    // health waits for its service).
    let doc = before.json();
    for (s, p) in [
        ("cluster", "active"),
        ("log-group", "exists"),
        ("log-group", "retention"),
        ("task-definition", "latest"),
        ("network", "groups"),
        ("load-balancer", "alb"),
        ("load-balancer", "target-group"),
        ("load-balancer", "listener"),
        ("service", "active"),
    ] {
        let found = step(&doc, s)["probes"].as_array().unwrap().iter().find(|x| x["id"] == p).cloned();
        assert_eq!(
            found.as_ref().map(|x| x["status"].clone()),
            Some(serde_json::json!("fail")),
            "{s}/{p} on a fresh account: {doc}"
        );
    }

    let run = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("service acme-service is stable: 1 of 1 tasks running"), "{run:?}");
    // The end says where the service answers (what the health step checked) and what is next.
    assert!(
        run.stdout.contains(&format!("the service answers at {} (its health check passes now)", health.url)),
        "{run:?}"
    );
    assert!(run.stdout.contains("next: ship a new version with `preflight run ecr-push`"), "{run:?}");
    let verify = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let doc = verify.json();
    assert!(step(&doc, "health")["probes"][0]["message"].as_str().unwrap().contains("answered 200 OK"), "{doc}");

    // The task definition holds the profile's variables, its secret as a valueFrom with the key selector.
    let ecs = support::ecs(&moto.url).await;
    let td = ecs.describe_task_definition().task_definition("acme-api").send().await.unwrap().task_definition.unwrap();
    let c = &td.container_definitions()[0];
    assert_eq!(c.environment()[0].name(), Some("WORKERS"));
    let value_from = c.secrets()[0].value_from();
    assert!(value_from.contains(":secret:acme-app-") && value_from.ends_with(":DB_URL::"), "{value_from}");
    assert_eq!(td.runtime_platform().unwrap().cpu_architecture().unwrap().as_str(), "X86_64");

    moto.start_recording();
    let again = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(again.code, 0, "{again:?}");
    let mutating: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert!(mutating.is_empty(), "a re-run changes nothing: {mutating:?}");

    moto.start_recording();
    let forced = sb.run(&["run", "ecs-service", "--step", "service", "--force", "--yes"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    let mutating: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(mutating, vec!["UpdateService"], "--force makes exactly one new deployment");
    let no_step = sb.run(&["run", "ecs-service", "--force", "--yes"]);
    assert_eq!(no_step.code, 2, "--force names its step: {no_step:?}");
}

/// Runs the service step in the background, waits for the deployment it
/// starts, plants a stopped task of that deployment, and returns preflight's output.
async fn planted(sb: &Sandbox, moto: &Moto, reason: &str, log_lines: &[&str]) -> Out {
    let ecs = support::ecs(&moto.url).await;
    let current = |s: aws_sdk_ecs::operation::describe_services::DescribeServicesOutput| {
        s.services().first().and_then(|s| s.deployments().first()).and_then(|d| d.id()).map(str::to_string)
    };
    let old = current(ecs.describe_services().cluster("acme-cluster").services("acme-service").send().await.unwrap());
    let child: Child = sb
        .command(&["run", "ecs-service", "--step", "service", "--force", "--yes", "--set", "stable_timeout_s=60"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let deployment = loop {
        let now =
            current(ecs.describe_services().cluster("acme-cluster").services("acme-service").send().await.unwrap());
        if let Some(id) = now.filter(|id| Some(id) != old.as_ref()) {
            break id;
        }
        assert!(Instant::now() < deadline, "no new deployment");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // A task of this deployment (moto's RunTask needs memory on the container, a
    // family of its own, and launchType FARGATE when the cluster has no instances).
    let task = ecs
        .run_task()
        .cluster("acme-cluster")
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .task_definition("plant")
        .group("service:acme-service")
        .started_by(&deployment)
        .send()
        .await
        .unwrap();
    let arn = task.tasks()[0].task_arn().unwrap().to_string();
    if !log_lines.is_empty() {
        let logs = support::logs(&moto.url).await;
        let stream = format!("ecs/acme/{}", arn.rsplit('/').next().unwrap());
        logs.create_log_stream().log_group_name("/ecs/acme-api").log_stream_name(&stream).send().await.unwrap();
        // Now: CloudWatch (and moto) drop events older than 14 days.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let mut put = logs.put_log_events().log_group_name("/ecs/acme-api").log_stream_name(&stream);
        for (i, line) in log_lines.iter().enumerate() {
            put = put.log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now + i as i64)
                    .message(*line)
                    .build()
                    .unwrap(),
            );
        }
        put.send().await.unwrap();
    }
    ecs.stop_task().cluster("acme-cluster").task(&arn).reason(reason).send().await.unwrap();
    let started = Instant::now();
    let out = support::wait(child, Duration::from_secs(60));
    // Within one poll (5 s) of the evidence, plus the process's own start: not a benchmark, a bound.
    assert!(started.elapsed() < Duration::from_secs(15), "the verdict took {:?}", started.elapsed());
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_watcher_names_each_failure_with_its_fix_and_a_timeout_says_what_it_saw() {
    let moto = moto(false);
    let registry = Registry::start();
    let sb = account("ecs-watch", &moto, &registry, "http://127.0.0.1:9/health", "amd64");
    // moto starts no task: the deployment never completes, and the watcher says what it last saw.
    let timeout = sb.run(&["run", "ecs-service", "--yes", "--set", "stable_timeout_s=5"]);
    assert_eq!(timeout.code, 1, "{timeout:?}");
    assert!(
        timeout.stdout.contains("did not become stable within 5 s; last seen: 0 running of 1 desired"),
        "{timeout:?}"
    );
    assert!(timeout.stdout.contains("IN_PROGRESS"), "{timeout:?}");
    // The service probe sees desired ≠ running.
    let verify = sb.run(&["verify", "ecs-service", "--json"]);
    let running = step(&verify.json(), "service")["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "running")
        .unwrap()
        .clone();
    assert_eq!(running["status"], "fail", "{running}");
    assert_eq!(running["message"], "0 of 1 tasks running (1 pending)", "{running}");
    let deployment = step(&verify.json(), "service")["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "deployment")
        .unwrap()
        .clone();
    assert_eq!(deployment["status"], "fail", "{deployment}");
    assert!(deployment["message"].as_str().unwrap().starts_with("the deployment is not complete"), "{deployment}");

    let ecs = support::ecs(&moto.url).await;
    let container = aws_sdk_ecs::types::ContainerDefinition::builder().name("acme").image("x").memory(512).build();
    ecs.register_task_definition().family("plant").container_definitions(container).send().await.unwrap();
    let cases: [(&str, &str, &[&str]); 7] = [
        (
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'",
            "has no linux/amd64 variant",
            &["docker buildx build --platform linux/amd64", "ECR holds "],
        ),
        (
            "CannotPullContainerError: ref pull has been retried 5 time(s): failed to resolve reference \"acme:latest\": not found",
            "the tag does not exist",
            &["preflight run ecr-push"],
        ),
        (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): dial tcp 52.1.2.3:443: i/o timeout",
            "could not reach ECR",
            &["assign_public_ip"],
        ),
        (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: is not authorized to perform: secretsmanager:GetSecretValue",
            "(the role may not secretsmanager:GetSecretValue)",
            &["preflight run secrets --step read-access"],
        ),
        (
            "ResourceInitializationError: failed to initialize logging driver: failed to create Cloudwatch log stream",
            "could not start its log driver",
            &["--step log-group"],
        ),
        (
            "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/acme-tg/1)",
            "failed the load balancer's health checks",
            &["/health at port 8000"],
        ),
        (
            "Essential container in task exited",
            "the container acme exited",
            &["last 2 lines of /ecs/acme-api", "Traceback: boom", "ValueError: DB_URL"],
        ),
    ];
    for (reason, says, fixes) in cases {
        let lines: &[&str] =
            if reason.starts_with("Essential") { &["Traceback: boom", "ValueError: DB_URL"] } else { &[] };
        let out = planted(&sb, &moto, reason, lines).await;
        assert_eq!(out.code, 1, "{reason}: {out:?}");
        assert!(out.stdout.contains(says), "{reason}: {out:?}");
        for fix in fixes {
            assert!(out.stdout.contains(fix), "{reason} misses {fix}: {out:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_accounts_are_named_by_the_probes() {
    let moto = moto(true);
    let registry = Registry::start();
    let health = Health::start(200, r#"{"status":"ok"}"#);
    let sb = account("ecs-broken", &moto, &registry, &health.url, "amd64");
    assert_eq!(sb.run(&["run", "ecs-service", "--yes"]).code, 0);
    let probe = |doc: &serde_json::Value, step_id: &str, probe_id: &str| {
        let s = step(doc, step_id);
        s["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == probe_id)
            .cloned()
            .unwrap_or_else(|| panic!("{step_id}/{probe_id}: {s}"))
    };

    // The execution role loses its read access to the referenced secret.
    let iam = support::iam(&moto.url).await;
    iam.delete_role_policy().role_name("ecsTaskExecutionRole").policy_name("acme-secrets-read").send().await.unwrap();
    let out = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let p = probe(&out.json(), "execution-role", "permissions");
    assert!(p["message"].as_str().unwrap().contains("secretsmanager:GetSecretValue"), "{p}");
    assert!(p["fix"].as_str().unwrap().contains("\"Action\""), "the fix statement: {p}");
    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);

    // A revision with secrets but no execution role.
    let ecs = support::ecs(&moto.url).await;
    let td = ecs.describe_task_definition().task_definition("acme-api").send().await.unwrap().task_definition.unwrap();
    ecs.register_task_definition()
        .family("acme-api")
        .set_container_definitions(Some(td.container_definitions().to_vec()))
        .set_cpu(td.cpu().map(str::to_string))
        .set_memory(td.memory().map(str::to_string))
        .send()
        .await
        .unwrap();
    let out = sb.run(&["verify", "ecs-service", "--json"]);
    let p = probe(&out.json(), "task-definition", "latest");
    assert!(p["message"].as_str().unwrap().contains("references secrets but has no execution role"), "{p}");
    let again = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(again.code, 0, "run registers the right revision again: {again:?}");

    // The log group is deleted (desired ≠ running is planted in the watcher's test:
    // with MOTO_ECS_SERVICE_RUNNING moto runs every desired task at once).
    let logs = support::logs(&moto.url).await;
    logs.delete_log_group().log_group_name("/ecs/acme-api").send().await.unwrap();
    let out = sb.run(&["verify", "ecs-service", "--json"]);
    let doc = out.json();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(probe(&doc, "log-group", "exists")["message"].as_str().unwrap().contains("does not exist"), "{doc}");

    assert_eq!(sb.run(&["run", "ecs-service", "--yes"]).code, 0, "the log group comes back");

    // One break per probe, each seen by its probe.
    logs.put_retention_policy().log_group_name("/ecs/acme-api").retention_in_days(7).send().await.unwrap();
    let trust_ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy().role_name("ecsTaskExecutionRole").policy_document(trust_ec2).send().await.unwrap();
    let ec2 = support::ec2(&moto.url).await;
    let groups = ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values("acme-ecs").build())
        .send()
        .await
        .unwrap();
    let task_group = groups.security_groups()[0].group_id().unwrap().to_string();
    let world = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(8000)
        .to_port(8000)
        .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&task_group).ip_permissions(world.clone()).send().await.unwrap();
    let elb = support::elb(&moto.url).await;
    let tg = elb.describe_target_groups().names("acme-tg").send().await.unwrap().target_groups()[0].clone();
    elb.modify_target_group()
        .target_group_arn(tg.target_group_arn().unwrap())
        .health_check_path("/")
        .send()
        .await
        .unwrap();
    let lb = elb.describe_load_balancers().names("acme-alb").send().await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    for l in elb.describe_listeners().load_balancer_arn(&lb).send().await.unwrap().listeners() {
        elb.delete_listener().listener_arn(l.listener_arn().unwrap()).send().await.unwrap();
    }
    let out = sb.run(&["verify", "ecs-service", "--json", "--set", "health_expect=healthy"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    let says = [
        ("log-group", "retention", "keeps 7 days, expected 30 days"),
        ("execution-role", "trust", "ecs-tasks.amazonaws.com"),
        ("network", "groups", "lets in port 8000 from 0.0.0.0/0"),
        ("load-balancer", "target-group", "path / → /health"),
        ("load-balancer", "listener", "has no listener on 80"),
        ("health", "http", "without \"healthy\""),
    ];
    for (s, p, text) in says {
        let found = probe(&doc, s, p);
        assert_eq!(found["status"], "fail", "{s}/{p}: {found}");
        assert!(found["message"].as_str().unwrap().contains(text), "{s}/{p} says {text}: {found}");
    }
    // The rule preflight did not make is the operator's to remove (the probe's fix says how); the rest a run repairs.
    assert!(probe(&doc, "network", "groups")["fix"].as_str().unwrap().contains("revoke-security-group-ingress"));
    ec2.revoke_security_group_ingress().group_id(&task_group).ip_permissions(world).send().await.unwrap();
    let repaired = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(repaired.code, 0, "{repaired:?}");

    // An image in a repository that does not exist: ECR's API says so, no registry is asked.
    let out = sb.run(&["verify", "ecs-service", "--json", "--set", "ecr_repository=nowhere"]);
    let p = probe(&out.json(), "task-definition", "image");
    assert!(p["message"].as_str().unwrap().contains("repository nowhere does not exist"), "{p}");

    // cpu_architecture and ecr-push's platform must agree.
    let out = sb.run(&["verify", "ecs-service", "--json", "--set", "platform=linux/arm64"]);
    let p = probe(&out.json(), "task-definition", "image");
    assert!(p["message"].as_str().unwrap().contains("they must agree"), "{p}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_arm64_image_for_x86_tasks_and_an_unhealthy_answer_fail() {
    let moto = moto(true);
    let registry = Registry::start();
    let health = Health::start(503, "upstream not ready: database connection refused");
    let sb = account("ecs-arm", &moto, &registry, &health.url, "arm64");
    let out = sb.run(&["verify", "ecs-service", "--json"]);
    let doc = out.json();
    let image = step(&doc, "task-definition")["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "image")
        .unwrap()
        .clone();
    assert!(
        image["message"]
            .as_str()
            .unwrap()
            .contains("linux/arm64/v8: tasks on X86_64 stop with CannotPullContainerError"),
        "{image}"
    );
    assert!(image["fix"].as_str().unwrap().starts_with("docker buildx build --platform linux/amd64"), "{image}");
    let health_probe = step(&doc, "health")["probes"][0].clone();
    let message = health_probe["message"].as_str().unwrap();
    assert!(
        message.contains("answered 503 Service Unavailable in") && message.contains("upstream not ready"),
        "{health_probe}"
    );
}
