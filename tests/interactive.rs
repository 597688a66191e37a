//! The interactive paths in a real pseudo-terminal (util-linux `script`):
//! a missing input is asked for with the checklist's prompt and validation and
//! saved to the profile; each change is shown and asked for before it is made,
//! its documents whole (paged when they do not fit).

mod support;

use support::pty::Tty;
use support::{Moto, Sandbox, is_mutating};

#[test]
fn asks_for_missing_inputs_and_for_consent_in_a_terminal() {
    let moto = Moto::start();
    let sb = Sandbox::new("interactive", &moto.url);
    std::fs::write(sb.dir.join("preflight.toml"), "# my profile\n").unwrap();
    moto.start_recording();

    let mut t = Tty::open(&sb, "run iam-policy");
    t.expect("Project name (the prefix of every resource name)");
    t.press("Comafi AI\r");
    t.expect("lowercase letters, digits and dashes");
    // Asked again with an empty field: the refused text need not be deleted key by key.
    t.expect("Project name (the prefix of every resource name)");
    t.press("comafi\r");
    // The policy does not fit the 30 rows: it is paged (less), its first lines read first.
    t.expect("iam:CreatePolicy arn:aws:iam::123456789012:policy/comafi-runtime");
    t.expect("\"Sid\": \"BedrockInvoke\"");
    t.press("q");
    t.expect("(shown whole in the pager)");
    t.expect("iam:CreatePolicy arn:aws:iam::123456789012:policy/comafi-runtime");
    t.expect("Make 1 change to the account?");
    t.press("y\r");
    t.expect("iam:CreateRole");
    t.expect("Make 1 change to the account?");
    t.press("y\r");
    t.expect("iam:AttachRolePolicy");
    t.expect("Make 1 change to the account?");
    t.press("n\r");
    t.expect("not applied: declined");
    assert_eq!(t.exit_code(), 1, "a declined step leaves the run unfinished");

    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["CreatePolicy", "CreateRole"], "nothing is changed without consent");
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    assert!(profile.contains("# my profile") && profile.contains("project = \"comafi\""), "{profile}");
}
