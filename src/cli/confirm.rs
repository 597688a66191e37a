//! `confirm` (a person checked a manual step) and `reset` (forget recorded
//! state). A confirmation is refused while a step it needs does not pass now,
//! and it is bound to the values its probes use: when they change, the step
//! is manual again.

use std::sync::Arc;

use super::front::CliFront;
use super::render::{self, color_enabled};
use crate::engine::state::scope_key;
use crate::engine::store::{Store, state_dir};
use crate::front::options::Global;
use crate::front::session::Session;
use crate::front::setup::{self, EXIT_FAIL, Failure, usage};
use crate::front::words::stopped;
use crate::runner::now;

pub async fn confirm(g: &Global, id: &str, step: &str) -> Result<u8, Failure> {
    let s = Session::open(g, &[id.to_string()], Some(step), true, true).await?;
    let checklist = s.checklists().next().expect("one checklist").clone();
    let (store, _) = s.store()?;
    let _job = store.begin_job(&format!("preflight confirm {id} --step {step}"), &now()).map_err(usage)?;
    let state = store.load().map_err(usage)?;
    let front = Arc::new(CliFront::new(false, g.verbose, color_enabled()));
    let mut runner = s.runner(front, Some(store), state);
    render::emit(render::banner(&s.aws));
    render::emit(format_args!("\n{}", render::checklist_heading(&checklist.id, &checklist.title)));
    // The steps it needs are probed now: a confirmation never outruns its step.
    let (_, verdict) = runner.confirm_step(&checklist, step).await.map_err(stopped)?;
    let inputs = match verdict {
        Ok(inputs) => inputs,
        Err(refused) => {
            eprintln!("error: {}{}", refused.why, refused.fix.map(|f| format!("\n  fix: {f}")).unwrap_or_default());
            return Ok(EXIT_FAIL);
        }
    };
    let bound = inputs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
    render::emit(format_args!(
        "\nconfirmed {id}/{step} in {}{}",
        scope_key(&s.aws.account_id, &s.aws.region),
        if bound.is_empty() {
            String::new()
        } else {
            format!(" for {bound} (a change of these makes it manual again)")
        }
    ));
    Ok(0)
}

pub async fn reset(g: &Global, id: &str, step: Option<&str>) -> Result<u8, Failure> {
    let (_, lists, profile) = setup::load(g)?;
    setup::check_step(setup::pick(&lists, id)?, step)?;
    let aws = setup::connect(g, &lists).await?;
    let store = Store::open(&state_dir(&profile.path));
    let _job = store.begin_job(&format!("preflight reset {id}"), &now()).map_err(usage)?;
    let scope = scope_key(&aws.account_id, &aws.region);
    store
        .update(|st| {
            let steps = st.steps_mut(&scope, id);
            match step {
                Some(s) => {
                    steps.remove(s);
                }
                None => steps.clear(),
            }
            Ok(())
        })
        .map_err(usage)?;
    render::emit(format_args!(
        "forgot the recorded state of {id}{} in {scope} (nothing changed in AWS)",
        step.map(|s| format!("/{s}")).unwrap_or_default()
    ));
    Ok(0)
}
