//! Snapshots of what the operator reads: the human output of each command and
//! the JSON document, against a moto server (deterministic account and names).

mod support;

use support::{Moto, Sandbox};

#[test]
fn list_output() {
    let sb = Sandbox::new("list", "http://127.0.0.1:9");
    let out = sb.run(&["list"]);
    assert_eq!(out.code, 0, "{out:?}");
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn plan_run_verify_status_output() {
    let moto = Moto::start();
    let sb = Sandbox::new("cli-output", &moto.url);
    let verify_fresh = sb.run(&["verify", "iam-policy"]);
    assert_eq!(verify_fresh.code, 1);
    insta::assert_snapshot!("verify_fresh_account", verify_fresh.stdout);
    let plan = sb.run(&["plan", "iam-policy"]);
    assert_eq!(plan.code, 0);
    insta::assert_snapshot!("plan_fresh_account", plan.stdout);
    let run = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("run_fresh_account", run.stdout);
    let verify = sb.run(&["verify", "iam-policy"]);
    assert_eq!(verify.code, 0);
    insta::assert_snapshot!("verify_after_run", verify.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_json_with_a_deny() {
    let moto = Moto::start();
    let sb = Sandbox::new("cli-json", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoInsights","Effect":"Deny","Action":"logs:StartQuery","Resource":"*"}]}"#;
    iam.put_role_policy()
        .role_name("comafi-ecs-task-role")
        .policy_name("guard")
        .policy_document(deny)
        .send()
        .await
        .unwrap();
    let out = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(out.code, 1);
    let mut doc = out.json();
    for step in doc["checklists"][0]["steps"].as_array_mut().unwrap() {
        assert!(step["updated_at"].as_str().unwrap().ends_with('Z'), "{step}");
        step["updated_at"] = "[time]".into();
    }
    insta::assert_json_snapshot!(doc);
    let human = sb.run(&["verify", "iam-policy"]);
    insta::assert_snapshot!("verify_with_deny", human.stdout);
}

/// Every argument says what it is, and the commands that take a checklist name them.
#[test]
fn help_names_every_argument_and_the_checklists() {
    let sb = Sandbox::new("help", "http://127.0.0.1:9");
    for (command, args) in [
        ("run", &["<CHECKLIST>", "--json", "--step <STEP>"][..]),
        ("verify", &["[CHECKLISTS]...", "--json"]),
        ("confirm", &["<CHECKLIST>", "--step <STEP>"]),
        ("status", &["[CHECKLIST]", "--json"]),
        ("skip", &["--reason <TEXT>"]),
    ] {
        let out = sb.run(&[command, "--help"]);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("Checklists: iam-policy, model-access, oidc-provider"), "{command}: {out:?}");
        for arg in args {
            // Each argument's line carries a description after the name.
            let line = out.stdout.lines().find(|l| l.trim_start().starts_with(arg));
            let line = line.unwrap_or_else(|| panic!("{command} --help lacks {arg}: {}", out.stdout));
            let described = line.split_once(arg).map(|(_, rest)| rest.trim().len() > 3).unwrap_or(false);
            assert!(described, "{command} --help: {arg} has no help: {line:?}");
        }
    }
}
