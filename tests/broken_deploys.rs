//! Accounts broken behind preflight's back after a deploy (issue 18 §8): each
//! break is planted with the SDK as an operator or a console would, `verify`
//! fails the right step with a message that names the real problem, and where
//! a run can repair it, one plain run does.
//!
//! Emulator notes: moto accepts any KMS key id on a secret and does not check
//! that a reader may decrypt it (AWS does, at task start): the probes judge the
//! roles' policies themselves. moto's registry API is not served: the images
//! live in Debian's docker-registry on 127.0.0.1.

mod support;

use aws_sdk_ec2::types::{Filter, IpPermission};
use support::deploy::{Deployed, deployed};
use support::image::{build, write_docker_archive, write_layout};
use support::{Moto, Sandbox, is_mutating, probe, step};

fn mutating(moto: &Moto) -> Vec<String> {
    moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect()
}

fn verify(sb: &Sandbox, checklist: &str) -> serde_json::Value {
    let out = sb.run(&["verify", checklist, "--json"]);
    assert_eq!(out.code, 1, "a broken account fails verify: {out:?}");
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_being_deleted_a_service_scaled_to_zero_and_a_service_moved_to_another_group() {
    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("broken-deploy");

    // A secret scheduled for deletion: said so, with the date and how to restore it.
    let sm = support::secrets(&moto.url).await;
    sm.delete_secret().secret_id("acme-app").recovery_window_in_days(7).send().await.unwrap();
    let doc = verify(&sb, "ecs-service");
    let p = probe(&doc, "task-definition", "secrets");
    assert!(p["message"].as_str().unwrap().contains("secret acme-app is scheduled for deletion on 20"), "{p}");
    assert_eq!(p["fix"], "aws secretsmanager restore-secret --secret-id acme-app", "{p}");
    let doc = verify(&sb, "secrets");
    let p = probe(&doc, "secret:acme-app", "value");
    assert!(p["message"].as_str().unwrap().contains("is scheduled for deletion"), "{p}");
    sm.restore_secret().secret_id("acme-app").send().await.unwrap();
    assert_eq!(sb.run(&["verify", "ecs-service"]).code, 0);

    // Scaled to zero by hand: the desired count the profile asks is named.
    let ecs = support::ecs(&moto.url).await;
    ecs.update_service().cluster("acme-cluster").service("acme-service").desired_count(0).send().await.unwrap();
    let doc = verify(&sb, "ecs-service");
    let running = probe(&doc, "service", "running")["message"].as_str().unwrap().to_string();
    assert!(running.starts_with("desired 0 (the profile asks 1)"), "{running}");
    moto.start_recording();
    assert_eq!(sb.run(&["run", "ecs-service", "--yes"]).code, 0);
    assert_eq!(mutating(&moto), vec!["UpdateService"]);

    // Moved to a group made by hand that does not let the load balancer in: network fails,
    // naming the group the service really uses; one run moves it back.
    let ec2 = support::ec2(&moto.url).await;
    let vpc = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("isDefault").values("true").build())
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_string();
    let hand =
        ec2.create_security_group().group_name("by-hand").description("a console's").vpc_id(&vpc).send().await.unwrap();
    let hand = hand.group_id().unwrap().to_string();
    let service = ecs.describe_services().cluster("acme-cluster").services("acme-service").send().await.unwrap();
    let net = service.services()[0].network_configuration().unwrap().clone();
    let vpc_conf = net.awsvpc_configuration().unwrap();
    let moved = aws_sdk_ecs::types::AwsVpcConfiguration::builder()
        .set_subnets(Some(vpc_conf.subnets().to_vec()))
        .security_groups(&hand)
        .set_assign_public_ip(vpc_conf.assign_public_ip().cloned())
        .build()
        .unwrap();
    ecs.update_service()
        .cluster("acme-cluster")
        .service("acme-service")
        .network_configuration(aws_sdk_ecs::types::NetworkConfiguration::builder().awsvpc_configuration(moved).build())
        .send()
        .await
        .unwrap();
    let doc = verify(&sb, "ecs-service");
    assert_eq!(step(&doc, "network")["status"], "fail", "{doc}");
    let in_use = probe(&doc, "network", "in-use")["message"].as_str().unwrap().to_string();
    assert!(
        in_use.contains(&format!("runs in {hand}, and none lets in port 8000 from the load balancer's group")),
        "{in_use}"
    );
    assert!(probe(&doc, "service", "settings")["message"].as_str().unwrap().contains(&hand), "{doc}");
    moto.start_recording();
    let run = sb.run(&["run", "ecs-service", "--yes"]);
    assert_eq!(run.code, 0, "the service step moves it back, and network is probed again after it: {run:?}");
    assert_eq!(mutating(&moto), vec!["UpdateService"]);
    assert_eq!(sb.run(&["verify", "ecs-service"]).code, 0);
    // A world-open rule on a group the service really uses fails too.
    let world = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(8000)
        .to_port(8000)
        .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&hand).ip_permissions(world).send().await.unwrap();
    let service = ecs.describe_services().cluster("acme-cluster").services("acme-service").send().await.unwrap();
    let mut groups = service.services()[0]
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap()
        .security_groups()
        .to_vec();
    groups.push(hand.clone());
    let conf = service.services()[0].network_configuration().unwrap().awsvpc_configuration().unwrap().clone();
    let both = aws_sdk_ecs::types::AwsVpcConfiguration::builder()
        .set_subnets(Some(conf.subnets().to_vec()))
        .set_security_groups(Some(groups))
        .set_assign_public_ip(conf.assign_public_ip().cloned())
        .build()
        .unwrap();
    ecs.update_service()
        .cluster("acme-cluster")
        .service("acme-service")
        .network_configuration(aws_sdk_ecs::types::NetworkConfiguration::builder().awsvpc_configuration(both).build())
        .send()
        .await
        .unwrap();
    let doc = verify(&sb, "ecs-service");
    let in_use = probe(&doc, "network", "in-use")["message"].as_str().unwrap().to_string();
    assert!(in_use.contains(&format!("uses {hand}, which lets in port 8000 from 0.0.0.0/0")), "{in_use}");

    // The operator names a group of their own that does not let the load balancer in: the
    // service is moved to it (what the profile says), and the network step says why that
    // cannot work, with the rule that would; no step of the run shows ✔ while it fails.
    let closed =
        ec2.create_security_group().group_name("closed").description("no rules").vpc_id(&vpc).send().await.unwrap();
    let closed = closed.group_id().unwrap().to_string();
    let run = sb.run(&["run", "ecs-service", "--set", &format!("security_groups={closed}"), "--yes", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    let network = step(&doc, "network");
    assert_eq!(network["status"], "fail", "{doc}");
    let in_use = probe(&doc, "network", "in-use");
    assert!(
        in_use["message"].as_str().unwrap().contains(&format!("runs in {closed}, and none lets in port 8000")),
        "{in_use}"
    );
    assert!(
        in_use["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("--group-id {closed} --protocol tcp --port 8000 --source-group")),
        "{in_use}"
    );
    for s in ["load-balancer", "service", "health"] {
        assert_eq!(step(&doc, s)["status"], "blocked", "{s} stands on network: {doc}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readers_must_decrypt_with_the_key_a_secret_really_uses() {
    // The secret exists already (Terraform made it), encrypted with a customer key the
    // profile does not name: both reader roles must be allowed kms:Decrypt on that key.
    let d = support::deploy::account("broken-kms", support::deploy::PROFILE);
    let kms = support::kms(&d.moto.url).await;
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().clone();
    let sm = support::secrets(&d.moto.url).await;
    sm.create_secret().name("acme-app").kms_key_id(key.key_id()).send().await.unwrap();
    for c in ["iam-policy", "ecr-push"] {
        assert_eq!(d.sb.run(&["run", c, "--yes"]).code, 0, "{c}");
    }
    // Without the key's grant the read access is not what it must be.
    let iam = support::iam(&d.moto.url).await;
    let read = |role: &'static str| {
        let iam = iam.clone();
        async move {
            let out = iam.get_role_policy().role_name(role).policy_name("acme-secrets-read").send().await.unwrap();
            percent_encoding::percent_decode_str(out.policy_document()).decode_utf8_lossy().to_string()
        }
    };
    let run = d.sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let arn = key.arn().unwrap();
    for role in ["ecsTaskExecutionRole", "acme-ecs-task-role"] {
        let doc = read(role).await;
        assert!(doc.contains("kms:Decrypt") && doc.contains(arn), "{role} may decrypt with {arn}: {doc}");
    }
    // Take the grant away from the execution role: both checklists see it.
    let policy = read("ecsTaskExecutionRole").await;
    let mut v: serde_json::Value = serde_json::from_str(&policy).unwrap();
    v["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != "KeysDecrypt");
    iam.put_role_policy()
        .role_name("ecsTaskExecutionRole")
        .policy_name("acme-secrets-read")
        .policy_document(v.to_string())
        .send()
        .await
        .unwrap();
    let doc = verify(&d.sb, "secrets");
    let p = probe(&doc, "read-access", "execution-reads")["message"].as_str().unwrap().to_string();
    assert!(p.contains(&format!("kms:Decrypt on {arn}")), "{p}");
    assert_eq!(d.sb.run(&["run", "ecs-service", "--yes"]).code, 1, "the execution role cannot read the secret");
    let doc = verify(&d.sb, "ecs-service");
    let p = probe(&doc, "execution-role", "permissions")["message"].as_str().unwrap().to_string();
    assert!(p.contains(&format!("kms:Decrypt on {arn}")), "{p}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_index_entry_labelled_amd64_whose_config_is_arm64_is_arm64() {
    let d = support::deploy::account("broken-label", support::deploy::PROFILE);
    // An index whose first entry is labelled linux/amd64 but is an arm64 image by its config.
    let mut liar = build("arm64", 1, 256);
    liar.arch = "amd64".into();
    let honest = build("arm64", 2, 256);
    let layout = d.sb.dir.join("liar");
    write_layout(&layout, &[&liar, &honest]);
    // The gate reads the config: nothing is uploaded for an image that would not start.
    let gate = d.sb.run(&["run", "ecr-push", "--yes", "--set", &format!("image_source={}", layout.display())]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stdout.contains("an entry labelled linux/amd64 is linux/arm64/v8 by its config"), "{gate:?}");
    assert!(d.registry.uploads().is_empty(), "nothing uploaded: {:?}", d.registry.uploads());
    // Pushed as what it is (arm64), the registry's index still carries the lying label:
    // the probes of both checklists read each entry's config.
    let arm = d.sb.run(&[
        "run",
        "ecr-push",
        "--yes",
        "--set",
        "platform=linux/arm64",
        "--set",
        &format!("image_source={}", layout.display()),
    ]);
    assert_eq!(arm.code, 0, "{arm:?}");
    let doc = verify(&d.sb, "ecr-push");
    let p = probe(&doc, "image", "platform")["message"].as_str().unwrap().to_string();
    assert!(p.contains("no linux/amd64 variant") && p.contains("labelled linux/amd64 is linux/arm64/v8"), "{p}");
    let ecs = d.sb.run(&["verify", "ecs-service", "--json"]);
    let p = probe(&ecs.json(), "task-definition", "image")["message"].as_str().unwrap().to_string();
    assert!(p.contains("labelled linux/amd64 is linux/arm64/v8 by its config"), "{p}");
    // An honest amd64 archive still passes (the test can fail the other way too).
    write_docker_archive(&d.sb.dir.join("image.tar"), &[&build("amd64", 1, 300)]);
    assert_eq!(d.sb.run(&["run", "ecr-push", "--yes"]).code, 0);
    assert_eq!(d.sb.run(&["verify", "ecr-push"]).code, 0);
}
