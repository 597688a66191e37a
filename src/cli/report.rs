//! `preflight report [--format md|html|json] [-o FILE]`: the profile's
//! checklists verified now (read-only, as `verify`), with the record and the
//! audit log, rendered by `front::report` to stdout or written to a file
//! (atomically: a reader never sees half of it).

use std::path::PathBuf;
use std::sync::Arc;

use super::front::CliFront;
use super::render;
use crate::engine::model::Checklist;
use crate::engine::order;
use crate::front::options::Global;
use crate::front::report::{self, html, markdown};
use crate::front::session::Session;
use crate::front::setup::{self, Failure, usage};
use crate::front::words::stopped;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Markdown, as GitHub renders it.
    Md,
    /// One self-contained HTML file (no external assets).
    Html,
    /// One JSON document (the report's fields, as the Markdown shows them).
    Json,
}

pub async fn report(g: &Global, format: Format, output: Option<PathBuf>) -> Result<u8, Failure> {
    let (_, lists, profile) = setup::load(g)?;
    // The profile's checklists (all of them when it names none), in deploy order.
    let enabled = |id: &str| profile.checklists.as_ref().is_none_or(|l| l.iter().any(|(c, _)| c == id));
    let order = order::checklist_order(&lists.all).unwrap_or_else(|_| (0..lists.all.len()).collect());
    let ids: Vec<String> = order.into_iter().map(|i| lists.all[i].id.clone()).filter(|id| enabled(id)).collect();
    let s = Session::open(g, &ids, None, true, false).await?;
    let (store, state) = s.store()?;
    let front = Arc::new(CliFront::new(true, g.verbose, false));
    let mut runner = s.runner(front, Some(store), state);
    let chosen: Vec<&Checklist> = s.checklists().collect();
    let made = report::verify(&mut runner, &chosen, &s.profile.path).await.map_err(stopped)?;
    let text = match format {
        Format::Md => markdown::render(&made),
        Format::Html => html::render(&made),
        Format::Json => serde_json::to_string_pretty(&made).expect("json") + "\n",
    };
    let Some(path) = output else {
        render::emit(text.trim_end());
        return Ok(0);
    };
    report::write(&path, &text).map_err(|e| usage(format!("error: cannot write {}: {e}", path.display())))?;
    let steps: usize = made.checklists.iter().map(|c| c.steps.len()).sum();
    eprintln!(
        "wrote {} ({format:?}): {steps} steps of {} checklists, {} left to do",
        path.display(),
        made.checklists.len(),
        made.left.len()
    );
    Ok(0)
}
