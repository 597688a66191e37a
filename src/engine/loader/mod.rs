//! Reads the library's TOML files into the model and checks them: the input
//! catalog (`inputs`), then each checklist (`checklist`), then the catalog
//! against what the checklists use. Every error names the file, line and
//! column and says what would fix it.

mod checklist;
mod errors;
mod inputs;

pub use errors::LoadError;

use std::collections::BTreeSet;

use super::library::{INPUTS_FILE, Library};
use super::model::{Catalog, Checklists};
use errors::Errors;

/// Loads and checks the input catalog and every checklist of the library.
pub fn load_all(library: &Library, catalog: &dyn Catalog) -> Result<Checklists, Vec<LoadError>> {
    let inputs_text = library.inputs_file().unwrap_or("");
    let mut input_errs = Errors::new(INPUTS_FILE, inputs_text);
    let declared = inputs::load(&mut input_errs);
    let mut all = Vec::new();
    let mut errors = Vec::new();
    let outline: checklist::Outline =
        library.checklist_files().filter_map(|(_, text)| checklist::outline(text)).collect();
    for (file, text) in library.checklist_files() {
        match checklist::load_one(file, text, library, catalog, &declared, &outline) {
            Ok(c) => all.push(c),
            Err(mut e) => errors.append(&mut e),
        }
    }
    // Which declarations are used is known only when every checklist loaded.
    if errors.is_empty() {
        let used: BTreeSet<&str> = all.iter().flat_map(|c| c.inputs.iter().map(|i| i.name.as_str())).collect();
        for def in declared.defs.iter().filter(|d| !used.contains(d.name.as_str())) {
            input_errs.at(
                declared.at[&def.name],
                format!(
                    "input `{0}` is declared but no checklist uses it; remove the declaration, or use {{{{{0}}}}} in a checklist",
                    def.name
                ),
            );
        }
    }
    all.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    let mut all_errors = input_errs.list;
    all_errors.append(&mut errors);
    if all_errors.is_empty() { Ok(Checklists { inputs: declared.defs, all }) } else { Err(all_errors) }
}
