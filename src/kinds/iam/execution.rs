//! The ECS task execution role (ECS pulls the image, writes the logs and
//! reads the task's secrets with it): `iam.ensure_execution_role` creates it,
//! trusted by ecs-tasks.amazonaws.com from this account, with the AWS-managed
//! AmazonECSTaskExecutionRolePolicy attached, or adopts it and adds what lacks.

use serde::Deserialize;

use super::principal::{RoleSpec, ensure_role, role_calls};
use super::read::{PrincipalKind, attached, principal_arn};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::kinds::kind::KindParams;

/// The AWS-managed policy an ECS task execution role carries.
pub const EXECUTION_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
/// The trust of a task or execution role.
pub const TRUST: &str = "iam/ecs-tasks-trust.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        vec![TRUST.into()]
    }
}

pub async fn ensure_execution_role(x: &mut Exec, name: &str) -> Result<(), AwsError> {
    let trust = x.asset_json(TRUST)?;
    let spec = RoleSpec {
        name,
        path: "/",
        description: Some("ECS task execution role (preflight)"),
        trust: &trust,
        who: "trusted by ecs-tasks.amazonaws.com",
    };
    ensure_role(x, &spec).await?;
    let arn = principal_arn(x, PrincipalKind::Role, name);
    let has = attached(x, PrincipalKind::Role, name)
        .await?
        .is_some_and(|list| list.iter().any(|p| p.policy_arn() == Some(EXECUTION_POLICY)));
    if !has {
        let iam = x.aws.iam().clone();
        let call = iam.attach_role_policy().role_name(name).policy_arn(EXECUTION_POLICY).send();
        x.change(Op::new("iam", "AttachRolePolicy", &arn), "attach AmazonECSTaskExecutionRolePolicy", call).await?;
    }
    Ok(())
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    ensure_execution_role(x, &p.name).await
}

/// The calls of [`ensure_execution_role`]: the role's, then the attachment's.
pub fn execution_role_calls(x: &Exec, name: &str) -> Vec<Op> {
    let arn = principal_arn(x, PrincipalKind::Role, name);
    let mut out = role_calls(x, name);
    out.push(Op::new("iam", "ListAttachedRolePolicies", &arn));
    out.push(Op::new("iam", "AttachRolePolicy", &arn));
    out
}

/// The calls of [`ensure`].
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(execution_role_calls(x, &p.name))
}
