//! The deploy loop of a running service (issue 18): a new image, a new secret
//! value and a changed setting each reach the service with one plain
//! `run ecs-service` (no --force), and every setting the profile gives is
//! compared; Auto Scaling's desired count is left to it.
//!
//! On moto (notes): services report their desired tasks running with
//! MOTO_ECS_SERVICE_RUNNING=1; a plain UpdateService with a new task
//! definition moves the service's own `taskDefinition` but adds no deployment
//! entry (ECS starts a new deployment), so the tests read the service's
//! revision; only forceNewDeployment renews the deployment's id and time;
//! CreateService drops the deployment configuration (circuit breaker) and the
//! grace period, which the probes then say they cannot compare. The registry
//! is Debian's docker-registry on 127.0.0.1 (moto does not serve ECR's registry API).

mod support;

use std::time::Duration;

use support::deploy::{Deployed, PROFILE, account, deployed};
use support::image::{build, write_docker_archive};
use support::{Moto, Sandbox, audit, is_mutating, probe, step};

fn mutating(moto: &Moto) -> Vec<String> {
    moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect()
}

/// The parameters of the last UpdateService the audit log records as sent.
fn last_update(sb: &Sandbox) -> serde_json::Value {
    audit(sb)
        .into_iter()
        .rev()
        .find(|l| l["operation"] == "UpdateService" && l["outcome"] == "started")
        .map(|l| l["params"].clone())
        .expect("an UpdateService was sent")
}

async fn service(moto: &Moto) -> aws_sdk_ecs::types::Service {
    let ecs = support::ecs(&moto.url).await;
    let out = ecs.describe_services().cluster("acme-cluster").services("acme-service").send().await.unwrap();
    out.services()[0].clone()
}

async fn image_of(moto: &Moto, revision: &str) -> String {
    let ecs = support::ecs(&moto.url).await;
    let td = ecs.describe_task_definition().task_definition(revision).send().await.unwrap();
    td.task_definition().unwrap().container_definitions()[0].image().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_image_a_new_secret_value_and_a_changed_setting_each_reach_the_service_with_one_run() {
    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("loop");
    let verify = sb.run(&["verify", "ecs-service"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let first = service(&moto).await;
    let first_image = image_of(&moto, first.task_definition().unwrap()).await;
    assert!(first_image.contains("/acme@sha256:"), "the task definition names the image by digest: {first_image}");

    // A second version, pushed under the same tag.
    write_docker_archive(&sb.dir.join("image.tar"), &[&build("amd64", 2, 700)]);
    assert_eq!(sb.run(&["run", "ecr-push", "--yes"]).code, 0);
    let stale = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(stale.code, 1, "the service no longer runs what the tag names: {stale:?}");
    let doc = stale.json();
    let latest = probe(&doc, "task-definition", "latest")["message"].as_str().unwrap();
    assert!(latest.contains("its tag now resolves to sha256:"), "{latest}");
    let current = probe(&doc, "service", "current")["message"].as_str().unwrap();
    assert!(current.contains("runs sha256:") && current.contains("latest is now sha256:"), "{current}");
    let plan = sb.run(&["plan", "ecs-service", "--json"]).json();
    let update = step(&plan, "service")["changes"][0].clone();
    assert_eq!(update["operation"], "UpdateService", "{plan}");
    assert_eq!(update["params"]["taskDefinition"], "(the revision of acme-api made by step task-definition)");
    moto.start_recording();
    let run = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mutating(&moto), vec!["RegisterTaskDefinition", "UpdateService"], "no --force needed: {run:?}");
    let second = service(&moto).await;
    assert_ne!(second.task_definition(), first.task_definition());
    let second_image = image_of(&moto, second.task_definition().unwrap()).await;
    assert!(second_image.contains("@sha256:") && second_image != first_image, "{second_image}");
    assert_eq!(sb.run(&["verify", "ecs-service"]).code, 0);

    // A new value of a secret the container reads: its tasks hold the old one until a new deployment.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut sb = sb;
    sb.env.retain(|(k, _)| k != "ACME_DB_URL");
    sb.env.push(("ACME_DB_URL".into(), "postgres://db/two".into()));
    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);
    let stale = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(stale.code, 1, "{stale:?}");
    let current = probe(&stale.json(), "service", "current")["message"].as_str().unwrap().to_string();
    assert!(current.contains("secret acme-app (DB_URL) got a new value at"), "{current}");
    moto.start_recording();
    let run = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mutating(&moto), vec!["UpdateService"]);
    assert_eq!(last_update(&sb)["forceNewDeployment"], true, "a new deployment, without --force");
    assert_ne!(service(&moto).await.deployments()[0].id(), second.deployments()[0].id());
    assert_eq!(sb.run(&["verify", "ecs-service"]).code, 0);

    // A changed setting: exactly that setting is updated.
    moto.start_recording();
    let two = sb.run(&["run", "ecs-service", "--set", "desired_count=2", "--yes"]);
    assert_eq!(two.code, 0, "{two:?}");
    assert_eq!(mutating(&moto), vec!["UpdateService"]);
    let params = last_update(&sb);
    assert_eq!(params["desiredCount"], 2, "{params}");
    assert!(params.get("taskDefinition").is_none() && params.get("networkConfiguration").is_none(), "{params}");
    assert_eq!(service(&moto).await.desired_count(), 2);
    // Back under the profile's value, the difference is named, in both probes that see it.
    let back = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(back.code, 1);
    let doc = back.json();
    assert!(probe(&doc, "service", "settings")["message"].as_str().unwrap().contains("desired count 2 → 1"), "{doc}");
    assert!(
        probe(&doc, "service", "running")["message"].as_str().unwrap().starts_with("desired 2 (the profile asks 1)")
    );
    let public =
        sb.run(&["run", "ecs-service", "--set", "desired_count=2", "--set", "assign_public_ip=DISABLED", "--yes"]);
    assert_eq!(public.code, 0, "{public:?}");
    let params = last_update(&sb);
    assert_eq!(params["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "DISABLED", "{params}");
    assert!(params.get("desiredCount").is_none(), "{params}");
    // The rerun with the same values changes nothing.
    moto.start_recording();
    let again =
        sb.run(&["run", "ecs-service", "--set", "desired_count=2", "--set", "assign_public_ip=DISABLED", "--yes"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(mutating(&moto).is_empty(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_scaling_owns_the_count_and_the_load_balancer_is_compared_whole() {
    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("loop-scaled");
    // Auto Scaling takes the count over and scales to 3: that is its to set.
    let scaling = support::autoscaling(&moto.url).await;
    scaling
        .register_scalable_target()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id("service/acme-cluster/acme-service")
        .scalable_dimension(aws_sdk_applicationautoscaling::types::ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(1)
        .max_capacity(4)
        .send()
        .await
        .unwrap();
    let ecs = support::ecs(&moto.url).await;
    ecs.update_service().cluster("acme-cluster").service("acme-service").desired_count(3).send().await.unwrap();
    let verify = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let doc = verify.json();
    assert!(
        probe(&doc, "service", "settings")["message"].as_str().unwrap().contains("Application Auto Scaling's (1 to 4)"),
        "{doc}"
    );
    assert!(probe(&doc, "service", "running")["message"].as_str().unwrap().contains("3 of 3 tasks running"));
    moto.start_recording();
    assert_eq!(sb.run(&["run", "ecs-service", "--yes"]).code, 0);
    assert!(mutating(&moto).is_empty(), "the desired count is left to Auto Scaling");

    // The target group's health check and the listener's action are compared whole.
    let elb = support::elb(&moto.url).await;
    let tg = elb.describe_target_groups().names("acme-tg").send().await.unwrap().target_groups()[0].clone();
    elb.modify_target_group()
        .target_group_arn(tg.target_group_arn().unwrap())
        .health_check_interval_seconds(10)
        .send()
        .await
        .unwrap();
    let vpc = tg.vpc_id().unwrap();
    let other = elb
        .create_target_group()
        .name("other-tg")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8000)
        .vpc_id(vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    let other_arn = other.target_groups()[0].target_group_arn().unwrap().to_string();
    let lb = elb.describe_load_balancers().names("acme-alb").send().await.unwrap().load_balancers()[0].clone();
    let listener = elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await.unwrap();
    let forward = aws_sdk_elasticloadbalancingv2::types::Action::builder()
        .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        .target_group_arn(&other_arn)
        .build();
    elb.modify_listener()
        .listener_arn(listener.listeners()[0].listener_arn().unwrap())
        .default_actions(forward)
        .send()
        .await
        .unwrap();
    let broken = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(broken.code, 1);
    let doc = broken.json();
    assert!(probe(&doc, "load-balancer", "target-group")["message"].as_str().unwrap().contains("interval 10 → 30"));
    let l = probe(&doc, "load-balancer", "listener")["message"].as_str().unwrap();
    assert!(l.contains("does not forward only to acme-tg") && l.contains("other-tg"), "{l}");
    moto.start_recording();
    let repaired = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(repaired.code, 0, "{repaired:?}");
    assert_eq!(mutating(&moto), vec!["ModifyTargetGroup", "ModifyListener"]);
    assert_eq!(sb.run(&["verify", "ecs-service"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_run_depends_on_is_checked_before_its_first_change() {
    // Nothing ecs-service stands on exists: refused before anything is made.
    let d = account("loop-pre", PROFILE);
    let verify = d.sb.run(&["verify", "ecs-service", "--json"]);
    let doc = verify.json();
    // The health endpoint answers, but there is no service: never a pass.
    assert_eq!(step(&doc, "health")["status"], "blocked", "{doc}");
    assert!(step(&doc, "health")["error"].as_str().unwrap().contains("needs service"), "{doc}");
    assert_eq!(step(&doc, "task-definition")["status"], "blocked", "{doc}");
    d.moto.start_recording();
    let refused = d.sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.contains("nothing was changed"), "{refused:?}");
    for need in ["iam-policy/runtime-principal", "ecr-push/image", "secrets/secret:acme-app"] {
        assert!(refused.stdout.contains(&format!("needs {need}, which ")), "{need}: {refused:?}");
    }
    assert!(refused.stdout.contains("preflight run ecr-push --step repository"), "{refused:?}");
    assert!(mutating(&d.moto).is_empty(), "no cluster, no log group, no revision");
    drop(d);

    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("loop-pre-2");
    // A tag that does not exist: no revision pointing at nothing; the fix keeps the run's own values.
    moto.start_recording();
    let v2 = sb.run(&["--profile-file", "preflight.toml", "run", "ecs-service", "--set", "image_tag=v2", "--yes"]);
    assert_eq!(v2.code, 1, "{v2:?}");
    assert!(v2.stdout.contains("needs ecr-push/image, which fails"), "{v2:?}");
    assert!(
        v2.stdout.contains("preflight run ecr-push --step image --profile-file preflight.toml --set image_tag=v2"),
        "{v2:?}"
    );
    // verify names what does not exist, not only that the revision differs.
    let v9 = sb.run(&["verify", "ecs-service", "--set", "image_tag=v9", "--json"]);
    assert_eq!(v9.code, 1);
    let latest = probe(&v9.json(), "task-definition", "latest")["message"].as_str().unwrap().to_string();
    assert_eq!(
        latest,
        "the image 123456789012.dkr.ecr.us-east-1.amazonaws.com/acme:v9 does not exist in ECR: a task would stop with CannotPullContainerError"
    );
    // A project whose task role nobody made.
    let other = sb.run(&["run", "ecs-service", "--set", "project=newapp", "--yes"]);
    assert_eq!(other.code, 1, "{other:?}");
    assert!(
        other.stdout.contains(
            "needs iam-policy/runtime-principal, which fails: exists: role newapp-ecs-task-role does not exist"
        ),
        "{other:?}"
    );
    // Subnets that do not exist.
    let subnets = sb.run(&["run", "ecs-service", "--set", "subnets=subnet-0000000000", "--yes"]);
    assert_eq!(subnets.code, 1, "{subnets:?}");
    assert!(subnets.stdout.contains("subnet subnet-0000000000 does not exist"), "{subnets:?}");
    assert!(mutating(&moto).is_empty(), "none of these changed anything");

    // A key the container reads that its secret does not have: refused, and verify names the keys it has.
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    std::fs::write(sb.dir.join("preflight.toml"), profile.replace("\"acme-app:DB_URL\"", "\"acme-app:NO_SUCH_KEY\""))
        .unwrap();
    moto.start_recording();
    let key = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(key.code, 1, "{key:?}");
    assert!(mutating(&moto).is_empty(), "{key:?}");
    let verify = sb.run(&["verify", "ecs-service", "--json"]);
    assert_eq!(verify.code, 1);
    let message = probe(&verify.json(), "task-definition", "secrets")["message"].as_str().unwrap().to_string();
    assert_eq!(message, "DB_URL: secret acme-app has no key NO_SUCH_KEY; it has DB_URL, SESSION_SECRET");
    support::files_under(&sb.dir).iter().for_each(|f| {
        let text = std::fs::read(f).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&text).contains("postgres://db/one"), "a value in {}", f.display());
    });
}
