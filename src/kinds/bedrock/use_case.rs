//! Anthropic's use-case form, once per account: `bedrock.use_case` (it was
//! submitted) and `bedrock.ensure_use_case` (submit it from the profile's answers).

use serde::Deserialize;

use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Params {
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
pub struct Check {
    pub model_id: String,
    pub region: String,
}

impl KindParams for Params {}
impl KindParams for Check {}

/// Only Anthropic's models need the use-case form.
fn needs_use_case(model: &str) -> bool {
    super::profile::base_model(model).starts_with("anthropic.")
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

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
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
    // Every answer that will be sent is shown (the request carries them base64-encoded).
    let detail = crate::aws::change::Detail::with_diff(
        "submit Anthropic's use-case form for the account (every answer below is sent)",
        &serde_json::Value::Null,
        &form,
    );
    x.change(Op::new("bedrock", "PutUseCaseForModelAccess", ""), detail, call).await?;
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Check) -> Result<ProbeResult, AwsError> {
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

/// The calls of [`ensure`]: the form read, then submitted.
pub fn ensure_calls(_: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    if !needs_use_case(&p.model_id) {
        return Ok(Vec::new());
    }
    Ok(vec![Op::new("bedrock", "GetUseCaseForModelAccess", ""), Op::new("bedrock", "PutUseCaseForModelAccess", "")])
}

/// The calls of [`probe`].
pub fn probe_calls(_: &Exec, p: &Check) -> Result<Vec<Op>, AwsError> {
    Ok(if needs_use_case(&p.model_id) { vec![Op::new("bedrock", "GetUseCaseForModelAccess", "")] } else { Vec::new() })
}
