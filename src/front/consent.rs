//! One consent for a whole run (`up`, in the CLI and the wizard): a front end
//! wrapped so that, once a person has said yes to every planned change, each
//! step's changes are held against what they said yes to. A step whose changes
//! are those goes on without asking again; any other (the account changed
//! since, or a step the plan could only say it would judge again) is asked
//! about on its own, saying why. While the run is planned the wrapper can be
//! quiet: the plan's steps are shown in the consent, not one by one.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::BoxFut;
use crate::aws::exec::{Activity, Change, Sink};
use crate::aws::{later, wire};
use crate::engine::model::Step;
use crate::runner::{ChecklistReport, Confirm, Frontend, StepReport};

/// Whether `made` is what `planned` said: the same calls on the same resources
/// with the same parameters (a value the plan knew only as what an earlier
/// change makes stands for whatever it turned out to be).
pub fn same_changes(planned: &[Change], made: &[Change]) -> bool {
    planned.len() == made.len()
        && planned.iter().zip(made).all(|(p, m)| {
            p.service == m.service
                && p.operation == m.operation
                && later::matches(&p.resource, &m.resource)
                && later::matches(&p.detail, &m.detail)
                && wire::same(&p.params, &m.params, "").is_ok()
        })
}

/// A step that stops `up`: it failed, could not be judged, stands on a failing
/// step, or was left undone. A manual step waiting for a person does not.
pub fn stops(step: &StepReport) -> bool {
    use crate::engine::outcome::Status;
    matches!(step.status, Status::Fail | Status::Error | Status::Blocked | Status::Pending)
}

/// The steps of a plan with changes, by checklist.
pub fn planned_steps(planned: &[ChecklistReport]) -> Vec<(&str, &StepReport)> {
    planned
        .iter()
        .flat_map(|r| r.steps.iter().filter(|st| !st.changes.is_empty()).map(move |st| (r.id.as_str(), st)))
        .collect()
}

/// Steps that pass now but stand on what the plan changes first, and whose own
/// change the plan could not tell: judged again then, and asked about if they change.
pub fn waiting_steps(planned: &[ChecklistReport]) -> Vec<(&str, &StepReport)> {
    planned
        .iter()
        .flat_map(|r| r.steps.iter().filter(|st| st.waits && st.changes.is_empty()).map(move |st| (r.id.as_str(), st)))
        .collect()
}

/// `ecs-service / health: it stands on service, which this run changes first`.
pub fn waiting_line(checklist: &str, st: &StepReport) -> String {
    // "blocked: it needs NAME, which …": the need's name is what the reader wants here.
    let error = st.error.as_deref().unwrap_or_default();
    let need = error.split_once("needs ").and_then(|(_, r)| r.split(',').next()).unwrap_or("a step");
    format!("{checklist} / {}: it stands on {need}, which this run changes first", st.id)
}

pub struct Consented {
    pub inner: Arc<dyn Frontend>,
    /// Set while the run is planned: steps are not shown one by one (calls still are).
    pub quiet: AtomicBool,
    consented: Mutex<BTreeMap<(String, String), Vec<Change>>>,
    waiting: Mutex<BTreeSet<(String, String)>>,
}

impl Consented {
    pub fn new(inner: Arc<dyn Frontend>) -> Self {
        Self { inner, quiet: AtomicBool::new(false), consented: Mutex::default(), waiting: Mutex::default() }
    }

    /// What a person said yes to: the plan's changes, step by step.
    pub fn consent_to(&self, planned: &[ChecklistReport]) {
        *self.consented.lock().unwrap() = planned_steps(planned)
            .into_iter()
            .map(|(c, st)| ((c.to_string(), st.id.clone()), st.changes.clone()))
            .collect();
        *self.waiting.lock().unwrap() =
            waiting_steps(planned).into_iter().map(|(c, st)| (c.to_string(), st.id.clone())).collect();
    }

    fn say(&self, checklist: &str, step: &str, text: String) {
        self.inner.activity(checklist, step, Activity::Info(text));
    }
}

impl Sink for Consented {
    fn activity(&self, checklist: &str, step: &str, activity: Activity) {
        if !self.quiet.load(Ordering::SeqCst) || matches!(activity, Activity::Call { .. }) {
            self.inner.activity(checklist, step, activity);
        }
    }
}

impl Frontend for Consented {
    fn step_started(&self, checklist: &str, step: &Step) {
        if !self.quiet.load(Ordering::SeqCst) {
            self.inner.step_started(checklist, step);
        }
    }

    fn step_finished(&self, checklist: &str, report: &StepReport) {
        if !self.quiet.load(Ordering::SeqCst) {
            self.inner.step_finished(checklist, report);
        }
    }

    fn confirm<'a>(&'a self, checklist: &'a str, step: &'a Step, changes: &'a [Change]) -> BoxFut<'a, Confirm> {
        let key = (checklist.to_string(), step.id.clone());
        let planned = self.consented.lock().unwrap().get(&key).cloned();
        let why = match planned {
            Some(p) if same_changes(&p, changes) => return Box::pin(async { Confirm::Yes }),
            Some(_) => "these changes are not the ones consented to (the account changed since the plan): asking again",
            None if self.waiting.lock().unwrap().contains(&key) => {
                "now that what it stands on is made, it changes too: asking"
            }
            None => "the plan consented to did not have these changes: asking",
        };
        self.say(checklist, &step.id, why.to_string());
        self.inner.confirm(checklist, step, changes)
    }
}
