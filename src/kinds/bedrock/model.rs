//! `bedrock.model`: the model exists and is ACTIVE in the region for on-demand
//! use; else the regions where it is, or the inference profile to use.

use aws_sdk_bedrock::types::InferenceType;
use serde::Deserialize;

use super::model_arn;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

/// Commercial regions where Bedrock runs, asked when a model is not in the chosen one.
const BEDROCK_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub model_id: String,
    pub region: String,
}

impl KindParams for Params {}

/// The model's details in `region`, or None when the region does not have it.
async fn model_in(
    x: &Exec,
    region: &str,
    model: &str,
) -> Result<Option<aws_sdk_bedrock::types::FoundationModelDetails>, AwsError> {
    let client = x.aws.bedrock(region);
    let op = Op::new("bedrock", "GetFoundationModel", model_arn(x, region, model));
    match x.read(op, client.get_foundation_model().model_identifier(model).send()).await {
        Ok(out) => Ok(out.model_details),
        // An unknown identifier is a ValidationException ("The provided model identifier is invalid").
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("ValidationException") => Ok(None),
        Err(e) => Err(e),
    }
}

/// A profile id: the profile is offered and ACTIVE in the region, and names the regions it routes to.
async fn probe_profile(x: &mut Exec, id: String, p: &Params) -> Result<ProbeResult, AwsError> {
    let Some(profile) = super::profile::read(x, &p.region, &p.model_id).await? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("{} is not an inference profile offered in {}", p.model_id, p.region),
        )
        .with_fix(format!(
            "check the profile id and its prefix (us., eu., apac., global., …): aws bedrock list-inference-profiles --region {}",
            p.region
        )));
    };
    x.output("model_arn", &profile.arn);
    if profile.status != "ACTIVE" {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("inference profile {} is {} in {}, not ACTIVE", p.model_id, profile.status, p.region),
        )
        .with_fix(format!("choose an ACTIVE profile: aws bedrock list-inference-profiles --region {}", p.region)));
    }
    if profile.models.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("inference profile {} in {} names no model to route to", p.model_id, p.region),
        ));
    }
    Ok(ProbeResult::new(
        &id,
        Status::Pass,
        format!(
            "inference profile {} is ACTIVE in {} and routes {} to {}",
            p.model_id,
            p.region,
            super::profile::base_model(&p.model_id),
            profile.regions().join(", ")
        ),
    ))
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    if super::profile::split(&p.model_id).is_some() {
        return probe_profile(x, id, &p).await;
    }
    let Some(details) = model_in(x, &p.region, &p.model_id).await? else {
        let mut elsewhere = Vec::new();
        for region in BEDROCK_REGIONS.iter().filter(|r| **r != p.region) {
            // Regions the account has not enabled answer with errors: they just do not count.
            if let Ok(Some(d)) = model_in(x, region, &p.model_id).await
                && d.model_lifecycle().map(|l| l.status().as_str()) == Some("ACTIVE")
            {
                elsewhere.push(region.to_string());
            }
        }
        let message = format!("model {} is not offered in {}", p.model_id, p.region);
        return Ok(if elsewhere.is_empty() {
            ProbeResult::new(&id, Status::Fail, format!("{message}, nor in any other Bedrock region"))
                .with_fix("check the model id (aws bedrock list-foundation-models)")
        } else {
            ProbeResult::new(&id, Status::Fail, format!("{message}; it is ACTIVE in {}", elsewhere.join(", ")))
                .with_fix(format!(
                    "run the application in {0}: pass --region {0}, or set region = \"{0}\" in the profile's [inputs]",
                    elsewhere[0]
                ))
        });
    };
    x.output("model_arn", details.model_arn());
    let lifecycle =
        details.model_lifecycle().map(|l| l.status().as_str().to_string()).unwrap_or_else(|| "unknown".into());
    if lifecycle != "ACTIVE" {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("model {} is {lifecycle} in {}, not ACTIVE", p.model_id, p.region),
        )
        .with_fix("choose an ACTIVE model (aws bedrock list-foundation-models --by-provider ...)"));
    }
    let types = details.inference_types_supported();
    if !types.contains(&InferenceType::OnDemand) {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("model {} is ACTIVE in {} but not for on-demand use with its model id: calls with it fail with a ValidationException about on-demand throughput", p.model_id, p.region))
            .with_fix(super::profile::use_a_profile(&p.region, &p.model_id)));
    }
    Ok(ProbeResult::new(
        &id,
        Status::Pass,
        format!(
            "model {} ({}) is ACTIVE in {} for on-demand use",
            p.model_id,
            details.model_name().unwrap_or("?"),
            p.region
        ),
    ))
}

/// The calls of [`probe`]: the model in its region and, when it is not there, in the others;
/// for a profile id, the profile in its region.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    if super::profile::split(&p.model_id).is_some() {
        return Ok(vec![Op::new(
            "bedrock",
            "GetInferenceProfile",
            super::profile::profile_arn(x, &p.region, &p.model_id),
        )]);
    }
    Ok(vec![Op::new("bedrock", "GetFoundationModel", model_arn(x, "*", &p.model_id))])
}
