//! IAM policy documents and their local evaluation. Pure: no AWS calls.

pub mod actions;
pub mod condition;
pub mod document;
pub mod eval;
pub mod generate;
pub mod intersect;
pub mod oidc;
pub mod pattern;
pub mod resources;
pub mod trust;
pub mod variables;

pub use document::{PolicyDocument, canonical, url_decode};
pub use eval::{Principal, Requirement, Source, Verdict, beyond, fix_document, requirements, summarize};
pub use variables::Variables;
