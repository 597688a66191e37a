//! `destroy`: what preflight made in this account and region (its audit log,
//! read by `engine::owned`), undone newest first through the same `Exec` as a
//! run: planned (nothing sent), consented to, then made with each thing's
//! changes held to the plan. Each undo is written to the audit log as it ends,
//! so a destroy killed at any point is finished by the next; each step whose
//! making is all undone is recorded as destroyed.

use std::collections::VecDeque;

use serde_json::json;

use super::{Runner, Stop, now};
use crate::aws::change::Change;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Probing;
use crate::engine::owned::Made;
use crate::engine::state::Event;
use crate::kinds::registry;
use crate::kinds::undo::{Undoing, Undone};

/// One thing preflight made, and what undoing it came to.
#[derive(Debug)]
pub struct Undo {
    pub made: Made,
    /// Why it could not be undone: the AWS error, with its fix.
    pub outcome: Result<Undone, AwsError>,
    /// The changes (planned, or made).
    pub changes: Vec<Change>,
}

impl Undo {
    pub fn refused(&self) -> bool {
        matches!(self.outcome, Ok(Undone::Refused(_)) | Err(_))
    }
}

impl Runner {
    /// Undoes `u.chosen`'s things, newest first. A plan (`consented` None)
    /// sends no change and goes through all of them; a run holds each thing's
    /// changes to the plan's and stops at the first that fails.
    pub async fn undo(&mut self, u: &Undoing, consented: Option<&[Undo]>) -> Result<Vec<Undo>, Stop> {
        let apply = consented.is_some();
        let chosen: Vec<Made> = u.everything.iter().rev().filter(|m| u.chosen.contains(&m.thing)).cloned().collect();
        if apply {
            // What was read while the plan was shown is read again.
            self.shared.forget();
        }
        let mut out = Vec::new();
        for made in chosen {
            let mut x = self.exec(&made.checklist, &made.step, apply, Probing::default());
            if let Some(plan) = consented {
                let planned = plan.iter().find(|p| p.made.thing == made.thing);
                x.consented =
                    Some(planned.map(|p| p.changes.clone()).unwrap_or_default().into_iter().collect::<VecDeque<_>>());
            }
            let outcome = registry::undo(&mut x, &made.thing, u).await;
            if let Err(e) = &outcome
                && e.is_fatal()
            {
                return Err(Stop::Aws(e.clone()));
            }
            let undo = Undo { made, outcome, changes: std::mem::take(&mut x.changes) };
            if apply {
                let failed = undo.refused();
                if matches!(undo.outcome, Ok(Undone::Removed | Undone::Gone(_))) {
                    self.undone(&undo.made)?;
                }
                out.push(undo);
                if failed {
                    break;
                }
            } else {
                out.push(undo);
            }
        }
        if apply {
            self.record_destroyed(u, &out)?;
        }
        Ok(out)
    }

    /// What the account's tags say this project's preflight made (see `registry::tagged`).
    pub async fn tagged(&self, project: &str) -> Result<Vec<(crate::engine::owned::Thing, String)>, Stop> {
        let x = self.exec("", "destroy", false, Probing::default());
        match registry::tagged(&x, project).await {
            Ok(found) => Ok(found),
            Err(e) if e.is_fatal() => Err(Stop::Aws(e)),
            // A listing the caller may not read: the permission check names it, with its grant.
            Err(e) => {
                x.info(format!("what the account's tags say preflight made could not be read: {e}"));
                Ok(Vec::new())
            }
        }
    }

    /// Writes to the audit log that this thing is undone (`engine::owned` reads it).
    fn undone(&self, made: &Made) -> Result<(), Stop> {
        let Some(store) = &self.store else { return Ok(()) };
        let line = json!({
            "time": now(), "account": self.aws.account_id, "region": self.aws.region,
            "caller": self.aws.principal_arn, "pid": std::process::id(),
            "checklist": made.checklist, "step": made.step,
            "service": "preflight", "operation": "Undo", "resource": made.thing.label(), "outcome": "ok",
            "thing": made.thing.key(), "global": made.thing.global(),
        });
        store.append_audit(&line).map_err(Stop::State)
    }

    /// Each step of the chosen checklists that made something, of which nothing is
    /// left (undone now, or by an earlier destroy that was killed before it recorded
    /// it), is pending again, destroyed.
    fn record_destroyed(&mut self, u: &Undoing, done: &[Undo]) -> Result<(), Stop> {
        let removed = |m: &Made| {
            done.iter().any(|d| d.made.thing == m.thing && matches!(d.outcome, Ok(Undone::Removed | Undone::Gone(_))))
        };
        for (checklist, step) in &u.makers {
            let left = u.everything.iter().any(|m| &m.checklist == checklist && &m.step == step && !removed(m));
            let recorded = self.step_state(checklist, step).is_some_and(|s| s.destroyed.is_some());
            if !left && !recorded {
                let by = self.aws.principal_arn.clone();
                self.record(checklist, step, Event::Destroyed { by })?;
            }
        }
        Ok(())
    }

    /// The calls of a planned destroy, for the permission check, by `checklist/step`:
    /// its changes as planned, and what each undo may call (a plan that a denied
    /// read cut short is checked for what would have followed too).
    pub fn undo_calls(&self, plan: &[Undo]) -> Vec<(Op, String)> {
        let x = self.exec("", "destroy", false, Probing::default());
        let tags = registry::tagged_calls(&x).into_iter().map(|op| (op, "destroy (what the tags say)".to_string()));
        tags.chain(plan.iter().flat_map(|u| {
            let who = format!("{}/{}", u.made.checklist, u.made.step);
            let planned = u.changes.iter().map(|c| Op::new(c.service, c.operation, &c.resource));
            let declared = registry::undo_calls(&x, &u.made.thing);
            planned.chain(declared).map(move |op| (op, who.clone())).collect::<Vec<_>>()
        }))
        .collect()
    }
}
