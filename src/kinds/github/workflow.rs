//! `github.workflow` (probe) and `github.write_workflow` (action): the
//! repository's GitHub Actions workflows — in `.github/workflows` beside the
//! profile (the repository's root, where `preflight init` writes it) — read and
//! judged by `engine::workflow::check`; when none deploys, the action writes
//! one (`engine::workflow::write`), shown whole in the plan, never over a file
//! that exists. No AWS call: the deploy role's trust is what its own step
//! checks (this step needs it), so the ref it trusts is the profile's github_ref.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;

use crate::aws::change::DocDiff;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Detail, Exec};
use crate::engine::outcome::{ProbeResult, Status};
use crate::engine::workflow::check::{Finding, Verdict, Wanted, judge};
use crate::engine::workflow::{Parsed, parse, write};
use crate::kinds::kind::KindParams;

fn workflows_dir() -> String {
    ".github/workflows".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub repository: String,
    pub git_ref: String,
    pub secret: String,
    pub role_arn: String,
    pub region: String,
    pub platform: String,
    pub cluster: String,
    pub service: String,
    /// The workflows' folder, relative to the profile's directory.
    #[serde(default = "workflows_dir")]
    pub directory: String,
}

impl KindParams for Params {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteParams {
    /// The file to write, relative to the profile's directory.
    pub path: String,
    pub ecr_repository: String,
    pub task_family: String,
    pub container_name: String,
    // What the probe compares (serde's flatten cannot deny unknown fields): the same names as its.
    pub repository: String,
    pub git_ref: String,
    pub secret: String,
    pub role_arn: String,
    pub region: String,
    pub platform: String,
    pub cluster: String,
    pub service: String,
    #[serde(default = "workflows_dir")]
    pub directory: String,
}

impl KindParams for WriteParams {}

impl WriteParams {
    fn check(&self) -> Params {
        Params {
            repository: self.repository.clone(),
            git_ref: self.git_ref.clone(),
            secret: self.secret.clone(),
            role_arn: self.role_arn.clone(),
            region: self.region.clone(),
            platform: self.platform.clone(),
            cluster: self.cluster.clone(),
            service: self.service.clone(),
            directory: self.directory.clone(),
        }
    }
}

impl Params {
    fn wanted(&self) -> Wanted<'_> {
        Wanted {
            repository: &self.repository,
            git_ref: &self.git_ref,
            secret: &self.secret,
            role_arn: &self.role_arn,
            region: &self.region,
            platform: &self.platform,
            cluster: &self.cluster,
            service: &self.service,
        }
    }
}

/// The repository's root: the profile's directory.
fn root(x: &Exec) -> PathBuf {
    match x.lists.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// How a file is named to the operator: from the profile's directory when that is here.
fn shown(root: &Path, rel: &str) -> String {
    if root == Path::new(".") { rel.to_string() } else { root.join(rel).display().to_string() }
}

/// Every `*.yml` / `*.yaml` of the folder, by name; a file that is no workflow: Err(file, line, why).
fn read(root: &Path, dir: &str) -> Result<Vec<Parsed>, String> {
    let folder = root.join(dir);
    let entries = match std::fs::read_dir(&folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", folder.display())),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let file = shown(root, &format!("{}/{name}", dir.trim_end_matches('/')));
            match std::fs::read_to_string(folder.join(&name)) {
                Ok(text) => parse(&file, &text).map_err(|(line, why)| (file, line, why)),
                Err(e) => Err((file, 1, e.to_string())),
            }
        })
        .collect())
}

fn lines(findings: &[Finding], what: fn(&Finding) -> String) -> String {
    findings.iter().map(what).collect::<Vec<_>>().join("\n")
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let root = root(x);
    let read = read(&root, &p.directory).map_err(AwsError::other)?;
    let write = format!("preflight run {} --step {}", x.checklist, x.step);
    let folder = shown(&root, &p.directory);
    Ok(match judge(&read, &p.wanted()) {
        Verdict::NoWorkflow => ProbeResult::new(
            &id,
            Status::Fail,
            format!("no workflow in {folder}: pushing to {} deploys nothing", p.repository),
        )
        .with_fix(format!("add your own, or let preflight write one (its plan shows it first): {write}")),
        Verdict::NoDeploy { files, unreadable } => {
            let mut message = format!(
                "no workflow in {folder} assumes an AWS role (aws-actions/configure-aws-credentials): {} deploy nothing",
                files.join(", ")
            );
            for f in &unreadable {
                message.push_str(&format!("\n{}: {}", f.at, f.problem));
            }
            ProbeResult::new(&id, Status::Fail, message).with_fix(format!(
                "add the deploy to yours, or let preflight write one beside them (its plan shows it first): {write}"
            ))
        }
        Verdict::Fails(findings) => {
            ProbeResult::new(&id, Status::Fail, lines(&findings, |f| format!("{}: {}", f.at, f.problem)))
                .with_fix(lines(&findings, |f| f.fix.clone()))
        }
        Verdict::Passes { said, unchecked } => {
            let rest = if unchecked.is_empty() {
                String::new()
            } else {
                format!("; not checked here: {}", unchecked.join(", "))
            };
            ProbeResult::new(&id, Status::Pass, format!("{said}{rest}"))
        }
    })
}

/// The probe reads files only: no AWS call.
pub fn probe_calls(_: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(Vec::new())
}

pub async fn ensure(x: &mut Exec, p: WriteParams) -> Result<(), AwsError> {
    let root = root(x);
    let check = p.check();
    let read = read(&root, &check.directory).map_err(AwsError::other)?;
    let wanted = check.wanted();
    if matches!(judge(&read, &wanted), Verdict::Passes { .. } | Verdict::Fails(_)) {
        // A workflow deploys already: what it gets wrong is its author's to correct (the probe says where).
        x.note("a workflow already deploys: it is not replaced (the probe names what to correct in it)");
        return Ok(());
    }
    let target = root.join(&p.path);
    let file = shown(&root, &p.path);
    if target.exists() {
        return Err(AwsError::other(format!("{file} exists and does not deploy: preflight does not overwrite it"))
            .with_fix(format!("add the deploy to {file}, or move it away and run the step again")));
    }
    let extra = write::Extra {
        ecr_repository: &p.ecr_repository,
        task_family: &p.task_family,
        container_name: &p.container_name,
    };
    let text = write::workflow(&wanted, &extra).map_err(AwsError::other)?;
    let detail = Detail {
        text: format!(
            "write {file}: on a push of {}, build for {}, push, and deploy to {}/{} as the deploy role",
            p.git_ref, p.platform, p.cluster, p.service
        ),
        diff: Some(DocDiff { before: String::new(), after: text.clone() }),
    };
    let params = json!({ "path": file, "lines": text.lines().count() });
    x.change_with(Op::new("file", "WriteFile", &file), detail, params, async move { write_new(&target, &text) })
        .await?;
    Ok(())
}

/// Creates the file; one that appeared meanwhile is left alone (never overwritten).
fn write_new(target: &Path, text: &str) -> Result<(), AwsError> {
    use std::io::Write;
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| AwsError::other(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .map_err(|e| AwsError::other(format!("cannot write {} (not overwritten): {e}", target.display())))?;
    file.write_all(text.as_bytes()).map_err(|e| AwsError::other(format!("cannot write {}: {e}", target.display())))
}

/// The action writes one file (no AWS call; `preflight permissions` grants nothing for it).
pub fn ensure_calls(x: &Exec, p: &WriteParams) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("file", "WriteFile", shown(&root(x), &p.path))])
}
