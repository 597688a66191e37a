//! What a checklist is, once loaded and validated.

/// Names every template may use besides the inputs: they come from the live AWS context.
pub const CONTEXT_NAMES: [&str; 2] = ["account_id", "region"];

#[derive(Debug, Clone)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Where it comes in the deploy: checklists are listed by it, then by id.
    pub order: u32,
    /// The file it was loaded from, for messages.
    pub file: String,
    /// The declared inputs its steps and assets use (with the inputs their
    /// defaults use), in the catalog's order.
    pub inputs: Vec<InputDef>,
    pub steps: Vec<Step>,
}

/// Everything the library declares: the input catalog and the checklists.
#[derive(Debug, Clone, Default)]
pub struct Checklists {
    /// Every input, declared once for all checklists, in the catalog's order.
    pub inputs: Vec<InputDef>,
    pub all: Vec<Checklist>,
}

impl Checklists {
    pub fn get(&self, id: &str) -> Option<&Checklist> {
        self.all.iter().find(|c| c.id == id)
    }

    pub fn input(&self, name: &str) -> Option<&InputDef> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The ids of the checklists that use an input.
    pub fn users(&self, input: &str) -> Vec<&str> {
        self.all.iter().filter(|c| c.input(input).is_some()).map(|c| c.id.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    Text,
    Number {
        min: Option<i64>,
        max: Option<i64>,
    },
    Choice(Vec<String>),
    Secret,
    /// Comma-separated values.
    List,
}

#[derive(Debug, Clone)]
pub struct InputDef {
    pub name: String,
    pub prompt: String,
    /// A hint shown with the prompt.
    pub help: Option<String>,
    /// What a valid value must be ("must be …"): the message when a value
    /// does not match `pattern` (required with a pattern).
    pub rule: Option<String>,
    pub kind: InputKind,
    pub required: bool,
    /// May template other inputs and the context names.
    pub default: Option<String>,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    /// Where the value is read from instead of the profile or a prompt (the
    /// inputs `engine::expand` makes for `env:` and `file:` sources).
    pub from: Option<ValueFrom>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueFrom {
    Env(String),
    File(String),
}

/// The fields of a list entry a repeated step's templates may use as `{{each.FIELD}}`.
pub const EACH_FIELDS: [&str; 3] = ["name", "kms_key_id", "type"];

/// An action or probe: a registered kind and its parameters (strings may be templates).
#[derive(Debug, Clone)]
pub struct Call {
    pub kind: String,
    pub params: toml::Table,
    /// Asset paths the parameters refer to.
    pub assets: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ProbeDef {
    pub id: String,
    pub call: Call,
    /// A fact the step's action cannot repair (an image, a secret, a subnet
    /// someone else makes): checked before a run's first change.
    pub precondition: bool,
    /// A later step of the checklist whose action repairs what this probe
    /// finds (a service moved to other groups is moved back by `service`): a
    /// run leaves it to that step instead of stopping here.
    pub repaired_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub explain: String,
    /// Steps this one stands on: of its checklist (`STEP`), or of another
    /// (`CHECKLIST/STEP`), judged by their probes on the account.
    pub needs: Vec<String>,
    /// None for a manual step: the operator does it, the probes verify it.
    pub action: Option<Call>,
    pub probes: Vec<ProbeDef>,
    /// A profile list (`secrets`, `parameters`): the step is repeated, one
    /// instance per entry (`ID:NAME`), by `engine::expand`.
    pub for_each: Option<String>,
}

/// A need naming a step of another checklist: (checklist, step). Ids have no
/// `/` or `:`, so a repeated step's instance of this checklist
/// (`parameter:/acme/brands`) is told apart by the `:` before its first `/`.
pub fn foreign(need: &str) -> Option<(&str, &str)> {
    need.split_once('/').filter(|(checklist, _)| !checklist.contains(':'))
}

impl Checklist {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn input(&self, name: &str) -> Option<&InputDef> {
        self.inputs.iter().find(|i| i.name == name)
    }
}

/// Where action and probe kinds are registered; the loader asks it to check
/// every kind and its parameters. Implemented by `kinds::registry`.
pub trait Catalog {
    /// Ok with the asset paths the parameters refer to, or why they are wrong.
    fn check(&self, role: Role, kind: &str, params: &toml::Table) -> Result<Vec<String>, KindError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Action,
    Probe,
}

#[derive(Debug, Clone, PartialEq)]
pub enum KindError {
    Unknown { known: Vec<&'static str> },
    Params(String),
}
