//! Input values: where each comes from (`--set`, the profile, a prompt, the
//! default), validation against the checklist's rules, and masking of secrets.

use std::collections::BTreeMap;
use std::fmt;

use super::model::{CONTEXT_NAMES, InputDef, InputKind, ValueFrom};
use super::order;
use super::template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Set,
    Profile,
    Prompt,
    Default,
    /// An environment variable (PREFLIGHT_SECRET_<NAME>, or an `env:` source).
    Environment,
    /// A file (a `file:` source).
    File,
    /// A default that is the AWS context itself (`{{region}}`, `{{account_id}}`).
    Context,
}

impl Origin {
    /// How `list --inputs` and its JSON name the origin.
    pub fn label(self) -> &'static str {
        match self {
            Origin::Set => "--set",
            Origin::Profile => "profile",
            Origin::Prompt => "prompt",
            Origin::Default => "default",
            Origin::Environment => "environment",
            Origin::File => "file",
            Origin::Context => "context",
        }
    }
}

/// A value that must never be printed, logged or persisted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    Plain(String),
    Secret(Secret),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub text: Text,
    pub origin: Origin,
}

impl Value {
    pub fn plain(text: impl Into<String>, origin: Origin) -> Self {
        Self { text: Text::Plain(text.into()), origin }
    }
    /// The value itself (a secret's too): for the code that hands it on, never to show.
    pub fn raw(&self) -> &str {
        match &self.text {
            Text::Plain(s) => s,
            Text::Secret(s) => s.expose(),
        }
    }
    /// What may be shown to the operator.
    pub fn shown(&self) -> String {
        match &self.text {
            Text::Plain(s) => s.clone(),
            Text::Secret(_) => "********".into(),
        }
    }
}

/// The resolved values plus the names of the live AWS context.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub inputs: BTreeMap<String, Value>,
    pub context: BTreeMap<String, String>,
}

impl Values {
    /// What `{{name}}` renders to: an input first, then the context.
    pub fn lookup(&self, name: &str) -> Option<String> {
        self.inputs.get(name).map(|v| v.raw().to_string()).or_else(|| self.context.get(name).cloned())
    }

    pub fn render(&self, text: &str) -> Result<String, String> {
        template::render(text, &|n| self.lookup(n))
            .map_err(|name| format!("`{{{{{name}}}}}` has no value; set the input `{name}`"))
    }

    /// Replaces every secret value in `text` with a mask. Everything a step
    /// produces (messages, fixes, errors, change details, outputs, log lines)
    /// passes through here before it is shown, logged or written.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets().into_iter().filter(|s| !s.is_empty()) {
            out = out.replace(secret, "********");
        }
        out
    }

    /// Every secret value, so that outputs can be checked not to contain them.
    pub fn secrets(&self) -> Vec<&str> {
        self.inputs
            .values()
            .filter_map(|v| match &v.text {
                Text::Secret(s) => Some(s.expose()),
                Text::Plain(_) => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub input: String,
    /// What is wrong: the value and what it must be.
    pub message: String,
    /// Where the value came from (`--set`, `the profile`, `--region`…), when it came from somewhere.
    pub from: Option<String>,
    pub fix: String,
}

impl InputError {
    /// The fix where the value really is: at the profile's file and line when it
    /// came from there, else the profile named by its path.
    pub fn placed(mut self, profile: &std::path::Path, line: Option<usize>) -> Self {
        // Only the generic fix (`fix_for`) is placed: others (engine::limits) say more, and where.
        if !self.fix.ends_with("under [inputs] in the profile") {
            return self;
        }
        let path = profile.display();
        let from_profile = self.from.as_deref().is_some_and(|f| f.starts_with("the profile"));
        match line.filter(|_| from_profile) {
            Some(line) => {
                self.fix = format!("correct {0} at {path}:{line}, or pass --set {0}=VALUE", self.input);
            }
            None => self.fix = format!("{} {path}", self.fix),
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = self.from.as_deref().map(|w| format!(" (from {w})")).unwrap_or_default();
        write!(f, "input `{}`: {}{from}\n  fix: {}", self.input, self.message, self.fix)
    }
}

/// Checks one value against the input's rules; Err says what is wrong.
pub fn validate(def: &InputDef, value: &str) -> Result<(), String> {
    let pattern =
        def.pattern.as_deref().map(|p| regex_lite::Regex::new(&format!("^(?:{p})$")).expect("checked by the loader"));
    let matches = |v: &str| pattern.as_ref().is_none_or(|re| re.is_match(v));
    let rule = || def.rule.clone().unwrap_or_else(|| format!("must match {}", def.pattern.as_deref().unwrap_or("")));
    match &def.kind {
        InputKind::Number { min, max } => {
            let range = match (min, max) {
                (Some(a), Some(b)) => format!(" from {a} to {b}"),
                (Some(a), None) => format!(" of at least {a}"),
                (None, Some(b)) => format!(" of at most {b}"),
                (None, None) => String::new(),
            };
            let n: i64 = value.trim().parse().map_err(|_| format!("\"{value}\" must be a whole number{range}"))?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Err(format!("{n} must be a whole number{range}"));
            }
        }
        InputKind::Choice(choices) if !choices.iter().any(|c| c == value) => {
            return Err(format!("\"{value}\" must be one of: {}", choices.join(", ")));
        }
        InputKind::List if value.trim().is_empty() => {
            // An optional list may be empty on purpose (its default means "none given").
            return if def.required { Err("the list is empty".into()) } else { Ok(()) };
        }
        InputKind::List => {
            for item in value.split(',').map(str::trim) {
                if item.is_empty() {
                    return Err("a list item is empty (separate items with commas)".into());
                }
                if !matches(item) {
                    return Err(format!("item \"{item}\" {}", rule()));
                }
            }
            return Ok(());
        }
        InputKind::Secret if value.is_empty() => return Err("a secret cannot be empty".into()),
        InputKind::Secret if !matches(value) => return Err(format!("the value {}", rule())),
        _ => {}
    }
    if value.is_empty() {
        // An optional input may be left empty on purpose (not a resource's name).
        return if def.required || super::limits::for_input(&def.name).is_some() {
            Err("the value is empty".into())
        } else {
            Ok(())
        };
    }
    if !matches(value) {
        return Err(format!("\"{value}\" {}", rule()));
    }
    // An input that is a resource's name: what AWS accepts of it (engine::limits).
    if let Some(row) = super::limits::for_input(&def.name) {
        row.check_name(value).map_err(|why| format!("\"{value}\" {why}"))?;
    }
    Ok(())
}

fn fix_for(def: &InputDef) -> String {
    match def.kind {
        InputKind::Secret => {
            format!("run in a terminal to be asked for it, or export PREFLIGHT_SECRET_{}", def.name.to_uppercase())
        }
        _ => format!("pass --set {}=VALUE, or add {} = \"...\" under [inputs] in the profile", def.name, def.name),
    }
}

#[derive(Debug, Default)]
pub struct Resolution {
    pub values: Values,
    /// Required inputs with no value anywhere: asked for in a terminal, an error otherwise.
    pub missing: Vec<InputDef>,
    pub invalid: Vec<InputError>,
}

/// Where a value came from, as an error names it: `--set`, `the profile`,
/// `its default`… (None: a prompt, which needs no saying).
pub fn origin_text(origin: Origin) -> Option<&'static str> {
    match origin {
        Origin::Set => Some("--set"),
        Origin::Profile => Some("the profile"),
        Origin::Default => Some("its default"),
        Origin::Context => Some("the AWS context"),
        Origin::Environment => Some("the environment"),
        Origin::File => Some("a file"),
        Origin::Prompt => None,
    }
}

/// [`origin_text`] for the checks that name several inputs (a prompt included).
pub fn plain_origin(_: &str, v: &Value) -> String {
    origin_text(v.origin).unwrap_or("a prompt").to_string()
}

/// Resolves `defs` (deduplicated by name) from the provided values (`--set`
/// over the profile), then the defaults, in the order the defaults need; then
/// checks what AWS accepts of them together (engine::limits: Fargate's CPU and
/// memory, names made from inputs).
pub fn resolve(
    defs: &[InputDef],
    provided: &BTreeMap<String, Value>,
    context: &BTreeMap<String, String>,
) -> Resolution {
    resolve_in(defs, provided, context, &plain_origin)
}

/// [`resolve`], with `origin_of` saying where a value came from in the errors
/// of the checks across inputs (the CLI names the profile's file and line).
pub fn resolve_in(
    defs: &[InputDef],
    provided: &BTreeMap<String, Value>,
    context: &BTreeMap<String, String>,
    origin_of: super::limits::OriginOf,
) -> Resolution {
    let mut res =
        Resolution { values: Values { inputs: BTreeMap::new(), context: context.clone() }, ..Default::default() };
    let Ok(order) = order::input_default_order(defs) else {
        unreachable!("input default cycles are rejected by the loader")
    };
    for i in order {
        let def = &defs[i];
        let value = match provided.get(&def.name) {
            Some(v) => Some(v.clone()),
            None => match &def.default {
                // The default sees the inputs resolved so far over the context; an
                // input named like a context value (`region`) sees the context's.
                Some(d) => match template::render(d, &|n| {
                    if n == def.name { context.get(n).cloned() } else { res.values.lookup(n) }
                }) {
                    Ok(text) => Some(Value::plain(text, default_origin(d))),
                    Err(_) => None,
                },
                None => None,
            },
        };
        match value {
            None if def.required => res.missing.push(def.clone()),
            None => {}
            Some(mut v) => {
                if def.kind == InputKind::Secret
                    && let Text::Plain(s) = &v.text
                {
                    v.text = Text::Secret(Secret::new(s.clone()));
                }
                match validate(def, v.raw()) {
                    Ok(()) => {
                        res.values.inputs.insert(def.name.clone(), v);
                    }
                    Err(message) => {
                        res.invalid.push(InputError {
                            input: def.name.clone(),
                            message,
                            from: origin_text(v.origin).map(str::to_string),
                            fix: fix_for(def),
                        });
                    }
                }
            }
        }
    }
    for e in super::limits::check(&res.values, origin_of) {
        res.values.inputs.remove(&e.input);
        res.invalid.push(e);
    }
    res
}

/// Whether `text`, answered at a prompt for `name`, is valid with the other
/// values (`given`: what was provided, earlier answers included): Err says why.
/// The prompts of both front ends check an answer with it, so an answer that
/// breaks a check across inputs is refused there, not saved.
pub fn check_answer(
    defs: &[InputDef],
    given: &BTreeMap<String, Value>,
    context: &BTreeMap<String, String>,
    name: &str,
    text: &str,
) -> Result<(), String> {
    let mut given = given.clone();
    given.insert(name.to_string(), Value::plain(text, Origin::Prompt));
    match resolve(defs, &given, context).invalid.into_iter().find(|e| e.input == name) {
        Some(e) => Err(e.message),
        None => Ok(()),
    }
}

/// A default that only names a context value takes its origin from the context.
fn default_origin(default: &str) -> Origin {
    match template::names(default) {
        Ok(names)
            if names.len() == 1
                && CONTEXT_NAMES.contains(&names[0].as_str())
                && default.trim() == format!("{{{{{}}}}}", names[0]) =>
        {
            Origin::Context
        }
        _ => Origin::Default,
    }
}

/// The error for a required input that has no value and cannot be asked for.
pub fn missing_error(def: &InputDef) -> InputError {
    InputError {
        input: def.name.clone(),
        message: format!("is required and has no value ({})", def.prompt),
        from: None,
        fix: fix_for(def),
    }
}

/// Whether an input carries a value a step writes (a secret, a value read from
/// `env:` or `file:`): resolved only when a step that writes it runs.
pub fn is_value(def: &InputDef) -> bool {
    def.kind == InputKind::Secret || def.from.is_some()
}

/// Where a value input is read from, for messages: `env:VAR`, `file:PATH`, or
/// the prompt (and PREFLIGHT_SECRET_<NAME>).
pub fn source_of(def: &InputDef) -> String {
    match &def.from {
        Some(ValueFrom::Env(var)) => format!("env:{var}"),
        Some(ValueFrom::File(path)) => format!("file:{path}"),
        None => format!("a prompt (or PREFLIGHT_SECRET_{})", def.name.to_uppercase()),
    }
}

/// Adds a value obtained later (a prompt, an `env:` or `file:` source),
/// validated alone and with the values already resolved (engine::limits).
pub fn accept(values: &mut Values, def: &InputDef, text: String, origin: Origin) -> Result<(), InputError> {
    validate(def, &text).map_err(|message| InputError {
        input: def.name.clone(),
        message,
        from: None,
        fix: fix_for(def),
    })?;
    let text = if def.kind == InputKind::Secret { Text::Secret(Secret::new(text)) } else { Text::Plain(text) };
    let mut with = values.clone();
    with.inputs.insert(def.name.clone(), Value { text, origin });
    if let Some(e) = super::limits::check(&with, &plain_origin).into_iter().find(|e| e.input == def.name) {
        return Err(e);
    }
    *values = with;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, kind: InputKind, default: Option<&str>, required: bool) -> InputDef {
        InputDef {
            name: name.into(),
            prompt: format!("{name}?"),
            help: None,
            rule: None,
            from: None,
            kind,
            required,
            default: default.map(str::to_string),
            pattern: None,
        }
    }

    fn ctx() -> BTreeMap<String, String> {
        [("region".to_string(), "eu-west-1".to_string()), ("account_id".into(), "123456789012".into())].into()
    }

    #[test]
    fn defaults_template_other_inputs_and_the_context() {
        let defs = vec![
            def("role", InputKind::Text, Some("{{project}}-ecs-task-role"), false),
            def("project", InputKind::Text, None, true),
            def("region", InputKind::Text, Some("{{region}}"), false),
        ];
        let provided = [("project".to_string(), Value::plain("comafi", Origin::Profile))].into();
        let res = resolve(&defs, &provided, &ctx());
        assert!(res.missing.is_empty() && res.invalid.is_empty());
        assert_eq!(res.values.lookup("role").unwrap(), "comafi-ecs-task-role");
        assert_eq!(res.values.lookup("region").unwrap(), "eu-west-1");
        assert_eq!(res.values.inputs["role"].origin, Origin::Default);
        assert_eq!(res.values.inputs["region"].origin, Origin::Context);
    }

    #[test]
    fn missing_and_invalid_are_reported_by_name() {
        let mut project = def("project", InputKind::Text, None, true);
        project.pattern = Some("[a-z][a-z0-9-]*".into());
        let defs = vec![
            project.clone(),
            def("kind", InputKind::Choice(vec!["role".into(), "user".into()]), Some("role"), false),
        ];
        let res = resolve(&defs, &BTreeMap::new(), &ctx());
        assert_eq!(res.missing.len(), 1);
        assert_eq!(res.missing[0].name, "project");
        let provided = [
            ("project".to_string(), Value::plain("Comafi AI", Origin::Set)),
            ("kind".to_string(), Value::plain("group", Origin::Profile)),
        ]
        .into();
        let res = resolve(&defs, &provided, &ctx());
        let names: Vec<&str> = res.invalid.iter().map(|e| e.input.as_str()).collect();
        assert_eq!(names, vec!["project", "kind"]);
        assert_eq!(res.invalid[0].from.as_deref(), Some("--set"));
        assert!(res.invalid[0].to_string().contains("(from --set)"));
        assert!(res.invalid[0].fix.contains("--set project=VALUE"));
    }

    #[test]
    fn numbers_and_lists() {
        let n = def("days", InputKind::Number { min: Some(1), max: Some(3653) }, None, false);
        assert!(validate(&n, "90").is_ok());
        assert!(validate(&n, "0").is_err());
        assert!(validate(&n, "ninety").is_err());
        let l = def("subnets", InputKind::List, None, false);
        assert!(validate(&l, "a, b").is_ok());
        assert!(validate(&l, "a,,b").is_err());
    }

    #[test]
    fn secrets_are_masked() {
        let defs = vec![def("token", InputKind::Secret, None, true)];
        let provided = [("token".to_string(), Value::plain("hunter2", Origin::Environment))].into();
        let res = resolve(&defs, &provided, &ctx());
        let v = &res.values.inputs["token"];
        assert_eq!(v.shown(), "********");
        assert!(!format!("{v:?}").contains("hunter2"));
        assert_eq!(res.values.lookup("token").unwrap(), "hunter2");
        assert_eq!(res.values.secrets(), vec!["hunter2"]);
        assert_eq!(res.values.scrub("token=hunter2;"), "token=********;");
    }
}

/// One input for one real thing: when the runtime principal is a role
/// (`runtime_principal_kind = "role"`, the default) it is the ECS task role,
/// whose input is `task_role_name`; `runtime_principal_name` is then a
/// deprecated alias for it (a warning), and an error when both are given and
/// name different roles. `name_of` says where a given value came from. When
/// the runtime principal is a user, both are inputs of their own.
pub fn unify_task_role(
    provided: &mut BTreeMap<String, Value>,
    name_of: &dyn Fn(&str, &Value) -> String,
) -> Result<Vec<String>, String> {
    const ALIAS: &str = "runtime_principal_name";
    const ROLE: &str = "task_role_name";
    let kind = provided.get("runtime_principal_kind").map(|v| v.raw().to_string()).unwrap_or_else(|| "role".into());
    if kind != "role" {
        return Ok(Vec::new());
    }
    let Some(alias) = provided.get(ALIAS).cloned() else { return Ok(Vec::new()) };
    match provided.get(ROLE).cloned() {
        Some(role) if role.raw() != alias.raw() => Err(format!(
            "{ALIAS} = \"{}\" ({}) and {ROLE} = \"{}\" ({}) name two roles, but the runtime role is the ECS task role: one role\n  fix: keep {ROLE} (the input of the task role) and remove {ALIAS}; or set runtime_principal_kind = \"user\" if the runtime principal is a user for local development",
            alias.raw(),
            name_of(ALIAS, &alias),
            role.raw(),
            name_of(ROLE, &role)
        )),
        _ => {
            provided.remove(ALIAS);
            provided.insert(ROLE.into(), alias.clone());
            Ok(vec![format!(
                "warning: {ALIAS} ({}) is the task role when runtime_principal_kind is role, and its input is now {ROLE}: it is used as {ROLE} = \"{}\"; rename it",
                name_of(ALIAS, &alias),
                alias.raw()
            )])
        }
    }
}

#[cfg(test)]
mod unify_tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), Value::plain(*v, Origin::Profile))).collect()
    }

    #[test]
    fn the_runtime_role_is_the_task_role() {
        let from = |name: &str, _: &Value| format!("p.toml [inputs] {name}");
        let mut p = given(&[("runtime_principal_name", "app-role")]);
        let warnings = unify_task_role(&mut p, &from).unwrap();
        assert_eq!(p["task_role_name"].shown(), "app-role");
        assert!(!p.contains_key("runtime_principal_name"));
        assert!(warnings[0].contains("task_role_name"), "{warnings:?}");
        let mut both = given(&[("runtime_principal_name", "a"), ("task_role_name", "b")]);
        let e = unify_task_role(&mut both, &from).unwrap_err();
        assert!(e.contains("name two roles") && e.contains("p.toml [inputs] task_role_name"), "{e}");
        let mut user =
            given(&[("runtime_principal_kind", "user"), ("runtime_principal_name", "dev"), ("task_role_name", "b")]);
        assert!(unify_task_role(&mut user, &from).unwrap().is_empty());
        assert_eq!(user["runtime_principal_name"].shown(), "dev");
    }
}
