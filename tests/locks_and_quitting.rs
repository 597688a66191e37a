//! Who holds the job lock, and what stopping says: the wizard takes it only
//! once a change is consented to (a waiting dialog locks nothing), quitting
//! mid-run records the step as interrupted and lets the lock go, and Ctrl-C in
//! the CLI says what it interrupted and that a re-run resumes (exit 130).
//! A proxy double holds one request so that a run can be stopped inside it.

mod support;

use std::time::Duration;

use support::proxy::Proxy;
use support::pty::Tty;
use support::{Moto, Sandbox, is_mutating};

fn phase(sb: &Sandbox, step: &str) -> serde_json::Value {
    sb.state()["scopes"]["123456789012/us-east-1"]["checklists"]["iam-policy"][step]["phase"].clone()
}

#[test]
fn ctrl_c_in_the_cli_says_what_it_interrupted_and_a_rerun_resumes() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    *proxy.behaviour.hold.lock().unwrap() = Some("AttachRolePolicy".into());
    let sb = Sandbox::new("ctrl-c", &proxy.url);
    let child = sb.command(&["run", "iam-policy", "--yes"]).spawn().unwrap();
    assert!(proxy.wait_holding(Duration::from_secs(60)), "the run never reached AttachRolePolicy");
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = support::wait(child, Duration::from_secs(30));
    assert_eq!(out.code, 130, "{out:?}");
    assert!(
        out.stderr.contains("interrupted (Ctrl-C): `preflight run` stopped in iam-policy / grant (Runtime permissions in effect); nothing more was sent"),
        "{out:?}"
    );
    assert!(out.stderr.contains("run the same command again"), "{out:?}");
    proxy.behaviour.abandon.store(true, std::sync::atomic::Ordering::SeqCst);
    *proxy.behaviour.hold.lock().unwrap() = None;
    // The lock went with the process; the next run finishes the interrupted step.
    moto.start_recording();
    let resumed = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["AttachRolePolicy"], "only the interrupted step is finished");

    // A read-only command interrupted says it changed nothing.
    *proxy.behaviour.hold.lock().unwrap() = Some("GetPolicy".into());
    proxy.behaviour.holding.store(false, std::sync::atomic::Ordering::SeqCst);
    let child = sb.command(&["verify", "iam-policy"]).spawn().unwrap();
    assert!(proxy.wait_holding(Duration::from_secs(60)));
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = support::wait(child, Duration::from_secs(30));
    assert_eq!(out.code, 130, "{out:?}");
    assert!(out.stderr.contains("`preflight verify` stopped") && out.stderr.contains("it changes nothing"), "{out:?}");
}

#[test]
fn the_wizard_locks_only_after_consent_and_quitting_lets_go() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let sb = Sandbox::new("wizard-lock", &proxy.url);
    let mut tty = Tty::open(&sb, "tui iam-policy");
    tty.wait_for(&["iam-policy: 3 steps"]);
    tty.press("a");
    tty.wait_for(&["iam-policy / runtime-policy: apply 1 change?"]);
    // The dialog waits for a person: another command may change the state meanwhile.
    let beside = sb.run(&["reset", "iam-policy", "--step", "grant"]);
    assert_eq!(beside.code, 0, "the waiting dialog holds no lock: {beside:?}");

    *proxy.behaviour.hold.lock().unwrap() = Some("AttachRolePolicy".into());
    tty.press("\x1b[F");
    tty.wait_for(&["y apply · n/q/Esc no"]);
    tty.press("y");
    for step in ["runtime-principal", "grant"] {
        tty.wait_for(&[&format!("iam-policy / {step}: apply 1 change?")]);
        // The lock taken for the change before this dialog was let go while it waits.
        let beside = sb.run(&["reset", "iam-policy", "--step", "grant"]);
        assert_eq!(beside.code, 0, "a later dialog of the same run holds no lock either: {beside:?}");
        tty.press("\x1b[F");
        tty.wait_for(&["y apply · n/q/Esc no"]);
        tty.press("y");
    }
    assert!(proxy.wait_holding(Duration::from_secs(60)), "the run never reached AttachRolePolicy");
    // Consented and changing: now the lock is held, and says who holds it.
    let refused = sb.run(&["reset", "iam-policy", "--step", "grant"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("is running `the wizard: run iam-policy`"), "{refused:?}");

    // Quit in the middle of the change: the step is recorded as interrupted, the lock goes.
    tty.press("q");
    tty.wait_for(&["Quit"]);
    tty.press("y");
    assert_eq!(tty.exit_code(), 0);
    proxy.behaviour.abandon.store(true, std::sync::atomic::Ordering::SeqCst);
    *proxy.behaviour.hold.lock().unwrap() = None;
    assert_eq!(phase(&sb, "grant"), "failed", "{}", sb.state());
    assert!(sb.state().to_string().contains("interrupted"), "{}", sb.state());
    let after = sb.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(after.code, 0, "the lock was let go and the run finishes the step: {after:?}");
}
