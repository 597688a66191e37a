//! Repeated steps: a step with `for_each = "LIST"` becomes one instance per
//! entry of that profile list, with its own id (`ID:NAME`), state, line in the
//! wizard and in JSON. An instance's `{{each.FIELD}}` are filled in, its kinds
//! get the entry as the parameter `entry`, and its action gets `values`: one
//! template per value the entry's sources provide, naming an input made here
//! (a secret input, or one read from an environment variable or a file), so
//! that every value travels like an input: asked for masked, never written,
//! scrubbed from everything shown. A `needs` naming a repeated step means all
//! of its instances.

use std::collections::BTreeMap;

use super::model::{Call, Checklist, Checklists, InputDef, InputKind, Step, ValueFrom};
use super::profile::lists::{Lists, ParamValue, ParameterEntry, SecretEntry, Source};
use super::template;

/// An input name for a value: letters, digits and `_` only.
fn input_name(prefix: &str, name: &str, key: Option<&str>) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>();
    let name = clean(name.trim_start_matches('/'));
    match key {
        Some(k) => format!("{prefix}_{name}__{}", clean(k)),
        None => format!("{prefix}_{name}"),
    }
}

/// The input a provided value travels as (None for a generated one).
fn value_input(name: String, prompt: String, source: &Source, secret: bool) -> Option<InputDef> {
    let from = match source {
        Source::Prompt => None,
        Source::Env(var) => Some(ValueFrom::Env(var.clone())),
        Source::File(path) => Some(ValueFrom::File(path.clone())),
        Source::Generate(_) => return None,
    };
    Some(InputDef {
        name,
        prompt,
        help: None,
        rule: None,
        kind: if secret { InputKind::Secret } else { InputKind::Text },
        required: true,
        default: None,
        pattern: None,
        from,
    })
}

/// One repeated step's instance: its entry table, its `{{each.*}}` values,
/// and the inputs its values come from.
struct Instance {
    name: String,
    each: BTreeMap<String, String>,
    entry: toml::Table,
    values: Vec<(String, InputDef)>,
}

fn secret(e: &SecretEntry) -> Instance {
    let mut entry = toml::Table::new();
    entry.insert("name".into(), e.name.clone().into());
    entry.insert("json".into(), e.keys.is_some().into());
    entry.insert("keys".into(), e.sources.keys().cloned().map(toml::Value::from).collect::<Vec<_>>().into());
    let generate: toml::Table = e
        .sources
        .iter()
        .filter_map(|(k, s)| match s {
            Source::Generate(g) => Some((k.clone(), toml::Value::from(g.clone()))),
            _ => None,
        })
        .collect();
    entry.insert("generate".into(), generate.into());
    if let Some(k) = &e.kms_key_id {
        entry.insert("kms_key_id".into(), k.clone().into());
    }
    let values = e
        .sources
        .iter()
        .filter_map(|(key, source)| {
            let json = e.keys.is_some();
            let name = input_name("secret", &e.name, json.then_some(key.as_str()));
            let prompt = if json {
                format!("Value of {key} in secret {} (JSON)", e.name)
            } else {
                format!("Value of secret {}", e.name)
            };
            value_input(name, prompt, source, true).map(|d| (key.clone(), d))
        })
        .collect();
    let each =
        [("name", e.name.clone()), ("kms_key_id", e.kms_key_id.clone().unwrap_or_default()), ("type", "secret".into())]
            .map(|(k, v)| (k.to_string(), v))
            .into();
    Instance { name: e.name.clone(), each, entry, values }
}

fn parameter(e: &ParameterEntry) -> Instance {
    let mut entry = toml::Table::new();
    let kind = if e.secure { "SecureString" } else { "String" };
    entry.insert("name".into(), e.name.clone().into());
    entry.insert("type".into(), kind.into());
    if let Some(k) = &e.kms_key_id {
        entry.insert("kms_key_id".into(), k.clone().into());
    }
    let mut values = Vec::new();
    match &e.value {
        ParamValue::Literal(v) => {
            entry.insert("literal".into(), v.clone().into());
        }
        ParamValue::From(Source::Generate(g)) => {
            entry.insert("generate".into(), g.clone().into());
        }
        ParamValue::From(source) => {
            let name = input_name("parameter", &e.name, None);
            let prompt = format!("Value of parameter {}", e.name);
            values.extend(value_input(name, prompt, source, e.secure).map(|d| ("value".to_string(), d)));
        }
    }
    let each =
        [("name", e.name.clone()), ("kms_key_id", e.kms_key_id.clone().unwrap_or_default()), ("type", kind.into())]
            .map(|(k, v)| (k.to_string(), v))
            .into();
    Instance { name: e.name.clone(), each, entry, values }
}

fn instances(list: &str, lists: &Lists) -> Vec<Instance> {
    match list {
        "secrets" => lists.secrets.iter().map(secret).collect(),
        "parameters" => lists.parameters.iter().map(parameter).collect(),
        _ => Vec::new(),
    }
}

/// Fills `{{each.FIELD}}`, leaving every other template name as written.
fn fill(text: &str, each: &BTreeMap<String, String>) -> String {
    template::render(text, &|n| match n.strip_prefix("each.") {
        Some(field) => each.get(field).cloned(),
        None => Some(format!("{{{{{n}}}}}")),
    })
    .unwrap_or_else(|_| text.to_string())
}

fn fill_toml(value: &toml::Value, each: &BTreeMap<String, String>) -> toml::Value {
    match value {
        toml::Value::String(s) => toml::Value::String(fill(s, each)),
        toml::Value::Array(a) => toml::Value::Array(a.iter().map(|v| fill_toml(v, each)).collect()),
        toml::Value::Table(t) => toml::Value::Table(t.iter().map(|(k, v)| (k.clone(), fill_toml(v, each))).collect()),
        other => other.clone(),
    }
}

fn call(c: &Call, inst: &Instance, action: bool) -> Call {
    let toml::Value::Table(mut params) = fill_toml(&toml::Value::Table(c.params.clone()), &inst.each) else {
        unreachable!("a table stays a table")
    };
    params.insert("entry".into(), inst.entry.clone().into());
    if action {
        let values: toml::Table = inst
            .values
            .iter()
            .map(|(key, d)| (key.clone(), toml::Value::from(format!("{{{{{}}}}}", d.name))))
            .collect();
        params.insert("values".into(), values.into());
    }
    Call { kind: c.kind.clone(), params, assets: c.assets.clone() }
}

/// The checklists with their repeated steps expanded for these lists, and
/// the inputs the entries' values come from added to the catalog (and to the
/// checklists that use them). Err when two entries would share an input name.
pub fn expand(lists: &Checklists, entries: &Lists) -> Result<Checklists, String> {
    let mut out = Checklists { inputs: lists.inputs.clone(), all: Vec::new() };
    // Every repeated step's instances, by checklist and step: what `CHECKLIST/STEP` names.
    let mut made_all: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &lists.all {
        let mut steps: Vec<Step> = Vec::new();
        let mut made: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut inputs = c.inputs.clone();
        for step in &c.steps {
            let Some(list) = &step.for_each else {
                steps.push(step.clone());
                continue;
            };
            for inst in instances(list, entries) {
                let id = format!("{}:{}", step.id, inst.name);
                for (_, def) in &inst.values {
                    if let Some(other) = out.inputs.iter().find(|d| d.name == def.name && d.prompt != def.prompt) {
                        return Err(format!(
                            "{} and {} of the profile's lists would both travel as the input {}; rename one of them",
                            def.prompt, other.prompt, def.name
                        ));
                    }
                    if !out.inputs.iter().any(|d| d.name == def.name) {
                        out.inputs.push(def.clone());
                    }
                    if !inputs.iter().any(|d| d.name == def.name) {
                        inputs.push(def.clone());
                    }
                }
                made.entry(step.id.clone()).or_default().push(id.clone());
                steps.push(Step {
                    id,
                    title: fill(&step.title, &inst.each),
                    explain: fill(&step.explain, &inst.each),
                    needs: step.needs.clone(),
                    action: step.action.as_ref().map(|a| call(a, &inst, true)),
                    probes: step
                        .probes
                        .iter()
                        .map(|p| super::model::ProbeDef {
                            id: p.id.clone(),
                            call: call(&p.call, &inst, false),
                            precondition: p.precondition,
                            repaired_by: p.repaired_by.clone(),
                        })
                        .collect(),
                    for_each: None,
                });
            }
            made.entry(step.id.clone()).or_default();
        }
        for step in &mut steps {
            step.needs =
                step.needs.iter().flat_map(|n| made.get(n).cloned().unwrap_or_else(|| vec![n.clone()])).collect();
        }
        for (template, ids) in made {
            made_all.insert(format!("{}/{template}", c.id), ids.iter().map(|i| format!("{}/{i}", c.id)).collect());
        }
        out.all.push(Checklist { steps, inputs, ..c.clone() });
    }
    // A need of another checklist's repeated step means all of its instances.
    for step in out.all.iter_mut().flat_map(|c| c.steps.iter_mut()) {
        step.needs =
            step.needs.iter().flat_map(|n| made_all.get(n).cloned().unwrap_or_else(|| vec![n.clone()])).collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::profile::Profile;

    #[test]
    fn input_names_are_template_safe_and_tell_where_they_come_from() {
        assert_eq!(input_name("secret", "acme-prod-app", Some("DB_URL")), "secret_acme_prod_app__DB_URL");
        assert_eq!(input_name("parameter", "/acme-prod/brands", None), "parameter_acme_prod_brands");
    }

    fn step(id: &str, title: &str, for_each: Option<&str>, needs: &[&str]) -> Step {
        let mut params = toml::Table::new();
        params.insert("check".into(), "{{each.name}} of {{project}}".into());
        let call = Call { kind: "k".into(), params, assets: vec![] };
        Step {
            id: id.into(),
            title: title.into(),
            explain: String::new(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            action: Some(call.clone()),
            probes: vec![super::super::model::ProbeDef {
                id: "v".into(),
                call,
                precondition: false,
                repaired_by: None,
            }],
            for_each: for_each.map(str::to_string),
        }
    }

    #[test]
    fn a_repeated_step_becomes_one_instance_per_entry() {
        let profile = Profile::parse(
            std::path::Path::new("p.toml"),
            "[[secrets]]\nname = \"a-key\"\nsource = \"env:A_KEY\"\n\n[[secrets]]\nname = \"app\"\nkeys = [\"DB_URL\", \"SESSION\"]\nsource = { DB_URL = \"prompt\", SESSION = \"generate:hex32\" }\n",
        )
        .unwrap();
        let checklist = Checklist {
            id: "s".into(),
            title: "S".into(),
            summary: String::new(),
            order: 0,
            file: "checklists/s.toml".into(),
            inputs: vec![],
            steps: vec![
                step("secret", "Secret {{each.name}}", Some("secrets"), &[]),
                step("after", "After", None, &["secret"]),
            ],
        };
        let lists = Checklists { inputs: vec![], all: vec![checklist] };
        let out = expand(&lists, &profile.lists).unwrap();
        let c = &out.all[0];
        let ids: Vec<&str> = c.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["secret:a-key", "secret:app", "after"]);
        assert_eq!(c.steps[1].title, "Secret app");
        assert_eq!(c.steps[2].needs, vec!["secret:a-key", "secret:app"], "needs names every instance");
        let action = c.steps[1].action.as_ref().unwrap();
        assert_eq!(action.params["check"].as_str(), Some("app of {{project}}"));
        assert_eq!(action.params["entry"]["generate"]["SESSION"].as_str(), Some("hex32"));
        assert_eq!(action.params["values"]["DB_URL"].as_str(), Some("{{secret_app__DB_URL}}"));
        assert!(c.steps[1].probes[0].call.params.get("values").is_none(), "probes never get values");
        let names: Vec<&str> = out.inputs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["secret_a_key", "secret_app__DB_URL"]);
        assert_eq!(out.inputs[0].from, Some(ValueFrom::Env("A_KEY".into())));
        assert_eq!(out.inputs[0].kind, InputKind::Secret);
        // No entries: the repeated step vanishes, and so does the need.
        let none = expand(&lists, &Lists::default()).unwrap();
        assert_eq!(none.all[0].steps.len(), 1);
        assert!(none.all[0].steps[0].needs.is_empty());
    }
}
