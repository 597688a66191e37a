//! The CLI as a front end of the runner: live progress on stderr, each step's
//! result on stdout as it finishes, and consent asked with inquire.

use crate::BoxFut;
use crate::aws::exec::{Activity, Change, Sink};
use crate::engine::model::Step;
use crate::runner::{Confirm, Frontend, StepReport};

use super::prompt;
use super::render::{self, step_block};
use super::setup::interactive;

pub struct CliFront {
    pub json: bool,
    pub verbose: bool,
    pub color: bool,
}

impl Sink for CliFront {
    fn activity(&self, _checklist: &str, step: &str, activity: Activity) {
        match activity {
            Activity::Call { op, mutating, millis, outcome } if mutating || self.verbose => {
                let result = outcome.word(mutating);
                let resource = if op.resource.is_empty() { String::new() } else { format!(" {}", op.resource) };
                eprintln!("    [{step}] {}{resource} {result} ({millis} ms)", op.action());
            }
            Activity::Note(text) if self.verbose => eprintln!("    [{step}] {text}"),
            // One line per wait, not per second.
            Activity::Wait { why, left, first: true } => eprintln!("    [{step}] {why}: checking again in {left} s"),
            _ => {}
        }
    }
}

impl Frontend for CliFront {
    fn step_started(&self, _checklist: &str, step: &Step) {
        if self.verbose {
            eprintln!("  … {} {}", step.id, step.title);
        }
    }

    fn step_finished(&self, _checklist: &str, report: &StepReport) {
        if !self.json {
            render::emit(step_block(report, self.color));
        }
    }

    fn confirm<'a>(&'a self, checklist: &'a str, step: &'a Step, changes: &'a [Change]) -> BoxFut<'a, Confirm> {
        Box::pin(async move {
            if !interactive() {
                return Confirm::CannotAsk;
            }
            eprintln!("\n{checklist} / {}: {}", step.id, step.title);
            for c in changes {
                eprintln!("  {}:{} {} — {}", c.service, c.operation, c.resource, c.detail);
            }
            let question =
                format!("Make {} change{} to the account?", changes.len(), if changes.len() == 1 { "" } else { "s" });
            match tokio::task::block_in_place(|| prompt::confirm(&question)) {
                Ok(true) => Confirm::Yes,
                _ => Confirm::No,
            }
        })
    }
}
