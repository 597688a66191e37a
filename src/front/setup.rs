//! What every command needs before it can work: the checklists, the input
//! values, the AWS context. Each failure carries its exit code.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use super::options::Global;
use super::prompt;
use crate::aws::context::{AwsContext, AwsOptions, RegionSource};
use crate::engine::inputs::{self, Origin, Value, Values};
use crate::engine::library::Library;
use crate::engine::loader;
use crate::engine::model::{Checklist, Checklists, InputDef, InputKind, ValueFrom};
use crate::engine::profile::{self, Profile};
use crate::engine::suggest::did_you_mean;
use crate::kinds::registry::Registry;

pub const EXIT_FAIL: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_AWS: u8 = 3;

#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

/// What a command printed as a fix must repeat to act on the same account,
/// region, profile and values as this one: `--region`, `--profile`,
/// `--profile-file` and every `--set`.
pub fn invocation(g: &Global) -> String {
    let mut out = String::new();
    // The same AWS context: the region and the AWS profile given on the command line.
    if let Some(r) = &g.region {
        out.push_str(&format!(" --region {}", crate::engine::text::shell_word(r)));
    }
    if let Some(p) = &g.profile {
        out.push_str(&format!(" --profile {}", crate::engine::text::shell_word(p)));
    }
    if let Some(p) = &g.profile_file {
        out.push_str(&format!(" --profile-file {}", crate::engine::text::shell_word(&p.display().to_string())));
    }
    for set in &g.sets {
        out.push_str(&format!(" --set {}", crate::engine::text::shell_word(set)));
    }
    out
}

pub fn usage(message: impl Into<String>) -> Failure {
    Failure { code: EXIT_USAGE, message: message.into() }
}

/// Whether a person can be asked (prompts, confirmations).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn library(g: &Global) -> Result<Library, Failure> {
    match &g.library {
        Some(dir) => Library::from_dir(dir).map_err(usage),
        None => Ok(Library::builtin()),
    }
}

pub fn checklists(library: &Library) -> Result<Checklists, Failure> {
    loader::load_all(library, &Registry)
        .map_err(|errors| usage(errors.iter().map(|e| format!("error: {e}")).collect::<Vec<_>>().join("\n")))
}

/// The library, its checklists with their repeated steps expanded for the
/// profile's lists, and the profile: what every command starts from.
pub fn load(g: &Global) -> Result<(Library, Checklists, Profile), Failure> {
    let library = library(g)?;
    let templates = checklists(&library)?;
    let profile = profile(g)?;
    let lists = crate::engine::expand::expand(&templates, &profile.lists)
        .map_err(|e| usage(format!("error: {}: {e}", profile.path.display())))?;
    // The checklists the profile says the project uses must be checklists.
    let ids = || lists.all.iter().map(|c| c.id.as_str());
    let unknown: Vec<String> = profile
        .checklists
        .iter()
        .flatten()
        .filter(|(id, _)| lists.get(id).is_none())
        .map(|(id, line)| {
            format!(
                "error: {}:{line}: checklists: no checklist \"{id}\"{}; known: {}",
                profile.path.display(),
                did_you_mean(id, ids()),
                ids().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(usage(unknown.join("\n")));
    }
    Ok((library, lists, profile))
}

pub fn pick<'a>(lists: &'a Checklists, id: &str) -> Result<&'a Checklist, Failure> {
    lists.get(id).ok_or_else(|| {
        let ids = lists.all.iter().map(|c| c.id.as_str());
        usage(format!(
            "unknown checklist \"{id}\"{}; known: {} (see `preflight list`)",
            did_you_mean(id, ids.clone()),
            ids.collect::<Vec<_>>().join(", ")
        ))
    })
}

pub fn check_step(checklist: &Checklist, step: Option<&str>) -> Result<(), Failure> {
    match step {
        Some(s) if checklist.step(s).is_none() => Err(usage(format!(
            "checklist {} has no step \"{s}\"; its steps: {}",
            checklist.id,
            checklist.steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
        ))),
        _ => Ok(()),
    }
}

/// Loads the AWS configuration, checks its region before any call (a bad
/// region names where it came from: --region, AWS_REGION, the config profile),
/// then asks STS who we are.
pub async fn connect(g: &Global, lists: &Checklists) -> Result<AwsContext, Failure> {
    let (region, region_source) = region_choice(g)?;
    let loaded = AwsContext::load(&AwsOptions { profile: g.profile.clone(), region, region_source }).await;
    if let Some(def) = lists.input("region")
        && let Err(message) = inputs::validate(def, &loaded.region)
    {
        return Err(usage(format!(
            "error: region: {message} (from {})\n  fix: {}",
            loaded.region_source.describe(),
            loaded.region_source.fix()
        )));
    }
    loaded.identify().await.map_err(|e| {
        let fix = e.fix().map(|f| format!("\n  fix: {f}")).unwrap_or_default();
        Failure { code: if e.is_fatal() { EXIT_AWS } else { EXIT_FAIL }, message: format!("{e}{fix}") }
    })
}

/// There is one region per run, the AWS context's. `--region` names it; else
/// `--set region=…`, else the profile's `[inputs] region` (as samconfig.toml's
/// region for SAM), else the aws-config chain (AWS_REGION, the config profile).
/// `--region` and `--set region` that differ are refused: which one was meant?
pub fn region_choice(g: &Global) -> Result<(Option<String>, Option<RegionSource>), Failure> {
    let set = g.sets.iter().rev().find_map(|s| s.strip_prefix("region=")).map(str::to_string);
    match (&g.region, set) {
        (Some(flag), Some(set)) if *flag != set => Err(usage(format!(
            "error: --region {flag} and --set region={set} name two regions; a run has one\n  fix: pass only --region {flag}"
        ))),
        (Some(flag), _) => Ok((Some(flag.clone()), Some(RegionSource::Flag))),
        (None, Some(set)) => Ok((Some(set), Some(RegionSource::Set))),
        (None, None) => {
            let profile = Profile::read(&g.profile_path(), false).unwrap_or_default();
            Ok(match profile.inputs.get("region") {
                Some(e) => (
                    Some(e.value.clone()),
                    Some(RegionSource::ProfileFile(format!("{}:{}", profile.path.display(), e.line))),
                ),
                None => (None, None),
            })
        }
    }
}

/// The profile, checked: an unknown key or table, or a named file that does
/// not exist, is an error (exit 2) before anything else happens.
pub fn profile(g: &Global) -> Result<Profile, Failure> {
    Profile::read(&g.profile_path(), g.profile_file.is_some()).map_err(|e| {
        usage(
            e.lines()
                .map(|l| if l.starts_with("  ") { l.to_string() } else { format!("error: {l}") })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

/// Values given by the operator: the profile's [inputs], `--set` over them,
/// and secrets from PREFLIGHT_SECRET_<NAME>; with the warnings to show (keys of
/// [inputs] that no input declares), which `--strict` turns into an error.
pub fn provided(
    g: &Global,
    profile: &Profile,
    defs: &[InputDef],
    lists: &Checklists,
) -> Result<(BTreeMap<String, Value>, Vec<String>), Failure> {
    let declared = lists.inputs.iter().map(|d| d.name.as_str());
    let unknown = profile.unknown_inputs(declared.clone());
    if g.strict && !unknown.is_empty() {
        return Err(usage(
            unknown
                .iter()
                .map(|m| format!("error: {}", m.trim_end_matches("; it is ignored")))
                .chain(["  fix: correct or remove these keys (--strict refuses unknown inputs)".to_string()])
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    let mut warnings: Vec<String> = unknown.into_iter().map(|m| format!("warning: {m}")).collect();
    if !profile.exists && interactive() {
        warnings.push(format!(
            "note: there is no profile file {}: inputs come from --set and the defaults, and answers given at prompts are saved there",
            profile.path.display()
        ));
    }
    let mut out: BTreeMap<String, Value> =
        profile.inputs.iter().map(|(k, e)| (k.clone(), Value::plain(e.value.clone(), Origin::Profile))).collect();
    for set in &g.sets {
        let Some((name, value)) = set.split_once('=') else {
            return Err(usage(format!("--set {set}: expected NAME=VALUE, e.g. --set project=comafi")));
        };
        let Some(def) = lists.input(name) else {
            return Err(usage(format!(
                "--set {name}: no checklist has an input named `{name}`{}; `preflight list --inputs` shows them all",
                did_you_mean(name, declared.clone())
            )));
        };
        if def.kind == InputKind::Secret {
            return Err(usage(format!(
                "--set {name}: `{name}` is a secret and would be visible in the process list; export PREFLIGHT_SECRET_{} or answer the prompt",
                name.to_uppercase()
            )));
        }
        out.insert(name.to_string(), Value::plain(value, Origin::Set));
    }
    // One input per real thing: the runtime role is the task role.
    let origin = |name: &str, v: &Value| match v.origin {
        Origin::Set => format!("--set {name}"),
        _ => match profile.inputs.get(name).map(|e| e.line) {
            Some(line) => format!("{}:{line}", profile.path.display()),
            None => format!("{} [inputs]", profile.path.display()),
        },
    };
    warnings.extend(inputs::unify_task_role(&mut out, &origin).map_err(|e| usage(format!("error: {e}")))?);
    // The region is the context's (region_choice made the profile's or --set's value the context's).
    out.remove("region");
    // Values the profile's lists say to read from the environment or a file, and secrets.
    let mut unread = Vec::new();
    for def in defs.iter().filter(|d| inputs::is_value(d)) {
        out.remove(&def.name);
        match read_value(def, &profile.path) {
            Ok(Some(v)) => {
                out.insert(def.name.clone(), v);
            }
            Ok(None) => {}
            Err(e) => unread.push(e),
        }
    }
    if !unread.is_empty() {
        return Err(usage(unread.join("\n")));
    }
    Ok((out, warnings))
}

/// A value input's value when it is at hand without asking anyone: its
/// environment variable or file, or PREFLIGHT_SECRET_<NAME> for a secret asked
/// at a prompt (Ok(None): only a prompt can give it). Err says why its source
/// cannot be read, with the fix.
pub fn read_value(def: &InputDef, profile: &std::path::Path) -> Result<Option<Value>, String> {
    let secret = |text: String, origin| {
        if def.kind == InputKind::Secret {
            Value { text: inputs::Text::Secret(inputs::Secret::new(text)), origin }
        } else {
            Value::plain(text, origin)
        }
    };
    match &def.from {
        None => Ok(std::env::var(format!("PREFLIGHT_SECRET_{}", def.name.to_uppercase()))
            .ok()
            .map(|v| secret(v, Origin::Environment))),
        Some(ValueFrom::Env(var)) => match std::env::var(var) {
            Ok(v) => Ok(Some(secret(v, Origin::Environment))),
            Err(_) => Err(format!(
                "error: {} comes from env:{var}, and {var} is not set\n  fix: export {var}=... (read from the environment only, never written), or change its source in {}",
                def.prompt,
                profile.display()
            )),
        },
        Some(ValueFrom::File(path)) => match std::fs::read_to_string(path) {
            Ok(v) => {
                let v = v.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(&v).to_string();
                Ok(Some(secret(v, Origin::File)))
            }
            Err(e) => Err(format!(
                "error: {} comes from file:{path}, which cannot be read ({e})\n  fix: check the path (a relative one starts where preflight runs), or change its source in {}",
                def.prompt,
                profile.display()
            )),
        },
    }
}

/// Where a value came from, for the errors of the checks across inputs: `--set`,
/// the profile with its file and line, `its default`.
pub fn origin_in(profile: &Profile) -> impl Fn(&str, &Value) -> String + '_ {
    move |name, v| match (v.origin, profile.inputs.get(name)) {
        (Origin::Profile, Some(e)) => format!("the profile ({}:{})", profile.path.display(), e.line),
        (Origin::Profile, None) => format!("the profile ({})", profile.path.display()),
        _ => inputs::plain_origin(name, v),
    }
}

/// Fails early, before AWS is contacted: a value that is invalid alone or with
/// the others (Fargate's CPU and memory, a name made from inputs: engine::limits),
/// as far as it is known without the AWS context; a required input that has no
/// value when nobody can be asked for it.
pub fn precheck(defs: &[InputDef], provided: &BTreeMap<String, Value>, profile: &Profile) -> Result<(), Failure> {
    // Defaults that need the AWS context ({{account_id}}) have no value yet, and are not checked here.
    let invalid: Vec<String> = inputs::resolve_in(defs, provided, &BTreeMap::new(), &origin_in(profile))
        .invalid
        .into_iter()
        .map(|e| format!("error: {}", placed(e, profile)))
        .collect();
    if !invalid.is_empty() {
        return Err(usage(invalid.join("\n")));
    }
    if interactive() {
        return Ok(());
    }
    let missing: Vec<String> = defs
        .iter()
        .filter(|d| d.required && d.default.is_none() && !provided.contains_key(&d.name))
        .map(|d| placed(inputs::missing_error(d), profile).to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(usage(missing.iter().map(|m| format!("error: {m}")).collect::<Vec<_>>().join("\n")))
    }
}

/// Resolves the inputs against the live context; asks for what is missing in
/// a terminal and saves the non-secret answers to the profile.
pub fn resolve(
    g: &Global,
    defs: &[InputDef],
    provided: &BTreeMap<String, Value>,
    aws: &AwsContext,
) -> Result<Values, Failure> {
    let context: BTreeMap<String, String> =
        [("account_id".to_string(), aws.account_id.clone()), ("region".to_string(), aws.region.clone())].into();
    // The profile again, for the file and line an error names (read before: it reads).
    let profile = Profile::read(&g.profile_path(), false)
        .unwrap_or_else(|_| Profile { path: g.profile_path(), ..Profile::default() });
    let origin = origin_in(&profile);
    let mut res = inputs::resolve_in(defs, provided, &context, &origin);
    name_context_origins(&mut res.invalid, aws);
    if !res.invalid.is_empty() {
        return Err(usage(
            res.invalid
                .iter()
                .map(|e| format!("error: {}", placed(e.clone(), &profile)))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    if res.missing.is_empty() {
        return Ok(res.values);
    }
    if !interactive() {
        return Err(usage(
            res.missing
                .iter()
                .map(|d| format!("error: {}", placed(inputs::missing_error(d), &profile)))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    let mut answers = Vec::new();
    let mut given = provided.clone();
    for def in &res.missing {
        // An answer is checked with the other values too (engine::limits), before it is saved.
        let check = {
            let (defs, given, context, name) = (defs.to_vec(), given.clone(), context.clone(), def.name.clone());
            move |text: &str| inputs::check_answer(&defs, &given, &context, &name, text)
        };
        let text = prompt::ask_checked(def, None, check).map_err(|e| usage(format!("input `{}`: {e}", def.name)))?;
        if def.kind != InputKind::Secret {
            answers.push((def.name.clone(), text.clone()));
        }
        given.insert(def.name.clone(), Value::plain(text, Origin::Prompt));
    }
    if !answers.is_empty() {
        profile::save_inputs(&g.profile_path(), &answers).map_err(usage)?;
        eprintln!(
            "saved {} to {}",
            answers.iter().map(|a| a.0.as_str()).collect::<Vec<_>>().join(", "),
            g.profile_path().display()
        );
    }
    // Defaults may depend on the answers: resolve again with them.
    res = inputs::resolve_in(defs, &given, &context, &origin);
    name_context_origins(&mut res.invalid, aws);
    match (res.invalid.first(), res.missing.first()) {
        (Some(e), _) => Err(usage(format!("error: {}", placed(e.clone(), &profile)))),
        (None, Some(d)) => Err(usage(format!("error: {}", placed(inputs::missing_error(d), &profile)))),
        (None, None) => Ok(res.values),
    }
}

/// An input error whose fix names the profile by its path, and the line of the value.
fn placed(e: inputs::InputError, profile: &Profile) -> inputs::InputError {
    let line = profile.inputs.get(&e.input).map(|x| x.line);
    e.placed(&profile.path, line)
}

/// A value taken from the AWS context names where the context got it, and the fix there.
fn name_context_origins(errors: &mut [inputs::InputError], aws: &AwsContext) {
    for e in errors.iter_mut().filter(|e| e.from.as_deref() == Some("the AWS context")) {
        e.from = Some(aws.region_source.describe());
        e.fix = format!("{}; or set the input: --set {}=VALUE", aws.region_source.fix(), e.input);
    }
}
