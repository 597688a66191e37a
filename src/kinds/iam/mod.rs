//! IAM kinds: customer-managed policies, roles and users, attachments, the
//! effective-permission probes, and the GitHub OIDC provider and deploy role.
//! `read` holds the reads they share.

pub mod allows;
pub mod attach;
pub mod execution;
pub mod oidc;
pub mod policies;
pub mod policy;
pub mod principal;
pub mod read;
pub mod undo;

/// The default IAM path of roles, users and policies.
pub fn root_path() -> String {
    "/".into()
}
