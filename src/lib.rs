//! preflight: AWS deploy checklists as data, run step by step against AWS and
//! verified by probes.

pub mod aws;
pub mod cli;
pub mod engine;
pub mod policy;
pub mod runner;
pub mod tui;
