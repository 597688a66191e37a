//! The CLI as a front end of the runner: live progress on stderr, each step's
//! result on stdout as it finishes, and consent asked with inquire.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::BoxFut;
use crate::aws::exec::{Activity, Change, Sink};
use crate::engine::model::Step;
use crate::runner::{Confirm, Frontend, StepReport};

use super::pager;
use super::render::{self, step_block};
use crate::front::prompt;
use crate::front::setup::interactive;

/// The step a command is in, for what Ctrl-C says it interrupted.
static IN_STEP: Mutex<Option<String>> = Mutex::new(None);

/// What an interrupted command says (on stderr) before it exits 130.
pub fn interrupted(command: &str, resumes: bool) -> String {
    let at = IN_STEP.lock().unwrap().clone().map(|s| format!(" in {s}")).unwrap_or_default();
    if resumes {
        format!(
            "interrupted (Ctrl-C): `preflight {command}` stopped{at}; nothing more was sent. A step stopped while it \
             was changing the account is recorded as interrupted: run the same command again; it probes what is \
             there and finishes what is missing"
        )
    } else {
        format!("interrupted (Ctrl-C): `preflight {command}` stopped{at}; it changes nothing, run it again")
    }
}

pub struct CliFront {
    pub json: bool,
    pub verbose: bool,
    pub color: bool,
    /// Transfers under way, drawn as progress bars when stderr is a terminal.
    pub bars: Mutex<BTreeMap<String, ProgressBar>>,
    /// The notes said for the step in progress (cleared when a step starts).
    said: Mutex<std::collections::BTreeSet<(String, String)>>,
}

impl CliFront {
    pub fn new(json: bool, verbose: bool, color: bool) -> Self {
        Self { json, verbose, color, bars: Mutex::new(BTreeMap::new()), said: Mutex::new(Default::default()) }
    }

    /// Whether `text` has not been said yet for `step` (in this step's run).
    fn first_time(&self, step: &str, text: &str) -> bool {
        self.said.lock().unwrap().insert((step.to_string(), text.to_string()))
    }

    /// A line per transfer when it starts and ends; on a terminal, a bar that moves.
    fn progress(&self, step: &str, what: String, done: u64, total: u64) {
        if !std::io::stderr().is_terminal() {
            if done >= total {
                eprintln!("    [{step}] {}", render::progress_line(&what, done, total));
            }
            return;
        }
        let mut bars = self.bars.lock().expect("bars");
        let bar = bars.entry(what.clone()).or_insert_with(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("    [{prefix}] {msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
                    .expect("template"),
            );
            bar.set_prefix(step.to_string());
            bar.set_message(what.clone());
            bar
        });
        bar.set_position(done);
        if done >= total {
            bar.finish_and_clear();
            bars.remove(&what);
            eprintln!("    [{step}] {}", render::progress_line(&what, done, total));
        }
    }
}

impl Sink for CliFront {
    fn activity(&self, _checklist: &str, step: &str, activity: Activity) {
        match activity {
            Activity::Call { op, mutating, millis, outcome } if mutating || self.verbose => {
                let result = outcome.word(mutating);
                let resource = if op.resource.is_empty() { String::new() } else { format!(" {}", op.resource) };
                eprintln!("    [{step}] {}{resource} {result} ({millis} ms)", op.action());
            }
            // A step's look before consent and its run say the same notes: each is said once.
            Activity::Note(text) if self.verbose && self.first_time(step, &text) => eprintln!("    [{step}] {text}"),
            Activity::Info(text) if self.first_time(step, &text) => eprintln!("    [{step}] {text}"),
            // One line per wait, not per second.
            Activity::Wait { why, left, first: true } => eprintln!("    [{step}] {why}: checking again in {left} s"),
            Activity::Progress { what, done, total } => self.progress(step, what, done, total),
            Activity::Present { what, size } => {
                eprintln!("    [{step}] {what}: already there ({})", render::bytes(size))
            }
            _ => {}
        }
    }
}

impl Frontend for CliFront {
    fn step_started(&self, checklist: &str, step: &Step) {
        *IN_STEP.lock().unwrap() = Some(format!("{checklist} / {} ({})", step.id, step.title));
        self.said.lock().unwrap().clear();
        if self.verbose {
            eprintln!("  … {} {}", step.id, step.title);
        }
    }

    fn step_finished(&self, _checklist: &str, report: &StepReport) {
        *IN_STEP.lock().unwrap() = None;
        if !self.json {
            render::emit(step_block(report, self.color));
        }
    }

    fn confirm<'a>(&'a self, checklist: &'a str, step: &'a Step, changes: &'a [Change]) -> BoxFut<'a, Confirm> {
        Box::pin(async move {
            if !interactive() {
                return Confirm::CannotAsk;
            }
            // The plan's own text of each change, whole: documents and diffs included, paged
            // when they do not fit, then the changes' heads again above the question.
            let mut lines = vec![String::new(), format!("{checklist} / {}: {}", step.id, step.title)];
            lines.extend(render::changes_text(changes, true, self.color).into_iter().map(|l| format!("  {l}")));
            if pager::show(&lines, 2) {
                eprintln!("{checklist} / {}: {} (shown whole in the pager)", step.id, step.title);
                for line in render::changes_text(changes, false, self.color) {
                    eprintln!("  {line}");
                }
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
