//! Undoing the log group `logs.ensure_log_group` made (its logs go with it).

use super::{describe, group_arn};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::kinds::undo::Undone;

pub async fn log_group(x: &mut Exec, name: &str) -> Result<Undone, AwsError> {
    if describe(x, name).await?.is_none() {
        return Ok(Undone::Gone(format!("log group {name} does not exist")));
    }
    let call = x.aws.logs().delete_log_group().log_group_name(name).send();
    let arn = group_arn(x, name);
    x.change(Op::new("logs", "DeleteLogGroup", &arn), format!("delete log group {name} and its logs"), call).await?;
    Ok(Undone::Removed)
}
