//! Before a run's first change, beside the permission check: every fact the
//! run depends on and cannot make itself, read without changing anything —
//! what the steps stand on in other checklists (the image in the registry, the
//! secrets, the task role), and the probes a checklist marks `precondition`
//! (each container secret holds the key the task definition names, the subnets
//! and groups the profile names exist). One that does not hold stops the run
//! before anything is changed, naming the fact and its fix.

use super::{Options, Runner, Stop};
use crate::engine::model::{Checklist, foreign};
use crate::engine::outcome::Status;

/// A fact a run depends on that does not hold.
#[derive(Debug, Clone)]
pub struct Unmet {
    /// `checklist/step` that depends on it.
    pub step: String,
    pub fact: String,
    pub fix: Option<String>,
}

impl Runner {
    /// The facts the selected steps depend on that do not hold; empty when
    /// they all do, or when the run would change nothing.
    pub async fn check_preconditions(&mut self, checklists: &[&Checklist], opts: &Options) -> Result<Vec<Unmet>, Stop> {
        let mut unmet = Vec::new();
        let mut changes = false;
        for (i, checklist) in checklists.iter().enumerate() {
            // Checklists earlier in this run (`up`) are run first: what they make is no precondition.
            let earlier: Vec<&str> = checklists[..i].iter().map(|c| c.id.as_str()).collect();
            for idx in Self::selection(checklist, opts) {
                let step = &checklist.steps[idx];
                let Some((probes, acts)) = self.will_act(checklist, step, opts).await else { continue };
                changes |= acts;
                let who = format!("{}/{}", checklist.id, step.id);
                // A step standing on what an earlier checklist of this run is to make: its
                // facts are checked when its checklist's turn comes (`up` checks each then).
                let mut later = false;
                for (other, id) in step.needs.iter().filter_map(|n| foreign(n)) {
                    let need =
                        self.judge_step(other.to_string(), id.to_string(), opts.probing, Default::default()).await?;
                    if need.blocks() && earlier.contains(&other) {
                        later = true;
                    } else if need.blocks() {
                        let fact = format!("it {}", need.sentence());
                        unmet.push(Unmet { step: who.clone(), fact, fix: need.fix.clone() });
                    }
                }
                if later {
                    continue;
                }
                for (def, r) in step.probes.iter().zip(&probes) {
                    if def.precondition && matches!(r.status, Status::Fail | Status::Error) {
                        unmet.push(Unmet { step: who.clone(), fact: r.message.clone(), fix: r.fix.clone() });
                    }
                }
            }
        }
        if !changes {
            unmet.clear();
        }
        // The same fact seen twice (a probe, and the need of another checklist) is said once.
        let mut seen = std::collections::BTreeSet::new();
        unmet.retain(|u| u.fix.is_none() || seen.insert((u.step.clone(), u.fix.clone())));
        Ok(unmet)
    }
}
