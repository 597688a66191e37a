//! What a change sends, read off the wire. Every SDK client's HTTP traffic
//! passes through [`http_client`]'s connector; while a change is being made
//! (inside [`capture`]) the connector reads the request the SDK serialized —
//! its parameters, exactly as they go to AWS — before anything is sent:
//! - in a plan, the request is read and never sent (the connector answers
//!   it itself), so a plan lists the very parameters a run would send;
//! - in a run, the parameters are written to the audit log first, compared
//!   with the ones the operator consented to (a request that differs is not
//!   sent), and only then is the request sent.
//!
//! Secret values are never read into the parameters: a secret's value, a
//! parameter's value and per-request tokens are replaced by what they are.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use serde_json::{Map, Value};

use super::later;

tokio::task_local! {
    static CHANGE: Arc<Slot>;
}

/// Shown instead of a value that is never read into the parameters.
pub const HIDDEN_VALUE: &str = "(the value, not shown)";
/// Shown instead of an idempotency token, which the SDK makes anew for every request.
pub const TOKEN: &str = "(a token made for each request)";

/// Writes the audit line of a change about to be sent; an error stops the change.
pub type Announce = Box<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// One change being made: what the connector is to do with its request, and what it read.
pub struct Slot {
    /// A plan: read the request, never send it.
    pub plan: bool,
    /// The operation (`CreateSecurityGroup`) and the service that signs it (`ec2`):
    /// other requests made meanwhile (credentials) pass untouched.
    pub operation: &'static str,
    pub service: &'static str,
    /// A run: the parameters consented to; a request that differs is not sent.
    pub expect: Option<Value>,
    /// A run: called with the parameters before the request is sent.
    pub announce: Option<Announce>,
    /// The parameters read from the request.
    pub params: Mutex<Option<Value>>,
    /// Why the request was not sent (a run), when it was not.
    pub refused: Mutex<Option<String>>,
}

impl Slot {
    pub fn new(plan: bool, service: &'static str, operation: &'static str) -> Self {
        Self {
            plan,
            operation,
            service,
            expect: None,
            announce: None,
            params: Mutex::new(None),
            refused: Mutex::new(None),
        }
    }

    pub fn params(&self) -> Option<Value> {
        self.params.lock().expect("slot").clone()
    }

    pub fn refused(&self) -> Option<String> {
        self.refused.lock().expect("slot").clone()
    }
}

/// Runs a change's request future with its slot: the connector sees it.
pub async fn capture<F: Future>(slot: Arc<Slot>, call: F) -> F::Output {
    CHANGE.scope(slot, call).await
}

/// The HTTP client every SDK client uses: `inner`, with the capture in front.
pub fn http_client(inner: SharedHttpClient) -> SharedHttpClient {
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Capturing(inner.http_connector(settings, components)))
    })
}

#[derive(Debug)]
struct Capturing(SharedHttpConnector);

#[derive(Debug)]
struct NotSent(String);

impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotSent {}

fn not_sent(why: String) -> HttpConnectorFuture {
    HttpConnectorFuture::ready(Err(ConnectorError::user(Box::new(NotSent(why)))))
}

impl HttpConnector for Capturing {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Ok(slot) = CHANGE.try_with(Arc::clone) else { return self.0.call(request) };
        if !is_the_change(&request, &slot) {
            // Only credentials may be fetched meanwhile; any other AWS request is refused,
            // so that nothing a change did not name is ever sent in its place.
            if signed(&request) && !is_credentials(&request) {
                *slot.refused.lock().expect("slot") = Some(format!(
                    "a request other than {}:{} was made while that change was under way: not sent",
                    slot.service, slot.operation
                ));
                return not_sent("not the change under way".into());
            }
            return self.0.call(request);
        }
        let params = read_params(&request, slot.operation);
        *slot.params.lock().expect("slot") = Some(params.clone());
        if slot.plan {
            return not_sent("a plan: read, not sent".into());
        }
        let refuse = |why: String| {
            *slot.refused.lock().expect("slot") = Some(why.clone());
            not_sent(why)
        };
        let text = params.to_string();
        if later::holds_pending(&text) {
            return refuse(format!(
                "{}:{} still holds a value known only after another change: nothing was sent",
                slot.service, slot.operation
            ));
        }
        if let Some(expect) = &slot.expect
            && let Err(diff) = same(expect, &params, "")
        {
            return refuse(format!(
                "{}:{} would send {diff}, not what was consented to: the account changed since the plan was shown; nothing was sent",
                slot.service, slot.operation
            ));
        }
        if let Some(announce) = &slot.announce
            && let Err(e) = announce(&params)
        {
            return refuse(format!("the audit log cannot record the change, so it is not made: {e}"));
        }
        self.0.call(request)
    }
}

/// Whether a request is the change's own (not a credentials call made meanwhile).
fn is_the_change(request: &HttpRequest, slot: &Slot) -> bool {
    let headers = request.headers();
    if let Some(target) = headers.get("x-amz-target") {
        return target.rsplit('.').next() == Some(slot.operation);
    }
    if let Some(body) = request.body().bytes()
        && let Some(action) = form_pairs(body).into_iter().find(|(k, _)| k == "Action")
    {
        return action.1 == slot.operation;
    }
    // A REST call: it is ours when it is signed for the change's service.
    headers.get("authorization").is_some_and(|a| a.contains(&format!("/{}/aws4_request", slot.service)))
}

/// Whether a request is signed for AWS (SigV4).
fn signed(request: &HttpRequest) -> bool {
    request.headers().get("authorization").is_some_and(|a| a.starts_with("AWS4-"))
}

/// Whether a request fetches credentials (STS; SSO's are not signed).
fn is_credentials(request: &HttpRequest) -> bool {
    let Some(body) = request.body().bytes() else { return false };
    form_pairs(body).iter().any(|(k, v)| {
        k == "Action"
            && matches!(
                v.as_str(),
                "AssumeRole"
                    | "AssumeRoleWithWebIdentity"
                    | "AssumeRoleWithSAML"
                    | "GetSessionToken"
                    | "GetCallerIdentity"
            )
    })
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let decode = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().to_string();
    text.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The parameters of a request: a form's fields (but Action and Version), a
/// JSON body, and for REST calls the method and path; secret values hidden.
pub fn read_params(request: &HttpRequest, operation: &str) -> Value {
    let body = request.body().bytes().unwrap_or_default();
    let headers = request.headers();
    let content_type = headers.get("content-type").unwrap_or_default();
    let mut params = if content_type.starts_with("application/x-www-form-urlencoded") {
        Value::Object(
            form_pairs(body)
                .into_iter()
                .filter(|(k, _)| k != "Action" && k != "Version")
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else if body.is_empty() {
        Value::Object(Map::new())
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => v,
            Ok(other) => serde_json::json!({ "body": other }),
            Err(_) => serde_json::json!({ "body": format!("({} bytes)", body.len()) }),
        }
    };
    if headers.get("x-amz-target").is_none() && !content_type.starts_with("application/x-www-form-urlencoded") {
        let path = request
            .uri()
            .split_once("://")
            .map_or(request.uri(), |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
        if let Value::Object(map) = &mut params {
            map.insert("_request".into(), Value::String(format!("{} {path}", request.method())));
        }
    }
    hide(&mut params, operation);
    params
}

/// Replaces what must never be read (secret and parameter values) and what
/// differs on every request (idempotency tokens).
pub fn hide(params: &mut Value, operation: &str) {
    match params {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let secret = matches!(k.as_str(), "SecretString" | "SecretBinary")
                    || (operation == "PutParameter" && k == "Value");
                if secret {
                    *v = Value::String(HIDDEN_VALUE.into());
                } else if matches!(k.as_str(), "ClientRequestToken" | "clientToken" | "ClientToken") {
                    *v = Value::String(TOKEN.into());
                } else {
                    hide(v, operation);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| hide(v, operation)),
        _ => {}
    }
}

/// Whether `made` is what `planned` said (pending values in the plan match
/// any value): Err names the first difference.
pub fn same(planned: &Value, made: &Value, at: &str) -> Result<(), String> {
    let here = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match (planned, made) {
        (Value::Object(p), Value::Object(m)) => {
            for (k, pv) in p {
                match m.get(k) {
                    Some(mv) => same(pv, mv, &here(k))?,
                    None => return Err(format!("no {} (planned: {pv})", here(k))),
                }
            }
            match m.keys().find(|k| !p.contains_key(*k)) {
                Some(k) => Err(format!("{} = {} (not planned)", here(k), m[k])),
                None => Ok(()),
            }
        }
        (Value::Array(p), Value::Array(m)) if p.len() == m.len() => {
            p.iter().zip(m).enumerate().try_for_each(|(i, (a, b))| same(a, b, &here(&(i + 1).to_string())))
        }
        (Value::String(p), Value::String(m)) if later::matches(p, m) => Ok(()),
        (p, m) if p == m => Ok(()),
        (p, m) => Err(format!("{} = {m} (planned: {p})", if at.is_empty() { "the request" } else { at })),
    }
}

/// The parameters as `name = value` lines, nested ones by their path, the
/// documents a change shows as a diff left out (`skip`).
pub fn lines(params: &Value, skip: &dyn Fn(&str) -> bool) -> Vec<String> {
    fn walk(v: &Value, at: String, skip: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                    if !skip(&path) {
                        walk(v, path, skip, out);
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{at}.{}", i + 1), skip, out);
                }
            }
            Value::String(s) => out.push(format!("{at} = {s}")),
            other => out.push(format!("{at} = {other}")),
        }
    }
    let mut out = Vec::new();
    walk(params, String::new(), skip, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(content_type: &str, target: Option<&str>, body: &str) -> HttpRequest {
        let mut req = HttpRequest::new(aws_smithy_types::body::SdkBody::from(body.to_string()));
        req.set_uri("https://ec2.us-east-1.amazonaws.com/").unwrap();
        req.headers_mut().insert("content-type", content_type.to_string());
        if let Some(t) = target {
            req.headers_mut().insert("x-amz-target", t.to_string());
        }
        req
    }

    #[test]
    fn a_form_and_a_json_body_are_read_with_their_secrets_hidden() {
        let form = request(
            "application/x-www-form-urlencoded",
            None,
            "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=comafi-alb&Description=HTTP%20from%20anywhere",
        );
        assert_eq!(
            read_params(&form, "CreateSecurityGroup"),
            json!({"GroupName": "comafi-alb", "Description": "HTTP from anywhere"})
        );
        let put = request(
            "application/x-amz-json-1.1",
            Some("secretsmanager.PutSecretValue"),
            r#"{"SecretId":"app","SecretString":"s3cr3t","ClientRequestToken":"abc"}"#,
        );
        let params = read_params(&put, "PutSecretValue");
        assert_eq!(params, json!({"SecretId": "app", "SecretString": HIDDEN_VALUE, "ClientRequestToken": TOKEN}));
        assert!(!params.to_string().contains("s3cr3t"));
    }

    #[test]
    fn a_plan_with_pending_values_matches_what_ran_and_a_difference_is_named() {
        let sg = later::Pending { what: "security group comafi-alb".into(), step: "network".into() }.to_string();
        let planned = json!({"GroupId": "sg-task", "IpPermissions.1.Groups.1.GroupId": sg});
        let made = json!({"GroupId": "sg-task", "IpPermissions.1.Groups.1.GroupId": "sg-alb"});
        assert_eq!(same(&planned, &made, ""), Ok(()));
        let world = json!({"GroupId": "sg-task", "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0"});
        assert!(same(&planned, &world, "").unwrap_err().starts_with("no IpPermissions.1.Groups.1.GroupId"));
        let lines = lines(&json!({"a": "1", "doc": "{…}", "n": {"m": [1, 2]}}), &|k| k == "doc");
        assert_eq!(lines, vec!["a = 1", "n.m.1 = 1", "n.m.2 = 2"]);
    }
}
