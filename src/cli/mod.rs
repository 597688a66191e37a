//! The non-interactive front end: `preflight list|status|plan|run|verify|confirm|reset`.

pub(crate) mod args;
mod completions;
mod confirm;
mod destroy;
pub(crate) mod drive;
mod front;
mod init;
mod list;
mod pager;
pub(crate) mod permissions;
pub mod render;
mod report;
mod skip;
mod status;
mod up;

use std::process::ExitCode;

use crate::BoxFut;
use crate::aws::exec::Probing;
use crate::front::setup;
pub use crate::front::setup::Failure;
use crate::front::setup::usage as usage_error;
use crate::runner::{Mode, Options};
pub use args::Global;
use args::{Cli, Command};

/// The wizard, handed in by the binary: no front end imports another (what
/// both need is in `crate::front`).
pub type Wizard = for<'a> fn(&'a Global, Option<String>, bool) -> BoxFut<'a, Result<u8, Failure>>;

pub fn main(wizard: Wizard) -> ExitCode {
    let cli = parse();
    // One TLS crypto provider for every client (the registry's as well as AWS's): ring, not aws-lc.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Probes run in tasks on the workers; the SDK's futures are deep: the main thread's stack size for them.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Ctrl-C: the wizard handles it itself; a command says what it interrupted and exits 130.
    let (name, resumes) = match &cli.command {
        None | Some(Command::Tui { .. }) => (None, false),
        Some(c) => (
            Some(command_name(c)),
            matches!(c, Command::Run { .. } | Command::Up { .. } | Command::Confirm { .. } | Command::Destroy { .. }),
        ),
    };
    // Ctrl-C (not in the wizard, which handles it): said at once by a task of its own, even while
    // the command waits on AWS; while a pager shows a consent's text, Ctrl-C is the pager's.
    if let Some(name) = name {
        runtime.spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if pager::showing() {
                    continue;
                }
                eprintln!("\n{}", front::interrupted(name, resumes));
                // The process ends now: the job lock goes with it; the state was written step by step.
                std::process::exit(130);
            }
        });
    }
    // The command's future is deep (the SDK's): it lives on the heap, not on the main thread's stack.
    let outcome = runtime.block_on(Box::pin(dispatch(cli, wizard)));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("{}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// The arguments; each command that takes a checklist lists the built-in ones in its help.
fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Cli::command();
    let ids: Vec<String> = setup::checklists(&crate::engine::library::Library::builtin())
        .map(|l| l.all.iter().map(|c| c.id.clone()).collect())
        .unwrap_or_default();
    if !ids.is_empty() {
        let text = format!("Checklists: {} (built in; `preflight list` shows their steps)", ids.join(", "));
        for name in
            ["tui", "up", "status", "plan", "run", "verify", "permissions", "confirm", "skip", "unskip", "reset"]
        {
            command = command.mut_subcommand(name, |c| c.after_help(text.clone()));
        }
    }
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

/// The subcommand's name, as typed.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Tui { .. } => "tui",
        Command::Init { .. } => "init",
        Command::Up { .. } => "up",
        Command::Destroy { .. } => "destroy",
        Command::Report { .. } => "report",
        Command::List { .. } => "list",
        Command::Status { .. } => "status",
        Command::Plan { .. } => "plan",
        Command::Run { .. } => "run",
        Command::Verify { .. } => "verify",
        Command::Permissions { .. } => "permissions",
        Command::Confirm { .. } => "confirm",
        Command::Skip { .. } => "skip",
        Command::Unskip { .. } => "unskip",
        Command::Reset { .. } => "reset",
        Command::Completions { .. } => "completions",
    }
}

async fn dispatch(cli: Cli, wizard: Wizard) -> Result<u8, Failure> {
    let g = &cli.global;
    let Some(command) = cli.command else {
        if setup::interactive() {
            return wizard(g, None, false).await;
        }
        return Err(usage_error(format!(
            "no command given and no terminal for the wizard\n\n{}",
            <Cli as clap::CommandFactory>::command().render_help()
        )));
    };
    match command {
        Command::Tui { checklist, yes } => wizard(g, checklist, yes).await,
        Command::Init { yes, force } => init::init(g, yes, force),
        Command::Up { yes, only, skip, json } => up::up(g, up::UpArgs { yes, json, only, skip }).await,
        Command::Destroy { checklists, plan, yes, secret_recovery_days, force_delete_secrets, json } => {
            let secret_days = (!force_delete_secrets).then_some(secret_recovery_days);
            destroy::destroy(g, destroy::DestroyArgs { checklists, plan, yes, secret_days, json }).await
        }
        Command::Report { format, output } => report::report(g, format, output).await,
        Command::List { inputs, json } => list::list(g, inputs, json).await,
        Command::Status { checklist, json } => status::status(g, checklist, json).await,
        Command::Plan { checklist, step, deep, json } => {
            drive::drive(
                g,
                vec![checklist],
                Options {
                    mode: Mode::Plan,
                    step,
                    only: false,
                    probing: Probing { deep, invoke: false },
                    yes: false,
                    force: false,
                },
                json,
                false,
            )
            .await
        }
        Command::Run { checklist, step, yes, force, deep, json } => {
            drive::drive(
                g,
                vec![checklist],
                Options { mode: Mode::Run, step, only: false, probing: Probing { deep, invoke: false }, yes, force },
                json,
                false,
            )
            .await
        }
        Command::Verify { checklists, all, deep, invoke, json } => {
            let ids = match (checklists.is_empty(), all) {
                (true, false) => {
                    return Err(usage_error("name the checklists to verify, or pass --all (see `preflight list`)"));
                }
                (false, true) => {
                    return Err(usage_error("name checklists or pass --all, not both"));
                }
                (true, true) => setup::checklists(&setup::library(g)?)?.all.into_iter().map(|c| c.id).collect(),
                (false, false) => checklists,
            };
            drive::drive(
                g,
                ids,
                Options {
                    mode: Mode::Verify,
                    step: None,
                    only: false,
                    probing: Probing { deep, invoke },
                    yes: false,
                    force: false,
                },
                json,
                g.strict,
            )
            .await
        }
        Command::Permissions { checklists, all, verify, json } => {
            let ids = match (checklists.is_empty(), all) {
                (true, false) => {
                    return Err(usage_error(
                        "name the checklists whose permissions to print, or pass --all (see `preflight list`)",
                    ));
                }
                (false, true) => return Err(usage_error("name checklists or pass --all, not both")),
                (true, true) => setup::checklists(&setup::library(g)?)?.all.into_iter().map(|c| c.id).collect(),
                (false, false) => checklists,
            };
            permissions::permissions(g, ids, verify, json).await
        }
        Command::Confirm { checklist, step } => confirm::confirm(g, &checklist, &step).await,
        Command::Skip { checklist, step, reason } => skip::skip(g, &checklist, &step, true, reason).await,
        Command::Unskip { checklist, step } => skip::skip(g, &checklist, &step, false, None).await,
        Command::Completions { shell } => completions::completions(shell),
        Command::Reset { checklist, step } => confirm::reset(g, &checklist, step.as_deref()).await,
    }
}
