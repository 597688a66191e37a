//! `ecs.container_secrets`: every secret and parameter the container reads
//! (the profile's `[container_secrets]`) exists, is not scheduled for
//! deletion, and — for `NAME = "secret:KEY"` — holds that key, or ECS stops
//! every task at start (ResourceInitializationError). A secret's value is
//! read in memory only to learn its keys: only key names are ever shown.

use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::engine::profile::container::SecretRef;
use crate::kinds::kind::KindParams;
use crate::kinds::secrets::facts;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl KindParams for Params {}

/// What is wrong with one container secret (its fact and fix), or None.
async fn wrong(x: &Exec, variable: &str, from: &SecretRef) -> Result<Option<(String, String)>, AwsError> {
    // Made by the secrets checklist when the profile lists it; else the profile is what to correct.
    let make = |list: &str, listed: bool, id: String| {
        if listed {
            format!("preflight run secrets --step {id}")
        } else {
            format!(
                "list it under [[{list}]] in the profile and run `preflight run secrets`, or correct [container_secrets]"
            )
        }
    };
    match from {
        SecretRef::Parameter { name } => Ok(facts::parameter(x, name).await?.is_none().then(|| {
            let listed = x.lists.parameter(name).is_some();
            (
                format!("{variable}: parameter {name} does not exist in SSM Parameter Store"),
                make("parameters", listed, format!("parameter:{name}")),
            )
        })),
        SecretRef::Secret { name, key } => {
            let Some(f) = facts::secret(x, name).await? else {
                let listed = x.lists.secret(name).is_some();
                return Ok(Some((
                    format!("{variable}: secret {name} does not exist in Secrets Manager"),
                    make("secrets", listed, format!("secret:{name}")),
                )));
            };
            if let Some(deleted) = &f.deleted {
                let (fact, fix) = facts::scheduled(name, deleted);
                return Ok(Some((format!("{variable}: {fact}"), fix)));
            }
            let Some(key) = key else { return Ok(None) };
            let Some(version) = facts::version(x, &f).await? else {
                return Ok(Some((
                    format!("{variable}: secret {name} has no value yet, so it has no key {key}"),
                    "preflight run secrets".into(),
                )));
            };
            Ok(match version.keys {
                None => Some((
                    format!("{variable}: secret {name} is not a JSON object, so it has no key {key}"),
                    format!(
                        "write it as JSON with {key}, or name the whole secret in [container_secrets]: {variable} = \"{name}\""
                    ),
                )),
                Some(keys) if !keys.contains(key) => Some((
                    format!(
                        "{variable}: secret {name} has no key {key}; it has {}",
                        if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                    ),
                    format!(
                        "correct [container_secrets] {variable} = \"{name}:KEY\", or add {key} to the secret's keys in [[secrets]] and run `preflight run secrets`"
                    ),
                )),
                Some(_) => None,
            })
        }
    }
}

pub async fn probe(x: &mut Exec, id: String, _: Params) -> Result<ProbeResult, AwsError> {
    let lists = x.lists.clone();
    if lists.container_secrets.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Skipped,
            "the profile's [container_secrets] is empty: the container reads none",
        ));
    }
    let mut found = Vec::new();
    for c in &lists.container_secrets {
        if let Some(w) = wrong(x, &c.variable, &c.from).await? {
            found.push(w);
        }
    }
    if found.is_empty() {
        let names: Vec<&str> = lists.container_secrets.iter().map(|c| c.variable.as_str()).collect();
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("every container secret can be read: {}", names.join(", ")),
        ));
    }
    let (facts, fixes): (Vec<String>, Vec<String>) = found.into_iter().unzip();
    let mut fixes = fixes;
    fixes.dedup();
    Ok(ProbeResult::new(&id, Status::Fail, facts.join("\n")).with_fix(fixes.join("\n")))
}

/// The calls of [`probe`]: each secret described and its value's keys read, each parameter described.
pub fn probe_calls(x: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = Vec::new();
    for c in &x.lists.container_secrets {
        match &c.from {
            SecretRef::Secret { name, .. } => out.extend(facts::secret_calls(x, name)),
            SecretRef::Parameter { .. } => out.extend(facts::parameter_calls()),
        }
    }
    Ok(out)
}
