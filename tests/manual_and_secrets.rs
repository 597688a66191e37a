//! Manual steps (a person confirms, `--strict` insists) and secret inputs
//! (never in any output), with a checklist loaded from `--library DIR`.

mod support;

use support::{Moto, Sandbox};

const SECRET: &str = "tok-3f9a1c77e2";

const INPUTS: &str = r#"[[inputs]]
name = "project"
prompt = "Project?"
kind = "text"
required = true

[[inputs]]
name = "api_token"
prompt = "API token"
kind = "secret"
required = true
"#;

const DEMO: &str = r#"id = "demo"
title = "Manual steps and secrets"
summary = "A checklist for the tests"
source = "tests"

[[steps]]
id = "look"
title = "Look at the dashboard"
explain = "A person checks the dashboard of {{project}}."

[[steps.probes]]
id = "eyes"
kind = "manual.confirm"
check = "open the dashboard of {{project}} and check that the token {{api_token}} is listed"
"#;

fn sandbox(moto: &Moto) -> Sandbox {
    let mut sb = Sandbox::new("manual", &moto.url);
    std::fs::create_dir_all(sb.dir.join("lib/checklists")).unwrap();
    std::fs::create_dir_all(sb.dir.join("lib/assets")).unwrap();
    std::fs::write(sb.dir.join("lib/checklists/inputs.toml"), INPUTS).unwrap();
    std::fs::write(sb.dir.join("lib/checklists/demo.toml"), DEMO).unwrap();
    sb.env.push(("PREFLIGHT_LIBRARY".into(), sb.dir.join("lib").display().to_string()));
    sb
}

#[test]
fn manual_steps_and_secrets() {
    let moto = Moto::start();
    let mut sb = sandbox(&moto);

    // No secret and no terminal: exit 2, naming the input and where a secret may come from.
    let missing = sb.run(&["verify", "demo"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains("input `api_token`") && missing.stderr.contains("PREFLIGHT_SECRET_API_TOKEN"),
        "{missing:?}"
    );
    let on_command_line = sb.run(&["verify", "demo", "--set", &format!("api_token={SECRET}")]);
    assert_eq!(on_command_line.code, 2, "{on_command_line:?}");
    assert!(on_command_line.stderr.contains("would be visible in the process list"));

    sb.env.push(("PREFLIGHT_SECRET_API_TOKEN".into(), SECRET.into()));
    let mut outputs = Vec::new();
    let verify = sb.run(&["verify", "demo", "--json"]);
    assert_eq!(verify.code, 0, "an unconfirmed manual step does not fail verify: {verify:?}");
    let doc = verify.json();
    let step = &doc["checklists"][0]["steps"][0];
    assert_eq!(step["status"], "manual");
    assert_eq!(
        step["probes"][0]["message"],
        "open the dashboard of comafi and check that the token ******** is listed"
    );
    assert!(step["probes"][0]["fix"].as_str().unwrap().contains("preflight confirm demo --step look"));
    outputs.push(verify.all());

    let strict = sb.run(&["verify", "demo", "--strict"]);
    assert_eq!(strict.code, 1, "{strict:?}");
    outputs.push(strict.all());

    let confirm = sb.run(&["confirm", "demo", "--step", "look"]);
    assert_eq!(confirm.code, 0, "{confirm:?}");
    outputs.push(confirm.all());
    let strict = sb.run(&["verify", "demo", "--strict", "--json"]);
    assert_eq!(strict.code, 0, "{strict:?}");
    assert_eq!(strict.json()["checklists"][0]["steps"][0]["status"], "pass");
    outputs.push(strict.all());
    let run = sb.run(&["run", "demo", "--yes", "-v"]);
    assert_eq!(run.code, 0, "{run:?}");
    outputs.push(run.all());
    let status = sb.run(&["status", "demo"]);
    outputs.push(status.all());

    // The secret appears nowhere: not in any output, not in any file preflight wrote.
    for out in &outputs {
        assert!(!out.contains(SECRET), "secret leaked into output:\n{out}");
    }
    for file in [".preflight/state.json", "preflight.toml"] {
        let text = std::fs::read_to_string(sb.dir.join(file)).unwrap();
        assert!(!text.contains(SECRET), "secret leaked into {file}");
    }
    assert!(
        !sb.dir.join(".preflight/audit.jsonl").exists()
            || !std::fs::read_to_string(sb.dir.join(".preflight/audit.jsonl")).unwrap().contains(SECRET)
    );
}

/// The wizard confirms a manual step with a key, under `preflight confirm`'s
/// rules, and says the key where the CLI says the command.
#[test]
fn the_wizard_confirms_a_manual_step_with_c() {
    let moto = Moto::start();
    let mut sb = sandbox(&moto);
    sb.env.push(("PREFLIGHT_SECRET_API_TOKEN".into(), SECRET.into()));
    let mut tty = support::pty::Tty::open(&sb, "tui demo");
    tty.wait_for(&["? look"]);
    tty.press("j");
    // A key where the CLI names a command; the footer offers it on this step.
    tty.wait_for(&["record it: press c on this step", "c confirm"]);
    tty.press("c");
    tty.wait_for(&["■ confirm demo / look: confirmed", "✔ look"]);
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);
    let strict = sb.run(&["verify", "demo", "--strict"]);
    assert_eq!(strict.code, 0, "confirmed in the wizard as with preflight confirm: {strict:?}");
}
