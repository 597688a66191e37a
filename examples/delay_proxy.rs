//! The test proxy (tests/support/proxy.rs) as a program, for
//! scripts/bench-verify.sh: it forwards every request on 127.0.0.1 to one
//! upstream after a fixed delay (a network's round trip), and logs each.
//!
//!   delay_proxy --upstream http://127.0.0.1:PORT --delay-ms 40 [--log FILE]
//!
//! It prints its URL on the first line of stdout, then serves until killed.

#[path = "../tests/support/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "../tests/support/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::sync::atomic::Ordering;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut upstream, mut delay, mut log) = (None, 0u64, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--upstream" => upstream = Some(value()),
            "--delay-ms" => delay = value().parse().expect("--delay-ms is a number of milliseconds"),
            "--log" => log = Some(value()),
            other => panic!("unknown argument {other}: delay_proxy --upstream URL --delay-ms N [--log FILE]"),
        }
    }
    let upstream = upstream.expect("--upstream URL");
    assert!(upstream.starts_with("http://127.0.0.1:"), "the proxy forwards to 127.0.0.1 only, not {upstream}");
    let p = proxy::Proxy::start(&upstream);
    p.behaviour.delay_ms.store(delay, Ordering::SeqCst);
    if let Some(path) = log {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("the log file");
        *p.behaviour.log.lock().unwrap() = Some(file);
    }
    println!("{}", p.url);
    loop {
        std::thread::park();
    }
}
