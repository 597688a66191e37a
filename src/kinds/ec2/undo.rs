//! Undoing the security groups `ec2.ensure_network` made. A group is deleted
//! once nothing uses it; the network interfaces of a load balancer or of
//! tasks just deleted linger for a while, so a group still in use is tried
//! again, for a bounded time.

use super::network::{ec2_arn, group_named};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{CHECKLIST, Undone};

/// How long the interfaces of what was deleted before may hold the group.
const FREED_WITHIN: u64 = 10 * 60;
const POLL: u64 = 15;

pub async fn security_group(x: &mut Exec, name: &str, vpc: &str) -> Result<Undone, AwsError> {
    let Some(group) = group_named(x, vpc, name).await? else {
        return Ok(Undone::Gone(format!("security group {name} does not exist in {vpc}")));
    };
    let id = group.group_id().unwrap_or_default().to_string();
    let op = Op::new("ec2", "DeleteSecurityGroup", ec2_arn(x, &format!("security-group/{id}")));
    let mut waited = 0;
    loop {
        let call = x.aws.ec2().delete_security_group().group_id(&id).send();
        match x.change(op.clone(), format!("delete security group {name} ({id})"), call).await {
            Ok(_) => return Ok(Undone::Removed),
            Err(e) if e.code.as_deref() == Some("DependencyViolation") && waited < FREED_WITHIN => {
                x.wait(&format!("security group {name} still in use (network interfaces being released)"), POLL).await;
                waited += POLL;
            }
            Err(e) => {
                return Err(e.with_fix(format!(
                    "something still uses security group {name} ({id}): `aws ec2 describe-network-interfaces --filters Name=group-id,Values={id}` shows what; then run destroy again"
                )));
            }
        }
    }
}

/// The security groups tagged as this project's, with the checklist each names.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    use aws_sdk_ec2::types::Filter;
    let call = x
        .aws
        .ec2()
        .describe_security_groups()
        .filters(Filter::builder().name("tag:preflight:project").values(project).build())
        .send();
    let out = x.read(Op::new("ec2", "DescribeSecurityGroups", ec2_arn(x, "security-group/*")), call).await?;
    Ok(out
        .security_groups()
        .iter()
        .map(|g| {
            let checklist =
                g.tags().iter().find(|t| t.key() == Some(CHECKLIST)).and_then(|t| t.value()).unwrap_or_default();
            let thing = Thing::SecurityGroup {
                name: g.group_name().unwrap_or_default().to_string(),
                vpc: g.vpc_id().unwrap_or_default().to_string(),
            };
            (thing, checklist.to_string())
        })
        .collect())
}
