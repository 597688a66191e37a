//! One Secrets Manager secret of the profile's `[[secrets]]` (a repeated
//! step's instance): `secrets.ensure_secret` creates it without a value when
//! missing (with the customer key when given), then writes a new version only
//! when the value differs (a JSON secret's other keys kept; a generated value
//! made once, never again); `secrets.secret_value` checks it has a non-empty
//! current value (every key of a JSON secret). Values live in memory only:
//! never printed, logged or stored, not even their length or a hash.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::access::key_pattern;
use super::{generate, values};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Exec, Later};
use crate::engine::outcome::{ProbeResult, Status};

/// An entry as `engine::expand` hands it over.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    json: bool,
    keys: Vec<String>,
    #[serde(default)]
    generate: BTreeMap<String, String>,
    kms_key_id: Option<String>,
}

pub type Params = super::EntryParams;
pub type Check = super::EntryCheck;

fn entry(t: &toml::Table) -> Result<Entry, AwsError> {
    toml::Value::Table(t.clone()).try_into().map_err(|e| AwsError::other(format!("a secret entry is malformed: {e}")))
}

fn arn(x: &Exec, name: &str) -> String {
    format!("arn:{}:secretsmanager:{}:{}:secret:{name}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// The secret's ARN, or None when it does not exist.
/// The key under which a plan remembers the ARN of a secret it would create.
pub fn secret_key(name: &str) -> String {
    format!("secretsmanager secret {name}")
}

/// The secret's ARN as IAM matches it before its random suffix is known (`NAME-??????`).
pub fn arn_pattern(x: &Exec, name: &str) -> String {
    format!("{}-??????", arn(x, name))
}

pub async fn describe(x: &Exec, name: &str) -> Result<Option<String>, AwsError> {
    let sm = x.aws.secrets();
    let op = Op::new("secretsmanager", "DescribeSecret", arn_pattern(x, name));
    let out = x.read_opt_shared(op, name, sm.describe_secret().secret_id(name).send()).await?;
    Ok(out.map(|o| o.arn().unwrap_or_default().to_string()))
}

/// The current value, or None when there is none (no AWSCURRENT version).
async fn current(x: &Exec, e: &Entry, arn: &str) -> Result<Option<String>, AwsError> {
    let (sm, name) = (x.aws.secrets(), &e.name);
    // Decrypted with the key it really has (the caller needs kms:Decrypt on that one).
    let op = match super::facts::secret(x, name).await?.and_then(|f| f.key) {
        Some(key) => Op::new("secretsmanager", "GetSecretValue", arn).with_found_key(Some(key_pattern(x, &key))),
        None => Op::new("secretsmanager", "GetSecretValue", arn).with_key(key_of(x, e)),
    };
    let out = x.read_opt(op, sm.get_secret_value().secret_id(name).send()).await?;
    Ok(out.and_then(|o| o.secret_string().map(str::to_string)))
}

/// The JSON object of a value; None when it is not one.
fn object(text: Option<&str>) -> Option<Map<String, Value>> {
    text.and_then(|t| serde_json::from_str::<Value>(t).ok()).and_then(|v| v.as_object().cloned())
}

/// The value to write and what changes (key names only), or None when the current one is right.
fn desired(
    e: &Entry,
    given: &BTreeMap<String, String>,
    now: Option<&str>,
) -> Result<Option<(String, String)>, AwsError> {
    if !e.json {
        let key = crate::engine::profile::lists::PLAIN;
        let (value, why) = match (given.get(key), e.generate.get(key), now) {
            (Some(v), _, Some(n)) if v == n => return Ok(None),
            (Some(v), _, Some(_)) => (v.clone(), "the value differs from its source".to_string()),
            (Some(v), _, None) => (v.clone(), "it has no value yet".to_string()),
            (None, Some(_), Some(n)) if !n.is_empty() => return Ok(None),
            (None, Some(g), _) => (generate(g)?, format!("a value is generated ({g}), once")),
            (None, None, _) => return Ok(None),
        };
        return Ok(Some((value, why)));
    }
    let mut map = object(now).unwrap_or_default();
    let mut set = Vec::new();
    let mut made = Vec::new();
    for key in &e.keys {
        let have = map.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        match (given.get(key), e.generate.get(key)) {
            (Some(v), _) if have.as_deref() != Some(v.as_str()) => {
                map.insert(key.clone(), Value::String(v.clone()));
                set.push(key.as_str());
            }
            (None, Some(g)) if have.is_none() => {
                map.insert(key.clone(), Value::String(generate(g)?));
                made.push(key.as_str());
            }
            _ => {}
        }
    }
    if set.is_empty() && made.is_empty() && now.is_some() && object(now).is_some() {
        return Ok(None);
    }
    let mut why = Vec::new();
    if !set.is_empty() {
        why.push(format!(
            "{} from {} source{}",
            set.join(", "),
            if set.len() == 1 { "its" } else { "their" },
            if set.len() == 1 { "" } else { "s" }
        ));
    }
    if !made.is_empty() {
        why.push(format!("{} generated, once", made.join(", ")));
    }
    if object(now).is_none() && now.is_some() {
        why.push("the current value is not a JSON object: it is replaced".into());
    }
    Ok(Some((serde_json::to_string(&Value::Object(map)).expect("json"), why.join("; "))))
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let e = entry(&p.entry)?;
    let given = values(&p.values)?;
    let sm = x.aws.secrets();
    let (arn, now) = match describe(x, &e.name).await? {
        Some(arn) => {
            if let Some(deleted) = super::facts::secret(x, &e.name).await?.and_then(|f| f.deleted) {
                let (fact, restore) = super::facts::scheduled(&e.name, &deleted);
                return Err(AwsError::other(fact).with_fix(format!("restore it first: {restore}")));
            }
            let now = current(x, &e, &arn).await?;
            (Later::Known(arn), now)
        }
        None => {
            let tags = x
                .tags()
                .into_iter()
                .map(|(k, v)| aws_sdk_secretsmanager::types::Tag::builder().key(k).value(v).build())
                .collect();
            let call =
                sm.create_secret().name(&e.name).set_kms_key_id(e.kms_key_id.clone()).set_tags(Some(tags)).send();
            let key = e.kms_key_id.as_deref().map(|k| format!(", encrypted with {k}")).unwrap_or_default();
            let detail = format!("create secret {} without a value yet{key}", e.name);
            let op = Op::new("secretsmanager", "CreateSecret", arn_pattern(x, &e.name)).with_key(key_of(x, &e));
            let made = x.change(op, detail, call).await?;
            let arn = made.map(|o| o.arn).required("secret ARN")?.named(format!("ARN of secret {}", e.name));
            x.remember(&secret_key(&e.name), &arn);
            (arn, None)
        }
    };
    if let Later::Known(arn) = &arn {
        x.output("secret_arn", arn.clone());
    }
    let Some((value, why)) = desired(&e, &given, now.as_deref())? else {
        x.note(format!("secret {} already holds what its sources say", e.name));
        return Ok(());
    };
    let call = sm.put_secret_value().secret_id(&e.name).secret_string(value).send();
    let detail = format!("write a new version of secret {}: {why}", e.name);
    x.change(Op::new("secretsmanager", "PutSecretValue", arn.to_string()).with_key(key_of(x, &e)), detail, call)
        .await?;
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Check) -> Result<ProbeResult, AwsError> {
    let e = entry(&p.entry)?;
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    let Some(arn) = describe(x, &e.name).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("secret {} does not exist", e.name)).with_fix(fix));
    };
    if let Some(deleted) = super::facts::secret(x, &e.name).await?.and_then(|f| f.deleted) {
        let (fact, restore) = super::facts::scheduled(&e.name, &deleted);
        return Ok(ProbeResult::new(&id, Status::Fail, fact).with_fix(restore));
    }
    x.output("secret_arn", arn.clone());
    let Some(now) = current(x, &e, &arn).await? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("secret {} has no value yet (no AWSCURRENT version): tasks that read it cannot start", e.name),
        )
        .with_fix(fix));
    };
    // In a run, the values the sources give are known: the secret must hold them.
    let given = match &x.wanted {
        Some(w) => values(w)?,
        None => BTreeMap::new(),
    };
    if !e.json {
        if now.is_empty() {
            return Ok(
                ProbeResult::new(&id, Status::Fail, format!("the value of secret {} is empty", e.name)).with_fix(fix)
            );
        }
        if given.get(crate::engine::profile::lists::PLAIN).is_some_and(|v| *v != now) {
            return Ok(ProbeResult::new(
                &id,
                Status::Fail,
                format!("the value of secret {} differs from its source", e.name),
            )
            .with_fix(fix));
        }
        return Ok(ProbeResult::new(&id, Status::Pass, format!("secret {} has a current value", e.name)));
    }
    let Some(map) = object(Some(&now)) else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("the value of secret {} is not a JSON object", e.name))
            .with_fix(fix));
    };
    let missing: Vec<&str> = e
        .keys
        .iter()
        .filter(|k| map.get(k.as_str()).and_then(Value::as_str).is_none_or(str::is_empty))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("secret {}: {} missing or empty", e.name, plural_keys(&missing)),
        )
        .with_fix(fix));
    }
    let differ: Vec<&str> = given
        .iter()
        .filter(|(k, v)| map.get(k.as_str()).and_then(Value::as_str) != Some(v.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    if !differ.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "secret {}: {} differ{} from {} source{}",
                e.name,
                plural_keys(&differ),
                if differ.len() == 1 { "s" } else { "" },
                if differ.len() == 1 { "its" } else { "their" },
                if differ.len() == 1 { "" } else { "s" }
            ),
        )
        .with_fix(fix));
    }
    Ok(ProbeResult::new(&id, Status::Pass, format!("secret {} has every key: {}", e.name, e.keys.join(", "))))
}

fn plural_keys(keys: &[&str]) -> String {
    format!("{} {}", if keys.len() == 1 { "key" } else { "keys" }, keys.join(", "))
}

/// The customer-managed key of an entry, as IAM names it.
fn key_of(x: &Exec, e: &Entry) -> Option<String> {
    e.kms_key_id.as_deref().map(|k| key_pattern(x, k))
}

/// The calls of [`ensure`]: the secret described, its value read, created, a version written.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let e = entry(&p.entry)?;
    let (at, key) = (arn_pattern(x, &e.name), key_of(x, &e));
    Ok(vec![
        Op::new("secretsmanager", "DescribeSecret", &at),
        Op::new("secretsmanager", "GetSecretValue", &at).with_key(key.clone()),
        Op::new("secretsmanager", "CreateSecret", &at).with_key(key.clone()),
        Op::new("secretsmanager", "PutSecretValue", &at).with_key(key),
    ])
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, p: &Check) -> Result<Vec<Op>, AwsError> {
    let e = entry(&p.entry)?;
    let at = arn_pattern(x, &e.name);
    Ok(vec![
        Op::new("secretsmanager", "DescribeSecret", &at),
        Op::new("secretsmanager", "GetSecretValue", &at).with_key(key_of(x, &e)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(json: bool, generate: &[(&str, &str)]) -> Entry {
        Entry {
            name: "s".into(),
            json,
            keys: if json { vec!["A".into(), "B".into()] } else { vec!["value".into()] },
            generate: generate.iter().map(|(k, g)| (k.to_string(), g.to_string())).collect(),
            kms_key_id: None,
        }
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_value_is_written_only_when_it_differs_and_generated_once() {
        assert_eq!(desired(&e(false, &[]), &given(&[("value", "v")]), Some("v")).unwrap(), None);
        assert!(desired(&e(false, &[]), &given(&[("value", "v2")]), Some("v")).unwrap().is_some());
        assert_eq!(
            desired(&e(false, &[("value", "hex32")]), &given(&[]), Some("old")).unwrap(),
            None,
            "never regenerated"
        );
        let (made, why) = desired(&e(false, &[("value", "hex32")]), &given(&[]), None).unwrap().unwrap();
        assert_eq!(made.len(), 64);
        assert!(why.contains("generated") && !why.contains(&made));
    }

    #[test]
    fn a_json_secret_keeps_keys_it_does_not_list() {
        let now = r#"{"A":"a","B":"","OTHER":"kept"}"#;
        let (value, why) = desired(&e(true, &[("B", "base64-48")]), &given(&[("A", "a")]), Some(now)).unwrap().unwrap();
        let v: Value = serde_json::from_str(&value).unwrap();
        assert_eq!(v["OTHER"], "kept");
        assert_eq!(v["A"], "a");
        assert_eq!(v["B"].as_str().unwrap().len(), 64, "48 bytes in base64");
        assert_eq!(why, "B generated, once");
        let full = serde_json::to_string(&v).unwrap();
        assert_eq!(desired(&e(true, &[("B", "base64-48")]), &given(&[("A", "a")]), Some(&full)).unwrap(), None);
    }
}
