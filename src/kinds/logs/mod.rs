//! CloudWatch Logs: `logs.ensure_log_group` creates the group the container
//! writes to (seed 000 §9.7: "verify logs in /ecs/comafi-api") and sets its
//! retention; `logs.log_group` and `logs.retention` check each.

pub mod undo;

use serde::Deserialize;

use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
    /// Days (a template of a choice input).
    pub retention_days: String,
}

impl KindParams for Params {}

/// The log group as IAM policies name it: `log-group:NAME:*` (CloudWatch Logs
/// checks every action but tagging on that form; the bare ARN matches nothing).
pub fn group_arn(x: &Exec, name: &str) -> String {
    format!("arn:{}:logs:{}:{}:log-group:{name}:*", x.aws.partition(), x.aws.region, x.aws.account_id)
}

fn days(text: &str) -> Result<i32, AwsError> {
    text.trim().parse().map_err(|_| {
        AwsError::new(ErrorKind::Input, format!("retention_days must be a number of days, not \"{text}\""))
    })
}

/// The group's retention (None: never expire), or Err NotFound-like None when it does not exist.
pub async fn describe(x: &Exec, name: &str) -> Result<Option<Option<i32>>, AwsError> {
    let logs = x.aws.logs();
    let op = Op::new("logs", "DescribeLogGroups", group_arn(x, name));
    let out = x.read_once(op, name, logs.describe_log_groups().log_group_name_prefix(name).send()).await?;
    Ok(out.log_groups().iter().find(|g| g.log_group_name() == Some(name)).map(|g| g.retention_in_days()))
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let want = days(&p.retention_days)?;
    let logs = x.aws.logs();
    let arn = group_arn(x, &p.name);
    let current = match describe(x, &p.name).await? {
        Some(r) => r,
        None => {
            let tags = x.tags().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let call = logs.create_log_group().log_group_name(&p.name).set_tags(Some(tags)).send();
            let op = Op::new("logs", "CreateLogGroup", &arn);
            x.change(op, format!("create log group {}", p.name), call).await?;
            None
        }
    };
    if current != Some(want) {
        let call = logs.put_retention_policy().log_group_name(&p.name).retention_in_days(want).send();
        let was = current.map_or("never expire".to_string(), |d| format!("{d} days"));
        x.change(Op::new("logs", "PutRetentionPolicy", &arn), format!("retention: {was} → {want} days"), call).await?;
    }
    Ok(())
}

pub async fn probe_exists(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    Ok(match describe(x, &p.name).await? {
        None => ProbeResult::new(
            &id,
            Status::Fail,
            format!("log group {} does not exist: tasks cannot start their log driver", p.name),
        )
        .with_fix(format!("preflight run {} --step {}", x.checklist, x.step)),
        Some(_) => ProbeResult::new(&id, Status::Pass, format!("log group {} exists", p.name)),
    })
}

pub async fn probe_retention(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let want = days(&p.retention_days)?;
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    Ok(match describe(x, &p.name).await? {
        None => ProbeResult::new(&id, Status::Fail, format!("log group {} does not exist", p.name)).with_fix(fix),
        Some(Some(d)) if d == want => {
            ProbeResult::new(&id, Status::Pass, format!("log group {} keeps {d} days", p.name))
        }
        Some(d) => ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "log group {} keeps {}, expected {want} days",
                p.name,
                d.map_or("everything forever".into(), |d| format!("{d} days"))
            ),
        )
        .with_fix(fix),
    })
}

/// The calls of [`ensure`]: described, created, its retention set.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = group_arn(x, &p.name);
    Ok(["DescribeLogGroups", "CreateLogGroup", "PutRetentionPolicy"]
        .iter()
        .map(|op| Op::new("logs", op, &arn))
        .collect())
}

/// The calls of [`probe_exists`].
pub fn probe_exists_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("logs", "DescribeLogGroups", group_arn(x, &p.name))])
}

/// The calls of [`probe_retention`].
pub fn probe_retention_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    probe_exists_calls(x, p)
}
