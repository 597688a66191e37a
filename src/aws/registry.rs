//! The one table of action and probe kinds. The loader checks checklist files
//! against it; the runner dispatches through it.

use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;

use super::error::AwsError;
use super::exec::Exec;
use super::{bedrock, bedrock_invoke, github, iam_allows, iam_attach, iam_oidc, iam_policy, iam_principal, manual};
use crate::engine::model::{Catalog, KindError, Role};
use crate::engine::outcome::ProbeResult;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The typed parameters of a kind.
pub trait KindParams: DeserializeOwned {
    /// Asset paths the parameters refer to (checked by the loader).
    fn assets(&self) -> Vec<String> {
        Vec::new()
    }
    /// Rules across fields that types cannot say.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

pub enum Run {
    Action(fn(&mut Exec, toml::Table) -> BoxFut<'_, Result<(), AwsError>>),
    Probe(fn(&mut Exec, String, toml::Table) -> BoxFut<'_, Result<ProbeResult, AwsError>>),
}

pub struct Kind {
    pub name: &'static str,
    pub summary: &'static str,
    pub check: fn(&toml::Table) -> Result<Vec<String>, String>,
    pub run: Run,
}

/// The default IAM path of roles, users and policies.
pub fn root_path() -> String {
    "/".into()
}

pub fn parse<P: KindParams>(table: &toml::Table) -> Result<P, String> {
    let p: P = toml::Value::Table(table.clone()).try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
    p.validate()?;
    Ok(p)
}

fn check<P: KindParams>(table: &toml::Table) -> Result<Vec<String>, String> {
    parse::<P>(table).map(|p| p.assets())
}

macro_rules! action {
    ($name:literal, $summary:literal, $module:ident :: $func:ident) => {
        action!($name, $summary, $module::$func, $module::Params)
    };
    ($name:literal, $summary:literal, $module:ident :: $func:ident, $params:ty) => {{
        fn run(x: &mut Exec, t: toml::Table) -> BoxFut<'_, Result<(), AwsError>> {
            Box::pin(async move { $module::$func(x, parse::<$params>(&t).map_err(AwsError::other)?).await })
        }
        Kind { name: $name, summary: $summary, check: check::<$params>, run: Run::Action(run) }
    }};
}

macro_rules! probe {
    ($name:literal, $summary:literal, $module:ident :: $func:ident) => {
        probe!($name, $summary, $module::$func, $module::Params)
    };
    ($name:literal, $summary:literal, $module:ident :: $func:ident, $params:ty) => {{
        fn run(x: &mut Exec, id: String, t: toml::Table) -> BoxFut<'_, Result<ProbeResult, AwsError>> {
            Box::pin(async move { $module::$func(x, id, parse::<$params>(&t).map_err(AwsError::other)?).await })
        }
        Kind { name: $name, summary: $summary, check: check::<$params>, run: Run::Probe(run) }
    }};
}

pub static KINDS: &[Kind] = &[
    action!(
        "iam.ensure_policy",
        "customer-managed policy with the asset's document (new default version when it differs, oldest pruned at 5)",
        iam_policy::ensure
    ),
    action!("iam.ensure_principal", "IAM role (with its trust policy) or user", iam_principal::ensure),
    action!("iam.attach_policy", "managed policy attached to a role or user", iam_attach::ensure),
    action!(
        "iam.ensure_attached_policy",
        "customer-managed policy from an asset, attached to a role or user",
        iam_attach::ensure_with_policy,
        iam_attach::PolicyParams
    ),
    action!(
        "iam.ensure_oidc_provider",
        "the account's OIDC identity provider (adopted when present; client id added when missing)",
        iam_oidc::ensure_provider,
        iam_oidc::ProviderParams
    ),
    action!(
        "iam.ensure_oidc_role",
        "a role only one GitHub repository and ref may assume through OIDC",
        iam_oidc::ensure_role_for,
        iam_oidc::RoleParams
    ),
    probe!("iam.policy_grants", "the managed policy grants exactly the asset's permissions", iam_policy::grants),
    probe!("iam.principal", "the role or user exists and the role trusts the asset's services", iam_principal::probe),
    probe!(
        "iam.allows",
        "every required permission is effective for the principal (local evaluation; --deep adds IAM's simulator)",
        iam_allows::probe
    ),
    action!(
        "bedrock.ensure_use_case",
        "Anthropic's use-case form for the account, submitted once",
        bedrock::ensure_use_case,
        bedrock::UseCaseParams
    ),
    action!(
        "bedrock.ensure_agreement",
        "the model's agreement, from its offer",
        bedrock::ensure_agreement,
        bedrock::AgreementParams
    ),
    probe!(
        "iam.caller_allows",
        "the caller (whoever runs preflight) holds the required permissions; manual when its policies cannot be read",
        iam_allows::probe_caller,
        iam_allows::CallerParams
    ),
    probe!(
        "bedrock.model",
        "the model exists and is ACTIVE in the region for on-demand use (else: where it is, or which inference profile)",
        bedrock::probe_model,
        bedrock::ModelParams
    ),
    probe!(
        "bedrock.availability",
        "authorization, entitlement, agreement and region availability, re-checked while access propagates",
        bedrock::probe_availability,
        bedrock::AvailabilityParams
    ),
    probe!(
        "bedrock.use_case",
        "Anthropic's use-case form was submitted",
        bedrock::probe_use_case,
        bedrock::UseCaseCheck
    ),
    probe!("bedrock.invoke", "one Converse call with maxTokens 1 (opt-in: --invoke)", bedrock_invoke::probe),
    probe!(
        "iam.oidc_provider",
        "the OIDC provider exists and accepts the client id",
        iam_oidc::probe_provider,
        iam_oidc::ProviderParams
    ),
    probe!(
        "iam.oidc_trust",
        "the role's trust policy admits exactly the configured repository and ref, with the right audience",
        iam_oidc::probe_trust,
        iam_oidc::RoleParams
    ),
    probe!("github.secret", "a GitHub Actions secret exists (gh CLI; manual without it)", github::probe),
    probe!("manual.confirm", "a check only a person can make, settled by `preflight confirm`", manual::probe),
];

pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

pub struct Registry;

impl Catalog for Registry {
    fn check(&self, role: Role, kind: &str, params: &toml::Table) -> Result<Vec<String>, KindError> {
        let same_role =
            |k: &&Kind| matches!((&k.run, role), (Run::Action(_), Role::Action) | (Run::Probe(_), Role::Probe));
        let Some(k) = KINDS.iter().filter(same_role).find(|k| k.name == kind) else {
            return Err(KindError::Unknown { known: KINDS.iter().filter(same_role).map(|k| k.name).collect() });
        };
        (k.check)(params).map_err(KindError::Params)
    }
}
