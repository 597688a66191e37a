//! `preflight completions SHELL`: a completion script (clap_complete) that
//! completes subcommands, flags, the built-in checklists' ids where a
//! checklist goes, and their step ids after `--step` (each with the checklists
//! it belongs to, where the shell shows descriptions).

use clap::CommandFactory;
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap_complete::Shell;

use super::args::Cli;
use crate::engine::library::Library;
use crate::front::setup::{self, Failure};

/// The commands that take a checklist (as `checklist` or `checklists`) and a `--step`.
const WITH_CHECKLIST: [&str; 10] =
    ["tui", "status", "plan", "run", "verify", "permissions", "confirm", "skip", "unskip", "reset"];

pub fn completions(shell: Shell) -> Result<u8, Failure> {
    let lists = setup::checklists(&Library::builtin())?;
    // clap's values are 'static: this command prints one script and ends.
    let leak = |s: &String| -> &'static str { Box::leak(s.clone().into_boxed_str()) };
    let ids: Vec<&'static str> = lists.all.iter().map(|c| leak(&c.id)).collect();
    // Each step id with the checklists that have it (zsh and fish show it beside the id).
    let mut owners: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for c in &lists.all {
        for s in &c.steps {
            owners.entry(s.id.as_str()).or_default().push(c.id.as_str());
        }
    }
    let steps: Vec<PossibleValue> = owners
        .iter()
        .map(|(step, cs)| PossibleValue::new(leak(&step.to_string())).help(format!("step of {}", cs.join(", "))))
        .collect();
    // Only the script's command knows the values; parsing stays open to --library checklists.
    let mut command = Cli::command();
    for name in WITH_CHECKLIST {
        command = command.mut_subcommand(name, |mut c| {
            for arg in ["checklist", "checklists"] {
                if c.get_arguments().any(|a| a.get_id() == arg) {
                    c = c.mut_arg(arg, |a| a.value_parser(PossibleValuesParser::new(ids.clone())));
                }
            }
            if c.get_arguments().any(|a| a.get_id() == "step") {
                c = c.mut_arg("step", |a| a.value_parser(PossibleValuesParser::new(steps.clone())));
            }
            c
        });
    }
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "preflight", &mut script);
    // A reader that stops early (`| head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
    Ok(0)
}
