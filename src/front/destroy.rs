//! What `destroy` shares between the CLI and the wizard: what preflight made
//! here (from the audit log) for the chosen checklists, what stays and why, and
//! how a thing and its outcome are named.

use std::collections::BTreeSet;

use crate::aws::context::AwsContext;
use crate::engine::model::Checklist;
use crate::engine::owned::{self, FOUND_BY_TAGS, Made, Thing};
use crate::engine::state::{Phase, RunState, scope_key};
use crate::engine::store::Store;
use crate::kinds::undo::{Undoing, Undone};
use crate::runner::destroy::Undo;

/// A thing kept, and why (adopted, or left by design).
#[derive(Debug, Clone)]
pub struct Kept {
    pub checklist: String,
    pub step: String,
    pub what: String,
    pub why: String,
}

/// What was asked of a destroy, and what the account's tags say.
pub struct Asked<'a> {
    /// The checklists whose things go (every one when empty).
    pub ids: &'a [String],
    pub secret_days: Option<i64>,
    /// The profile's project, whose tag marks what preflight made for it.
    pub project: Option<String>,
    /// What the tags say this project's preflight made, with the checklist each names.
    pub tagged: Vec<(Thing, String)>,
}

/// What a destroy of `ids` (every checklist when empty) removes, and what it keeps.
pub struct Teardown {
    pub undoing: Undoing,
    pub kept: Vec<Kept>,
    /// Why it may not go: a checklist whose things stay stands on one whose things would go.
    pub standing: Vec<String>,
}

/// What preflight made here for `ids` and has not removed: the audit log's
/// record, and `tagged` (what the account's tags say preflight made, on this
/// machine or another) for what the record lacks.
pub fn teardown(
    store: &Store,
    aws: &AwsContext,
    lists: &[Checklist],
    state: &RunState,
    asked: Asked<'_>,
) -> Result<Teardown, String> {
    let Asked { ids, secret_days, project, tagged } = asked;
    let lines = store.audit_lines()?;
    let owned::Owned { made: mut everything, left, makers, creators } =
        owned::made(&lines, &aws.account_id, &aws.region);
    let known: Vec<Thing> = everything.iter().map(|m| m.thing.clone()).collect();
    // The tags speak for a checklist this machine has no record of (another machine made it):
    // where the audit log knows a checklist, it alone says what was made and what adopted.
    let recorded: BTreeSet<&str> = makers.iter().map(|(c, _)| c.as_str()).collect();
    let mut found: Vec<Made> = tagged
        .into_iter()
        .filter(|(thing, checklist)| !known.contains(thing) && !recorded.contains(checklist.as_str()))
        .map(|(thing, checklist)| Made {
            thing,
            checklist,
            step: FOUND_BY_TAGS.into(),
            at: String::new(),
            by: String::new(),
        })
        .collect();
    if !found.is_empty() {
        // Without their making's order, everything goes in the order of what stands on what
        // (a service before its load balancer, a role's policies before the role): the
        // order of `Thing` reversed, so that undoing newest first follows it.
        everything.append(&mut found);
        everything.sort_by_key(|m| std::cmp::Reverse(m.thing.rank()));
    }
    let mine = |checklist: &str| ids.is_empty() || ids.iter().any(|i| i == checklist);
    let chosen: Vec<Made> = everything.iter().filter(|m| mine(&m.checklist)).cloned().collect();
    let chosen_steps = creators.iter().filter(|(c, _)| mine(c)).cloned().collect::<Vec<_>>();
    let undoing = Undoing {
        chosen: chosen.into_iter().map(|m| m.thing).collect(),
        everything,
        secret_days,
        project,
        makers: chosen_steps,
    };
    let mut kept: Vec<Kept> = left
        .into_iter()
        .filter(|l| mine(&l.checklist))
        .map(|l| Kept { checklist: l.checklist, step: l.step, what: l.what, why: l.why })
        .collect();
    kept.extend(adopted(aws, lists, state, &makers, &mine));
    let standing = standing(lists, &undoing);
    Ok(Teardown { undoing, kept, standing })
}

/// The checklists whose things stay and that stand on a checklist whose things
/// would go (ecs-service's task definition names secrets' secrets): each said,
/// with the fix.
fn standing(lists: &[Checklist], u: &Undoing) -> Vec<String> {
    let going: BTreeSet<&str> =
        u.everything.iter().filter(|m| u.goes(&m.thing)).map(|m| m.checklist.as_str()).collect();
    let staying: BTreeSet<&str> =
        u.everything.iter().filter(|m| !u.goes(&m.thing)).map(|m| m.checklist.as_str()).collect();
    let mut out = Vec::new();
    for c in lists.iter().filter(|c| staying.contains(c.id.as_str()) && !going.contains(c.id.as_str())) {
        let needs: BTreeSet<&str> = c
            .steps
            .iter()
            .flat_map(|s| s.needs.iter())
            .filter_map(|n| crate::engine::model::foreign(n).map(|(checklist, _)| checklist))
            .filter(|checklist| going.contains(checklist))
            .collect();
        for need in needs {
            out.push(format!(
                "{} stands on {need} (its steps need what {need} made) and what it made stays: destroying {need} alone would break it\n  fix: preflight destroy {} {need} (or destroy {} first)",
                c.id, c.id, c.id
            ));
        }
    }
    out
}

/// Steps of the chosen checklists that are done and never made anything: what
/// they stand for was in place when they ran (adopted), and stays.
fn adopted(
    aws: &AwsContext,
    lists: &[Checklist],
    state: &RunState,
    makers: &BTreeSet<(String, String)>,
    mine: &dyn Fn(&str) -> bool,
) -> Vec<Kept> {
    let Some(scope) = state.scopes.get(&scope_key(&aws.account_id, &aws.region)) else { return Vec::new() };
    let mut out = Vec::new();
    for (checklist, steps) in scope.checklists.iter().filter(|(c, _)| mine(c)) {
        let Some(def) = lists.iter().find(|c| &c.id == checklist) else { continue };
        for (step, st) in steps {
            let Some(d) = def.steps.iter().find(|d| &d.id == step && d.action.is_some()) else { continue };
            if !makers.contains(&(checklist.clone(), step.clone())) && st.phase == Phase::Done {
                out.push(Kept {
                    checklist: checklist.clone(),
                    step: step.clone(),
                    what: d.title.clone(),
                    why: "adopted: it was in place when the step ran (made by hand, or by another step listed above), so this step made nothing to remove".into(),
                });
            }
        }
    }
    out
}

/// `ecs-service / service: ECS service acme-cluster/acme-service`.
pub fn heading(u: &Undo) -> String {
    format!("{} / {}: {}", u.made.checklist, u.made.step, u.made.thing.label())
}

/// Why a thing is not removed: refused, or its removal failed (None when it goes or is gone).
pub fn why_not(u: &Undo) -> Option<String> {
    match &u.outcome {
        Err(e) => Some(e.to_string()),
        Ok(Undone::Refused(why)) => Some(why.clone()),
        _ => None,
    }
}
