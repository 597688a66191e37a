//! What a step stands on, across checklists (issue 18 §4, §7): a need is
//! judged by the needed step's probes on the account, whoever made what they
//! probe; a step whose needs do not pass is blocked, never ✔; the task role is
//! one input; `status` does not mix in what was recorded for other inputs.

mod support;

use support::{Moto, Sandbox, iam, step};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_role_made_by_hand_satisfies_a_need_and_a_missing_one_blocks() {
    let moto = Moto::start();
    let sb = Sandbox::new("needs-by-hand", &moto.url);
    // model-access's runtime-invoke stands on iam-policy's runtime principal.
    let before = sb.run(&["verify", "model-access", "--json"]);
    let doc = before.json();
    let s = step(&doc, "runtime-invoke");
    assert_eq!(s["status"], "blocked", "{doc}");
    assert!(
        s["error"].as_str().unwrap().contains(
            "needs iam-policy/runtime-principal, which fails: exists: role comafi-ecs-task-role does not exist"
        ),
        "{s}"
    );
    assert_eq!(s["fix"], "create it: preflight run iam-policy --step runtime-principal", "{s}");
    assert_eq!(before.code, 1, "blocked fails verify");
    // The role, made by hand (as Terraform would): the need passes, preflight never ran iam-policy.
    let iam = iam(&moto.url).await;
    iam.create_role().role_name("comafi-ecs-task-role").assume_role_policy_document(TRUST).send().await.unwrap();
    let after = sb.run(&["verify", "model-access", "--json"]);
    let s = step(&after.json(), "runtime-invoke").clone();
    assert_ne!(s["status"], "blocked", "{s}");
    assert!(s["error"].is_null(), "{s}");
    let state = sb.state();
    let recorded = &state["scopes"]["123456789012/us-east-1"]["checklists"]["iam-policy"]["runtime-principal"];
    assert_eq!(recorded["verified"], true, "the needed step's probes are recorded too: {state}");
}

#[test]
fn the_runtime_role_is_the_task_role_one_input() {
    let moto = Moto::start();
    let sb = Sandbox::new("needs-alias", &moto.url);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"comafi\"\nruntime_principal_name = \"app-role\"\n",
    )
    .unwrap();
    let list = sb.run(&["list", "--inputs", "--json"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(list.stderr.contains("warning: runtime_principal_name (preflight.toml:3) is the task role"), "{list:?}");
    let doc = list.json();
    let input = |name: &str| doc["inputs"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap().clone();
    assert_eq!(input("task_role_name")["value"], "app-role", "the alias names the task role");
    assert_eq!(input("runtime_principal_name")["value"], "app-role");
    // Two names for one role: refused, naming both and where they came from.
    let both = sb.run(&["list", "--inputs", "--set", "task_role_name=other-role"]);
    assert_eq!(both.code, 2, "{both:?}");
    assert!(
        both.stderr.contains("runtime_principal_name = \"app-role\" (preflight.toml:3) and task_role_name = \"other-role\" (--set task_role_name) name two roles"),
        "{both:?}"
    );
    // A user for local development is an input of its own; list says which role the task role is.
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"comafi\"\nruntime_principal_kind = \"user\"\nruntime_principal_name = \"dev-ana\"\n",
    )
    .unwrap();
    let list = sb.run(&["list", "--inputs"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(
        list.stdout.contains(
            "the ECS task role comafi-ecs-task-role: not iam-policy's runtime principal, which is the user dev-ana"
        ),
        "{list:?}"
    );
}

#[test]
fn status_shows_a_record_made_with_other_inputs_as_such() {
    let moto = Moto::start();
    let sb = Sandbox::new("needs-status", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--set", "project=ctrlc2", "--yes"]).code, 0);
    let status = sb.run(&["status", "iam-policy", "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    let doc = status.json();
    let s = step(&doc, "runtime-policy");
    assert_eq!(s["status"], "pending", "not this profile's: {doc}");
    assert!(
        s["error"].as_str().unwrap().contains(
            "recorded for other inputs (log_group_prefix=/ctrlc2, project=ctrlc2, runtime_policy_name=ctrlc2-runtime)"
        ),
        "{s}"
    );
    assert!(s["probes"].as_array().unwrap().is_empty());
    // With the same values it is the record, as recorded.
    let same = sb.run(&["status", "iam-policy", "--json", "--set", "project=ctrlc2"]);
    assert_eq!(step(&same.json(), "runtime-policy")["status"], "pass");
    let text = sb.run(&["status", "iam-policy"]);
    assert!(text.stdout.contains("recorded for other inputs"), "{text:?}");
}
