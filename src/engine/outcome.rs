//! Results of probes and steps, as reported to the operator and in JSON.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The probe could not decide: AWS answered with an error.
    Error,
    Skipped,
    Pending,
    /// Needs a human (or a tool that is absent); does not fail `verify` unless `--strict`.
    Manual,
    /// A step it stands on (in any checklist) does not pass: never a pass,
    /// whatever its own probes say; fails `verify`.
    Blocked,
}

impl Status {
    pub fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✔",
            Status::Fail => "✘",
            Status::Error => "!",
            Status::Skipped => "-",
            Status::Pending => "○",
            Status::Manual => "?",
            Status::Blocked => "⊘",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub id: String,
    pub status: Status,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// What tools read besides the message: a permission probe's verdict on each
    /// (action, resource) pair it judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<serde_json::Value>>,
}

impl ProbeResult {
    pub fn new(id: &str, status: Status, message: impl Into<String>) -> Self {
        Self { id: id.to_string(), status, message: message.into(), fix: None, pairs: None }
    }
    pub fn with_pairs(mut self, pairs: Vec<serde_json::Value>) -> Self {
        self.pairs = Some(pairs);
        self
    }
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The status of a step from its probes: any error, then any failure, then
/// any undecided manual probe, else pass. `confirmed` turns manual into pass.
pub fn step_status(probes: &[ProbeResult], confirmed: bool) -> Status {
    let any = |s: Status| probes.iter().any(|p| p.status == s);
    if probes.is_empty() {
        Status::Pending
    } else if any(Status::Error) {
        Status::Error
    } else if any(Status::Fail) {
        Status::Fail
    } else if any(Status::Manual) && !confirmed {
        Status::Manual
    } else if probes.iter().all(|p| p.status == Status::Skipped) {
        // Nothing was proven: a probe that was not run (opt-in) is no pass.
        Status::Skipped
    } else {
        Status::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_status_from_probes() {
        let p = |s| ProbeResult::new("p", s, "");
        assert_eq!(step_status(&[], false), Status::Pending);
        assert_eq!(step_status(&[p(Status::Pass), p(Status::Fail)], false), Status::Fail);
        assert_eq!(step_status(&[p(Status::Fail), p(Status::Error)], false), Status::Error);
        assert_eq!(step_status(&[p(Status::Pass), p(Status::Manual)], false), Status::Manual);
        assert_eq!(step_status(&[p(Status::Pass), p(Status::Manual)], true), Status::Pass);
        assert_eq!(step_status(&[p(Status::Skipped)], false), Status::Skipped);
        assert_eq!(step_status(&[p(Status::Skipped), p(Status::Pass)], false), Status::Pass);
    }
}
