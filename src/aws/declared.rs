//! Every call a kind makes is one its `calls` declare (the declaration is what
//! `preflight permissions` grants and what a run asks of the caller first).
//! With `PREFLIGHT_CHECK_DECLARED=1` (the tests set it) a call that is not
//! declared stops the command with a panic naming it; otherwise nothing is checked.

use std::sync::OnceLock;

use super::error::Op;
use crate::policy::actions::Need;
use crate::policy::pattern::covers;

/// Whether calls are checked against their kind's declaration.
pub fn checking() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("PREFLIGHT_CHECK_DECLARED").is_ok_and(|v| v == "1"))
}

/// A declared resource with the caller's user name for `${aws:username}`.
pub fn for_caller(resource: &str, caller_arn: &str) -> String {
    let user = caller_arn.split_once(":user/").map(|(_, path)| path.rsplit('/').next().unwrap_or(path));
    match user {
        Some(name) => resource.replace("${aws:username}", name),
        None => resource.to_string(),
    }
}

/// The needs of `op` that no declared need covers. A key found in the
/// account (the one a secret is really encrypted with) is no declaration's:
/// its kms needs are judged by the check before a run, from the calls made.
pub fn undeclared(op: &Op, declared: &[Need], caller_arn: &str) -> Vec<Need> {
    op.needs()
        .into_iter()
        .filter(|n| !(op.key_found && n.action.starts_with("kms:")))
        .filter(|n| {
            !declared.iter().any(|d| {
                d.action.eq_ignore_ascii_case(&n.action)
                    && covers(&for_caller(&d.resource, caller_arn), &n.resource, false)
            })
        })
        .collect()
}

/// Stops the command when `op` is not declared (only while checking).
pub fn check(op: &Op, declared: Option<&[Need]>, caller_arn: &str, who: &str) {
    let Some(declared) = declared.filter(|_| checking()) else { return };
    let missing = undeclared(op, declared, caller_arn);
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|n| format!("{} on {}", n.action, n.resource)).collect();
        panic!("{who} called {} ({}), which its kind's `calls` do not declare", op.action(), list.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(action: &str, resource: &str) -> Need {
        Need::new(action, resource)
    }

    #[test]
    fn a_call_is_declared_when_a_declared_pattern_covers_each_of_its_needs() {
        let declared = [
            need("iam:GetPolicy", "arn:aws:iam::aws:policy/*"),
            need("iam:GetUser", "arn:aws:iam::1:user/${aws:username}"),
        ];
        let caller = "arn:aws:iam::1:user/dev";
        let op = Op::new("iam", "GetPolicy", "arn:aws:iam::aws:policy/service-role/X");
        assert!(undeclared(&op, &declared, caller).is_empty());
        assert!(undeclared(&Op::new("iam", "GetUser", "arn:aws:iam::1:user/dev"), &declared, caller).is_empty());
        let other = Op::new("iam", "GetUser", "arn:aws:iam::1:user/someone-else");
        assert_eq!(undeclared(&other, &declared, caller).len(), 1);
        let role = Op::new("iam", "GetRole", "arn:aws:iam::1:role/r");
        assert_eq!(undeclared(&role, &declared, caller)[0].action, "iam:GetRole");
        // A call that needs no permission is always declared.
        assert!(undeclared(&Op::new("sts", "GetCallerIdentity", ""), &[], caller).is_empty());
    }

    #[test]
    fn the_callers_name_stands_for_its_variable() {
        assert_eq!(
            for_caller("arn:aws:iam::1:user/${aws:username}", "arn:aws:iam::1:user/ops/dev"),
            "arn:aws:iam::1:user/dev"
        );
        let role = "arn:aws:sts::1:assumed-role/r/s";
        assert_eq!(for_caller("arn:aws:iam::1:user/${aws:username}", role), "arn:aws:iam::1:user/${aws:username}");
    }
}
