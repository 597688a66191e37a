//! `http.health`: the application answers its health check from outside (seeds
//! 001, 003, 004: GET /health through the load balancer, `{"status":"ok"}`):
//! a 2xx within 5 s, with the expected text in the body when one is set. The
//! answer's status, latency and the first 200 bytes of a failing body are shown.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::elb::{alb_name, load_balancer};
use crate::kinds::kind::KindParams;

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

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let url = if !p.url.is_empty() {
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
                .with_fix(format!("preflight run {} --step load-balancer, or set health_url", x.checklist)));
            }
        }
    } else {
        return Ok(ProbeResult::new(
            &id,
            Status::Manual,
            "no load balancer preflight made and no health_url: set health_url to check the application from outside",
        ));
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| AwsError::other(format!("HTTP client: {e}")))?;
    let started = Instant::now();
    let answer = async {
        let resp = client.get(&url).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, body))
    };
    let result = x
        .read_with(Op::new("http", "GET", &url), async { answer.await.map_err(|e| AwsError::other(format!("{e}"))) })
        .await;
    let ms = started.elapsed().as_millis();
    let fix = "the service's tasks must be running and answer on the health path: preflight verify ecs-service (step service), and the container's logs";
    Ok(match result {
        Err(e) => ProbeResult::new(&id, Status::Fail, format!("GET {url} got no answer within 5 s: {}", e.message))
            .with_fix(fix),
        Ok((status, body)) => {
            let text = String::from_utf8_lossy(&body);
            let first: String = text.chars().take(200).collect();
            if !status.is_success() {
                ProbeResult::new(&id, Status::Fail, format!("GET {url} answered {status} in {ms} ms: {first}"))
                    .with_fix(fix)
            } else if !p.expect.is_empty() && !text.contains(&p.expect) {
                ProbeResult::new(
                    &id,
                    Status::Fail,
                    format!("GET {url} answered {status} in {ms} ms without \"{}\": {first}", p.expect),
                )
                .with_fix(fix)
            } else {
                ProbeResult::new(&id, Status::Pass, format!("GET {url} answered {status} in {ms} ms"))
            }
        }
    })
}

/// The calls of [`probe`]: the load balancer's address when no URL is given (the GET is not AWS).
pub fn probe_calls(_: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(if p.url.is_empty() && p.load_balancer == "create" {
        vec![Op::new("elasticloadbalancing", "DescribeLoadBalancers", "*")]
    } else {
        Vec::new()
    })
}
