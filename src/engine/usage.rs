//! Which inputs a selection of steps needs: the names its parameters and
//! assets use, and the inputs their defaults use in turn.

use std::collections::BTreeSet;

use super::library::Library;
use super::model::{Call, Checklist, Checklists, InputDef, foreign};
use super::template;

fn call_names(call: &Call, library: &Library, out: &mut BTreeSet<String>) {
    out.extend(template::toml_names(&toml::Value::Table(call.params.clone())).unwrap_or_default());
    for asset in &call.assets {
        out.extend(library.asset(asset).map(|t| template::names(t).unwrap_or_default()).unwrap_or_default());
    }
}

/// The input definitions the given steps need, in declaration order; with
/// `probes_only`, just what their probes need (for `verify`, which runs no action).
pub fn needed_inputs(checklist: &Checklist, steps: &[usize], library: &Library, probes_only: bool) -> Vec<InputDef> {
    let mut names = BTreeSet::new();
    for &i in steps {
        let step = &checklist.steps[i];
        step.action.iter().filter(|_| !probes_only).for_each(|a| call_names(a, library, &mut names));
        step.probes.iter().for_each(|p| call_names(&p.call, library, &mut names));
    }
    with_defaults(&checklist.inputs, names)
}

/// [`needed_inputs`], and the inputs of the probes of every step of another
/// checklist these steps stand on (transitively): needs are judged by probes.
pub fn with_needs(
    all: &Checklists,
    checklist: &Checklist,
    steps: &[usize],
    library: &Library,
    probes_only: bool,
) -> Vec<InputDef> {
    let mut out = needed_inputs(checklist, steps, library, probes_only);
    let mut todo: Vec<(String, String)> = steps
        .iter()
        .flat_map(|&i| checklist.steps[i].needs.iter())
        .filter_map(|n| foreign(n).map(|(c, s)| (c.to_string(), s.to_string())))
        .collect();
    let mut done = std::collections::BTreeSet::new();
    while let Some((c, s)) = todo.pop() {
        if !done.insert((c.clone(), s.clone())) {
            continue;
        }
        let Some(other) = all.get(&c) else { continue };
        let Some(i) = other.steps.iter().position(|x| x.id == s) else { continue };
        for n in &other.steps[i].needs {
            todo.push(foreign(n).map_or((c.clone(), n.clone()), |(a, b)| (a.to_string(), b.to_string())));
        }
        for def in needed_inputs(other, &[i], library, true) {
            if !out.iter().any(|d| d.name == def.name) {
                out.push(def);
            }
        }
    }
    out
}

/// The inputs of `defs` named in `names`, and those their defaults name in
/// turn (transitively), in the order of `defs`.
pub fn with_defaults(defs: &[InputDef], mut names: BTreeSet<String>) -> Vec<InputDef> {
    loop {
        let more: BTreeSet<String> = defs
            .iter()
            .filter(|i| names.contains(&i.name))
            .filter_map(|i| i.default.as_deref())
            .flat_map(|d| template::names(d).unwrap_or_default())
            .filter(|n| !names.contains(n))
            .collect();
        if more.is_empty() {
            break;
        }
        names.extend(more);
    }
    defs.iter().filter(|i| names.contains(&i.name)).cloned().collect()
}
