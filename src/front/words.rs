//! How an outcome is worded, the same in every front end: why a run stopped
//! (with its exit code), what the permission check found, the facts a run
//! depends on that do not hold.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::setup::{EXIT_AWS, Failure, usage};
use crate::runner::{PermissionCheck, Stop, Unmet};

/// Every line of a text after `pad`.
pub fn indent(text: &str, pad: &str) -> String {
    text.lines().map(|l| format!("{pad}{l}")).collect::<Vec<_>>().join("\n")
}

/// Why a run stopped early, as the operator is told it (with its exit code).
pub fn stopped(stop: Stop) -> Failure {
    match stop {
        Stop::Aws(e) => {
            let fix = e.fix().map(|f| format!("\n  fix: {f}")).unwrap_or_default();
            Failure { code: EXIT_AWS, message: format!("error: {e}{fix}") }
        }
        Stop::NeedsConsent { checklist, step, changes } => {
            let list: Vec<String> = changes
                .iter()
                .map(|c| format!("  {}:{} {} — {}", c.service, c.operation, c.resource, c.detail))
                .collect();
            usage(format!(
                "error: step {checklist}/{step} would change the account and there is no terminal to ask for consent:\n{}\n  fix: review `preflight plan {checklist}`, then run again with --yes",
                list.join("\n")
            ))
        }
        Stop::State(e) | Stop::Input(e) => usage(format!("error: {e}")),
    }
}

/// What is missing, a line each: the action, its resource, the steps that need it, why it is not allowed.
pub fn missing_lines(check: &PermissionCheck) -> Vec<String> {
    let mut by_pair: BTreeMap<(&str, &str), Vec<&crate::runner::Missing>> = BTreeMap::new();
    for m in &check.missing {
        by_pair.entry((m.need.action.as_str(), m.need.resource.as_str())).or_default().push(m);
    }
    by_pair
        .into_iter()
        .map(|((action, resource), ms)| {
            let mut steps: Vec<&str> = ms.iter().flat_map(|m| m.steps.iter().map(String::as_str)).collect();
            steps.dedup();
            let reasons: Vec<&str> = ms.iter().map(|m| m.reason.as_str()).collect();
            format!("{action} on {resource} ({}): {}", steps.join(", "), reasons.join("; "))
        })
        .collect()
}

/// The check as the operator reads it.
pub fn check_text(check: &PermissionCheck, command: &str) -> String {
    let mut out = check_headline(check, command);
    if check.missing.is_empty() {
        return out;
    }
    for line in missing_lines(check) {
        out.push_str(&format!("\n    {line}"));
    }
    out.push_str("\n  fix: grant the caller exactly what is missing, e.g. as a policy attached to it:\n");
    out.push_str(&indent(&missing_policy(check), "    "));
    out
}

/// The check's outcome in one line: all held, or how many are missing and what that means.
pub fn check_headline(check: &PermissionCheck, command: &str) -> String {
    let sim = check.simulator.as_deref().map(|s| format!("; simulator: {s}")).unwrap_or_default();
    if check.missing.is_empty() {
        return format!(
            "✔ permissions: {} holds all {} permissions this {command} needs (local evaluation of its policies{sim})",
            check.caller, check.needed
        );
    }
    format!("✘ permissions: {}{sim}", lacks(check, command, &check.caller))
}

/// What is missing, for a status line: "the caller lacks 1 of the 23 permissions this run needs; nothing was changed".
pub fn check_short(check: &PermissionCheck, command: &str) -> String {
    lacks(check, command, "the caller")
}

fn lacks(check: &PermissionCheck, command: &str, who: &str) -> String {
    let consequence =
        if command == "plan" { "a run would stop before its first change" } else { "nothing was changed" };
    format!(
        "{who} lacks {} of the {} permissions this {command} needs; {consequence}",
        check.missing.len(),
        check.needed
    )
}

/// The policy that grants exactly what is missing, as JSON documents.
pub fn missing_policy(check: &PermissionCheck) -> String {
    let docs = check.policy().documents;
    docs.iter().map(|d| serde_json::to_string_pretty(d).expect("json")).collect::<Vec<_>>().join("\n\n")
}

/// When the caller's policies cannot be read: the permissions go unchecked
/// (a warning), or with `--strict` the command stops (an error), with the fix.
pub fn check_unreadable(why: &str, command: &str, strict: bool) -> String {
    let fix = "  fix: let the caller read its own policies (iam:GetUser, iam:List*Policies, iam:Get*Policy, \
               iam:GetPolicyVersion: `preflight permissions` includes them), or check them yourself";
    if strict {
        format!(
            "error: the caller's policies cannot be read, so the permissions this {command} needs are not known \
             (--strict stops here; nothing was changed): {why}\n{fix}"
        )
    } else {
        format!(
            "warning: the caller's policies cannot be read, so the permissions this {command} needs are not checked before it starts: {why}\n{fix}"
        )
    }
}

/// Facts a run depends on that do not hold: the run changed nothing.
pub fn unmet_text(unmet: &[Unmet]) -> String {
    let mut out = format!(
        "✘ nothing was changed: {} fact{} this run depends on {} not hold:",
        unmet.len(),
        if unmet.len() == 1 { "" } else { "s" },
        if unmet.len() == 1 { "does" } else { "do" }
    );
    for u in unmet {
        out.push_str(&format!("\n  {}: {}", u.step, indent(&u.fact, "    ").trim_start()));
        if let Some(fix) = &u.fix {
            out.push_str(&format!("\n    fix: {}", indent(fix, "      ").trim_start()));
        }
    }
    out
}

pub fn unmet_json(unmet: &[Unmet]) -> Value {
    unmet.iter().map(|u| json!({ "step": u.step, "fact": u.fact, "fix": u.fix })).collect()
}
