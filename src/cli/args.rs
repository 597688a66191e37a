//! Command-line arguments.

use clap::{Parser, Subcommand};

pub use crate::front::options::Global;

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Walks you through the AWS deploy checklists of a project, runs each step against AWS and verifies it with probes."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Without a command, in a terminal: the wizard (`preflight tui`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the wizard: checklists and steps, live runs, plans and probes, in the terminal.
    Tui {
        /// Only this checklist.
        checklist: Option<String>,
        /// Apply changes without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Write preflight.toml from what this repository says (folder, git remote, Dockerfile, .env.example, Bedrock calls, .github/).
    Init {
        /// Take what was found and the defaults, asking nothing (for scripts).
        #[arg(long)]
        yes: bool,
        /// Overwrite an existing profile (kept as PROFILE.bak).
        #[arg(long)]
        force: bool,
    },
    /// Run every checklist the profile enables (`checklists = [...]`) in deploy order, as one run: one permission check, one consent for every change, stop at the first failure.
    Up {
        /// Apply changes without asking.
        #[arg(long)]
        yes: bool,
        /// Only this checklist of the profile's (repeat for more).
        #[arg(long, value_name = "CHECKLIST")]
        only: Vec<String>,
        /// Leave this checklist out (repeat for more).
        #[arg(long, value_name = "CHECKLIST")]
        skip: Vec<String>,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Remove what preflight made in this account and region (the audit log says what), newest first; what it adopted is kept.
    Destroy {
        /// Only what these checklists made (all of them when none is named).
        checklists: Vec<String>,
        /// Show what would be removed and kept, and change nothing.
        #[arg(long)]
        plan: bool,
        /// Remove without asking.
        #[arg(long)]
        yes: bool,
        /// Days a deleted secret can still be restored (7 to 30).
        #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(i64).range(7..=30))]
        secret_recovery_days: i64,
        /// Delete secrets at once, with no recovery window.
        #[arg(long, conflicts_with = "secret_recovery_days")]
        force_delete_secrets: bool,
        /// One JSON document on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A report to hand on: the profile's checklists verified now, who verified, skipped and confirmed what, the outputs, what preflight changed, what is left.
    Report {
        /// md (GitHub renders it), html (one self-contained file) or json.
        #[arg(long, value_enum, default_value = "md")]
        format: super::report::Format,
        /// Write it to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// List the checklists and their steps; with --inputs, every input and its value.
    List {
        /// Every input: the checklists that use it, its current value and where it comes from.
        #[arg(long)]
        inputs: bool,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Show the recorded state of the checklists in the current account and region.
    Status {
        /// Only this checklist (`preflight list` shows their ids).
        checklist: Option<String>,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Show what `run` would change: each step whose probes fail and the exact API calls it would make.
    Plan {
        /// The checklist to plan (`preflight list` shows their ids).
        checklist: String,
        /// Only this step and the steps it needs.
        #[arg(long)]
        step: Option<String>,
        /// Also ask IAM's policy simulator (iam:SimulatePrincipalPolicy), for the caller's permissions and the probes.
        #[arg(long)]
        deep: bool,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Run the steps in dependency order: probe, change what fails, probe again.
    Run {
        /// The checklist to run (`preflight list` shows their ids).
        checklist: String,
        /// Only this step and the steps it needs.
        #[arg(long)]
        step: Option<String>,
        /// Apply changes without asking.
        #[arg(long)]
        yes: bool,
        /// Apply the step's action even when its probes pass (e.g. a new ECS deployment).
        #[arg(long, requires = "step")]
        force: bool,
        /// Also ask IAM's policy simulator (iam:SimulatePrincipalPolicy), for the caller's permissions and the probes.
        #[arg(long)]
        deep: bool,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Run every probe (read-only). Exit 0 all pass, 1 any fails.
    Verify {
        /// The checklists to verify (`preflight list` shows their ids), or --all.
        checklists: Vec<String>,
        /// Every checklist.
        #[arg(long)]
        all: bool,
        /// Also ask IAM's policy simulator (iam:SimulatePrincipalPolicy) for a second opinion.
        #[arg(long)]
        deep: bool,
        /// Let probes that cost money run (Bedrock: one Converse call with maxTokens 1).
        #[arg(long)]
        invoke: bool,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Print the least-privilege IAM policy a person needs to run these checklists here (--verify: to verify them).
    Permissions {
        /// The checklists whose permissions to print, or --all.
        checklists: Vec<String>,
        /// Every checklist.
        #[arg(long)]
        all: bool,
        /// The read-only policy for `preflight verify` instead.
        #[arg(long)]
        verify: bool,
        /// One JSON document on stdout instead of text (see the README for its shape).
        #[arg(long)]
        json: bool,
    },
    /// Record that you did and checked a manual step.
    Confirm {
        /// The checklist of the step.
        checklist: String,
        /// The manual step you did and checked (`preflight status CHECKLIST` marks them `?`).
        #[arg(long)]
        step: String,
    },
    /// Skip a step on purpose, on record: who (the caller), when and why; `verify --strict` fails it.
    Skip {
        /// The checklist of the step.
        checklist: String,
        /// The step to skip.
        #[arg(long)]
        step: String,
        /// Why it is skipped (asked in a terminal when not given).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Take back a skip: the step is probed and run again.
    Unskip {
        /// The checklist of the step.
        checklist: String,
        /// The skipped step.
        #[arg(long)]
        step: String,
    },
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish (see the README).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Forget the recorded state of a checklist or one step (changes nothing in AWS).
    Reset {
        /// The checklist whose record to forget.
        checklist: String,
        /// Only this step's record.
        #[arg(long)]
        step: Option<String>,
    },
}
