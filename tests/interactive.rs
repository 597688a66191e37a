//! The interactive paths in a real pseudo-terminal (util-linux `script`):
//! a missing input is asked for with the checklist's prompt and validation and
//! saved to the profile; each change is shown and asked for before it is made.

mod support;

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Moto, Sandbox, is_mutating};

struct Terminal {
    child: Child,
    input: ChildStdin,
    screen: Arc<Mutex<String>>,
}

impl Terminal {
    fn start(sb: &Sandbox, args: &str) -> Self {
        let bin = env!("CARGO_BIN_EXE_preflight");
        // `script` gives preflight a pseudo-terminal on stdin/stdout/stderr.
        let mut child = sb_command_with(sb, "script", &["-qec", &format!("{bin} {args}"), "/dev/null"])
            .spawn()
            .expect("util-linux `script` is needed for this test");
        let input = child.stdin.take().unwrap();
        let mut out = child.stdout.take().unwrap();
        let screen = Arc::new(Mutex::new(String::new()));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self { child, input, screen }
    }

    /// Waits (at most 30 s) until `text` has been printed since the last `expect`.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let mut screen = self.screen.lock().unwrap();
                if let Some(i) = screen.find(text) {
                    screen.drain(..i + text.len());
                    return;
                }
                assert!(Instant::now() < deadline, "never saw {text:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    fn finish(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "preflight did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn sb_command_with(sb: &Sandbox, program: &str, args: &[&str]) -> std::process::Command {
    let base = sb.command(&[]);
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).current_dir(&sb.dir).env_clear();
    for (k, v) in base.get_envs().filter_map(|(k, v)| Some((k, v?))) {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    cmd
}

#[test]
fn asks_for_missing_inputs_and_for_consent_in_a_terminal() {
    let moto = Moto::start();
    let sb = Sandbox::new("interactive", &moto.url);
    std::fs::write(sb.dir.join("preflight.toml"), "# my profile\n").unwrap();
    moto.start_recording();

    let mut t = Terminal::start(&sb, "run iam-policy");
    t.expect("Project name (the prefix of every resource name)");
    t.send("Comafi AI\r");
    t.expect("lowercase letters, digits and dashes");
    t.send(&"\x7f".repeat(9));
    t.send("comafi\r");
    t.expect("iam:CreatePolicy arn:aws:iam::123456789012:policy/comafi-runtime");
    t.expect("Make 1 change to the account?");
    t.send("y\r");
    t.expect("iam:CreateRole");
    t.expect("Make 1 change to the account?");
    t.send("y\r");
    t.expect("iam:AttachRolePolicy");
    t.expect("Make 1 change to the account?");
    t.send("n\r");
    t.expect("not applied: declined");
    assert_eq!(t.finish(), 1, "a declined step leaves the run unfinished");

    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["CreatePolicy", "CreateRole"], "nothing is changed without consent");
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    assert!(profile.contains("# my profile") && profile.contains("project = \"comafi\""), "{profile}");
}
