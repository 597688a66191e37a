//! `preflight destroy` (issue 22): what preflight made, removed newest first;
//! what it adopted, kept; what stays and depends on what would go, a refusal
//! before any change; secrets scheduled with the window asked for; a destroy
//! killed at any moment finished by the next; a second one changing nothing.
//! The account is listed by boto3 (tests/support/inventory.py), not by
//! preflight. moto runs no containers (MOTO_ECS_SERVICE_RUNNING=1 reports the
//! tasks running) and releases a security group at once: AWS keeps a deleted
//! load balancer's network interfaces for a while, which destroy waits out
//! (DependencyViolation, tried again for a bounded time) — the emulator cannot show that.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::deploy::{Deployed, PROFILE, account};
use support::{Moto, inventory, is_mutating};

const ENABLED: &str = "checklists = [\"ecs-service\", \"secrets\", \"ecr-push\", \"iam-policy\"]\n";

fn mutating(moto: &Moto) -> Vec<String> {
    moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect()
}

/// What the account holds of the kinds preflight makes, less what moto starts with.
fn held(moto: &Moto) -> Value {
    let mut all = inventory::list(&moto.url);
    all.as_object_mut().unwrap().remove("secrets_deleting");
    all.as_object_mut().unwrap().remove("tags");
    all
}

fn empty_but(kept: &[(&str, Value)]) -> Value {
    let mut want = json!({
        "roles": [], "policies": [], "oidc_providers": [], "repositories": [], "secrets": [], "parameters": [],
        "clusters": [], "services": [], "task_definitions": [], "log_groups": [], "security_groups": [],
        "load_balancers": [], "target_groups": [],
    });
    for (k, v) in kept {
        want[*k] = v.clone();
    }
    want
}

#[test]
fn destroy_removes_what_preflight_made_keeps_what_it_adopted_and_a_second_changes_nothing() {
    let Deployed { moto, sb, registry: _r, health: _h } = account("destroy", &format!("{ENABLED}{PROFILE}"));
    // Made before preflight: a log group and a parameter with the profile's value. Adopted.
    inventory::plant(
        &moto.url,
        "clients('logs').create_log_group(logGroupName='/ecs/acme-api')\n\
         clients('ssm').put_parameter(Name='/acme/brands', Value='a,b,c', Type='String')",
    );
    let up = sb.run(&["up", "--yes"]);
    assert_eq!(up.code, 0, "{up:?}");
    let before = held(&moto);
    assert_eq!(before["services"], json!(["acme-cluster/acme-service"]), "{before}");
    // What preflight made says so in the account; what it adopted does not.
    let tags = inventory::list(&moto.url)["tags"].clone();
    for listed in [
        "role acme-ecs-task-role",
        "policy acme-runtime",
        "secret acme-app",
        "cluster acme-cluster",
        "load balancer acme-alb",
    ] {
        assert!(tags.get(listed).is_some(), "{listed}: {tags}");
    }
    for (what, t) in tags.as_object().unwrap() {
        if what == "log group /ecs/acme-api" {
            assert_eq!(t, &json!({}), "adopted, not tagged: {tags}");
        } else {
            assert_eq!(t["preflight:project"], "acme", "{what}: {tags}");
            assert!(t["preflight:checklist"].is_string(), "{what}: {tags}");
        }
    }

    // The plan changes nothing and says what goes and what stays.
    moto.start_recording();
    let plan = sb.run(&["destroy", "--plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_eq!(mutating(&moto), Vec::<String>::new(), "a plan changes nothing");
    for said in [
        "ecs-service / service: ECS service acme-cluster/acme-service",
        "ecs:UpdateService",
        "ecs:DeleteService",
        "iam-policy / runtime-policy: IAM policy acme-runtime",
        "ecs-service / log-group: Log group: adopted",
        "secrets / parameter:/acme/brands",
        "schedule secret acme-app for deletion in 7 days",
    ] {
        assert!(plan.stdout.contains(said), "{said}: {}", plan.stdout);
    }
    // Newest first: the service before the load balancer, the roles before their policy.
    let at = |t: &str| plan.stdout.find(t).unwrap_or_else(|| panic!("{t}: {}", plan.stdout));
    assert!(at("ECS service acme-cluster/acme-service") < at("load balancer acme-alb"));
    assert!(at("IAM role acme-ecs-task-role") < at("IAM policy acme-runtime"));
    assert_eq!(held(&moto), before, "the plan left the account as it was");

    // Without a terminal and without --yes: the list of changes, nothing done.
    let refused = sb.run(&["destroy"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("ecs-service / service: ECS service acme-cluster/acme-service: ecs:DeleteService"));
    assert_eq!(held(&moto), before);

    let out = sb.run(&["destroy", "--yes", "--secret-recovery-days", "10", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    assert_eq!(doc["result"], "destroyed", "{doc}");
    let kept: Vec<&str> = doc["kept"].as_array().unwrap().iter().map(|k| k["step"].as_str().unwrap()).collect();
    assert!(kept.contains(&"log-group") && kept.contains(&"parameter:/acme/brands"), "{kept:?}");

    // Nothing preflight made is left; what it adopted is.
    let after = inventory::list(&moto.url);
    let mut now = after.clone();
    now.as_object_mut().unwrap().remove("secrets_deleting");
    now.as_object_mut().unwrap().remove("tags");
    assert_eq!(now, empty_but(&[("log_groups", json!(["/ecs/acme-api"])), ("parameters", json!(["/acme/brands"]))]));
    // The secret is scheduled for deletion, restorable for the 10 days asked for.
    let when = after["secrets_deleting"]["acme-app"].as_str().unwrap_or_else(|| panic!("{after}"));
    assert_eq!(days_from_today(when), 10, "deleted on {when}");
    let secret = doc["things"].as_array().unwrap().iter().find(|t| t["step"] == "secret:acme-app").unwrap();
    assert_eq!(secret["outcome"], "removed", "{secret}");
    let restore = format!("secret acme-app can be restored until {}", &when[..10]);
    assert!(out.stderr.contains(&restore), "{restore}: {}", out.stderr);
    assert!(out.stderr.contains("aws secretsmanager restore-secret --secret-id acme-app"), "{}", out.stderr);

    // The state says destroyed, not failed; verify finds the steps not done.
    let state = sb.state();
    let scope = state["scopes"].as_object().unwrap().values().next().unwrap();
    let policy = &scope["checklists"]["iam-policy"]["runtime-policy"];
    assert_eq!(policy["phase"], "pending", "{policy}");
    assert!(policy["destroyed"]["by"].as_str().unwrap().contains("arn:aws"), "{policy}");
    let verify = sb.run(&["verify", "iam-policy", "ecs-service", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    for c in verify.json()["checklists"].as_array().unwrap() {
        for step in c["steps"].as_array().unwrap().iter().filter(|s| !kept.contains(&s["id"].as_str().unwrap())) {
            assert_ne!(step["status"], "pass", "{} / {} passes after destroy: {}", c["id"], step["id"], verify.stdout);
        }
    }

    // Again: nothing to remove, not one mutating call.
    moto.start_recording();
    let again = sb.run(&["destroy", "--yes"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(mutating(&moto), Vec::<String>::new(), "a second destroy changes nothing");
    assert!(again.stdout.contains("nothing to remove"), "{}", again.stdout);
}

/// Whole days from today (UTC) to the date of an ISO date-time.
fn days_from_today(iso: &str) -> i64 {
    use aws_smithy_types::date_time::{DateTime, Format};
    let day = DateTime::from_str(&format!("{}T00:00:00Z", &iso[..10]), Format::DateTime).unwrap().secs();
    let today = DateTime::from(std::time::SystemTime::now()).secs() / 86_400 * 86_400;
    (day - today) / 86_400
}

#[test]
fn destroy_refuses_naming_what_stays_and_depends_on_what_would_go() {
    let d = support::deploy::deployed("destroy-refuses");
    let (moto, sb) = (&d.moto, &d.sb);
    // A service preflight did not make, in preflight's cluster.
    inventory::plant(
        &moto.url,
        "td = clients('ecs').list_task_definitions()['taskDefinitionArns'][0]\n\
         clients('ecs').create_service(cluster='acme-cluster', serviceName='billing', taskDefinition=td, desiredCount=0)",
    );
    let before = held(moto);
    moto.start_recording();
    let out = sb.run(&["destroy", "--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(mutating(moto), Vec::<String>::new(), "a refusal changes nothing");
    assert!(
        out.stdout.contains("cluster acme-cluster is used by service billing (not made by preflight)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("nothing was changed"), "{}", out.stdout);
    assert_eq!(held(moto), before);

    // A checklist whose things stay stands on one whose things would go: refused, both named.
    let out = sb.run(&["destroy", "secrets", "--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("ecs-service stands on secrets (its steps need what secrets made)")
            && out.stdout.contains("fix: preflight destroy ecs-service secrets"),
        "{}",
        out.stdout
    );
    assert_eq!(held(moto), before);

    // Only what ecs-service made (the foreign service removed first): the rest stays.
    inventory::plant(&moto.url, "clients('ecs').delete_service(cluster='acme-cluster', service='billing', force=True)");
    let out = sb.run(&["destroy", "ecs-service", "--yes"]);
    assert_eq!(out.code, 0, "{out:?}");
    let now = held(moto);
    assert_eq!(now["clusters"], json!([]), "{now}");
    assert_eq!(now["repositories"], json!(["acme"]), "ecr-push's repository stays: {now}");
    assert_eq!(now["secrets"], json!(["acme-app"]), "{now}");

    // What one checklist made that another's still uses, thing by thing: destroy that one too, or first.
    let out = sb.run(&["destroy", "iam-policy", "--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains(
            "role acme-ecs-task-role is used by its inline policy acme-secrets-read (made by secrets/read-access: destroy secrets too, or first)"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(held(moto), now);
}

/// kill -9 at ten moments of a destroy (before its first deletion, after its
/// 1st, 2nd, 4th … deletion was announced in the audit log, which is written
/// just before each is sent, and after its end); each time the next destroy
/// finishes it, and `up` makes it all again (a re-run after a destroy is a first deploy).
#[test]
fn a_destroy_killed_at_any_moment_is_finished_by_the_next() {
    let Deployed { moto, sb, registry: _r, health: _h } = account("destroy-kill", &format!("{ENABLED}{PROFILE}"));
    let announced = |pid: u32| {
        support::audit(&sb)
            .iter()
            .filter(|l| l["pid"] == pid && l["outcome"] == "started" && l["service"] != "preflight")
            .count()
    };
    let mut killed_amid = 0;
    for (i, after) in [0usize, 1, 2, 4, 6, 9, 12, 15, 18, usize::MAX].into_iter().enumerate() {
        let up = sb.run(&["up", "--yes"]);
        assert_eq!(up.code, 0, "round {i}: {up:?}");
        // After a destroy the family's revisions are deregistered: the service runs on a new, active one.
        let revisions = held(&moto)["task_definitions"].clone();
        assert_eq!(revisions.as_array().map(Vec::len), Some(1), "round {i}: {revisions}");
        // Secrets go at once here, so that the next `up` can make them again under the same name.
        let mut child = sb.command(&["destroy", "--yes", "--force-delete-secrets"]).spawn().unwrap();
        let pid = child.id();
        let started = std::time::Instant::now();
        loop {
            let ended = child.try_wait().unwrap().is_some();
            // 0: 30 ms in, while it reads the account and plans, before any deletion.
            let due = if after == 0 { started.elapsed() >= Duration::from_millis(30) } else { announced(pid) >= after };
            if ended || due {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "round {i}: destroy neither ended nor got that far");
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.code().is_none() && announced(pid) > 0 {
            killed_amid += 1;
        }
        let out = sb.run(&["destroy", "--yes", "--force-delete-secrets"]);
        assert_eq!(out.code, 0, "round {i} (killed after {after} deletions): {out:?}");
        assert_eq!(held(&moto), empty_but(&[]), "round {i} (killed after {after} deletions): {}", out.stdout);
        let state = sb.state().to_string();
        assert!(!state.contains("\"phase\":\"running\""), "round {i}: a step left running: {state}");
        // Each step whose things are gone is recorded destroyed, those the killed run removed too.
        let scope = sb.state()["scopes"].as_object().unwrap().values().next().unwrap().clone();
        for (c, st) in [("ecs-service", "service"), ("ecs-service", "cluster"), ("iam-policy", "runtime-policy")] {
            assert!(scope["checklists"][c][st]["destroyed"].is_object(), "round {i}: {c}/{st}: {scope}");
        }
    }
    assert!(killed_amid >= 6, "the kills fell amid the deletions only {killed_amid} times");
}

/// The wizard's `D` on a checklist: the same plan in one consent dialog, each
/// deletion headed by the step that made what it removes; then removed, and the
/// checklist verified again (its steps no longer pass).
#[test]
fn the_wizards_d_destroys_the_checklist_after_one_consent_dialog() {
    let d = support::deploy::deployed("destroy-wizard");
    let (moto, sb) = (&d.moto, &d.sb);
    let mut tty = support::pty::Tty::open(sb, "tui ecs-service");
    tty.wait_for(&["■ verify ecs-service"]);
    moto.start_recording();
    tty.press("D");
    tty.wait_for(&["destroy / ecs-service: apply", "[ecs-service / service] scale service acme-service"]);
    assert_eq!(mutating(moto), Vec::<String>::new(), "nothing before consent");
    moto.start_recording();
    tty.press("\x1b[F"); // End: the whole plan read
    tty.wait_for(&["y apply"]);
    tty.press("y");
    let shown = tty.wait_for(&["■ destroy ecs-service: "]);
    let changes = mutating(moto);
    for made in ["UpdateService", "DeleteService", "DeleteLoadBalancer", "DeleteCluster"] {
        assert!(changes.contains(&made.to_string()), "{made}: {changes:?}\n{shown}");
    }
    let now = held(moto);
    assert_eq!((now["clusters"].clone(), now["load_balancers"].clone()), (json!([]), json!([])), "{now}");
    assert_eq!(now["repositories"], json!(["acme"]), "only ecs-service's things went: {now}");
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);
}

/// A machine without the first one's `.preflight/` (no audit log): what the
/// account's tags say this project's preflight made is found, shown as such,
/// and removed in the order of what stands on what.
#[test]
fn another_machine_destroys_what_the_first_made_by_its_tags() {
    let d = support::deploy::deployed("destroy-first");
    let other = support::Sandbox::new("destroy-second", &d.moto.url);
    std::fs::copy(d.sb.dir.join("preflight.toml"), other.dir.join("preflight.toml")).unwrap();
    assert!(!other.dir.join(".preflight/audit.jsonl").exists());
    let plan = other.run(&["destroy", "--plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    for found in [
        "ecs-service / (found by its tags): ECS service acme-cluster/acme-service",
        "ecs-service / (found by its tags): target group acme-tg",
        "iam-policy / (found by its tags): IAM role acme-ecs-task-role",
        "secrets / (found by its tags): secret acme-app",
    ] {
        assert!(plan.stdout.contains(found), "{found}: {}", plan.stdout);
    }
    let at = |t: &str| plan.stdout.find(t).unwrap_or_else(|| panic!("{t}: {}", plan.stdout));
    assert!(at("ECS service acme-cluster/acme-service") < at("load balancer acme-alb"));
    assert!(at("inline policy acme-secrets-read of role acme-ecs-task-role") < at("IAM role acme-ecs-task-role"));
    // The tags find what preflight made, not what was added to it by hand: a policy attached
    // to its role makes the destroy refuse, naming it; a revision registered by hand stays.
    let s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    inventory::plant(
        &d.moto.url,
        &format!("clients('iam').attach_role_policy(RoleName='acme-ecs-task-role', PolicyArn='{s3}')"),
    );
    let before = held(&d.moto);
    let refused = other.run(&["destroy", "--yes", "--force-delete-secrets"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stdout.contains(&format!("the attached policy {s3} (not made by preflight)")),
        "{}",
        refused.stdout
    );
    assert_eq!(held(&d.moto), before, "a refusal changes nothing");
    inventory::plant(
        &d.moto.url,
        &format!(
            "clients('iam').detach_role_policy(RoleName='acme-ecs-task-role', PolicyArn='{s3}')\n\
             clients('ecs').register_task_definition(family='acme-api', containerDefinitions=[{{'name': 'x', 'image': 'x', 'memory': 128}}])"
        ),
    );
    let by_hand = held(&d.moto)["task_definitions"].as_array().unwrap().last().cloned().unwrap();
    let out = other.run(&["destroy", "--yes", "--force-delete-secrets"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(held(&d.moto), empty_but(&[("task_definitions", json!([by_hand]))]), "{}", out.stdout);
}
