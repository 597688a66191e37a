//! `preflight up` (issue 21): the profile's checklists in deploy order as one
//! run — from nothing to a healthy service, one consent for every change of
//! every checklist (the changes that stand on earlier ones included, a value
//! known only after them shown as such), a re-run that changes nothing, the
//! first failure stopping it with its fix, and clear errors for what the
//! profile and flags do not allow. moto runs no containers: its services report
//! their tasks running (MOTO_ECS_SERVICE_RUNNING=1) and the application's
//! /health is a double on 127.0.0.1; the registry is Debian's docker-registry.

mod support;

use support::deploy::{Deployed, PROFILE, account};
use support::image::{build, write_docker_archive};
use support::pty::Tty;
use support::{Moto, is_mutating};

/// The checklists ecs-service stands on and itself, listed out of deploy order.
const ENABLED: &str = "checklists = [\"ecs-service\", \"secrets\", \"ecr-push\", \"iam-policy\"]\n";

fn mutating(moto: &Moto) -> Vec<String> {
    moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect()
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["checklists"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn up_goes_from_nothing_to_a_healthy_service_in_deploy_order_and_a_second_up_changes_nothing() {
    let Deployed { moto, sb, registry: _r, health: _h } = account("up-fresh", &format!("{ENABLED}{PROFILE}"));
    let out = sb.run(&["up", "--yes", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    assert_eq!(ids(&doc), ["iam-policy", "ecr-push", "secrets", "ecs-service"], "deploy order: {doc}");
    for c in doc["checklists"].as_array().unwrap() {
        for s in c["steps"].as_array().unwrap() {
            assert!(["pass", "manual", "skipped"].contains(&s["status"].as_str().unwrap()), "{}: {s}", c["id"]);
        }
    }
    assert_eq!(doc["stopped_at"], serde_json::Value::Null);
    assert_eq!(doc["not_run"], serde_json::json!([]));
    let service = &doc["checklists"][3]["steps"];
    let health = service.as_array().unwrap().iter().find(|s| s["id"] == "health").expect("the health step");
    assert_eq!(health["status"], "pass", "the service answers");

    // Again, without --yes and without a terminal: nothing to consent to, nothing changed.
    moto.start_recording();
    let again = sb.run(&["up"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(mutating(&moto), Vec::<String>::new(), "a re-run makes no change");
    assert!(again.stdout.contains("nothing was changed: every step was in place"), "{}", again.stdout);
    assert!(again.stdout.contains("the service answers at http://127.0.0.1:"), "{}", again.stdout);
    assert!(
        again.stdout.contains("up: iam-policy → ecr-push → secrets → ecs-service"),
        "the order is said before anything runs: {}",
        again.stdout
    );
}

#[test]
fn without_a_terminal_up_lists_every_change_of_every_checklist_and_changes_nothing() {
    let Deployed { moto, sb, registry: _r, health: _h } = account("up-no-tty", &format!("{ENABLED}{PROFILE}"));
    moto.start_recording();
    let out = sb.run(&["up"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(mutating(&moto), Vec::<String>::new(), "nothing is changed without consent");
    for change in [
        "iam-policy/runtime-policy: iam:CreatePolicy",
        "ecr-push/repository: ecr:CreateRepository",
        "secrets/secret:acme-app: secretsmanager:CreateSecret",
        // Standing on the three before it, planned against what they would make.
        "ecs-service/task-definition: ecs:RegisterTaskDefinition",
        "ecs-service/service: ecs:CreateService",
    ] {
        assert!(out.stderr.contains(change), "{change}: {}", out.stderr);
    }
    assert!(out.stderr.contains("then run again with --yes"), "{}", out.stderr);
    assert!(!sb.dir.join(".preflight/state.json").exists() || !sb.state().to_string().contains("\"running\""));
}

#[test]
fn one_consent_covers_the_whole_run_in_a_terminal() {
    let Deployed { moto, mut sb, registry: _r, health: _h } = account("up-consent", &format!("{ENABLED}{PROFILE}"));
    assert_eq!(sb.run(&["up", "--yes"]).code, 0);
    // A second version of the image: ecr-push pushes it, then the task definition and the
    // service change because of it — all in the one consent, the new revision shown as made later.
    write_docker_archive(&sb.dir.join("image.tar"), &[&build("amd64", 2, 700)]);
    sb.env.push(("PREFLIGHT_PAGER".into(), "cat".into()));
    moto.start_recording();
    let mut tty = Tty::open(&sb, "up");
    tty.expect("ecr-push / image: Image pushed, for the right platform");
    tty.expect("ecs-service / task-definition: Task definition");
    tty.expect("ecs:RegisterTaskDefinition");
    tty.expect("taskDefinition = (the revision of acme-api made by step task-definition)");
    tty.expect("up would make 6 changes in 3 steps of 2 checklists, in account 123456789012 (us-east-1).");
    tty.expect("Make these 6 changes?");
    tty.press("y\r");
    tty.expect("the service answers at http://127.0.0.1:");
    let (code, all) = tty.exit();
    assert_eq!(code, 0, "{all}");
    assert!(!all.contains("asking"), "no step is asked about again: {all}");
    assert_eq!(mutating(&moto), ["RegisterTaskDefinition", "UpdateService"], "{all}");
}

#[test]
fn up_stops_at_the_first_failure_with_its_fix_and_runs_nothing_after_it() {
    let Deployed { moto, mut sb, registry: _r, health: _h } = account("up-stops", &format!("{ENABLED}{PROFILE}"));
    // The value of DB_URL comes from an environment variable that is not set.
    sb.env.retain(|(k, _)| k != "ACME_DB_URL");
    moto.start_recording();
    let out = sb.run(&["up", "--yes", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    assert_eq!(doc["stopped_at"], serde_json::json!({ "checklist": "secrets", "step": "secret:acme-app" }), "{doc}");
    assert_eq!(doc["not_run"], serde_json::json!(["ecs-service"]));
    assert_eq!(ids(&doc), ["iam-policy", "ecr-push", "secrets"]);
    let ops = mutating(&moto);
    assert!(ops.contains(&"CreateRepository".to_string()), "the checklists before it ran: {ops:?}");
    assert!(!ops.iter().any(|o| o == "CreateCluster" || o == "RegisterTaskDefinition"), "{ops:?}");
    let text = sb.run(&["up", "--yes"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("up stopped at secrets / secret:acme-app: "), "{}", text.stdout);
    assert!(text.stdout.contains("ACME_DB_URL"), "the fix names what is missing: {}", text.stdout);
    assert!(text.stdout.contains("not run: ecs-service"), "{}", text.stdout);
}

#[test]
fn the_profile_and_the_flags_say_what_up_runs_or_it_stops_before_anything() {
    let Deployed { moto: _m, sb, registry: _r, health: _h } = account("up-flags", PROFILE);
    let out = sb.run(&["up", "--yes"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("does not say which checklists this project uses"), "{}", out.stderr);
    assert!(out.stderr.contains("fix: run `preflight init`"), "{}", out.stderr);
    let profile = sb.dir.join("preflight.toml");
    std::fs::write(&profile, format!("{ENABLED}{}", std::fs::read_to_string(&profile).unwrap())).unwrap();
    let typo = sb.run(&["up", "--only", "ecs-servce"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("--only ecs-servce: no checklist \"ecs-servce\" (did you mean `ecs-service`?)"),
        "{}",
        typo.stderr
    );
    let off = sb.run(&["up", "--skip", "model-access"]);
    assert_eq!(off.code, 2);
    assert!(off.stderr.contains("--skip model-access: the profile does not enable it"), "{}", off.stderr);
    assert!(off.stderr.contains("preflight.toml:1"), "where the list is: {}", off.stderr);
    assert!(!sb.dir.join(".preflight").exists(), "nothing written");
    // --only and --skip choose among the profile's, in deploy order.
    let only = sb.run(&["up", "--only", "secrets", "--only", "iam-policy", "--yes", "--json"]);
    assert_eq!(only.code, 0, "{only:?}");
    assert_eq!(ids(&only.json()), ["iam-policy", "secrets"]);
    let skip = sb.run(&["up", "--skip", "ecs-service", "--skip", "ecr-push", "--yes", "--json"]);
    assert_eq!(ids(&skip.json()), ["iam-policy", "secrets"]);
}

#[test]
fn the_wizards_u_runs_up_with_one_consent_dialog() {
    let Deployed { moto, sb, registry: _r, health: _h } = account("up-wizard", &format!("{ENABLED}{PROFILE}"));
    assert_eq!(sb.run(&["up", "--yes"]).code, 0);
    write_docker_archive(&sb.dir.join("image.tar"), &[&build("amd64", 3, 900)]);
    let mut tty = Tty::open(&sb, "tui");
    tty.wait_for(&["U up"]);
    // The background verification first (the new image: ecr-push's image fails).
    tty.wait_for(&["■ verify ecs-service"]);
    moto.start_recording();
    tty.press("U");
    tty.wait_for(&["up / 4 checklists: apply 7 changes?", "This run changes the account 123456789012"]);
    tty.wait_for(&["[ecr-push / image]"]);
    tty.press("\x1b[F"); // End: the whole plan read
    tty.wait_for(&["y apply"]);
    tty.press("y");
    tty.wait_for(&["■ up: "]);
    let shown = tty.contents();
    assert!(!shown.contains("asking"), "no step is asked about again: {shown}");
    assert_eq!(mutating(&moto), ["RegisterTaskDefinition", "UpdateService"], "{shown}");
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);
}
