//! `preflight permissions CHECKLIST… [--verify] [--json]`: the least-privilege
//! identity policy to run (or, with `--verify`, to verify) the checklists in
//! this account with this profile, from what each step's kinds declare they
//! call; and how the check before a run is shown (`run`, `plan`).

use serde_json::{Value as Json, json};

use super::render;
use crate::aws::error::Op;
use crate::aws::exec::Probing;
use crate::engine::inputs::{Origin, Value};
use crate::engine::state::RunState;
use crate::front::options::Global;
use crate::front::session::Session;
use crate::front::setup::Failure;
use crate::kinds::iam::allows::caller_reads;
use crate::kinds::secrets::access::resolve_aliases;
use crate::policy::actions::Need;
use crate::policy::generate::{Generated, MANAGED_POLICY_LIMIT, generate};
use crate::runner::PermissionCheck;

/// Everything the selected checklists' steps may call, as IAM needs.
fn needs(s: &Session, verify: bool) -> Vec<Need> {
    let front = std::sync::Arc::new(super::front::CliFront::new(true, false, false));
    let mut runner = s.runner(front, None, RunState::default());
    // A value never names a resource: an unresolved one stands in as empty text.
    for name in &s.unvalued {
        runner.values.inputs.insert(name.clone(), Value::plain("", Origin::Default));
    }
    let mut out = Vec::new();
    for c in s.checklists() {
        for step in &c.steps {
            // To verify: every probe as `verify --invoke` runs it (one real model call included).
            let probing = Probing { invoke: verify, ..Probing::default() };
            for probe in &step.probes {
                out.extend(runner.declared_calls(&c.id, step, &probe.call, probing).iter().flat_map(Op::needs));
            }
            if !verify && let Some(action) = &step.action {
                out.extend(runner.declared_calls(&c.id, step, action, Probing::default()).iter().flat_map(Op::needs));
            }
        }
        if !verify {
            // The check before a run reads the caller's own policies.
            let x = runner.exec(&c.id, "permissions", false, Probing::default());
            out.extend(caller_reads(&x).iter().flat_map(Op::needs));
        }
    }
    out
}

pub async fn permissions(g: &Global, ids: Vec<String>, verify: bool, json: bool) -> Result<u8, Failure> {
    let s = Session::open_without_values(g, &ids, verify).await?;
    let mut wanted = needs(&s, verify);
    // A KMS key named by its alias: granted on the key behind it when the alias can be read.
    {
        let front = std::sync::Arc::new(super::front::CliFront::new(true, false, false));
        let runner = s.runner(front, None, RunState::default());
        let x = runner.exec("", "permissions", false, Probing::default());
        resolve_aliases(&x, wanted.iter_mut().collect()).await;
    }
    let generated = generate(&wanted, MANAGED_POLICY_LIMIT);
    let Generated { documents, on_any_resource } = &generated;
    if json {
        let doc = json!({
            "command": "permissions",
            "account": s.aws.account_id,
            "region": s.aws.region,
            "checklists": s.checklists().map(|c| c.id.clone()).collect::<Vec<_>>(),
            "verify": verify,
            "documents": documents,
            "on_any_resource": on_any_resource,
            "limit": MANAGED_POLICY_LIMIT,
        });
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
        return Ok(0);
    }
    let what = if verify { "verify" } else { "run" };
    eprintln!(
        "the least-privilege policy to {what} {} in account {}, region {}",
        s.checklists().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "),
        s.aws.account_id,
        s.aws.region
    );
    if !on_any_resource.is_empty() {
        eprintln!("on \"*\" (these actions have no resource-level permissions): {}", on_any_resource.join(", "));
    }
    if documents.len() > 1 {
        eprintln!(
            "it is larger than the {MANAGED_POLICY_LIMIT} characters of one managed policy: split into {} documents; attach each",
            documents.len()
        );
    }
    let text: Vec<String> = documents.iter().map(|d| serde_json::to_string_pretty(d).expect("json")).collect();
    render::emit(text.join("\n\n"));
    Ok(0)
}

/// The check as JSON (in the report of `run` and `plan`).
pub fn check_json(check: &PermissionCheck) -> Json {
    let missing: Vec<Json> = check
        .missing
        .iter()
        .map(|m| {
            json!({ "action": m.need.action, "resource": m.need.resource, "reason": m.reason, "why": m.need.why, "steps": m.steps })
        })
        .collect();
    json!({
        "caller": check.caller,
        "needed": check.needed,
        "checked": check.unreadable.is_none(),
        "unreadable": check.unreadable,
        "missing": missing,
        "policy": if check.missing.is_empty() { Vec::new() } else { check.policy().documents },
        "simulator": check.simulator,
    })
}
