//! What a step stands on: the steps it `needs`, of its checklist or of
//! another (`CHECKLIST/STEP`), each judged by its probes on the account now
//! (made by preflight or not: a role made by hand satisfies a need when its
//! probes pass) and by what it stands on in turn. A step whose needs do not
//! pass is blocked: never ✔, whatever its own probes say.

use std::collections::BTreeSet;

use super::{Mode, Runner, StepReport, Stop};
use crate::aws::exec::Probing;
use crate::engine::model::{Checklist, Step, foreign};
use crate::engine::outcome::{ProbeResult, Status, step_status};
use crate::engine::state::Event;

/// One need of a step, as judged now.
#[derive(Debug, Clone)]
pub struct Need {
    /// As the step names it (`runtime-principal`, `iam-policy/runtime-principal`).
    pub name: String,
    pub status: Status,
    /// What does not pass (the first failing probe, or the need it is blocked by).
    pub why: String,
    pub fix: Option<String>,
    /// In a plan: it fails, and this plan changes it (or, in a run, a later step repairs it).
    pub planned: bool,
    /// In a run: the later step that repairs it.
    pub deferred_to: Option<String>,
}

impl Need {
    /// Whether the step that needs it is blocked by it.
    pub fn blocks(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Error | Status::Blocked | Status::Pending) && !self.planned
    }

    /// `needs iam-policy/runtime-principal, which fails: role … does not exist`.
    pub fn sentence(&self) -> String {
        let word = match self.status {
            Status::Fail => "fails",
            Status::Error => "could not be checked",
            Status::Blocked => "is blocked",
            Status::Pending => "was not checked",
            _ => "passes",
        };
        format!("needs {}, which {word}: {}", self.name, self.why)
    }
}

/// The first probe that does not pass, as why and fix.
fn first_failing(probes: &[ProbeResult]) -> Option<(String, Option<String>)> {
    probes
        .iter()
        .find(|p| matches!(p.status, Status::Fail | Status::Error))
        .or_else(|| probes.iter().find(|p| p.status != Status::Pass))
        .map(|p| (format!("{}: {}", p.id, p.message.lines().next().unwrap_or_default()), p.fix.clone()))
}

/// A step's verdict from its report.
pub(super) fn from_report(name: &str, r: &StepReport, mode: Mode) -> Need {
    let (why, fix) = match r.status {
        Status::Blocked => {
            let why = r.error.as_deref().unwrap_or_default();
            (why.strip_prefix("blocked: it ").unwrap_or(why).to_string(), r.fix.clone())
        }
        _ => first_failing(&r.probes)
            .map(|(w, f)| (w, f.or_else(|| r.fix.clone())))
            .unwrap_or_else(|| (r.error.clone().unwrap_or_else(|| "it was not checked".into()), r.fix.clone())),
    };
    // Changed by this plan first, or left to a later step of this run that repairs it.
    // (A probe that cannot tell, a role that does not exist yet, counts as failing when the plan changes it.)
    let planned = (mode == Mode::Plan
        && ((matches!(r.status, Status::Fail | Status::Error) && !r.changes.is_empty()) || r.waits))
        || r.deferred.is_some();
    Need { name: name.to_string(), status: r.status, why, fix, planned, deferred_to: r.deferred.clone() }
}

type Judging<'a> = crate::BoxFut<'a, Result<Need, Stop>>;

impl Runner {
    /// Every need of `step`, judged: the steps of this run already reported
    /// (`earlier`) by their report, any other by its probes now.
    pub(super) async fn judge_needs(
        &mut self,
        checklist: &Checklist,
        step: &Step,
        earlier: &[StepReport],
        mode: Mode,
        probing: Probing,
    ) -> Result<Vec<Need>, Stop> {
        let mut out = Vec::new();
        for name in &step.needs {
            let judged = match (foreign(name), earlier.iter().find(|r| &r.id == name)) {
                (None, Some(r)) => from_report(name, r, mode),
                (None, None) => self.judge_step(checklist.id.clone(), name.clone(), probing, BTreeSet::new()).await?,
                (Some((c, s)), _) => self.judge_step(c.to_string(), s.to_string(), probing, BTreeSet::new()).await?,
            };
            out.push(Need { name: name.clone(), ..judged });
        }
        Ok(out)
    }

    /// A step judged by its probes now and by what it stands on, once per
    /// command (until a change is made). `seen` guards against needs that go round.
    pub(super) fn judge_step(
        &mut self,
        checklist: String,
        step: String,
        probing: Probing,
        mut seen: BTreeSet<(String, String)>,
    ) -> Judging<'_> {
        Box::pin(async move {
            let key = (checklist.clone(), step.clone());
            let name = format!("{checklist}/{step}");
            if let Some(n) = self.judged.get(&key) {
                return Ok(Need { name, ..n.clone() });
            }
            let found = self
                .checklists
                .iter()
                .find(|c| c.id == checklist)
                .and_then(|c| c.steps.iter().find(|s| s.id == step).map(|s| (c.clone(), s.clone())));
            let Some((c, s)) = found else {
                let why = "no such step for this profile (a repeated step without entries?)".to_string();
                return Ok(Need { name, status: Status::Pending, why, fix: None, planned: false, deferred_to: None });
            };
            if !seen.insert(key.clone()) {
                let why = "the needs go round in a circle".to_string();
                return Ok(Need { name, status: Status::Error, why, fix: None, planned: false, deferred_to: None });
            }
            let (probes, outputs) = self.probe(&c, &s, probing).await?;
            let confirmed =
                self.step_state(&c.id, &s.id).is_some_and(|st| st.confirmed_for(&self.probe_inputs(&c, &s)));
            let (why, fix) = first_failing(&probes).unwrap_or_default();
            let status = step_status(&probes, confirmed);
            let mut verdict = Need { name: name.clone(), status, why, fix, planned: false, deferred_to: None };
            let mut blocked = None;
            for need in &s.needs {
                let (nc, ns) =
                    foreign(need).map_or((c.id.clone(), need.clone()), |(a, b)| (a.to_string(), b.to_string()));
                let inner = self.judge_step(nc, ns, probing, seen.clone()).await?;
                if inner.blocks() {
                    blocked = Some(inner);
                    break;
                }
            }
            if let Some(inner) = &blocked {
                verdict.status = Status::Blocked;
                verdict.why = inner.sentence();
                verdict.fix = inner.fix.clone();
            }
            if self.planned.is_none() && self.store.is_some() {
                let inputs = self.probe_inputs(&c, &s);
                let event = Event::Probed { probes, outputs, blocked: blocked.map(|b| b.sentence()), inputs };
                self.record(&c.id, &s.id, event)?;
            }
            self.judged.insert(key, verdict.clone());
            Ok(verdict)
        })
    }

    /// Starts probing what the selected steps stand on in other checklists
    /// (and what that stands on), with the rest of the prefetch.
    pub(super) fn prefetch_needs(&mut self, checklist: &Checklist, steps: &[usize], probing: Probing) {
        let mut todo: Vec<(String, String)> = steps
            .iter()
            .flat_map(|&i| checklist.steps[i].needs.iter())
            .filter_map(|n| foreign(n).map(|(c, s)| (c.to_string(), s.to_string())))
            .collect();
        let mut done = BTreeSet::new();
        while let Some((c, s)) = todo.pop() {
            if !done.insert((c.clone(), s.clone())) || self.pending.0.contains_key(&(c.clone(), s.clone())) {
                continue;
            }
            let Some(other) = self.checklists.iter().find(|x| x.id == c).cloned() else { continue };
            let Some(step) = other.steps.iter().find(|x| x.id == s).cloned() else { continue };
            for n in &step.needs {
                todo.push(foreign(n).map_or((c.clone(), n.clone()), |(a, b)| (a.to_string(), b.to_string())));
            }
            let task = self.prober(probing).step(c.clone(), step);
            self.pending.0.insert((c, s), tokio::spawn(task));
        }
    }
}
