//! preflight: AWS deploy checklists as data, run step by step against AWS and
//! verified by probes.

pub mod aws;
pub mod cli;
pub mod engine;
pub mod front;
pub mod image;
pub mod kinds;
pub mod policy;
pub mod runner;
pub mod tui;

/// A boxed future that can cross threads: what kinds and front ends return.
pub type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
