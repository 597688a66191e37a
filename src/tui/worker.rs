//! Carries out the effects that touch AWS or the profile: jobs run in tokio
//! tasks on the shared Runner and report back as messages; consent travels
//! back to the waiting runner through a oneshot channel.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::app::{Extra, Job, Msg};
use crate::BoxFut;
use crate::aws::exec::{Activity, Change, Sink};
use crate::engine::inputs::{self, Origin, Value, Values};
use crate::engine::model::{Checklist, InputDef, InputKind, Step};
use crate::engine::profile;
use crate::engine::state::Event;
use crate::front::prompt;
use crate::front::words;
use crate::runner::{Confirm, Frontend, Mode, Options, Runner, StepReport, Stop, tally};

pub struct TuiFront {
    tx: UnboundedSender<Msg>,
    waiting: Mutex<HashMap<u64, oneshot::Sender<bool>>>,
    next: AtomicU64,
}

impl TuiFront {
    pub fn new(tx: UnboundedSender<Msg>) -> Self {
        Self { tx, waiting: Mutex::new(HashMap::new()), next: AtomicU64::new(1) }
    }

    pub fn answer(&self, id: u64, yes: bool) {
        if let Some(reply) = self.waiting.lock().unwrap().remove(&id) {
            let _ = reply.send(yes);
        }
    }
}

impl Sink for TuiFront {
    fn activity(&self, _checklist: &str, step: &str, activity: Activity) {
        let _ = self.tx.send(Msg::Activity { step: step.to_string(), activity });
    }
}

impl Frontend for TuiFront {
    fn step_started(&self, checklist: &str, step: &Step) {
        let _ = self.tx.send(Msg::StepStarted { checklist: checklist.to_string(), step: step.id.clone() });
    }

    fn step_finished(&self, checklist: &str, report: &StepReport) {
        let _ = self.tx.send(Msg::StepFinished { checklist: checklist.to_string(), report: report.clone() });
    }

    fn confirm<'a>(&'a self, checklist: &'a str, step: &'a Step, changes: &'a [Change]) -> BoxFut<'a, Confirm> {
        Box::pin(async move {
            let id = self.next.fetch_add(1, Ordering::SeqCst);
            let (reply, answer) = oneshot::channel();
            self.waiting.lock().unwrap().insert(id, reply);
            let ask = Msg::AskConsent {
                id,
                checklist: checklist.to_string(),
                step: step.id.clone(),
                changes: changes.to_vec(),
            };
            if self.tx.send(ask).is_err() {
                return Confirm::No;
            }
            match answer.await {
                Ok(true) => Confirm::Yes,
                _ => Confirm::No,
            }
        })
    }
}

/// Input values resolved for the wizard.
pub struct Resolved {
    pub values: Values,
    pub shown: BTreeMap<String, String>,
    pub missing: BTreeSet<String>,
    pub invalid: BTreeMap<String, String>,
}

/// Where input values come from, to resolve them again after an answer.
pub struct InputSources {
    pub defs: Vec<InputDef>,
    pub provided: BTreeMap<String, Value>,
    pub context: BTreeMap<String, String>,
    pub profile: PathBuf,
}

impl InputSources {
    /// The values, what may be shown of them (secrets masked, context included),
    /// what is missing, and what is invalid (why, where it came from, the fix).
    pub fn resolve(&self) -> Resolved {
        let profile = crate::engine::profile::Profile::read(&self.profile, false).unwrap_or_default();
        let res =
            inputs::resolve_in(&self.defs, &self.provided, &self.context, &crate::front::setup::origin_in(&profile));
        let mut shown: BTreeMap<String, String> = self.context.clone();
        shown.extend(res.values.inputs.iter().map(|(k, v)| (k.clone(), v.shown())));
        let missing =
            res.missing.iter().map(|d| d.name.clone()).chain(res.invalid.iter().map(|e| e.input.clone())).collect();
        let invalid = res
            .invalid
            .into_iter()
            .map(|e| {
                let line = profile.inputs.get(&e.input).map(|x| x.line);
                let e = e.placed(&self.profile, line);
                (e.input.clone(), format!("{}; {}", e.message, e.fix))
            })
            .collect();
        Resolved { values: res.values, shown, missing, invalid }
    }

    /// Asks for `names` (or, editing, for one of them) with the TUI suspended;
    /// saves the answers that are not secrets to the profile.
    pub fn ask(&mut self, names: &[String], edit: bool, shown: &BTreeMap<String, String>) -> Result<(), String> {
        let names: Vec<String> = if edit && names.len() > 1 {
            vec![prompt::pick(names, &|n| shown.get(n).cloned().unwrap_or_else(|| "(not set)".into()))?]
        } else {
            names.to_vec()
        };
        let mut answers = Vec::new();
        for name in &names {
            let def =
                self.defs.iter().find(|d| &d.name == name).ok_or_else(|| format!("`{name}` is not an input"))?.clone();
            let current = if def.kind == InputKind::Secret { None } else { shown.get(name).map(String::as_str) };
            // The answer is checked with the other values too (engine::limits), before it is saved.
            let check = {
                let (defs, given, context, name) =
                    (self.defs.clone(), self.provided.clone(), self.context.clone(), name.clone());
                move |text: &str| inputs::check_answer(&defs, &given, &context, &name, text)
            };
            let text = prompt::ask_checked(&def, current, check)?;
            if def.kind != InputKind::Secret {
                answers.push((name.clone(), text.clone()));
            }
            self.provided.insert(name.clone(), Value::plain(text, Origin::Prompt));
        }
        if !answers.is_empty() {
            profile::save_inputs(&self.profile, &answers)?;
        }
        Ok(())
    }
}

pub struct Worker {
    pub runner: Arc<tokio::sync::Mutex<Runner>>,
    pub front: Arc<TuiFront>,
    pub lists: Arc<Vec<Checklist>>,
    pub tx: UnboundedSender<Msg>,
    pub yes: bool,
    /// `--strict`: a run whose caller's permissions cannot be read does not start.
    pub strict: bool,
    pub inputs: InputSources,
    /// What `U` (up) runs: the tree's checklists the profile enables, in deploy order.
    pub up: Vec<String>,
    task: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn new(
        runner: Runner,
        front: Arc<TuiFront>,
        lists: Vec<Checklist>,
        tx: UnboundedSender<Msg>,
        yes: bool,
        inputs: InputSources,
    ) -> Self {
        Self {
            runner: Arc::new(tokio::sync::Mutex::new(runner)),
            front,
            lists: Arc::new(lists),
            tx,
            yes,
            strict: false,
            inputs,
            up: Vec::new(),
            task: None,
        }
    }

    pub fn start(&mut self, job: Job) {
        let (runner, lists, tx, yes, strict) =
            (self.runner.clone(), self.lists.clone(), self.tx.clone(), self.yes, self.strict);
        if job.extra == Extra::Report {
            let (ids, profile) = (self.up.clone(), self.inputs.profile.clone());
            self.task = Some(tokio::spawn(async move {
                let chosen: Vec<&Checklist> = ids.iter().filter_map(|id| lists.iter().find(|c| &c.id == id)).collect();
                let mut runner = runner.lock().await;
                let outcome = super::report::write(&mut runner, &chosen, &profile).await;
                let _ = tx.send(Msg::JobFinished { checklist: "report".into(), outcome });
            }));
            return;
        }
        if job.extra == Extra::Destroy {
            self.task = Some(tokio::spawn(async move {
                let mut runner = runner.lock().await;
                let outcome = super::destroy::destroy(&mut runner, &job.checklist, &tx, yes, strict).await;
                let _ = tx.send(Msg::JobFinished { checklist: job.checklist.clone(), outcome });
            }));
            return;
        }
        if job.extra == Extra::Up {
            let ids = self.up.clone();
            self.task = Some(tokio::spawn(async move {
                let chosen: Vec<&Checklist> = ids.iter().filter_map(|id| lists.iter().find(|c| &c.id == id)).collect();
                let mut runner = runner.lock().await;
                let outcome = super::up::up(&mut runner, &chosen, &tx, yes, strict).await;
                let _ = tx.send(Msg::JobFinished { checklist: "up".into(), outcome });
            }));
            return;
        }
        self.task = Some(tokio::spawn(async move {
            let Some(checklist) = lists.iter().find(|c| c.id == job.checklist) else { return };
            let opts = Options {
                mode: job.mode,
                step: job.step.clone(),
                only: job.only,
                probing: crate::aws::exec::Probing { deep: false, invoke: job.extra == Extra::Invoke },
                yes,
                // r re-runs one step alone, its action even when its probes pass (run --force).
                force: job.mode == Mode::Run && job.only,
            };
            let mut runner = runner.lock().await;
            // A run starts from the freshest state; it takes the job lock only at its first
            // change, once consented to (a dialog that waits locks nothing), until it ends.
            if let (Mode::Run, Some(store)) = (job.mode, runner.store.clone()) {
                match store.load() {
                    Ok(state) => runner.state = state,
                    Err(e) => {
                        let _ = tx.send(Msg::JobFinished { checklist: job.checklist, outcome: Err(e) });
                        return;
                    }
                }
                runner.lock_on_change =
                    Some(format!("the wizard: run {}", job.step.as_deref().unwrap_or(&job.checklist)));
            }
            // Each job reads the account afresh: nothing is reused from an earlier job,
            // and a plan starts from what the account has.
            runner.shared.forget();
            runner.forget_probes();
            runner.planned = None;
            if job.mode != Mode::Verify
                && let Err(e) = permitted(&mut runner, &[checklist], &checklist.id, &opts, strict, &tx).await
            {
                let _ = tx.send(Msg::JobFinished { checklist: job.checklist, outcome: Err(e) });
                return;
            }
            if job.extra == Extra::Confirm {
                let outcome = confirm(&mut runner, checklist, job.step.as_deref().unwrap_or_default(), &tx).await;
                let _ = tx.send(Msg::JobFinished { checklist: job.checklist, outcome });
                return;
            }
            let result = runner.run_checklist(checklist, &opts).await;
            runner.release_lock();
            runner.lock_on_change = None;
            let outcome = match result {
                Ok(report) => Ok(tally(&report.steps)),
                Err(Stop::Aws(e)) => Err(format!("{e}{}", e.fix().map(|f| format!(" — {f}")).unwrap_or_default())),
                Err(Stop::State(e)) | Err(Stop::Input(e)) => Err(e),
                Err(Stop::NeedsConsent { step, .. }) => Err(format!("step {step} needs consent")),
            };
            let _ = tx.send(Msg::JobFinished { checklist: job.checklist, outcome });
        }));
    }

    /// Quitting: a run in progress is stopped where it is, the step it was in is
    /// recorded as interrupted (the next run probes and finishes it), and the
    /// job lock is let go. Bounded: the task is aborted, not waited on.
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        let mut runner = self.runner.lock().await;
        runner.release_lock();
        runner.lock_on_change = None;
    }

    pub fn consent(&self, id: u64, yes: bool) {
        self.front.answer(id, yes);
    }

    /// Skips a step for `reason` (recorded with the caller), or with None unskips it.
    pub async fn skip(&self, checklist: &str, step: &str, reason: Option<String>) -> Msg {
        let mut runner = self.runner.lock().await;
        let event = match reason.clone() {
            Some(reason) => Event::Skip { by: runner.aws.principal_arn.clone(), reason },
            None => Event::Unskip,
        };
        match runner.record(checklist, step, event) {
            Ok(()) => Msg::Skipped {
                checklist: checklist.to_string(),
                step: step.to_string(),
                skip: runner.step_state(checklist, step).and_then(|s| s.skip.clone()),
            },
            Err(Stop::State(e)) => Msg::Notice(e),
            Err(_) => Msg::Notice(format!("could not change step {step}")),
        }
    }

    /// Resolves the inputs again and hands the values to the runner.
    pub async fn refresh_inputs(&self) -> Msg {
        let Resolved { values, shown, missing, invalid } = self.inputs.resolve();
        self.runner.lock().await.values = values;
        Msg::Inputs { shown, missing, invalid }
    }
}

/// `c`: the step and what it needs probed now, then the confirmation recorded
/// under the job lock (held for the record only), with `preflight confirm`'s rules.
async fn confirm(
    runner: &mut Runner,
    checklist: &Checklist,
    step: &str,
    tx: &UnboundedSender<Msg>,
) -> Result<String, String> {
    let Some(store) = runner.store.clone() else { return Err("no state to record the confirmation in".into()) };
    let _lock = store.begin_job(&format!("the wizard: confirm {}/{step}", checklist.id), &crate::runner::now())?;
    runner.state = store.load()?;
    let (report, verdict) = match runner.confirm_step(checklist, step).await {
        Ok(done) => done,
        Err(Stop::Aws(e)) => return Err(e.to_string()),
        Err(Stop::State(e) | Stop::Input(e)) => return Err(e),
        Err(Stop::NeedsConsent { .. }) => return Err("a confirmation changes nothing in AWS".into()),
    };
    match verdict {
        Ok(inputs) => {
            if let Some(mut own) = report.steps.into_iter().find(|r| r.id == step) {
                own.confirmed = true;
                own.status = crate::engine::outcome::step_status(&own.probes, true);
                let _ = tx.send(Msg::StepFinished { checklist: checklist.id.clone(), report: own });
            }
            let bound = inputs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
            Ok(if bound.is_empty() {
                "confirmed".into()
            } else {
                format!("confirmed for {bound} (a change of these makes it manual again)")
            })
        }
        Err(refused) => Err(format!(
            "{}{}",
            refused.why,
            refused
                .fix
                .map(|f| format!(" — {}", crate::tui::view::hints::as_keys(&f, &checklist.id, step)))
                .unwrap_or_default()
        )),
    }
}

/// The check before a run's first change: Err (the run does not start) when
/// the caller lacks a permission (the dialog shows what and the policy), or
/// when its policies cannot be read and `--strict` is on. A plan shows the
/// same and goes on: it changes nothing.
pub(super) async fn permitted(
    runner: &mut Runner,
    checklists: &[&Checklist],
    label: &str,
    opts: &Options,
    strict: bool,
    tx: &UnboundedSender<Msg>,
) -> Result<(), String> {
    for c in checklists {
        runner.prefetch(c, opts);
    }
    let check = match runner.check_permissions(checklists, opts).await {
        Ok(Some(check)) => check,
        Ok(None) => return preconditions(runner, checklists, opts, tx).await,
        Err(stop) => return Err(words::stopped(stop).message),
    };
    let command = if opts.mode == Mode::Plan { "plan" } else { "run" };
    if let Some(why) = &check.unreadable {
        let strict = strict && opts.mode == Mode::Run;
        let text = words::check_unreadable(why, command, strict);
        if strict {
            return Err(text);
        }
        let _ = tx.send(Msg::Activity { step: "permissions".into(), activity: Activity::Note(text) });
        return preconditions(runner, checklists, opts, tx).await;
    }
    let headline = words::check_headline(&check, command);
    if check.missing.is_empty() {
        let _ = tx.send(Msg::Activity { step: "permissions".into(), activity: Activity::Note(headline) });
        return preconditions(runner, checklists, opts, tx).await;
    }
    let lines = words::missing_lines(&check);
    let policy = words::missing_policy(&check);
    let _ = tx.send(Msg::PermissionsMissing { checklist: label.to_string(), lines, policy });
    if opts.mode == Mode::Plan {
        return Ok(());
    }
    Err(words::check_short(&check, command))
}

/// The facts a run depends on, before its first change (a plan shows them as its steps).
pub(super) async fn preconditions(
    runner: &mut Runner,
    checklists: &[&Checklist],
    opts: &Options,
    tx: &UnboundedSender<Msg>,
) -> Result<(), String> {
    if opts.mode != Mode::Run {
        return Ok(());
    }
    let unmet = runner.check_preconditions(checklists, opts).await.map_err(|s| words::stopped(s).message)?;
    if unmet.is_empty() {
        return Ok(());
    }
    for line in words::unmet_text(&unmet).lines() {
        let _ = tx.send(Msg::Activity { step: "preconditions".into(), activity: Activity::Info(line.to_string()) });
    }
    Err(format!(
        "nothing was changed: {} fact(s) this run depends on do not hold (the log lists them with their fixes)",
        unmet.len()
    ))
}
