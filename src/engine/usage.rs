//! Which inputs a selection of steps needs: the names its parameters and
//! assets use, and the inputs their defaults use in turn.

use std::collections::BTreeSet;

use super::library::Library;
use super::model::{Call, Checklist, InputDef};
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
