//! Running a step's probes through the registry.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Runner, Stop};
use crate::aws::error::AwsError;
use crate::aws::exec::Probing;
use crate::engine::model::{Checklist, Step};
use crate::engine::outcome::{ProbeResult, Status, step_status};
use crate::engine::template;
use crate::kinds::kind::Run;
use crate::kinds::registry;

/// Probes after a change: IAM and friends are eventually consistent, so a
/// failing probe is retried a few times (bounded) before the step is failed.
const SETTLE_DELAYS_MS: [u64; 4] = [500, 1000, 2000, 4000];

pub async fn run_probes(
    runner: &Runner,
    checklist: &Checklist,
    step: &Step,
    probing: Probing,
) -> Result<(Vec<ProbeResult>, BTreeMap<String, String>), Stop> {
    let mut results = Vec::new();
    let mut outputs = BTreeMap::new();
    // What the action would write, when its values are known (not in verify: they are not asked for).
    let wanted = step.action.as_ref().and_then(|a| a.params.get("values")).and_then(|v| {
        match template::render_toml(v, &|n| runner.values.lookup(n)) {
            Ok(toml::Value::Table(t)) => Some(t),
            _ => None,
        }
    });
    for probe in &step.probes {
        let mut x = runner.exec(&checklist.id, &step.id, false, probing);
        x.wanted = wanted.clone();
        let rendered =
            template::render_toml(&toml::Value::Table(probe.call.params.clone()), &|n| runner.values.lookup(n));
        let result = match (registry::find(&probe.call.kind).map(|k| &k.run), rendered) {
            (Some(Run::Probe(run)), Ok(toml::Value::Table(params))) => run(&mut x, probe.id.clone(), params).await,
            (_, Err(name)) => Err(AwsError::other(format!("`{{{{{name}}}}}` has no value; set the input `{name}`"))),
            _ => Err(AwsError::other(format!("{} is not a probe kind", probe.call.kind))),
        };
        match result {
            Ok(r) => results.push(r),
            Err(e) if e.is_fatal() => return Err(Stop::Aws(e)),
            Err(e) if e.kind == crate::aws::error::ErrorKind::Input => {
                let fix = e.fix().map(|f| format!("\n  fix: {f}")).unwrap_or_default();
                return Err(Stop::Input(runner.values.scrub(&format!("{e}{fix}"))));
            }
            Err(e) => {
                let mut r = ProbeResult::new(&probe.id, Status::Error, e.to_string());
                r.fix = e.fix();
                results.push(r);
            }
        }
        outputs.extend(x.outputs);
    }
    let v = &runner.values;
    for r in &mut results {
        r.message = v.scrub(&r.message);
        r.fix = r.fix.as_deref().map(|f| v.scrub(f));
    }
    let outputs = outputs.into_iter().map(|(k, val)| (k, v.scrub(&val))).collect();
    Ok((results, outputs))
}

pub async fn settle(
    runner: &Runner,
    checklist: &Checklist,
    step: &Step,
    probing: Probing,
) -> Result<(Vec<ProbeResult>, BTreeMap<String, String>), Stop> {
    let mut last = run_probes(runner, checklist, step, probing).await?;
    for (attempt, delay) in SETTLE_DELAYS_MS.iter().enumerate() {
        if step_status(&last.0, true) == Status::Pass {
            break;
        }
        runner.front.activity(
            &checklist.id,
            &step.id,
            crate::aws::exec::Activity::Note(format!(
                "probes do not pass yet; AWS may still be propagating the change (retry {}/{})",
                attempt + 1,
                SETTLE_DELAYS_MS.len()
            )),
        );
        tokio::time::sleep(Duration::from_millis(*delay)).await;
        last = run_probes(runner, checklist, step, probing).await?;
    }
    Ok(last)
}
