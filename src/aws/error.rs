//! AWS failures, sorted into what the operator can act on: AWS unreachable or
//! no credentials (exit 3), access denied (names the action and the statement
//! that would allow it), not found (usually a finding, not an error), other.

use std::fmt;

use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::policy::actions::{Call, Need, needs};

/// One AWS API operation on one resource, as IAM names it (`iam:CreatePolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub service: &'static str,
    pub operation: &'static str,
    pub resource: String,
    /// Roles the call hands to the service (iam:PassRole).
    pub roles: Vec<String>,
    /// The customer-managed KMS key the call encrypts or decrypts with.
    pub key: Option<String>,
    /// The call tags what it creates.
    pub tags: bool,
    /// The key was read from the account (the key a secret really uses), not
    /// known from the profile: no static declaration can name it.
    pub key_found: bool,
}

/// A key the customer manages (not empty, not an AWS managed key's `alias/aws/…`).
fn customer_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with("alias/aws/") && !key.contains(":alias/aws/")
}

/// The tags preflight puts on what it makes (`Exec::tags`): the project, and the checklist.
pub const TAG_PROJECT: &str = "preflight:project";
pub const TAG_CHECKLIST: &str = "preflight:checklist";

/// The calls that make something preflight tags (`Exec::tags`: its project and
/// checklist), so that the account says what preflight made. An [`Op`] of one of
/// them needs the tagging permission too (`policy::actions`).
pub const TAGGED_CREATES: &[(&str, &str)] = &[
    ("iam", "CreateRole"),
    ("iam", "CreatePolicy"),
    ("iam", "CreateOpenIDConnectProvider"),
    ("ecr", "CreateRepository"),
    ("secretsmanager", "CreateSecret"),
    ("ssm", "PutParameter"),
    ("ecs", "CreateCluster"),
    ("ecs", "RegisterTaskDefinition"),
    ("ecs", "CreateService"),
    ("logs", "CreateLogGroup"),
    ("ec2", "CreateSecurityGroup"),
    ("elasticloadbalancing", "CreateLoadBalancer"),
    // Not CreateTargetGroup: tagging it needs elasticloadbalancing:AddTags on the target group,
    // which the Service Authorization Reference data the tests check against does not list
    // (it keeps Classic's AddTags, on load balancers only); its name and the audit log say it is preflight's.
];

impl Op {
    pub fn new(service: &'static str, operation: &'static str, resource: impl Into<String>) -> Self {
        Self {
            service,
            operation,
            resource: resource.into(),
            roles: Vec::new(),
            key: None,
            tags: TAGGED_CREATES.contains(&(service, operation)),
            key_found: false,
        }
    }
    pub fn action(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
    /// The call hands these roles to the service.
    pub fn passing(mut self, roles: impl IntoIterator<Item = String>) -> Self {
        self.roles.extend(roles);
        self
    }
    /// The call uses this customer-managed KMS key (None or an AWS-managed key: no KMS permission).
    pub fn with_key(mut self, key: Option<String>) -> Self {
        self.key = key.filter(|k| customer_key(k));
        self
    }
    /// The call uses the customer-managed key this resource was found to be encrypted with.
    pub fn with_found_key(mut self, key: Option<String>) -> Self {
        self.key = key.filter(|k| customer_key(k));
        self.key_found = self.key.is_some();
        self
    }
    /// Whether the call sets tags on what it creates (by default: [`TAGGED_CREATES`]).
    pub fn tagged(mut self, tags: bool) -> Self {
        self.tags = tags;
        self
    }
    /// Every IAM permission the call needs (see `policy::actions`).
    pub fn needs(&self) -> Vec<Need> {
        needs(&Call {
            service: self.service,
            operation: self.operation,
            resource: &self.resource,
            roles: &self.roles,
            key: self.key.as_deref(),
            tags: self.tags,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unreachable,
    Credentials,
    AccessDenied,
    NotFound,
    /// What the operator gave cannot be used (an unreadable image archive, a
    /// build context without a Docker engine): exit 2, nothing changed.
    Input,
    Other,
}

#[derive(Debug, Clone)]
pub struct AwsError {
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
    /// Boxed: an error travels in every Result of the runner.
    pub op: Option<Box<Op>>,
    /// A fix that knows more than the error class (set by the kind).
    pub hint: Option<Box<String>>,
}

const DENIED: &[&str] =
    &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedException"];
const NOT_FOUND: &[&str] = &[
    "NoSuchEntity",
    "NoSuchEntityException",
    "ResourceNotFoundException",
    "NotFoundException",
    "ParameterNotFound",
    "NotFoundException",
];

/// The error and its causes, each by its Display, without the Debug dumps.
pub fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn xml_field(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + body[start..].find(&format!("</{name}>"))?;
    Some(body[start..end].to_string())
}

impl AwsError {
    pub fn other(message: impl Into<String>) -> Self {
        Self { kind: ErrorKind::Other, code: None, message: message.into(), op: None, hint: None }
    }

    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, code: None, message: message.into(), op: None, hint: None }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.hint = Some(Box::new(fix.into()));
        self
    }

    pub fn with_op(mut self, op: Op) -> Self {
        self.op = Some(Box::new(op));
        self
    }

    pub fn from_sdk<E>(err: aws_smithy_runtime_api::client::result::SdkError<E, HttpResponse>, op: Option<&Op>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        use aws_smithy_runtime_api::client::result::SdkError;
        let chain = causes(&err);
        let (kind, code, message) = match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                // Some endpoints answer in an error shape the SDK does not parse
                // (moto's <Errors><Error>): read code and message from the body.
                let body = std::str::from_utf8(service.raw().body().bytes().unwrap_or_default()).unwrap_or_default();
                let code = e.code().map(str::to_string).or_else(|| xml_field(body, "Code")).or_else(|| {
                    match service.raw().status().as_u16() {
                        403 => Some("AccessDenied".to_string()),
                        _ => None,
                    }
                });
                let status = service.raw().status().as_u16();
                let message = e.message().map(str::to_string).or_else(|| xml_field(body, "Message")).or_else(|| {
                    // Neither AWS's JSON nor its XML: not an AWS answer at all.
                    code.is_none().then(|| format!("the endpoint answered HTTP {status} without an AWS error (an emulator or proxy that does not implement this operation?)"))
                });
                let kind = match code.as_deref() {
                    Some(c) if DENIED.contains(&c) => ErrorKind::AccessDenied,
                    Some(c) if NOT_FOUND.contains(&c) || c.ends_with("NotFoundException") => ErrorKind::NotFound,
                    Some(
                        "InvalidClientTokenId"
                        | "UnrecognizedClientException"
                        | "ExpiredToken"
                        | "ExpiredTokenException"
                        | "SignatureDoesNotMatch",
                    ) => ErrorKind::Credentials,
                    _ => ErrorKind::Other,
                };
                (kind, code, message.unwrap_or_else(|| chain.clone()))
            }
            SdkError::TimeoutError(_) => (ErrorKind::Unreachable, None, "the request timed out".to_string()),
            SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
                (ErrorKind::Unreachable, None, chain.clone())
            }
            _ if chain.to_lowercase().contains("credential") => (ErrorKind::Credentials, None, chain.clone()),
            SdkError::DispatchFailure(_) => (ErrorKind::Unreachable, None, chain.clone()),
            _ => (ErrorKind::Other, None, chain.clone()),
        };
        Self { kind, code, message, op: op.cloned().map(Box::new), hint: None }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Unreachable and credential failures stop everything (exit 3).
    pub fn is_fatal(&self) -> bool {
        matches!(self.kind, ErrorKind::Unreachable | ErrorKind::Credentials)
    }

    /// For AccessDenied: the statement that would allow the call.
    pub fn fix(&self) -> Option<String> {
        if let Some(hint) = &self.hint {
            return Some(hint.to_string());
        }
        match (self.kind, &self.op) {
            (ErrorKind::AccessDenied, Some(op)) => {
                let statements = crate::policy::generate::statements(&op.needs());
                let shown = if statements.len() == 1 { statements[0].clone() } else { serde_json::json!(statements) };
                Some(format!(
                    "allow the caller this action, e.g. with the statement\n{}",
                    serde_json::to_string_pretty(&shown).expect("json")
                ))
            }
            (ErrorKind::Unreachable, _) => Some("check the network and the endpoint (AWS_ENDPOINT_URL, --region), then run again".into()),
            (ErrorKind::Credentials, _) => Some("configure credentials: aws configure, aws sso login, --profile NAME, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into()),
            _ => None,
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self
            .op
            .as_ref()
            .map(|op| format!("{} on {}", op.action(), if op.resource.is_empty() { "*" } else { &op.resource }));
        match (self.kind, what) {
            (ErrorKind::AccessDenied, Some(what)) => {
                write!(f, "AccessDenied: the caller may not call {what}: {}", self.message)
            }
            // A container registry is not AWS: its message says what could not be reached.
            (ErrorKind::Unreachable, Some(what)) if self.op.as_ref().is_some_and(|o| o.service == "registry") => {
                write!(f, "{} ({what})", self.message)
            }
            (ErrorKind::Unreachable, Some(what)) => {
                write!(f, "AWS could not be reached ({what}): {}", self.message)
            }
            (ErrorKind::Unreachable, None) => {
                write!(f, "AWS could not be reached: {}", self.message)
            }
            (ErrorKind::Credentials, _) => write!(f, "no usable AWS credentials: {}", self.message),
            (_, Some(what)) => write!(
                f,
                "{what} failed: {}{}",
                self.code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default(),
                self.message
            ),
            (_, None) => write!(f, "{}", self.message),
        }
    }
}
