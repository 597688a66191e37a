//! The pure core: checklist model and loader, dependency order, input
//! resolution, the step state machine and its persisted state.
//! No AWS, no async runtime, no terminal in here.

pub mod expand;
pub mod init;
pub mod inputs;
pub mod library;
pub mod limits;
pub mod loader;
pub mod model;
pub mod order;
pub mod outcome;
pub mod owned;
pub mod profile;
pub mod render;
pub mod state;
pub mod store;
pub mod suggest;
pub mod template;
pub mod text;
pub mod usage;
pub mod workflow;
