//! Everything that talks to AWS: the context, the call wrapper, and one module
//! per action/probe family, registered in `registry`.

pub mod bedrock;
pub mod bedrock_invoke;
pub mod context;
pub mod error;
pub mod exec;
pub mod github;
pub mod iam_allows;
pub mod iam_attach;
pub mod iam_oidc;
pub mod iam_policy;
pub mod iam_principal;
pub mod iam_read;
pub mod manual;
pub mod registry;
