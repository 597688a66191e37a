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

/// preflight's tags (`Exec::tags`) as IAM takes them.
pub fn tags(x: &crate::aws::exec::Exec) -> Vec<aws_sdk_iam::types::Tag> {
    x.tags().into_iter().filter_map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().ok()).collect()
}

/// The default IAM path of roles, users and policies.
pub fn root_path() -> String {
    "/".into()
}
