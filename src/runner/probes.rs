//! Running probes through the registry, concurrently: the probes of a step
//! run at once, and steps can be probed ahead of the loop (see `prefetch` in
//! the runner), each in a task of its own, bounded by the command's calls in
//! flight. Results always come back in the checklist's order.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::{Frontend, Stop};
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::exec::{Audit, Exec, Planned, Probing};
use crate::aws::shared::Shared;
use crate::engine::inputs::Values;
use crate::engine::library::Library;
use crate::engine::model::Step;
use crate::engine::outcome::{ProbeResult, Status, step_status};
use crate::engine::profile::Lists;
use crate::engine::template;
use crate::kinds::kind::{Kind, Run};
use crate::kinds::registry;
use crate::policy::actions::Need;

/// Probes after a change: IAM and friends are eventually consistent, so a
/// failing probe is retried a few times (bounded) before the step is failed.
const SETTLE_DELAYS_MS: [u64; 4] = [500, 1000, 2000, 4000];

/// What a kind declares it may call with these parameters, as IAM needs; only
/// worked out while calls are checked against it (`aws::declared`), else None.
pub fn declared(kind: &Kind, x: &Exec, params: &toml::Table) -> Option<Arc<Vec<Need>>> {
    if !crate::aws::declared::checking() {
        return None;
    }
    let calls = (kind.calls)(x, params).ok()?;
    Some(Arc::new(calls.iter().flat_map(|op| op.needs()).collect()))
}

/// A step's probe results and the outputs its probes found.
pub type Probed = (Vec<ProbeResult>, BTreeMap<String, String>);

/// Everything probing needs, owned, so that it can run in tasks of its own.
#[derive(Clone)]
pub struct Prober {
    pub aws: Arc<AwsContext>,
    pub library: Arc<Library>,
    pub values: Values,
    pub lists: Arc<Lists>,
    pub front: Arc<dyn Frontend>,
    pub audit: Option<Arc<dyn Audit>>,
    pub shared: Arc<Shared>,
    pub probing: Probing,
    /// In a plan: what the changes planned so far would make (see `aws::later`).
    pub planned: Option<Arc<Planned>>,
    /// What a fix's `preflight …` repeats (`--profile-file`, `--set`).
    pub invocation: String,
}

impl Prober {
    pub fn exec(&self, checklist: &str, step: &str, apply: bool) -> Exec {
        Exec {
            aws: self.aws.clone(),
            library: self.library.clone(),
            values: self.values.clone(),
            lists: self.lists.clone(),
            wanted: None,
            apply,
            planning: self.planned.is_some(),
            force: false,
            probing: self.probing,
            checklist: checklist.to_string(),
            step: step.to_string(),
            probe: None,
            sink: self.front.clone(),
            audit: self.audit.clone(),
            shared: self.shared.clone(),
            declared: None,
            changes: Vec::new(),
            outputs: BTreeMap::new(),
            planned: self.planned.clone(),
            consented: None,
            failed: None,
        }
    }

    /// One probe: its result (or the error that stops the command) and its outputs.
    async fn one(
        &self,
        checklist: &str,
        step: &Step,
        index: usize,
        wanted: Option<toml::Table>,
    ) -> (Result<ProbeResult, AwsError>, BTreeMap<String, String>) {
        let probe = &step.probes[index];
        let mut x = self.exec(checklist, &step.id, false);
        x.wanted = wanted;
        x.probe = Some(probe.id.clone());
        let rendered =
            template::render_toml(&toml::Value::Table(probe.call.params.clone()), &|n| self.values.lookup(n));
        let result = match (registry::find(&probe.call.kind), rendered) {
            (Some(kind @ Kind { run: Run::Probe(run), .. }), Ok(toml::Value::Table(params))) => {
                x.declared = declared(kind, &x, &params);
                run(&mut x, probe.id.clone(), params).await
            }
            (_, Err(name)) => Err(AwsError::other(format!("`{{{{{name}}}}}` has no value; set the input `{name}`"))),
            _ => Err(AwsError::other(format!("{} is not a probe kind", probe.call.kind))),
        };
        (result, x.outputs)
    }

    /// Every probe of the step, at once; the results in the step's order.
    pub async fn step(self, checklist: String, step: Step) -> Result<Probed, Stop> {
        // What the action would write, when its values are known (not in verify: they are not asked for).
        let wanted =
            step.action.as_ref().and_then(|a| a.params.get("values")).and_then(|v| {
                match template::render_toml(v, &|n| self.values.lookup(n)) {
                    Ok(toml::Value::Table(t)) => Some(t),
                    _ => None,
                }
            });
        let step = Arc::new(step);
        let mut tasks = JoinSet::new();
        for index in 0..step.probes.len() {
            let (me, checklist, step, wanted) = (self.clone(), checklist.clone(), step.clone(), wanted.clone());
            tasks.spawn(async move { (index, me.one(&checklist, &step, index, wanted).await) });
        }
        let mut done: Vec<_> = Vec::with_capacity(step.probes.len());
        while let Some(joined) = tasks.join_next().await {
            done.push(joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
        }
        done.sort_by_key(|(index, _)| *index);
        let mut results = Vec::new();
        let mut outputs = BTreeMap::new();
        for (index, (result, found)) in done {
            match result {
                Ok(r) => results.push(r),
                Err(e) if e.is_fatal() => return Err(Stop::Aws(e)),
                Err(e) if e.kind == crate::aws::error::ErrorKind::Input => {
                    let fix = e.fix().map(|f| format!("\n  fix: {f}")).unwrap_or_default();
                    return Err(Stop::Input(self.values.scrub(&format!("{e}{fix}"))));
                }
                Err(e) => {
                    let mut r = ProbeResult::new(&step.probes[index].id, Status::Error, e.to_string());
                    r.fix = e.fix();
                    results.push(r);
                }
            }
            outputs.extend(found);
        }
        let v = &self.values;
        for r in &mut results {
            r.message = v.scrub(&r.message);
            r.fix = r.fix.as_deref().map(|f| crate::engine::text::with_args(&v.scrub(f), &self.invocation));
        }
        let outputs = outputs.into_iter().map(|(k, val)| (k, v.scrub(&val))).collect();
        Ok((results, outputs))
    }

    /// Probes after a change, again (boundedly) while they fail: AWS may still be propagating it.
    pub async fn settle(self, checklist: &str, step: &Step) -> Result<Probed, Stop> {
        let mut last = self.clone().step(checklist.to_string(), step.clone()).await?;
        for (attempt, delay) in SETTLE_DELAYS_MS.iter().enumerate() {
            if step_status(&last.0, true) == Status::Pass {
                break;
            }
            self.front.activity(
                checklist,
                &step.id,
                crate::aws::exec::Activity::Note(format!(
                    "probes do not pass yet; AWS may still be propagating the change (retry {}/{})",
                    attempt + 1,
                    SETTLE_DELAYS_MS.len()
                )),
            );
            tokio::time::sleep(Duration::from_millis(*delay)).await;
            // Read again: what was shared before the wait is what did not pass.
            self.shared.forget();
            last = self.clone().step(checklist.to_string(), step.clone()).await?;
        }
        Ok(last)
    }
}
