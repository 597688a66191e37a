//! The task definition: `ecs.ensure_task_definition` renders the asset (seed
//! 000 §9.2's shape, with runtimePlatform and a container health check), adds
//! the profile's `[environment]` and `[container_secrets]` (as `valueFrom`
//! ARNs), and registers a new revision only when the latest differs (compared
//! field by field on what the asset sets, so fields AWS adds do not count);
//! `ecs.task_definition` checks the latest revision is that one.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{roles_of, value_from, value_from_calls};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The asset to render.
    pub document: String,
    pub family: String,
    /// Where ecr-push talks to the registry (the sandbox's); empty: ECR's own.
    /// The image is pinned to the digest its tag resolves to there.
    #[serde(default)]
    pub registry_url: String,
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        vec![self.document.clone()]
    }
}

/// Every revision of the family, as IAM names them (`task-definition/FAMILY:*`).
pub fn family_arn(x: &Exec, family: &str) -> String {
    format!("arn:{}:ecs:{}:{}:task-definition/{family}:*", x.aws.partition(), x.aws.region, x.aws.account_id)
}

/// Numbers in the asset are written as templates ("{{container_port}}"): the
/// fields the API takes as numbers become numbers again.
fn numbers(v: &mut Value) {
    for c in v["containerDefinitions"].as_array_mut().into_iter().flatten() {
        for m in c["portMappings"].as_array_mut().into_iter().flatten() {
            for k in ["containerPort", "hostPort"] {
                if let Some(n) = m[k].as_str().and_then(|s| s.parse::<i64>().ok()) {
                    m[k] = n.into();
                }
            }
        }
        for k in ["interval", "timeout", "retries", "startPeriod"] {
            if let Some(n) = c["healthCheck"][k].as_str().and_then(|s| s.parse::<i64>().ok()) {
                c["healthCheck"][k] = n.into();
            }
        }
    }
}

/// The key under which a plan remembers the revision it would register.
pub fn revision_key(family: &str) -> String {
    format!("ecs task-definition {family}")
}

/// The task definition wanted: the asset rendered, each image pinned to the
/// digest its tag resolves to now, with the container's variables. An error
/// of kind Other names what does not exist (a tag, a secret): a finding.
pub async fn wanted(x: &Exec, p: &Params) -> Result<Value, AwsError> {
    let mut v = x.asset_json(&p.document)?;
    numbers(&mut v);
    for c in v["containerDefinitions"].as_array_mut().into_iter().flatten() {
        let Some(image) = c["image"].as_str().map(str::to_string) else { continue };
        match super::image::pin(x, &image, &p.registry_url).await? {
            super::image::Pinned::Digest(pinned) => c["image"] = pinned.to_string().into(),
            super::image::Pinned::AsWritten => {}
            super::image::Pinned::Missing => {
                return Err(AwsError::other(format!(
                    "the image {image} does not exist in ECR: a task would stop with CannotPullContainerError"
                ))
                .with_fix("push it: preflight run ecr-push"));
            }
        }
    }
    let env: Vec<Value> = x.lists.environment.iter().map(|(n, val)| json!({ "name": n, "value": val })).collect();
    let mut secrets = Vec::new();
    for s in &x.lists.container_secrets {
        secrets.push(json!({ "name": s.variable, "valueFrom": value_from(x, s).await? }));
    }
    if let Some(c) = v["containerDefinitions"].get_mut(0) {
        if !env.is_empty() {
            c["environment"] = env.into();
        }
        if !secrets.is_empty() {
            c["secrets"] = secrets.into();
        }
    }
    // ECS refuses a task definition over its size limit; the emulator does not: say so before any call.
    crate::engine::limits::task_definition_size(&v)
        .map_err(|e| AwsError::new(crate::aws::error::ErrorKind::Input, e.message).with_fix(e.fix))?;
    Ok(v)
}

/// When a container's image is the same repository at another digest (a
/// new push under the same tag): what it runs and what the tag is now.
fn image_moved(want: &Value, have: &Value) -> Option<String> {
    let images = |v: &Value| -> Vec<(String, String)> {
        v["containerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c["name"].as_str()?.to_string(), c["image"].as_str()?.to_string())))
            .collect()
    };
    let have = images(have);
    images(want).into_iter().find_map(|(name, w)| {
        let (repo, digest) = w.split_once('@')?;
        let (_, h) = have.iter().find(|(n, _)| *n == name)?;
        let old = h
            .split_once('@')
            .map(|(r, d)| (r, d.to_string()))
            .unwrap_or((h.as_str(), format!("the tag {}", h.rsplit(':').next().unwrap_or(h))));
        (old.0 == repo && old.1 != digest)
            .then(|| format!("runs {} of {repo}; its tag now resolves to {digest}", old.1))
    })
}

/// `have` as `want` is written: only the fields `want` has, in its order (lists
/// of named items matched by name), so that a diff of the two shows only what differs.
fn shaped(have: &Value, want: &Value) -> Value {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => {
            Value::Object(w.keys().filter_map(|k| h.get(k).map(|v| (k.clone(), shaped(v, &w[k])))).collect())
        }
        (Value::Array(h), Value::Array(w)) if !w.is_empty() && w.iter().all(|i| i.get("name").is_some()) => {
            let mut out: Vec<Value> = w
                .iter()
                .filter_map(|wi| h.iter().find(|hi| hi.get("name") == wi.get("name")).map(|hi| shaped(hi, wi)))
                .collect();
            out.extend(h.iter().filter(|hi| !w.iter().any(|wi| wi.get("name") == hi.get("name"))).cloned());
            Value::Array(out)
        }
        (Value::Array(h), Value::Array(w)) if h.len() == w.len() => {
            Value::Array(h.iter().zip(w).map(|(a, b)| shaped(a, b)).collect())
        }
        _ => have.clone(),
    }
}

/// Whether `have` holds everything `want` says (objects key by key, lists of
/// `name`d items by name); what AWS adds beyond it does not count. Err names the first difference.
fn holds(want: &Value, have: &Value, at: &str) -> Result<(), String> {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => {
            for (k, wv) in w {
                holds(wv, h.get(k).unwrap_or(&Value::Null), &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(h)) if w.iter().all(|i| i.get("name").is_some()) && !w.is_empty() => {
            if w.len() != h.len() {
                return Err(format!("{at} has {} entries, not {}", h.len(), w.len()));
            }
            for item in w {
                let name = &item["name"];
                let other = h.iter().find(|i| &i["name"] == name).ok_or_else(|| format!("{at} lacks {name}"))?;
                holds(item, other, &format!("{at}[{name}]"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(h)) => {
            if w.len() != h.len() {
                return Err(format!("{at} differs"));
            }
            w.iter().zip(h).enumerate().try_for_each(|(i, (a, b))| holds(a, b, &format!("{at}[{i}]")))
        }
        (w, h) if w == h => Ok(()),
        _ => Err(format!("{at} is {have}, wanted {want}")),
    }
}

/// The latest ACTIVE revision of the family, as JSON in the asset's terms; None when there is none.
async fn latest(x: &Exec, family: &str) -> Result<Option<(String, Value)>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "DescribeTaskDefinition", family_arn(x, family));
    let td = match x.read(op, ecs.describe_task_definition().task_definition(family).send()).await {
        Ok(out) => out.task_definition,
        // ECS answers a family it does not know with a ClientException.
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("ClientException") => None,
        Err(e) => return Err(e),
    };
    // AWS answers a family with its latest ACTIVE revision; moto may answer with a
    // deregistered one (after `destroy`), which no service can run: none, then.
    let active = td.filter(|td| td.status() != Some(&aws_sdk_ecs::types::TaskDefinitionStatus::Inactive));
    Ok(active.map(|td| (td.task_definition_arn().unwrap_or_default().to_string(), described(&td))))
}

fn described(td: &aws_sdk_ecs::types::TaskDefinition) -> Value {
    let containers: Vec<Value> = td
        .container_definitions()
        .iter()
        .map(|c| {
            let log = c.log_configuration().map(|l| {
                json!({ "logDriver": l.log_driver().as_str(), "options": l.options().cloned().unwrap_or_default() })
            });
            let health = c.health_check().map(|h| {
                json!({ "command": h.command(), "interval": h.interval(), "timeout": h.timeout(), "retries": h.retries(), "startPeriod": h.start_period() })
            });
            json!({
                "name": c.name(),
                "image": c.image(),
                "essential": c.essential(),
                "portMappings": c.port_mappings().iter().map(|m| json!({ "containerPort": m.container_port(), "hostPort": m.host_port(), "protocol": m.protocol().map(|p| p.as_str()) })).collect::<Vec<_>>(),
                "environment": c.environment().iter().map(|e| json!({ "name": e.name(), "value": e.value() })).collect::<Vec<_>>(),
                "secrets": c.secrets().iter().map(|s| json!({ "name": s.name(), "valueFrom": s.value_from() })).collect::<Vec<_>>(),
                "logConfiguration": log,
                "healthCheck": health,
            })
        })
        .collect();
    json!({
        "family": td.family(),
        "taskRoleArn": td.task_role_arn(),
        "executionRoleArn": td.execution_role_arn(),
        "networkMode": td.network_mode().map(|m| m.as_str()),
        "requiresCompatibilities": td.requires_compatibilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "cpu": td.cpu(),
        "memory": td.memory(),
        "runtimePlatform": td.runtime_platform().map(|r| json!({
            "operatingSystemFamily": r.operating_system_family().map(|o| o.as_str()),
            "cpuArchitecture": r.cpu_architecture().map(|c| c.as_str()),
        })),
        "containerDefinitions": containers,
    })
}

/// The RegisterTaskDefinition call for the wanted JSON (the asset's fields only).
fn register(
    x: &Exec,
    v: &Value,
) -> Result<aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder, AwsError> {
    use aws_sdk_ecs::types::*;
    let s = |v: &Value| v.as_str().map(str::to_string);
    let n = |v: &Value| v.as_i64().map(|n| n as i32);
    let bad =
        |e: aws_sdk_ecs::error::BuildError| AwsError::other(format!("the task definition asset is incomplete: {e}"));
    let mut req = x
        .aws
        .ecs()
        .register_task_definition()
        .family(s(&v["family"]).unwrap_or_default())
        .set_task_role_arn(s(&v["taskRoleArn"]))
        .set_execution_role_arn(s(&v["executionRoleArn"]))
        .set_network_mode(s(&v["networkMode"]).map(|m| NetworkMode::from(m.as_str())))
        .set_cpu(s(&v["cpu"]))
        .set_memory(s(&v["memory"]))
        .set_tags(Some(super::tags(x)));
    for c in v["requiresCompatibilities"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        req = req.requires_compatibilities(Compatibility::from(c));
    }
    if v["runtimePlatform"].is_object() {
        let r = &v["runtimePlatform"];
        req = req.runtime_platform(
            RuntimePlatform::builder()
                .set_operating_system_family(s(&r["operatingSystemFamily"]).map(|o| OsFamily::from(o.as_str())))
                .set_cpu_architecture(s(&r["cpuArchitecture"]).map(|c| CpuArchitecture::from(c.as_str())))
                .build(),
        );
    }
    for c in v["containerDefinitions"].as_array().into_iter().flatten() {
        let mut d = ContainerDefinition::builder()
            .set_name(s(&c["name"]))
            .set_image(s(&c["image"]))
            .set_essential(c["essential"].as_bool());
        for m in c["portMappings"].as_array().into_iter().flatten() {
            d = d.port_mappings(
                PortMapping::builder()
                    .set_container_port(n(&m["containerPort"]))
                    .set_host_port(n(&m["hostPort"]))
                    .set_protocol(s(&m["protocol"]).map(|p| TransportProtocol::from(p.as_str())))
                    .build(),
            );
        }
        for e in c["environment"].as_array().into_iter().flatten() {
            d = d.environment(KeyValuePair::builder().set_name(s(&e["name"])).set_value(s(&e["value"])).build());
        }
        for e in c["secrets"].as_array().into_iter().flatten() {
            d = d.secrets(
                Secret::builder().set_name(s(&e["name"])).set_value_from(s(&e["valueFrom"])).build().map_err(bad)?,
            );
        }
        if c["logConfiguration"].is_object() {
            let l = &c["logConfiguration"];
            let mut b =
                LogConfiguration::builder().set_log_driver(s(&l["logDriver"]).map(|d| LogDriver::from(d.as_str())));
            for (k, val) in l["options"].as_object().into_iter().flatten() {
                b = b.options(k, val.as_str().unwrap_or_default());
            }
            d = d.log_configuration(b.build().map_err(bad)?);
        }
        if c["healthCheck"].is_object() {
            let h = &c["healthCheck"];
            let command: Vec<String> = h["command"].as_array().into_iter().flatten().filter_map(s).collect();
            d = d.health_check(
                HealthCheck::builder()
                    .set_command(Some(command))
                    .set_interval(n(&h["interval"]))
                    .set_timeout(n(&h["timeout"]))
                    .set_retries(n(&h["retries"]))
                    .set_start_period(n(&h["startPeriod"]))
                    .build()
                    .map_err(bad)?,
            );
        }
        req = req.container_definitions(d.build());
    }
    Ok(req)
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let want = wanted(x, &p).await?;
    let current = latest(x, &p.family).await?;
    let why = match &current {
        None => "the family has no revision yet".to_string(),
        Some((arn, have)) => match holds(&want, have, "taskDefinition") {
            Ok(()) => {
                x.note(format!("the latest revision {arn} is the one wanted"));
                x.output("task_definition_arn", arn.clone());
                return Ok(());
            }
            Err(diff) => match image_moved(&want, have) {
                Some(moved) => format!("the latest revision {moved}"),
                None => format!("the latest revision differs: {diff}"),
            },
        },
    };
    // The latest revision in the asset's terms (its fields, in its order): the diff shows what differs.
    let before = current.map(|(_, v)| shaped(&v, &want)).unwrap_or(Value::Null);
    let detail =
        crate::aws::exec::Detail::with_diff(format!("register a new revision of {}: {why}", p.family), &before, &want);
    let call = register(x, &want)?.send();
    let out = x
        .change(
            Op::new("ecs", "RegisterTaskDefinition", family_arn(x, &p.family)).passing(roles_of(&want)),
            detail,
            call,
        )
        .await?;
    let arn = out
        .map(|o| o.task_definition.and_then(|t| t.task_definition_arn))
        .required("task definition ARN")?
        .named(format!("revision of {}", p.family));
    x.remember(&revision_key(&p.family), &arn);
    if let crate::aws::exec::Later::Known(arn) = arn {
        x.output("task_definition_arn", arn);
    }
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    let want = match wanted(x, &p).await {
        Ok(v) => v,
        Err(e) if e.kind == crate::aws::error::ErrorKind::Other => {
            return Ok(ProbeResult::new(&id, Status::Fail, e.message.clone()).with_fix(e.fix().unwrap_or(fix)));
        }
        Err(e) => return Err(e),
    };
    let Some((arn, have)) = latest(x, &p.family).await? else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("task definition family {} has no revision", p.family))
            .with_fix(fix));
    };
    x.output("task_definition_arn", arn.clone());
    if !x.lists.container_secrets.is_empty() && have["executionRoleArn"].as_str().is_none_or(str::is_empty) {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("{arn} references secrets but has no execution role: ECS cannot read them, and tasks stop with ResourceInitializationError"),
        )
        .with_fix(fix));
    }
    if let Some(moved) = image_moved(&want, &have) {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("the latest revision {arn} {moved}")).with_fix(fix));
    }
    Ok(match holds(&want, &have, "taskDefinition") {
        Ok(()) => ProbeResult::new(&id, Status::Pass, format!("the latest revision {arn} is the one wanted")),
        Err(diff) => {
            ProbeResult::new(&id, Status::Fail, format!("the latest revision {arn} is not the one wanted: {diff}"))
                .with_fix(fix)
        }
    })
}

/// What [`latest`] and [`wanted`] read: each image's digest too.
fn read_calls(x: &Exec, p: &Params) -> Vec<Op> {
    let mut out = value_from_calls(x);
    out.push(Op::new("ecs", "DescribeTaskDefinition", family_arn(x, &p.family)));
    if let Ok(v) = x.asset_json(&p.document) {
        for image in v["containerDefinitions"].as_array().into_iter().flatten().filter_map(|c| c["image"].as_str()) {
            out.extend(super::image::pin_calls(x, image, &p.registry_url));
        }
    }
    out
}

/// The calls of [`ensure`]: the reads, then a new revision (handing over its roles).
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = read_calls(x, p);
    let roles = roles_of(&x.asset_json(&p.document)?);
    out.push(Op::new("ecs", "RegisterTaskDefinition", family_arn(x, &p.family)).passing(roles));
    Ok(out)
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(read_calls(x, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_aws_adds_does_not_count_and_a_difference_is_named() {
        let want = json!({"cpu": "512", "containerDefinitions": [{"name": "app", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]});
        let have = json!({"cpu": "512", "revision": 7, "containerDefinitions": [{"name": "app", "cpu": 0, "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]});
        assert_eq!(holds(&want, &have, "td"), Ok(()));
        let changed = json!({"cpu": "512", "containerDefinitions": [{"name": "app", "environment": [{"name": "A", "value": "9"}, {"name": "B", "value": "2"}]}]});
        assert_eq!(
            holds(&want, &changed, "td").unwrap_err(),
            "td.containerDefinitions[\"app\"].environment[\"A\"].value is \"9\", wanted \"1\""
        );
        let have = json!({"cpu": "512", "revision": 7, "containerDefinitions": [{"name": "app", "cpu": 0, "image": "a@1", "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]});
        let want = json!({"containerDefinitions": [{"environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "name": "app", "image": "a@2"}], "cpu": "512"});
        assert_eq!(
            serde_json::to_string(&shaped(&have, &want)).unwrap(),
            r#"{"containerDefinitions":[{"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"name":"app","image":"a@1"}],"cpu":"512"}"#,
            "what AWS adds is left out, the rest in the asset's order"
        );
        let mut v = json!({"containerDefinitions": [{"portMappings": [{"containerPort": "8000"}], "healthCheck": {"retries": "3"}}]});
        numbers(&mut v);
        assert_eq!(v["containerDefinitions"][0]["portMappings"][0]["containerPort"], 8000);
        assert_eq!(v["containerDefinitions"][0]["healthCheck"]["retries"], 3);
    }
}
