//! The TUI's one state, the messages that change it and the effects it asks for.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::aws::exec::{Activity, Change, Table};
use crate::engine::model::Checklist;
use crate::engine::order;
use crate::engine::outcome::Status;
use crate::runner::{Mode, StepReport};

/// Who and where: always on screen.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub account_id: String,
    pub principal_arn: String,
    pub region: String,
    pub profile_file: String,
    /// How the context differs from the profile's `[expect]`, if it does.
    pub mismatch: Option<String>,
}

/// One checklist on screen.
#[derive(Debug, Clone)]
pub struct ListView {
    pub checklist: Checklist,
    /// Step indices in dependency order.
    pub order: Vec<usize>,
    /// By step index: the last report (recorded or live).
    pub reports: Vec<StepReport>,
    /// By step index: the inputs the step needs.
    pub inputs: Vec<Vec<String>>,
    /// By step index: the inputs its probes need (all that `verify` asks for).
    pub probe_inputs: Vec<Vec<String>>,
    /// By step index: the step is skipped.
    pub skipped: Vec<bool>,
    /// By step index: the report comes from probes run in this session; else
    /// it is what was recorded earlier, shown as recorded, never as verified now.
    pub fresh: Vec<bool>,
}

impl ListView {
    pub fn new(
        checklist: Checklist,
        reports: Vec<StepReport>,
        inputs: Vec<Vec<String>>,
        probe_inputs: Vec<Vec<String>>,
        skipped: Vec<bool>,
    ) -> Self {
        let order = order::step_order(&checklist.steps).expect("checked by the loader");
        let fresh = vec![false; checklist.steps.len()];
        Self { checklist, order, reports, inputs, probe_inputs, skipped, fresh }
    }

    /// Steps whose probes passed in this session.
    pub fn verified(&self) -> usize {
        self.reports.iter().zip(&self.fresh).filter(|(r, f)| **f && r.status == Status::Pass).count()
    }

    /// Steps shown from the record only (not probed in this session).
    pub fn recorded(&self) -> usize {
        self.reports.iter().zip(&self.fresh).filter(|(r, f)| !**f && r.updated_at.is_some()).count()
    }

    /// Whether a step's mark is only recorded, not verified now.
    pub fn is_recorded(&self, step: usize) -> bool {
        !self.fresh[step] && self.reports[step].updated_at.is_some() && self.reports[step].status != Status::Skipped
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    List(usize),
    /// A checklist and a step index.
    Step(usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Help,
    /// Consent to a plan: `y` is accepted only once the end has been shown.
    Consent {
        id: u64,
        checklist: String,
        step: String,
        changes: Vec<Change>,
        scroll: usize,
        seen_end: bool,
    },
    QuitWhileRunning,
    /// The caller lacks permissions a run needs: what, and the policy granting it (`c` copies it).
    Permissions {
        checklist: String,
        lines: Vec<String>,
        policy: String,
        scroll: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Read,
    Change,
    Failure,
    Note,
    Wait,
    Progress,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub kind: LogKind,
    pub text: String,
}

/// What a run is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub checklist: String,
    pub mode: Mode,
    pub step: Option<String>,
    pub only: bool,
    /// What else the job does.
    pub extra: Extra,
}

/// What a job does besides its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extra {
    #[default]
    Plain,
    /// A verify that lets the probes that cost money run (`verify --invoke`: one Bedrock call).
    Invoke,
    /// A verify of a manual step and what it needs, then its confirmation (`preflight confirm`).
    Confirm,
    /// `preflight up`: the tree's checklists (those the profile enables) in deploy order, one consent.
    Up,
    /// `preflight report`: those checklists verified now, the report written beside the profile.
    Report,
    /// `preflight destroy CHECKLIST`: what preflight made for it, removed after one consent.
    Destroy,
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Tick,
    /// SIGINT from outside (the key Ctrl-C arrives as a Key).
    Interrupt,
    /// Start a job (again, once the inputs it needed have been answered).
    Start(Job),
    /// The wizard has just opened: verify what can be verified, in the background.
    Opened,
    StepStarted {
        checklist: String,
        step: String,
    },
    StepFinished {
        checklist: String,
        report: StepReport,
    },
    Activity {
        step: String,
        activity: Activity,
    },
    AskConsent {
        id: u64,
        checklist: String,
        step: String,
        changes: Vec<Change>,
    },
    JobFinished {
        checklist: String,
        outcome: Result<String, String>,
    },
    /// Input values after an answer or an edit (secrets masked).
    Inputs {
        shown: BTreeMap<String, String>,
        missing: BTreeSet<String>,
        invalid: BTreeMap<String, String>,
    },
    /// A step skipped (with the record: who, when, why) or unskipped (None).
    Skipped {
        checklist: String,
        step: String,
        skip: Option<crate::engine::state::Skip>,
    },
    Notice(String),
    /// The check before a run found missing permissions: nothing was changed.
    PermissionsMissing {
        checklist: String,
        /// What is missing, one line each.
        lines: Vec<String>,
        /// The policy that grants it, as JSON.
        policy: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Start(Job),
    Consent {
        id: u64,
        yes: bool,
    },
    /// Suspend the screen and ask for these inputs, then start `then`.
    AskInputs {
        names: Vec<String>,
        then: Option<Job>,
    },
    /// Suspend the screen and let the operator change one of these inputs.
    EditInputs {
        names: Vec<String>,
    },
    Skip {
        checklist: String,
        step: String,
        skip: bool,
    },
    /// Put this text on the terminal's clipboard (OSC 52).
    Copy(String),
    Quit,
}

pub const LOG_LIMIT: usize = 2000;

#[derive(Debug, Clone)]
pub struct App {
    pub header: Header,
    pub lists: Vec<ListView>,
    pub selected: usize,
    pub modal: Option<Modal>,
    pub job: Option<Job>,
    /// Jobs to run next: read-only background work (verify on open, re-probing
    /// dependents after a run), and what the operator asked for meanwhile (first).
    pub queue: VecDeque<(Job, bool)>,
    /// The running job is background work from the queue.
    pub background: bool,
    /// The step a job is working on, for the spinner.
    pub running: Option<(String, String)>,
    /// Transfers of the running step: what, bytes done, bytes in all.
    pub transfers: Vec<(String, u64, u64)>,
    /// The last table a step showed (a deployment's state): checklist, step, table.
    pub table: Option<(String, String, Table)>,
    pub log: Vec<LogLine>,
    /// Lines scrolled back from the end of the log (0 follows the end).
    pub log_scroll: usize,
    pub detail_scroll: u16,
    pub tick: usize,
    /// Input values as they may be shown (secrets masked), the context's included.
    pub shown: BTreeMap<String, String>,
    /// Inputs with no value yet: asked for when a step needs them.
    pub missing: BTreeSet<String>,
    /// Inputs whose value is not valid (also in `missing`): what is wrong, where it
    /// came from and the fix. The checklists that use one show it as their problem.
    pub invalid: BTreeMap<String, String>,
    /// Apply without asking (`--yes`).
    pub yes: bool,
    pub notice: Option<String>,
    pub size: (u16, u16),
    pub color: bool,
    pub quit: bool,
}

impl App {
    pub fn new(
        header: Header,
        lists: Vec<ListView>,
        shown: BTreeMap<String, String>,
        missing: BTreeSet<String>,
    ) -> Self {
        Self {
            header,
            lists,
            selected: 0,
            modal: None,
            job: None,
            queue: VecDeque::new(),
            background: false,
            running: None,
            transfers: Vec::new(),
            table: None,
            log: Vec::new(),
            log_scroll: 0,
            detail_scroll: 0,
            tick: 0,
            shown,
            missing,
            invalid: BTreeMap::new(),
            yes: false,
            notice: None,
            size: (80, 24),
            color: true,
            quit: false,
        }
    }

    /// Every selectable row, top to bottom.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for (l, list) in self.lists.iter().enumerate() {
            rows.push(Row::List(l));
            rows.extend(list.order.iter().map(|&s| Row::Step(l, s)));
        }
        rows
    }

    pub fn selected_row(&self) -> Row {
        self.rows().get(self.selected).copied().unwrap_or(Row::List(0))
    }

    pub fn list_index(&self, checklist: &str) -> Option<usize> {
        self.lists.iter().position(|l| l.checklist.id == checklist)
    }

    pub fn step_index(&self, checklist: &str, step: &str) -> Option<(usize, usize)> {
        let l = self.list_index(checklist)?;
        let s = self.lists[l].checklist.steps.iter().position(|x| x.id == step)?;
        Some((l, s))
    }

    pub fn log(&mut self, kind: LogKind, text: impl Into<String>) {
        self.log.push(LogLine { kind, text: text.into() });
        if self.log.len() > LOG_LIMIT {
            self.log.drain(..self.log.len() - LOG_LIMIT);
        }
    }
}
