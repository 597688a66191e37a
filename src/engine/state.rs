//! The persisted run state: per AWS account and region, per checklist, per
//! step, and the state machine that moves a step between phases.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::outcome::{ProbeResult, Status, step_status};

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub schema: u32,
    /// Keyed by `account/region`: the same profile pointed at another account starts fresh.
    #[serde(default)]
    pub scopes: BTreeMap<String, Scope>,
}

impl Default for RunState {
    fn default() -> Self {
        Self { schema: SCHEMA, scopes: BTreeMap::new() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default)]
    pub checklists: BTreeMap<String, BTreeMap<String, StepState>>,
}

impl RunState {
    /// The recorded steps of one checklist in one scope.
    pub fn steps(&self, scope: &str, checklist: &str) -> Option<&BTreeMap<String, StepState>> {
        self.scopes.get(scope)?.checklists.get(checklist)
    }

    /// The same, created empty when absent.
    pub fn steps_mut(&mut self, scope: &str, checklist: &str) -> &mut BTreeMap<String, StepState> {
        self.scopes.entry(scope.to_string()).or_default().checklists.entry(checklist.to_string()).or_default()
    }
}

pub fn scope_key(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub phase: Phase,
    /// Whether the last probes passed; None until probed.
    pub verified: Option<bool>,
    pub updated_at: String,
    /// What the step produced or adopted (ARNs...).
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    #[serde(default)]
    pub probes: Vec<ProbeResult>,
    #[serde(default)]
    pub error: Option<String>,
    /// When the operator confirmed a manual step.
    #[serde(default)]
    pub confirmed_at: Option<String>,
    /// Who confirmed it (the caller's ARN; absent for a confirmation made before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    /// What was confirmed: the inputs the step's probes use, as shown (secrets
    /// masked). A confirmation holds only while they are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_inputs: Option<BTreeMap<String, String>>,
    /// When last probed, a step it stands on did not pass: which, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// The values of the inputs its probes used when last probed (secrets
    /// masked): a record made with other values is not this profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<BTreeMap<String, String>>,
    /// Who skipped the step, when and why (a skip is a decision on record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<Skip>,
    /// What the step made was removed by `destroy`: by whom and when (until it runs again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroyed: Option<Destroyed>,
}

/// A `destroy` that removed what a step made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destroyed {
    pub by: String,
    pub at: String,
}

/// A decision to skip a step: by whom (the caller's ARN), when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub by: String,
    pub at: String,
    pub reason: String,
}

impl Skip {
    /// The record of a skipped step: its own, or for a skip made before
    /// preflight kept who and why, one that says so.
    pub fn of(state: &StepState) -> Option<Skip> {
        (state.phase == Phase::Skipped).then(|| {
            state.skip.clone().unwrap_or_else(|| Skip {
                by: "(not recorded)".into(),
                at: state.updated_at.clone(),
                reason: "skipped before preflight kept who and why".into(),
            })
        })
    }

    /// `skipped by ARN at TIME: reason`.
    pub fn text(&self) -> String {
        format!("skipped by {} at {}: {}", self.by, self.at, self.reason)
    }
}

impl StepState {
    pub fn new(now: &str) -> Self {
        Self {
            phase: Phase::Pending,
            verified: None,
            updated_at: now.into(),
            outputs: BTreeMap::new(),
            probes: Vec::new(),
            error: None,
            confirmed_at: None,
            confirmed_by: None,
            confirmed_inputs: None,
            blocked: None,
            inputs: None,
            skip: None,
            destroyed: None,
        }
    }

    /// Whether a confirmation holds for these values of the step's probe inputs.
    pub fn confirmed_for(&self, inputs: &BTreeMap<String, String>) -> bool {
        self.confirmed_at.is_some() && self.confirmed_inputs.as_ref() == Some(inputs)
    }

    /// The inputs this record was made with that have other values now (as
    /// shown, secrets masked); None when it is this profile's (or says nothing).
    pub fn other_inputs(&self, now: &BTreeMap<String, String>) -> Option<Vec<(String, String)>> {
        let recorded = self.inputs.as_ref()?;
        let other: Vec<(String, String)> = recorded
            .iter()
            .filter(|(k, v)| now.get(*k).is_some_and(|n| n != *v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!other.is_empty()).then_some(other)
    }

    /// The status shown for this step from what was last recorded.
    pub fn status(&self) -> Status {
        match self.phase {
            Phase::Skipped => Status::Skipped,
            Phase::Running => Status::Pending,
            Phase::Failed if self.probes.is_empty() => Status::Error,
            _ if self.blocked.is_some() => Status::Blocked,
            _ => step_status(&self.probes, self.confirmed_at.is_some()),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Event {
    /// The action is about to change the account.
    Start,
    Succeeded {
        outputs: BTreeMap<String, String>,
    },
    Failed {
        error: String,
    },
    Probed {
        probes: Vec<ProbeResult>,
        outputs: BTreeMap<String, String>,
        /// The first need that did not pass, and why (the step is blocked).
        blocked: Option<String>,
        /// The values of the inputs the probes used (secrets masked).
        inputs: BTreeMap<String, String>,
    },
    /// A person decided to skip the step: who (the caller's ARN) and why.
    Skip {
        by: String,
        reason: String,
    },
    Unskip,
    /// `destroy` removed what the step made (by: the caller's ARN): it is
    /// pending again, its record of probes, outputs and confirmation gone.
    Destroyed {
        by: String,
    },
    /// A person checked the step, for these values of its probe inputs.
    Confirm {
        inputs: BTreeMap<String, String>,
        /// The caller's ARN.
        by: String,
    },
}

/// Applies one event; an event that makes no sense in the current phase is an error.
pub fn apply(step: &mut StepState, event: Event, now: &str) -> Result<(), String> {
    use Phase::*;
    match (step.phase, event) {
        (Running, Event::Start) => return Err("the step is already running".into()),
        (Skipped, Event::Start) => return Err("the step is skipped; unskip it first".into()),
        (_, Event::Start) => {
            step.phase = Running;
            step.error = None;
            step.destroyed = None;
        }
        (Running, Event::Succeeded { outputs }) => {
            step.phase = Done;
            step.verified = None;
            step.outputs.extend(outputs);
        }
        (Running, Event::Failed { error }) => {
            step.phase = Failed;
            step.error = Some(error);
        }
        (phase, Event::Succeeded { .. } | Event::Failed { .. }) => {
            return Err(format!("a step that is {phase:?} cannot finish"));
        }
        (Running, Event::Probed { .. }) => {
            return Err("probes run before or after the action, not during it".into());
        }
        (phase, Event::Probed { probes, outputs, blocked, inputs }) => {
            let passed = step_status(&probes, step.confirmed_at.is_some()) == Status::Pass;
            step.verified = Some(passed && blocked.is_none());
            step.probes = probes;
            step.outputs.extend(outputs);
            step.blocked = blocked;
            step.inputs = Some(inputs);
            if passed && matches!(phase, Pending | Failed) {
                // Already in place (done earlier, by hand, or repaired): adopt it.
                step.phase = Done;
                step.error = None;
                step.destroyed = None;
            }
        }
        (Running, Event::Destroyed { .. }) => return Err("a running step cannot be destroyed".into()),
        (_, Event::Destroyed { by }) => {
            *step = StepState {
                destroyed: Some(Destroyed { by, at: now.into() }),
                skip: step.skip.clone(),
                ..StepState::new(now)
            };
            if step.skip.is_some() {
                step.phase = Skipped;
            }
        }
        (Running, Event::Skip { .. }) => return Err("a running step cannot be skipped".into()),
        (_, Event::Skip { by, reason }) => {
            step.phase = Skipped;
            step.skip = Some(Skip { by, at: now.into(), reason });
        }
        (Skipped, Event::Unskip) => {
            step.phase = Pending;
            step.skip = None;
        }
        (_, Event::Unskip) => return Err("the step is not skipped".into()),
        (_, Event::Confirm { inputs, by }) => {
            step.confirmed_at = Some(now.into());
            step.confirmed_by = Some(by);
            step.confirmed_inputs = Some(inputs);
            if step.probes.iter().any(|p| p.status == Status::Manual) {
                step.verified = Some(step_status(&step.probes, true) == Status::Pass);
            }
        }
    }
    step.updated_at = now.into();
    Ok(())
}

/// A run that ended while a step was running (Ctrl-C, kill -9, power loss):
/// the step is failed as interrupted, so the next run probes and repairs it.
pub fn recover_interrupted(state: &mut RunState) -> usize {
    let mut n = 0;
    for scope in state.scopes.values_mut() {
        for steps in scope.checklists.values_mut() {
            for step in steps.values_mut().filter(|s| s.phase == Phase::Running) {
                step.phase = Phase::Failed;
                step.error = Some(
                    "interrupted: the run ended while this step was running; run it again to probe and finish it"
                        .into(),
                );
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(status: Status) -> ProbeResult {
        ProbeResult::new("p", status, "")
    }

    #[test]
    fn action_then_probe_makes_a_verified_step() {
        let mut s = StepState::new("t0");
        apply(
            &mut s,
            Event::Probed {
                probes: vec![probe(Status::Fail)],
                outputs: BTreeMap::new(),
                blocked: None,
                inputs: BTreeMap::new(),
            },
            "t1",
        )
        .unwrap();
        assert_eq!((s.phase, s.verified), (Phase::Pending, Some(false)));
        apply(&mut s, Event::Start, "t2").unwrap();
        assert_eq!(s.phase, Phase::Running);
        apply(&mut s, Event::Succeeded { outputs: [("arn".into(), "a".into())].into() }, "t3").unwrap();
        apply(
            &mut s,
            Event::Probed {
                probes: vec![probe(Status::Pass)],
                outputs: BTreeMap::new(),
                blocked: None,
                inputs: BTreeMap::new(),
            },
            "t4",
        )
        .unwrap();
        assert_eq!((s.phase, s.verified, s.status()), (Phase::Done, Some(true), Status::Pass));
        assert_eq!(s.outputs["arn"], "a");
        assert_eq!(s.updated_at, "t4");
    }

    #[test]
    fn passing_probes_adopt_a_pending_or_failed_step() {
        let mut s = StepState::new("t0");
        apply(&mut s, Event::Start, "t1").unwrap();
        apply(&mut s, Event::Failed { error: "boom".into() }, "t2").unwrap();
        assert_eq!(s.status(), Status::Error);
        apply(
            &mut s,
            Event::Probed {
                probes: vec![probe(Status::Pass)],
                outputs: BTreeMap::new(),
                blocked: None,
                inputs: BTreeMap::new(),
            },
            "t3",
        )
        .unwrap();
        assert_eq!((s.phase, s.error.clone()), (Phase::Done, None));
    }

    #[test]
    fn drift_keeps_done_but_unverified() {
        let mut s = StepState::new("t0");
        apply(
            &mut s,
            Event::Probed {
                probes: vec![probe(Status::Pass)],
                outputs: BTreeMap::new(),
                blocked: None,
                inputs: BTreeMap::new(),
            },
            "t1",
        )
        .unwrap();
        apply(
            &mut s,
            Event::Probed {
                probes: vec![probe(Status::Fail)],
                outputs: BTreeMap::new(),
                blocked: None,
                inputs: BTreeMap::new(),
            },
            "t2",
        )
        .unwrap();
        assert_eq!((s.phase, s.verified, s.status()), (Phase::Done, Some(false), Status::Fail));
    }

    fn skip() -> Event {
        Event::Skip { by: "arn:aws:iam::123456789012:user/ana".into(), reason: "done by hand".into() }
    }

    #[test]
    fn a_skip_records_who_when_and_why_until_unskipped() {
        let mut s = StepState::new("t0");
        apply(&mut s, skip(), "t1").unwrap();
        assert_eq!(s.status(), Status::Skipped);
        assert_eq!(
            s.skip.as_ref().unwrap().text(),
            "skipped by arn:aws:iam::123456789012:user/ana at t1: done by hand"
        );
        apply(&mut s, Event::Unskip, "t2").unwrap();
        assert_eq!((s.phase, s.skip.is_none()), (Phase::Pending, true));
    }

    #[test]
    fn invalid_transitions_are_refused() {
        let mut s = StepState::new("t0");
        assert!(apply(&mut s, Event::Succeeded { outputs: BTreeMap::new() }, "t").is_err());
        assert!(apply(&mut s, Event::Unskip, "t").is_err());
        apply(&mut s, skip(), "t").unwrap();
        assert!(apply(&mut s, Event::Start, "t").is_err());
        apply(&mut s, Event::Unskip, "t").unwrap();
        apply(&mut s, Event::Start, "t").unwrap();
        assert!(apply(&mut s, Event::Start, "t").is_err());
        assert!(apply(&mut s, skip(), "t").is_err());
        assert!(
            apply(
                &mut s,
                Event::Probed { probes: vec![], outputs: BTreeMap::new(), blocked: None, inputs: BTreeMap::new() },
                "t"
            )
            .is_err()
        );
    }

    #[test]
    fn confirmation_settles_manual_probes() {
        let mut s = StepState::new("t0");
        apply(
            &mut s,
            Event::Probed {
                probes: vec![probe(Status::Manual)],
                outputs: BTreeMap::new(),
                blocked: None,
                inputs: BTreeMap::new(),
            },
            "t1",
        )
        .unwrap();
        assert_eq!(s.status(), Status::Manual);
        let inputs: BTreeMap<String, String> = [("repo".to_string(), "Acme/app".to_string())].into();
        apply(&mut s, Event::Confirm { inputs: inputs.clone(), by: "arn:aws:iam::1:user/ana".into() }, "t2").unwrap();
        assert_eq!((s.status(), s.verified), (Status::Pass, Some(true)));
        assert!(s.confirmed_for(&inputs));
        let other: BTreeMap<String, String> = [("repo".to_string(), "Other/repo".to_string())].into();
        assert!(!s.confirmed_for(&other), "a confirmation is bound to the values confirmed");
    }

    #[test]
    fn a_record_made_with_other_inputs_says_which() {
        let mut s = StepState::new("t0");
        let inputs: BTreeMap<String, String> = [("project".to_string(), "ctrlc2".to_string())].into();
        let event =
            Event::Probed { probes: vec![probe(Status::Fail)], outputs: BTreeMap::new(), blocked: None, inputs };
        apply(&mut s, event, "t1").unwrap();
        let now: BTreeMap<String, String> = [("project".to_string(), "comafi".to_string())].into();
        assert_eq!(s.other_inputs(&now), Some(vec![("project".to_string(), "ctrlc2".to_string())]));
        let same: BTreeMap<String, String> = [("project".to_string(), "ctrlc2".to_string())].into();
        assert_eq!(s.other_inputs(&same), None);
        assert_eq!(s.other_inputs(&BTreeMap::new()), None, "a value not known now is not a difference");
    }

    #[test]
    fn a_blocked_record_is_never_a_pass() {
        let mut s = StepState::new("t0");
        let event = Event::Probed {
            probes: vec![probe(Status::Pass)],
            outputs: BTreeMap::new(),
            blocked: Some("needs x, which fails: …".into()),
            inputs: BTreeMap::new(),
        };
        apply(&mut s, event, "t1").unwrap();
        assert_eq!(s.status(), Status::Blocked);
        assert_eq!(s.verified, Some(false));
    }

    #[test]
    fn interrupted_steps_become_failed() {
        let mut state = RunState::default();
        let mut s = StepState::new("t0");
        apply(&mut s, Event::Start, "t1").unwrap();
        state.steps_mut("1/r", "c").insert("s".into(), s);
        assert_eq!(recover_interrupted(&mut state), 1);
        let s = &state.scopes["1/r"].checklists["c"]["s"];
        assert_eq!(s.phase, Phase::Failed);
        assert!(s.error.as_ref().unwrap().starts_with("interrupted"));
    }
}
