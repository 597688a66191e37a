//! ECS on Fargate: the cluster, the task definition, the network and the
//! service (with a deployment watcher that names a failure from the first
//! stopped task), the execution role's permissions and the image's platform.

pub mod cluster;
pub mod fresh;
pub mod image;
pub mod in_use;
pub mod role;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod task;
pub mod undo;
pub mod watch;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::profile::container::{ContainerSecret, SecretRef};
use crate::kinds::secrets::parameter::parameter_arn;
use crate::kinds::secrets::secret::{arn_pattern, describe, secret_key};

/// The `valueFrom` of a container secret: the secret's ARN (with `:KEY::` for
/// one key of a JSON secret), or the parameter's ARN.
pub async fn value_from(x: &Exec, c: &ContainerSecret) -> Result<String, AwsError> {
    match &c.from {
        SecretRef::Parameter { name } => Ok(parameter_arn(x, name)),
        SecretRef::Secret { name, key } => {
            // In a plan, the secret may be one a step before this one creates: its ARN, or what makes it.
            let planned = || x.planned(&secret_key(name)).map(|arn| arn.wire());
            let arn = describe(x, name).await?.or_else(planned).ok_or_else(|| {
                let (meant, fix) = secrets::missing(x, c);
                AwsError::other(format!("the container secret {name} does not exist in Secrets Manager{meant}"))
                    .with_fix(fix)
            })?;
            Ok(match key {
                Some(k) => format!("{arn}:{k}::"),
                None => arn,
            })
        }
    }
}

/// `linux/amd64` for X86_64, `linux/arm64` for ARM64.
/// preflight's tags (`Exec::tags`) as ECS takes them.
pub fn tags(x: &Exec) -> Vec<aws_sdk_ecs::types::Tag> {
    x.tags().into_iter().map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build()).collect()
}

pub fn platform_of(cpu_architecture: &str) -> &'static str {
    if cpu_architecture == "ARM64" { "linux/arm64" } else { "linux/amd64" }
}

/// The calls of [`value_from`] for every container secret: each secret's ARN.
pub fn value_from_calls(x: &Exec) -> Vec<Op> {
    x.lists
        .container_secrets
        .iter()
        .filter_map(|s| match &s.from {
            SecretRef::Secret { name, .. } => Some(Op::new("secretsmanager", "DescribeSecret", arn_pattern(x, name))),
            SecretRef::Parameter { .. } => None,
        })
        .collect()
}

/// The roles a task definition names (its task and execution roles).
pub fn roles_of(td: &serde_json::Value) -> Vec<String> {
    ["taskRoleArn", "executionRoleArn"]
        .iter()
        .filter_map(|k| td[*k].as_str().filter(|r| !r.is_empty()).map(str::to_string))
        .collect()
}
