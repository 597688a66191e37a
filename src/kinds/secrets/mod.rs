//! Secrets and parameters of the profile's lists: `secret` (Secrets
//! Manager), `parameter` (SSM Parameter Store), `access` (the roles that must
//! read them, judged by evaluating their policies). Values are handed over by
//! the runner as rendered inputs and never leave memory.

pub mod access;
pub mod facts;
pub mod parameter;
pub mod secret;
pub mod undo;

use std::collections::BTreeMap;

use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;

use crate::aws::error::AwsError;
use crate::kinds::kind::KindParams;

/// An action on one entry of a profile list (a repeated step's instance).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryParams {
    pub entry: toml::Table,
    /// By key: the values the sources provided (rendered at run time).
    #[serde(default)]
    pub values: toml::Table,
}

impl KindParams for EntryParams {}

/// A probe of one entry of a profile list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryCheck {
    pub entry: toml::Table,
}

impl KindParams for EntryCheck {}

/// The values an action was given (`values`: key → text).
pub(crate) fn values(table: &toml::Table) -> Result<BTreeMap<String, String>, AwsError> {
    table
        .iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(AwsError::other(format!("the value for {k} is not text"))),
        })
        .collect()
}

/// A new random value: `hex32` (32 bytes as hex, like Python's secrets.token_hex(32)) or
/// `base64-48` (48 bytes as base64), from the operating system's generator.
pub(crate) fn generate(kind: &str) -> Result<String, AwsError> {
    let rng = SystemRandom::new();
    let mut bytes = vec![0u8; if kind == "hex32" { 32 } else { 48 }];
    rng.fill(&mut bytes).map_err(|_| AwsError::other("the system's random generator failed"))?;
    Ok(match kind {
        "hex32" => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        "base64-48" => aws_smithy_types::base64::encode(&bytes),
        other => return Err(AwsError::other(format!("unknown generator {other}"))),
    })
}
