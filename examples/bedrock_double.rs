//! The Bedrock double of the tests (tests/support/bedrock.rs, the one copy) as a
//! program: scripts/sandbox.sh starts it next to moto, which has no Bedrock, and
//! points preflight at it with AWS_ENDPOINT_URL_BEDROCK[_RUNTIME].
//!
//!   bedrock_double [--port PORT] [--scenario sandbox|authorized|fresh]
//!
//! It listens on 127.0.0.1 only (PORT 0, the default, lets the system choose), prints
//! one line per request on stdout, answers `GET /_double/health`, keeps its account
//! in memory and exits 0 on SIGTERM. The default scenario, `sandbox`: an authorized
//! account that has not yet submitted Anthropic's use-case form nor accepted the
//! model's agreement, so `preflight run model-access` has work to do and then passes.

#[allow(dead_code)]
#[path = "../tests/support/bedrock.rs"]
mod bedrock;
#[path = "../tests/support/http.rs"]
#[allow(dead_code)]
mod http;

use std::process::ExitCode;

use bedrock::{BedrockDouble, Scenario};

const USAGE: &str = "usage: bedrock_double [--port PORT] [--scenario sandbox|authorized|fresh]";

fn main() -> ExitCode {
    let mut port: u16 = 0;
    let mut name = "sandbox".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--port" | "--scenario" => args.next(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => None,
        };
        match (arg.as_str(), value) {
            ("--port", Some(v)) if v.parse::<u16>().is_ok() => port = v.parse().unwrap(),
            ("--scenario", Some(v)) => name = v,
            _ => {
                eprintln!("bedrock_double: unexpected argument {arg:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let scenario = match name.as_str() {
        "sandbox" => Scenario::sandbox(),
        "authorized" => Scenario::authorized(),
        "fresh" => Scenario::fresh(),
        other => {
            eprintln!("bedrock_double: unknown scenario {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let model = scenario.model.clone();
    // Only SIGTERM stops it: SIGINT stays as inherited (ignored when the sandbox starts it in
    // the background), so Ctrl-C in a preflight command does not take the double down with it.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let mut term =
        match runtime.block_on(async { tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) }) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("bedrock_double: cannot watch for SIGTERM: {e}");
                return ExitCode::FAILURE;
            }
        };
    let double = match BedrockDouble::bind(&format!("127.0.0.1:{port}"), scenario, Some(|line| println!("{line}"))) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("bedrock_double: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Bedrock double on {} (scenario {name}, model {model}, pid {})", double.url, std::process::id());
    runtime.block_on(term.recv());
    drop(double); // unblocks the server and joins its thread
    println!("Bedrock double stopped");
    ExitCode::SUCCESS
}
