//! Bedrock model access, checked for real: `bedrock.model` (the model exists
//! and is ACTIVE in the region, on demand or through an inference profile),
//! `bedrock.availability` (authorization, entitlement, agreement and region,
//! re-checked with a countdown while access propagates), `bedrock.use_case` /
//! `bedrock.ensure_use_case` (Anthropic's use-case form, once per account) and
//! `bedrock.agreement` / `bedrock.ensure_agreement` (the model's agreement offer).

use aws_sdk_bedrock::types::{
    AgreementStatus, AuthorizationStatus, EntitlementAvailability, InferenceType, RegionAvailability,
};
use serde::Deserialize;

use super::error::{AwsError, ErrorKind, Op};
use super::exec::Exec;
use super::registry::KindParams;
use crate::engine::outcome::{ProbeResult, Status};

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
pub struct ModelParams {
    pub model_id: String,
    pub region: String,
}

impl KindParams for ModelParams {}

fn model_arn(x: &Exec, region: &str, model: &str) -> String {
    format!("arn:{}:bedrock:{region}::foundation-model/{model}", x.aws.partition())
}

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

pub async fn probe_model(x: &mut Exec, id: String, p: ModelParams) -> Result<ProbeResult, AwsError> {
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
                    "run the application in {0}: --set region={0} (or region = \"{0}\" in the profile)",
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
        let geo = p.region.split('-').next().unwrap_or("us");
        return Ok(ProbeResult::new(&id, Status::Fail, format!("model {} is ACTIVE in {} but not for on-demand use with its model id: calls with it fail with a ValidationException about on-demand throughput", p.model_id, p.region))
            .with_fix(format!("invoke it through an inference profile: set bedrock_model_id to {geo}.{0} (or global.{0})", p.model_id)));
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityParams {
    pub model_id: String,
    pub region: String,
    /// Check only the agreement (the agreement step) or everything (the access step).
    #[serde(default)]
    pub agreement_only: bool,
    /// Seconds between checks while access is propagating (a template of a number input).
    #[serde(default = "one")]
    pub poll_seconds: String,
    /// How many checks in all before giving up.
    #[serde(default = "one")]
    pub tries: String,
}

fn one() -> String {
    "1".into()
}

impl KindParams for AvailabilityParams {}

fn number(text: &str, what: &str) -> Result<u64, AwsError> {
    text.trim().parse().map_err(|_| AwsError::other(format!("{what} must be a whole number, not \"{text}\"")))
}

struct Availability {
    authorized: bool,
    entitled: bool,
    agreement: AgreementStatus,
    agreement_error: Option<String>,
    in_region: bool,
}

impl Availability {
    fn lines(&self) -> Vec<String> {
        let word = |ok: bool, yes: &str, no: &str| if ok { yes.to_string() } else { no.to_string() };
        vec![
            format!("authorization: {}", word(self.authorized, "AUTHORIZED", "NOT_AUTHORIZED")),
            format!("entitlement: {}", word(self.entitled, "AVAILABLE", "NOT_AVAILABLE")),
            format!(
                "agreement: {}{}",
                self.agreement.as_str(),
                self.agreement_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            format!("region: {}", word(self.in_region, "AVAILABLE", "NOT_AVAILABLE")),
        ]
    }
    fn agreement_ok(&self) -> bool {
        self.agreement == AgreementStatus::Available
    }
    fn all_ok(&self) -> bool {
        self.authorized && self.entitled && self.agreement_ok() && self.in_region
    }
    /// Still settling: worth another look after a while.
    fn propagating(&self) -> bool {
        self.agreement == AgreementStatus::Pending || (self.agreement_ok() && !self.authorized)
    }
}

async fn availability(x: &Exec, region: &str, model: &str) -> Result<Availability, AwsError> {
    let client = x.aws.bedrock(region);
    let op = Op::new("bedrock", "GetFoundationModelAvailability", model_arn(x, region, model));
    let out = x.read(op, client.get_foundation_model_availability().model_id(model).send()).await?;
    Ok(Availability {
        authorized: out.authorization_status() == &AuthorizationStatus::Authorized,
        entitled: out.entitlement_availability() == &EntitlementAvailability::Available,
        agreement: out.agreement_availability().map(|a| a.status().clone()).unwrap_or(AgreementStatus::NotAvailable),
        agreement_error: out.agreement_availability().and_then(|a| a.error_message()).map(str::to_string),
        in_region: out.region_availability() == &RegionAvailability::Available,
    })
}

pub async fn probe_availability(x: &mut Exec, id: String, p: AvailabilityParams) -> Result<ProbeResult, AwsError> {
    let (poll, tries) = (number(&p.poll_seconds, "poll_seconds")?, number(&p.tries, "tries")?.max(1));
    let mut a = availability(x, &p.region, &p.model_id).await?;
    let done = |a: &Availability| if p.agreement_only { a.agreement_ok() } else { a.all_ok() };
    let mut attempt = 1;
    // Access takes minutes to propagate after the agreement: look again, visibly and boundedly.
    while !done(&a) && a.propagating() && attempt < tries {
        x.wait(&format!("access to {} is propagating (try {attempt}/{tries})", p.model_id), poll).await;
        attempt += 1;
        a = availability(x, &p.region, &p.model_id).await?;
    }
    let rerun = format!("preflight run {}", x.checklist);
    let lines = a.lines();
    if p.agreement_only {
        return Ok(match (a.agreement_ok(), a.propagating()) {
            (true, _) => ProbeResult::new(&id, Status::Pass, format!("the agreement for {} is in place", p.model_id)),
            (false, true) => ProbeResult::new(
                &id,
                Status::Fail,
                format!("the agreement for {} is still PENDING after {tries} checks", p.model_id),
            )
            .with_fix(format!("access can take minutes to propagate: verify again later ({rerun} --step {})", x.step)),
            (false, false) => {
                ProbeResult::new(&id, Status::Fail, format!("no agreement for {}: {}", p.model_id, lines[2]))
                    .with_fix(format!("accept the model's offer: {rerun} --step {}", x.step))
            }
        });
    }
    if a.all_ok() {
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("access to {} in {}:\n{}", p.model_id, p.region, lines.join("\n")),
        ));
    }
    let mut fixes = Vec::new();
    if !a.in_region {
        fixes.push(format!("the model is not offered in {}: choose the region of step region-model", p.region));
    }
    if !a.agreement_ok() {
        fixes.push(if a.propagating() {
            format!("the agreement is pending: access can take minutes; verify again later ({rerun})")
        } else {
            format!("create the agreement: {rerun} --step agreement")
        });
    }
    if !a.entitled {
        fixes.push(format!("the account is not entitled: submit the use-case form ({rerun} --step use-case) and check that the caller may aws-marketplace:Subscribe"));
    }
    if !a.authorized && a.agreement_ok() && a.entitled {
        fixes.push(
            "the caller is not authorized for this model: check IAM (bedrock:InvokeModel) and the organization's SCPs"
                .into(),
        );
    }
    Ok(ProbeResult::new(
        &id,
        Status::Fail,
        format!("no access to {} in {} yet:\n{}", p.model_id, p.region, lines.join("\n")),
    )
    .with_fix(fixes.join("\n")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementParams {
    pub model_id: String,
    pub region: String,
}

impl KindParams for AgreementParams {}

pub async fn ensure_agreement(x: &mut Exec, p: AgreementParams) -> Result<(), AwsError> {
    let a = availability(x, &p.region, &p.model_id).await?;
    if a.agreement_ok() || a.agreement == AgreementStatus::Pending {
        x.note(format!("the agreement for {} is {}", p.model_id, a.agreement.as_str()));
        return Ok(());
    }
    let client = x.aws.bedrock(&p.region);
    let arn = model_arn(x, &p.region, &p.model_id);
    let offers = x
        .read(
            Op::new("bedrock", "ListFoundationModelAgreementOffers", &arn),
            client.list_foundation_model_agreement_offers().model_id(&p.model_id).send(),
        )
        .await?;
    let Some(offer) = offers.offers().first() else {
        return Err(AwsError::other(format!(
            "{} has no agreement offer in {}: it cannot be enabled there",
            p.model_id, p.region
        )));
    };
    let detail = format!(
        "accept offer {} for {} (access can then take minutes to propagate)",
        offer.offer_id().unwrap_or("?"),
        p.model_id
    );
    let call = client.create_foundation_model_agreement().model_id(&p.model_id).offer_token(offer.offer_token()).send();
    x.change(Op::new("bedrock", "CreateFoundationModelAgreement", &arn), detail, call).await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UseCaseParams {
    #[serde(rename = "model_id")]
    pub model_id: String,
    pub region: String,
    pub company_name: String,
    pub company_website: String,
    pub intended_users: String,
    pub industry_option: String,
    #[serde(default)]
    pub other_industry_option: String,
    pub use_cases: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseCaseCheck {
    pub model_id: String,
    pub region: String,
}

impl KindParams for UseCaseParams {}
impl KindParams for UseCaseCheck {}

/// Only Anthropic's models need the use-case form.
fn needs_use_case(model: &str) -> bool {
    model
        .trim_start_matches("us.")
        .trim_start_matches("eu.")
        .trim_start_matches("apac.")
        .trim_start_matches("global.")
        .starts_with("anthropic.")
}

/// The submitted form, if the account has one.
async fn use_case(x: &Exec, region: &str) -> Result<Option<serde_json::Value>, AwsError> {
    let client = x.aws.bedrock(region);
    let op = Op::new("bedrock", "GetUseCaseForModelAccess", "");
    match x.read_opt(op, client.get_use_case_for_model_access().send()).await? {
        None => Ok(None),
        Some(out) => Ok(Some(serde_json::from_slice(out.form_data().as_ref()).unwrap_or(serde_json::Value::Null))),
    }
}

pub async fn ensure_use_case(x: &mut Exec, p: UseCaseParams) -> Result<(), AwsError> {
    if !needs_use_case(&p.model_id) {
        x.note(format!("{} is not an Anthropic model: no use-case form", p.model_id));
        return Ok(());
    }
    if use_case(x, &p.region).await?.is_some() {
        x.note("the account already submitted the use-case form");
        return Ok(());
    }
    let form = serde_json::json!({
        "companyName": p.company_name,
        "companyWebsite": p.company_website,
        "intendedUsers": p.intended_users,
        "industryOption": p.industry_option,
        "otherIndustryOption": p.other_industry_option,
        "useCases": p.use_cases,
    });
    let client = x.aws.bedrock(&p.region);
    let call = client
        .put_use_case_for_model_access()
        .form_data(aws_smithy_types::Blob::new(serde_json::to_vec(&form).expect("json")))
        .send();
    let detail = format!("submit Anthropic's use-case form for the account (company {})", p.company_name);
    x.change(Op::new("bedrock", "PutUseCaseForModelAccess", ""), detail, call).await?;
    Ok(())
}

pub async fn probe_use_case(x: &mut Exec, id: String, p: UseCaseCheck) -> Result<ProbeResult, AwsError> {
    if !needs_use_case(&p.model_id) {
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("{} is not an Anthropic model: no use-case form is needed", p.model_id),
        ));
    }
    match use_case(x, &p.region).await {
        Ok(Some(form)) => Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!(
                "the account submitted Anthropic's use-case form (company {})",
                form.get("companyName").and_then(|c| c.as_str()).unwrap_or("?")
            ),
        )),
        Ok(None) => Ok(ProbeResult::new(
            &id,
            Status::Fail,
            "the account has not submitted Anthropic's use-case form: Anthropic models stay unavailable",
        )
        .with_fix(format!(
            "preflight run {} --step {} (asks for the form's answers once and keeps them in the profile)",
            x.checklist, x.step
        ))),
        Err(e) if e.kind == ErrorKind::AccessDenied => Ok(ProbeResult::new(
            &id,
            Status::Manual,
            format!("the caller may not read the use-case form ({e}); check it in the Bedrock console"),
        )),
        Err(e) => Err(e),
    }
}
