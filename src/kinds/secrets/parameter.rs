//! One SSM parameter of the profile's `[[parameters]]` (a repeated step's
//! instance): `ssm.ensure_parameter` puts it when missing or different
//! (`Overwrite` only when it exists; SecureString with the customer key when
//! given); `ssm.parameter` checks it exists with its type, and its value when
//! that is written in the profile (a String). A parameter read is never
//! logged: even read without decryption, a SecureString comes back holding its value.

use serde::Deserialize;

use super::access::key_pattern;
use super::{generate, values};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    kms_key_id: Option<String>,
    literal: Option<String>,
    generate: Option<String>,
}

pub type Params = super::EntryParams;
pub type Check = super::EntryCheck;

fn entry(t: &toml::Table) -> Result<Entry, AwsError> {
    toml::Value::Table(t.clone())
        .try_into()
        .map_err(|e| AwsError::other(format!("a parameter entry is malformed: {e}")))
}

/// `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`.
pub fn parameter_arn(x: &Exec, name: &str) -> String {
    let slash = if name.starts_with('/') { "" } else { "/" };
    format!("arn:{}:ssm:{}:{}:parameter{slash}{name}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// The parameter's type and value (decrypted when asked), or None when it does not exist.
async fn current(x: &Exec, e: &Entry, decrypt: bool) -> Result<Option<(String, String)>, AwsError> {
    let (ssm, name) = (x.aws.ssm(), &e.name);
    let op = Op::new("ssm", "GetParameter", parameter_arn(x, name)).with_key(key_of(x, e).filter(|_| decrypt));
    let out = x.read_opt(op, ssm.get_parameter().name(name).with_decryption(decrypt).send()).await?;
    Ok(out.and_then(|o| o.parameter).map(|p| {
        (p.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(), p.value().unwrap_or_default().to_string())
    }))
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let e = entry(&p.entry)?;
    let given = values(&p.values)?;
    let secure = e.kind == "SecureString";
    let now = current(x, &e, secure).await?;
    let value = match (&e.literal, given.get("value"), &e.generate, &now) {
        (Some(v), _, _, _) => v.clone(),
        (None, Some(v), _, _) => v.clone(),
        (None, None, Some(_), Some((_, v))) if !v.is_empty() => v.clone(),
        (None, None, Some(g), _) => generate(g)?,
        (None, None, None, _) => return Err(AwsError::other(format!("parameter {} has no value to put", e.name))),
    };
    let why = match &now {
        None => "it does not exist".to_string(),
        Some((kind, _)) if *kind != e.kind => format!("it is a {kind}, not a {}", e.kind),
        Some((_, v)) if *v != value => "its value differs".to_string(),
        Some(_) => {
            x.note(format!("parameter {} already holds its value", e.name));
            return Ok(());
        }
    };
    let ssm = x.aws.ssm();
    let call = ssm
        .put_parameter()
        .name(&e.name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::from(e.kind.as_str()))
        .set_key_id(e.kms_key_id.clone().filter(|_| secure))
        .overwrite(now.is_some())
        // A parameter is tagged when it is made (SSM refuses tags with an overwrite).
        .set_tags(now.is_none().then(|| {
            x.tags()
                .into_iter()
                .filter_map(|(k, v)| aws_sdk_ssm::types::Tag::builder().key(k).value(v).build().ok())
                .collect()
        }))
        .send();
    let detail = format!(
        "{} parameter {} ({}{}): {why}",
        if now.is_some() { "overwrite" } else { "create" },
        e.name,
        e.kind,
        e.kms_key_id.as_deref().filter(|_| secure).map(|k| format!(", key {k}")).unwrap_or_default()
    );
    let op = Op::new("ssm", "PutParameter", parameter_arn(x, &e.name)).with_key(key_of(x, &e)).tagged(now.is_none());
    x.change(op, detail, call).await?;
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Check) -> Result<ProbeResult, AwsError> {
    let e = entry(&p.entry)?;
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    let given = match &x.wanted {
        Some(w) => values(w)?,
        None => Default::default(),
    };
    // Decrypt only to compare with a value known here (the profile's, or one a run was given).
    let decrypt = e.kind == "SecureString" && (given.contains_key("value") || e.literal.is_some());
    let Some((kind, value)) = current(x, &e, decrypt).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("parameter {} does not exist", e.name)).with_fix(fix));
    };
    if kind != e.kind {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("parameter {} is a {kind}, expected a {}", e.name, e.kind),
        )
        .with_fix(fix));
    }
    let expected = e.literal.as_ref().or(given.get("value"));
    if expected.is_some_and(|v| *v != value) {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("the value of parameter {} differs from the profile's", e.name),
        )
        .with_fix(fix));
    }
    if value.is_empty() {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("parameter {} is empty", e.name)).with_fix(fix));
    }
    Ok(ProbeResult::new(&id, Status::Pass, format!("parameter {} exists ({kind})", e.name)))
}

/// The customer-managed key of a SecureString entry, as IAM names it.
fn key_of(x: &Exec, e: &Entry) -> Option<String> {
    e.kms_key_id.as_deref().filter(|_| e.kind == "SecureString").map(|k| key_pattern(x, k))
}

/// The calls of [`ensure`]: the parameter read, then put.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let e = entry(&p.entry)?;
    let at = parameter_arn(x, &e.name);
    Ok(vec![
        Op::new("ssm", "GetParameter", &at).with_key(key_of(x, &e)),
        Op::new("ssm", "PutParameter", &at).with_key(key_of(x, &e)),
    ])
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, p: &Check) -> Result<Vec<Op>, AwsError> {
    let e = entry(&p.entry)?;
    Ok(vec![Op::new("ssm", "GetParameter", parameter_arn(x, &e.name)).with_key(key_of(x, &e))])
}
