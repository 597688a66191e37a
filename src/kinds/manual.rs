//! `manual.confirm` (probe): something only a person can check (a screen, a
//! message, a setting outside AWS). It reports `manual` until the operator
//! confirms it with `preflight confirm`; it never fails `verify` unless `--strict`.

use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// What the operator must look at, in one sentence.
    pub check: String,
}

impl KindParams for Params {}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    Ok(ProbeResult::new(&id, Status::Manual, p.check)
        .with_fix(format!("when it is done, record it: preflight confirm {} --step {}", x.checklist, x.step)))
}

/// The calls of [`probe`]: none (a person checks).
pub fn probe_calls(_: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(Vec::new())
}
