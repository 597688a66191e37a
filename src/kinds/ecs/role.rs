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
use crate::kinds::secrets::access::{key_arn, key_pattern};
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
    Requirement { action: action.into(), resource, sid: Some(sid.into()) }
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
    for (s, arn) in lists.container_secrets.iter().zip(arns) {
        let arn = arn?;
        match &s.from {
            SecretRef::Parameter { .. } => required.push(need("ssm:GetParameters", arn, "ParametersRead")),
            SecretRef::Secret { name, key } => {
                // valueFrom with :KEY:: names the secret's ARN plus a selector: the request's resource is the ARN.
                let arn = if key.is_some() {
                    arn.trim_end_matches("::").rsplit_once(':').map_or(arn.clone(), |(a, _)| a.to_string())
                } else {
                    arn
                };
                required.push(need("secretsmanager:GetSecretValue", arn, "SecretsRead"));
                if let Some(key_id) = lists.secret(name).and_then(|e| e.kms_key_id.clone()) {
                    required.push(need("kms:Decrypt", key_arn(x, &key_id).await?, "KeysDecrypt"));
                }
            }
        }
    }
    let fixed_by = format!("{} --step execution-role", x.checklist);
    may(x, id, PrincipalKind::Role, &p.role_name, &required, &fixed_by).await
}

/// The calls of [`probe`]: the role's policies, the secrets' ARNs, their keys'.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = policy_reads(x, PrincipalKind::Role, &p.role_name);
    out.extend(value_from_calls(x));
    for s in &x.lists.container_secrets {
        if let SecretRef::Secret { name, .. } = &s.from
            && let Some(key) = x.lists.secret(name).and_then(|e| e.kms_key_id.clone())
            && !(key.starts_with("arn:") && key.contains(":key/"))
        {
            out.push(Op::new("kms", "DescribeKey", key_pattern(x, &key)));
        }
    }
    Ok(out)
}
