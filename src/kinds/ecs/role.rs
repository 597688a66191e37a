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
use crate::engine::profile::lists::Reader;
use crate::kinds::iam::allows::may;
use crate::kinds::iam::read::{PrincipalKind, policy_reads, principal_policies};
use crate::kinds::kind::{KindParams, profile_line};
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
    let arns = futures_util::future::join_all(lists.container_secrets.iter().map(|s| value_from(x, s)));
    let (arns, _) = tokio::join!(arns, principal_policies(x, PrincipalKind::Role, &p.role_name));
    // (the key, what grants its read): the secret's or parameter's.
    let mut keys: Vec<(String, String)> = Vec::new();
    // What grants each read (by its resource): not this checklist, the secrets checklist.
    let mut cures: Vec<(String, String)> = Vec::new();
    for (s, arn) in lists.container_secrets.iter().zip(arns) {
        let arn = arn?;
        let cure = read_cure(x, &s.from);
        match &s.from {
            SecretRef::Parameter { name } => {
                required.push(need("ssm:GetParameters", arn.clone(), "ParametersRead"));
                cures.push((arn, cure.clone()));
                // A SecureString is decrypted with its key: the one it really has.
                if let Some(key) = facts::parameter(x, name).await?.and_then(|f| f.key) {
                    keys.push((key, cure));
                }
            }
            SecretRef::Secret { name, key } => {
                // valueFrom with :KEY:: names the secret's ARN plus a selector: the request's resource is the ARN.
                let arn = if key.is_some() {
                    arn.trim_end_matches("::").rsplit_once(':').map_or(arn.clone(), |(a, _)| a.to_string())
                } else {
                    arn
                };
                required.push(need("secretsmanager:GetSecretValue", arn.clone(), "SecretsRead"));
                cures.push((arn, cure.clone()));
                // The key the secret is really encrypted with, whether the profile names one or not.
                if let Some(key) = facts::secret(x, name).await?.and_then(|f| f.key) {
                    keys.push((key, cure));
                }
            }
        }
    }
    keys.sort();
    keys.dedup_by(|a, b| a.0 == b.0);
    for (key, cure) in keys {
        let arn = key_arn_of(x, &key, true).await?;
        required.push(need("kms:Decrypt", arn.clone(), "KeysDecrypt"));
        cures.push((arn, cure));
    }
    // Pulling and logging come with AmazonECSTaskExecutionRolePolicy, which the execution-role step attaches.
    let this_step = format!("run `preflight run {} --step execution-role`", x.checklist);
    let grants = move |r: &Requirement| {
        Some(match r.sid.as_deref() {
            Some("SecretsRead" | "ParametersRead" | "KeysDecrypt") => {
                cures.iter().find(|(resource, _)| *resource == r.resource).map(|(_, c)| c.clone())?
            }
            _ => this_step.clone(),
        })
    };
    let created_by = format!("{} --step execution-role", x.checklist);
    may(x, id, PrincipalKind::Role, &p.role_name, &required, &created_by, &grants).await
}

/// What grants the execution role the read of a container secret or parameter:
/// the secrets checklist's read-access step, for an entry of the profile that
/// names the execution role a reader; else the profile, where that entry is
/// (or is to be) and then that step.
fn read_cure(x: &Exec, from: &SecretRef) -> String {
    let run = "run `preflight run secrets --step read-access`";
    let (list, name, entry) = match from {
        SecretRef::Secret { name, .. } => ("secrets", name, x.lists.secret(name).map(|e| (&e.readers, e.line))),
        SecretRef::Parameter { name } => ("parameters", name, x.lists.parameter(name).map(|e| (&e.readers, e.line))),
    };
    match entry {
        Some((readers, _)) if readers.contains(&Reader::Execution) => run.to_string(),
        Some((_, line)) => {
            format!("add \"execution\" to the readers of [[{list}]] {name} at {}, then {run}", profile_line(x, line))
        }
        None => format!(
            "list {name} under [[{list}]] in {} with readers = [\"execution\"], then {run}",
            x.lists.path.display()
        ),
    }
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
