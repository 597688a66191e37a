//! What the emulated account holds, listed by boto3 (tests/support/inventory.py),
//! not by preflight: the independent check that destroy left nothing behind.

use std::path::Path;
use std::time::Duration;

/// Every resource of the kinds preflight makes, by kind (`roles`, `secrets`, …).
pub fn list(moto_url: &str) -> serde_json::Value {
    run(moto_url, None)
}

/// Runs `code` (Python, with `clients("ecs")` and the like) against the account, then lists it.
pub fn plant(moto_url: &str, code: &str) -> serde_json::Value {
    run(moto_url, Some(code))
}

fn run(moto_url: &str, code: Option<&str>) -> serde_json::Value {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/inventory.py");
    let mut cmd = std::process::Command::new(&python);
    cmd.arg(&script).arg(moto_url);
    if let Some(code) = code {
        cmd.args(["--run", code]);
    }
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}: run `bash scripts/setup-moto.sh` first", python.display()));
    let out = super::wait(child, Duration::from_secs(120));
    assert_eq!(out.code, 0, "inventory.py: {out:?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("inventory.py's output: {e}: {out:?}"))
}
