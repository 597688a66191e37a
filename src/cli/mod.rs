//! The non-interactive front end: `preflight list|status|plan|run|verify|confirm|reset`.

pub(crate) mod args;
mod front;
mod list;
pub(crate) mod prompt;
pub mod render;
pub(crate) mod setup;
mod status;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::BoxFut;
use crate::aws::exec::Probing;
use crate::engine::inputs::Values;
use crate::engine::model::{Checklist, InputDef};
use crate::engine::outcome::Status;
use crate::engine::state::{self, Event, scope_key};
use crate::engine::store::{self, Store, state_dir};
use crate::engine::{order, usage};
use crate::runner::{Mode, Options, Runner, Stop};
pub use args::Global;
use args::{Cli, Command};
use front::CliFront;
use render::color_enabled;
pub use setup::Failure;
use setup::{EXIT_AWS, EXIT_FAIL, usage as usage_error};

/// The wizard, handed in by the binary: the CLI front end does not import the
/// TUI (which builds on the CLI's setup), so the two do not form a circle.
pub type Wizard = for<'a> fn(&'a Global, Option<String>, bool) -> BoxFut<'a, Result<u8, Failure>>;

pub fn main(wizard: Wizard) -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    match runtime.block_on(dispatch(cli, wizard)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("{}", f.message);
            ExitCode::from(f.code)
        }
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
        Command::List { inputs, json } => list::list(g, inputs, json).await,
        Command::Status { checklist, json } => status::status(g, checklist, json).await,
        Command::Plan { checklist, step, json } => {
            drive(
                g,
                vec![checklist],
                Options { mode: Mode::Plan, step, only: false, probing: Probing::default(), yes: false },
                json,
                false,
            )
            .await
        }
        Command::Run { checklist, step, yes, json } => {
            drive(
                g,
                vec![checklist],
                Options { mode: Mode::Run, step, only: false, probing: Probing::default(), yes },
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
            drive(
                g,
                ids,
                Options { mode: Mode::Verify, step: None, only: false, probing: Probing { deep, invoke }, yes: false },
                json,
                g.strict,
            )
            .await
        }
        Command::Confirm { checklist, step } => edit_state(g, &checklist, Some(&step), true).await,
        Command::Reset { checklist, step } => edit_state(g, &checklist, step.as_deref(), false).await,
    }
}

/// The inputs the selected steps need, each name once.
fn needed(
    selected: &[&Checklist],
    step: Option<&str>,
    library: &crate::engine::library::Library,
    probes_only: bool,
) -> Vec<InputDef> {
    let mut seen = BTreeMap::new();
    for c in selected {
        for def in usage::needed_inputs(c, &order::selection(&c.steps, step), library, probes_only) {
            seen.entry(def.name.clone()).or_insert(def);
        }
    }
    seen.into_values().collect()
}

async fn drive(g: &Global, ids: Vec<String>, opts: Options, json: bool, strict: bool) -> Result<u8, Failure> {
    let library = setup::library(g)?;
    let lists = setup::checklists(&library)?;
    let selected: Vec<&Checklist> = ids.iter().map(|id| setup::pick(&lists, id)).collect::<Result<_, _>>()?;
    for c in &selected {
        setup::check_step(c, opts.step.as_deref())?;
    }
    let defs = needed(&selected, opts.step.as_deref(), &library, opts.mode == Mode::Verify);
    let profile = setup::profile(g)?;
    let (provided, warnings) = setup::provided(g, &profile, &defs, &lists)?;
    warnings.iter().for_each(|w| eprintln!("{w}"));
    setup::precheck(&defs, &provided)?;
    let aws = Arc::new(setup::connect(g, &lists).await?);
    if let Some(m) = profile.expect.mismatch(&aws.account_id, &aws.region) {
        // Reading the wrong account is harmless; changing it is not.
        if opts.mode == Mode::Run {
            return Err(usage_error(format!(
                "error: {m} (the profile's [expect]); nothing was changed\n  fix: use the intended credentials (--profile, --region), or correct [expect] in {}",
                g.profile_path().display()
            )));
        }
        eprintln!("warning: {m} (the profile's [expect]); check --profile and --region");
    }
    let values: Values = setup::resolve(g, &defs, &provided, &aws)?;

    let dir = state_dir(&g.profile_path());
    let (store, state) = if opts.mode == Mode::Plan {
        (None, store::read(&dir).map_err(usage_error)?)
    } else {
        let store = Store::lock(&dir).map_err(usage_error)?;
        let state = store.load().map_err(usage_error)?;
        (Some(Arc::new(store)), state)
    };
    let color = color_enabled();
    let front = Arc::new(CliFront { json, verbose: g.verbose, color });
    let mut runner = Runner { aws: aws.clone(), library: Arc::new(library), values, front, store, state };
    if !json {
        render::emit(render::banner(&aws));
    }
    let mut reports = Vec::new();
    for c in &selected {
        if !json {
            render::emit(format_args!("\n{}", render::checklist_heading(&c.id, &c.title)));
        }
        match runner.run_checklist(c, &opts).await {
            Ok(report) => reports.push(report),
            Err(Stop::Aws(e)) => {
                let fix = e.fix().map(|f| format!("\n  fix: {f}")).unwrap_or_default();
                return Err(Failure { code: EXIT_AWS, message: format!("error: {e}{fix}") });
            }
            Err(Stop::NeedsConsent { checklist, step, changes }) => {
                let list: Vec<String> = changes
                    .iter()
                    .map(|c| format!("  {}:{} {} — {}", c.service, c.operation, c.resource, c.detail))
                    .collect();
                return Err(usage_error(format!(
                    "error: step {checklist}/{step} would change the account and there is no terminal to ask for consent:\n{}\n  fix: review `preflight plan {checklist}`, then run again with --yes",
                    list.join("\n")
                )));
            }
            Err(Stop::State(e)) => return Err(usage_error(format!("error: {e}"))),
        }
    }
    if strict {
        for step in reports.iter_mut().flat_map(|r| r.steps.iter_mut()) {
            if step.status == Status::Manual && !step.confirmed {
                step.status = Status::Fail;
                step.error = Some(format!(
                    "--strict: manual step not confirmed (preflight confirm CHECKLIST --step {})",
                    step.id
                ));
            }
        }
    }
    let command = match opts.mode {
        Mode::Verify => "verify",
        Mode::Plan => "plan",
        Mode::Run => "run",
    };
    if json {
        render::emit(serde_json::to_string_pretty(&render::document(command, &aws, &reports)).expect("json"));
    } else {
        render::emit(format_args!("\n{command}: {}", crate::runner::tally(reports.iter().flat_map(|r| &r.steps))));
    }
    let failed = reports.iter().flat_map(|r| &r.steps).any(|s| match opts.mode {
        Mode::Plan => false,
        Mode::Verify => matches!(s.status, Status::Fail | Status::Error),
        Mode::Run => matches!(s.status, Status::Fail | Status::Error | Status::Pending),
    });
    Ok(if failed { EXIT_FAIL } else { 0 })
}

/// `confirm` (record a manual step as checked) and `reset` (forget state).
async fn edit_state(g: &Global, id: &str, step: Option<&str>, confirm: bool) -> Result<u8, Failure> {
    let library = setup::library(g)?;
    let lists = setup::checklists(&library)?;
    let checklist = setup::pick(&lists, id)?;
    setup::check_step(checklist, step)?;
    let aws = setup::connect(g, &lists).await?;
    setup::profile(g)?;
    let store = Store::lock(&state_dir(&g.profile_path())).map_err(usage_error)?;
    let mut st = store.load().map_err(usage_error)?;
    let scope = scope_key(&aws.account_id, &aws.region);
    let steps = st.steps_mut(&scope, id);
    let now = crate::runner::now();
    if confirm {
        let step = step.expect("clap requires --step");
        let def = checklist.step(step).expect("checked");
        if !def.probes.iter().any(|p| p.call.kind == "manual.confirm") && def.action.is_some() {
            return Err(usage_error(format!(
                "step {id}/{step} is checked by its probes, not by a person; nothing to confirm (run `preflight verify {id}`)"
            )));
        }
        let entry = steps.entry(step.to_string()).or_insert_with(|| state::StepState::new(&now));
        state::apply(entry, Event::Confirm, &now).map_err(usage_error)?;
        render::emit(format_args!("confirmed {id}/{step} in {scope}"));
    } else {
        match step {
            Some(s) => {
                steps.remove(s);
            }
            None => steps.clear(),
        }
        render::emit(format_args!(
            "forgot the recorded state of {id}{} in {scope} (nothing changed in AWS)",
            step.map(|s| format!("/{s}")).unwrap_or_default()
        ));
    }
    store.save(&st).map_err(usage_error)?;
    Ok(0)
}
