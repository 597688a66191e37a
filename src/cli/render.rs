//! Human and JSON renderings of reports.

use std::io::IsTerminal;

use serde_json::{Value, json};

use crate::aws::change::Tag;
use crate::aws::context::AwsContext;
use crate::aws::exec::Change;
use crate::engine::outcome::{ProbeResult, Status};
pub use crate::engine::text::{bytes, progress_line, shorten};
use crate::front::words::indent;
use crate::runner::{ChecklistReport, StepReport};

/// Prints one line on stdout. When the reader has gone away (`preflight … | head`)
/// there is nobody left to tell anything: exit quietly, as a shell tool does on SIGPIPE.
pub fn emit(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        panic!("cannot write to stdout: {e}");
    }
}

pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn paint(text: &str, status: Status, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match status {
        Status::Pass => "32",
        Status::Fail | Status::Error => "31",
        Status::Manual => "33",
        Status::Blocked => "35",
        Status::Skipped | Status::Pending => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub fn banner(aws: &AwsContext) -> String {
    format!(
        "account {} · {} · region {} ({})",
        aws.account_id,
        aws.principal_arn,
        aws.region,
        aws.region_source.describe()
    )
}

/// Changes as text (`Change::text`): whole (parameters and diffs) for a plan
/// and a consent, the head lines for what was made.
pub fn changes_text(changes: &[Change], whole: bool, color: bool) -> Vec<String> {
    changes
        .iter()
        .flat_map(|c| c.text(whole))
        .filter(|(tag, _)| whole || *tag == Tag::Head)
        .map(|(tag, line)| match tag {
            Tag::Added => paint(&line, Status::Pass, color),
            Tag::Removed => paint(&line, Status::Fail, color),
            _ => line,
        })
        .collect()
}

/// One step, as printed by `run`, `plan`, `verify` and `status`.
pub fn step_block(step: &StepReport, color: bool) -> String {
    let mut out = format!("  {} {:<18} {}", paint(step.status.mark(), step.status, color), step.id, step.title);
    if step.status == Status::Manual && step.confirmed {
        out.push_str(" (confirmed)");
    }
    let show_probes = !matches!(step.status, Status::Pass | Status::Skipped | Status::Pending)
        || step.probes.iter().any(|p| p.status != Status::Pass);
    for p in step.probes.iter().filter(|p| show_probes && p.status != Status::Pass) {
        // A message of several lines keeps its indentation under the probe.
        let message = indent(&p.message, "          ").trim_start().to_string();
        out.push_str(&format!("\n      {} {}: {message}", paint(p.status.mark(), p.status, color), p.id));
        if let Some(fix) = &p.fix {
            out.push_str(&format!("\n        fix: {}", indent(fix, "          ").trim_start()));
        }
    }
    if !step.changes.is_empty() {
        let verb = if step.applied { "changed" } else { "would change" };
        out.push_str(&format!("\n      {verb}:"));
        // A plan shows each change whole (its parameters, what a document change does);
        // what a run changed, by its head line.
        for line in changes_text(&step.changes, !step.applied, color) {
            out.push_str(&format!("\n        {line}"));
        }
    }
    if let Some(skip) = &step.skip {
        out.push_str(&format!("\n      {}", skip.text()));
    }
    if let Some(e) = &step.error {
        out.push_str(&format!("\n{}", indent(e, "      ")));
    }
    if let Some(fix) = &step.fix {
        out.push_str(&format!("\n        fix: {}", indent(fix, "          ").trim_start()));
    }
    out
}

pub fn checklist_heading(id: &str, title: &str) -> String {
    format!("{id} — {title}")
}

fn probe_json(p: &ProbeResult) -> Value {
    let mut out = json!({ "id": p.id, "status": p.status, "message": p.message, "fix": p.fix });
    if let Some(pairs) = &p.pairs {
        out["pairs"] = json!(pairs);
    }
    out
}

pub fn step_json(s: &StepReport) -> Value {
    json!({
        "id": s.id,
        "title": s.title,
        "status": s.status,
        "probes": s.probes.iter().map(probe_json).collect::<Vec<_>>(),
        "changes": s.changes,
        "applied": s.applied,
        "outputs": s.outputs,
        "error": s.error,
        "fix": s.fix,
        "updated_at": s.updated_at,
        "skipped": s.skip,
    })
}

/// Worst status first: error, fail, blocked, then pending, manual, pass.
pub fn overall(steps: &[StepReport]) -> Status {
    for s in [Status::Error, Status::Fail, Status::Blocked, Status::Pending, Status::Manual] {
        if steps.iter().any(|x| x.status == s) {
            return s;
        }
    }
    if steps.iter().all(|x| x.status == Status::Skipped) && !steps.is_empty() { Status::Skipped } else { Status::Pass }
}

pub fn document(command: &str, aws: &AwsContext, reports: &[ChecklistReport]) -> Value {
    json!({
        "command": command,
        "account": aws.account_id,
        "principal": aws.principal_arn,
        "region": aws.region,
        "checklists": reports.iter().map(|r| json!({
            "id": r.id,
            "title": r.title,
            "status": overall(&r.steps),
            "steps": r.steps.iter().map(step_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
