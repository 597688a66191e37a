//! Checking resolved input values against the table: the names made from
//! inputs and Fargate's CPU and memory pair, each breach an [`InputError`]
//! naming the input, where its value came from and the fix.

use super::fargate::{TaskSizeError, or_list, task_size, task_sizes};
use super::names::NAMED;
use super::table::{Rule, row};
use crate::engine::inputs::{InputError, Origin, Value, Values};
use crate::engine::template;

/// What a message says of where a value came from: `--set`, `the profile`, `its default`.
pub type OriginOf<'a> = &'a dyn Fn(&str, &Value) -> String;

/// How to give `name` another value, for a fix: where it came from says where.
pub fn how_to_change(name: &str, value: &Value, from: &str, example: &str) -> String {
    match value.origin {
        Origin::Set => format!("pass --set {name}={example}"),
        Origin::Profile => format!("change {name} in {from}, or pass --set {name}={example}"),
        _ => format!("pass --set {name}={example}, or add {name} = \"{example}\" under [inputs] in the profile"),
    }
}

/// The checks that need more than one value, or a name made from inputs: each
/// breach an error on the input to change (removed from `values` by the caller).
/// Inputs that are names themselves are checked with their own value
/// ([`for_input`](super::for_input), from `inputs::validate`).
pub fn check(values: &Values, from: OriginOf) -> Vec<InputError> {
    let mut out = Vec::new();
    let get = |n: &str| values.inputs.get(n);
    for named in NAMED.iter().filter(|n| n.input().is_none()) {
        if let Some((input, wanted)) = named.when
            && get(input).is_none_or(|v| v.raw().trim() != wanted)
        {
            continue;
        }
        let Ok(names) = template::names(named.name) else { continue };
        if names.iter().any(|n| get(n).is_none()) {
            continue;
        }
        let Ok(name) = template::render(named.name, &|n| get(n).map(|v| v.raw().to_string())) else { continue };
        let row = row(named.row);
        let Err(why) = row.check_name(&name) else { continue };
        // The input to change: the (first) one the name is made from.
        let input = names[0].clone();
        let value = get(&input).expect("checked above");
        let shown = value.shown();
        let room = match &row.rule {
            Rule::Name(n) if names.len() == 1 => {
                let fixed = name.chars().count() - shown.chars().count();
                n.max.checked_sub(fixed).map(|m| format!(" of at most {m} characters"))
            }
            _ => None,
        }
        .unwrap_or_default();
        let from_text = from(&input, value);
        out.push(InputError {
            input: input.clone(),
            message: format!("{} \"{name}\" (made from {input} \"{shown}\") {why}", named.made),
            from: Some(from_text.clone()),
            fix: format!(
                "choose a {input}{room} that makes a valid name: {}{}",
                how_to_change(&input, value, &from_text, "VALUE"),
                named.instead.map(|i| format!("; {i}")).unwrap_or_default()
            ),
        });
    }
    if let (Some(cpu), Some(memory)) = (get("task_cpu"), get("task_memory")) {
        let platform = get("platform_version");
        if let Err(e) = task_size(cpu.raw(), memory.raw(), platform.map(Value::raw)) {
            out.push(task_size_error(e, cpu, memory, platform, from));
        }
    }
    out
}

fn task_size_error(
    e: TaskSizeError,
    cpu: &Value,
    memory: &Value,
    platform: Option<&Value>,
    from: OriginOf,
) -> InputError {
    let (c, m) = (cpu.raw().trim(), memory.raw().trim());
    let source = row("fargate.task_size").source;
    let cpu_from = from("task_cpu", cpu);
    let memory_from = from("task_memory", memory);
    let origins = format!("task_cpu {c} from {cpu_from}, task_memory {m} from {memory_from}");
    match e {
        TaskSizeError::Cpu => InputError {
            input: "task_cpu".into(),
            message: format!(
                "Fargate has no task_cpu {c}; it takes {} ({source})",
                or_list(&task_sizes().iter().map(|s| s.cpu).collect::<Vec<_>>())
            ),
            from: Some(cpu_from.clone()),
            fix: how_to_change("task_cpu", cpu, &cpu_from, "512"),
        },
        TaskSizeError::Memory { takes, other_cpus } => {
            let first = task_sizes().iter().find(|s| s.cpu.to_string() == c).map(|s| s.memory.values()[0]);
            let example = first.map(|v| v.to_string()).unwrap_or_else(|| "MIB".into());
            let other = match other_cpus.as_slice() {
                [] => format!("no task_cpu takes task_memory {m}"),
                cpus => format!("or a task_cpu that takes task_memory {m}: {}", or_list(cpus)),
            };
            InputError {
                input: "task_memory".into(),
                message: format!("task_cpu {c} takes task_memory {takes}, not {m} ({origins}; {source})"),
                from: None,
                fix: format!(
                    "a task_memory that task_cpu {c} takes: {}; {other}{}",
                    how_to_change("task_memory", memory, &memory_from, &example),
                    if other_cpus.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", how_to_change("task_cpu", cpu, &cpu_from, &other_cpus[0].to_string()))
                    }
                ),
            }
        }
        TaskSizeError::Platform(least) => {
            let p = platform.expect("a platform was given");
            let p_from = from("platform_version", p);
            InputError {
                input: "platform_version".into(),
                message: format!(
                    "task_cpu {c} runs on Linux platform version {least} or later, not {} ({origins}, platform_version from {p_from}; {source})",
                    p.raw()
                ),
                from: None,
                fix: how_to_change("platform_version", p, &p_from, "LATEST"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn values(pairs: &[(&str, &str, Origin)]) -> Values {
        Values {
            inputs: pairs.iter().map(|(k, v, o)| (k.to_string(), Value::plain(*v, *o))).collect(),
            context: BTreeMap::new(),
        }
    }

    fn label(_: &str, v: &Value) -> String {
        v.origin.label().to_string()
    }

    #[test]
    fn a_pair_that_fargate_refuses_names_both_inputs_their_origins_and_what_is_allowed() {
        let v = values(&[("task_cpu", "256", Origin::Set), ("task_memory", "8192", Origin::Profile)]);
        let errors = check(&v, &label);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(e.input, "task_memory");
        let text = e.to_string();
        assert!(text.contains("task_cpu 256 takes task_memory 512, 1024 or 2048, not 8192"), "{text}");
        assert!(text.contains("task_cpu 256 from --set, task_memory 8192 from profile"), "{text}");
        assert!(text.contains("--set task_memory=512") && text.contains("1024, 2048 or 4096"), "{text}");
        assert!(text.contains("Task size"), "the source is named: {text}");
        let fine = values(&[("task_cpu", "512", Origin::Default), ("task_memory", "1024", Origin::Default)]);
        assert!(check(&fine, &label).is_empty());
    }

    #[test]
    fn names_made_from_inputs_are_checked_when_they_are_made() {
        let long = "a".repeat(30);
        let v = values(&[("project", &long, Origin::Set), ("load_balancer", "create", Origin::Default)]);
        let errors = check(&v, &label);
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(errors.iter().all(|e| e.input == "project"), "{said:?}");
        assert!(
            said.iter().any(|e| e.contains(&format!("the target group ecs-service makes \"{long}-tg\""))
                && e.contains("33 characters long, at most 32")
                && e.contains("a project of at most 29 characters")
                && e.contains("CreateTargetGroup")),
            "{said:?}"
        );
        assert!(said.iter().any(|e| e.contains(&format!("\"{long}-alb\"")) && e.contains("at most 28")), "{said:?}");
        let none = values(&[("project", &long, Origin::Set), ("load_balancer", "none", Origin::Set)]);
        assert!(check(&none, &label).is_empty(), "no load balancer is made");
        let internal =
            values(&[("project", "internal-app", Origin::Set), ("load_balancer", "create", Origin::Default)]);
        assert!(check(&internal, &label)[0].to_string().contains("starts with internal-"));
    }
}
