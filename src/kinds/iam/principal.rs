//! `iam.ensure_principal` (action) and `iam.principal` (probe): the role
//! (trusted by the services its trust policy names) or user that runs the app.

use serde::Deserialize;
use serde_json::Value;

use super::read::{PrincipalKind, principal_arn};
use super::root_path;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Detail, Exec};
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;
use crate::policy::trust::{ServiceCaller, Trust, service_trust};
use crate::policy::{PolicyDocument, canonical};

/// What a plan remembers of a role it creates (see `Exec::remember`).
pub fn role_key(name: &str) -> String {
    format!("iam-role:{name}")
}

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
    /// For a probe of a principal another checklist makes: the `run` that
    /// makes it (`iam-policy --step runtime-principal`); else this step's.
    pub fixed_by: Option<String>,
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

/// A role and the trust policy it must have.
pub struct RoleSpec<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub description: Option<&'a str>,
    pub trust: &'a Value,
    /// Who the trust policy lets in, for the change's detail.
    pub who: &'a str,
}

/// Creates the role, or replaces its trust policy when it means something else
/// (the change carries the diff, so the operator sees it before consenting).
pub async fn ensure_role(x: &mut Exec, spec: &RoleSpec<'_>) -> Result<(), AwsError> {
    let arn = principal_arn(x, PrincipalKind::Role, spec.name);
    x.output("role_arn", &arn);
    let want = PolicyDocument::from_value(spec.trust).map_err(|e| AwsError::other(format!("trust policy: {e}")))?;
    let body = serde_json::to_string(spec.trust).expect("json");
    let iam = x.aws.iam().clone();
    let current = x
        .read_opt_shared(Op::new("iam", "GetRole", &arn), spec.name, iam.get_role().role_name(spec.name).send())
        .await?
        .and_then(|o| o.role);
    let Some(role) = current else {
        let call = iam
            .create_role()
            .role_name(spec.name)
            .path(spec.path)
            .assume_role_policy_document(&body)
            .set_description(spec.description.map(str::to_string))
            .set_tags(Some(super::tags(x)))
            .send();
        let detail = Detail::with_diff(format!("create the role, {}", spec.who), &Value::Null, spec.trust);
        x.change(Op::new("iam", "CreateRole", &arn), detail, call).await?;
        // In a plan: the steps after this one (read-access of secrets) plan against the role.
        x.remember(&role_key(spec.name), &crate::aws::exec::Later::Known(arn.clone()));
        return Ok(());
    };
    let raw = role.assume_role_policy_document().unwrap_or_default();
    let have = PolicyDocument::parse_url_encoded(raw);
    if have.as_ref().map(canonical).ok() == Some(canonical(&want)) {
        x.note(format!("role {} already has the desired trust policy", spec.name));
        return Ok(());
    }
    let before = have.map(|d| d.raw).unwrap_or_else(|_| Value::String(raw.to_string()));
    let detail = Detail::with_diff(format!("replace the trust policy: {}", spec.who), &before, spec.trust);
    x.change(
        Op::new("iam", "UpdateAssumeRolePolicy", &arn),
        detail,
        iam.update_assume_role_policy().role_name(spec.name).policy_document(&body).send(),
    )
    .await?;
    Ok(())
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let arn = principal_arn(x, kind, &p.principal_name);
    x.output("principal_arn", &arn);
    let iam = x.aws.iam().clone();
    match kind {
        PrincipalKind::Role => {
            let (json, _) = trust(x, &p)?.ok_or_else(|| AwsError::other("a role needs a `trust` policy asset"))?;
            let who = format!("trusted by {}", services(&json).join(", "));
            ensure_role(
                x,
                &RoleSpec {
                    name: &p.principal_name,
                    path: &p.path,
                    description: p.description.as_deref(),
                    trust: &json,
                    who: &who,
                },
            )
            .await?;
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
    let rerun = match &p.fixed_by {
        Some(by) => format!("preflight run {by}"),
        None => format!("preflight run {} --step {}", x.checklist, x.step),
    };
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
            .read_opt_shared(
                Op::new("iam", "GetRole", &arn),
                &p.principal_name,
                iam.get_role().role_name(&p.principal_name).send(),
            )
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
    let (mut refused, mut undecided, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    for service in services(&json) {
        let caller = ServiceCaller {
            service: &service,
            partition: x.aws.partition(),
            region: &x.aws.region,
            account: &x.aws.account_id,
        };
        match service_trust(&have, &caller) {
            Trust::Trusted { notes: n } => notes.extend(n),
            Trust::Refused(r) => refused.extend(r),
            Trust::Undecided(u) => undecided.extend(u),
        }
    }
    let who = services(&json).join(", ");
    let asset = p.trust.as_deref().unwrap_or("");
    if !refused.is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "role {} exists but its trust policy is wrong: {}",
                p.principal_name,
                refused.into_iter().chain(undecided).collect::<Vec<_>>().join("; ")
            ),
        )
        .with_fix(format!("replace the trust policy with {asset}: {rerun}")));
    }
    if !undecided.is_empty() {
        // Not a pass: a person must check it, or make it checkable.
        return Ok(ProbeResult::new(
            &id,
            Status::Manual,
            format!(
                "role {} exists, but preflight cannot decide whether its trust policy lets {who} assume it for this account {}: {}",
                p.principal_name,
                x.aws.account_id,
                undecided.join("; ")
            ),
        )
        .with_fix(format!(
            "if those conditions hold for this account, the role works, but preflight cannot check it; to make it checkable, guard the trust with aws:SourceAccount instead, as {asset} does:\naws iam update-assume-role-policy --role-name {} --policy-document '{}'",
            p.principal_name,
            serde_json::to_string(&json).expect("json")
        )));
    }
    let narrowed = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
    Ok(ProbeResult::new(&id, Status::Pass, format!("role {} exists and trusts {who}{narrowed}", p.principal_name)))
}

/// The calls of [`ensure_role`]: the role read, created, or given the trust policy.
pub fn role_calls(x: &Exec, name: &str) -> Vec<Op> {
    let arn = principal_arn(x, PrincipalKind::Role, name);
    ["GetRole", "CreateRole", "UpdateAssumeRolePolicy"].iter().map(|op| Op::new("iam", op, &arn)).collect()
}

/// The calls of [`ensure`].
pub fn ensure_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(match PrincipalKind::parse(&p.principal_kind)? {
        PrincipalKind::Role => role_calls(x, &p.principal_name),
        PrincipalKind::User => {
            let arn = principal_arn(x, PrincipalKind::User, &p.principal_name);
            vec![Op::new("iam", "GetUser", &arn), Op::new("iam", "CreateUser", &arn)]
        }
    })
}

/// The calls of [`probe`]: the role (with its trust policy) or the user.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let kind = PrincipalKind::parse(&p.principal_kind)?;
    let op = match kind {
        PrincipalKind::Role => "GetRole",
        PrincipalKind::User => "GetUser",
    };
    Ok(vec![Op::new("iam", op, principal_arn(x, kind, &p.principal_name))])
}
