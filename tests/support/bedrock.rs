//! A small HTTP double for the Bedrock operations moto does not implement,
//! speaking their documented REST/JSON wire format (paths, status codes,
//! `x-amzn-errortype` error shapes), reached through AWS_ENDPOINT_URL_BEDROCK
//! and AWS_ENDPOINT_URL_BEDROCK_RUNTIME; preflight talks to it with the AWS SDK's
//! own serializers and parsers. The region of a request is read from its
//! SigV4 credential scope, so "which regions have this model" can be asked.
//!
//! GetFoundationModel, GetFoundationModelAvailability, Get/PutUseCaseForModelAccess,
//! ListFoundationModelAgreementOffers, CreateFoundationModelAgreement, GetInferenceProfile
//! (the system-defined `us.` and `global.` profiles of the model), Converse (with the model id
//! or a profile id).
//!
//! One copy serves both the tests (`mod support`) and the sandbox: the program
//! examples/bedrock_double.rs includes this file and runs it as a server that
//! scripts/sandbox.sh starts next to moto.

use std::sync::{Arc, Mutex};

use super::http::Server;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    Available,
    NotAvailable,
    /// Pending for this many more availability checks, then available.
    Pending(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converse {
    Answer,
    AccessDenied,
    OnDemandNotSupported,
    Throttled,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub model: String,
    /// Regions where the model exists (ACTIVE).
    pub regions: Vec<String>,
    /// Regions the model's `us.` and `global.` inference profiles route to (offered where the model is).
    pub profile_regions: Vec<String>,
    pub on_demand: bool,
    pub agreement: Agreement,
    pub authorized: bool,
    pub entitled: bool,
    /// The submitted use-case form, JSON.
    pub use_case: Option<String>,
    pub converse: Converse,
    /// Every operation served, in order, with its region.
    pub calls: Vec<String>,
}

impl Scenario {
    /// Fully authorized Claude 3 Haiku in us-east-1 (seed 000).
    pub fn authorized() -> Self {
        Self {
            model: "anthropic.claude-3-haiku-20240307-v1:0".into(),
            regions: vec!["us-east-1".into()],
            profile_regions: vec!["us-east-1".into(), "us-east-2".into(), "us-west-2".into()],
            on_demand: true,
            agreement: Agreement::Available,
            authorized: true,
            entitled: true,
            use_case: Some(r#"{"companyName":"Comafi"}"#.into()),
            converse: Converse::Answer,
            calls: Vec::new(),
        }
    }

    /// What the sandbox starts with: a healthy account (the model is ACTIVE in us-east-1 for
    /// on-demand use, the caller authorized) that has not yet submitted Anthropic's use-case form
    /// (so it is not entitled) nor accepted the model's agreement. `run model-access` has
    /// both to do, and after it everything passes.
    pub fn sandbox() -> Self {
        Self { agreement: Agreement::NotAvailable, entitled: false, use_case: None, ..Self::authorized() }
    }

    /// A fresh account: no use-case form, no agreement, nothing authorized.
    pub fn fresh() -> Self {
        Self {
            agreement: Agreement::NotAvailable,
            authorized: false,
            entitled: false,
            use_case: None,
            ..Self::authorized()
        }
    }
}

pub struct BedrockDouble {
    pub url: String,
    pub scenario: Arc<Mutex<Scenario>>,
    _server: Server,
}

/// The path a health check asks (not a Bedrock operation, not recorded in `calls`).
pub const HEALTH_PATH: &str = "/_double/health";

impl BedrockDouble {
    /// On a free loopback port (the tests).
    pub fn start(scenario: Scenario) -> Self {
        Self::bind("127.0.0.1:0", scenario, None).expect("bind the Bedrock double")
    }

    /// On `addr`; `log` is given one line per request (the sandbox's program prints them).
    pub fn bind(
        addr: &str,
        scenario: Scenario,
        log: Option<fn(&str)>,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync + 'static>> {
        let scenario = Arc::new(Mutex::new(scenario));
        let sc = scenario.clone();
        let server = Server::bind(addr, move |request| {
            let region = request
                .header("Authorization")
                .and_then(|a| a.split("Credential=").nth(1).map(|c| c.split('/').nth(2).unwrap_or("").to_string()))
                .unwrap_or_default();
            let path = percent_encoding::percent_decode_str(request.url.split('?').next().unwrap_or(""))
                .decode_utf8_lossy()
                .into_owned();
            let method = request.method.clone();
            let (status, error, json) = if method == "GET" && path == HEALTH_PATH {
                (200, None, serde_json::json!({"double": "bedrock"}))
            } else {
                let mut s = sc.lock().unwrap();
                let before = s.calls.len();
                let answer = serve(&mut s, &method, &path, &region, &request.body);
                if let Some(log) = log {
                    // "Operation region", or the request that named no operation.
                    let what = s.calls.get(before).cloned().unwrap_or_else(|| format!("{method} {path}"));
                    let kind = answer.1.map(|k| format!(" {k}")).unwrap_or_default();
                    log(&format!("{what} -> {}{kind}", answer.0));
                    if what.starts_with("PutUseCaseForModelAccess ") {
                        log(&format!("  use-case form: {}", s.use_case.as_deref().unwrap_or_default()));
                    }
                }
                answer
            };
            let kind = error.map(|k| format!("{k}:http://internal.amazon.com/coral/com.amazon.bedrock/"));
            let mut headers = vec![("Content-Type", "application/json")];
            if let Some(k) = &kind {
                headers.push(("x-amzn-errortype", k.as_str()));
            }
            request.respond(status, &headers, json.to_string().as_bytes());
        })?;
        let url = format!("http://{}", server.addr);
        Ok(Self { url, scenario, _server: server })
    }

    pub fn calls(&self) -> Vec<String> {
        self.scenario.lock().unwrap().calls.clone()
    }
}

fn error(status: u16, kind: &'static str, message: &str) -> (u16, Option<&'static str>, serde_json::Value) {
    (status, Some(kind), serde_json::json!({ "message": message }))
}

fn serve(
    s: &mut Scenario,
    method: &str,
    path: &str,
    region: &str,
    body: &[u8],
) -> (u16, Option<&'static str>, serde_json::Value) {
    use serde_json::json;
    let here = s.regions.iter().any(|r| r == region);
    let arn = format!("arn:aws:bedrock:{region}::foundation-model/{}", s.model);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        ("GET", ["foundation-models", _]) => "GetFoundationModel",
        ("GET", ["foundation-model-availability", _]) => "GetFoundationModelAvailability",
        ("GET", ["use-case-for-model-access"]) => "GetUseCaseForModelAccess",
        ("POST", ["use-case-for-model-access"]) => "PutUseCaseForModelAccess",
        ("GET", ["list-foundation-model-agreement-offers", _]) => "ListFoundationModelAgreementOffers",
        ("POST", ["create-foundation-model-agreement"]) => "CreateFoundationModelAgreement",
        ("GET", ["inference-profiles", _]) => "GetInferenceProfile",
        ("POST", ["model", _, "converse"]) => "Converse",
        _ => return error(404, "UnknownOperationException", &format!("{method} {path}")),
    };
    s.calls.push(format!("{op} {region}"));
    let model_ok = segments.get(1).is_none_or(|m| *m == s.model);
    // The model's system-defined inference profiles, offered where the model is.
    let profile = segments
        .get(1)
        .and_then(|m| m.split_once('.'))
        .is_some_and(|(geo, base)| matches!(geo, "us" | "global") && base == s.model && here);
    match op {
        "GetFoundationModel" if here && model_ok => (
            200,
            None,
            json!({"modelDetails": {
                "modelArn": arn, "modelId": s.model, "modelName": "Claude 3 Haiku", "providerName": "Anthropic",
                "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
                "customizationsSupported": [], "inferenceTypesSupported": if s.on_demand { json!(["ON_DEMAND"]) } else { json!(["INFERENCE_PROFILE"]) },
                "modelLifecycle": {"status": "ACTIVE"}
            }}),
        ),
        "GetFoundationModel" => error(400, "ValidationException", "The provided model identifier is invalid."),
        "GetFoundationModelAvailability" => {
            let agreement = match s.agreement {
                Agreement::Available => "AVAILABLE",
                Agreement::NotAvailable => "NOT_AVAILABLE",
                Agreement::Pending(0) => {
                    s.agreement = Agreement::Available;
                    s.authorized = true;
                    s.entitled = true;
                    "AVAILABLE"
                }
                Agreement::Pending(n) => {
                    s.agreement = Agreement::Pending(n - 1);
                    "PENDING"
                }
            };
            let word = |ok: bool, yes: &str, no: &str| if ok { yes.to_string() } else { no.to_string() };
            (
                200,
                None,
                json!({
                    "modelId": s.model,
                    "agreementAvailability": {"status": agreement},
                    "authorizationStatus": word(s.authorized, "AUTHORIZED", "NOT_AUTHORIZED"),
                    "entitlementAvailability": word(s.entitled, "AVAILABLE", "NOT_AVAILABLE"),
                    "regionAvailability": word(here, "AVAILABLE", "NOT_AVAILABLE"),
                }),
            )
        }
        "GetUseCaseForModelAccess" => match &s.use_case {
            Some(form) => (200, None, json!({"formData": aws_smithy_types::base64::encode(form.as_bytes())})),
            None => error(404, "ResourceNotFoundException", "No use case found for this account."),
        },
        "PutUseCaseForModelAccess" => {
            let input: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let form =
                aws_smithy_types::base64::decode(input["formData"].as_str().unwrap_or_default()).unwrap_or_default();
            s.use_case = Some(String::from_utf8_lossy(&form).into_owned());
            s.entitled = true;
            (201, None, json!({}))
        }
        "ListFoundationModelAgreementOffers" => (
            200,
            None,
            json!({"modelId": s.model, "offers": [{"offerId": "offer-haiku-1", "offerToken": "token-haiku-1", "termDetails": {
                "usageBasedPricingTerm": {"rateCard": [{"dimension": "input tokens", "price": "0.00025", "description": "per 1K", "unit": "1K tokens"}]},
                "legalTerm": {"url": "https://aws.amazon.com/legal/bedrock/third-party-models/"},
                "supportTerm": {"refundPolicyDescription": "none"}
            }}]}),
        ),
        "CreateFoundationModelAgreement" => {
            let input: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            if input["offerToken"] != "token-haiku-1" || input["modelId"] != s.model.as_str() {
                return error(400, "ValidationException", "Invalid offer token.");
            }
            // Access then takes a while to propagate: two checks see it pending.
            s.agreement = Agreement::Pending(2);
            (202, None, json!({"modelId": s.model}))
        }
        "GetInferenceProfile" if profile => {
            let id = segments[1];
            let models: Vec<serde_json::Value> = s
                .profile_regions
                .iter()
                .map(|r| json!({"modelArn": format!("arn:aws:bedrock:{r}::foundation-model/{}", s.model)}))
                .collect();
            (
                200,
                None,
                json!({
                    "inferenceProfileName": format!("US {}", s.model),
                    "inferenceProfileArn": format!("arn:aws:bedrock:{region}:123456789012:inference-profile/{id}"),
                    "inferenceProfileId": id,
                    "status": "ACTIVE",
                    "type": "SYSTEM_DEFINED",
                    "models": models,
                }),
            )
        }
        "GetInferenceProfile" => {
            error(404, "ResourceNotFoundException", "The specified inference profile does not exist.")
        }
        "Converse" if !(model_ok || profile) => {
            error(400, "ValidationException", "The provided model identifier is invalid.")
        }
        "Converse" => match s.converse {
            Converse::Answer => (
                200,
                None,
                json!({"output": {"message": {"role": "assistant", "content": [{"text": "Hello"}]}}, "stopReason": "max_tokens", "usage": {"inputTokens": 12, "outputTokens": 1, "totalTokens": 13}, "metrics": {"latencyMs": 210}}),
            ),
            Converse::AccessDenied => {
                error(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.")
            }
            Converse::OnDemandNotSupported => error(
                400,
                "ValidationException",
                "Invocation of model ID anthropic.claude-3-haiku-20240307-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
            ),
            Converse::Throttled => {
                error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
            }
        },
        _ => unreachable!(),
    }
}
