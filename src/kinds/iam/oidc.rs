//! GitHub Actions OIDC: `iam.ensure_oidc_provider` / `iam.oidc_provider` (the
//! account's identity provider for token.actions.githubusercontent.com) and
//! `iam.ensure_oidc_role` / `iam.oidc_trust` (the deploy role that exactly one
//! repository and ref may assume).

use serde::Deserialize;
use serde_json::Value;

use super::principal::{RoleSpec, ensure_role, role_calls};
use super::read::{PrincipalKind, principal_arn};
use super::root_path;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;
use crate::policy::PolicyDocument;
use crate::policy::oidc::{Expected, fix, lint};

/// GitHub's intermediate CA thumbprint (seed 000 §9.6). Since July 2023 AWS
/// validates token.actions.githubusercontent.com against its own trusted CAs and
/// ignores thumbprints for it; this is sent only if the API insists on one.
const GITHUB_THUMBPRINT: &str = "6938fd4d98bab03faadb97b34396831e3780aea1";

fn github_host() -> String {
    "token.actions.githubusercontent.com".into()
}

fn sts_audience() -> String {
    "sts.amazonaws.com".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderParams {
    #[serde(default = "github_host")]
    pub host: String,
    #[serde(default = "sts_audience")]
    pub client_id: String,
}

impl KindParams for ProviderParams {}

fn provider_arn(x: &Exec, host: &str) -> String {
    format!("arn:{}:iam::{}:oidc-provider/{host}", x.aws.partition(), x.aws.account_id)
}

/// The provider's client ids, if the account has a provider for `host`.
async fn provider(x: &Exec, host: &str) -> Result<Option<(String, Vec<String>)>, AwsError> {
    let iam = x.aws.iam();
    let list =
        x.read(Op::new("iam", "ListOpenIDConnectProviders", ""), iam.list_open_id_connect_providers().send()).await?;
    let suffix = format!(":oidc-provider/{host}");
    let Some(arn) = list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .find(|a| a.ends_with(&suffix))
        .map(str::to_string)
    else {
        return Ok(None);
    };
    let got = x
        .read(
            Op::new("iam", "GetOpenIDConnectProvider", &arn),
            iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send(),
        )
        .await?;
    Ok(Some((arn, got.client_id_list().to_vec())))
}

pub async fn ensure_provider(x: &mut Exec, p: ProviderParams) -> Result<(), AwsError> {
    let iam = x.aws.iam().clone();
    let url = format!("https://{}", p.host);
    match provider(x, &p.host).await? {
        Some((arn, clients)) => {
            x.output("provider_arn", &arn);
            if clients.contains(&p.client_id) {
                x.note(format!("the account already has the provider {url} with client id {}", p.client_id));
                return Ok(());
            }
            let call = iam
                .add_client_id_to_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .client_id(&p.client_id)
                .send();
            x.change(
                Op::new("iam", "AddClientIDToOpenIDConnectProvider", &arn),
                format!("add the client id {} to the existing provider (adopted, not duplicated)", p.client_id),
                call,
            )
            .await?;
        }
        None => {
            let arn = provider_arn(x, &p.host);
            x.output("provider_arn", &arn);
            let call = iam
                .create_open_id_connect_provider()
                .url(&url)
                .client_id_list(&p.client_id)
                .set_tags(Some(super::tags(x)))
                .send();
            let detail = format!(
                "create the provider {url} for client id {} (no thumbprint: AWS checks GitHub's certificate against its trusted CAs; an endpoint that still requires one is asked once more with GitHub's)",
                p.client_id
            );
            match x.change(Op::new("iam", "CreateOpenIDConnectProvider", &arn), detail, call).await {
                Err(e)
                    if e.code.as_deref() == Some("ValidationError")
                        && e.message.to_lowercase().contains("thumbprint") =>
                {
                    let call = iam
                        .create_open_id_connect_provider()
                        .url(&url)
                        .client_id_list(&p.client_id)
                        .thumbprint_list(GITHUB_THUMBPRINT)
                        .set_tags(Some(super::tags(x)))
                        .send();
                    let detail =
                        format!("create the provider {url} with GitHub's thumbprint: this endpoint still requires one");
                    x.change(Op::new("iam", "CreateOpenIDConnectProvider", &arn), detail, call).await?;
                }
                other => {
                    other?;
                }
            }
        }
    }
    Ok(())
}

pub async fn probe_provider(x: &mut Exec, id: String, p: ProviderParams) -> Result<ProbeResult, AwsError> {
    let rerun = format!("preflight run {} --step {}", x.checklist, x.step);
    let Some((arn, clients)) = provider(x, &p.host).await? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "the account has no OIDC provider for https://{}: GitHub Actions cannot get AWS credentials",
                p.host
            ),
        )
        .with_fix(format!("create it: {rerun}")));
    };
    x.output("provider_arn", &arn);
    if !clients.contains(&p.client_id) {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("the provider https://{} lacks the client id {} (it has {clients:?}): tokens for AWS are rejected", p.host, p.client_id))
            .with_fix(format!("{rerun}\nor: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {arn} --client-id {}", p.client_id)));
    }
    Ok(ProbeResult::new(&id, Status::Pass, format!("provider https://{} accepts client id {}", p.host, p.client_id)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleParams {
    pub role_name: String,
    /// `OWNER/NAME`, case as on GitHub.
    pub repository: String,
    /// `refs/heads/main`, `refs/tags/v1`, or `environment:NAME`.
    pub git_ref: String,
    #[serde(default = "github_host")]
    pub host: String,
    #[serde(default = "sts_audience")]
    pub audience: String,
    #[serde(default = "root_path")]
    pub path: String,
    pub description: Option<String>,
}

impl KindParams for RoleParams {}

impl RoleParams {
    /// The `sub` claim GitHub puts in the token for this repository and ref.
    pub fn subject(&self) -> String {
        if self.git_ref.starts_with("environment:") {
            format!("repo:{}:{}", self.repository, self.git_ref)
        } else {
            format!("repo:{}:ref:{}", self.repository, self.git_ref)
        }
    }

    fn expected(&self, x: &Exec) -> Expected {
        Expected {
            provider_arn: provider_arn(x, &self.host),
            host: self.host.clone(),
            audience: self.audience.clone(),
            subject: self.subject(),
        }
    }
}

pub async fn ensure_role_for(x: &mut Exec, p: RoleParams) -> Result<(), AwsError> {
    let expected = p.expected(x);
    let trust = expected.document();
    let who = format!("assumable only by GitHub Actions runs of {}", expected.subject);
    ensure_role(
        x,
        &RoleSpec {
            name: &p.role_name,
            path: &p.path,
            description: p.description.as_deref(),
            trust: &trust,
            who: &who,
        },
    )
    .await
}

pub async fn probe_trust(x: &mut Exec, id: String, p: RoleParams) -> Result<ProbeResult, AwsError> {
    let expected = p.expected(x);
    let rerun = format!("preflight run {} --step {}", x.checklist, x.step);
    let arn = principal_arn(x, PrincipalKind::Role, &p.role_name);
    let iam = x.aws.iam().clone();
    let Some(role) = x
        .read_opt_shared(Op::new("iam", "GetRole", &arn), &p.role_name, iam.get_role().role_name(&p.role_name).send())
        .await?
        .and_then(|o| o.role)
    else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("role {} does not exist", p.role_name))
            .with_fix(format!("create it: {rerun}")));
    };
    x.output("role_arn", role.arn());
    // IAM returns the trust policy URL-encoded; moto, unlike IAM, accepts anything as a trust policy.
    let raw = role.assume_role_policy_document().unwrap_or_default();
    let problems = match PolicyDocument::parse_url_encoded(raw) {
        Ok(doc) => lint(&doc, &expected),
        Err(e) => vec![format!("the trust policy cannot be read: {e}")],
    };
    if problems.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!(
                "role {} trusts only {} (aud {}) through {}",
                p.role_name, expected.subject, expected.audience, expected.host
            ),
        ));
    }
    let statement = serde_json::to_string_pretty(&Value::Object(fix(&expected))).expect("json");
    Ok(ProbeResult::new(&id, Status::Fail, format!("the trust policy of role {} is wrong: {}", p.role_name, problems.join("; "))).with_fix(format!("{rerun} (shows the diff and asks before replacing it)\nor make this the trust policy's only statement:\n{statement}")))
}

/// The calls of [`provider`]: the account's providers, then the one for the host.
fn provider_reads(x: &Exec, host: &str) -> Vec<Op> {
    vec![
        Op::new("iam", "ListOpenIDConnectProviders", ""),
        Op::new("iam", "GetOpenIDConnectProvider", provider_arn(x, host)),
    ]
}

/// The calls of [`ensure_provider`]: adopted (a client id added) or created.
pub fn ensure_provider_calls(x: &Exec, p: &ProviderParams) -> Result<Vec<Op>, AwsError> {
    let arn = provider_arn(x, &p.host);
    let mut out = provider_reads(x, &p.host);
    out.push(Op::new("iam", "AddClientIDToOpenIDConnectProvider", &arn));
    out.push(Op::new("iam", "CreateOpenIDConnectProvider", &arn));
    Ok(out)
}

/// The calls of [`probe_provider`].
pub fn probe_provider_calls(x: &Exec, p: &ProviderParams) -> Result<Vec<Op>, AwsError> {
    Ok(provider_reads(x, &p.host))
}

/// The calls of [`ensure_role_for`].
pub fn ensure_role_for_calls(x: &Exec, p: &RoleParams) -> Result<Vec<Op>, AwsError> {
    Ok(role_calls(x, &p.role_name))
}

/// The calls of [`probe_trust`]: the role and its trust policy.
pub fn probe_trust_calls(x: &Exec, p: &RoleParams) -> Result<Vec<Op>, AwsError> {
    Ok(vec![Op::new("iam", "GetRole", principal_arn(x, PrincipalKind::Role, &p.role_name))])
}
