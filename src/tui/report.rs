//! The wizard's `R`: `preflight report` on the checklists `U` would run —
//! verified now (read-only), the report written as Markdown beside the profile
//! (`preflight-report.md`), the marks of the tree updated as a verify would.

use std::path::Path;

use crate::engine::model::Checklist;
use crate::engine::store::{AUDIT_FILE, state_dir};
use crate::front::report::{self, Context, markdown};
use crate::front::words;
use crate::runner::{Mode, Options, Runner, now};

/// Writes the report; Ok(where, and what it says in a line) or Err(why not).
pub async fn write(runner: &mut Runner, chosen: &[&Checklist], profile: &Path) -> Result<String, String> {
    if chosen.is_empty() {
        return Err("the profile enables none of the checklists shown (checklists = [...])".into());
    }
    runner.shared.forget();
    runner.forget_probes();
    runner.planned = None;
    let opts =
        Options { mode: Mode::Verify, step: None, only: false, probing: Default::default(), yes: false, force: false };
    for c in chosen {
        runner.prefetch(c, &opts);
    }
    let mut verified = Vec::new();
    for c in chosen {
        verified.push(runner.run_checklist(c, &opts).await.map_err(|s| words::stopped(s).message)?);
    }
    let audit = std::fs::read_to_string(state_dir(profile).join(AUDIT_FILE)).unwrap_or_default();
    let now = now();
    let cx = Context {
        now: &now,
        account: &runner.aws.account_id,
        region: &runner.aws.region,
        caller: &runner.aws.principal_arn,
        profile,
    };
    let made = report::build(&cx, chosen, &verified, &runner.state, &audit);
    let dir = profile.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let path = dir.join("preflight-report.md");
    report::write(&path, &markdown::render(&made)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let steps: usize = made.checklists.iter().map(|c| c.steps.len()).sum();
    Ok(format!("wrote {}: {steps} steps, {} left to do", path.display(), made.left.len()))
}
