//! What `preflight init` reads in an application's repository: the project's
//! name, its GitHub repository, the container's port and health path, its
//! variables (secret or plain), and which checklists apply. Each finding says
//! where it came from, for the comment beside it in the profile it writes.
//! Reads files only (never `.env`, which holds values); no AWS, no terminal.

mod detect;
mod write;

pub use detect::{detect, github_repository, project_name};
pub use write::profile_text;

/// A value found, and where (`Dockerfile:4`, `the folder's name`).
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    pub value: T,
    pub from: String,
}

/// A variable of the application's example environment file.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    /// The example's value (never a real one: it is read from `.env.example` and the like).
    pub example: String,
    /// Its name or its example looks like a secret (KEY, TOKEN, a URL with credentials…).
    pub secret: bool,
    pub from: String,
}

/// A checklist that applies to this repository, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Applies {
    pub checklist: String,
    pub why: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    pub project: Option<Found<String>>,
    pub github_repository: Option<Found<String>>,
    pub container_port: Option<Found<String>>,
    pub health_path: Option<Found<String>>,
    /// `FROM --platform=…` of the Dockerfile.
    pub platform: Option<Found<String>>,
    pub variables: Vec<Variable>,
    pub checklists: Vec<Applies>,
}
