//! A skip is a decision on record: who skipped a step (the caller's ARN), when
//! and why, shown by `status` and `verify` (text and JSON), failed by
//! `verify --strict`, and taken back with `unskip` — from the CLI as from the
//! wizard's `s` (tests/tui_e2e.rs).

mod support;

use support::{Moto, Sandbox, step};

const CALLER: &str = "arn:aws:sts::123456789012:user/moto";

#[test]
fn a_skip_is_recorded_with_who_when_and_why_and_strict_fails_it() {
    let moto = Moto::start();
    let sb = Sandbox::new("skips", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);

    // Without a reason and without a terminal, nothing is recorded.
    let out = sb.run(&["skip", "iam-policy", "--step", "runtime-principal"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--reason is missing"), "{out:?}");
    assert!(out.stderr.contains("fix: preflight skip iam-policy --step runtime-principal --reason"), "{out:?}");
    let out = sb.run(&["skip", "iam-policy", "--step", "nope", "--reason", "x"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("has no step \"nope\""), "{out:?}");

    let out = sb.run(&["skip", "iam-policy", "--step", "runtime-principal", "--reason", "the role is Terraform's"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(&format!("skipped by {CALLER} at ")), "{out:?}");
    assert!(out.stdout.contains(": the role is Terraform's"), "{out:?}");

    let state = sb.state().to_string();
    assert!(state.contains("the role is Terraform's") && state.contains(CALLER), "{state}");

    for args in [&["status", "iam-policy"][..], &["verify", "iam-policy"]] {
        let out = sb.run(args);
        assert!(out.stdout.contains(&format!("skipped by {CALLER} at ")), "{args:?}: {out:?}");
        assert!(out.stdout.contains("the role is Terraform's"), "{args:?}: {out:?}");
    }
    let doc = sb.run(&["verify", "iam-policy", "--json"]).json();
    let skipped = &step(&doc, "runtime-principal");
    assert_eq!(skipped["status"], "skipped", "{doc}");
    assert_eq!(skipped["skipped"]["by"], CALLER);
    assert_eq!(skipped["skipped"]["reason"], "the role is Terraform's");
    assert!(skipped["skipped"]["at"].as_str().is_some_and(|t| t.starts_with("20")), "{doc}");

    // A skipped step is not verified: verify passes, --strict fails it and says how to undo it.
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 0);
    let out = sb.run(&["verify", "iam-policy", "--strict"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("--strict: a skipped step is not verified (skipped by"), "{out:?}");
    assert!(out.stdout.contains("fix: preflight unskip iam-policy --step runtime-principal"), "{out:?}");

    // Unskipped, it is probed again (and passes: the role is there).
    let out = sb.run(&["unskip", "iam-policy", "--step", "runtime-principal"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("no longer skipped"), "{out:?}");
    assert!(!sb.state().to_string().contains("the role is Terraform's"));
    let out = sb.run(&["verify", "iam-policy", "--strict"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = sb.run(&["unskip", "iam-policy", "--step", "runtime-principal"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("the step is not skipped"), "{out:?}");
}
