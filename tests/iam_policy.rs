//! The `iam-policy` checklist end to end: the real binary against a moto
//! server (one per test, on a free 127.0.0.1 port), with the account checked
//! through the AWS SDK and moto's own request recorder, never through
//! preflight's own reports alone.

mod support;

use std::time::{Duration, Instant};

use support::proxy::Proxy;
use support::{Moto, Sandbox, is_mutating, statuses};

const ROLE: &str = "comafi-ecs-task-role";
const POLICY_ARN: &str = "arn:aws:iam::123456789012:policy/comafi-runtime";

fn all_pass(doc: &serde_json::Value) -> bool {
    statuses(doc).iter().all(|(_, s)| s == "pass")
}

fn probe<'a>(doc: &'a serde_json::Value, step: &str, probe: &str) -> &'a serde_json::Value {
    let probes = support::step(doc, step)["probes"].as_array().unwrap();
    probes.iter().find(|p| p["id"] == probe).unwrap_or_else(|| panic!("no probe {probe}"))
}

/// The runtime policy document without one statement, as the operator might have written it.
fn runtime_policy_without(sid: &str) -> String {
    let text = include_str!("../assets/iam/runtime-policy.json")
        .replace("{{region}}", "us-east-1")
        .replace("{{account_id}}", "123456789012")
        .replace("{{log_group_prefix}}", "/comafi")
        .replace("{{bedrock_model_id}}", "anthropic.claude-3-haiku-20240307-v1:0");
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != sid);
    doc.to_string()
}

fn statements(sids: &[&str]) -> String {
    let full: serde_json::Value = serde_json::from_str(&runtime_policy_without("none")).unwrap();
    let kept: Vec<_> = full["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| sids.contains(&s["Sid"].as_str().unwrap()))
        .cloned()
        .collect();
    serde_json::json!({"Version": "2012-10-17", "Statement": kept}).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_account_run_then_verify_passes() {
    let moto = Moto::start();
    let sb = Sandbox::new("fresh", &moto.url);
    let before = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(before.code, 1, "{before:?}");
    // grant stands on the other two: blocked while they fail, never judged alone.
    let expected = [("runtime-policy", "fail"), ("runtime-principal", "fail"), ("grant", "blocked")];
    assert_eq!(statuses(&before.json()), expected.map(|(a, b)| (a.to_string(), b.to_string())), "{before:?}");

    let run = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let doc = verify.json();
    assert!(all_pass(&doc), "{verify:?}");
    assert_eq!(doc["account"], "123456789012");
    assert_eq!(doc["region"], "us-east-1");
    assert_eq!(doc["principal"], "arn:aws:sts::123456789012:user/moto");

    // The account itself, read with the SDK.
    let iam = support::iam(&moto.url).await;
    let role = iam.get_role().role_name(ROLE).send().await.unwrap().role.unwrap();
    let trust = percent_encoding::percent_decode_str(role.assume_role_policy_document().unwrap())
        .decode_utf8_lossy()
        .into_owned();
    assert!(trust.contains("ecs-tasks.amazonaws.com"), "{trust}");
    let attached = iam.list_attached_role_policies().role_name(ROLE).send().await.unwrap();
    assert_eq!(
        attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(),
        vec![POLICY_ARN]
    );
    let doc = support::managed_policy_document(&moto.url, POLICY_ARN).await;
    assert!(
        doc.contains("arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*") && doc.contains("logs:StartQuery"),
        "{doc}"
    );

    // The state records every step as done and verified, with the ARNs.
    let state = sb.state();
    let steps = &state["scopes"]["123456789012/us-east-1"]["checklists"]["iam-policy"];
    for step in ["runtime-policy", "runtime-principal", "grant"] {
        assert_eq!(steps[step]["phase"], "done", "{state}");
        assert_eq!(steps[step]["verified"], true, "{state}");
    }
    assert_eq!(steps["runtime-policy"]["outputs"]["policy_arn"], POLICY_ARN);
    // Every change is in the audit log.
    let audit = std::fs::read_to_string(sb.dir.join(".preflight/audit.jsonl")).unwrap();
    for op in ["CreatePolicy", "CreateRole", "AttachRolePolicy"] {
        assert!(
            audit.lines().any(|l| l.contains(&format!("\"operation\":\"{op}\"")) && l.contains("\"outcome\":\"ok\"")),
            "{audit}"
        );
    }
    // Each line says who made the change, what and on what; a change's first line its parameters.
    for line in audit.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()) {
        assert_eq!(line["caller"], "arn:aws:sts::123456789012:user/moto", "{line}");
        assert!(line["operation"].is_string() && line["resource"].is_string(), "{line}");
        if line["outcome"] == "started" {
            assert!(line["params"].is_object(), "{line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_makes_zero_mutating_calls() {
    let moto = Moto::start();
    let sb = Sandbox::new("rerun", &moto.url);
    moto.start_recording();
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let first = moto.recorded_operations();
    let mutating: Vec<&String> = first.iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(mutating, vec!["CreatePolicy", "CreateRole", "AttachRolePolicy"], "recorder: {first:?}");

    moto.start_recording();
    let again = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(again.code, 0, "{again:?}");
    let second = moto.recorded_operations();
    assert!(second.iter().any(|o| o == "GetPolicyVersion"), "the re-run must look: {second:?}");
    assert_eq!(second.iter().filter(|o| is_mutating(o)).count(), 0, "re-run changed something: {second:?}");

    // plan makes no mutating call either, even when everything is missing.
    let fresh = Moto::start();
    let sb = Sandbox::new("plan", &fresh.url);
    fresh.start_recording();
    let plan = sb.run(&["plan", "iam-policy", "--json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let ops = fresh.recorded_operations();
    assert_eq!(ops.iter().filter(|o| is_mutating(o)).count(), 0, "{ops:?}");
    let doc = plan.json();
    let planned: Vec<&str> = doc["checklists"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["changes"].as_array().unwrap())
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(planned, vec!["CreatePolicy", "CreateRole", "AttachRolePolicy"]);
    assert!(!sb.dir.join(".preflight/state.json").exists(), "plan writes no state");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_without_start_query_fails_with_the_fix_and_run_repairs_it() {
    let moto = Moto::start();
    let sb = Sandbox::new("startquery", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    // Fill the policy up to IAM's 5 versions, the newest (default) lacking the query statement.
    for _ in 0..3 {
        iam.create_policy_version()
            .policy_arn(POLICY_ARN)
            .policy_document(runtime_policy_without("CloudWatchMetrics"))
            .send()
            .await
            .unwrap();
    }
    iam.create_policy_version()
        .policy_arn(POLICY_ARN)
        .policy_document(runtime_policy_without("CloudWatchLogsQuery"))
        .set_as_default(true)
        .send()
        .await
        .unwrap();

    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let doc = verify.json();
    for (step, id) in [("runtime-policy", "document"), ("grant", "effective")] {
        let p = probe(&doc, step, id);
        assert_eq!(p["status"], "fail");
        let message = p["message"].as_str().unwrap();
        assert!(
            message.contains(
                "logs:StartQuery, logs:GetQueryResults on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*"
            ),
            "{message}"
        );
        let fix = p["fix"].as_str().unwrap();
        assert!(fix.contains("\"Sid\": \"CloudWatchLogsQuery\"") && fix.contains("\"logs:StartQuery\""), "{fix}");
        assert!(!fix.contains("PutMetricData"), "the fix holds only what is missing: {fix}");
    }
    let human = sb.run(&["verify", "iam-policy"]);
    assert_eq!(human.code, 1);
    assert!(human.stdout.contains("logs:StartQuery") && human.stdout.contains("fix:"), "{human:?}");

    // plan shows the document change as a diff of the current and the desired document.
    let plan = sb.run(&["plan", "iam-policy", "--json"]);
    let doc = plan.json();
    let change = doc["checklists"][0]["steps"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["operation"] == "CreatePolicyVersion")
        .unwrap()
        .clone();
    assert!(!change["diff"]["before"].as_str().unwrap().contains("CloudWatchLogsQuery\""), "{change}");
    assert!(change["diff"]["after"].as_str().unwrap().contains("\"Sid\": \"CloudWatchLogsQuery\""), "{change}");
    assert!(sb.run(&["plan", "iam-policy"]).stdout.contains("+       \"Sid\": \"CloudWatchLogsQuery\""));

    // run repairs it: the oldest non-default version goes, a new default comes.
    moto.start_recording();
    let repair = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(repair.code, 0, "{repair:?}");
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["DeletePolicyVersion", "CreatePolicyVersion"]);
    let versions = iam.list_policy_versions().policy_arn(POLICY_ARN).send().await.unwrap();
    assert_eq!(versions.versions().len(), 5);
    assert!(!versions.versions().iter().any(|v| v.version_id() == Some("v1")), "v1 was the oldest");
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_deny_fails_and_run_cannot_paper_over_it() {
    let moto = Moto::start();
    let sb = Sandbox::new("deny", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoInsights","Effect":"Deny","Action":"logs:StartQuery","Resource":"*"}]}"#;
    iam.put_role_policy().role_name(ROLE).policy_name("guard").policy_document(deny).send().await.unwrap();

    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let doc = verify.json();
    assert_eq!(probe(&doc, "runtime-policy", "document")["status"], "pass");
    let p = probe(&doc, "grant", "effective");
    assert_eq!(p["status"], "fail");
    assert!(p["message"].as_str().unwrap().contains("logs:StartQuery on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*: explicitly denied by statement \"NoInsights\" of inline policy guard"), "{p}");
    assert!(p["fix"].as_str().unwrap().contains("remove or narrow the Deny"), "{p}");

    moto.start_recording();
    let run = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("nothing this step can change"), "{run:?}");
    let ops = moto.recorded_operations();
    assert_eq!(ops.iter().filter(|o| is_mutating(o)).count(), 0, "{ops:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn permissions_split_across_inline_and_managed_policies_pass() {
    let moto = Moto::start();
    let sb = Sandbox::new("split", &moto.url);
    // The runtime policy and the role exist, but the policy is not attached:
    // the permissions come from an inline policy and another managed policy.
    assert_eq!(sb.run(&["run", "iam-policy", "--step", "runtime-policy", "--yes"]).code, 0);
    assert_eq!(sb.run(&["run", "iam-policy", "--step", "runtime-principal", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    iam.put_role_policy()
        .role_name(ROLE)
        .policy_name("logs")
        .policy_document(statements(&[
            "CloudWatchLogsGroups",
            "CloudWatchLogsWrite",
            "CloudWatchLogsQuery",
            "CloudWatchLogsNoResource",
        ]))
        .send()
        .await
        .unwrap();
    let shared = iam
        .create_policy()
        .policy_name("shared-ai")
        .policy_document(statements(&["BedrockInvoke", "CloudWatchMetrics"]))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    iam.attach_role_policy().role_name(ROLE).policy_arn(shared.arn().unwrap()).send().await.unwrap();

    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let doc = verify.json();
    let message = probe(&doc, "grant", "effective")["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("inline policy logs of role comafi-ecs-task-role")
            && message.contains("managed policy shared-ai"),
        "{message}"
    );

    // Half of it is not enough.
    iam.delete_role_policy().role_name(ROLE).policy_name("logs").send().await.unwrap();
    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    assert!(probe(&verify.json(), "grant", "effective")["message"].as_str().unwrap().contains("logs:PutLogEvents"));
}

#[test]
fn a_missing_input_is_exit_2_naming_it_and_nothing_is_written() {
    // Nothing listens on this endpoint: the error must come before any AWS call.
    let sb = Sandbox::new("missing-input", &format!("http://127.0.0.1:{}", support::free_port()));
    std::fs::remove_file(sb.dir.join("preflight.toml")).unwrap();
    let out = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("input `project`") && out.stderr.contains("--set project=VALUE"), "{out:?}");
    assert!(!sb.dir.join(".preflight").exists(), "nothing may be written");
    assert!(!sb.dir.join("preflight.toml").exists(), "nothing may be written");

    let bad = sb.run(&["verify", "iam-policy", "--set", "project=Comafi AI"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    let unknown = sb.run(&["verify", "iam-policy", "--set", "projct=comafi"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(unknown.stderr.contains("no checklist has an input named `projct`"), "{unknown:?}");
    let no_step = sb.run(&["run", "iam-policy", "--step", "nope", "--set", "project=comafi"]);
    assert_eq!(no_step.code, 2, "{no_step:?}");
    assert!(no_step.stderr.contains("runtime-policy, runtime-principal, grant"), "{no_step:?}");
    assert!(!sb.dir.join(".preflight").exists());
}

#[test]
fn aws_unreachable_is_exit_3_quickly() {
    let sb = Sandbox::new("down", &format!("http://127.0.0.1:{}", support::free_port()));
    for args in [&["verify", "iam-policy"][..], &["run", "iam-policy", "--yes"], &["plan", "iam-policy", "--json"]] {
        let started = Instant::now();
        let out = sb.run(args);
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        assert!(out.stderr.contains("AWS could not be reached"), "{out:?}");
        // A hang guard, not a benchmark: the SDK's own default retries stay bounded.
        assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    }
    assert!(!sb.dir.join(".preflight/state.json").exists());
}

#[test]
fn without_yes_and_without_a_terminal_changes_are_refused() {
    let moto = Moto::start();
    let sb = Sandbox::new("consent", &moto.url);
    moto.start_recording();
    let out = sb.run(&["run", "iam-policy"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no terminal to ask for consent") && out.stderr.contains("--yes"), "{out:?}");
    assert!(out.stderr.contains("iam:CreatePolicy"), "{out:?}");
    let ops = moto.recorded_operations();
    assert_eq!(ops.iter().filter(|o| is_mutating(o)).count(), 0, "{ops:?}");
}

#[test]
fn a_killed_run_leaves_valid_state_and_resumes() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    *proxy.behaviour.hold.lock().unwrap() = Some("AttachRolePolicy".into());
    let sb = Sandbox::new("kill", &proxy.url);
    let mut child = sb.command(&["run", "iam-policy", "--yes"]).spawn().unwrap();
    assert!(proxy.wait_holding(Duration::from_secs(60)), "the run never reached AttachRolePolicy");

    // While it runs, reading goes on (verify, status, plan never wait), and a
    // second writer is refused, told who holds the lock and what it is doing.
    let verify = sb.run(&["verify", "iam-policy"]);
    assert_eq!(verify.code, 1, "grant is not attached yet: {verify:?}");
    assert_eq!(sb.run(&["status", "iam-policy"]).code, 0);
    let second = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(second.code, 2, "{second:?}");
    assert!(second.stderr.contains(&format!("pid {} is running `preflight run iam-policy`", child.id())), "{second:?}");

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    proxy.behaviour.abandon.store(true, std::sync::atomic::Ordering::SeqCst);
    let state = sb.state();
    let steps = &state["scopes"]["123456789012/us-east-1"]["checklists"]["iam-policy"];
    assert_eq!(steps["runtime-policy"]["phase"], "done");
    assert_eq!(steps["grant"]["phase"], "running", "{state}");

    *proxy.behaviour.hold.lock().unwrap() = None;
    let status = sb.run(&["status", "iam-policy", "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(status.json()["recorded"], true, "status shows the record, not the account now");
    let human = sb.run(&["status", "iam-policy"]);
    assert!(human.stdout.contains("recorded state: what earlier runs found, not verified now"), "{human:?}");
    let grant = status.json()["checklists"][0]["steps"][2].clone();
    assert!(grant["error"].as_str().unwrap().starts_with("interrupted"), "{grant}");

    moto.start_recording();
    let resumed = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["AttachRolePolicy"], "only the interrupted step is finished");
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 0);
}

#[test]
fn deep_verify_asks_the_policy_simulator_for_a_second_opinion() {
    // moto does not implement iam:SimulatePrincipalPolicy: the proxy answers it (see support/proxy.rs).
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let sb = Sandbox::new("deep", &proxy.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);

    let agree = sb.run(&["verify", "iam-policy", "--deep", "--json"]);
    assert_eq!(agree.code, 0, "{agree:?}");
    assert!(
        probe(&agree.json(), "grant", "effective")["message"]
            .as_str()
            .unwrap()
            .contains("[simulator: agrees on 11 checks]"),
        "{agree:?}"
    );
    assert!(*proxy.behaviour.simulate_calls.lock().unwrap() > 0);

    // Without --deep the simulator is not asked.
    let calls = *proxy.behaviour.simulate_calls.lock().unwrap();
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 0);
    assert_eq!(*proxy.behaviour.simulate_calls.lock().unwrap(), calls);

    // The simulator sees something the local evaluation cannot (an SCP, say): the probe fails.
    proxy.behaviour.deny.lock().unwrap().push("logs:StartQuery".into());
    let disagree = sb.run(&["verify", "iam-policy", "--deep", "--json"]);
    assert_eq!(disagree.code, 1, "{disagree:?}");
    let p = probe(&disagree.json(), "grant", "effective").clone();
    assert!(
        p["fix"].as_str().unwrap().contains(
            "logs:StartQuery on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*: simulator says explicitDeny"
        ),
        "{p}"
    );

    // A caller that may not simulate gets the local verdict and a note.
    proxy.behaviour.simulate_forbidden.store(true, std::sync::atomic::Ordering::SeqCst);
    let forbidden = sb.run(&["verify", "iam-policy", "--deep", "--json"]);
    assert_eq!(forbidden.code, 0, "{forbidden:?}");
    assert!(
        probe(&forbidden.json(), "grant", "effective")["message"]
            .as_str()
            .unwrap()
            .contains("unavailable: the caller may not call iam:SimulatePrincipalPolicy")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_names_the_action_and_the_statement_that_fixes_it() {
    // moto enforces IAM after reset-auth. (Under enforcement moto rejects the
    // signature of requests whose form body carries a JSON policy document, so
    // the denied calls here are GetPolicy and CreateUser, whose bodies are plain.)
    let moto = Moto::start();
    let iam = support::iam(&moto.url).await;
    iam.create_user().user_name("deployer").send().await.unwrap();
    let limited = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:List*","sts:GetCallerIdentity"],"Resource":"*"}]}"#;
    iam.put_user_policy().user_name("deployer").policy_name("limited").policy_document(limited).send().await.unwrap();
    let key = iam.create_access_key().user_name("deployer").send().await.unwrap().access_key.unwrap();
    moto.enforce_iam();

    let mut sb = Sandbox::new("denied", &moto.url);
    sb.env.push(("AWS_ACCESS_KEY_ID".into(), key.access_key_id().to_string()));
    sb.env.push(("AWS_SECRET_ACCESS_KEY".into(), key.secret_access_key().to_string()));

    // A read the probe needs is denied: the probe errors, naming the call and the fix.
    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let p = probe(&verify.json(), "runtime-policy", "document").clone();
    assert_eq!(p["status"], "error", "{p}");
    assert!(
        p["message"].as_str().unwrap().starts_with(
            "AccessDenied: the caller may not call iam:GetPolicy on arn:aws:iam::123456789012:policy/comafi-runtime"
        ),
        "{p}"
    );
    let fix = p["fix"].as_str().unwrap();
    assert!(
        fix.contains("\"Action\": \"iam:GetPolicy\"")
            && fix.contains("\"Resource\": \"arn:aws:iam::123456789012:policy/comafi-runtime\""),
        "{fix}"
    );

    // A change is denied: the step errors with the statement that would allow it.
    let run = sb.run(&[
        "run",
        "iam-policy",
        "--step",
        "runtime-principal",
        "--yes",
        "--json",
        "--set",
        "runtime_principal_kind=user",
        "--set",
        "runtime_principal_name=comafi-dev",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let step = run.json()["checklists"][0]["steps"][0].clone();
    assert_eq!(step["status"], "error", "{step}");
    assert!(
        step["error"].as_str().unwrap().starts_with(
            "AccessDenied: the caller may not call iam:CreateUser on arn:aws:iam::123456789012:user/comafi-dev"
        ),
        "{step}"
    );
    assert!(step["fix"].as_str().unwrap().contains("\"Action\": \"iam:CreateUser\""), "{step}");
    let audit = std::fs::read_to_string(sb.dir.join(".preflight/audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"operation\":\"CreateUser\"") && audit.contains("\"outcome\":\"AccessDenied\""),
        "{audit}"
    );
    for out in [&verify, &run] {
        assert!(!out.all().contains(key.secret_access_key()), "the secret key never appears in any output");
    }
    assert!(
        !audit.contains(key.secret_access_key())
            && !std::fs::read_to_string(sb.dir.join(".preflight/state.json"))
                .unwrap()
                .contains(key.secret_access_key())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_principal_for_local_development() {
    let moto = Moto::start();
    let sb = Sandbox::new("user", &moto.url);
    let run = sb.run(&[
        "run",
        "iam-policy",
        "--yes",
        "--set",
        "runtime_principal_kind=user",
        "--set",
        "runtime_principal_name=comafi-dev",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let iam = support::iam(&moto.url).await;
    let attached = iam.list_attached_user_policies().user_name("comafi-dev").send().await.unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    assert!(
        iam.list_access_keys().user_name("comafi-dev").send().await.unwrap().access_key_metadata().is_empty(),
        "preflight never creates access keys"
    );
    assert_eq!(
        sb.run(&[
            "verify",
            "iam-policy",
            "--set",
            "runtime_principal_kind=user",
            "--set",
            "runtime_principal_name=comafi-dev"
        ])
        .code,
        0
    );
    // Permissions that come through a group count too.
    let as_user = [
        "verify",
        "iam-policy",
        "--json",
        "--set",
        "runtime_principal_kind=user",
        "--set",
        "runtime_principal_name=comafi-dev",
    ];
    let policy = "arn:aws:iam::123456789012:policy/comafi-runtime";
    iam.detach_user_policy().user_name("comafi-dev").policy_arn(policy).send().await.unwrap();
    assert_eq!(sb.run(&as_user).code, 1);
    iam.create_group().group_name("ai-apps").send().await.unwrap();
    iam.attach_group_policy().group_name("ai-apps").policy_arn(policy).send().await.unwrap();
    iam.add_user_to_group().group_name("ai-apps").user_name("comafi-dev").send().await.unwrap();
    let via_group = sb.run(&as_user);
    assert_eq!(via_group.code, 0, "{via_group:?}");
    assert!(
        probe(&via_group.json(), "grant", "effective")["message"]
            .as_str()
            .unwrap()
            .contains("attached to group ai-apps")
    );
}

#[test]
fn state_is_kept_per_account_and_region() {
    let moto = Moto::start();
    let sb = Sandbox::new("scope", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let here = sb.run(&["status", "iam-policy", "--json"]).json();
    assert!(all_pass(&here), "{here}");
    let elsewhere = sb.run(&["status", "iam-policy", "--json", "--region", "eu-west-1"]).json();
    assert_eq!(elsewhere["region"], "eu-west-1");
    assert!(statuses(&elsewhere).iter().all(|(_, s)| s == "pending"), "{elsewhere}");

    // reset forgets, confirm refuses steps that probes settle.
    assert_eq!(sb.run(&["reset", "iam-policy", "--step", "grant"]).code, 0);
    let after = sb.run(&["status", "iam-policy", "--json"]).json();
    assert_eq!(statuses(&after)[2], ("grant".to_string(), "pending".to_string()));
    let confirm = sb.run(&["confirm", "iam-policy", "--step", "grant"]);
    assert_eq!(confirm.code, 1, "{confirm:?}");
    assert!(confirm.stderr.contains("grant is decided by its probes"), "{confirm:?}");
}

#[test]
fn run_refuses_an_account_the_profile_does_not_expect() {
    let moto = Moto::start();
    let sb = Sandbox::new("expect", &moto.url);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"comafi\"\n[expect]\naccount_id = \"111111111111\"\n",
    )
    .unwrap();
    moto.start_recording();
    let run = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("account 123456789012 is not the expected 111111111111")
            && run.stderr.contains("nothing was changed"),
        "{run:?}"
    );
    assert_eq!(moto.recorded_operations().iter().filter(|o| is_mutating(o)).count(), 0);
    let verify = sb.run(&["verify", "iam-policy"]);
    assert_eq!(verify.code, 1, "reading is allowed, with a warning: {verify:?}");
    assert!(verify.stderr.contains("warning: account 123456789012 is not the expected 111111111111"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_trusted_by_another_service_fails_and_run_replaces_the_trust() {
    let moto = Moto::start();
    let sb = Sandbox::new("trust", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let lambda = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy().role_name(ROLE).policy_document(lambda).send().await.unwrap();

    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let p = probe(&verify.json(), "runtime-principal", "exists").clone();
    assert!(
        p["message"].as_str().unwrap().contains("no statement trusts the service principal ecs-tasks.amazonaws.com"),
        "{p}"
    );

    // Trusted by the right service, but for another account (the confused-deputy guard points elsewhere).
    let elsewhere = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#;
    iam.update_assume_role_policy().role_name(ROLE).policy_document(elsewhere).send().await.unwrap();
    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let p = probe(&verify.json(), "runtime-principal", "exists").clone();
    assert!(
        p["message"].as_str().unwrap().contains(
            "only when StringEquals aws:SourceAccount \"111111111111\", which never holds for this account 123456789012"
        ),
        "{p}"
    );

    moto.start_recording();
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["UpdateAssumeRolePolicy"]);
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_granting_more_than_least_privilege_fails_and_run_narrows_it() {
    let moto = Moto::start();
    let sb = Sandbox::new("wide", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let mut doc: serde_json::Value = serde_json::from_str(&runtime_policy_without("none")).unwrap();
    doc["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Sid": "Everything", "Effect": "Allow", "Action": "logs:*", "Resource": "*"}));
    iam.create_policy_version()
        .policy_arn(POLICY_ARN)
        .policy_document(doc.to_string())
        .set_as_default(true)
        .send()
        .await
        .unwrap();

    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let p = probe(&verify.json(), "runtime-policy", "document").clone();
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("grants more than least privilege: statement \"Everything\": logs:* on *"),
        "{p}"
    );
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 0);
}
