//! Bedrock model access, checked for real, one module per concern: the model
//! in its region, the access status and agreement, Anthropic's use-case form,
//! and one real Converse call.

pub mod access;
pub mod invoke;
pub mod model;
pub mod profile;
pub mod use_case;

use crate::aws::exec::Exec;

pub(crate) fn model_arn(x: &Exec, region: &str, model: &str) -> String {
    format!("arn:{}:bedrock:{region}::foundation-model/{model}", x.aws.partition())
}
