//! The engine loop that both front ends drive: for each selected step, in
//! dependency order, probe; if the probes fail, plan the action, confirm it,
//! apply it, and probe again. State is saved after every transition so that a
//! run interrupted at any point resumes where it stopped.

pub mod confirm;
pub mod destroy;
mod needs;
mod permissions;
mod preconditions;
mod probes;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::exec::{Audit, Change, Exec, Planned, Probing, Sink};
use crate::aws::shared::Shared;
use crate::engine::inputs::Values;
use crate::engine::library::Library;
use crate::engine::model::{Checklist, InputDef, Step};
use crate::engine::order;
use crate::engine::outcome::{ProbeResult, Status, step_status};
use crate::engine::profile::Lists;
use crate::engine::state::{self, Event, RunState, StepState, scope_key};
use crate::engine::store::Store;
use crate::engine::template;
use crate::kinds::kind::{Kind, Run};
use crate::kinds::registry;

pub use permissions::{Missing, PermissionCheck};
pub use preconditions::Unmet;
pub use probes::{Probed, Prober};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Probes only.
    Verify,
    /// Probes, then what the actions would change. Changes nothing, writes nothing.
    Plan,
    /// Probes, then apply what fails, then probe again.
    Run,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    pub step: Option<String>,
    /// With `step`: that step alone, not the steps it needs.
    pub only: bool,
    pub probing: Probing,
    /// Apply without asking.
    pub yes: bool,
    /// With `step`: apply its action even when its probes pass (`run --force`).
    pub force: bool,
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub probes: Vec<ProbeResult>,
    pub changes: Vec<Change>,
    /// True when the action ran in this run.
    pub applied: bool,
    pub outputs: BTreeMap<String, String>,
    pub error: Option<String>,
    pub fix: Option<String>,
    /// A manual step the operator has confirmed.
    pub confirmed: bool,
    /// When the step's state was last recorded (None for a plan, which records nothing).
    pub updated_at: Option<String>,
    /// In a plan: a step it stands on changes first; until then it is not judged.
    pub waits: bool,
    /// A value its action writes has no source at hand: it fails alone, the run goes on.
    pub lacks_input: bool,
    /// What fails here is repaired by this later step of the run (`repaired_by`):
    /// the run goes on, and probes this step again after that one.
    pub deferred: Option<String>,
    /// A step a person skipped: who, when and why (None for a step skipped
    /// because its only probe is opt-in and was not asked for).
    pub skip: Option<state::Skip>,
}

impl StepReport {
    /// What the recorded state says of a step, without probing. A record made
    /// with other values of its inputs than `now`'s is not this profile's: it
    /// is shown as pending, saying for which values it was made.
    pub fn recorded_for(step: &Step, st: Option<&StepState>, now: &BTreeMap<String, String>) -> Self {
        let mut report = Self::recorded(step, st);
        if let Some(other) = st.and_then(|s| s.other_inputs(now)) {
            let values: Vec<String> = other.iter().map(|(k, v)| format!("{k}={v}")).collect();
            report.status = Status::Pending;
            report.probes.clear();
            report.outputs.clear();
            report.error = Some(format!(
                "recorded for other inputs ({}): not this profile's; `preflight verify` probes it",
                values.join(", ")
            ));
        }
        report
    }

    /// What the recorded state says of a step, without probing.
    pub fn recorded(step: &Step, st: Option<&StepState>) -> Self {
        Self {
            id: step.id.clone(),
            title: step.title.clone(),
            status: st.map_or(Status::Pending, StepState::status),
            probes: st.map(|s| s.probes.clone()).unwrap_or_default(),
            changes: Vec::new(),
            applied: false,
            outputs: st.map(|s| s.outputs.clone()).unwrap_or_default(),
            error: st.and_then(|s| {
                s.error.clone().or_else(|| {
                    s.destroyed.as_ref().map(|d| format!("removed by `preflight destroy` at {} ({})", d.at, d.by))
                })
            }),
            fix: None,
            confirmed: st.is_some_and(|s| s.confirmed_at.is_some()),
            updated_at: st.map(|s| s.updated_at.clone()),
            waits: false,
            lacks_input: false,
            deferred: None,
            skip: st.and_then(state::Skip::of),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChecklistReport {
    pub id: String,
    pub title: String,
    pub steps: Vec<StepReport>,
}

/// How many steps ended in each status: `3 steps · 2 pass · 1 fail`.
pub fn tally<'a>(steps: impl IntoIterator<Item = &'a StepReport>) -> String {
    let all: Vec<Status> = steps.into_iter().map(|s| s.status).collect();
    let count = |s: Status| all.iter().filter(|x| **x == s).count();
    let mut parts = vec![format!("{} step{}", all.len(), if all.len() == 1 { "" } else { "s" })];
    for (s, word) in [
        (Status::Pass, "pass"),
        (Status::Fail, "fail"),
        (Status::Error, "error"),
        (Status::Blocked, "blocked"),
        (Status::Manual, "manual"),
        (Status::Skipped, "skipped"),
        (Status::Pending, "pending"),
    ] {
        if count(s) > 0 {
            parts.push(format!("{} {word}", count(s)));
        }
    }
    parts.join(" · ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Yes,
    No,
    /// No terminal to ask on.
    CannotAsk,
}

/// What a front end sees of a run, and how it is asked for consent.
pub trait Frontend: Sink {
    fn step_started(&self, checklist: &str, step: &Step);
    fn step_finished(&self, checklist: &str, report: &StepReport);
    fn confirm<'a>(&'a self, checklist: &'a str, step: &'a Step, changes: &'a [Change]) -> crate::BoxFut<'a, Confirm>;
}

/// Why a run stopped before its end.
#[derive(Debug)]
pub enum Stop {
    /// AWS unreachable or no credentials (exit 3).
    Aws(AwsError),
    /// A change needs consent and there is no terminal to ask (exit 2).
    NeedsConsent { checklist: String, step: String, changes: Vec<Change> },
    /// The state could not be written.
    State(String),
    /// What the operator gave cannot be used (exit 2), with the fix.
    Input(String),
}

struct StoreAudit(Arc<Store>);

impl Audit for StoreAudit {
    fn record(&self, line: serde_json::Value) -> Result<(), String> {
        self.0.append_audit(&line)
    }
}

/// Steps being probed ahead of the loop, by (checklist, step). Whatever is
/// left when a change is made, or when the runner goes, is aborted: what it
/// read may no longer be what is there.
#[derive(Default)]
pub struct Pending(HashMap<(String, String), JoinHandle<Result<Probed, Stop>>>);

impl Pending {
    fn abort_all(&mut self) {
        for (_, task) in self.0.drain() {
            task.abort();
        }
    }

    fn abort_checklist(&mut self, checklist: &str) {
        let keys: Vec<_> = self.0.keys().filter(|(c, _)| c == checklist).cloned().collect();
        for key in keys {
            if let Some(task) = self.0.remove(&key) {
                task.abort();
            }
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.abort_all();
    }
}

pub struct Runner {
    pub aws: Arc<AwsContext>,
    pub library: Arc<Library>,
    pub values: Values,
    /// The profile's `[[secrets]]` and `[[parameters]]`, for kinds that act on all of them.
    pub lists: Arc<Lists>,
    pub front: Arc<dyn Frontend>,
    /// None for `plan`, which writes nothing.
    pub store: Option<Arc<Store>>,
    pub state: RunState,
    /// The command's bound on calls in flight and its shared reads.
    pub shared: Arc<Shared>,
    pub pending: Pending,
    /// In a plan (and only then): what the changes planned so far would make,
    /// so that the steps after them plan against it (see `aws::later`).
    pub planned: Option<Arc<Planned>>,
    /// Every checklist of the library (expanded for the profile): where the
    /// steps of other checklists that a step needs are found.
    pub checklists: Arc<Vec<Checklist>>,
    /// Steps judged as needs in this command, until a change is made.
    pub judged: HashMap<(String, String), needs::Need>,
    /// `--profile-file` and `--set` of the command, which every `preflight …`
    /// a fix names repeats (see `engine::text::with_args`).
    pub invocation: String,
    /// Values steps write that are not at hand (a prompt's; a source that
    /// cannot be read, and why): resolved when a step that writes one runs.
    pub lazy: BTreeMap<String, (InputDef, Option<String>)>,
    /// Who asks for such a value (None: nobody can be asked).
    pub ask: Option<Arc<dyn Ask>>,
    /// The job lock, taken just before the first change (after its consent) and
    /// held until `release_lock`: the wizard's runs, so that nothing is locked
    /// while a dialog waits. `what` says who holds it. None: the caller holds it
    /// already (the CLI's `run`) or nothing is changed.
    pub lock_on_change: Option<String>,
    pub held: Option<crate::engine::store::JobLock>,
}

/// Asks a person for a value a step needs now (a secret's value at a prompt).
pub trait Ask: Send + Sync {
    fn ask(&self, def: &InputDef) -> Result<String, String>;
}

pub fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

impl Runner {
    fn scope(&self) -> String {
        scope_key(&self.aws.account_id, &self.aws.region)
    }

    /// Lets the job lock go (the wizard's run has ended): a step still `running`
    /// (the run was stopped inside it) is recorded as failed first, while the lock
    /// still says nobody else is changing the account.
    pub fn release_lock(&mut self) {
        if self.held.is_some()
            && let Some(store) = &self.store
        {
            let _ = store.update(|st| Ok(state::recover_interrupted(st)));
        }
        self.held = None;
    }

    pub fn step_state(&self, checklist: &str, step: &str) -> Option<&StepState> {
        self.state.steps(&self.scope(), checklist)?.get(step)
    }

    /// Applies one event to a step's recorded state and saves it. The event
    /// is applied to the state as it is on disk now (another preflight may
    /// have written since), and only this step is written back. Probe results
    /// for a step that another preflight is running are reported, not recorded.
    pub fn record(&mut self, checklist: &str, step: &str, event: Event) -> Result<(), Stop> {
        let scope = self.scope();
        let now = now();
        let apply = |steps: &mut BTreeMap<String, StepState>| -> Result<StepState, String> {
            let entry = steps.entry(step.to_string()).or_insert_with(|| StepState::new(&now));
            if entry.phase == state::Phase::Running && matches!(event, Event::Probed { .. }) {
                return Ok(entry.clone());
            }
            state::apply(entry, event, &now).map(|()| entry.clone())
        };
        let entry = match &self.store {
            Some(store) => store.update(|st| apply(st.steps_mut(&scope, checklist))),
            None => apply(self.state.steps_mut(&scope, checklist)),
        }
        .map_err(|e| Stop::State(format!("step {step}: {e}")))?;
        self.state.steps_mut(&scope, checklist).insert(step.to_string(), entry);
        Ok(())
    }

    /// The inputs a step's probes use, as shown (secrets masked): what a
    /// confirmation of that step is bound to.
    pub fn probe_inputs(&self, checklist: &Checklist, step: &Step) -> BTreeMap<String, String> {
        let index = checklist.steps.iter().position(|s| s.id == step.id).expect("a step of the checklist");
        crate::engine::usage::needed_inputs(checklist, &[index], &self.library, true)
            .into_iter()
            .filter_map(|d| self.values.inputs.get(&d.name).map(|v| (d.name, v.shown())))
            .collect()
    }

    pub fn prober(&self, probing: Probing) -> Prober {
        Prober {
            aws: self.aws.clone(),
            library: self.library.clone(),
            values: self.values.clone(),
            lists: self.lists.clone(),
            front: self.front.clone(),
            audit: self.store.clone().map(|s| Arc::new(StoreAudit(s)) as Arc<dyn Audit>),
            shared: self.shared.clone(),
            probing,
            planned: self.planned.clone(),
            invocation: self.invocation.clone(),
        }
    }

    /// Forgets what was probed or judged ahead (a new job of the wizard reads the account afresh).
    pub fn forget_probes(&mut self) {
        self.pending.abort_all();
        self.judged.clear();
    }

    /// A plan remembers what its changes would make, for the steps after them;
    /// nothing else does (a run makes each change before the next step looks).
    fn planning(&mut self, mode: Mode) {
        match mode {
            Mode::Plan => {
                self.planned.get_or_insert_with(Default::default);
            }
            _ => self.planned = None,
        }
    }

    pub(crate) fn exec(&self, checklist: &str, step: &str, apply: bool, probing: Probing) -> Exec {
        self.prober(probing).exec(checklist, step, apply)
    }

    /// The steps `run_checklist` will probe, in its order.
    fn selection(checklist: &Checklist, opts: &Options) -> Vec<usize> {
        match (&opts.step, opts.only) {
            (Some(id), true) => checklist.steps.iter().position(|s| &s.id == id).into_iter().collect(),
            _ => order::selection(&checklist.steps, opts.step.as_deref()),
        }
    }

    /// Starts probing the checklist's selected steps now, all at once (bounded
    /// by the calls in flight), for `run_checklist` to take in its order. A
    /// front end calls it for every checklist of a command before the first
    /// `run_checklist`, so that they are probed together.
    pub fn prefetch(&mut self, checklist: &Checklist, opts: &Options) {
        self.planning(opts.mode);
        let selected = Self::selection(checklist, opts);
        for &idx in &selected {
            let step = &checklist.steps[idx];
            let key = (checklist.id.clone(), step.id.clone());
            let skipped = self.step_state(&checklist.id, &step.id).is_some_and(|s| s.phase == state::Phase::Skipped);
            if skipped || self.pending.0.contains_key(&key) {
                continue;
            }
            let task = self.prober(opts.probing).step(checklist.id.clone(), step.clone());
            self.pending.0.insert(key, tokio::spawn(task));
        }
        self.prefetch_needs(checklist, &selected, opts.probing);
    }

    /// The step's probes: the prefetched ones when they are still good, else probed now.
    async fn probe(&mut self, checklist: &Checklist, step: &Step, probing: Probing) -> Result<Probed, Stop> {
        match self.pending.0.remove(&(checklist.id.clone(), step.id.clone())) {
            Some(task) => task.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
            None => self.prober(probing).step(checklist.id.clone(), step.clone()).await,
        }
    }

    /// Runs the step's action: a dry run when `apply` is false.
    /// Runs the step's action: a dry run when `consented` is None; else made,
    /// each change checked against the consented ones before it is sent.
    async fn action(
        &self,
        checklist: &str,
        step: &Step,
        consented: Option<&[Change]>,
        force: bool,
    ) -> (Exec, Result<(), AwsError>) {
        let mut x = self.exec(checklist, &step.id, consented.is_some(), Probing::default());
        x.force = force;
        x.consented = consented.map(|c| c.iter().cloned().collect());
        let call = step.action.as_ref().expect("only steps with an action");
        let result = match (
            registry::find(&call.kind),
            template::render_toml(&toml::Value::Table(call.params.clone()), &|n| self.values.lookup(n)),
        ) {
            (Some(kind @ Kind { run: Run::Action(run), .. }), Ok(toml::Value::Table(params))) => {
                x.declared = probes::declared(kind, &x, &params);
                run(&mut x, params).await
            }
            (_, Err(name)) => Err(AwsError::other(format!("`{{{{{name}}}}}` has no value; set the input `{name}`"))),
            _ => Err(AwsError::other(format!("{} is not an action kind", call.kind))),
        };
        for c in &mut x.changes {
            c.detail = self.values.scrub(&c.detail);
            c.resource = self.values.scrub(&c.resource);
        }
        x.outputs = x.outputs.into_iter().map(|(k, v)| (k, self.values.scrub(&v))).collect();
        (x, result)
    }

    pub async fn run_checklist(&mut self, checklist: &Checklist, opts: &Options) -> Result<ChecklistReport, Stop> {
        let mut reports: Vec<StepReport> = Vec::new();
        let mut halted: Option<String> = None;
        self.prefetch(checklist, opts);
        self.planning(opts.mode);
        for idx in Self::selection(checklist, opts) {
            let step = &checklist.steps[idx];
            let mut report = self.run_step(checklist, step, opts, &reports, halted.as_deref()).await?;
            if opts.mode != Mode::Plan {
                report.updated_at = self.step_state(&checklist.id, &step.id).map(|s| s.updated_at.clone());
            }
            self.front.step_finished(&checklist.id, &report);
            // In a plan of several checklists (`up`), a step of a later checklist that stands on
            // this one is judged by what this plan does to it, not by the account as it is now.
            if opts.mode == Mode::Plan {
                let name = format!("{}/{}", checklist.id, step.id);
                self.judged
                    .insert((checklist.id.clone(), step.id.clone()), needs::from_report(&name, &report, opts.mode));
            }
            // A step that lacks a value fails alone: the steps that do not stand on it go on.
            if opts.mode == Mode::Run
                && halted.is_none()
                && !report.lacks_input
                && report.deferred.is_none()
                && matches!(report.status, Status::Fail | Status::Error | Status::Blocked)
            {
                halted = Some(step.id.clone());
            }
            reports.push(report);
        }
        // Steps left to a later one: probed again now that it has run.
        if opts.mode == Mode::Run {
            for i in 0..reports.len() {
                let Some(by) = reports[i].deferred.clone() else { continue };
                if !reports.iter().any(|r| r.id == by && r.applied) {
                    reports[i].error = Some(format!("left to step {by}, which changed nothing: it is still to repair"));
                    continue;
                }
                let step = checklist.step(&reports[i].id).expect("a step of the checklist").clone();
                let (probes, outputs) = self.prober(opts.probing).settle(&checklist.id, &step).await?;
                // What it stands on, as it is now (reported again above it).
                let failing_need = step
                    .needs
                    .iter()
                    .find(|n| {
                        reports.iter().any(|r| &&r.id == n && !matches!(r.status, Status::Pass | Status::Skipped))
                    })
                    .cloned();
                let r = &mut reports[i];
                r.status = step_status(&probes, r.confirmed);
                r.probes = probes.clone();
                r.error = (r.status != Status::Pass).then(|| format!("still failing after step {by} ran"));
                r.fix = None;
                if let Some(need) = &failing_need {
                    r.status = Status::Blocked;
                    r.error = Some(format!("blocked: it needs {need}, which still fails after step {by} ran"));
                }
                r.deferred = None;
                let blocked = (r.status == Status::Blocked).then(|| r.error.clone().unwrap_or_default());
                let inputs = self.probe_inputs(checklist, &step);
                self.record(&checklist.id, &step.id, Event::Probed { probes, outputs, blocked, inputs })?;
                self.front.step_finished(&checklist.id, &reports[i]);
            }
            // Nothing is ✔ while what it stands on fails: a step that went on because a later
            // one was to repair what it needs is blocked when that need still fails.
            for i in 0..reports.len() {
                let step = checklist.step(&reports[i].id).expect("a step of the checklist");
                let failing = step.needs.iter().find(|n| {
                    reports
                        .iter()
                        .any(|r| &&r.id == n && matches!(r.status, Status::Fail | Status::Error | Status::Blocked))
                });
                if let (Some(need), true) = (failing, matches!(reports[i].status, Status::Pass | Status::Manual)) {
                    let r = &mut reports[i];
                    r.status = Status::Blocked;
                    r.error = Some(format!("blocked: it needs {need}, which does not pass at the end of this run"));
                    let error = r.error.clone();
                    let id = r.id.clone();
                    self.record(
                        &checklist.id,
                        &id,
                        Event::Probed {
                            probes: r.probes.clone(),
                            outputs: Default::default(),
                            blocked: error,
                            inputs: self.probe_inputs(checklist, step),
                        },
                    )?;
                    self.front.step_finished(&checklist.id, &reports[i]);
                }
            }
        }
        // Steps a halted run will not look at.
        self.pending.abort_checklist(&checklist.id);
        Ok(ChecklistReport { id: checklist.id.clone(), title: checklist.title.clone(), steps: reports })
    }

    async fn run_step(
        &mut self,
        checklist: &Checklist,
        step: &Step,
        opts: &Options,
        earlier: &[StepReport],
        halted: Option<&str>,
    ) -> Result<StepReport, Stop> {
        let recorded = self.step_state(&checklist.id, &step.id).cloned();
        let mut report = StepReport {
            id: step.id.clone(),
            title: step.title.clone(),
            status: Status::Pending,
            probes: Vec::new(),
            changes: Vec::new(),
            applied: false,
            outputs: recorded.as_ref().map(|s| s.outputs.clone()).unwrap_or_default(),
            error: None,
            fix: None,
            confirmed: false,
            updated_at: None,
            waits: false,
            lacks_input: false,
            deferred: None,
            skip: None,
        };
        if let Some(st) = recorded.as_ref().filter(|s| s.phase == state::Phase::Skipped) {
            report.status = Status::Skipped;
            report.skip = state::Skip::of(st);
            return Ok(report);
        }
        if let Some(failed) = halted {
            report.error = Some(format!("not run: the run stopped at step {failed}"));
            return Ok(report);
        }
        self.front.step_started(&checklist.id, step);
        // What the step stands on, judged now (in any checklist).
        let needs = self.judge_needs(checklist, step, earlier, opts.mode, opts.probing).await?;
        let blocking = needs.iter().find(|n| n.blocks()).cloned();
        let needs_fail: Vec<&str> = needs
            .iter()
            .filter(|n| !matches!(n.status, Status::Pass | Status::Skipped))
            .map(|n| n.name.as_str())
            .collect();
        // A confirmation holds for the values it was given, while what the step needs passes.
        let bound = self.probe_inputs(checklist, step);
        let confirmed = recorded.as_ref().is_some_and(|s| s.confirmed_for(&bound)) && needs_fail.is_empty();
        report.confirmed = confirmed;
        let stale = match &recorded {
            Some(s) if s.confirmed_at.is_some() && !s.confirmed_for(&bound) => Some(format!(
                "confirmed on {} for other values ({}); check it again, then: preflight confirm {} --step {}",
                s.confirmed_at.as_deref().unwrap_or("?"),
                s.confirmed_inputs.as_ref().map_or("none recorded".into(), |m| m
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")),
                checklist.id,
                step.id
            )),
            Some(s) if s.confirmed_at.is_some() && !needs_fail.is_empty() => {
                Some(format!("confirmed, but it needs {}, which does not pass now", needs_fail.join(", ")))
            }
            _ => None,
        };

        let (probes, outputs) = self.probe(checklist, step, opts.probing).await?;
        report.status = step_status(&probes, confirmed);
        if report.status == Status::Manual {
            report.fix = stale;
        }
        report.outputs.extend(outputs.clone());
        report.probes = probes.clone();
        // Nothing is ✔ while what it stands on does not pass (an opt-in probe not asked for stays skipped).
        if let Some(need) = blocking.as_ref().filter(|_| report.status != Status::Skipped) {
            report.status = Status::Blocked;
            report.error = Some(format!("blocked: it {}", need.sentence()));
            report.fix = need.fix.clone();
        } else if let Some(need) = needs.iter().find(|n| n.planned)
            && matches!(report.status, Status::Pass | Status::Manual)
        {
            report.status = Status::Blocked;
            report.fix = need.fix.clone();
            match &need.deferred_to {
                // Left to this very step: it acts, or (nothing to change) it stays blocked by the need.
                Some(by) if *by == step.id => {
                    report.error = Some(format!("blocked: it {}", need.sentence()));
                }
                // In a run: a later step repairs what it stands on; it is judged again after that one.
                Some(by) => {
                    report.deferred = Some(by.clone());
                    report.error =
                        Some(format!("blocked: it {} (step {by}, later in this run, repairs it)", need.sentence()));
                }
                // In a plan: what it stands on changes first, so what passes now is not yet what will be.
                None => {
                    report.waits = true;
                    report.error = Some(format!("blocked: it {} (this plan changes it first)", need.sentence()));
                }
            }
        }
        if opts.mode != Mode::Plan {
            // Recorded as shown: a step blocked now is never recorded as a pass.
            let blocked = (report.status == Status::Blocked).then(|| report.error.clone().unwrap_or_default());
            let event = Event::Probed { probes, outputs, blocked, inputs: bound };
            self.record(&checklist.id, &step.id, event)?;
        }
        // Waiting, in a plan, for a step that changes what it stands on first: what its action
        // would then do, planned against what that step makes (a value known only then shown
        // as such), so that the plan lists it; a dry run that cannot tell yet lists nothing.
        if report.waits && step.action.is_some() && self.supply(step).is_ok() {
            let (plan, planned) = self.action(&checklist.id, step, None, false).await;
            if planned.is_ok() {
                report.changes = plan.changes;
            }
        }
        // Blocked (or waiting for a step that changes what it stands on first): nothing to do here.
        if report.status == Status::Blocked {
            return Ok(report);
        }
        // What fails here only a later step of this run repairs: left to it.
        let later: Vec<&str> = Self::selection(checklist, opts)
            .into_iter()
            .map(|i| checklist.steps[i].id.as_str())
            .skip_while(|id| *id != step.id)
            .skip(1)
            .collect();
        let failing: Vec<(&ProbeResult, Option<&String>)> = report
            .probes
            .iter()
            .zip(&step.probes)
            .filter(|(r, _)| matches!(r.status, Status::Fail | Status::Error))
            .map(|(r, d)| (r, d.repaired_by.as_ref()))
            .collect();
        if opts.mode != Mode::Verify
            && report.status == Status::Fail
            && let Some(Some(by)) = failing.first().map(|(_, by)| *by)
            && failing.iter().all(|(_, b)| *b == Some(by))
            && later.contains(&by.as_str())
        {
            report.deferred = Some(by.clone());
            report.error = Some(format!("left to step {by}, later in this run, which repairs it"));
            return Ok(report);
        }
        // Done, waiting for a person, or an opt-in probe that was not asked for: nothing to apply
        // (unless this very step is forced: its action runs even though its probes pass).
        let forced = opts.force && opts.step.as_deref() == Some(step.id.as_str()) && step.action.is_some();
        if (matches!(report.status, Status::Pass | Status::Manual | Status::Skipped) && !forced)
            || opts.mode == Mode::Verify
        {
            return Ok(report);
        }
        let Some(_) = &step.action else {
            // What the step is about, in its first paragraph, rendered with the run's values.
            let shown = crate::engine::render::shown(&self.values);
            report.fix = Some(crate::engine::render::nothing_to_run(step, &checklist.inputs, &shown));
            return Ok(report);
        };

        // The values the action writes, now that it is to run (asked for only now).
        if let Err(why) = self.supply(step) {
            report.status = Status::Error;
            report.error = Some(self.values.scrub(&why));
            report.lacks_input = true;
            return Ok(report);
        }
        // Look first: the dry run reads what exists and lists the calls that would change it.
        let (plan, planned) = self.action(&checklist.id, step, None, forced).await;
        if let Err(e) = planned {
            return self.failed(checklist, step, report, e, false);
        }
        report.changes = plan.changes;
        if opts.mode == Mode::Plan {
            return Ok(report);
        }
        if report.changes.is_empty() && forced {
            report.fix = Some("forced, but there is nothing this step would change: it is in place".into());
            return Ok(report);
        }
        if report.changes.is_empty() {
            report.error =
                Some("the probes fail but there is nothing this step can change to fix it; see the fix".into());
            return Ok(report);
        }
        if !opts.yes {
            // A dialog that waits for a person locks nothing: a lock taken for an earlier step's
            // change (nothing is being changed now) is let go, and taken again after consent.
            if self.lock_on_change.is_some() {
                self.held = None;
            }
            match self.front.confirm(&checklist.id, step, &report.changes).await {
                Confirm::Yes => {}
                Confirm::No => {
                    report.error = Some("not applied: declined".into());
                    return Ok(report);
                }
                Confirm::CannotAsk => {
                    return Err(Stop::NeedsConsent {
                        checklist: checklist.id.clone(),
                        step: step.id.clone(),
                        changes: report.changes,
                    });
                }
            }
        }

        if let (Some(what), None, Some(store)) = (&self.lock_on_change, &self.held, &self.store) {
            match store.begin_job(what, &now()) {
                Ok(lock) => self.held = Some(lock),
                Err(e) => {
                    report.error = Some(format!("not applied: {e}"));
                    return Ok(report);
                }
            }
        }
        self.record(&checklist.id, &step.id, Event::Start)?;
        // The account is about to change: what was probed ahead of this step is probed again,
        // and the action looks afresh (time has passed since the plan was shown).
        self.pending.abort_all();
        self.shared.forget();
        self.judged.clear();
        let consented = report.changes.clone();
        let (done, applied) = self.action(&checklist.id, step, Some(&consented), forced).await;
        report.applied = true;
        report.changes = done.changes;
        if let Err(e) = applied {
            return self.failed(checklist, step, report, e, true);
        }
        report.outputs.extend(done.outputs.clone());
        self.record(&checklist.id, &step.id, Event::Succeeded { outputs: done.outputs })?;

        let (probes, outputs) = self.prober(opts.probing).settle(&checklist.id, step).await?;
        report.status = step_status(&probes, confirmed);
        report.outputs.extend(outputs.clone());
        report.probes = probes.clone();
        let inputs = self.probe_inputs(checklist, step);
        self.record(&checklist.id, &step.id, Event::Probed { probes, outputs, blocked: None, inputs })?;
        Ok(report)
    }

    /// Resolves the values the step's action writes that are not at hand yet:
    /// asked for (a secret at a prompt), or Err naming what is missing and the fix.
    fn supply(&mut self, step: &Step) -> Result<(), String> {
        let Some(action) = &step.action else { return Ok(()) };
        let names = template::toml_names(&toml::Value::Table(action.params.clone())).unwrap_or_default();
        for name in names {
            if self.values.inputs.contains_key(&name) {
                continue;
            }
            let Some((def, why)) = self.lazy.get(&name).cloned() else { continue };
            if let Some(why) = why {
                return Err(why.trim_start_matches("error: ").to_string());
            }
            let ask = self
                .ask
                .clone()
                .ok_or_else(|| crate::engine::inputs::missing_error(&def).placed(&self.lists.path, None).to_string())?;
            let text = ask
                .ask(&def)
                .map_err(|e| format!("input `{}` ({}): {e}", def.name, crate::engine::inputs::source_of(&def)))?;
            crate::engine::inputs::accept(&mut self.values, &def, text, crate::engine::inputs::Origin::Prompt)
                .map_err(|e| e.to_string())?;
            self.lazy.remove(&name);
        }
        Ok(())
    }

    fn failed(
        &mut self,
        checklist: &Checklist,
        step: &Step,
        mut report: StepReport,
        e: AwsError,
        started: bool,
    ) -> Result<StepReport, Stop> {
        let error = self.values.scrub(&e.to_string());
        if started {
            // Never left `running`: whatever stops the run, the step is recorded as failed.
            self.record(&checklist.id, &step.id, Event::Failed { error: error.clone() })?;
        }
        if e.is_fatal() {
            return Err(Stop::Aws(e));
        }
        if e.kind == crate::aws::error::ErrorKind::Input {
            let fix = e
                .fix()
                .map(|f| {
                    format!("\n  fix: {}", crate::engine::text::with_args(&self.values.scrub(&f), &self.invocation))
                })
                .unwrap_or_default();
            return Err(Stop::Input(format!("{error}{fix}")));
        }
        report.status = Status::Error;
        report.fix = e.fix().map(|f| crate::engine::text::with_args(&self.values.scrub(&f), &self.invocation));
        report.error = Some(error);
        Ok(report)
    }
}
