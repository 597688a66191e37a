//! `http.health`: the application answers its health check from outside (seeds
//! 001, 003, 004: GET /health through the load balancer, `{"status":"ok"}`):
//! a 2xx within 5 s, with the expected text in the body when one is set. The
//! answer's status, latency and the first 200 bytes of a failing body are shown;
//! no answer is told apart (refused, a name that does not resolve, the time
//! out), each with the time it took and its own fix.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::aws::error::{AwsError, Op, causes};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::elb::{alb_name, load_balancer};
use crate::kinds::kind::{KindParams, change_input};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The URL to call ("" = the load balancer's address and `path`).
    #[serde(default)]
    pub url: String,
    pub project: String,
    pub path: String,
    /// Text the body must contain ("" = any 2xx).
    #[serde(default)]
    pub expect: String,
    pub load_balancer: String,
}

impl KindParams for Params {}

/// How a GET that got no answer failed, told apart: nothing listens (refused,
/// at once), the host's name does not resolve, or no answer within the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    Refused,
    Dns,
    Timeout,
    Other,
}

/// What kind of failure a request error is, read from it and its causes.
pub fn no_answer(e: &reqwest::Error) -> NoAnswer {
    if e.is_timeout() {
        return NoAnswer::Timeout;
    }
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return NoAnswer::Refused,
                std::io::ErrorKind::TimedOut => return NoAnswer::Timeout,
                _ => {}
            }
        }
        // hyper-util's resolver says so in words only (its error type is private).
        if cause.to_string().starts_with("dns error") {
            return NoAnswer::Dns;
        }
        next = cause.source();
    }
    NoAnswer::Other
}

/// `host:port` of a URL, as the connection was tried.
fn host_port(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!("{}:{}", u.host_str().unwrap_or_default(), u.port_or_known_default().unwrap_or(80)),
        Err(_) => url.to_string(),
    }
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    // The operator's URL (health_url), or the load balancer's address preflight made.
    let given = !p.url.is_empty();
    let url = if given {
        p.url.clone()
    } else if p.load_balancer == "create" {
        match load_balancer(x, &alb_name(&p.project)).await? {
            Some(lb) => format!("http://{}{}", lb.dns_name().unwrap_or_default(), p.path),
            None => {
                return Ok(ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!("load balancer {} does not exist: nothing to call", alb_name(&p.project)),
                )
                .with_fix(format!(
                    "preflight run {} --step load-balancer; or call the application elsewhere: {}",
                    x.checklist,
                    change_input(x, "health_url", URL)
                )));
            }
        }
    } else {
        return Ok(ProbeResult::new(
            &id,
            Status::Manual,
            "no load balancer preflight made and no health_url: set health_url to check the application from outside",
        )
        .with_fix(change_input(x, "health_url", URL)));
    };
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| AwsError::other(format!("HTTP client: {e}")))?;
    // Timed from the request itself (not from waiting for a turn to make it); a failure is
    // reported as the call's, its class kept for the fix.
    let mut failed = None;
    let call = async {
        let started = Instant::now();
        let answer = async {
            let resp = client.get(&url).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        let ms = started.elapsed().as_millis();
        match answer {
            Ok((status, body)) => Ok((status, body, ms)),
            Err(e) => {
                let class = no_answer(&e);
                let fact = match class {
                    NoAnswer::Refused if given => {
                        format!("GET {url}: connection refused after {ms} ms: nothing listens on {}", host_port(&url))
                    }
                    NoAnswer::Refused => format!(
                        "GET {url}: connection refused after {ms} ms: the load balancer has no listener on {}",
                        host_port(&url)
                    ),
                    NoAnswer::Dns if given => {
                        format!("GET {url}: the name {} does not resolve (after {ms} ms)", host_of(&url))
                    }
                    NoAnswer::Dns => format!(
                        "GET {url}: the load balancer's name {} does not resolve yet (after {ms} ms)",
                        host_of(&url)
                    ),
                    NoAnswer::Timeout => format!("GET {url}: no answer within {} s ({ms} ms)", TIMEOUT.as_secs()),
                    NoAnswer::Other => format!("GET {url} failed after {ms} ms: {}", causes(&e)),
                };
                failed = Some(class);
                Err(AwsError::other(fact))
            }
        }
    };
    let result = x.read_with(Op::new("http", "GET", &url), call).await;
    let service = format!(
        "the service's tasks must be running and answer on the health path: preflight verify {} --step service, and the container's logs",
        x.checklist
    );
    Ok(match result {
        Err(e) => {
            let Some(class) = failed else { return Err(e) };
            let fix = match (class, given) {
                (NoAnswer::Refused, true) => format!(
                    "if health_url is wrong, {}; if it is right, what should answer there is not running",
                    change_input(x, "health_url", URL)
                ),
                (NoAnswer::Refused, false) => format!("preflight run {} --step load-balancer", x.checklist),
                (NoAnswer::Dns, true) => change_input(x, "health_url", URL),
                (NoAnswer::Dns, false) => format!(
                    "a new load balancer's name takes minutes to resolve: verify again later (preflight verify {} --step {})",
                    x.checklist, x.step
                ),
                (NoAnswer::Timeout, true) => format!(
                    "{service}; or, if health_url is wrong (a firewall drops it), {}",
                    change_input(x, "health_url", URL)
                ),
                (NoAnswer::Timeout, false) => format!(
                    "the load balancer's group must let in HTTP (80) from anywhere: preflight run {} --step network",
                    x.checklist
                ),
                (NoAnswer::Other, _) => service,
            };
            ProbeResult::new(&id, Status::Fail, e.message).with_fix(fix)
        }
        Ok((status, body, ms)) => {
            let text = String::from_utf8_lossy(&body);
            let first: String = text.chars().take(200).collect();
            if !status.is_success() {
                ProbeResult::new(&id, Status::Fail, format!("GET {url} answered {status} in {ms} ms: {first}"))
                    .with_fix(service)
            } else if !p.expect.is_empty() && !text.contains(&p.expect) {
                ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!("GET {url} answered {status} in {ms} ms without \"{}\": {first}", p.expect),
                )
                .with_fix(format!(
                    "the application answers, without \"{}\": if health_expect is wrong, {}",
                    p.expect,
                    change_input(x, "health_expect", "ok")
                ))
            } else {
                ProbeResult::new(&id, Status::Pass, format!("GET {url} answered {status} in {ms} ms"))
            }
        }
    })
}

/// The host of a URL.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| url.to_string())
}

/// How long the GET may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The shape of a health URL, for a fix.
const URL: &str = "https://…/health";

/// The calls of [`probe`]: the load balancer's address when no URL is given (the GET is not AWS).
pub fn probe_calls(_: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(if p.url.is_empty() && p.load_balancer == "create" {
        vec![Op::new("elasticloadbalancing", "DescribeLoadBalancers", "*")]
    } else {
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str, timeout: Duration) -> reqwest::Error {
        // As the program does at its start (cli::main).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().timeout(timeout).build().unwrap();
        client.get(url).send().await.expect_err("no answer")
    }

    #[tokio::test]
    async fn no_answer_is_told_apart_refused_unresolved_and_timed_out() {
        // Nothing listens on a port just freed.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let refused = get(&format!("http://127.0.0.1:{port}/health"), TIMEOUT).await;
        assert_eq!(no_answer(&refused), NoAnswer::Refused, "{refused:?}");
        // A name under .invalid never resolves (RFC 2606).
        let dns = get("http://preflight-health.invalid/health", TIMEOUT).await;
        assert_eq!(no_answer(&dns), NoAnswer::Dns, "{dns:?}");
        // A server that takes the connection and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/health", silent.local_addr().unwrap());
        let held = std::thread::spawn(move || silent.accept().map(|(s, _)| s));
        let timeout = get(&url, Duration::from_millis(300)).await;
        assert_eq!(no_answer(&timeout), NoAnswer::Timeout, "{timeout:?}");
        drop(held.join());
        assert_eq!(host_port("http://127.0.0.1:9/health"), "127.0.0.1:9");
        assert_eq!(host_port("https://example.com/health"), "example.com:443");
    }
}
