//! Test support: a moto server per test on a free 127.0.0.1 port, a sandbox
//! directory with a profile, the real `preflight` binary run against them,
//! and AWS SDK clients to plant and check state independently of preflight.

#![allow(dead_code)]

pub mod bedrock;
pub mod deploy;
pub mod health;
pub mod http;
pub mod iam_reference;
pub mod image;
pub mod inventory;
pub mod proxy;
pub mod pty;
pub mod registry;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where moto_server is: PREFLIGHT_MOTO_SERVER, else the venv `.ci/run` makes.
pub fn moto_server_path() -> PathBuf {
    if let Ok(p) = std::env::var("PREFLIGHT_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    assert!(
        p.exists(),
        "moto_server not found at {}: run `bash scripts/setup-moto.sh` (or .ci/run) first, or set PREFLIGHT_MOTO_SERVER",
        p.display()
    );
    p
}

/// A loopback port that is free now and was never handed out before in this
/// process (tests run in parallel threads: two servers must never share a port).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A minimal HTTP exchange with a loopback server (test plumbing only).
pub fn http(method: &str, url: &str, body: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let req = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Content-Type", "text/plain")
        .body(body.to_string())
        .unwrap();
    let mut resp = agent.run(req).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap_or_default())
}

pub struct Moto {
    pub url: String,
    child: Child,
}

impl Moto {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> Self {
        Self::start_program(env, false)
    }

    /// moto with its IAM authorization mended to judge IAM requests on the
    /// resources they name (tests/support/moto_authz.py says how and why);
    /// turned on by [`Moto::enforce_iam`].
    pub fn start_judging_iam() -> Self {
        Self::start_program(&[], true)
    }

    fn start_program(env: &[(&str, &str)], judging: bool) -> Self {
        for _ in 0..5 {
            if let Some(moto) = Self::try_start(env, judging) {
                return moto;
            }
        }
        panic!("moto_server would not start (see target/tmp/moto-*.log)");
    }

    fn try_start(env: &[(&str, &str)], judging: bool) -> Option<Self> {
        let port = free_port();
        let log =
            std::fs::File::create(Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"))).unwrap();
        let mut command = if judging {
            // The venv's python, beside its moto_server.
            let mut c = Command::new(moto_server_path().with_file_name("python"));
            c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_authz.py"));
            c
        } else {
            Command::new(moto_server_path())
        };
        let mut child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // The recorder writes to a file in the working directory by default: one per server.
            .env(
                "MOTO_RECORDER_FILEPATH",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.recording")),
            )
            .envs(env.iter().copied())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // A server that could not bind exits: then another process owns the port.
            if child.try_wait().unwrap().is_some() {
                return None;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && http("GET", &format!("{url}/moto-api/"), "").0 == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "moto_server did not answer on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Self { url, child })
    }

    pub fn start_recording(&self) {
        http("POST", &format!("{}/moto-api/recorder/reset-recording", self.url), "");
        http("POST", &format!("{}/moto-api/recorder/start-recording", self.url), "");
    }

    /// The operations moto served since `start_recording`, from its own recorder.
    pub fn recorded_operations(&self) -> Vec<String> {
        http("POST", &format!("{}/moto-api/recorder/stop-recording", self.url), "");
        let (_, text) = http("GET", &format!("{}/moto-api/recorder/download-recording", self.url), "");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| operation(&serde_json::from_str(l).expect("recorder line is JSON")))
            .collect()
    }

    /// Turns IAM enforcement on for the whole server (moto's reset-auth).
    pub fn enforce_iam(&self) {
        let (code, body) = http("POST", &format!("{}/moto-api/reset-auth", self.url), "0");
        assert_eq!(code, 200, "{body}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn operation(entry: &serde_json::Value) -> String {
    if let Some(target) = entry["headers"].get("X-Amz-Target").and_then(|v| v.as_str()) {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    let body = entry["body"].as_str().unwrap_or_default();
    let body = if entry["body_encoded"].as_bool() == Some(true) {
        String::from_utf8(aws_smithy_types::base64::decode(body).unwrap()).unwrap()
    } else {
        body.to_string()
    };
    body.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{} {}", entry["method"], entry["url"]))
}

/// Whether an operation name changes something (everything but reads).
pub fn is_mutating(op: &str) -> bool {
    !["Get", "List", "Describe", "Simulate"].iter().any(|p| op.starts_with(p))
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A directory with a profile file, and the environment that points preflight at the test AWS.
pub struct Sandbox {
    pub dir: PathBuf,
    pub endpoint: String,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new(name: &str, endpoint: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\n").unwrap();
        Self { dir, endpoint: endpoint.to_string(), env: Vec::new() }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
        cmd.args(args)
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("AWS_CONFIG_FILE", self.dir.join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.join("no-aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_MAX_ATTEMPTS", "1")
            // Every call a kind makes must be one its `calls` declare (else preflight panics).
            .env("PREFLIGHT_CHECK_DECLARED", "1")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs preflight to the end (at most 120 s).
    pub fn run(&self, args: &[&str]) -> Out {
        let child = self.command(args).spawn().expect("spawn preflight");
        wait(child, Duration::from_secs(120))
    }

    pub fn state(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.join(".preflight/state.json")).expect("state.json exists");
        serde_json::from_str(&text).expect("state.json is valid JSON")
    }
}

/// Waits for a child with a deadline, collecting its output.
pub fn wait(mut child: Child, limit: Duration) -> Out {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("preflight did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Out { code: status.code().unwrap_or(-1), stdout: out_reader.join().unwrap(), stderr: err_reader.join().unwrap() }
}

/// An AWS SDK IAM client for the test AWS, to plant and check state.
pub async fn iam(endpoint: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config(endpoint).await)
}

/// The SDK configuration for the test AWS.
async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new().build_http();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await
}

pub async fn secrets(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&sdk_config(endpoint).await)
}

pub async fn kms(endpoint: &str) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&sdk_config(endpoint).await)
}

pub async fn ssm(endpoint: &str) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&sdk_config(endpoint).await)
}

/// Every file under a directory (for leak scans).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// An AWS SDK ECR client for the test AWS.
pub async fn ecr(endpoint: &str) -> aws_sdk_ecr::Client {
    aws_sdk_ecr::Client::new(&sdk_config(endpoint).await)
}

/// A step of the first checklist of a JSON report.
pub fn step<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    let steps = doc["checklists"][0]["steps"].as_array().unwrap_or_else(|| panic!("no steps in {doc}"));
    steps.iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("no step {id} in {doc}"))
}

/// (step id, status) of the first checklist of a JSON report, in order.
pub fn statuses(doc: &serde_json::Value) -> Vec<(String, String)> {
    let steps = doc["checklists"][0]["steps"].as_array().unwrap_or_else(|| panic!("no steps in {doc}"));
    steps.iter().map(|s| (s["id"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string())).collect()
}

/// An AWS SDK ECS client for the test AWS.
pub async fn ecs(endpoint: &str) -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&sdk_config(endpoint).await)
}

/// An AWS SDK CloudWatch Logs client for the test AWS.
pub async fn logs(endpoint: &str) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&sdk_config(endpoint).await)
}

/// An AWS SDK EC2 client for the test AWS.
pub async fn ec2(endpoint: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config(endpoint).await)
}

/// An AWS SDK ELBv2 client for the test AWS.
pub async fn elb(endpoint: &str) -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::new(&sdk_config(endpoint).await)
}

/// An Application Auto Scaling client for the test AWS (to plant a scalable target).
pub async fn autoscaling(endpoint: &str) -> aws_sdk_applicationautoscaling::Client {
    aws_sdk_applicationautoscaling::Client::new(&sdk_config(endpoint).await)
}

/// The audit log's lines (`.preflight/audit.jsonl`), each a JSON object.
pub fn audit(sb: &Sandbox) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sb.dir.join(".preflight/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A probe of a step of the first checklist of a JSON report.
pub fn probe<'a>(doc: &'a serde_json::Value, step_id: &str, probe_id: &str) -> &'a serde_json::Value {
    let s = step(doc, step_id);
    s["probes"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["id"] == probe_id))
        .unwrap_or_else(|| panic!("no probe {step_id}/{probe_id} in {s}"))
}

/// The default version of a managed policy's document, read from IAM (URL-decoded).
pub async fn managed_policy_document(endpoint: &str, arn: &str) -> String {
    let iam = iam(endpoint).await;
    let policy = iam.get_policy().policy_arn(arn).send().await.unwrap().policy.unwrap();
    let version =
        iam.get_policy_version().policy_arn(arn).version_id(policy.default_version_id().unwrap()).send().await.unwrap();
    percent_encoding::percent_decode_str(version.policy_version().unwrap().document().unwrap())
        .decode_utf8_lossy()
        .into_owned()
}

/// The profile model-access needs: the use-case form's answers, and access re-checked every second.
pub const MODEL_ACCESS_PROFILE: &str = r#"[inputs]
project = "comafi"
companyName = "Comafi"
companyWebsite = "https://www.comafi.com.ar"
intendedUsers = "1"
industryOption = "Financial Services"
useCases = "Customer support assistant for bank benefits"
access_poll_seconds = 1
access_poll_tries = 5
"#;

/// A sandbox with [`MODEL_ACCESS_PROFILE`] whose Bedrock calls go to the double at `bedrock_url`.
pub fn bedrock_sandbox(name: &str, endpoint: &str, bedrock_url: &str) -> Sandbox {
    let mut sb = Sandbox::new(name, endpoint);
    std::fs::write(sb.dir.join("preflight.toml"), MODEL_ACCESS_PROFILE).unwrap();
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK".into(), bedrock_url.to_string()));
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME".into(), bedrock_url.to_string()));
    sb
}
