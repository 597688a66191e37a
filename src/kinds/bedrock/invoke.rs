//! `bedrock.invoke` (probe, opt-in with `--invoke`): one Converse call with
//! maxTokens 1 through bedrock-runtime, reporting its latency, or on failure
//! the exact error class (AccessDenied, on-demand throughput, throttling).

use std::time::Instant;

use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, InferenceConfiguration, Message};
use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub model_id: String,
    pub region: String,
}

impl KindParams for Params {}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    if !x.probing.invoke {
        return Ok(ProbeResult::new(
            &id,
            Status::Skipped,
            format!("not run: one call to {} costs a fraction of a cent; verify with --invoke to make it", p.model_id),
        ));
    }
    let client = x.aws.bedrock_runtime(&p.region);
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("Reply with one word.".into()))
        .build()
        .map_err(|e| AwsError::other(e.to_string()))?;
    let call = client
        .converse()
        .model_id(&p.model_id)
        .messages(message)
        .inference_config(InferenceConfiguration::builder().max_tokens(1).build())
        .send();
    // Converse is authorized as bedrock:InvokeModel on the model (on a profile id: the profile and its
    // models): that is what an AccessDenied fix must name.
    let arn = invoked_arn(x, &p);
    let started = Instant::now();
    let result = x.read(Op::new("bedrock", "InvokeModel", &arn), call).await;
    let millis = started.elapsed().as_millis();
    let e = match result {
        Ok(out) => {
            let tokens = out.usage().map(|u| u.output_tokens()).unwrap_or_default();
            return Ok(ProbeResult::new(
                &id,
                Status::Pass,
                format!(
                    "{} answered in {millis} ms (stop reason {}, {tokens} output token)",
                    p.model_id,
                    out.stop_reason().as_str()
                ),
            ));
        }
        Err(e) if e.is_fatal() => return Err(e),
        Err(e) => e,
    };
    let class = e.code.clone().unwrap_or_else(|| "error".into());
    let on_demand = class == "ValidationException" && e.message.contains("on-demand throughput");
    let fix = match class.as_str() {
        "AccessDeniedException" => format!(
            "the caller lacks bedrock:InvokeModel on {arn}, or the account has no access to the model yet: preflight run {} (and check iam-policy for the runtime role)",
            x.checklist
        ),
        _ if on_demand => super::profile::use_a_profile(&p.region, &p.model_id),
        "ThrottlingException" | "ServiceQuotaExceededException" => "the account's Bedrock quota for this model is exhausted: retry later, or ask for a higher quota (Service Quotas)".to_string(),
        "ResourceNotFoundException" => "the model id is not offered in this region: see step region-model".to_string(),
        _ => return Ok(ProbeResult::new(&id, Status::Error, format!("{class} after {millis} ms: {}", e.message))),
    };
    Ok(ProbeResult::new(&id, Status::Fail, format!("{class} after {millis} ms: {}", e.message)).with_fix(fix))
}

/// The calls of [`probe`]: one Converse, only with `--invoke`.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    if !x.probing.invoke {
        return Ok(Vec::new());
    }
    Ok(vec![Op::new("bedrock", "InvokeModel", invoked_arn(x, p))])
}

/// What the call invokes: the foundation model, or the inference profile its id names.
fn invoked_arn(x: &Exec, p: &Params) -> String {
    if super::profile::split(&p.model_id).is_some() {
        super::profile::profile_arn(x, &p.region, &p.model_id)
    } else {
        super::model_arn(x, &p.region, &p.model_id)
    }
}
