//! The AWS plumbing every kind shares: the context (aws-config chain, STS
//! identity), the error classes, and `Exec`, through which every call goes.
//! The kinds themselves live in `crate::kinds`.

pub mod change;
pub mod context;
pub mod declared;
pub mod error;
pub mod exec;
pub mod later;
pub mod shared;
pub mod wire;
