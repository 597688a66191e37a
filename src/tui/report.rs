//! The wizard's `R`: `preflight report` on the checklists `U` would run —
//! verified now (read-only), the report written as Markdown beside the profile
//! (`preflight-report.md`), the marks of the tree updated as a verify would.

use std::path::Path;

use crate::engine::model::Checklist;
use crate::front::report::{self, markdown};
use crate::front::words;
use crate::runner::Runner;

/// Writes the report; Ok(where, and what it says in a line) or Err(why not).
pub async fn write(runner: &mut Runner, chosen: &[&Checklist], profile: &Path) -> Result<String, String> {
    if chosen.is_empty() {
        return Err("the profile enables none of the checklists shown (checklists = [...])".into());
    }
    runner.shared.forget();
    runner.forget_probes();
    runner.planned = None;
    let made = report::verify(runner, chosen, profile).await.map_err(|s| words::stopped(s).message)?;
    let dir = profile.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let path = dir.join("preflight-report.md");
    report::write(&path, &markdown::render(&made)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let steps: usize = made.checklists.iter().map(|c| c.steps.len()).sum();
    Ok(format!("wrote {}: {steps} steps, {} left to do", path.display(), made.left.len()))
}
