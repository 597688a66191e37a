//! `iam.ensure_principal` (action) and `iam.principal` (probe): the role
//! (trusted by the services its trust policy names) or user that runs the app.

use serde::Deserialize;
use serde_json::Value;

use super::error::{AwsError, Op};
use super::exec::{Detail, Exec};
use super::iam_read::{PrincipalKind, principal_arn};
use super::registry::{KindParams, root_path};
use crate::engine::outcome::{ProbeResult, Status};
use crate::policy::trust::trusts_service;
use crate::policy::{PolicyDocument, canonical};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `role` or `user` (usually a template of an input).
    pub principal_kind: String,
    pub principal_name: String,
    /// Asset path of the trust policy; used when the principal is a role.
    pub trust: Option<String>,
    #[serde(default = "root_path")]
    pub path: String,
    pub description: Option<String>,
}

impl KindParams for Params {
    fn assets(&self) -> Vec<String> {
        self.trust.iter().cloned().collect()
    }
}

fn trust(x: &Exec, p: &Params) -> Result<Option<(Value, PolicyDocument)>, AwsError> {
    let Some(path) = &p.trust else {
        return Ok(None);
    };
    let json = x.asset_json(path)?;
    let doc = PolicyDocument::from_value(&json).map_err(|e| AwsError::other(format!("asset {path}: {e}")))?;
    Ok(Some((json, doc)))
}

/// The service principals a trust document lets assume the role.
fn services(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let statements = match doc.get("Statement") {
        Some(Value::Array(s)) => s.clone(),
        Some(s) => vec![s.clone()],
        None => Vec::new(),
    };
    for st in statements.iter().filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow")) {
        match st.pointer("/Principal/Service") {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
            _ => {}
        }
    }
    out
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let arn = principal_arn(x, kind, &p.principal_name);
    x.output("principal_arn", &arn);
    let iam = x.aws.iam().clone();
    match kind {
        PrincipalKind::Role => {
            let (json, want) = trust(x, &p)?.ok_or_else(|| AwsError::other("a role needs a `trust` policy asset"))?;
            let body = serde_json::to_string(&json).expect("json");
            let current = x
                .read_opt(Op::new("iam", "GetRole", &arn), iam.get_role().role_name(&p.principal_name).send())
                .await?
                .and_then(|o| o.role);
            match current {
                None => {
                    let call = iam
                        .create_role()
                        .role_name(&p.principal_name)
                        .path(&p.path)
                        .assume_role_policy_document(&body)
                        .set_description(p.description.clone())
                        .send();
                    let detail = Detail::with_diff(
                        format!("create the role, trusted by {}", services(&json).join(", ")),
                        &Value::Null,
                        &json,
                    );
                    x.change(Op::new("iam", "CreateRole", &arn), detail, call).await?;
                }
                Some(role) => {
                    let have =
                        PolicyDocument::parse_url_encoded(role.assume_role_policy_document().unwrap_or_default());
                    if have.as_ref().map(canonical).ok() == Some(canonical(&want)) {
                        x.note(format!("role {} already has the desired trust policy", p.principal_name));
                    } else {
                        let before = have.map(|d| d.raw).unwrap_or_else(|_| {
                            Value::String(role.assume_role_policy_document().unwrap_or_default().to_string())
                        });
                        let detail = Detail::with_diff(
                            format!(
                                "replace the trust policy with {} (trusted: {})",
                                p.trust.as_deref().unwrap_or(""),
                                services(&json).join(", ")
                            ),
                            &before,
                            &json,
                        );
                        x.change(
                            Op::new("iam", "UpdateAssumeRolePolicy", &arn),
                            detail,
                            iam.update_assume_role_policy().role_name(&p.principal_name).policy_document(&body).send(),
                        )
                        .await?;
                    }
                }
            }
        }
        PrincipalKind::User => {
            let exists = x
                .read_opt(Op::new("iam", "GetUser", &arn), iam.get_user().user_name(&p.principal_name).send())
                .await?
                .is_some();
            if exists {
                x.note(format!("user {} already exists", p.principal_name));
            } else {
                x.change(
                    Op::new("iam", "CreateUser", &arn),
                    "create the user",
                    iam.create_user().user_name(&p.principal_name).path(&p.path).send(),
                )
                .await?;
            }
        }
    }
    Ok(())
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let arn = principal_arn(x, kind, &p.principal_name);
    let rerun = format!("preflight run {} --step {}", x.checklist, x.step);
    let iam = x.aws.iam().clone();
    let role = match kind {
        PrincipalKind::User => {
            return Ok(
                match x
                    .read_opt(Op::new("iam", "GetUser", &arn), iam.get_user().user_name(&p.principal_name).send())
                    .await?
                {
                    Some(_) => {
                        x.output("principal_arn", &arn);
                        ProbeResult::new(&id, Status::Pass, format!("user {} exists", p.principal_name))
                    }
                    None => ProbeResult::new(&id, Status::Fail, format!("user {} does not exist", p.principal_name))
                        .with_fix(format!("create it: {rerun}")),
                },
            );
        }
        PrincipalKind::Role => x
            .read_opt(Op::new("iam", "GetRole", &arn), iam.get_role().role_name(&p.principal_name).send())
            .await?
            .and_then(|o| o.role),
    };
    let Some(role) = role else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("role {} does not exist", p.principal_name))
            .with_fix(format!("create it: {rerun}")));
    };
    x.output("principal_arn", role.arn());
    let Some((json, _)) = trust(x, &p)? else {
        return Ok(ProbeResult::new(&id, Status::Pass, format!("role {} exists", p.principal_name)));
    };
    let have = match PolicyDocument::parse_url_encoded(role.assume_role_policy_document().unwrap_or_default()) {
        Ok(doc) => doc,
        Err(e) => {
            return Ok(ProbeResult::new(
                &id,
                Status::Fail,
                format!("the trust policy of role {} cannot be read: {e}", p.principal_name),
            )
            .with_fix(format!("replace it: {rerun}")));
        }
    };
    let problems: Vec<String> = services(&json).iter().filter_map(|s| trusts_service(&have, s).err()).collect();
    if problems.is_empty() {
        Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("role {} exists and trusts {}", p.principal_name, services(&json).join(", ")),
        ))
    } else {
        Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("role {} exists but its trust policy is wrong: {}", p.principal_name, problems.join("; ")),
        )
        .with_fix(format!("replace the trust policy with {}: {rerun}", p.trust.as_deref().unwrap_or(""))))
    }
}
