//! `update`: the pure heart of the TUI. A message changes the App and yields
//! the effects the runtime must carry out; nothing here touches AWS or the terminal.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::app::{App, Effect, Extra, Job, LogKind, Modal, Msg, Row};
use super::keys::{self, Action};
use super::view;
use crate::aws::exec::{Activity, CallOutcome};
use crate::engine::model::foreign;
use crate::engine::order;
use crate::engine::outcome::Status;
use crate::engine::text::progress_line;
use crate::runner::Mode;

const PAGE: usize = 5;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick => {
            app.tick = app.tick.wrapping_add(1);
            Vec::new()
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            consent_scroll(app, 0);
            Vec::new()
        }
        Msg::Interrupt => quit_now(app),
        Msg::Key(key) => on_key(app, key),
        Msg::Mouse(m) => on_mouse(app, m),
        Msg::Start(job) => start(app, job),
        Msg::Opened => {
            // What is on screen is what was recorded: verify it now, read-only, in the background.
            // The checklists that cannot be verified yet are said in one line per missing set.
            let mut unverified: Vec<(String, Vec<String>)> = Vec::new();
            for l in 0..app.lists.len() {
                let list = &app.lists[l];
                let missing: BTreeSet<&String> =
                    list.probe_inputs.iter().flatten().filter(|n| app.missing.contains(*n)).collect();
                let id = list.checklist.id.clone();
                if missing.is_empty() {
                    app.queue.push_back((
                        Job { checklist: id, mode: Mode::Verify, step: None, only: false, extra: Extra::Plain },
                        true,
                    ));
                } else {
                    let names = missing.into_iter().cloned().collect::<Vec<_>>().join(", ");
                    match unverified.iter_mut().find(|(n, _)| *n == names) {
                        Some((_, ids)) => ids.push(id),
                        None => unverified.push((names, vec![id])),
                    }
                }
            }
            // A value that is not valid is the problem of the checklists that use it: said whole.
            for (name, why) in app.invalid.clone() {
                let users: Vec<&str> = app
                    .lists
                    .iter()
                    .filter(|l| l.inputs.iter().flatten().any(|n| *n == name))
                    .map(|l| l.checklist.id.as_str())
                    .collect();
                if !users.is_empty() {
                    let line = format!("{}: input `{name}` is not valid: {why} (e edits it)", users.join(", "));
                    app.log(LogKind::Failure, line);
                }
            }
            for (names, ids) in unverified {
                let verb = if ids.len() == 1 { "it needs" } else { "they need" };
                app.log(
                    LogKind::Note,
                    format!("{}: shown as recorded, not verified: {verb} {names} (e sets them)", ids.join(", ")),
                );
            }
            next_queued(app)
        }
        Msg::StepStarted { checklist, step } => {
            if let Some((l, s)) = app.step_index(&checklist, &step) {
                let title = app.lists[l].checklist.steps[s].title.clone();
                app.log(LogKind::Note, format!("… {step}: {title}"));
            }
            if app.table.as_ref().is_some_and(|(c, s, _)| *c == checklist && *s == step) {
                app.table = None;
            }
            app.running = Some((checklist, step));
            app.transfers.clear();
            Vec::new()
        }
        Msg::StepFinished { checklist, report } => {
            if let Some((l, s)) = app.step_index(&checklist, &report.id) {
                let line = match (report.status, report.probes.iter().find(|p| p.status != Status::Pass), &report.error)
                {
                    (_, _, Some(e)) => format!("{} {}: {e}", report.status.mark(), report.id),
                    (Status::Pass, _, _) => format!("{} {}: verified", report.status.mark(), report.id),
                    (_, Some(p), _) => format!("{} {}: {}", report.status.mark(), report.id, p.message),
                    _ => format!("{} {}", report.status.mark(), report.id),
                };
                // A fix's commands read as keys; an error is said as it is.
                let line =
                    if report.error.is_some() { line } else { view::hints::as_keys(&line, &checklist, &report.id) };
                let kind = if matches!(report.status, Status::Fail | Status::Error) {
                    LogKind::Failure
                } else {
                    LogKind::Note
                };
                app.log(kind, line);
                app.lists[l].reports[s] = report;
                app.lists[l].fresh[s] = true;
            }
            app.running = None;
            Vec::new()
        }
        Msg::Activity { step, activity } => {
            match activity {
                Activity::Call { op, mutating, millis, outcome } => {
                    let resource = if op.resource.is_empty() { String::new() } else { format!(" {}", op.resource) };
                    let kind = match (&outcome, mutating) {
                        (CallOutcome::Failed(_), _) => LogKind::Failure,
                        (_, true) => LogKind::Change,
                        (_, false) => LogKind::Read,
                    };
                    let result = outcome.word(mutating);
                    app.log(kind, format!("[{step}] {}{resource} {result} ({millis} ms)", op.action()));
                }
                Activity::Note(text) | Activity::Info(text) => app.log(LogKind::Note, format!("[{step}] {text}")),
                Activity::Wait { why, left, .. } => {
                    // A countdown replaces its previous line instead of scrolling the log.
                    if app.log.last().is_some_and(|l| l.kind == LogKind::Wait) {
                        app.log.pop();
                    }
                    app.log(LogKind::Wait, format!("[{step}] {why}: checking again in {left} s"));
                }
                Activity::Present { what, size } => {
                    app.log(
                        LogKind::Note,
                        format!("[{step}] {what}: already there ({})", crate::engine::text::bytes(size)),
                    );
                }
                Activity::Table(table) => {
                    let checklist = app.running.as_ref().map(|(c, _)| c.clone()).unwrap_or_default();
                    app.table = Some((checklist, step, table));
                }
                Activity::Progress { what, done, total } => {
                    // One line per transfer, updated in place.
                    let prefix = format!("[{step}] {what}: ");
                    if app.log.last().is_some_and(|l| l.kind == LogKind::Progress && l.text.starts_with(&prefix)) {
                        app.log.pop();
                    }
                    app.log(LogKind::Progress, format!("[{step}] {}", progress_line(&what, done, total)));
                    match app.transfers.iter_mut().find(|t| t.0 == what) {
                        Some(t) => (t.1, t.2) = (done, total),
                        None => app.transfers.push((what, done, total)),
                    }
                }
            }
            Vec::new()
        }
        Msg::AskConsent { id, checklist, step, changes } => {
            app.modal = Some(Modal::Consent { id, checklist, step, changes, scroll: 0, seen_end: false });
            consent_scroll(app, 0);
            Vec::new()
        }
        Msg::JobFinished { checklist, outcome } => {
            let finished = app.job.take();
            let background = std::mem::take(&mut app.background);
            let stopped_in = app.running.take();
            let what = finished.as_ref().map(job_text).unwrap_or_else(|| checklist.clone());
            // "Quit while a run is in progress?" no longer holds: the run has ended.
            if app.modal == Some(Modal::QuitWhileRunning) {
                app.modal = None;
            }
            match outcome {
                Ok(summary) => {
                    app.log(LogKind::Note, format!("■ {what}: {summary}"));
                    // The status line says what the operator asked for; re-checks only log.
                    if !background {
                        app.notice = Some(format!("■ {what}: {summary}"));
                    }
                    if let Some(job) = finished.filter(|j| j.mode == Mode::Run && j.extra != Extra::Up) {
                        // A destroy probed nothing: its checklist is verified again, then what stands on it.
                        if job.extra == Extra::Destroy {
                            let again = Job { mode: Mode::Verify, extra: Extra::Plain, ..job.clone() };
                            app.queue.push_back((again, true));
                        }
                        requeue_dependents(app, &job);
                    }
                }
                Err(e) => {
                    app.log(LogKind::Failure, format!("■ {what}: {e}"));
                    // A job that stopped in a step (an input its probes or action cannot use, AWS
                    // unreachable) shows why on that step, whole, in its detail.
                    if let Some((c, step)) = stopped_in
                        && let Some((l, s)) = app.step_index(&c, &step)
                    {
                        let report = &mut app.lists[l].reports[s];
                        report.status = Status::Error;
                        report.error = Some(e.clone());
                        report.updated_at = None;
                        app.lists[l].fresh[s] = true;
                        if !background {
                            app.notice = Some(format!("■ {what}: {step} failed; its detail says why"));
                        }
                    } else if !background {
                        app.notice = Some(format!("■ {what}: {e}"));
                    }
                }
            }
            next_queued(app)
        }
        Msg::Inputs { shown, missing, invalid } => {
            app.shown = shown;
            app.missing = missing;
            app.invalid = invalid;
            Vec::new()
        }
        Msg::Skipped { checklist, step, skip } => {
            if let Some((l, s)) = app.step_index(&checklist, &step) {
                let skipped = skip.is_some();
                app.lists[l].skipped[s] = skipped;
                app.lists[l].reports[s].status = if skipped { Status::Skipped } else { Status::Pending };
                app.log(
                    LogKind::Note,
                    match &skip {
                        Some(record) => format!("{step}: {}", record.text()),
                        None => format!("unskipped {step}"),
                    },
                );
                app.lists[l].reports[s].skip = skip;
            }
            Vec::new()
        }
        Msg::Notice(text) => {
            app.notice = Some(text);
            Vec::new()
        }
        Msg::PermissionsMissing { checklist, lines, policy } => {
            for line in &lines {
                app.log(LogKind::Failure, format!("[permissions] {line}"));
            }
            app.modal = Some(Modal::Permissions { checklist, lines, policy, scroll: 0 });
            Vec::new()
        }
    }
}

fn quit_now(app: &mut App) -> Vec<Effect> {
    app.quit = true;
    vec![Effect::Quit]
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if keys::is_interrupt(&key) {
        return quit_now(app);
    }
    match app.modal.clone() {
        Some(Modal::Help) => {
            app.modal = None;
            return Vec::new();
        }
        Some(Modal::Consent { id, step, seen_end, .. }) => {
            let page = usize::from(app.size.1 / 2).max(1);
            let yes = match key.code {
                KeyCode::Down | KeyCode::Char('j') => return consent_scroll(app, 1),
                KeyCode::Up | KeyCode::Char('k') => return consent_scroll(app, -1),
                KeyCode::PageDown | KeyCode::Char(']') | KeyCode::Char(' ') => {
                    return consent_scroll(app, page as isize);
                }
                KeyCode::PageUp | KeyCode::Char('[') => return consent_scroll(app, -(page as isize)),
                KeyCode::End | KeyCode::Char('G') => return consent_scroll(app, isize::MAX / 2),
                KeyCode::Home | KeyCode::Char('g') => return consent_scroll(app, isize::MIN / 2),
                // Consent only to what has been seen.
                KeyCode::Char('y') | KeyCode::Enter if !seen_end => {
                    return notice(app, "read the whole plan first: ↓, PgDn or End to the last line, then y");
                }
                KeyCode::Char('y') | KeyCode::Enter => true,
                KeyCode::Char('n') | KeyCode::Char('q') | KeyCode::Esc => false,
                _ => return Vec::new(),
            };
            app.modal = None;
            app.notice = None;
            app.log(LogKind::Note, format!("[{step}] {}", if yes { "approved" } else { "declined" }));
            return vec![Effect::Consent { id, yes }];
        }
        Some(Modal::Permissions { policy, .. }) => {
            let page = usize::from(app.size.1 / 2).max(1) as isize;
            let by = match key.code {
                KeyCode::Char('c') | KeyCode::Char('y') => {
                    app.notice =
                        Some("the policy was sent to the clipboard (OSC 52; some terminals need it allowed)".into());
                    return vec![Effect::Copy(policy)];
                }
                KeyCode::Down | KeyCode::Char('j') => 1,
                KeyCode::Up | KeyCode::Char('k') => -1,
                KeyCode::PageDown | KeyCode::Char(' ') | KeyCode::Char(']') => page,
                KeyCode::PageUp | KeyCode::Char('[') => -page,
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => {
                    app.modal = None;
                    return Vec::new();
                }
                _ => return Vec::new(),
            };
            let screen = Rect::new(0, 0, app.size.0, app.size.1);
            if let Some(Modal::Permissions { lines, policy, scroll, .. }) = &mut app.modal {
                let g = view::modal::permissions_geometry(screen, lines, policy);
                let max = g.lines.len().saturating_sub(g.visible);
                *scroll = scroll.saturating_add_signed(by).min(max);
            }
            return Vec::new();
        }
        Some(Modal::QuitWhileRunning) => {
            return match key.code {
                KeyCode::Char('y') => quit_now(app),
                KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => {
                    app.modal = None;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        None => {}
    }
    let Some(action) = keys::action(&key) else { return Vec::new() };
    app.notice = None;
    let row = app.selected_row();
    let (list, step) = match row {
        Row::List(l) => (l, None),
        Row::Step(l, s) => (l, Some(s)),
    };
    let id = app.lists[list].checklist.id.clone();
    let step_id = step.map(|s| app.lists[list].checklist.steps[s].id.clone());
    let job = |mode, only| Job { checklist: id.clone(), mode, step: step_id.clone(), only, extra: Extra::Plain };
    match action {
        Action::Up => {
            app.selected = app.selected.saturating_sub(1);
            app.detail_scroll = 0;
            Vec::new()
        }
        Action::Down => {
            app.selected = (app.selected + 1).min(app.rows().len().saturating_sub(1));
            app.detail_scroll = 0;
            Vec::new()
        }
        Action::Run => start(app, job(Mode::Run, false)),
        Action::RunAll => {
            start(app, Job { checklist: id.clone(), mode: Mode::Run, step: None, only: false, extra: Extra::Plain })
        }
        // v: the selected step (a checklist row: all its steps); V: the whole checklist.
        Action::Verify => start(app, job(Mode::Verify, true)),
        Action::VerifyAll => {
            start(app, Job { checklist: id.clone(), mode: Mode::Verify, step: None, only: false, extra: Extra::Plain })
        }
        Action::UpAll => {
            start(app, Job { checklist: "up".into(), mode: Mode::Run, step: None, only: false, extra: Extra::Up })
        }
        Action::Report => start(
            app,
            Job { checklist: "report".into(), mode: Mode::Verify, step: None, only: false, extra: Extra::Report },
        ),
        // D: what preflight made for the row's checklist, removed (the consent dialog lists it).
        Action::Destroy => {
            start(app, Job { checklist: id.clone(), mode: Mode::Run, step: None, only: false, extra: Extra::Destroy })
        }
        Action::Plan => start(app, job(Mode::Plan, false)),
        Action::Rerun => match step {
            Some(s) if matches!(app.lists[list].reports[s].status, Status::Fail | Status::Error | Status::Pass) => {
                start(app, job(Mode::Run, true))
            }
            Some(_) => notice(app, "r re-runs a failed or done step; Enter runs this one"),
            None => notice(app, "select a step to re-run it"),
        },
        Action::Confirm => match step {
            Some(s) if app.lists[list].reports[s].status == Status::Manual => {
                start(app, Job { extra: Extra::Confirm, ..job(Mode::Verify, false) })
            }
            Some(_) => notice(app, "c confirms a manual step (marked ?): this one is decided by its probes"),
            None => notice(app, "select a manual step (marked ?) to confirm it"),
        },
        Action::Invoke => match step {
            Some(_) => start(app, Job { extra: Extra::Invoke, ..job(Mode::Verify, true) }),
            None => start(
                app,
                Job { checklist: id.clone(), mode: Mode::Verify, step: None, only: false, extra: Extra::Invoke },
            ),
        },
        Action::Skip => match (step, &app.job) {
            (_, Some(_)) => notice(app, "a run is in progress; skip when it has finished"),
            (None, _) => notice(app, "select a step to skip it"),
            (Some(s), None) => {
                let skip = !app.lists[list].skipped[s];
                vec![Effect::Skip { checklist: id.clone(), step: step_id.clone().unwrap_or_default(), skip }]
            }
        },
        Action::Edit => {
            if app.job.is_some() {
                return notice(app, "a run is in progress; edit inputs when it has finished");
            }
            let mut names: Vec<String> = match step {
                Some(s) => app.lists[list].inputs[s].clone(),
                None => app.lists[list].checklist.inputs.iter().map(|i| i.name.clone()).collect(),
            };
            // The region is the run's, for every call: it is changed by starting again.
            let region = names.iter().any(|n| n == "region");
            names.retain(|n| n != "region");
            if names.is_empty() {
                return notice(
                    app,
                    if region {
                        "the region is this session's, used by every step: quit and start again with --region REGION"
                    } else {
                        "this step uses no inputs"
                    },
                );
            }
            vec![Effect::EditInputs { names }]
        }
        Action::LogUp => {
            app.log_scroll = (app.log_scroll + PAGE).min(app.log.len().saturating_sub(1));
            Vec::new()
        }
        Action::LogDown => {
            app.log_scroll = app.log_scroll.saturating_sub(PAGE);
            Vec::new()
        }
        Action::DetailUp => {
            app.detail_scroll = app.detail_scroll.saturating_sub(3);
            Vec::new()
        }
        Action::DetailDown => {
            app.detail_scroll = app.detail_scroll.saturating_add(3);
            Vec::new()
        }
        Action::Help => {
            app.modal = Some(Modal::Help);
            Vec::new()
        }
        // Only a run changes anything: quitting a verify or a plan loses nothing.
        Action::Quit if app.job.as_ref().is_some_and(|j| j.mode == Mode::Run) => {
            app.modal = Some(Modal::QuitWhileRunning);
            Vec::new()
        }
        Action::Quit => quit_now(app),
    }
}

/// Scrolls the consent dialog by `by` lines (clamped), and notes when its
/// last line has been on screen.
fn consent_scroll(app: &mut App, by: isize) -> Vec<Effect> {
    let screen = Rect::new(0, 0, app.size.0, app.size.1);
    let account = app.header.account_id.clone();
    let theme = view::Theme { color: false };
    if let Some(Modal::Consent { checklist, changes, scroll, seen_end, .. }) = &mut app.modal {
        let g = view::modal::consent_geometry(screen, &account, changes, checklist, &theme);
        let max = g.lines.len().saturating_sub(g.visible);
        *scroll = scroll.saturating_add_signed(by).min(max);
        *seen_end |= *scroll >= max;
        if *seen_end {
            app.notice = None;
        }
    }
    Vec::new()
}

/// After a run, what stands on what ran is probed again, in every checklist of
/// the wizard: the steps that need a step that ran (in its checklist or, as
/// `CHECKLIST/STEP`, in another; transitively), the steps whose probes say
/// the checklist that ran repairs them (`fixed_by`), and those whose fix names it. Each is a background
/// verify: its result goes to the step and the log, not to the status line.
fn requeue_dependents(app: &mut App, job: &Job) {
    let Some(l) = app.list_index(&job.checklist) else { return };
    let steps = &app.lists[l].checklist.steps;
    let ran: BTreeSet<usize> = match (&job.step, job.only) {
        (None, _) => (0..steps.len()).collect(),
        (Some(target), true) => steps.iter().position(|s| s.id == *target).into_iter().collect(),
        (Some(target), false) => order::selection(steps, Some(target)).into_iter().collect(),
    };
    // A need names a step, or all the instances of a repeated one (`secret` stands for `secret:NAME`).
    let names = |need: &str, id: &str| id == need || id.strip_prefix(need).is_some_and(|rest| rest.starts_with(':'));
    let mut stale: BTreeSet<(usize, usize)> = ran.iter().map(|&s| (l, s)).collect();
    let mut again: Vec<(usize, usize)> = Vec::new();
    loop {
        let mut grew = false;
        for (li, list) in app.lists.iter().enumerate() {
            for (si, step) in list.checklist.steps.iter().enumerate() {
                if stale.contains(&(li, si)) {
                    continue;
                }
                let needs_stale = step.needs.iter().any(|need| {
                    let (c, n) = foreign(need).unwrap_or((list.checklist.id.as_str(), need.as_str()));
                    stale.iter().any(|&(sl, ss)| {
                        app.lists[sl].checklist.id == c && names(n, &app.lists[sl].checklist.steps[ss].id)
                    })
                });
                let repaired = li != l
                    && step.probes.iter().any(|p| {
                        p.call.params.get("fixed_by").and_then(|f| f.as_str()).and_then(|f| f.split_whitespace().next())
                            == Some(job.checklist.as_str())
                    });
                // A step whose fix names the checklist that ran (`preflight run secrets --step …`).
                let named = li != l && {
                    let r = &list.reports[si];
                    let run = format!("preflight run {}", job.checklist);
                    r.fix.iter().chain(r.probes.iter().filter_map(|p| p.fix.as_ref())).any(|f| {
                        f.match_indices(&run).any(|(i, _)| {
                            f[i + run.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '-'))
                        })
                    })
                };
                if needs_stale || repaired || named {
                    stale.insert((li, si));
                    again.push((li, si));
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    for (li, list) in app.lists.iter().enumerate() {
        for &si in list.order.iter().filter(|&&si| again.contains(&(li, si))) {
            let step = Some(list.checklist.steps[si].id.clone());
            let job =
                Job { checklist: list.checklist.id.clone(), mode: Mode::Verify, step, only: true, extra: Extra::Plain };
            app.queue.push_back((job, true));
        }
    }
}

/// Starts the next queued job. Background work whose inputs are not all
/// known is left out (it would ask); what the operator asked for may ask.
fn next_queued(app: &mut App) -> Vec<Effect> {
    while app.job.is_none() {
        let Some((job, background)) = app.queue.pop_front() else { break };
        if background && !inputs_known(app, &job) {
            continue;
        }
        let effects = start(app, job);
        app.background = background && app.job.is_some();
        if !effects.is_empty() {
            return effects;
        }
    }
    Vec::new()
}

/// Whether every input the job's steps use has a value.
fn inputs_known(app: &App, job: &Job) -> bool {
    let Some(l) = app.list_index(&job.checklist) else { return false };
    let list = &app.lists[l];
    let steps: Vec<usize> = match (&job.step, job.only) {
        (Some(id), true) => list.checklist.steps.iter().position(|s| &s.id == id).into_iter().collect(),
        _ => order::selection(&list.checklist.steps, job.step.as_deref()),
    };
    let uses = |s: usize| if job.mode == Mode::Verify { &list.probe_inputs[s] } else { &list.inputs[s] };
    steps.iter().flat_map(|&s| uses(s)).all(|n| !app.missing.contains(n))
}

/// `run iam-policy / runtime-policy`: what a job did, for the log and the status line.
fn job_text(job: &Job) -> String {
    let what = match (job.mode, job.extra) {
        (_, Extra::Up) => return "up".into(),
        (_, Extra::Report) => return "report".into(),
        (_, Extra::Destroy) => "destroy",
        (_, Extra::Confirm) => "confirm",
        (Mode::Verify, Extra::Invoke) => "verify with one real call",
        (Mode::Run, _) => "run",
        (Mode::Verify, _) => "verify",
        (Mode::Plan, _) => "plan",
    };
    format!("{what} {}{}", job.checklist, job.step.as_deref().map(|s| format!(" / {s}")).unwrap_or_default())
}

fn notice(app: &mut App, text: &str) -> Vec<Effect> {
    app.notice = Some(text.to_string());
    Vec::new()
}

/// Starts a job, unless one is running, or asks first for the inputs it needs.
fn start(app: &mut App, job: Job) -> Vec<Effect> {
    if app.job.is_some() {
        // What the operator asks for goes before the rest of the background work.
        if app.background {
            app.queue.retain(|(j, _)| *j != job);
            app.queue.push_front((job, false));
            return notice(app, "queued: it starts when the background verification has finished");
        }
        return notice(app, "a run is in progress; wait for it to finish");
    }
    app.background = false;
    if let (Mode::Run, Some(m)) = (job.mode, &app.header.mismatch) {
        let text = format!(
            "{m}: nothing is changed here (verify and plan work); fix the credentials or the profile's [expect]"
        );
        return notice(app, &text);
    }
    if matches!(job.extra, Extra::Up | Extra::Report | Extra::Destroy) {
        // up asks for what a step lacks when that step runs (its detail says so); nothing up front.
        app.log(LogKind::Note, format!("▶ {}", job_text(&job)));
        app.log_scroll = 0;
        app.job = Some(job.clone());
        return vec![Effect::Start(job)];
    }
    let Some(l) = app.list_index(&job.checklist) else { return Vec::new() };
    let list = &app.lists[l];
    let steps: Vec<usize> = match (&job.step, job.only) {
        (Some(id), true) => list.checklist.steps.iter().position(|s| &s.id == id).into_iter().collect(),
        _ => order::selection(&list.checklist.steps, job.step.as_deref()),
    };
    // A step verified as passing now runs no action: what only its action writes (a secret's
    // value) is not asked for; a forced re-run (r) is asked for all.
    let acts =
        |s: usize| job.mode != Mode::Verify && (job.only || !(list.fresh[s] && list.reports[s].status == Status::Pass));
    let uses = |s: usize| if acts(s) { &list.inputs[s] } else { &list.probe_inputs[s] };
    let needed: BTreeSet<String> =
        steps.iter().flat_map(|&s| uses(s).iter()).filter(|n| app.missing.contains(*n)).cloned().collect();
    if !needed.is_empty() {
        return vec![Effect::AskInputs { names: needed.into_iter().collect(), then: Some(job) }];
    }
    app.log(LogKind::Note, format!("▶ {}", job_text(&job)));
    app.log_scroll = 0;
    app.job = Some(job.clone());
    vec![Effect::Start(job)]
}

fn on_mouse(app: &mut App, m: MouseEvent) -> Vec<Effect> {
    let areas = view::areas(Rect::new(0, 0, app.size.0, app.size.1));
    let at = Position::new(m.column, m.row);
    let down = match m.kind {
        MouseEventKind::ScrollDown => true,
        MouseEventKind::ScrollUp => false,
        _ => return Vec::new(),
    };
    if areas.log.contains(at) {
        app.log_scroll = if down {
            app.log_scroll.saturating_sub(1)
        } else {
            (app.log_scroll + 1).min(app.log.len().saturating_sub(1))
        };
    } else if areas.detail.contains(at) {
        app.detail_scroll =
            if down { app.detail_scroll.saturating_add(1) } else { app.detail_scroll.saturating_sub(1) };
    } else if areas.tree.contains(at) {
        app.selected = if down {
            (app.selected + 1).min(app.rows().len().saturating_sub(1))
        } else {
            app.selected.saturating_sub(1)
        };
    }
    Vec::new()
}
