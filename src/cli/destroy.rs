//! `preflight destroy [CHECKLIST…]`: removes what preflight made in this
//! account and region (its audit log says what, `engine::owned`), newest first:
//! planned, shown (every deletion, what is kept and why), consented to, made.
//! What preflight adopted is never deleted; something that stays and depends on
//! what would go makes it refuse, naming it, before any change.

use std::sync::Arc;

use serde_json::{Value, json};

use super::drive::gate_permissions;
use super::front::CliFront;
use super::pager;
use super::render::{self, color_enabled};
use crate::aws::error::ErrorKind;
use crate::front::destroy::{Asked, Kept, Teardown, heading, teardown, why_not};
use crate::front::options::Global;
use crate::front::prompt;
use crate::front::session::Session;
use crate::front::setup::{self, EXIT_FAIL, Failure, interactive, usage};
use crate::front::words::stopped;
use crate::kinds::undo::Undone;
use crate::runner::destroy::Undo;
use crate::runner::now;

pub struct DestroyArgs {
    pub checklists: Vec<String>,
    pub plan: bool,
    pub yes: bool,
    /// The secrets' recovery window; None: deleted at once.
    pub secret_days: Option<i64>,
    pub json: bool,
}

pub async fn destroy(g: &Global, a: DestroyArgs) -> Result<u8, Failure> {
    let (_, lists, _) = setup::load(g)?;
    let ids: Vec<String> =
        a.checklists.iter().map(|id| setup::pick(&lists, id).map(|c| c.id.clone())).collect::<Result<_, _>>()?;
    // Nothing of the checklists' inputs is needed: what to remove is in the audit log.
    let s = Session::open(g, &[], None, true, !a.plan).await?;
    let (store, state) = s.store()?;
    let _job = if a.plan {
        None
    } else {
        Some(store.begin_job(&format!("preflight destroy {}", ids.join(" ")), &now()).map_err(usage)?)
    };
    let front = Arc::new(CliFront::new(a.json, g.verbose, color_enabled()));
    let mut runner = s.runner(front, Some(store.clone()), state.clone());
    // What the account's tags say this project's preflight made (here or on another machine).
    let project = project(g, &s);
    let tagged = match &project {
        Some(project) => runner.tagged(project).await.map_err(stopped)?,
        None => Vec::new(),
    };
    let Teardown { undoing: u, kept, standing } = teardown(
        &store,
        &s.aws,
        &s.lists.all,
        &state,
        Asked { ids: &ids, secret_days: a.secret_days, project, tagged },
    )
    .map_err(usage)?;
    if !standing.is_empty() {
        if a.json {
            let doc = json!({
                "command": "destroy", "account": s.aws.account_id, "region": s.aws.region,
                "principal": s.aws.principal_arn, "plan": a.plan, "result": "refused", "standing": standing,
                "things": [], "kept": [],
            });
            render::emit(serde_json::to_string_pretty(&doc).expect("json"));
        } else {
            render::emit(format_args!(
                "destroy refuses: {}\nnothing was changed",
                standing.join("\n").replace('\n', "\n  ")
            ));
        }
        return Ok(EXIT_FAIL);
    }

    if !a.json {
        render::emit(render::banner(&s.aws));
    }
    let plan = runner.undo(&u, None).await.map_err(stopped)?;
    let refused: Vec<&Undo> = plan.iter().filter(|p| p.refused()).collect();
    let removing: Vec<&Undo> = plan.iter().filter(|p| matches!(p.outcome, Ok(Undone::Removed))).collect();
    if !a.json {
        render::emit(plan_text(&s, &plan, &kept, a.plan));
    }
    // A read the caller may not make is the permission check's to name, with the policy that grants it.
    let denied = plan.iter().any(|p| matches!(&p.outcome, Err(e) if e.kind == ErrorKind::AccessDenied));
    if !removing.is_empty() || denied {
        let calls = runner.undo_calls(&plan);
        let (_, ended) = gate_permissions(&mut runner, &calls, "destroy", a.json, g.strict).await?;
        if let Some(code) = ended {
            return Ok(code);
        }
    }
    if !refused.is_empty() {
        return end(&s, a.json, &plan, &kept, "refused", EXIT_FAIL, a.plan);
    }
    if removing.is_empty() {
        return end(&s, a.json, &plan, &kept, "nothing to remove", 0, a.plan);
    }
    if a.plan {
        return end(&s, a.json, &plan, &kept, "planned", 0, true);
    }
    if !a.yes && !consent(&s, &removing)? {
        render::emit("destroy: declined; nothing was changed");
        return Ok(EXIT_FAIL);
    }
    let done = runner.undo(&u, Some(&plan)).await.map_err(stopped)?;
    let failed = done.iter().any(|d| d.refused());
    end(
        &s,
        a.json,
        &done,
        &kept,
        if failed { "stopped" } else { "destroyed" },
        if failed { EXIT_FAIL } else { 0 },
        false,
    )
}

/// The profile's `project` (the tag value of what preflight made for it), when it has one.
fn project(g: &Global, s: &Session) -> Option<String> {
    let def = s.lists.input("project")?.clone();
    let (provided, _) = setup::provided(g, &s.profile, std::slice::from_ref(&def), &s.lists).ok()?;
    let values = setup::resolve(g, &[def], &provided, &s.aws).ok()?;
    values.lookup("project").filter(|p| !p.is_empty())
}

/// What destroy will remove (each change), what is already gone, what it keeps and why, what it refuses.
fn plan_text(s: &Session, plan: &[Undo], kept: &[Kept], only_plan: bool) -> String {
    let color = color_enabled();
    let mut out = vec![format!(
        "destroy: what preflight made in account {} ({}), newest first{}",
        s.aws.account_id,
        s.aws.region,
        if only_plan { " (a plan: nothing is changed)" } else { "" }
    )];
    for u in plan {
        match &u.outcome {
            Ok(Undone::Removed) => {
                out.push(format!("  {}", heading(u)));
                out.extend(render::changes_text(&u.changes, false, color).into_iter().map(|l| format!("    {l}")));
            }
            Ok(Undone::Gone(why)) => out.push(format!("  {}: already gone ({why})", heading(u))),
            Ok(Undone::Kept(why)) => out.push(format!("  {}: kept: {why}", heading(u))),
            Ok(Undone::Refused(why)) => {
                out.push(format!("  ✘ {}: refused: {}", heading(u), why.replace('\n', "\n      ")))
            }
            Err(e) => out.push(format!("  ✘ {}: {}", heading(u), e.to_string().replace('\n', "\n      "))),
        }
    }
    if plan.is_empty() {
        out.push("  nothing: preflight made nothing here that is still there".into());
    }
    if !kept.is_empty() {
        out.push("kept (not preflight's to delete):".into());
        for k in kept {
            out.push(format!("  {} / {}: {}: {}", k.checklist, k.step, k.what, k.why));
        }
    }
    out.join("\n")
}

/// Asks once, after showing every deletion. Ok(false): declined.
fn consent(s: &Session, removing: &[&Undo]) -> Result<bool, Failure> {
    let total: usize = removing.iter().map(|u| u.changes.len()).sum();
    if !interactive() {
        let list: Vec<String> = removing
            .iter()
            .flat_map(|u| {
                u.changes.iter().map(move |c| format!("  {}: {}:{} {}", heading(u), c.service, c.operation, c.resource))
            })
            .collect();
        return Err(usage(format!(
            "error: destroy would make {total} change{} to the account and there is no terminal to ask for consent:\n{}\n  \
             fix: review them with `preflight destroy --plan`, then run again with --yes",
            plural(total),
            list.join("\n")
        )));
    }
    let lines: Vec<String> = removing.iter().map(|u| format!("  {}", heading(u))).collect();
    pager::show(&lines, 3);
    eprintln!(
        "\ndestroy would remove {} thing{} ({total} change{}) from account {} ({}).",
        removing.len(),
        plural(removing.len()),
        plural(total),
        s.aws.account_id,
        s.aws.region
    );
    let question = format!("Remove these {}?", removing.len());
    Ok(tokio::task::block_in_place(|| prompt::confirm(&question)).unwrap_or(false))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn undo_json(u: &Undo) -> Value {
    let (outcome, why) = match &u.outcome {
        Ok(Undone::Removed) => ("removed", None),
        Ok(Undone::Gone(w)) => ("gone", Some(w.clone())),
        Ok(Undone::Kept(w)) => ("kept", Some(w.clone())),
        Ok(Undone::Refused(w)) => ("refused", Some(w.clone())),
        Err(e) => ("failed", Some(e.to_string())),
    };
    json!({
        "checklist": u.made.checklist, "step": u.made.step, "what": u.made.thing.label(),
        "made_at": u.made.at, "made_by": u.made.by, "outcome": outcome, "why": why,
        "changes": u.changes.iter().map(|c| json!({
            "service": c.service, "operation": c.operation, "resource": c.resource, "detail": c.detail,
        })).collect::<Vec<_>>(),
    })
}

/// The command's last words (or its JSON document) and its exit code.
fn end(
    s: &Session,
    json: bool,
    undos: &[Undo],
    kept: &[Kept],
    result: &str,
    code: u8,
    plan: bool,
) -> Result<u8, Failure> {
    if json {
        let doc = json!({
            "command": "destroy", "account": s.aws.account_id, "region": s.aws.region,
            "principal": s.aws.principal_arn, "plan": plan, "result": result,
            "things": undos.iter().map(undo_json).collect::<Vec<_>>(),
            "kept": kept.iter().map(|k| json!({"checklist": k.checklist, "step": k.step, "what": k.what, "why": k.why})).collect::<Vec<_>>(),
        });
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
        return Ok(code);
    }
    let removed = undos.iter().filter(|u| matches!(u.outcome, Ok(Undone::Removed))).count();
    let text = match result {
        "refused" => {
            "\ndestroy refuses: something that stays depends on what it would remove (above); nothing was changed"
                .to_string()
        }
        "nothing to remove" => "\ndestroy: nothing to remove; nothing was changed".to_string(),
        "planned" => format!(
            "\ndestroy would remove {removed} thing{}: `preflight destroy` asks, then removes them (--yes: without asking)",
            plural(removed)
        ),
        "stopped" => {
            let why =
                undos.iter().find_map(|u| why_not(u).map(|e| format!("{}: {}", heading(u), e.replace('\n', "\n  "))));
            format!(
                "\ndestroy stopped at {}\n  then: preflight destroy (it finishes what is left; what is gone is not asked about again)",
                why.unwrap_or_default()
            )
        }
        _ => format!(
            "\ndestroyed: {removed} thing{} removed; `preflight verify` shows their steps as not done{}",
            plural(removed),
            if kept.is_empty() { String::new() } else { format!("; {} kept (above)", kept.len()) }
        ),
    };
    render::emit(text);
    Ok(code)
}
