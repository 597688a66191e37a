//! Cross-region inference profiles. A model id with a geography prefix
//! (`us.anthropic.claude-3-5-haiku-20241022-v1:0`, `global.…`) names a
//! system-defined inference profile, which routes each request to one of
//! several regions. Invoking through it is authorized on the profile
//! (`arn:…:bedrock:REGION:ACCOUNT:inference-profile/ID`) **and** on the
//! foundation model in every region it routes to (Bedrock user guide,
//! "Prerequisites for inference profiles"); those regions are read from
//! GetInferenceProfile, never guessed. A policy or requirement that writes
//! the profile id where a foundation model goes
//! (`foundation-model/us.anthropic…`, which matches no request) is read as
//! what it means: [`expand_document`], [`expand_resource`].

use serde_json::Value;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;

/// The geography prefixes of system-defined inference profiles (Bedrock user
/// guide, "Supported Regions and models for inference profiles").
pub const PREFIXES: &[&str] = &["us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"];

/// The prefix and the model of a profile id, or None for a plain model id.
pub fn split(id: &str) -> Option<(&str, &str)> {
    let (prefix, model) = id.split_once('.')?;
    (PREFIXES.contains(&prefix) && model.contains('.')).then_some((prefix, model))
}

/// The foundation model behind a model or profile id.
pub fn base_model(id: &str) -> &str {
    split(id).map_or(id, |(_, model)| model)
}

/// The geography prefix of the profiles whose requests start in `region`.
fn geography(region: &str) -> Option<&'static str> {
    if region.starts_with("us-gov-") {
        Some("us-gov")
    } else if region.starts_with("us-") {
        Some("us")
    } else if region.starts_with("eu-") {
        Some("eu")
    } else if region.starts_with("ap-") {
        Some("apac")
    } else {
        None
    }
}

/// The fix for a model that is only invoked through a profile in `region`.
pub fn use_a_profile(region: &str, model: &str) -> String {
    let model = base_model(model);
    let mut fix = match geography(region) {
        Some(geo) => {
            format!("invoke it through an inference profile: set bedrock_model_id to {geo}.{model} (or global.{model})")
        }
        None => format!("invoke it through an inference profile: set bedrock_model_id to global.{model}"),
    };
    fix.push_str(&format!(
        " — the profiles offered in {region}: aws bedrock list-inference-profiles --region {region}"
    ));
    fix
}

pub fn profile_arn(x: &Exec, region: &str, id: &str) -> String {
    format!("arn:{}:bedrock:{region}:{}:inference-profile/{id}", x.aws.partition(), x.aws.account_id)
}

/// A system-defined inference profile as Bedrock describes it.
#[derive(Debug, Clone)]
pub struct Profile {
    pub arn: String,
    pub status: String,
    /// The foundation model's ARN in each region the profile routes to.
    pub models: Vec<String>,
}

impl Profile {
    /// The regions the profile routes to, from its models' ARNs.
    pub fn regions(&self) -> Vec<&str> {
        self.models.iter().filter_map(|m| m.split(':').nth(3)).collect()
    }
}

/// The profile `id` in `region`, or None when the region does not offer it.
pub async fn read(x: &Exec, region: &str, id: &str) -> Result<Option<Profile>, AwsError> {
    let client = x.aws.bedrock(region);
    let op = Op::new("bedrock", "GetInferenceProfile", profile_arn(x, region, id));
    let out = match x.read(op, client.get_inference_profile().inference_profile_identifier(id).send()).await {
        Ok(out) => out,
        // An id the region does not offer: ResourceNotFoundException, or a ValidationException for a malformed one.
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("ValidationException") => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(Profile {
        arn: out.inference_profile_arn().to_string(),
        status: out.status().as_str().to_string(),
        models: out.models().iter().filter_map(|m| m.model_arn().map(str::to_string)).collect(),
    }))
}

/// `arn:P:bedrock:REGION::foundation-model/ID` → (REGION, ID).
fn foundation_model(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "bedrock", region, "", rest] => rest.strip_prefix("foundation-model/").map(|id| (*region, id)),
        _ => None,
    }
}

/// What a Resource entry means: a foundation-model ARN written with a profile
/// id is the profile and its models in every region it routes to; anything
/// else is itself.
pub async fn expand_resource(x: &Exec, resource: &str) -> Result<Vec<String>, AwsError> {
    let Some((region, id)) = foundation_model(resource).filter(|(_, id)| split(id).is_some()) else {
        return Ok(vec![resource.to_string()]);
    };
    match read(x, region, id).await? {
        Some(p) => Ok(std::iter::once(p.arn.clone()).chain(p.models).collect()),
        None => {
            let mut e = AwsError::other(format!(
                "{id} is not an inference profile offered in {region}, so no policy can name what invoking it needs"
            ));
            e.hint = Some(Box::new(format!(
                "check bedrock_model_id: `aws bedrock list-inference-profiles --region {region}` lists the profiles offered there; the model's step says more: preflight verify model-access"
            )));
            Err(e)
        }
    }
}

/// Every Resource entry of a policy document expanded ([`expand_resource`]).
pub async fn expand_document(x: &Exec, mut doc: Value) -> Result<Value, AwsError> {
    let Some(statements) = doc.get_mut("Statement").and_then(Value::as_array_mut) else { return Ok(doc) };
    for st in statements {
        let entries: Vec<String> = match st.get("Resource") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => continue,
        };
        if !entries.iter().any(|e| foundation_model(e).is_some_and(|(_, id)| split(id).is_some())) {
            continue;
        }
        let mut out: Vec<String> = Vec::new();
        for e in &entries {
            for r in expand_resource(x, e).await? {
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        st["Resource"] = Value::from(out);
    }
    Ok(doc)
}

/// The reads [`expand_resource`] makes for these resources.
pub fn expand_calls<'a>(x: &Exec, resources: impl IntoIterator<Item = &'a str>) -> Vec<Op> {
    resources
        .into_iter()
        .filter_map(foundation_model)
        .filter(|(_, id)| split(id).is_some())
        .map(|(region, id)| Op::new("bedrock", "GetInferenceProfile", profile_arn(x, region, id)))
        .collect()
}

/// Every Resource entry of a policy document.
pub fn resources_of(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for st in doc.get("Statement").and_then(Value::as_array).into_iter().flatten() {
        match st.get("Resource") {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(a)) => out.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string))),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_ids_have_a_geography_prefix() {
        assert_eq!(
            split("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            Some(("us", "anthropic.claude-3-5-haiku-20241022-v1:0"))
        );
        assert_eq!(split("apac.anthropic.claude-3-haiku-20240307-v1:0").map(|s| s.0), Some("apac"));
        assert_eq!(split("global.anthropic.claude-sonnet-4-20250514-v1:0").map(|s| s.0), Some("global"));
        assert_eq!(split("anthropic.claude-3-haiku-20240307-v1:0"), None);
        assert_eq!(split("ap.anthropic.claude-3-haiku-20240307-v1:0"), None, "Asia Pacific is apac., not ap.");
        assert_eq!(base_model("eu.meta.llama3-2-1b-instruct-v1:0"), "meta.llama3-2-1b-instruct-v1:0");
    }

    #[test]
    fn the_suggested_profile_is_the_region_s_geography() {
        let m = "anthropic.claude-3-5-haiku-20241022-v1:0";
        assert!(use_a_profile("ap-southeast-2", m).contains("apac.anthropic"));
        assert!(use_a_profile("us-west-2", m).contains("to us.anthropic"));
        assert!(use_a_profile("eu-west-1", m).contains("to eu.anthropic"));
        assert!(use_a_profile("us-gov-west-1", m).contains("to us-gov.anthropic"));
        assert!(use_a_profile("sa-east-1", m).contains("to global.anthropic"));
    }

    #[test]
    fn only_foundation_model_arns_with_profile_ids_expand() {
        assert_eq!(
            foundation_model("arn:aws:bedrock:us-east-1::foundation-model/us.anthropic.x-v1:0"),
            Some(("us-east-1", "us.anthropic.x-v1:0"))
        );
        assert_eq!(foundation_model("arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.x"), None);
        assert_eq!(foundation_model("*"), None);
    }
}
