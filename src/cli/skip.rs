//! `skip` and `unskip`: a step left out on purpose is a decision on record —
//! who (the caller's ARN), when and why — shown by `status` and `verify`, and
//! failed by `verify --strict`. Nothing changes in AWS.

use super::render;
use crate::engine::state::{Event, StepState, apply, scope_key};
use crate::engine::store::{Store, state_dir};
use crate::front::options::Global;
use crate::front::prompt;
use crate::front::setup::{self, Failure, interactive, usage};
use crate::runner::now;

/// Records a skip (with `reason`), or with `reason` None and `skip` false, takes it back.
pub async fn skip(g: &Global, id: &str, step: &str, skip: bool, reason: Option<String>) -> Result<u8, Failure> {
    let (_, lists, profile) = setup::load(g)?;
    setup::check_step(setup::pick(&lists, id)?, Some(step))?;
    let reason = match (skip, reason.map(|r| r.trim().to_string())) {
        (false, _) => None,
        (true, Some(r)) if !r.is_empty() => Some(r),
        (true, _) if interactive() => Some(prompt::reason(&format!("Why skip {id}/{step}?")).map_err(usage)?),
        (true, _) => {
            return Err(usage(format!(
                "error: a skip is recorded with why: --reason is missing\n  fix: preflight skip {id} --step {step} --reason \"done by hand: …\""
            )));
        }
    };
    let aws = setup::connect(g, &lists).await?;
    let store = Store::open(&state_dir(&profile.path));
    let what = if skip { "skip" } else { "unskip" };
    let _job = store.begin_job(&format!("preflight {what} {id} --step {step}"), &now()).map_err(usage)?;
    let scope = scope_key(&aws.account_id, &aws.region);
    let at = now();
    let event = match &reason {
        Some(reason) => Event::Skip { by: aws.principal_arn.clone(), reason: reason.clone() },
        None => Event::Unskip,
    };
    let record = store
        .update(|st| {
            let state = st.steps_mut(&scope, id).entry(step.to_string()).or_insert_with(|| StepState::new(&at));
            apply(state, event, &at).map_err(|e| format!("{id}/{step}: {e}"))?;
            Ok(state.skip.clone())
        })
        .map_err(|e| usage(format!("error: {e}")))?;
    render::emit(match record {
        Some(skip) => format!(
            "{id}/{step} in {scope}: {}\n  `verify --strict` fails it; `preflight unskip {id} --step {step}` takes it back",
            skip.text()
        ),
        None => format!("{id}/{step} in {scope}: no longer skipped; the next run probes it (nothing changed in AWS)"),
    });
    Ok(0)
}
