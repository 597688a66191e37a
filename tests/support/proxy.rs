//! A small HTTP double in front of moto, on 127.0.0.1 (served by support/http.rs).
//!
//! It forwards every request to moto unchanged, except:
//! - `iam:SimulatePrincipalPolicy`, which moto does not implement: answered
//!   here in the documented Query/XML wire format (SimulatePrincipalPolicyResponse
//!   with EvaluationResults/member/EvalActionName, EvalResourceName,
//!   EvalDecision), deciding `allowed` unless the action is listed in `deny`;
//! - `iam:AddClientIDToOpenIDConnectProvider`, which moto does not implement
//!   either: carried out on moto with the calls it does implement (Get, Delete
//!   and Create OpenIDConnectProvider, same ARN), answered with the documented
//!   empty AddClientIDToOpenIDConnectProviderResponse;
//! - one chosen operation can be held (not answered) until released, so that a
//!   test can kill preflight while a change is in flight;
//! - each operation can be throttled its first N times, answered as AWS does
//!   (HTTP 400, `Throttling` in the Query/XML protocols, `ThrottlingException`
//!   in the JSON ones), so that a test sees throttling retried, not reported;
//! - every request can wait a fixed delay before it is forwarded (a network's
//!   round trip) and be logged as a JSON line (method, path, the signing
//!   service, X-Amz-Target, body): scripts/bench-verify.sh runs this file as
//!   the program examples/delay_proxy.rs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http::{Request, Server, is_framing};

#[derive(Default)]
pub struct Behaviour {
    /// Actions the simulated policy evaluation denies (explicitDeny).
    pub deny: Mutex<Vec<String>>,
    /// SimulatePrincipalPolicy answers AccessDenied, as for a caller without iam:SimulatePrincipalPolicy.
    pub simulate_forbidden: AtomicBool,
    /// The operation to hold.
    pub hold: Mutex<Option<String>>,
    /// Set when the held operation arrived.
    pub holding: AtomicBool,
    pub release: AtomicBool,
    /// The held request is dropped instead of forwarded: it never reached AWS.
    pub abandon: AtomicBool,
    pub simulate_calls: Mutex<usize>,
    pub add_client_id_calls: Mutex<usize>,
    /// Throttle each operation (by X-Amz-Target or Action) its first this many times.
    pub throttle_each: std::sync::atomic::AtomicUsize,
    /// How many times each operation was throttled.
    pub throttled: Mutex<std::collections::BTreeMap<String, usize>>,
    /// Milliseconds every request waits before it is forwarded.
    pub delay_ms: std::sync::atomic::AtomicU64,
    /// Where each request is logged, one JSON line each.
    pub log: Mutex<Option<std::fs::File>>,
}

pub struct Proxy {
    pub url: String,
    pub behaviour: Arc<Behaviour>,
    _server: Server,
}

impl Proxy {
    pub fn start(upstream: &str) -> Self {
        let behaviour = Arc::new(Behaviour::default());
        let (upstream, b) = (upstream.to_string(), behaviour.clone());
        let server = Server::start(move |request| handle(request, &upstream, &b));
        Self { url: format!("http://{}", server.addr), behaviour, _server: server }
    }

    /// Waits (bounded) until the held operation has arrived.
    pub fn wait_holding(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.behaviour.holding.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.behaviour.release.store(true, Ordering::SeqCst);
    }
}

fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let dec =
                |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            (dec(k), dec(v))
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn simulate(params: &[(String, String)], b: &Behaviour) -> (u16, String) {
    *b.simulate_calls.lock().unwrap() += 1;
    if b.simulate_forbidden.load(Ordering::SeqCst) {
        return (
            403,
            r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:SimulatePrincipalPolicy</Message></Error><RequestId>double-1</RequestId></ErrorResponse>"#.into(),
        );
    }
    let actions: Vec<&str> =
        params.iter().filter(|(k, _)| k.starts_with("ActionNames.member.")).map(|(_, v)| v.as_str()).collect();
    let resources: Vec<&str> =
        params.iter().filter(|(k, _)| k.starts_with("ResourceArns.member.")).map(|(_, v)| v.as_str()).collect();
    let deny = b.deny.lock().unwrap().clone();
    let mut members = String::new();
    for action in &actions {
        for resource in if resources.is_empty() { vec!["*"] } else { resources.clone() } {
            let decision = if deny.iter().any(|d| d.eq_ignore_ascii_case(action)) { "explicitDeny" } else { "allowed" };
            members.push_str(&format!(
                "<member><EvalActionName>{}</EvalActionName><EvalResourceName>{}</EvalResourceName><EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/></member>",
                xml_escape(action),
                xml_escape(resource)
            ));
        }
    }
    (
        200,
        format!(
            r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>double-2</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"#
        ),
    )
}

/// One IAM Query call to moto, with the original request's headers (moto routes by them).
fn iam_call(upstream: &str, headers: &[(String, String)], form: &[(&str, String)]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&");
    let mut builder = ureq::http::Request::builder().method("POST").uri(format!("{upstream}/"));
    for (k, v) in headers
        .iter()
        .filter(|(k, _)| ["authorization", "x-amz-date", "content-type"].contains(&k.to_ascii_lowercase().as_str()))
    {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let mut resp = agent.run(builder.body(body).unwrap()).expect("moto answers");
    (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap_or_default())
}

fn members(xml: &str, list: &str) -> Vec<String> {
    let Some(start) = xml.find(&format!("<{list}>")) else { return Vec::new() };
    let end = xml[start..].find(&format!("</{list}>")).map_or(xml.len(), |e| start + e);
    xml[start..end].split("<member>").skip(1).filter_map(|m| m.split("</member>").next()).map(str::to_string).collect()
}

fn add_client_id(upstream: &str, headers: &[(String, String)], params: &[(String, String)]) -> (u16, String) {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (arn, client) = (get("OpenIDConnectProviderArn"), get("ClientID"));
    let (code, xml) = iam_call(
        upstream,
        headers,
        &[
            ("Action", "GetOpenIDConnectProvider".into()),
            ("Version", "2010-05-08".into()),
            ("OpenIDConnectProviderArn", arn.clone()),
        ],
    );
    if code != 200 {
        return (code, xml);
    }
    let url = xml.split("<Url>").nth(1).and_then(|r| r.split("</Url>").next()).unwrap_or_default().to_string();
    let mut clients = members(&xml, "ClientIDList");
    let thumbprints = members(&xml, "ThumbprintList");
    if !clients.contains(&client) {
        clients.push(client);
        iam_call(
            upstream,
            headers,
            &[
                ("Action", "DeleteOpenIDConnectProvider".into()),
                ("Version", "2010-05-08".into()),
                ("OpenIDConnectProviderArn", arn),
            ],
        );
        let mut form = vec![
            ("Action", "CreateOpenIDConnectProvider".to_string()),
            ("Version", "2010-05-08".into()),
            ("Url", format!("https://{url}")),
        ];
        let names: Vec<String> = (1..=clients.len()).map(|i| format!("ClientIDList.member.{i}")).collect();
        let tnames: Vec<String> = (1..=thumbprints.len()).map(|i| format!("ThumbprintList.member.{i}")).collect();
        form.extend(names.iter().map(String::as_str).zip(clients.iter().cloned()));
        form.extend(tnames.iter().map(String::as_str).zip(thumbprints.iter().cloned()));
        let (code, xml) = iam_call(upstream, headers, &form);
        if code != 200 {
            return (code, xml);
        }
    }
    (200, r#"<AddClientIDToOpenIDConnectProviderResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>double-3</RequestId></ResponseMetadata></AddClientIDToOpenIDConnectProviderResponse>"#.into())
}

/// One request as a JSON line: enough to replay it with another client.
fn log_request(request: &Request, b: &Behaviour) {
    let mut log = b.log.lock().unwrap();
    let Some(file) = log.as_mut() else { return };
    let header = |name: &str| request.header(name).map(str::to_string);
    // AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...
    let service = header("authorization").and_then(|a| a.split('/').nth(3).map(str::to_string));
    let line = serde_json::json!({
        "method": request.method,
        "url": request.url,
        "service": service,
        "target": header("x-amz-target"),
        "body": String::from_utf8_lossy(&request.body),
    });
    use std::io::Write;
    let _ = writeln!(file, "{line}");
}

const XML: [(&str, &str); 1] = [("Content-Type", "text/xml")];

fn handle(request: Request, upstream: &str, b: &Behaviour) {
    log_request(&request, b);
    let delay = b.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        std::thread::sleep(Duration::from_millis(delay));
    }
    let params = form(&String::from_utf8_lossy(&request.body));
    let action = params.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone()).unwrap_or_default();
    let target = request.header("x-amz-target").map(str::to_string);
    let limit = b.throttle_each.load(Ordering::SeqCst);
    if limit > 0 {
        let op = target.clone().unwrap_or_else(|| action.clone());
        let mut throttled = b.throttled.lock().unwrap();
        let seen = throttled.entry(op).or_default();
        if *seen < limit {
            *seen += 1;
            drop(throttled);
            let (body, kind) = match &target {
                Some(_) => {
                    (r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#, "application/x-amz-json-1.1")
                }
                None => (
                    r#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>double-throttle</RequestId></ErrorResponse>"#,
                    "text/xml",
                ),
            };
            request.respond(400, &[("Content-Type", kind)], body.as_bytes());
            return;
        }
    }

    if action == "SimulatePrincipalPolicy" {
        let (code, xml) = simulate(&params, b);
        request.respond(code, &XML, xml.as_bytes());
        return;
    }
    if action == "AddClientIDToOpenIDConnectProvider" {
        *b.add_client_id_calls.lock().unwrap() += 1;
        let (code, xml) = add_client_id(upstream, &request.headers, &params);
        request.respond(code, &XML, xml.as_bytes());
        return;
    }
    if b.hold.lock().unwrap().as_deref() == Some(action.as_str()) {
        b.holding.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !b.release.load(Ordering::SeqCst) && !b.abandon.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if b.abandon.load(Ordering::SeqCst) {
            request.respond(502, &[], b"abandoned");
            return;
        }
    }

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut builder =
        ureq::http::Request::builder().method(request.method.as_str()).uri(format!("{upstream}{}", request.url));
    for (name, value) in request.headers.iter().filter(|(k, _)| !is_framing(k) && !k.eq_ignore_ascii_case("host")) {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let forwarded = builder.body(request.body.clone()).unwrap();
    match agent.run(forwarded) {
        Ok(mut resp) => {
            let code = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let data = resp.body_mut().read_to_vec().unwrap_or_default();
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            request.respond(code, &headers, &data);
        }
        Err(e) => request.respond(502, &[], format!("proxy: {e}").as_bytes()),
    }
}
