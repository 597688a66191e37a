//! What `destroy` needs of every family's undo functions: what one undo found
//! and did, and what the whole destroy removes (so that an undo can tell a
//! dependent that goes too from one that stays).

use crate::engine::owned::{Made, Thing};

pub use crate::aws::error::{TAG_CHECKLIST as CHECKLIST, TAG_PROJECT as PROJECT};

/// The checklist a set of tags names, when they say the project is `project`.
pub fn owned_by<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>, project: &str) -> Option<String> {
    let tags: Vec<(&str, &str)> = tags.into_iter().collect();
    let ours = tags.iter().any(|(k, v)| *k == PROJECT && *v == project);
    ours.then(|| tags.iter().find(|(k, _)| *k == CHECKLIST).map(|(_, v)| v.to_string()).unwrap_or_default())
}

/// What undoing one thing came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Undone {
    /// Removed (in a plan: its deletion planned).
    Removed,
    /// Nothing to remove: it is not there (deleted by hand, or by an earlier destroy).
    Gone(String),
    /// Left in place, and why (another role still trusts the provider).
    Kept(String),
    /// Not removable while something that stays depends on it: what, and the fix.
    Refused(String),
}

/// The destroy as a whole, for each undo.
pub struct Undoing {
    /// What this destroy removes.
    pub chosen: Vec<Thing>,
    /// Everything preflight made in the account and region (every checklist).
    pub everything: Vec<Made>,
    /// A secret's recovery window in days; None deletes it without one.
    pub secret_days: Option<i64>,
    /// The profile's project: the `preflight:project` tag of what preflight made for it.
    pub project: Option<String>,
    /// The steps (checklist, step) of the chosen checklists that ever made something:
    /// each is recorded destroyed once nothing it made is left.
    pub makers: Vec<(String, String)>,
}

impl Undoing {
    pub fn goes(&self, thing: &Thing) -> bool {
        self.chosen.contains(thing)
    }

    /// Who else depends on it, worded: `inline policy X (made by secrets/read-access: destroy secrets too)`
    /// or `(not made by preflight)`.
    pub fn staying(&self, thing: &Thing, what: String) -> String {
        match self.everything.iter().find(|m| &m.thing == thing) {
            Some(m) => format!("{what} (made by {}/{}: destroy {} too, or first)", m.checklist, m.step, m.checklist),
            None => format!("{what} (not made by preflight)"),
        }
    }
}

/// The sentence of a refusal: `NAME is used by: A; B`, with the fix.
pub fn refused(what: &str, by: &[String]) -> Undone {
    Undone::Refused(format!(
        "{what} is used by {}: deleting it would break them\n  fix: remove those first, or destroy what made them in the same command",
        by.join("; ")
    ))
}
