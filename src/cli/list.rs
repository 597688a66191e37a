//! `preflight list`: the checklists and their steps; with `--inputs`, every
//! declared input, the checklists that use it, its current value and where
//! that value comes from (secrets masked).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::render;
use crate::engine::inputs::{self, Origin, Value};
use crate::engine::model::{CONTEXT_NAMES, Checklists, InputDef, InputKind, ValueFrom};
use crate::engine::profile::Profile;
use crate::engine::render as words;
use crate::engine::{order, template};
use crate::front::options::Global;
use crate::front::setup::{self, Failure};

pub async fn list(g: &Global, inputs: bool, json: bool) -> Result<u8, Failure> {
    let (_, lists, profile) = setup::load(g)?;
    if inputs {
        return list_inputs(g, &lists, &profile, json).await;
    }
    if json {
        let doc = json!({ "command": "list", "checklists": lists.all.iter().map(|c| json!({
            "id": c.id,
            "title": c.title,
            "summary": c.summary,
            "inputs": c.inputs.iter().map(|i| &i.name).collect::<Vec<_>>(),
            "steps": order::step_order(&c.steps).expect("checked").into_iter().map(|i| {
                let s = &c.steps[i];
                json!({
                    "id": s.id,
                    "title": s.title,
                    "action": s.action.as_ref().map(|a| &a.kind),
                    "needs": s.needs,
                    "probes": s.probes.iter().map(|p| json!({ "id": p.id, "kind": p.call.kind })).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>() });
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
        return Ok(0);
    }
    for c in &lists.all {
        render::emit(format_args!("{} — {}", c.id, c.title));
        render::emit(format_args!("  {}", render::shorten(&c.summary, 100)));
        let width = c.steps.iter().map(|s| s.id.chars().count()).max().unwrap_or(0).max(18);
        for (n, i) in order::step_order(&c.steps).expect("checked").into_iter().enumerate() {
            let s = &c.steps[i];
            // A step without an action is manual only when a person settles it; else its probes
            // check what something else makes.
            let how = match &s.action {
                Some(a) => a.kind.clone(),
                None if s.probes.iter().any(|p| p.call.kind == "manual.confirm") => "manual: a person confirms".into(),
                None => {
                    let mut kinds: Vec<&str> = s.probes.iter().map(|p| p.call.kind.as_str()).collect();
                    kinds.dedup();
                    format!("check only: {}", kinds.join(", "))
                }
            };
            let needs = if s.needs.is_empty() { String::new() } else { format!(" (needs {})", s.needs.join(", ")) };
            render::emit(format_args!("  {}. {:<width$} {}  [{how}]{needs}", n + 1, s.id, s.title));
        }
        render::emit("");
    }
    Ok(0)
}

/// What `list --inputs` knows of one input.
struct Row<'a> {
    def: &'a InputDef,
    checklists: Vec<&'a str>,
    /// What may be shown: secrets are masked.
    value: Option<String>,
    origin: Option<Origin>,
    /// Why there is no usable value, when there is none (and in a few words, for the table).
    problem: Option<String>,
    short: &'static str,
    /// Which real thing the value names, when two inputs could seem to name it.
    note: Option<String>,
}

fn kind_name(kind: &InputKind) -> &'static str {
    match kind {
        InputKind::Text => "text",
        InputKind::Number { .. } => "number",
        InputKind::Choice(_) => "choice",
        InputKind::Secret => "secret",
        InputKind::List => "list",
    }
}

fn rows<'a>(
    lists: &'a Checklists,
    provided: &BTreeMap<String, Value>,
    context: &BTreeMap<String, String>,
) -> Vec<Row<'a>> {
    let res = inputs::resolve(&lists.inputs, provided, context);
    lists
        .inputs
        .iter()
        .map(|def| {
            let mut row = Row {
                def,
                checklists: lists.users(&def.name),
                value: None,
                origin: None,
                problem: None,
                short: "",
                note: note(&def.name, &res.values, &lists.inputs),
            };
            if let Some(from) = &def.from {
                // Read only when a step needs it: never shown, never kept.
                let (origin, what) = match from {
                    ValueFrom::Env(v) => (Origin::Environment, format!("env:{v}")),
                    ValueFrom::File(p) => (Origin::File, format!("file:{p}")),
                };
                row.origin = Some(origin);
                row.problem = Some(format!("read from {what} when a step needs it"));
                row.short = "read when needed";
            } else if let Some(v) = res.values.inputs.get(&def.name) {
                row.value = Some(v.shown());
                row.origin = Some(v.origin);
            } else if let Some(e) = res.invalid.iter().find(|e| e.input == def.name) {
                row.value = provided.get(&def.name).map(Value::shown);
                row.origin = provided.get(&def.name).map(|v| v.origin);
                row.problem = Some(format!("invalid: {}", e.message));
                row.short = "invalid";
            } else if res.missing.iter().any(|m| m.name == def.name) {
                row.problem = Some("required, not set".into());
                row.short = "required, not set";
            } else if let Some(d) = &def.default
                && context.is_empty()
                && template::names(d).unwrap_or_default().iter().any(|n| CONTEXT_NAMES.contains(&n.as_str()))
            {
                row.problem = Some("needs the AWS context, which could not be reached".into());
                row.short = "needs the AWS context";
            }
            row
        })
        .collect()
}

/// The task role and the runtime principal: one role when the principal is a
/// role; when it is a user (local development), which role the task role is.
fn note(name: &str, values: &inputs::Values, defs: &[InputDef]) -> Option<String> {
    let kind = values.lookup("runtime_principal_kind").unwrap_or_else(|| "role".into());
    // An unset value reads as what it is, never as nothing.
    let value = |n: &str| values.lookup(n).filter(|v| !v.is_empty()).unwrap_or_else(|| words::unset(n, defs));
    let role = value("task_role_name");
    let principal = value("runtime_principal_name");
    match (name, kind.as_str()) {
        ("task_role_name", "user") => Some(format!(
            "the ECS task role {role}: not iam-policy's runtime principal, which is the user {principal} (iam-policy makes that user, not this role; make the role yourself)"
        )),
        ("task_role_name", _) => Some(format!("the ECS task role {role}, also iam-policy's runtime role")),
        ("runtime_principal_name", "role") => Some(format!(
            "a runtime role is the task role: its input is task_role_name ({role}); naming it here is deprecated"
        )),
        _ => None,
    }
}

async fn list_inputs(g: &Global, lists: &Checklists, profile: &Profile, json: bool) -> Result<u8, Failure> {
    // Values read from the environment or files are not read here: a missing one is not an error yet.
    let defs: Vec<InputDef> = lists.inputs.iter().filter(|d| d.from.is_none()).cloned().collect();
    let (provided, warnings) = setup::provided(g, profile, &defs, lists)?;
    warnings.iter().for_each(|w| eprintln!("{w}"));
    let aws = match setup::connect(g, lists).await {
        Ok(aws) => Some(aws),
        Err(f) if f.code == setup::EXIT_USAGE => return Err(f),
        Err(f) => {
            eprintln!(
                "warning: the AWS context is unknown, so values that depend on it are not shown: {}",
                f.message.lines().next().unwrap_or("")
            );
            None
        }
    };
    let context: BTreeMap<String, String> = aws
        .iter()
        .flat_map(|a| [("account_id".to_string(), a.account_id.clone()), ("region".to_string(), a.region.clone())])
        .collect();
    let rows = rows(lists, &provided, &context);
    if json {
        let doc = json!({
            "command": "list",
            "profile": g.profile_path().display().to_string(),
            "account": aws.as_ref().map(|a| &a.account_id),
            "region": aws.as_ref().map(|a| &a.region),
            "inputs": rows.iter().map(|r| json!({
                "name": r.def.name,
                "prompt": r.def.prompt,
                "kind": kind_name(&r.def.kind),
                "required": r.def.required,
                "secret": r.def.kind == InputKind::Secret,
                "default": r.def.default,
                "checklists": r.checklists,
                "value": r.value,
                "origin": r.origin.map(Origin::label),
                "problem": r.problem,
                "note": r.note,
            })).collect::<Vec<Json>>(),
        });
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        if let Some(aws) = &aws {
            render::emit(render::banner(aws));
        }
        render::emit(format_args!("profile {}\n", g.profile_path().display()));
        let width = rows.iter().map(|r| r.def.name.len()).max().unwrap_or(5).max(5);
        render::emit(format_args!("{:<width$}  {:<40}  {:<11}  CHECKLISTS", "INPUT", "VALUE", "FROM"));
        for r in &rows {
            let value = match (&r.value, &r.problem) {
                (Some(v), _) if v.is_empty() => render::shorten(&words::unset(&r.def.name, &lists.inputs), 40),
                (Some(v), _) => render::shorten(v, 40),
                (None, Some(_)) => format!("({})", r.short),
                (None, None) => "(not set)".into(),
            };
            let from = r.origin.map_or("-", Origin::label);
            render::emit(format_args!("{:<width$}  {value:<40}  {from:<11}  {}", r.def.name, r.checklists.join(", ")));
            if let (Some(p), "invalid") = (&r.problem, r.short) {
                render::emit(format_args!("{:<width$}  ✘ {p}", ""));
            }
            if let Some(n) = &r.note {
                render::emit(format_args!("{:<width$}  ↳ {n}", ""));
            }
        }
    }
    Ok(0)
}
