//! `preflight report`: the session to hand on (onboarding, a change review, an
//! incident). Every checklist the profile enables is verified now (read-only,
//! the runner in verify mode); a step that could not be verified now shows what
//! was recorded, marked as such. Beside each step: when and by whom it was
//! verified, its outputs (ARNs, the repository, the image digest, the service's
//! address), a skip with who and why, a confirmation with who and when, and
//! what is left with its fix; then what preflight changed in this account and
//! region (the audit log: time, caller, step, call, target). Rendered as
//! Markdown (GitHub), one self-contained HTML file, or JSON. Secret values are
//! never in it: the runner scrubs what it reports, and the audit's parameters
//! are left out.

pub mod html;
pub mod markdown;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::engine::model::Checklist;
use crate::engine::outcome::Status;
use crate::engine::state::{RunState, Skip, StepState, scope_key};
use crate::runner::ChecklistReport;

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub account: String,
    pub region: String,
    /// Who made the report (and verified the steps now).
    pub caller: String,
    pub profile: String,
    pub checklists: Vec<Section>,
    /// What preflight changed in this account and region, oldest first.
    pub changes: Vec<Change>,
    /// Every step that does not pass, with its fix.
    pub left: Vec<Left>,
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub steps: Vec<Line>,
}

#[derive(Debug, Serialize)]
pub struct Line {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// Verified now; false: what the record says (the probes could not run now).
    pub verified_now: bool,
    /// When it was verified (now) or recorded.
    pub at: Option<String>,
    /// By whom: the caller, when verified now.
    pub by: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub skipped: Option<Skip>,
    pub confirmed: Option<Confirmed>,
    /// What does not pass, in a line.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Confirmed {
    pub at: String,
    pub by: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Change {
    pub time: String,
    pub caller: String,
    pub step: String,
    pub call: String,
    pub target: String,
    pub outcome: String,
}

#[derive(Debug, Serialize)]
pub struct Left {
    pub step: String,
    pub status: Status,
    pub problem: String,
    pub fix: Option<String>,
}

/// Who, where and when the report is made.
pub struct Context<'a> {
    pub now: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub caller: &'a str,
    pub profile: &'a Path,
}

/// The report from the verification just made, the recorded state and the audit log.
pub fn build(
    cx: &Context,
    checklists: &[&Checklist],
    verified: &[ChecklistReport],
    state: &RunState,
    audit: &str,
) -> Report {
    let scope = scope_key(cx.account, cx.region);
    let mut left = Vec::new();
    let sections = checklists
        .iter()
        .zip(verified)
        .map(|(c, r)| Section {
            id: c.id.clone(),
            title: c.title.clone(),
            steps: r
                .steps
                .iter()
                .map(|s| {
                    let recorded = state.steps(&scope, &c.id).and_then(|m| m.get(&s.id));
                    let line = line(cx, s, recorded);
                    if !matches!(line.status, Status::Pass | Status::Skipped) {
                        let problem = line.problem.clone().unwrap_or_else(|| "not verified".into());
                        let fix = s.fix.clone().or_else(|| s.probes.iter().find_map(|p| p.fix.clone()));
                        left.push(Left { step: format!("{}/{}", c.id, s.id), status: line.status, problem, fix });
                    }
                    line
                })
                .collect(),
        })
        .collect();
    Report {
        generated_at: cx.now.to_string(),
        account: cx.account.to_string(),
        region: cx.region.to_string(),
        caller: cx.caller.to_string(),
        profile: cx.profile.display().to_string(),
        checklists: sections,
        changes: changes(audit, cx.account, cx.region),
        left,
    }
}

fn line(cx: &Context, s: &crate::runner::StepReport, recorded: Option<&StepState>) -> Line {
    // Pending after a verify: its probes did not run now (an input they need is not at hand).
    let now = s.status != Status::Pending || recorded.is_none();
    let (status, probes, outputs) = match (now, recorded) {
        (false, Some(r)) => (r.status(), r.probes.clone(), r.outputs.clone()),
        _ => (s.status, s.probes.clone(), s.outputs.clone()),
    };
    let problem = s
        .error
        .clone()
        .or_else(|| {
            probes.iter().find(|p| !matches!(p.status, Status::Pass | Status::Skipped)).map(|p| p.message.clone())
        })
        .filter(|_| status != Status::Pass)
        .map(|p| p.lines().next().unwrap_or_default().to_string());
    Line {
        id: s.id.clone(),
        title: s.title.clone(),
        status,
        verified_now: now,
        at: if now { Some(cx.now.to_string()) } else { recorded.map(|r| r.updated_at.clone()) },
        by: now.then(|| cx.caller.to_string()),
        outputs,
        skipped: s.skip.clone(),
        confirmed: recorded
            .and_then(|r| r.confirmed_at.clone().map(|at| Confirmed { at, by: r.confirmed_by.clone() }))
            .filter(|_| s.confirmed),
        problem,
    }
}

/// The audit log's changes in this account and region: each call's outcome (the
/// `started` line before it is the same call), never its parameters.
fn changes(audit: &str, account: &str, region: &str) -> Vec<Change> {
    audit
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["account"] == account && l["region"] == region && l["outcome"] != "started")
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            Change {
                time: s("time"),
                caller: s("caller"),
                step: format!("{}/{}", s("checklist"), s("step")),
                call: format!("{}:{}", s("service"), s("operation")),
                target: s("resource"),
                outcome: s("outcome"),
            }
        })
        .collect()
}

/// Verifies `chosen` now (read-only: the runner in verify mode) and builds the
/// report from that, the record and the audit log beside `profile`: what the
/// CLI's `report` and the wizard's `R` both do.
pub async fn verify(
    runner: &mut crate::runner::Runner,
    chosen: &[&Checklist],
    profile: &Path,
) -> Result<Report, crate::runner::Stop> {
    use crate::runner::{Mode, Options};
    let opts =
        Options { mode: Mode::Verify, step: None, only: false, probing: Default::default(), yes: false, force: false };
    for c in chosen {
        runner.prefetch(c, &opts);
    }
    let mut verified = Vec::new();
    for c in chosen {
        verified.push(runner.run_checklist(c, &opts).await?);
    }
    let dir = crate::engine::store::state_dir(profile);
    let audit = std::fs::read_to_string(dir.join(crate::engine::store::AUDIT_FILE)).unwrap_or_default();
    let now = crate::runner::now();
    let aws = runner.aws.clone();
    let cx = Context { now: &now, account: &aws.account_id, region: &aws.region, caller: &aws.principal_arn, profile };
    Ok(build(&cx, chosen, &verified, &runner.state, &audit))
}

/// Writes a report file atomically (a reader never sees half of it).
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The service's address, when a step gave it (health_url or the load balancer's name).
pub fn service_address(report: &Report) -> Option<String> {
    report
        .checklists
        .iter()
        .flat_map(|c| &c.steps)
        .find_map(|s| s.outputs.get("dns_name").filter(|d| !d.is_empty()).map(|d| format!("http://{d}/")))
}

/// A status as a word and its mark.
pub fn word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Skipped => "skipped",
        Status::Pending => "pending",
        Status::Manual => "manual",
        Status::Blocked => "blocked",
    }
}
