//! The wizard's `U`: `preflight up` on the tree — its checklists the profile
//! enables, in deploy order, as one run: one permission check, every change of
//! every checklist planned together and shown in one consent dialog (each change
//! headed by its step), then each checklist, stopping at the first step that
//! fails. Each step's changes are held against the consent (`front::consent`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc::UnboundedSender;

use super::app::Msg;
use super::worker::{permitted, preconditions};
use crate::aws::exec::{Activity, Change};
use crate::engine::model::{Checklist, Step};
use crate::front::consent::{Consented, planned_steps, stops, waiting_line, waiting_steps};
use crate::front::words;
use crate::runner::{Confirm, Frontend, Mode, Options, Runner, StepReport, tally};

/// Runs `up`; Ok(the tally) or Err(where it stopped and why).
pub async fn up(
    runner: &mut Runner,
    chosen: &[&Checklist],
    tx: &UnboundedSender<Msg>,
    yes: bool,
    strict: bool,
) -> Result<String, String> {
    if chosen.is_empty() {
        return Err("the profile enables none of the checklists shown (checklists = [...])".into());
    }
    let store = runner.store.clone();
    if let Some(store) = &store {
        runner.state = store.load()?;
    }
    runner.lock_on_change = Some("the wizard: up".into());
    runner.shared.forget();
    runner.forget_probes();
    runner.planned = None;
    let inner: Arc<dyn Frontend> = runner.front.clone();
    let front = Arc::new(Consented::new(inner.clone()));
    runner.front = front.clone();
    let result = walk(runner, chosen, &front, &inner, tx, yes, strict).await;
    runner.front = inner;
    runner.store = store;
    runner.release_lock();
    runner.lock_on_change = None;
    result
}

async fn walk(
    runner: &mut Runner,
    chosen: &[&Checklist],
    front: &Consented,
    inner: &Arc<dyn Frontend>,
    tx: &UnboundedSender<Msg>,
    yes: bool,
    strict: bool,
) -> Result<String, String> {
    let run = Options { mode: Mode::Run, step: None, only: false, probing: Default::default(), yes, force: false };
    permitted(runner, chosen, "up", &run, strict, tx).await?;
    if !yes {
        // Planned together, quietly (nothing is written: no store while planning).
        let plan = Options { mode: Mode::Plan, ..run.clone() };
        let store = runner.store.take();
        front.quiet.store(true, Ordering::SeqCst);
        let mut planned = Vec::new();
        for c in chosen {
            match runner.run_checklist(c, &plan).await {
                Ok(r) => planned.push(r),
                Err(stop) => {
                    front.quiet.store(false, Ordering::SeqCst);
                    runner.store = store;
                    return Err(words::stopped(stop).message);
                }
            }
        }
        front.quiet.store(false, Ordering::SeqCst);
        runner.store = store;
        runner.planned = None;
        runner.shared.forget();
        runner.forget_probes();
        let steps = planned_steps(&planned);
        if !steps.is_empty() {
            for (c, st) in waiting_steps(&planned) {
                let text = format!("then, once what it stands on is made: {}", waiting_line(c, st));
                let _ = tx.send(Msg::Activity { step: "up".into(), activity: Activity::Info(text) });
            }
            // One dialog: every change, each headed by the step that makes it.
            let all: Vec<Change> = steps
                .iter()
                .flat_map(|(c, st)| {
                    st.changes
                        .iter()
                        .map(move |ch| Change { detail: format!("[{c} / {}] {}", st.id, ch.detail), ..ch.clone() })
                })
                .collect();
            let every = Step {
                id: format!("{} checklists", chosen.len()),
                title: "every change of the run".into(),
                explain: String::new(),
                needs: Vec::new(),
                action: None,
                probes: Vec::new(),
                for_each: None,
            };
            if inner.confirm("up", &every, &all).await != Confirm::Yes {
                return Err("declined: nothing was changed".into());
            }
            front.consent_to(&planned);
        }
    }
    let mut reports: Vec<StepReport> = Vec::new();
    for (i, c) in chosen.iter().enumerate() {
        // What it stands on from the checklists before it, now that they have run.
        if i > 0 {
            preconditions(runner, &[c], &run, tx).await.map_err(|e| format!("before {}: {e}", c.id))?;
        }
        let report = runner.run_checklist(c, &run).await.map_err(|s| words::stopped(s).message)?;
        let failing = report.steps.iter().find(|s| stops(s)).cloned();
        reports.extend(report.steps);
        if let Some(st) = failing {
            let why = st.error.clone().unwrap_or_else(|| format!("{} does not pass", st.id));
            let rest: Vec<&str> = chosen[i + 1..].iter().map(|c| c.id.as_str()).collect();
            let rest = if rest.is_empty() { String::new() } else { format!(" (not run: {})", rest.join(", ")) };
            return Err(format!("stopped at {} / {}: {why}{rest}", c.id, st.id));
        }
    }
    Ok(tally(&reports))
}
