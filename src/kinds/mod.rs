//! The action and probe kinds, one folder (or file) per service family, all
//! listed in `registry`. A kind is a `Params` (implementing `kind::KindParams`)
//! and an async fn over `crate::aws::exec::Exec`. Kinds import `kind` and the
//! AWS plumbing, never `registry`; `registry` imports the kinds.

pub mod bedrock;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod elb;
pub mod github;
pub mod http;
pub mod iam;
pub mod kind;
pub mod logs;
pub mod manual;
pub mod registry;
pub mod secrets;
pub mod undo;
