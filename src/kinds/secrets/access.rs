//! Who may read the profile's secrets and parameters: the task execution role
//! (ECS reads `secrets` of a task definition with it) and the task role (the
//! application reads at run time), as each entry's `readers` say. Both must
//! read, or tasks stop with AccessDeniedException at start (seed 003).
//! `secrets.ensure_read_access` gives each reader role an inline policy allowing
//! exactly these secrets, parameters and customer keys (the execution role is
//! created, trusted by ecs-tasks.amazonaws.com with
//! AmazonECSTaskExecutionRolePolicy attached, when missing); `secrets.readers`
//! proves it by evaluating all the role's policies.

use serde::Deserialize;
use serde_json::{Value, json};

use super::facts;
use super::parameter::parameter_arn;
use super::secret::{arn_pattern, secret_key};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Detail, Exec};
use crate::engine::outcome::{ProbeResult, Status};
use crate::engine::profile::lists::Reader;
use crate::kinds::iam::allows::{may, run_grants};
use crate::kinds::iam::execution::{TRUST, ensure_execution_role, execution_role_calls};
use crate::kinds::iam::principal;
use crate::kinds::iam::read::{PrincipalKind, policy_reads, principal_arn, principal_policies};
use crate::kinds::kind::KindParams;
use crate::policy::{PolicyDocument, Requirement, canonical};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub execution_role_name: String,
    pub task_role_name: String,
    /// The inline policy each reader role gets.
    pub policy_name: String,
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        vec![TRUST.into()]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderParams {
    /// `execution` or `task`.
    pub reader: String,
    pub role_name: String,
}

impl KindParams for ReaderParams {
    fn assets(&self) -> Vec<String> {
        vec![TRUST.into()]
    }
    fn validate(&self) -> Result<(), String> {
        match self.reader.as_str() {
            "execution" | "task" => Ok(()),
            other => Err(format!("`reader` is \"execution\" or \"task\", not \"{other}\"")),
        }
    }
}

/// A key as preflight names it without asking KMS: a key ARN as it is, a key id
/// as its ARN, an alias as the alias's ARN (whose needs policy::actions grants
/// by the alias, and [`resolve_aliases`] narrows to the key behind it).
pub fn key_pattern(x: &Exec, key: &str) -> String {
    let (partition, region, account) = (x.aws.partition(), &x.aws.region, &x.aws.account_id);
    if key.starts_with("arn:") {
        // A key ARN, or an alias ARN (policy::actions grants its key by the alias).
        return key.to_string();
    }
    match key.strip_prefix("alias/") {
        Some(alias) => format!("arn:{partition}:kms:{region}:{account}:alias/{alias}"),
        None => format!("arn:{partition}:kms:{region}:{account}:key/{key}"),
    }
}

/// The needs that name a key by its alias (`key/*` under `kms:ResourceAliases`)
/// narrowed to the key itself where the alias can be read (kms:DescribeKey);
/// where it cannot, the condition stays and says which key is meant.
pub async fn resolve_aliases(x: &Exec, needs: Vec<&mut crate::policy::actions::Need>) {
    let mut keys: std::collections::BTreeMap<String, Option<String>> = std::collections::BTreeMap::new();
    for need in needs {
        let Some(alias) = need.condition.iter().find(|c| c.key == ALIASES_KEY).map(|c| c.value.clone()) else {
            continue;
        };
        if !keys.contains_key(&alias) {
            let arn = key_arn_of(x, &alias, false).await.ok();
            keys.insert(alias.clone(), arn);
        }
        if let Some(Some(arn)) = keys.get(&alias) {
            need.resource = arn.clone();
            need.condition.retain(|c| c.key != ALIASES_KEY);
        }
    }
}

/// What [`resolve_aliases`] reads: kms:DescribeKey of each alias the needs name.
pub fn alias_reads(x: &Exec, needs: &[crate::policy::actions::Need]) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    for alias in needs.iter().flat_map(|n| n.condition.iter().filter(|c| c.key == ALIASES_KEY)) {
        let op = Op::new("kms", "DescribeKey", key_pattern(x, &alias.value));
        if !out.iter().any(|o| o.resource == op.resource) {
            out.push(op);
        }
    }
    out
}

/// The condition key that names a key by its aliases.
const ALIASES_KEY: &str = crate::policy::actions::KMS_ALIASES;

/// The key ARN behind a key id, key ARN or alias.
pub async fn key_arn(x: &Exec, key: &str) -> Result<String, AwsError> {
    key_arn_of(x, key, false).await
}

/// [`key_arn`] of a key read from the account (`found`: the key a secret is
/// really encrypted with, which no static declaration names).
pub async fn key_arn_of(x: &Exec, key: &str, found: bool) -> Result<String, AwsError> {
    if key.starts_with("arn:") && key.contains(":key/") {
        return Ok(key.to_string());
    }
    let kms = x.aws.kms();
    let op = Op::new("kms", "DescribeKey", key_pattern(x, key));
    let op = if found { op.with_found_key(Some(key_pattern(x, key))) } else { op };
    let out = x.read(op, kms.describe_key().key_id(key).send()).await?;
    out.key_metadata()
        .and_then(|m| m.arn())
        .map(str::to_string)
        .ok_or_else(|| AwsError::other(format!("KMS key {key} has no ARN")))
}

/// What `reader` must be allowed: GetSecretValue on each secret it reads (its
/// ARN, or NAME-?????? before it exists), GetParameters on each parameter, and
/// Decrypt on each customer key.
async fn required(x: &Exec, reader: Reader) -> Result<Vec<Requirement>, AwsError> {
    let mut out = Vec::new();
    // (key, found in the account): the key each secret and parameter is really
    // encrypted with, named in the profile or not (the profile's before it exists).
    let mut keys: Vec<(String, bool)> = Vec::new();
    let lists = x.lists.clone();
    let entries: Vec<_> = lists.secrets.iter().filter(|e| e.readers.contains(&reader)).collect();
    // Every secret at once.
    let found = futures_util::future::join_all(entries.iter().map(|e| facts::secret(x, &e.name))).await;
    for (e, found) in entries.into_iter().zip(found) {
        // Not made yet: the one an earlier step of this plan makes, else every
        // version of the name (IAM's NAME-?????? for the random suffix).
        let resource = match found? {
            Some(f) => {
                keys.extend(f.key.map(|k| (k, true)));
                f.arn
            }
            None => {
                keys.extend(e.kms_key_id.clone().map(|k| (k, false)));
                x.planned(&secret_key(&e.name)).map_or_else(|| arn_pattern(x, &e.name), |l| l.to_string())
            }
        };
        out.push(Requirement::new("secretsmanager:GetSecretValue", resource, Some("SecretsRead".into())));
    }
    for e in lists.parameters.iter().filter(|e| e.readers.contains(&reader)) {
        let resource = parameter_arn(x, &e.name);
        out.push(Requirement::new("ssm:GetParameters", resource, Some("ParametersRead".into())));
        match facts::parameter(x, &e.name).await? {
            Some(f) => keys.extend(f.key.map(|k| (k, true))),
            None => keys.extend(e.kms_key_id.clone().map(|k| (k, false))),
        }
    }
    keys.sort();
    keys.dedup_by(|a, b| a.0 == b.0);
    let mut arns = Vec::new();
    for (key, found) in keys {
        arns.push(key_arn_of(x, &key, found).await?);
    }
    arns.sort();
    arns.dedup();
    for resource in arns {
        out.push(Requirement::new("kms:Decrypt", resource, Some("KeysDecrypt".into())));
    }
    Ok(out)
}

/// An inline policy allowing exactly the requirements, one statement per kind.
fn document(required: &[Requirement]) -> Value {
    let mut statements = Vec::new();
    for sid in ["SecretsRead", "ParametersRead", "KeysDecrypt"] {
        let mine: Vec<&Requirement> = required.iter().filter(|r| r.sid.as_deref() == Some(sid)).collect();
        if let Some(first) = mine.first() {
            let resources: Vec<&str> = mine.iter().map(|r| r.resource.as_str()).collect();
            statements.push(json!({ "Sid": sid, "Effect": "Allow", "Action": first.action, "Resource": resources }));
        }
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

fn readers(x: &Exec) -> Vec<Reader> {
    let mut all: Vec<Reader> = x
        .lists
        .secrets
        .iter()
        .flat_map(|e| e.readers.clone())
        .chain(x.lists.parameters.iter().flat_map(|e| e.readers.clone()))
        .collect();
    all.sort();
    all.dedup();
    all
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let needed = readers(x);
    if needed.is_empty() {
        x.note("the profile lists no [[secrets]] or [[parameters]]: nobody needs to read anything");
        return Ok(());
    }
    for reader in needed {
        let name = match reader {
            Reader::Execution => {
                ensure_execution_role(x, &p.execution_role_name).await?;
                &p.execution_role_name
            }
            Reader::Task => {
                let iam = x.aws.iam().clone();
                let arn = principal_arn(x, PrincipalKind::Role, &p.task_role_name);
                let exists = x
                    .read_opt_shared(
                        Op::new("iam", "GetRole", &arn),
                        &p.task_role_name,
                        iam.get_role().role_name(&p.task_role_name).send(),
                    )
                    .await?
                    .is_some();
                // In a plan, a step before this one (iam-policy's runtime-principal) may create it.
                let planned = x.planned(&principal::role_key(&p.task_role_name)).is_some();
                if !exists && !planned {
                    return Err(AwsError::other(format!(
                        "the task role {} does not exist, so it cannot be given read access",
                        p.task_role_name
                    ))
                    .with_fix(format!(
                        "it is the runtime role: create it with `preflight run iam-policy --step runtime-principal` (runtime_principal_kind = role), then `preflight run {} --step {}`",
                        x.checklist, x.step
                    )));
                }
                &p.task_role_name
            }
        };
        let want = document(&required(x, reader).await?);
        let iam = x.aws.iam().clone();
        let arn = principal_arn(x, PrincipalKind::Role, name);
        let op = Op::new("iam", "GetRolePolicy", &arn);
        let now = x.read_opt(op, iam.get_role_policy().role_name(name).policy_name(&p.policy_name).send()).await?;
        let have = now.as_ref().and_then(|o| PolicyDocument::parse_url_encoded(o.policy_document()).ok());
        let want_doc = PolicyDocument::from_value(&want).map_err(AwsError::other)?;
        if have.as_ref().map(canonical) == Some(canonical(&want_doc)) {
            x.note(format!("role {name} already has {} as wanted", p.policy_name));
            continue;
        }
        let before = have.map(|d| d.raw).unwrap_or(Value::Null);
        let detail = Detail::with_diff(
            format!("inline policy {}: the {} role reads exactly what the profile lists", p.policy_name, reader.name()),
            &before,
            &want,
        );
        let body = serde_json::to_string(&want).expect("json");
        let call = iam.put_role_policy().role_name(name).policy_name(&p.policy_name).policy_document(body).send();
        x.change(Op::new("iam", "PutRolePolicy", &arn), detail, call).await?;
    }
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: ReaderParams) -> Result<ProbeResult, AwsError> {
    let reader = if p.reader == "execution" { Reader::Execution } else { Reader::Task };
    if !readers(x).contains(&reader) {
        return Ok(ProbeResult::new(
            &id,
            Status::Skipped,
            format!("no secret or parameter of the profile names the {} role as a reader", reader.name()),
        ));
    }
    // This step grants what the role must read (the profile's entries that name it a reader);
    // the execution role it also creates, the task role is iam-policy's runtime role.
    let read_access = format!("{} --step read-access", x.checklist);
    let created_by = match reader {
        Reader::Execution => read_access.clone(),
        Reader::Task => "iam-policy --step runtime-principal".to_string(),
    };
    // The execution role is ECS's: it must trust ecs-tasks.amazonaws.com from this account.
    if reader == Reader::Execution {
        let trust = principal::Params {
            principal_kind: "role".into(),
            principal_name: p.role_name.clone(),
            trust: Some(TRUST.into()),
            path: "/".into(),
            description: None,
            fixed_by: None,
        };
        let trusted = principal::probe(x, id.clone(), trust).await?;
        if trusted.status != Status::Pass {
            return Ok(trusted);
        }
    }
    // What it must read and what its policies say are asked at once (the policies' reads are
    // shared: `may` finds them answered).
    let (required, _) = tokio::join!(required(x, reader), principal_policies(x, PrincipalKind::Role, &p.role_name));
    let required: Vec<Requirement> = required?;
    may(x, id, PrincipalKind::Role, &p.role_name, &required, &created_by, &run_grants(&read_access)).await
}

/// The reads of [`required`] for one reader: each secret's ARN, each key's.
fn required_calls(x: &Exec, reader: Reader) -> Vec<Op> {
    let mut out = Vec::new();
    let mut keys = Vec::new();
    for e in x.lists.secrets.iter().filter(|e| e.readers.contains(&reader)) {
        out.push(Op::new("secretsmanager", "DescribeSecret", arn_pattern(x, &e.name)));
        keys.extend(e.kms_key_id.clone());
    }
    if x.lists.parameters.iter().any(|e| e.readers.contains(&reader)) {
        out.extend(facts::parameter_calls());
    }
    keys.extend(x.lists.parameters.iter().filter(|e| e.readers.contains(&reader)).filter_map(|e| e.kms_key_id.clone()));
    for key in keys.into_iter().filter(|k| !(k.starts_with("arn:") && k.contains(":key/"))) {
        out.push(Op::new("kms", "DescribeKey", key_pattern(x, &key)));
    }
    out
}

/// The calls of [`ensure`]: per reader, its role (the execution role's as
/// `iam.ensure_execution_role` makes it), what it must read, its inline policy.
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = Vec::new();
    for reader in readers(x) {
        let name = match reader {
            Reader::Execution => {
                out.extend(execution_role_calls(x, &p.execution_role_name));
                &p.execution_role_name
            }
            Reader::Task => {
                out.push(Op::new("iam", "GetRole", principal_arn(x, PrincipalKind::Role, &p.task_role_name)));
                &p.task_role_name
            }
        };
        out.extend(required_calls(x, reader));
        let arn = principal_arn(x, PrincipalKind::Role, name);
        out.push(Op::new("iam", "GetRolePolicy", &arn));
        out.push(Op::new("iam", "PutRolePolicy", &arn));
    }
    Ok(out)
}

/// The calls of [`probe`]: the execution role's trust, what the role must read, all its policies.
pub fn probe_calls(x: &Exec, p: &ReaderParams) -> Result<Vec<Op>, AwsError> {
    let reader = if p.reader == "execution" { Reader::Execution } else { Reader::Task };
    if !readers(x).contains(&reader) {
        return Ok(Vec::new());
    }
    let mut out = policy_reads(x, PrincipalKind::Role, &p.role_name);
    out.extend(required_calls(x, reader));
    Ok(out)
}
