//! The input catalog, `checklists/inputs.toml`: every input of every checklist,
//! declared once. Checked here: each declaration on its own, names declared
//! twice, defaults that use undeclared names, defaults that form a cycle.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use super::errors::Errors;
use crate::engine::model::{CONTEXT_NAMES, InputDef, InputKind};
use crate::engine::suggest::did_you_mean;
use crate::engine::{order, template};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInputs {
    #[serde(default)]
    inputs: Vec<Spanned<RawInput>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
enum RawKind {
    Text,
    Number,
    Choice,
    Secret,
    List,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    name: Spanned<String>,
    prompt: String,
    help: Option<String>,
    rule: Option<Spanned<String>>,
    kind: RawKind,
    #[serde(default)]
    required: bool,
    default: Option<Spanned<String>>,
    pattern: Option<Spanned<String>>,
    #[serde(default)]
    choices: Vec<String>,
    min: Option<i64>,
    max: Option<i64>,
}

/// The declared inputs, in file order, and where each name is declared.
pub(super) struct Declared {
    pub defs: Vec<InputDef>,
    pub at: BTreeMap<String, usize>,
}

impl Declared {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defs.iter().map(|d| d.name.as_str())
    }
}

/// Reads and checks the catalog; errors go to `errs` (the catalog's file).
pub(super) fn load(errs: &mut Errors) -> Declared {
    let raw: RawInputs = match toml::from_str(errs.text) {
        Ok(raw) => raw,
        Err(e) => {
            errs.at(e.span().map_or(0, |s| s.start), e.message().trim_end().to_string());
            return Declared { defs: Vec::new(), at: BTreeMap::new() };
        }
    };
    let mut defs = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for item in &raw.inputs {
        let r = item.get_ref();
        let name = r.name.get_ref().clone();
        if let Some(first) = at.get(&name) {
            let line = errs.line_of(*first);
            errs.at(
                r.name.span().start,
                format!("input `{name}` is declared twice (first at line {line}); keep one declaration"),
            );
            continue;
        }
        at.insert(name.clone(), r.name.span().start);
        defs.push(check_one(item, errs));
    }

    let known: BTreeSet<&str> = defs.iter().map(|d| d.name.as_str()).chain(CONTEXT_NAMES).collect();
    for item in &raw.inputs {
        let r = item.get_ref();
        let Some(default) = &r.default else { continue };
        match template::names(default.get_ref()) {
            Err(e) => errs.at(default.span().start, format!("default of input `{}`: {e}", r.name.get_ref())),
            Ok(names) => {
                for name in names.iter().filter(|n| !known.contains(n.as_str())) {
                    errs.at(
                        default.span().start,
                        format!(
                            "default of input `{}` uses `{{{{{name}}}}}`, which is not a declared input{}; declare it in this file, or use {{{{account_id}}}} or {{{{region}}}} of the AWS context",
                            r.name.get_ref(),
                            did_you_mean(name, known.iter().copied())
                        ),
                    );
                }
            }
        }
    }
    if let Err(cycle) = order::input_default_order(&defs) {
        let offset = at.get(&cycle[0]).copied().unwrap_or(0);
        errs.at(
            offset,
            format!(
                "input defaults refer to each other in a cycle: {}; give one of them a default that does not use the others",
                cycle.join(" -> ")
            ),
        );
    }
    Declared { defs, at }
}

fn check_one(item: &Spanned<RawInput>, errs: &mut Errors) -> InputDef {
    let r = item.get_ref();
    let name = r.name.get_ref().clone();
    // Letters of either case: some inputs keep the names of the AWS fields they fill (companyName).
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || !name.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        errs.at(
            r.name.span().start,
            format!("input name `{name}` must be letters, digits and `_`, starting with a letter (it is used as {{{{{name}}}}})"),
        );
    }
    if CONTEXT_NAMES.contains(&name.as_str()) && name != "region" {
        errs.at(r.name.span().start, format!("input name `{name}` is reserved for the AWS context"));
    }
    let kind = match r.kind {
        RawKind::Text => InputKind::Text,
        RawKind::Number => InputKind::Number { min: r.min, max: r.max },
        RawKind::Choice => {
            if r.choices.is_empty() {
                errs.at(item.span().start, format!("input `{name}` is a choice but lists no `choices`"));
            }
            InputKind::Choice(r.choices.clone())
        }
        RawKind::Secret => {
            if r.default.is_some() {
                errs.at(
                    item.span().start,
                    format!("secret input `{name}` cannot have a default; secrets are asked for, never written"),
                );
            }
            InputKind::Secret
        }
        RawKind::List => InputKind::List,
    };
    if let Some(p) = &r.pattern
        && let Err(e) = regex_lite::Regex::new(p.get_ref())
    {
        errs.at(p.span().start, format!("pattern of input `{name}` is not a valid regular expression: {e}"));
    }
    match (&r.pattern, &r.rule) {
        (Some(p), None) => errs.at(
            p.span().start,
            format!("input `{name}` has a pattern but no `rule`; add rule = \"must be …\" saying what a valid value is (it is the message when a value does not match)"),
        ),
        (_, Some(rule)) if !rule.get_ref().starts_with("must ") => errs.at(
            rule.span().start,
            format!("the rule of input `{name}` must say what a valid value must be, starting with \"must \" (e.g. \"must be an AWS region name, e.g. us-east-1\")"),
        ),
        _ => {}
    }
    if let (InputKind::Choice(choices), Some(d)) = (&kind, &r.default)
        && template::names(d.get_ref()).map(|n| n.is_empty()).unwrap_or(false)
        && !choices.contains(d.get_ref())
    {
        errs.at(
            d.span().start,
            format!("default \"{}\" of input `{name}` is not one of its choices: {}", d.get_ref(), choices.join(", ")),
        );
    }
    InputDef {
        name,
        prompt: r.prompt.clone(),
        help: r.help.clone(),
        rule: r.rule.as_ref().map(|r| r.get_ref().clone()),
        kind,
        required: r.required,
        default: r.default.as_ref().map(|d| d.get_ref().clone()),
        pattern: r.pattern.as_ref().map(|p| p.get_ref().clone()),
        from: None,
    }
}
