//! What every front end shares (the CLI's commands, the wizard, `up`,
//! `report`): the global options, setting up a session (profile, inputs, AWS
//! context), prompts, and the wording of outcomes. Front ends import this; none
//! imports another.

pub mod consent;
pub mod destroy;
pub mod options;
pub mod prompt;
pub mod report;
pub mod session;
pub mod setup;
pub mod words;
