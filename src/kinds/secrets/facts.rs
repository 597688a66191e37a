//! What the account says of a secret or a parameter besides its value: that
//! it exists, whether it is scheduled for deletion, the KMS key it is really
//! encrypted with (which every reader must be allowed to decrypt, named in
//! the profile or not), when its current value was written, and the keys of
//! a JSON secret. A secret's value is read in memory only to learn its keys
//! and dropped at once: never shown, logged or kept.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::secret::arn_pattern;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;

/// At most this many pages of DescribeParameters are read for one name.
const PAGES: usize = 20;

/// AWS's own keys need no grant of the reader: their key policies allow use through the service.
pub fn customer_key(key: Option<&str>) -> Option<String> {
    key.filter(|k| !k.is_empty() && !k.starts_with("alias/aws/") && !k.contains(":alias/aws/")).map(str::to_string)
}

#[derive(Debug, Clone)]
pub struct SecretFacts {
    pub arn: String,
    /// When Secrets Manager deletes it, if it is scheduled for deletion.
    pub deleted: Option<DateTime>,
    /// The customer-managed key it is encrypted with (None: AWS's own key).
    pub key: Option<String>,
}

/// `DescribeSecret`, read once per command; None when the secret does not exist.
pub async fn secret(x: &Exec, name: &str) -> Result<Option<SecretFacts>, AwsError> {
    let sm = x.aws.secrets();
    let op = Op::new("secretsmanager", "DescribeSecret", arn_pattern(x, name));
    let out = x.read_opt_shared(op, name, sm.describe_secret().secret_id(name).send()).await?;
    Ok(out.map(|o| SecretFacts {
        arn: o.arn().unwrap_or_default().to_string(),
        deleted: o.deleted_date().copied(),
        key: customer_key(o.kms_key_id()),
    }))
}

/// A date as people read it (`2026-12-07T14:02:11Z`).
pub fn when(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_else(|_| "?".into())
}

/// What a secret scheduled for deletion means, and how to restore it.
pub fn scheduled(name: &str, deleted: &DateTime) -> (String, String) {
    (
        format!(
            "secret {name} is scheduled for deletion on {}: nothing can read it until it is restored",
            when(deleted)
        ),
        format!("aws secretsmanager restore-secret --secret-id {name}"),
    )
}

/// The current version of a secret: when it was written and, for a JSON
/// object, its keys (the value itself is dropped at once).
#[derive(Debug, Clone)]
pub struct Version {
    pub created: Option<DateTime>,
    pub keys: Option<Vec<String>>,
}

/// `GetSecretValue` of the AWSCURRENT version, read once per command; None when it has no value.
pub async fn version(x: &Exec, facts: &SecretFacts) -> Result<Option<Version>, AwsError> {
    let sm = x.aws.secrets();
    let op = Op::new("secretsmanager", "GetSecretValue", &facts.arn).with_found_key(facts.key.clone());
    let read = async {
        let out = x.read_opt(op.clone(), sm.get_secret_value().secret_id(&facts.arn).send()).await?;
        Ok::<_, AwsError>(out.map(|o| {
            Version {
                created: o.created_date().copied(),
                keys: o
                    .secret_string()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                    .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect())),
            }
        }))
    };
    x.read_shared(op.clone(), &facts.arn, read).await
}

#[derive(Debug, Clone)]
pub struct ParameterFacts {
    pub secure: bool,
    /// The customer-managed key of a SecureString (None: AWS's own key).
    pub key: Option<String>,
    pub modified: Option<DateTime>,
}

/// `DescribeParameters` for one name (no value is read), once per command; None when it does not exist.
pub async fn parameter(x: &Exec, name: &str) -> Result<Option<ParameterFacts>, AwsError> {
    use aws_sdk_ssm::types::ParameterStringFilter;
    let ssm = x.aws.ssm();
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .map_err(|e| AwsError::other(e.to_string()))?;
    // DescribeParameters has no resource-level permissions: it is asked of `*`. It filters on a
    // best-effort basis: a page may be empty with more to come, so pages are read (boundedly).
    let op = Op::new("ssm", "DescribeParameters", "*");
    let read = async {
        let mut token: Option<String> = None;
        for _ in 0..PAGES {
            let call = ssm.describe_parameters().parameter_filters(filter.clone()).set_next_token(token.take()).send();
            let out = x.read(op.clone(), call).await?;
            if let Some(found) = out.parameters().iter().find(|p| p.name() == Some(name)) {
                return Ok(Some(found.clone()));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        }
        Ok::<_, AwsError>(None)
    };
    let found = x.read_shared(op.clone(), name, read).await?;
    Ok(found.as_ref().map(|p| ParameterFacts {
        secure: p.r#type().is_some_and(|t| t.as_str() == "SecureString"),
        key: customer_key(p.key_id()).filter(|_| p.r#type().is_some_and(|t| t.as_str() == "SecureString")),
        modified: p.last_modified_date().copied(),
    }))
}

/// The calls of [`secret`] and [`version`] for a secret, of [`parameter`] for a parameter.
pub fn secret_calls(x: &Exec, name: &str) -> Vec<Op> {
    let at = arn_pattern(x, name);
    vec![Op::new("secretsmanager", "DescribeSecret", &at), Op::new("secretsmanager", "GetSecretValue", &at)]
}

pub fn parameter_calls() -> Vec<Op> {
    vec![Op::new("ssm", "DescribeParameters", "*")]
}
