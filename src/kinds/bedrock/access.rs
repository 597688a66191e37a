//! The model's access status and agreement: `bedrock.availability`
//! (authorization, entitlement, agreement and region, re-checked with a
//! countdown while access propagates) and `bedrock.ensure_agreement` (accept
//! the model's agreement offer).

use aws_sdk_bedrock::types::{AgreementStatus, AuthorizationStatus, EntitlementAvailability, RegionAvailability};
use serde::Deserialize;

use super::model_arn;
use super::profile::base_model;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

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

/// Access is the foundation model's, also when it is invoked through an inference profile.
async fn availability(x: &Exec, region: &str, model: &str) -> Result<Availability, AwsError> {
    let model = base_model(model);
    let client = x.aws.bedrock(region);
    let op = Op::new("bedrock", "GetFoundationModelAvailability", model_arn(x, region, model));
    // Shared by the command; the propagation wait (Exec::wait) forgets it before reading again.
    let call = client.get_foundation_model_availability().model_id(model).send();
    let out = x.read_once(op, &format!("{region} {model}"), call).await?;
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
    let arn = model_arn(x, &p.region, base_model(&p.model_id));
    let offers = x
        .read(
            Op::new("bedrock", "ListFoundationModelAgreementOffers", &arn),
            client.list_foundation_model_agreement_offers().model_id(base_model(&p.model_id)).send(),
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
    let call = client
        .create_foundation_model_agreement()
        .model_id(base_model(&p.model_id))
        .offer_token(offer.offer_token())
        .send();
    x.change(Op::new("bedrock", "CreateFoundationModelAgreement", &arn), detail, call).await?;
    Ok(())
}

/// The calls of [`probe_availability`].
pub fn probe_availability_calls(x: &Exec, p: &AvailabilityParams) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("bedrock", "GetFoundationModelAvailability", model_arn(x, &p.region, base_model(&p.model_id)))])
}

/// The calls of [`ensure_agreement`]: the availability, the offers, the agreement.
pub fn ensure_agreement_calls(x: &Exec, p: &AgreementParams) -> Result<Vec<Op>, AwsError> {
    let arn = model_arn(x, &p.region, base_model(&p.model_id));
    Ok(["GetFoundationModelAvailability", "ListFoundationModelAgreementOffers", "CreateFoundationModelAgreement"]
        .iter()
        .map(|op| Op::new("bedrock", op, &arn))
        .collect())
}
