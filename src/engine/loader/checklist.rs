//! One checklist file: its steps, their actions and probes (checked against
//! the kind registry), the assets they name, and the inputs their templates
//! use (which must be declared in the input catalog). The checklist's inputs
//! are derived from those templates, closed over the defaults they use.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::errors::{Errors, LoadError};
use super::inputs::Declared;
use crate::engine::library::{INPUTS_FILE, Library};
use crate::engine::model::*;
use crate::engine::profile::lists::LISTS;
use crate::engine::suggest::did_you_mean;
use crate::engine::{order, template, usage};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    id: Spanned<String>,
    title: String,
    summary: String,
    /// Where the checklist comes from, for maintainers: never shown (a comment
    /// in the file says it better); still read, so that files that have it load.
    #[serde(default, rename = "source")]
    _source: Option<toml::Value>,
    /// Where the checklist comes in the deploy (lists and the wizard sort by it).
    #[serde(default = "last")]
    order: u32,
    /// Not allowed: inputs are declared in the catalog. Read only to say so.
    inputs: Option<Spanned<toml::Value>>,
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    title: String,
    explain: String,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    for_each: Option<Spanned<String>>,
    action: Option<Spanned<toml::Table>>,
    #[serde(default)]
    probes: Vec<Spanned<toml::Table>>,
}

/// Every checklist's id and step ids, read before any is loaded: what a
/// `needs = ["CHECKLIST/STEP"]` may name.
pub(super) type Outline = std::collections::BTreeMap<String, Vec<String>>;

#[derive(Deserialize)]
struct RawOutline {
    id: String,
    #[serde(default)]
    steps: Vec<RawOutlineStep>,
}

#[derive(Deserialize)]
struct RawOutlineStep {
    id: String,
}

/// A checklist file's id and step ids, when it parses that far.
pub(super) fn outline(text: &str) -> Option<(String, Vec<String>)> {
    let raw: RawOutline = toml::from_str(text).ok()?;
    Some((raw.id, raw.steps.into_iter().map(|s| s.id).collect()))
}

pub(super) fn load_one(
    file: &str,
    text: &str,
    library: &Library,
    catalog: &dyn Catalog,
    declared: &Declared,
    outline: &Outline,
) -> Result<Checklist, Vec<LoadError>> {
    let mut errs = Errors::new(file, text);
    let raw: RawChecklist = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            errs.at(offset, e.message().trim_end().to_string());
            return Err(errs.list);
        }
    };

    let stem = file.rsplit('/').next().unwrap_or(file).trim_end_matches(".toml");
    if raw.id.get_ref() != stem {
        errs.at(
            raw.id.span().start,
            format!(
                "checklist id \"{}\" must match its file name; rename the id to \"{stem}\" or the file to {}.toml",
                raw.id.get_ref(),
                raw.id.get_ref()
            ),
        );
    }

    if let Some(inputs) = &raw.inputs {
        errs.at(
            inputs.span().start,
            format!("a checklist does not declare inputs: every input is declared once, in {INPUTS_FILE}; move this declaration there (a checklist uses an input by writing {{{{name}}}})"),
        );
    }
    let known: BTreeSet<&str> = declared.names().chain(CONTEXT_NAMES).collect();
    let used: RefCell<BTreeSet<String>> = RefCell::new(BTreeSet::new());
    // Each undeclared name is reported once per file, where it first appears.
    let reported: RefCell<BTreeSet<(String, String)>> = RefCell::new(BTreeSet::new());
    let declare = match library.inputs_file() {
        Some(_) => format!("declare it in {INPUTS_FILE}"),
        None => format!("create {INPUTS_FILE} and declare it there"),
    };
    let check_names = |names: Result<Vec<String>, String>,
                       span: Range<usize>,
                       what: &str,
                       each: bool,
                       errs: &mut Errors| {
        match names {
            Err(e) => errs.at(span.start, format!("{what}: {e}")),
            Ok(names) => {
                for name in names {
                    if let Some(field) = name.strip_prefix("each.") {
                        if !each {
                            errs.near(span.clone(), &format!("{{{{{name}"), format!("{what} uses `{{{{{name}}}}}`, but only a repeated step (for_each = \"...\") has an entry"));
                        } else if !EACH_FIELDS.contains(&field) {
                            errs.near(
                                span.clone(),
                                &format!("{{{{{name}"),
                                format!(
                                    "{what} uses `{{{{{name}}}}}`; an entry's fields are {}",
                                    EACH_FIELDS.map(|f| format!("each.{f}")).join(", ")
                                ),
                            );
                        }
                        continue;
                    }
                    if known.contains(name.as_str()) {
                        used.borrow_mut().insert(name);
                    } else if reported.borrow_mut().insert((errs.file.to_string(), name.clone())) {
                        errs.near(span.clone(), &format!("{{{{{name}"), format!(
                            "{what} uses `{{{{{name}}}}}`, which is not a declared input{}; {declare} (inputs are declared once, for all checklists)",
                            did_you_mean(&name, known.iter().copied())
                        ));
                    }
                }
            }
        }
    };

    let mut steps = Vec::new();
    let mut seen = BTreeSet::new();
    for raw_step in &raw.steps {
        let span = raw_step.span();
        let s = raw_step.get_ref();
        let id = s.id.get_ref().clone();
        if !seen.insert(id.clone()) {
            errs.at(
                s.id.span().start,
                format!("step id \"{id}\" is used twice; step ids must be unique within a checklist"),
            );
        }
        if !valid_id(&id) {
            errs.at(s.id.span().start, format!("step id \"{id}\" must be lowercase letters, digits and dashes"));
        }
        let repeated = s.for_each.is_some();
        if let Some(list) = &s.for_each
            && !LISTS.contains(&list.get_ref().as_str())
        {
            errs.at(
                list.span().start,
                format!(
                    "for_each = \"{}\" is not a list of the profile{}; steps repeat over {}",
                    list.get_ref(),
                    did_you_mean(list.get_ref(), LISTS),
                    LISTS.join(", ")
                ),
            );
        }
        let check_call = |role: Role, table: &Spanned<toml::Table>, errs: &mut Errors| -> Option<Call> {
            let mut params = table.get_ref().clone();
            let kind = match params.remove("kind") {
                Some(toml::Value::String(k)) => k,
                _ => {
                    errs.at(
                        table.span().start,
                        format!("this {} has no `kind`; add kind = \"...\" naming a registered kind", role_name(role)),
                    );
                    return None;
                }
            };
            if role == Role::Probe {
                params.remove("id");
                params.remove("precondition");
                params.remove("repaired_by");
            }
            let mut used_assets = Vec::new();
            // A repeated step's kinds get their entry (and the action its values) when it is expanded.
            let mut checked = params.clone();
            if repeated {
                checked.insert("entry".into(), toml::Value::Table(toml::Table::new()));
            }
            match catalog.check(role, &kind, &checked) {
                Err(KindError::Unknown { known }) => errs.near(
                    table.span(),
                    &format!("\"{kind}\""),
                    format!("unknown {} kind \"{kind}\"; known kinds: {}", role_name(role), known.join(", ")),
                ),
                Err(KindError::Params(e)) => {
                    // Point at the field the message names (`field`), else at the kind.
                    let field = e.split('`').nth(1).filter(|f| params.contains_key(*f)).map(|f| format!("{f} ="));
                    let needle = field.unwrap_or_else(|| format!("\"{kind}\""));
                    errs.near(table.span(), &needle, format!("{} \"{kind}\": {e}", role_name(role)))
                }
                Ok(assets) => {
                    used_assets = assets.clone();
                    for asset in assets {
                        match library.asset(&asset) {
                            None => errs.near(
                                table.span(),
                                &asset,
                                format!("asset \"{asset}\" does not exist under assets/"),
                            ),
                            Some(text) => {
                                // Names in an asset are pointed at in the asset itself.
                                let path = format!("assets/{asset}");
                                let mut asset_errs = Errors::new(&path, text);
                                check_names(asset_names(text), 0..text.len(), "this asset", false, &mut asset_errs);
                                errs.list.append(&mut asset_errs.list);
                            }
                        }
                    }
                }
            }
            check_names(
                template::toml_names(&toml::Value::Table(params.clone())),
                table.span(),
                &format!("{} of step \"{id}\"", role_name(role)),
                repeated,
                errs,
            );
            Some(Call { kind, params, assets: used_assets })
        };
        let explain_at = text[span.clone()].find("explain").map_or(span.start, |i| span.start + i);
        check_names(
            template::names(&s.explain),
            explain_at..span.end,
            &format!("explain of step \"{id}\""),
            repeated,
            &mut errs,
        );
        let title_at = text[span.clone()].find("title").map_or(span.start, |i| span.start + i);
        check_names(
            template::names(&s.title),
            title_at..span.end,
            &format!("title of step \"{id}\""),
            repeated,
            &mut errs,
        );
        let action = s.action.as_ref().and_then(|a| check_call(Role::Action, a, &mut errs));
        let mut probes = Vec::new();
        let mut probe_ids = BTreeSet::new();
        for p in &s.probes {
            let pid = match p.get_ref().get("id") {
                Some(toml::Value::String(pid)) => pid.clone(),
                _ => {
                    errs.at(p.span().start, format!("a probe of step \"{id}\" has no `id`; add id = \"...\""));
                    continue;
                }
            };
            if !probe_ids.insert(pid.clone()) {
                errs.at(p.span().start, format!("probe id \"{pid}\" is used twice in step \"{id}\""));
            }
            let precondition = match p.get_ref().get("precondition") {
                None => false,
                Some(toml::Value::Boolean(b)) => *b,
                Some(_) => {
                    errs.near(p.span(), "precondition", format!("`precondition` of probe \"{pid}\" is true or false"));
                    false
                }
            };
            let repaired_by = match p.get_ref().get("repaired_by") {
                None => None,
                Some(toml::Value::String(by)) => {
                    if !raw.steps.iter().any(|x| x.get_ref().id.get_ref() == by) || by == &id {
                        errs.near(p.span(), "repaired_by", format!(
                            "`repaired_by` of probe \"{pid}\" names \"{by}\", which is not another step of this checklist"
                        ));
                    }
                    Some(by.clone())
                }
                Some(_) => {
                    errs.near(p.span(), "repaired_by", format!("`repaired_by` of probe \"{pid}\" is a step id"));
                    None
                }
            };
            if let Some(call) = check_call(Role::Probe, p, &mut errs) {
                probes.push(ProbeDef { id: pid, call, precondition, repaired_by });
            }
        }
        if probes.is_empty() && s.probes.is_empty() {
            errs.at(
                span.start,
                format!(
                    "step \"{id}\" has no probe; every step needs at least one [[steps.probes]] that proves it is done"
                ),
            );
        }
        steps.push(Step {
            id,
            title: s.title.clone(),
            explain: s.explain.trim().to_string(),
            needs: s.needs.iter().map(|n| n.get_ref().clone()).collect(),
            action,
            probes,
            for_each: s.for_each.as_ref().map(|l| l.get_ref().clone()),
        });
    }

    for raw_step in &raw.steps {
        let s = raw_step.get_ref();
        for need in &s.needs {
            if let Some((other, step)) = need.get_ref().split_once('/') {
                // A step of another checklist: judged by its probes on the account.
                match outline.get(other) {
                    None => errs.at(
                        need.span().start,
                        format!(
                            "step \"{}\" needs \"{}\", but there is no checklist \"{other}\"{}; checklists: {}",
                            s.id.get_ref(),
                            need.get_ref(),
                            did_you_mean(other, outline.keys().map(String::as_str)),
                            outline.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ),
                    Some(_) if other == raw.id.get_ref() => errs.at(
                        need.span().start,
                        format!("step \"{}\" names its own checklist in `needs`: write \"{step}\"", s.id.get_ref()),
                    ),
                    Some(steps) if !steps.iter().any(|x| x == step) => errs.at(
                        need.span().start,
                        format!(
                            "step \"{}\" needs \"{}\", but checklist {other} has no step \"{step}\"{}; its steps: {}",
                            s.id.get_ref(),
                            need.get_ref(),
                            did_you_mean(step, steps.iter().map(String::as_str)),
                            steps.join(", ")
                        ),
                    ),
                    Some(_) => {}
                }
            } else if need.get_ref() == s.id.get_ref() {
                errs.at(need.span().start, format!("step \"{}\" needs itself; remove it from `needs`", s.id.get_ref()));
            } else if !seen.contains(need.get_ref()) {
                errs.at(
                    need.span().start,
                    format!(
                        "step \"{}\" needs unknown step \"{}\"{}; known steps: {} (a step of another checklist is written CHECKLIST/STEP)",
                        s.id.get_ref(),
                        need.get_ref(),
                        did_you_mean(need.get_ref(), seen.iter().map(String::as_str)),
                        seen.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
    if errs.list.is_empty()
        && let Err(cycle) = order::step_order(&steps)
    {
        let at = raw.steps.iter().find(|s| *s.get_ref().id.get_ref() == cycle[0]).map_or(0, |s| s.span().start);
        errs.at(
            at,
            format!("steps depend on each other in a cycle: {}; remove one of these `needs`", cycle.join(" -> ")),
        );
    }

    if !errs.list.is_empty() {
        return Err(errs.list);
    }
    Ok(Checklist {
        id: raw.id.into_inner(),
        title: raw.title,
        summary: raw.summary.trim().to_string(),
        order: raw.order,
        file: file.to_string(),
        inputs: usage::with_defaults(&declared.defs, used.into_inner()),
        steps,
    })
}

fn last() -> u32 {
    1000
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Action => "action",
        Role::Probe => "probe",
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Template names used by an asset: JSON assets are read string by string.
fn asset_names(text: &str) -> Result<Vec<String>, String> {
    template::names(text)
}
