//! A real container registry on 127.0.0.1 for push tests: Debian's
//! `docker-registry` (distribution 2.8) with htpasswd basic auth, user `AWS`
//! and the password moto's GetAuthorizationToken hands out, so a wrong token
//! really fails. Its access log counts every upload. `skopeo` inspects and
//! copies what was pushed, as an independent client.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, http};

/// The password moto's token decodes to (`AWS:123456789012-auth-token`).
pub const MOTO_PASSWORD: &str = "123456789012-auth-token";

pub struct Registry {
    pub url: String,
    pub host: String,
    pub dir: PathBuf,
    pub password: String,
    child: Child,
}

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p.display().to_string();
        }
    }
    panic!("{name} is not installed: .ci/run installs docker-registry, apache2-utils (htpasswd) and skopeo")
}

impl Registry {
    pub fn start() -> Self {
        Self::start_with_password(MOTO_PASSWORD)
    }

    pub fn start_with_password(password: &str) -> Self {
        let port = free_port();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("registry-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let htpasswd = Command::new(tool("htpasswd")).args(["-Bbn", "AWS", password]).output().unwrap();
        assert!(htpasswd.status.success(), "htpasswd: {htpasswd:?}");
        std::fs::write(dir.join("htpasswd"), &htpasswd.stdout).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: preflight-tests\n    path: {pw}\n",
            data = dir.join("data").display(),
            pw = dir.join("htpasswd").display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new(tool("docker-registry"))
            .args(["serve", &dir.join("config.yml").display().to_string()])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            || http("GET", &format!("{url}/v2/"), "").0 != 401
        {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start; see {}",
                dir.join("registry.log").display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { url, host: format!("127.0.0.1:{port}"), dir, password: password.into(), child }
    }

    /// Every request the registry served, as `METHOD URI STATUS`, from its access log.
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default();
        log.lines()
            .filter(|l| l.starts_with("127.0.0.1 - "))
            .filter_map(|l| {
                let quoted = l.split('"').nth(1)?;
                let status = l.split('"').nth(2)?.split_whitespace().next()?;
                let mut parts = quoted.split_whitespace();
                Some(format!("{} {} {status}", parts.next()?, parts.next()?))
            })
            .collect()
    }

    /// Blob upload requests (starting, sending or finishing one).
    pub fn uploads(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| {
                (r.starts_with("POST ") || r.starts_with("PATCH ") || r.starts_with("PUT "))
                    && r.contains("/blobs/uploads/")
            })
            .collect()
    }

    pub fn manifest_puts(&self) -> Vec<String> {
        self.requests().into_iter().filter(|r| r.starts_with("PUT ") && r.contains("/manifests/")).collect()
    }

    /// Runs skopeo with the registry's credentials (an independent client).
    pub fn skopeo(&self, args: &[&str]) -> Output {
        let creds = format!("AWS:{}", self.password);
        let mut cmd = Command::new(tool("skopeo"));
        cmd.arg(args[0]);
        if matches!(args[0], "inspect" | "copy") {
            cmd.args(["--tls-verify=false"]);
            cmd.args([if args[0] == "copy" { "--src-creds" } else { "--creds" }, &creds]);
            if args[0] == "copy" {
                cmd.arg("--src-tls-verify=false");
            }
        }
        cmd.args(&args[1..]).env("HOME", &self.dir).output().expect("run skopeo")
    }

    /// `docker://127.0.0.1:PORT/REPO:TAG`.
    pub fn image(&self, repo_tag: &str) -> String {
        format!("docker://{}/{repo_tag}", self.host)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
