//! The key table: what each key does. `update` dispatches through it and the
//! help overlay and the footer are generated from it, so they cannot drift.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Run,
    RunAll,
    Verify,
    VerifyAll,
    UpAll,
    Report,
    Destroy,
    Plan,
    Skip,
    Rerun,
    Confirm,
    Invoke,
    Edit,
    LogUp,
    LogDown,
    DetailUp,
    DetailDown,
    Help,
    Quit,
}

pub struct Binding {
    pub codes: &'static [KeyCode],
    /// How the keys are written in the help and the footer.
    pub keys: &'static str,
    pub help: &'static str,
    /// Shown in the footer when set.
    pub short: Option<&'static str>,
    pub action: Action,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        codes: &[KeyCode::Up, KeyCode::Char('k')],
        keys: "↑ k",
        help: "previous checklist or step",
        short: None,
        action: Action::Up,
    },
    Binding {
        codes: &[KeyCode::Down, KeyCode::Char('j')],
        keys: "↓ j",
        help: "next checklist or step",
        short: None,
        action: Action::Down,
    },
    Binding {
        codes: &[KeyCode::Enter],
        keys: "Enter",
        help: "run the selected step and the steps it needs",
        short: Some("run"),
        action: Action::Run,
    },
    Binding {
        codes: &[KeyCode::Char('a')],
        keys: "a",
        help: "run all remaining steps of the checklist, stop at the first failure",
        short: Some("all"),
        action: Action::RunAll,
    },
    Binding {
        codes: &[KeyCode::Char('v')],
        keys: "v",
        help: "verify the selected step (probes only; on a checklist: all steps)",
        short: Some("verify"),
        action: Action::Verify,
    },
    Binding {
        codes: &[KeyCode::Char('V')],
        keys: "V",
        help: "verify every step of the checklist",
        short: Some("verify all"),
        action: Action::VerifyAll,
    },
    Binding {
        codes: &[KeyCode::Char('U')],
        keys: "U",
        help: "up: the profile's checklists in deploy order, one consent",
        short: Some("up"),
        action: Action::UpAll,
    },
    Binding {
        codes: &[KeyCode::Char('R')],
        keys: "R",
        help: "report: verify now and write preflight-report.md beside the profile",
        short: None,
        action: Action::Report,
    },
    Binding {
        codes: &[KeyCode::Char('D')],
        keys: "D",
        help: "destroy: remove what preflight made for the checklist (one consent)",
        short: None,
        action: Action::Destroy,
    },
    Binding {
        codes: &[KeyCode::Char('p')],
        keys: "p",
        help: "plan: what the step would change, call by call",
        short: Some("plan"),
        action: Action::Plan,
    },
    Binding {
        codes: &[KeyCode::Char('s')],
        keys: "s",
        help: "skip / unskip the selected step",
        short: Some("skip"),
        action: Action::Skip,
    },
    Binding {
        codes: &[KeyCode::Char('r')],
        keys: "r",
        help: "re-run the step alone, its action even if it passes (run --force)",
        short: Some("re-run"),
        action: Action::Rerun,
    },
    Binding {
        codes: &[KeyCode::Char('c')],
        keys: "c",
        help: "confirm a manual step you did and checked (as preflight confirm)",
        short: Some("confirm"),
        action: Action::Confirm,
    },
    Binding {
        codes: &[KeyCode::Char('i')],
        keys: "i",
        help: "verify with the probes that cost money too (as verify --invoke)",
        short: Some("invoke"),
        action: Action::Invoke,
    },
    Binding {
        codes: &[KeyCode::Char('e')],
        keys: "e",
        help: "edit an input of the selected step",
        short: Some("edit"),
        action: Action::Edit,
    },
    Binding {
        codes: &[KeyCode::PageUp],
        keys: "PgUp",
        help: "scroll the log up (or the mouse wheel over it)",
        short: None,
        action: Action::LogUp,
    },
    Binding {
        codes: &[KeyCode::PageDown],
        keys: "PgDn",
        help: "scroll the log down",
        short: None,
        action: Action::LogDown,
    },
    Binding {
        codes: &[KeyCode::Char('[')],
        keys: "[",
        help: "scroll the details up (or the mouse wheel over them)",
        short: None,
        action: Action::DetailUp,
    },
    Binding {
        codes: &[KeyCode::Char(']')],
        keys: "]",
        help: "scroll the details down",
        short: None,
        action: Action::DetailDown,
    },
    Binding { codes: &[KeyCode::Char('?')], keys: "?", help: "this help", short: Some("help"), action: Action::Help },
    Binding {
        codes: &[KeyCode::Char('q')],
        keys: "q",
        help: "quit (asks while a run is in progress; the state is saved)",
        short: Some("quit"),
        action: Action::Quit,
    },
];

/// Ctrl-C quits at once, whatever is on screen.
pub fn is_interrupt(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

pub fn action(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    BINDINGS.iter().find(|b| b.codes.contains(&key.code)).map(|b| b.action)
}
