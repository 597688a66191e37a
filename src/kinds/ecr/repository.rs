//! The ECR repository: `ecr.ensure_repository` creates it with scan on push
//! and a lifecycle rule keeping the newest N images, or adopts it and changes
//! only what differs (other lifecycle rules are kept); the probes
//! `ecr.repository`, `ecr.scan_on_push` and `ecr.lifecycle` check each part.

use aws_sdk_ecr::types::{ImageScanningConfiguration, Repository};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::{Detail, Exec};
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
    /// "true" or "false" (a template of a choice input).
    #[serde(default = "yes")]
    pub scan_on_push: String,
    /// How many images the lifecycle rule keeps (a template of a number input).
    pub keep_images: String,
}

fn yes() -> String {
    "true".into()
}

impl KindParams for Params {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub name: String,
}

impl KindParams for Name {}

fn flag(text: &str) -> Result<bool, AwsError> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(AwsError::new(ErrorKind::Input, format!("scan_on_push must be true or false, not \"{other}\""))),
    }
}

fn count(text: &str) -> Result<i64, AwsError> {
    text.trim().parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        AwsError::new(ErrorKind::Input, format!("keep_images must be a whole number of at least 1, not \"{text}\""))
    })
}

pub(crate) fn repo_arn(x: &Exec, name: &str) -> String {
    format!("arn:{}:ecr:{}:{}:repository/{name}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// The repository, or None when it does not exist.
pub async fn describe(x: &Exec, name: &str) -> Result<Option<Repository>, AwsError> {
    let ecr = x.aws.ecr();
    let op = Op::new("ecr", "DescribeRepositories", repo_arn(x, name));
    let out = x.read_opt_shared(op, name, ecr.describe_repositories().repository_names(name).send()).await?;
    Ok(out.and_then(|o| o.repositories().first().cloned()))
}

/// The repository's lifecycle policy, parsed; None when it has none.
async fn lifecycle(x: &Exec, name: &str) -> Result<Option<Value>, AwsError> {
    let ecr = x.aws.ecr();
    let op = Op::new("ecr", "GetLifecyclePolicy", repo_arn(x, name));
    let Some(out) = x.read_opt(op, ecr.get_lifecycle_policy().repository_name(name).send()).await? else {
        return Ok(None);
    };
    let text = out.lifecycle_policy_text().unwrap_or("{}");
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| AwsError::other(format!("the lifecycle policy of {name} is not JSON: {e}")))
}

/// Whether a rule keeps the newest `keep` images of any tag status.
fn keeps(rule: &Value, keep: i64) -> bool {
    let sel = &rule["selection"];
    sel["tagStatus"] == "any"
        && sel["countType"] == "imageCountMoreThan"
        && sel["countNumber"].as_i64() == Some(keep)
        && rule["action"]["type"] == "expire"
}

/// Whether a rule is the kind this step manages (any tag, by count), whatever its number.
fn counts_any(rule: &Value) -> bool {
    rule["selection"]["tagStatus"] == "any" && rule["selection"]["countType"] == "imageCountMoreThan"
}

/// The policy with our rule in it: an existing count rule for any tag is
/// replaced; other rules are kept as they are.
fn merged(current: Option<&Value>, keep: i64) -> Value {
    let mut rules: Vec<Value> = current.and_then(|c| c["rules"].as_array().cloned()).unwrap_or_default();
    let ours = |priority: i64| {
        json!({
            "rulePriority": priority,
            "description": format!("keep the newest {keep} images (preflight)"),
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep },
            "action": { "type": "expire" }
        })
    };
    match rules.iter().position(counts_any) {
        Some(i) => {
            let priority = rules[i]["rulePriority"].as_i64().unwrap_or(1);
            rules[i] = ours(priority);
        }
        None => {
            // A rule for any tag must have the highest priority number (it is evaluated last).
            let next = rules.iter().filter_map(|r| r["rulePriority"].as_i64()).max().unwrap_or(0) + 1;
            rules.push(ours(next));
        }
    }
    json!({ "rules": rules })
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let (scan, keep) = (flag(&p.scan_on_push)?, count(&p.keep_images)?);
    let ecr = x.aws.ecr();
    let arn = repo_arn(x, &p.name);
    let existing = describe(x, &p.name).await?;
    let policy = match &existing {
        None => {
            let call = ecr
                .create_repository()
                .repository_name(&p.name)
                .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(scan).build())
                .set_tags(Some(
                    x.tags()
                        .into_iter()
                        .filter_map(|(k, v)| aws_sdk_ecr::types::Tag::builder().key(k).value(v).build().ok())
                        .collect(),
                ))
                .send();
            let detail = format!("create repository {} with scan on push {}", p.name, if scan { "on" } else { "off" });
            x.change(Op::new("ecr", "CreateRepository", &arn), detail, call).await?;
            None
        }
        Some(repo) => {
            let current = repo.image_scanning_configuration().map(|c| c.scan_on_push()).unwrap_or(false);
            if current != scan {
                let call = ecr
                    .put_image_scanning_configuration()
                    .repository_name(&p.name)
                    .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(scan).build())
                    .send();
                let detail = format!(
                    "scan on push: {} → {}",
                    if current { "on" } else { "off" },
                    if scan { "on" } else { "off" }
                );
                x.change(Op::new("ecr", "PutImageScanningConfiguration", &arn), detail, call).await?;
            }
            lifecycle(x, &p.name).await?
        }
    };
    let rules = policy.as_ref().and_then(|c| c["rules"].as_array().cloned()).unwrap_or_default();
    if !rules.iter().any(|r| keeps(r, keep)) {
        let desired = merged(policy.as_ref(), keep);
        let text = serde_json::to_string(&desired).expect("json");
        let call = ecr.put_lifecycle_policy().repository_name(&p.name).lifecycle_policy_text(text).send();
        let before = policy.clone().unwrap_or(Value::Null);
        let detail = Detail::with_diff(format!("lifecycle: keep the newest {keep} images"), &before, &desired);
        x.change(Op::new("ecr", "PutLifecyclePolicy", &arn), detail, call).await?;
    }
    Ok(())
}

fn missing(id: &str, name: &str, checklist: &str) -> ProbeResult {
    ProbeResult::new(id, Status::Fail, format!("repository {name} does not exist"))
        .with_fix(format!("preflight run {checklist} --step repository"))
}

pub async fn probe_exists(x: &mut Exec, id: String, p: Name) -> Result<ProbeResult, AwsError> {
    Ok(match describe(x, &p.name).await? {
        None => missing(&id, &p.name, &x.checklist),
        Some(repo) => {
            let uri = repo.repository_uri().unwrap_or_default().to_string();
            x.output("repository_uri", uri.clone());
            ProbeResult::new(&id, Status::Pass, format!("repository {} exists: {uri}", p.name))
        }
    })
}

pub async fn probe_scan(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let scan = flag(&p.scan_on_push)?;
    let Some(repo) = describe(x, &p.name).await? else { return Ok(missing(&id, &p.name, &x.checklist)) };
    let current = repo.image_scanning_configuration().map(|c| c.scan_on_push()).unwrap_or(false);
    let word = |b: bool| if b { "on" } else { "off" };
    Ok(if current == scan {
        ProbeResult::new(&id, Status::Pass, format!("scan on push is {} for {}", word(current), p.name))
    } else {
        ProbeResult::new(
            &id,
            Status::Fail,
            format!("scan on push is {} for {}, expected {}", word(current), p.name, word(scan)),
        )
        .with_fix(format!("preflight run {} --step repository", x.checklist))
    })
}

pub async fn probe_lifecycle(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let keep = count(&p.keep_images)?;
    if describe(x, &p.name).await?.is_none() {
        return Ok(missing(&id, &p.name, &x.checklist));
    }
    let policy = lifecycle(x, &p.name).await?;
    let rules = policy.as_ref().and_then(|c| c["rules"].as_array().cloned()).unwrap_or_default();
    let fix = format!("preflight run {} --step repository", x.checklist);
    Ok(match (policy.is_some(), rules.iter().find(|r| counts_any(r))) {
        (false, _) => ProbeResult::new(
            &id,
            Status::Fail,
            format!("repository {} has no lifecycle policy: images pile up", p.name),
        )
        .with_fix(fix),
        (true, Some(r)) if keeps(r, keep) => ProbeResult::new(
            &id,
            Status::Pass,
            format!("the lifecycle policy of {} keeps the newest {keep} images", p.name),
        ),
        (true, Some(r)) => ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "the lifecycle policy of {} keeps the newest {}, expected {keep}",
                p.name, r["selection"]["countNumber"]
            ),
        )
        .with_fix(fix),
        (true, None) => ProbeResult::new(
            &id,
            Status::Fail,
            format!("the lifecycle policy of {} has no rule keeping the newest {keep} images", p.name),
        )
        .with_fix(fix),
    })
}

/// The calls of [`ensure`]: read, created or corrected, its lifecycle policy merged.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = repo_arn(x, &p.name);
    Ok([
        "DescribeRepositories",
        "CreateRepository",
        "PutImageScanningConfiguration",
        "GetLifecyclePolicy",
        "PutLifecyclePolicy",
    ]
    .iter()
    .map(|op| Op::new("ecr", op, &arn))
    .collect())
}

/// The calls of [`probe_exists`].
pub fn probe_exists_calls(x: &Exec, p: &Name) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("ecr", "DescribeRepositories", repo_arn(x, &p.name))])
}

/// The calls of [`probe_scan`].
pub fn probe_scan_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("ecr", "DescribeRepositories", repo_arn(x, &p.name))])
}

/// The calls of [`probe_lifecycle`].
pub fn probe_lifecycle_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = repo_arn(x, &p.name);
    Ok(vec![Op::new("ecr", "DescribeRepositories", &arn), Op::new("ecr", "GetLifecyclePolicy", &arn)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_rule_replaces_a_count_rule_and_keeps_the_others() {
        let current = json!({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}, "action": {"type": "expire"}},
            {"rulePriority": 5, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100}, "action": {"type": "expire"}}
        ]});
        let m = merged(Some(&current), 30);
        let rules = m["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0], current["rules"][0]);
        assert!(keeps(&rules[1], 30) && rules[1]["rulePriority"] == 5);
        let fresh = merged(None, 10);
        assert!(keeps(&fresh["rules"][0], 10) && fresh["rules"][0]["rulePriority"] == 1);
        let appended = merged(Some(&json!({"rules": [current["rules"][0].clone()]})), 10);
        assert_eq!(appended["rules"][1]["rulePriority"], 2);
    }
}
