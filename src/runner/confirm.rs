//! Confirming a manual step (a person did and checked it), with the same rules
//! from the CLI's `confirm` and the wizard's `c`: the step and what it needs
//! are probed now; a confirmation is refused while a step it needs does not
//! pass, and for a step its probes decide; it is bound to the values of the
//! inputs its probes use.

use std::collections::BTreeMap;

use super::{ChecklistReport, Mode, Options, Runner, Stop};
use crate::engine::model::Checklist;
use crate::engine::outcome::Status;
use crate::engine::state::Event;

/// Why a confirmation was refused, and what to do instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub why: String,
    pub fix: Option<String>,
}

impl Runner {
    /// Probes `step` and what it needs, then records the confirmation (the
    /// values it is bound to), or says why not. The caller holds the job lock.
    pub async fn confirm_step(
        &mut self,
        checklist: &Checklist,
        step: &str,
    ) -> Result<(ChecklistReport, Result<BTreeMap<String, String>, Refused>), Stop> {
        let id = checklist.id.as_str();
        let def = checklist.step(step).ok_or_else(|| Stop::Input(format!("checklist {id} has no step {step}")))?;
        let opts = Options {
            mode: Mode::Verify,
            step: Some(step.to_string()),
            only: false,
            probing: Default::default(),
            yes: false,
            force: false,
        };
        let report = self.run_checklist(checklist, &opts).await?;
        let refused = |why: String, fix: Option<String>| Ok(Err(Refused { why, fix }));
        let failing: Vec<_> = report
            .steps
            .iter()
            .filter(|r| r.id != step && !matches!(r.status, Status::Pass | Status::Skipped))
            .collect();
        let own = report.steps.iter().find(|r| r.id == step).expect("the step was probed");
        let verdict = if let Some(first) = failing.first() {
            refused(
                format!(
                    "not confirmed: {step} needs {}, which {} not pass now; a step is confirmed only when what it needs is in place",
                    failing.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", "),
                    if failing.len() == 1 { "does" } else { "do" },
                ),
                Some(format!("preflight run {id} --step {}, then confirm again", first.id)),
            )
        } else if own.status == Status::Blocked {
            // What it stands on in another checklist must be in place too.
            refused(
                format!(
                    "not confirmed: {step} is {}; a step is confirmed only when what it needs is in place",
                    own.error.as_deref().unwrap_or("blocked")
                ),
                own.fix.clone(),
            )
        } else if !own.probes.iter().any(|p| p.status == Status::Manual) {
            // Only what a person must decide can be confirmed: a probe that passes needs
            // nothing, and a confirmation never overrides a probe that fails.
            refused(
                format!(
                    "not confirmed: {step} is decided by its probes ({}), not by a person; nothing to confirm",
                    own.status.mark()
                ),
                Some(match own.status {
                    Status::Pass => format!("nothing: it passes (preflight verify {id})"),
                    _ => format!("preflight run {id} --step {step}"),
                }),
            )
        } else {
            let inputs = self.probe_inputs(checklist, def);
            let by = self.aws.principal_arn.clone();
            self.record(id, step, Event::Confirm { inputs: inputs.clone(), by })?;
            Ok(Ok(inputs))
        };
        verdict.map(|v| (report, v))
    }
}
