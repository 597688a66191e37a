//! The sandbox runs every checklist. moto and the Bedrock double are started as
//! scripts/sandbox.sh starts them: moto_server on a free 127.0.0.1 port, and the very
//! program the script runs (examples/bedrock_double.rs, which `cargo test` builds into
//! target/debug/examples/) with nothing but `--port`, so with its default scenario; moto's
//! caller gets the policy the script gives it (examples/sandbox-caller-policy.json: the account's administrator); the
//! profile is a copy of examples/preflight.toml. Then the script's walk without a terminal:
//! iam-policy, then model-access, each plan, run --yes, verify, with no terminal to prompt on.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Moto, Sandbox, free_port, http, statuses, step};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The double's program where cargo put it: beside the preflight binary, under examples/.
/// `cargo test` builds examples; a filtered run (`cargo test --test sandbox`) may not, or may
/// leave it older than its sources: then it is built here (bounded).
fn double_program() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_preflight"))
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("bedrock_double{}", std::env::consts::EXE_SUFFIX));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let sources = ["examples/bedrock_double.rs", "tests/support/bedrock.rs"].map(|s| root().join(s));
    let stale = match modified(&exe) {
        None => true,
        Some(built) => sources.iter().any(|s| modified(s).is_some_and(|m| m > built)),
    };
    if stale {
        let mut cargo = Command::new(env!("CARGO"));
        // Not the variables cargo sets for this test (the package's name, manifest dir, ...):
        // crates that read them while building (ring) would be rebuilt, twice.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            let ours = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_BIN_EXE_",
                "CARGO_CRATE_",
                "CARGO_PRIMARY_",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ];
            if ours.iter().any(|p| name.starts_with(p)) {
                cargo.env_remove(name);
            }
        }
        let child = cargo
            .args(["build", "--quiet", "--example", "bedrock_double"])
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run cargo build --example bedrock_double");
        let out = support::wait(child, Duration::from_secs(900));
        assert_eq!(out.code, 0, "cargo build --example bedrock_double: {out:?}");
    }
    assert!(exe.exists(), "{} not found after building it", exe.display());
    exe
}

/// The double's program, running as the sandbox runs it.
struct DoubleProgram {
    url: String,
    log: PathBuf,
    child: Child,
}

impl DoubleProgram {
    fn start() -> Self {
        let exe = double_program();
        for _ in 0..5 {
            let port = free_port();
            let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bedrock-double-{port}.log"));
            let file = std::fs::File::create(&log).unwrap();
            let mut child = Command::new(&exe)
                .args(["--port", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file)
                .spawn()
                .expect("start the Bedrock double");
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                // It exits when it cannot bind: another process took the port; try another.
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && http("GET", &format!("{url}/_double/health"), "").0 == 200
                {
                    return Self { url, log, child };
                }
                assert!(Instant::now() < deadline, "the Bedrock double did not answer on port {port} within 30 s");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("the Bedrock double would not start (see target/tmp/bedrock-double-*.log)");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as `scripts/sandbox.sh stop` sends it: it must exit 0, at once, saying so.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the Bedrock double did not stop within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "the Bedrock double stopped with {status}:\n{}", self.log());
        self.log()
    }
}

impl Drop for DoubleProgram {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example profile's `[inputs]`.
fn example_inputs() -> toml::Table {
    let text = std::fs::read_to_string(root().join("examples/preflight.toml")).unwrap();
    let doc: toml::Table = text.parse().expect("examples/preflight.toml is TOML");
    doc["inputs"].as_table().expect("[inputs]").clone()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn the_script_starts_this_program_with_only_a_port() {
    let script = std::fs::read_to_string(root().join("scripts/sandbox.sh")).unwrap();
    assert!(script.contains("--example bedrock_double"), "scripts/sandbox.sh no longer builds the double's program");
    assert!(
        script.contains(r#"nohup "$double" --port "$bedrock_port" "#),
        "scripts/sandbox.sh starts the double otherwise than this test does: keep them the same"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_walk_without_a_terminal_runs_iam_policy_then_model_access_to_green() {
    let moto = Moto::start();
    // As the script does: moto's caller (user/moto) is made the account's administrator.
    let iam = support::iam(&moto.url).await;
    iam.create_user().user_name("moto").send().await.unwrap();
    let policy = std::fs::read_to_string(root().join("examples/sandbox-caller-policy.json")).unwrap();
    iam.put_user_policy().user_name("moto").policy_name("administrator").policy_document(policy).send().await.unwrap();
    let double = DoubleProgram::start();
    let mut sb = Sandbox::new("sandbox-walk", &moto.url);
    std::fs::copy(root().join("examples/preflight.toml"), sb.dir.join("preflight.toml")).unwrap();
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK".into(), double.url.clone()));
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME".into(), double.url.clone()));

    // The double's default: a healthy account where run has the form and the agreement to do,
    // and the runtime role iam-policy creates does not exist yet.
    let before = sb.run(&["verify", "model-access", "--json"]);
    assert_eq!(before.code, 1, "{before:?}");
    assert_eq!(
        statuses(&before.json()),
        pairs(&[
            ("region-model", "pass"),
            ("use-case", "fail"),
            ("agreement", "blocked"),
            ("access", "blocked"),
            ("caller-permissions", "pass"),
            ("runtime-invoke", "blocked"),
            ("invoke", "skipped"),
        ])
    );

    // iam-policy: plan, run --yes, verify.
    assert_eq!(sb.run(&["plan", "iam-policy"]).code, 0);
    let run = sb.run(&["run", "iam-policy", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let all_pass = pairs(&[("runtime-policy", "pass"), ("runtime-principal", "pass"), ("grant", "pass")]);
    assert_eq!(statuses(&run.json()), all_pass);
    let verify = sb.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert_eq!(statuses(&verify.json()), all_pass);

    // model-access: plan shows the two changes run will make...
    let plan = sb.run(&["plan", "model-access", "--json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let plan = plan.json();
    for (id, operation) in [("use-case", "PutUseCaseForModelAccess"), ("agreement", "CreateFoundationModelAgreement")] {
        let changes = step(&plan, id)["changes"].as_array().unwrap();
        assert!(changes.iter().any(|c| c["operation"] == operation), "{id}: {plan}");
    }
    // ...run makes them with no terminal to ask on (the form's answers are the profile's) and
    // waits for access to propagate...
    let run = sb.run(&["run", "model-access", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let green = pairs(&[
        ("region-model", "pass"),
        ("use-case", "pass"),
        ("agreement", "pass"),
        ("access", "pass"),
        ("caller-permissions", "pass"),
        ("runtime-invoke", "pass"),
        ("invoke", "skipped"),
    ]);
    assert_eq!(statuses(&run.json()), green, "{run:?}");
    let poll = example_inputs()["access_poll_seconds"].as_integer().expect("access_poll_seconds in the example");
    assert!(run.stderr.contains(&format!("is propagating (try 1/12): checking again in {poll} s")), "{run:?}");
    // ...and verify agrees.
    let verify = sb.run(&["verify", "model-access", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert_eq!(statuses(&verify.json()), green);
    let invoked = sb.run(&["verify", "model-access", "--invoke", "--json"]);
    assert_eq!(invoked.code, 0, "{invoked:?}");
    assert_eq!(step(&invoked.json(), "invoke")["status"], "pass");

    // The form the double received is the example profile's answers, submitted once.
    let log = double.log();
    let forms: Vec<&str> = log.lines().filter_map(|l| l.trim().strip_prefix("use-case form: ")).collect();
    assert_eq!(forms.len(), 1, "{log}");
    let form: serde_json::Value = serde_json::from_str(forms[0]).unwrap();
    let inputs = example_inputs();
    for key in ["companyName", "companyWebsite", "intendedUsers", "industryOption", "otherIndustryOption", "useCases"] {
        let expected = inputs.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        assert_eq!(form[key], expected, "{key}: {form}");
    }
    assert_eq!(log.lines().filter(|l| l.starts_with("CreateFoundationModelAgreement us-east-1 -> 202")).count(), 1);

    let log = double.stop();
    assert_eq!(log.lines().last(), Some("Bedrock double stopped"), "{log}");
}
