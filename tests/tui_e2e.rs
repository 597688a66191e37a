//! The wizard end to end: the real binary in a pseudo-terminal (util-linux
//! `script`, sized with stty), its screen read back through a terminal
//! emulator (vt100), against a moto server. Open (verified in the background),
//! run the iam-policy checklist with keys, consenting only after reading each
//! plan to its end; quit, break the policy behind its back, open again and see
//! the failure and its fix, re-run that one step, see it and its dependent green.

mod support;

use std::time::Duration;

use support::pty::Tty;
use support::{Moto, Sandbox};

#[tokio::test(flavor = "multi_thread")]
async fn run_the_checklist_with_keys_then_break_it_verify_and_repair() {
    let moto = Moto::start();
    let sb = Sandbox::new("tui", &moto.url);

    let mut tty = Tty::open(&sb, "");
    // On open, what can be verified is verified in the background: a fresh account fails.
    tty.wait_for(&[
        "account 123456789012",
        "iam-policy",
        "✘ runtime-policy",
        "0/3",
        "Enter run",
        "■ verify model-access",
    ]);
    // An idle wizard holds no lock: verify runs beside it (and fails: nothing is there yet).
    let beside = sb.run(&["verify", "iam-policy"]);
    assert_eq!(beside.code, 1, "{beside:?}");
    tty.press("a");
    // The first plan holds a whole policy document: longer than the dialog. y waits for the end.
    tty.wait_for(&["iam-policy / runtime-policy: apply 1 change?", "read to the end, then y"]);
    tty.press("y");
    tty.wait_for(&["read the whole plan first"]);
    tty.press("\x1b[F"); // End
    tty.wait_for(&["y apply · n/q/Esc no"]);
    tty.press("y");
    for step in ["runtime-principal", "grant"] {
        tty.wait_for(&[&format!("iam-policy / {step}: apply 1 change?")]);
        tty.press("\x1b[F");
        tty.wait_for(&["y apply · n/q/Esc no"]);
        tty.press("y");
    }
    // (The log's "3 steps · 3 pass" may already have scrolled by: the background
    // verification of the other checklists goes on after the run.)
    tty.wait_for(&["✔ runtime-policy", "✔ runtime-principal", "✔ grant", "3/3"]);
    // What stands on iam-policy in another checklist is probed again: model-access's
    // runtime-invoke (the role may now invoke the model) is current, not a stale ✘.
    tty.wait_for(&["✔ runtime-invoke"]);
    // The log shows every call with its duration; PgUp scrolls back to the change.
    let change = "[grant] iam:AttachRolePolicy arn:aws:iam::123456789012:role/comafi-ecs-task-role changed (";
    // (The re-checks of what stands on iam-policy, in ecs-service too, come after it in the log.)
    tty.wait_for(&["■ verify ecs-service / health"]);
    for _ in 0..80 {
        if tty.contents().contains(change) {
            break;
        }
        tty.press("\x1b[5~");
        std::thread::sleep(Duration::from_millis(100));
    }
    tty.wait_for(&["Log (↑", change]);
    // Idle again: a run in another terminal is not refused (and has nothing to change).
    let beside = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(beside.code, 0, "{beside:?}");
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);

    // The account really has it.
    let iam = support::iam(&moto.url).await;
    let attached = iam.list_attached_role_policies().role_name("comafi-ecs-task-role").send().await.unwrap();
    assert_eq!(attached.attached_policies().len(), 1);

    // Break the policy behind preflight's back: drop the query statement.
    let arn = "arn:aws:iam::123456789012:policy/comafi-runtime";
    let policy = iam.get_policy().policy_arn(arn).send().await.unwrap().policy.unwrap();
    let version =
        iam.get_policy_version().policy_arn(arn).version_id(policy.default_version_id().unwrap()).send().await.unwrap();
    let text = percent_encoding::percent_decode_str(version.policy_version().unwrap().document().unwrap())
        .decode_utf8_lossy()
        .into_owned();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != "CloudWatchLogsQuery");
    iam.create_policy_version()
        .policy_arn(arn)
        .policy_document(doc.to_string())
        .set_as_default(true)
        .send()
        .await
        .unwrap();

    // Start again: the recorded state is shown as recorded, then verified in the
    // background, which finds the break and its fix.
    let mut tty = Tty::open(&sb, "tui iam-policy");
    tty.wait_for(&["✘ runtime-policy", "⊘ grant", "1/3", "3 steps · 1 pass · 1 fail · 1 blocked"]);
    tty.press("j");
    tty.wait_for(&[
        "does not grant",
        "logs:StartQuery, logs:GetQueryResults on",
        "fix:",
        "\"Sid\": \"CloudWatchLogsQuery\"",
    ]);
    tty.press("r");
    tty.wait_for(&["iam-policy / runtime-policy: apply 1 change?", "CreatePolicyVersion"]);
    tty.press("\x1b[F");
    tty.wait_for(&["y apply · n/q/Esc no"]);
    tty.press("y");
    // The step that needs it (grant) is probed again at once: no stale ✘ is left.
    tty.wait_for(&["✔ runtime-policy", "✔ grant", "3/3"]);
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);

    assert_eq!(sb.run(&["verify", "iam-policy", "--json"]).json()["checklists"][0]["steps"][0]["status"], "pass");
}

#[test]
fn a_missing_input_is_asked_for_with_the_screen_suspended_and_saved() {
    let moto = Moto::start();
    let sb = Sandbox::new("tui-input", &moto.url);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "# team profile\n[expect]\naccount_id = \"111111111111\"\n\n[inputs]\nprojct = \"x\"\n",
    )
    .unwrap();

    let mut tty = Tty::open(&sb, "tui");
    // The profile expects another account: the header says so; a misspelt input is named in the log.
    tty.wait_for(&[
        "account 123456789012 is not the expected 111111111111",
        "project",
        "not set: asked for when the step runs",
        "warning: preflight.toml:6:1: [inputs] `projct` is not an input",
    ]);
    tty.press("p");
    tty.wait_for(&["Project name (the prefix of every resource name)"]);
    tty.press("comafi\r");
    // Back in the wizard: the plan is there, made with the answer.
    tty.wait_for(&["■ plan iam-policy: 3 steps · 3 fail", "project                 comafi"]);
    tty.press("j");
    tty.wait_for(&["Plan", "iam:CreatePolicy", "comafi-runtime"]);
    tty.press("q");
    let (code, after) = tty.exit();
    assert_eq!(code, 0);
    // The prompt ran inside the wizard's screen: nothing of it is left on the shell's.
    assert!(!after.contains("Project name"), "the prompt was left on the terminal:\n{after}");
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    assert!(profile.contains("# team profile") && profile.contains("project = \"comafi\""), "{profile}");
}

/// `s` in the wizard asks why, and records the skip with the caller and time,
/// as `preflight skip` does; `s` again takes it back.
#[test]
fn a_skip_in_the_wizard_asks_why_and_is_on_record() {
    let moto = Moto::start();
    let sb = Sandbox::new("tui-skip", &moto.url);
    let mut tty = Tty::open(&sb, "tui iam-policy");
    tty.wait_for(&["iam-policy: 3 steps"]);
    tty.press("j");
    tty.wait_for(&[
        "runtime-policy — Least-privilege runtime policy",
        "document: policy comafi-runtime does not exist",
    ]);
    tty.press("s");
    tty.wait_for(&["Why skip iam-policy/runtime-policy?"]);
    tty.press("the policy is Terraform's\r");
    tty.wait_for(&["skipped by arn:aws:sts::123456789012:user/moto at", "the policy is Terraform's · s", "unskips"]);
    tty.press("q");
    assert_eq!(tty.exit().0, 0);
    let status = sb.run(&["status", "iam-policy"]);
    assert!(status.stdout.contains("skipped by arn:aws:sts::123456789012:user/moto at "), "{status:?}");
    assert!(status.stdout.contains("the policy is Terraform's"), "{status:?}");
    let strict = sb.run(&["verify", "iam-policy", "--strict"]);
    assert!(strict.stdout.contains("--strict: a skipped step is not verified"), "{strict:?}");

    let mut tty = Tty::open(&sb, "tui iam-policy");
    tty.wait_for(&["iam-policy: 3 steps"]);
    tty.press("j");
    tty.wait_for(&["the policy is Terraform's · s", "unskips"]);
    tty.press("s");
    tty.wait_gone(&["unskips"]);
    tty.press("q");
    assert_eq!(tty.exit().0, 0);
    assert!(!sb.run(&["status", "iam-policy"]).stdout.contains("skipped by"));
}

/// One bad input does not block everything: the wizard opens, the checklists
/// that use the value show it as their problem, the others work; `list
/// --inputs` flags it too.
#[test]
fn a_bad_input_is_the_problem_of_the_checklists_that_use_it_only() {
    let moto = Moto::start();
    let sb = Sandbox::new("tui-bad-input", &moto.url);
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\ncontainer_port = \"80o0\"\n")
        .unwrap();
    let listed = sb.run(&["list", "--inputs"]);
    assert!(listed.stdout.contains("✘ invalid: \"80o0\" must be a whole number from 1 to 65535"), "{listed:?}");

    let mut tty = Tty::open(&sb, "");
    // The wizard opens; iam-policy does not use the value: it is verified as usual.
    tty.wait_for(&["✘ runtime-policy", "✘ runtime-principal", "⊘ grant"]);
    // On the checklist that uses it, the problem comes first, with where it is and the key to fix it.
    for _ in 0..80 {
        if tty.contents().contains("ecs-service — ") {
            break;
        }
        tty.press("j");
        std::thread::sleep(Duration::from_millis(150));
    }
    tty.wait_for(&["✘ input `container_port` is not valid", "preflight.toml:3"]);
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);
}
