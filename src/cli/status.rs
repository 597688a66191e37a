//! `preflight status`: the recorded state, without probing anything.

use serde_json::json;

use super::render::{self, color_enabled, overall, step_block, step_json};
use crate::front::options::Global;
use crate::front::setup::{self, Failure, usage};
use std::collections::BTreeMap;

use crate::aws::context::AwsContext;
use crate::engine::inputs::{self, Values};
use crate::engine::library::Library;
use crate::engine::model::{Checklist, Checklists, InputDef};
use crate::engine::profile::Profile;
use crate::engine::state::Scope;
use crate::engine::store::{Store, state_dir};
use crate::engine::usage::needed_inputs;
use crate::runner::StepReport;

/// The recorded steps of a checklist, each judged against the values its probes' inputs have now.
fn reports(checklist: &Checklist, scope: Option<&Scope>, library: &Library, values: &Values) -> Vec<StepReport> {
    let recorded = scope.and_then(|s| s.checklists.get(&checklist.id));
    checklist
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let now: BTreeMap<String, String> = needed_inputs(checklist, &[i], library, true)
                .into_iter()
                .filter_map(|d| values.inputs.get(&d.name).map(|v| (d.name, v.shown())))
                .collect();
            StepReport::recorded_for(step, recorded.and_then(|r| r.get(&step.id)), &now)
        })
        .collect()
}

/// The values the inputs have now (from the profile, --set and the defaults; none is asked for).
fn values_now(
    g: &Global,
    lists: &Checklists,
    library: &Library,
    profile: &Profile,
    aws: Option<&AwsContext>,
) -> Values {
    let mut defs: BTreeMap<String, InputDef> = BTreeMap::new();
    for c in &lists.all {
        for d in needed_inputs(c, &(0..c.steps.len()).collect::<Vec<_>>(), library, true) {
            defs.entry(d.name.clone()).or_insert(d);
        }
    }
    let defs: Vec<InputDef> = defs.into_values().collect();
    let provided = setup::provided(g, profile, &defs, lists).map(|(p, _)| p).unwrap_or_default();
    let context: BTreeMap<String, String> = aws
        .map(|a| [("account_id".to_string(), a.account_id.clone()), ("region".to_string(), a.region.clone())].into())
        .unwrap_or_default();
    inputs::resolve(&defs, &provided, &context).values
}

/// Shows the current account and region's state; when AWS cannot be reached
/// (expired credentials at 2 a.m.), every recorded account and region instead.
pub async fn status(g: &Global, only: Option<String>, json: bool) -> Result<u8, Failure> {
    let (library, lists, profile) = setup::load(g)?;
    let selected: Vec<&Checklist> = match &only {
        Some(id) => vec![setup::pick(&lists, id)?],
        None => lists.all.iter().collect(),
    };
    let state = Store::open(&state_dir(&profile.path)).load().map_err(usage)?;
    let mut values = values_now(g, &lists, &library, &profile, None);
    let scopes: Vec<(String, Option<String>)> = match setup::connect(g, &lists).await {
        Err(f) if f.code == setup::EXIT_USAGE => return Err(f),
        Ok(aws) => {
            if !json {
                render::emit(render::banner(&aws));
            }
            values = values_now(g, &lists, &library, &profile, Some(&aws));
            vec![(format!("{}/{}", aws.account_id, aws.region), Some(aws.principal_arn))]
        }
        Err(f) => {
            eprintln!(
                "warning: showing every recorded account and region, since the current one is unknown: {}",
                f.message.lines().next().unwrap_or("")
            );
            state.scopes.keys().map(|k| (k.clone(), None)).collect()
        }
    };
    let color = color_enabled();
    if !json {
        // Nothing here was probed now: say so before anything that looks like a result.
        render::emit(
            "recorded state: what earlier runs found, not verified now (`preflight verify` probes the account)",
        );
    }
    let mut docs = Vec::new();
    for (key, principal) in &scopes {
        let (account, region) = key.split_once('/').unwrap_or((key, ""));
        let scope = state.scopes.get(key);
        if !json && principal.is_none() {
            render::emit(format_args!("account {account} · region {region}"));
        }
        let mut lists = Vec::new();
        for c in &selected {
            let steps = reports(c, scope, &library, &values);
            if json {
                lists.push(json!({ "id": c.id, "title": c.title, "status": overall(&steps), "steps": steps.iter().map(step_json).collect::<Vec<_>>() }));
            } else {
                render::emit(format_args!("\n{}", render::checklist_heading(&c.id, &c.title)));
                for s in &steps {
                    let when = s.updated_at.as_deref().map(|t| format!("  (recorded {t})")).unwrap_or_default();
                    let block = step_block(s, color);
                    let (first, rest) = block.split_once('\n').map_or((block.as_str(), ""), |(a, b)| (a, b));
                    render::emit(format_args!("{first}{when}{}{rest}", if rest.is_empty() { "" } else { "\n" }));
                }
            }
        }
        docs.push(json!({ "command": "status", "recorded": true, "account": account, "principal": principal, "region": region, "checklists": lists }));
    }
    if json {
        let out = if docs.len() == 1 {
            docs.remove(0)
        } else {
            json!({ "command": "status", "recorded": true, "account": null, "region": null, "scopes": docs })
        };
        render::emit(serde_json::to_string_pretty(&out).expect("json"));
    }
    Ok(0)
}
