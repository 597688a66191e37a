//! `ecs.container_secrets`: every secret and parameter the container reads
//! (the profile's `[container_secrets]`) exists, is not scheduled for
//! deletion, and — for `NAME = "secret:KEY"` — holds that key, or ECS stops
//! every task at start (ResourceInitializationError). A secret's value is
//! read in memory only to learn its keys: only key names are ever shown.

use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::engine::profile::container::{ContainerSecret, SecretRef};
use crate::engine::suggest::{closest, did_you_mean};
use crate::kinds::kind::{KindParams, profile_line};
use crate::kinds::secrets::facts;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl KindParams for Params {}

/// A container secret that names what does not exist: the end of the fact (a
/// did-you-mean) and its fix. A name the profile's lists hold is made by the
/// secrets checklist; a name close to one of them is a typo in
/// `[container_secrets]`, corrected at its line; anything else is corrected
/// there, or listed to be made.
pub fn missing(x: &Exec, c: &ContainerSecret) -> (String, String) {
    let at = profile_line(x, c.line);
    let (list, step, name) = match &c.from {
        SecretRef::Secret { name, .. } => ("secrets", "secret", name),
        SecretRef::Parameter { name } => ("parameters", "parameter", name),
    };
    let names = x.lists.names(list);
    if names.contains(name) {
        return (String::new(), format!("preflight run secrets --step {step}:{name}"));
    }
    if let Some(close) = closest(name, names.iter().map(String::as_str)) {
        let meant = match &c.from {
            SecretRef::Secret { key: Some(k), .. } => format!("{close}:{k}"),
            SecretRef::Secret { key: None, .. } => close.to_string(),
            SecretRef::Parameter { .. } => format!("ssm:{close}"),
        };
        return (
            did_you_mean(name, [close]),
            format!("correct [container_secrets] at {at}: {} = \"{meant}\"", c.variable),
        );
    }
    (
        String::new(),
        format!(
            "correct [container_secrets] {} at {at}, or list {name} under [[{list}]] in {} and run `preflight run secrets`",
            c.variable,
            x.lists.path.display()
        ),
    )
}

/// What is wrong with one container secret (its fact and fix), or None.
async fn wrong(x: &Exec, c: &ContainerSecret) -> Result<Option<(String, String)>, AwsError> {
    let (variable, at) = (&c.variable, profile_line(x, c.line));
    match &c.from {
        SecretRef::Parameter { name } => Ok(facts::parameter(x, name).await?.is_none().then(|| {
            let (meant, fix) = missing(x, c);
            (format!("{variable}: parameter {name} does not exist in SSM Parameter Store{meant}"), fix)
        })),
        SecretRef::Secret { name, key } => {
            let Some(f) = facts::secret(x, name).await? else {
                let (meant, fix) = missing(x, c);
                return Ok(Some((format!("{variable}: secret {name} does not exist in Secrets Manager{meant}"), fix)));
            };
            if let Some(deleted) = &f.deleted {
                let (fact, fix) = facts::scheduled(name, deleted);
                return Ok(Some((format!("{variable}: {fact}"), fix)));
            }
            let Some(key) = key else { return Ok(None) };
            let entry = x.lists.secret(name);
            let write = format!("preflight run secrets --step secret:{name}");
            let Some(version) = facts::version(x, &f).await? else {
                let fix = match entry {
                    Some(_) => write,
                    None => format!(
                        "give it a value with {key} (aws secretsmanager put-secret-value --secret-id {name} --secret-string '{{\"{key}\": \"…\"}}'), or list it under [[secrets]] in {} and run `preflight run secrets`",
                        x.lists.path.display()
                    ),
                };
                return Ok(Some((format!("{variable}: secret {name} has no value yet, so it has no key {key}"), fix)));
            };
            let listed = entry.is_some_and(|e| e.keys.as_ref().is_some_and(|k| k.contains(key)));
            Ok(match version.keys {
                None => Some((
                    format!("{variable}: secret {name} is not a JSON object, so it has no key {key}"),
                    match listed {
                        true => write,
                        false => format!(
                            "name the whole secret at {at}: {variable} = \"{name}\", or write it as JSON with {key}"
                        ),
                    },
                )),
                Some(keys) if !keys.contains(key) => {
                    let meant = did_you_mean(key, keys.iter().map(String::as_str));
                    let fix = match (closest(key, keys.iter().map(String::as_str)), listed, entry) {
                        // The profile lists the key: the secrets checklist writes it.
                        (_, true, _) => write,
                        (Some(close), ..) => {
                            format!("correct [container_secrets] at {at}: {variable} = \"{name}:{close}\"")
                        }
                        (None, false, Some(e)) => format!(
                            "correct [container_secrets] {variable} at {at} (\"{name}:KEY\"), or add {key} to the keys and source of [[secrets]] {name} at {}, then {write}",
                            profile_line(x, e.line)
                        ),
                        (None, false, None) => format!(
                            "correct [container_secrets] {variable} at {at} (\"{name}:KEY\"), or add {key} to the secret {name}"
                        ),
                    };
                    Some((
                        format!(
                            "{variable}: secret {name} has no key {key}{meant}; it has {}",
                            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                        ),
                        fix,
                    ))
                }
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
        if let Some(w) = wrong(x, c).await? {
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
