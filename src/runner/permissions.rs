//! The check before the first change: every call the run will make (the
//! probes' reads, each action that will run, whatever branch it takes: the
//! kinds' declarations, and every call made so far), as IAM actions on
//! resources, judged against the caller's own policies. When something is
//! missing the run changes nothing; the operator gets the list and one policy
//! document granting exactly that.

use std::collections::BTreeMap;

use super::{Options, Probed, Runner, Stop};
use crate::aws::declared::for_caller;
use crate::aws::error::{ErrorKind, Op};
use crate::aws::exec::Probing;
use crate::engine::model::{Call, Checklist, Step};
use crate::engine::outcome::{ProbeResult, Status, step_status};
use crate::engine::state;
use crate::engine::template;
use crate::kinds::iam::allows::{Caller, caller_reads, read_caller, reason, simulate};
use crate::kinds::registry;
use crate::kinds::secrets::access::{alias_reads, resolve_aliases};
use crate::policy::actions::Need;
use crate::policy::generate::{Generated, MANAGED_POLICY_LIMIT, generate};
use crate::policy::{Requirement, Verdict};

/// One permission the caller lacks, with why and which steps need it.
#[derive(Debug, Clone)]
pub struct Missing {
    pub need: Need,
    pub reason: String,
    /// `checklist/step` of each step that needs it ("the probes so far" for a read already made).
    pub steps: Vec<String>,
}

/// What the check found.
#[derive(Debug, Clone)]
pub struct PermissionCheck {
    pub caller: String,
    /// How many (action, resource) pairs the run needs.
    pub needed: usize,
    pub missing: Vec<Missing>,
    /// Why the caller's policies could not be read: then nothing was judged.
    pub unreadable: Option<String>,
    /// IAM's simulator's word (`--deep`).
    pub simulator: Option<String>,
}

impl PermissionCheck {
    /// The policy that grants exactly what is missing.
    pub fn policy(&self) -> Generated {
        let needs: Vec<Need> = self.missing.iter().map(|m| m.need.clone()).collect();
        generate(&needs, MANAGED_POLICY_LIMIT)
    }
}

/// A need judged: as the caller's request, the verdict, the need and who needs it.
type Judged<'a> = (Requirement, Verdict, &'a (Need, Vec<String>));

/// Every need of the given calls, with who makes them.
fn add(into: &mut BTreeMap<(String, String), (Need, Vec<String>)>, calls: &[Op], who: &str) {
    for need in calls.iter().flat_map(Op::needs) {
        let entry = into.entry((need.action.clone(), need.resource.clone())).or_insert_with(|| (need, Vec::new()));
        if !entry.1.iter().any(|w| w == who) {
            entry.1.push(who.to_string());
        }
    }
}

impl Runner {
    /// The calls a kind declares for these (template) parameters; none when they cannot be rendered.
    pub fn declared_calls(&self, checklist: &str, step: &Step, call: &Call, probing: Probing) -> Vec<Op> {
        let Some(kind) = registry::find(&call.kind) else { return Vec::new() };
        let x = self.exec(checklist, &step.id, false, probing);
        match template::render_toml(&toml::Value::Table(call.params.clone()), &|n| self.values.lookup(n)) {
            Ok(toml::Value::Table(params)) => (kind.calls)(&x, &params).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The probes of a step: the prefetched ones, else probed now; kept for the
    /// run either way. None when probing stopped (the run reports it in its place).
    pub(super) async fn probed(&mut self, checklist: &Checklist, step: &Step, opts: &Options) -> Option<Probed> {
        let key = (checklist.id.clone(), step.id.clone());
        let result = match self.pending.0.remove(&key) {
            Some(task) => task.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
            None => self.prober(opts.probing).step(checklist.id.clone(), step.clone()).await,
        };
        let probed = result.as_ref().ok().cloned();
        self.pending.0.insert(key, tokio::spawn(async move { result }));
        probed
    }

    /// A step's probes (prefetched), and whether its action will run: None for
    /// a skipped step, or when probing stopped (the run reports it in its place).
    pub(super) async fn will_act(
        &mut self,
        checklist: &Checklist,
        step: &Step,
        opts: &Options,
    ) -> Option<(Vec<ProbeResult>, bool)> {
        if self.step_state(&checklist.id, &step.id).is_some_and(|s| s.phase == state::Phase::Skipped) {
            return None;
        }
        let (probes, _) = self.probed(checklist, step, opts).await?;
        let forced = opts.force && opts.step.as_deref() == Some(step.id.as_str());
        let acts = step.action.is_some()
            && (forced || !matches!(step_status(&probes, false), Status::Pass | Status::Manual | Status::Skipped));
        Some((probes, acts))
    }

    /// Before the first change of a `run` (and in a `plan`): may the caller make
    /// every call? None when nothing would change (nothing to check).
    pub async fn check_permissions(
        &mut self,
        checklists: &[&Checklist],
        opts: &Options,
    ) -> Result<Option<PermissionCheck>, Stop> {
        let mut needs: BTreeMap<(String, String), (Need, Vec<String>)> = BTreeMap::new();
        let mut changes = false;
        for checklist in checklists {
            // From the first step that changes something on, every later step is probed again.
            let mut after_change = false;
            for idx in Self::selection(checklist, opts) {
                let step = &checklist.steps[idx];
                let Some((_, acts)) = self.will_act(checklist, step, opts).await else { continue };
                let who = format!("{}/{}", checklist.id, step.id);
                if acts {
                    let call = step.action.as_ref().expect("an action");
                    add(&mut needs, &self.declared_calls(&checklist.id, step, call, Probing::default()), &who);
                    changes = true;
                    after_change = true;
                }
                if after_change {
                    for probe in &step.probes {
                        let calls = self.declared_calls(&checklist.id, step, &probe.call, opts.probing);
                        add(&mut needs, &calls, &who);
                    }
                }
            }
        }
        if !changes {
            return Ok(None);
        }
        self.judge_permissions(needs, opts.probing).await
    }

    /// The check of `destroy`: the calls its plan made and would make, by
    /// `checklist/step` of what each undoes.
    pub async fn check_calls(&mut self, calls: &[(Op, String)]) -> Result<Option<PermissionCheck>, Stop> {
        let mut needs = BTreeMap::new();
        for (op, who) in calls {
            add(&mut needs, std::slice::from_ref(op), who);
        }
        self.judge_permissions(needs, Probing::default()).await
    }

    /// Judges the needs, and every call made so far, against the caller's policies.
    async fn judge_permissions(
        &mut self,
        mut needs: BTreeMap<(String, String), (Need, Vec<String>)>,
        probing: Probing,
    ) -> Result<Option<PermissionCheck>, Stop> {
        // What the probes read so far: the exact resources, and anything a declaration missed.
        add(&mut needs, &self.shared.calls_seen(), "the probes so far");

        let mut x = self.exec("", "permissions", false, probing);
        let all: Vec<Need> = needs.values().map(|(n, _)| n.clone()).collect();
        if crate::aws::declared::checking() {
            let reads = caller_reads(&x).into_iter().chain(alias_reads(&x, &all));
            x.declared = Some(std::sync::Arc::new(reads.flat_map(|op| op.needs()).collect()));
        }
        // A key named by its alias: the key itself where the alias can be read.
        resolve_aliases(&x, needs.values_mut().map(|(n, _)| n).collect()).await;
        let caller = self.aws.principal_arn.clone();
        let mut check = PermissionCheck {
            caller: caller.clone(),
            needed: needs.len(),
            missing: Vec::new(),
            unreadable: None,
            simulator: None,
        };
        let (kind, name, principal) = match read_caller(&x).await {
            Ok(Caller::Root) => return Ok(Some(check)),
            Ok(Caller::Unreadable(why)) => {
                check.unreadable = Some(why);
                return Ok(Some(check));
            }
            Ok(Caller::Read { kind, name, principal }) => (kind, name, principal),
            Err(e) if e.is_fatal() => return Err(Stop::Aws(e)),
            Err(e) if e.kind == ErrorKind::AccessDenied => {
                check.unreadable = Some(e.to_string());
                return Ok(Some(check));
            }
            Err(e) => return Err(Stop::Aws(e)),
        };
        let judged: Vec<Judged> = needs
            .values()
            .map(|entry| {
                let resource = for_caller(&entry.0.resource, &caller);
                let req =
                    Requirement::new(entry.0.action.clone(), resource, None).with_condition(entry.0.condition_json());
                let verdict = principal.judge(&req);
                (req, verdict, entry)
            })
            .collect();
        for (_, verdict, (need, steps)) in judged.iter().filter(|(_, v, _)| !v.is_allowed()) {
            check.missing.push(Missing { need: need.clone(), reason: reason(verdict), steps: steps.clone() });
        }
        if probing.deep {
            let verdicts: Vec<(&Requirement, Verdict)> = judged.iter().map(|(r, v, _)| (r, v.clone())).collect();
            let second = simulate(&x, kind, &name, &verdicts).await;
            for (action, resource) in &second.denied {
                if let Some((_, _, (need, steps))) =
                    judged.iter().find(|(r, _, _)| &r.action == action && &r.resource == resource)
                {
                    let reason = "IAM's policy simulator denies it (an SCP, a session policy or a condition)".into();
                    check.missing.push(Missing { need: need.clone(), reason, steps: steps.clone() });
                }
            }
            check.simulator = Some(second.summary);
        }
        Ok(Some(check))
    }
}
