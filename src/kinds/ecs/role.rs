//! `ecs.execution_permissions`: by local evaluation of all its policies, the
//! task execution role may pull the image from its ECR repository, write the
//! log group, and read every secret and parameter the task definition
//! references (seed 003: or tasks stop with AccessDeniedException at start).

use serde::Deserialize;

use super::{value_from, value_from_calls};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::ProbeResult;
use crate::engine::profile::container::SecretRef;
use crate::kinds::iam::allows::may;
use crate::kinds::iam::read::{PrincipalKind, policy_reads, principal_policies};
use crate::kinds::kind::KindParams;
use crate::kinds::secrets::access::key_arn_of;
use crate::kinds::secrets::facts;
use crate::policy::Requirement;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub role_name: String,
    pub image: String,
    pub log_group: String,
}

impl KindParams for Params {}

fn need(action: &str, resource: String, sid: &str) -> Requirement {
    Requirement::new(action, resource, Some(sid.into()))
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let (part, region, account) = (x.aws.partition().to_string(), x.aws.region.clone(), x.aws.account_id.clone());
    let mut required = Vec::new();
    let host = format!("{account}.dkr.ecr.{region}.amazonaws.com/");
    if let Some(rest) = p.image.strip_prefix(&host) {
        let repo = rest.split(['@', ':']).next().unwrap_or(rest);
        required.push(need("ecr:GetAuthorizationToken", "*".into(), "EcrToken"));
        for action in ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"] {
            required.push(need(action, format!("arn:{part}:ecr:{region}:{account}:repository/{repo}"), "EcrPull"));
        }
    }
    let group = format!("arn:{part}:logs:{region}:{account}:log-group:{}:*", p.log_group);
    for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
        required.push(need(action, group.clone(), "Logs"));
    }
    let lists = x.lists.clone();
    // The secrets' ARNs, all at once, while the role's policies are read (shared: `may` finds them answered).
    let arns = futures_util::future::join_all(lists.container_secrets.iter().map(|s| value_from(x, &s.from)));
    let (arns, _) = tokio::join!(arns, principal_policies(x, PrincipalKind::Role, &p.role_name));
    let mut keys = Vec::new();
    for (s, arn) in lists.container_secrets.iter().zip(arns) {
        let arn = arn?;
        match &s.from {
            SecretRef::Parameter { name } => {
                required.push(need("ssm:GetParameters", arn, "ParametersRead"));
                // A SecureString is decrypted with its key: the one it really has.
                if let Some(key) = facts::parameter(x, name).await?.and_then(|f| f.key) {
                    keys.push(key);
                }
            }
            SecretRef::Secret { name, key } => {
                // valueFrom with :KEY:: names the secret's ARN plus a selector: the request's resource is the ARN.
                let arn = if key.is_some() {
                    arn.trim_end_matches("::").rsplit_once(':').map_or(arn.clone(), |(a, _)| a.to_string())
                } else {
                    arn
                };
                required.push(need("secretsmanager:GetSecretValue", arn, "SecretsRead"));
                // The key the secret is really encrypted with, whether the profile names one or not.
                if let Some(key) = facts::secret(x, name).await?.and_then(|f| f.key) {
                    keys.push(key);
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    for key in keys {
        required.push(need("kms:Decrypt", key_arn_of(x, &key, true).await?, "KeysDecrypt"));
    }
    let fixed_by = format!("{} --step execution-role", x.checklist);
    may(x, id, PrincipalKind::Role, &p.role_name, &required, &fixed_by).await
}

/// The calls of [`probe`]: the role's policies, the secrets' ARNs (and the
/// keys they are encrypted with, read from the account), the parameters'.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = policy_reads(x, PrincipalKind::Role, &p.role_name);
    out.extend(value_from_calls(x));
    if x.lists.container_secrets.iter().any(|s| matches!(s.from, SecretRef::Parameter { .. })) {
        out.extend(facts::parameter_calls());
    }
    Ok(out)
}
