//! Reads checklist TOML files into the model and checks them. Every error
//! names the file, line and column and says what would fix it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::library::Library;
use super::model::*;
use super::{order, template};

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    id: Spanned<String>,
    title: String,
    summary: String,
    source: String,
    #[serde(default)]
    inputs: Vec<Spanned<RawInput>>,
    steps: Vec<Spanned<RawStep>>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    title: String,
    explain: String,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    action: Option<Spanned<toml::Table>>,
    #[serde(default)]
    probes: Vec<Spanned<toml::Table>>,
}

/// Collects errors for one file, positioned by byte offset.
struct Errors<'a> {
    file: &'a str,
    text: &'a str,
    list: Vec<LoadError>,
}

impl Errors<'_> {
    fn table_region(&self, span: Range<usize>) -> Range<usize> {
        let start = span.start.min(self.text.len());
        let rest = &self.text[start..];
        let body = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let end = rest[body..].find("\n[").map_or(self.text.len(), |i| start + body + i + 1);
        start..end.max(span.end.min(self.text.len()))
    }

    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.list.push(LoadError { file: self.file.to_string(), line, col, message: message.into() });
    }

    /// Points at `needle` inside `within` when it is there, else at the start of `within`.
    /// A `[table]` header's span covers only the header: the region then runs
    /// on to the next header.
    fn near(&mut self, within: Range<usize>, needle: &str, message: impl Into<String>) {
        let within = self.table_region(within);
        let slice = &self.text[within.clone()];
        let offset = slice.find(needle).map_or(within.start, |i| within.start + i);
        self.at(offset, message);
    }
}

/// Loads and checks every checklist of the library.
pub fn load_all(library: &Library, catalog: &dyn Catalog) -> Result<Vec<Checklist>, Vec<LoadError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in library.checklist_files() {
        match load_one(file, text, library, catalog) {
            Ok(c) => out.push(c),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

pub fn load_one(file: &str, text: &str, library: &Library, catalog: &dyn Catalog) -> Result<Checklist, Vec<LoadError>> {
    let mut errs = Errors { file, text, list: Vec::new() };
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

    let inputs = check_inputs(&raw.inputs, &mut errs);
    let known: BTreeSet<String> =
        inputs.iter().map(|i| i.name.clone()).chain(CONTEXT_NAMES.iter().map(|s| s.to_string())).collect();
    let check_names = |names: Result<Vec<String>, String>, span: Range<usize>, what: &str, errs: &mut Errors| {
        match names {
            Err(e) => errs.at(span.start, format!("{what}: {e}")),
            Ok(names) => {
                for name in names.iter().filter(|n| !known.contains(*n)) {
                    errs.near(span.clone(), &format!("{{{{{name}"), format!("{what} uses `{{{{{name}}}}}`, which is not an input of this checklist; declare it under [[inputs]] or use one of: {}", known.iter().cloned().collect::<Vec<_>>().join(", ")));
                }
            }
        }
    };
    for input in &raw.inputs {
        if let Some(default) = &input.get_ref().default {
            check_names(
                template::names(default.get_ref()),
                default.span(),
                &format!("default of input `{}`", input.get_ref().name.get_ref()),
                &mut errs,
            );
        }
    }
    if let Err(cycle) = order::input_default_order(&inputs) {
        let at = raw.inputs.iter().find(|i| *i.get_ref().name.get_ref() == cycle[0]).map_or(0, |i| i.span().start);
        errs.at(at, format!("input defaults refer to each other in a cycle: {}; give one of them a default that does not use the others", cycle.join(" -> ")));
    }

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
            }
            let mut used_assets = Vec::new();
            match catalog.check(role, &kind, &params) {
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
                                check_names(asset_names(text), table.span(), &format!("asset \"{asset}\""), errs)
                            }
                        }
                    }
                }
            }
            check_names(
                template::toml_names(&toml::Value::Table(params.clone())),
                table.span(),
                &format!("{} of step \"{id}\"", role_name(role)),
                errs,
            );
            Some(Call { kind, params, assets: used_assets })
        };
        let explain_at = text[span.clone()].find("explain").map_or(span.start, |i| span.start + i);
        check_names(template::names(&s.explain), explain_at..span.end, &format!("explain of step \"{id}\""), &mut errs);
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
            if let Some(call) = check_call(Role::Probe, p, &mut errs) {
                probes.push(ProbeDef { id: pid, call });
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
        });
    }

    for raw_step in &raw.steps {
        let s = raw_step.get_ref();
        for need in &s.needs {
            if need.get_ref() == s.id.get_ref() {
                errs.at(need.span().start, format!("step \"{}\" needs itself; remove it from `needs`", s.id.get_ref()));
            } else if !seen.contains(need.get_ref()) {
                errs.at(
                    need.span().start,
                    format!(
                        "step \"{}\" needs unknown step \"{}\"; known steps: {}",
                        s.id.get_ref(),
                        need.get_ref(),
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
        source: raw.source,
        file: file.to_string(),
        inputs,
        steps,
    })
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

fn check_inputs(raw: &[Spanned<RawInput>], errs: &mut Errors) -> Vec<InputDef> {
    let mut out = Vec::new();
    let mut names = BTreeMap::new();
    for item in raw {
        let r = item.get_ref();
        let name = r.name.get_ref().clone();
        if names.insert(name.clone(), ()).is_some() {
            errs.at(r.name.span().start, format!("input `{name}` is declared twice"));
        }
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
        if let (InputKind::Choice(choices), Some(d)) = (&kind, &r.default)
            && template::names(d.get_ref()).map(|n| n.is_empty()).unwrap_or(false)
            && !choices.contains(d.get_ref())
        {
            errs.at(
                d.span().start,
                format!(
                    "default \"{}\" of input `{name}` is not one of its choices: {}",
                    d.get_ref(),
                    choices.join(", ")
                ),
            );
        }
        out.push(InputDef {
            name,
            prompt: r.prompt.clone(),
            help: r.help.clone(),
            kind,
            required: r.required,
            default: r.default.as_ref().map(|d| d.get_ref().clone()),
            pattern: r.pattern.as_ref().map(|p| p.get_ref().clone()),
        });
    }
    out
}
