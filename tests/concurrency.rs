//! Concurrent probing and shared reads, for correctness (never for time:
//! `scripts/bench-verify.sh` measures): the same answers as one call at a
//! time, each shared read made once, nothing read before a change reused after
//! it, and throttling retried rather than reported. moto serves the account;
//! the throttling comes from the test proxy in front of it (moto never throttles).

mod support;

use support::proxy::Proxy;
use support::{Moto, Sandbox, step};

const PROFILE: &str = r#"[inputs]
project = "acme"

[[secrets]]
name = "acme-app"
keys = ["DB_URL"]
source = { DB_URL = "generate:hex32" }
readers = ["execution", "task"]

[[parameters]]
name = "/acme/brands"
value = "a,b"
readers = ["task"]
"#;

fn account(name: &str, url: &str) -> Sandbox {
    let sb = Sandbox::new(name, url);
    std::fs::write(sb.dir.join("preflight.toml"), PROFILE).unwrap();
    sb
}

/// The JSON report without what differs from one moment to the next (when each step was recorded).
fn answers(out: &support::Out) -> serde_json::Value {
    let mut doc = out.json();
    for c in doc["checklists"].as_array_mut().unwrap() {
        for s in c["steps"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("updated_at");
        }
    }
    doc
}

fn count(ops: &[String], name: &str) -> usize {
    ops.iter().filter(|o| *o == name).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_probing_answers_as_one_call_at_a_time_does_on_a_healthy_and_a_broken_account() {
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let sb = account("concurrent-same", &moto.url);
    let all = ["verify", "iam-policy", "secrets", "oidc-provider", "--json", "--set", "github_repository=acme/app"];
    let fresh = (sb.run(&all), sb.run(&[&all[..], &["--concurrency", "1"]].concat()));
    assert_eq!(fresh.0.code, 1);
    assert_eq!(answers(&fresh.0), answers(&fresh.1), "a fresh account");

    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);
    let healthy = (sb.run(&all), sb.run(&[&all[..], &["--concurrency", "1"]].concat()));
    assert_eq!(answers(&healthy.0), answers(&healthy.1), "a healthy account");
    assert_eq!(step(&healthy.0.json(), "grant")["status"], "pass");

    // Broken behind preflight's back: the task role loses its read access and the runtime policy.
    let iam = support::iam(&moto.url).await;
    iam.delete_role_policy().role_name("acme-ecs-task-role").policy_name("acme-secrets-read").send().await.unwrap();
    let policy = "arn:aws:iam::123456789012:policy/acme-runtime";
    iam.detach_role_policy().role_name("acme-ecs-task-role").policy_arn(policy).send().await.unwrap();
    let broken = (sb.run(&all), sb.run(&[&all[..], &["--concurrency", "1"]].concat()));
    assert_eq!((broken.0.code, broken.1.code), (1, 1));
    assert_eq!(answers(&broken.0), answers(&broken.1), "a broken account");
    assert_eq!(step(&broken.0.json(), "grant")["status"], "fail");
    let text = (sb.run(&all[..4]), sb.run(&[&all[..4], &["--concurrency", "1"]].concat()));
    let strip = |s: &str| s.lines().filter(|l| !l.contains(" ms")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&text.0.stdout), strip(&text.1.stdout), "the human report, line for line");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_shared_by_several_probes_is_made_once_and_shown_as_reused() {
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let sb = account("concurrent-shared", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);
    moto.start_recording();
    let out = sb.run(&["verify", "iam-policy", "secrets", "-v"]);
    assert_eq!(out.code, 0, "{out:?}");
    let ops = moto.recorded_operations();
    // Two roles are read (the task role by iam-policy's three steps and by
    // secrets' read-access, the execution role by read-access): two GetRole.
    assert_eq!(count(&ops, "GetRole"), 2, "{ops:?}");
    assert_eq!(count(&ops, "ListAttachedRolePolicies"), 2, "{ops:?}");
    // One customer-managed policy (acme-runtime) and one AWS-managed
    // (AmazonECSTaskExecutionRolePolicy): each GetPolicy once.
    assert_eq!(count(&ops, "GetPolicy"), 2, "{ops:?}");
    assert_eq!(count(&ops, "DescribeSecret"), 1, "{ops:?}");
    assert!(
        out.stderr.contains("iam:GetRole arn:aws:iam::123456789012:role/acme-ecs-task-role reused"),
        "{}",
        out.stderr
    );
    // The same calls one at a time: sharing is no different with one call in flight.
    moto.start_recording();
    assert_eq!(sb.run(&["verify", "iam-policy", "secrets", "--concurrency", "1"]).code, 0);
    let mut one = moto.recorded_operations();
    let mut many = ops;
    one.sort();
    many.sort();
    assert_eq!(one, many);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_makes_the_probes_read_again() {
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let sb = account("concurrent-change", &moto.url);
    moto.start_recording();
    // On a fresh account the policy's GetPolicy says "not found" to the probes (shared by
    // runtime-policy's and grant's); after CreatePolicy the probes must see the policy.
    let out = sb.run(&["run", "iam-policy", "--yes", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    for id in ["runtime-policy", "runtime-principal", "grant"] {
        assert_eq!(step(&doc, id)["status"], "pass", "{id}: {doc}");
    }
    let ops = moto.recorded_operations();
    let create = ops.iter().position(|o| o == "CreatePolicy").expect("CreatePolicy");
    assert!(ops[create..].iter().any(|o| o == "GetPolicy"), "GetPolicy read again after the change: {ops:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_reads_are_retried_and_end_in_pass_not_error() {
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let sb = account("throttled-setup", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);

    let proxy = Proxy::start(&moto.url);
    proxy.behaviour.throttle_each.store(2, std::sync::atomic::Ordering::SeqCst);
    let mut through = account("throttled", &proxy.url);
    std::fs::copy(sb.dir.join("preflight.toml"), through.dir.join("preflight.toml")).unwrap();
    // The SDK's attempts, as a default AWS config has them (the other tests use 1).
    through.env.push(("AWS_MAX_ATTEMPTS".into(), "3".into()));
    let out = through.run(&["verify", "iam-policy", "secrets", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let throttled = proxy.behaviour.throttled.lock().unwrap().clone();
    assert!(
        throttled.get("GetRole") == Some(&2) && throttled.get("secretsmanager.DescribeSecret") == Some(&2),
        "{throttled:?}"
    );

    // With one attempt the same throttling (of the probes' reads; the caller's
    // identity is let through) is an error, not a failed probe: never a false ✘.
    *proxy.behaviour.throttled.lock().unwrap() = [("GetCallerIdentity".to_string(), 2)].into();
    through.env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));
    let out = through.run(&["verify", "iam-policy", "secrets", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    let statuses: Vec<String> = doc["checklists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap().to_string()))
        .collect();
    assert!(statuses.iter().any(|s| s == "error"), "{doc}");
    assert!(!statuses.iter().any(|s| s == "fail"), "throttling is never a finding: {doc}");
    assert!(out.stdout.contains("Rate exceeded"), "the error says what happened: {doc}");
}
