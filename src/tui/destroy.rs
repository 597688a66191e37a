//! The wizard's `D`: `preflight destroy` for the selected row's checklist —
//! what preflight made for it (the audit log), planned, checked against the
//! caller's permissions, shown in one consent dialog (each deletion headed by
//! the step that made what it removes; what is kept, in the log), then removed
//! newest first with each thing's changes held to the plan.

use tokio::sync::mpsc::UnboundedSender;

use super::app::Msg;
use crate::aws::exec::{Activity, Change};
use crate::engine::model::Step;
use crate::front::destroy::{Asked, Teardown, heading, teardown, why_not};
use crate::front::words;
use crate::kinds::undo::Undone;
use crate::runner::{Confirm, Runner, now};

/// A recovery window of 7 days for a secret (`preflight destroy`'s default).
const SECRET_DAYS: i64 = 7;

pub async fn destroy(
    runner: &mut Runner,
    checklist: &str,
    tx: &UnboundedSender<Msg>,
    yes: bool,
    strict: bool,
) -> Result<String, String> {
    let store = runner.store.clone().ok_or("no state beside the profile: nothing to destroy")?;
    runner.state = store.load()?;
    runner.shared.forget();
    runner.forget_probes();
    runner.planned = None;
    let say = |text: String| {
        let _ = tx.send(Msg::Activity { step: "destroy".into(), activity: Activity::Info(text) });
    };
    let lists = runner.checklists.clone();
    let ids = [checklist.to_string()];
    let project = runner.values.lookup("project").filter(|p| !p.is_empty());
    let tagged = match &project {
        Some(project) => runner.tagged(project).await.map_err(|s| words::stopped(s).message)?,
        None => Vec::new(),
    };
    let Teardown { undoing: u, kept, standing } = teardown(
        &store,
        &runner.aws,
        &lists,
        &runner.state,
        Asked { ids: &ids, secret_days: Some(SECRET_DAYS), project, tagged },
    )?;
    if let Some(first) = standing.first() {
        return Err(format!("{}; nothing was changed", first.replace('\n', " ")));
    }
    for k in &kept {
        say(format!("kept: {} / {}: {}: {}", k.checklist, k.step, k.what, k.why));
    }
    if u.chosen.is_empty() {
        return Ok("preflight made nothing here for it that is still there; nothing was changed".into());
    }
    let plan = runner.undo(&u, None).await.map_err(|s| words::stopped(s).message)?;
    let calls = runner.undo_calls(&plan);
    match runner.check_calls(&calls).await.map_err(|s| words::stopped(s).message)? {
        Some(check) if check.unreadable.is_some() && strict => {
            return Err(words::check_unreadable(check.unreadable.as_deref().unwrap_or_default(), "destroy", true));
        }
        Some(check) if !check.missing.is_empty() => {
            let (lines, policy) = (words::missing_lines(&check), words::missing_policy(&check));
            let _ = tx.send(Msg::PermissionsMissing { checklist: checklist.to_string(), lines, policy });
            return Err(words::check_short(&check, "destroy"));
        }
        Some(check) => say(words::check_headline(&check, "destroy")),
        None => {}
    }
    if let Some(refused) = plan.iter().find_map(|u| why_not(u).map(|why| format!("{}: {why}", heading(u)))) {
        return Err(format!("{refused}; nothing was changed"));
    }
    for u in &plan {
        if let Ok(Undone::Gone(why) | Undone::Kept(why)) = &u.outcome {
            say(format!("{}: {why}", heading(u)));
        }
    }
    // One dialog: every deletion, each headed by the step that made what it removes.
    let all: Vec<Change> = plan
        .iter()
        .flat_map(|u| {
            u.changes.iter().map(move |c| Change {
                detail: format!("[{} / {}] {}", u.made.checklist, u.made.step, c.detail),
                ..c.clone()
            })
        })
        .collect();
    if all.is_empty() {
        return Ok("nothing to remove; nothing was changed".into());
    }
    let what = Step {
        id: checklist.to_string(),
        title: "remove what preflight made".into(),
        explain: String::new(),
        needs: Vec::new(),
        action: None,
        probes: Vec::new(),
        for_each: None,
    };
    if !yes && runner.front.confirm("destroy", &what, &all).await != Confirm::Yes {
        return Err("declined: nothing was changed".into());
    }
    // The job lock from the first deletion, not while the dialog waited.
    let _lock = store.begin_job(&format!("the wizard: destroy {checklist}"), &now())?;
    let done = runner.undo(&u, Some(&plan)).await.map_err(|s| words::stopped(s).message)?;
    if let Some(stopped) = done.iter().find_map(|u| why_not(u).map(|why| format!("{}: {why}", heading(u)))) {
        return Err(format!("stopped at {stopped} (D again finishes it)"));
    }
    let removed = done.iter().filter(|u| matches!(u.outcome, Ok(Undone::Removed))).count();
    Ok(format!("{removed} removed; {} kept (the log says what and why)", kept.len()))
}
