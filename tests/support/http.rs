//! The HTTP/1.1 server under the test doubles (the proxy in front of moto, the
//! Bedrock double, the health endpoint): one thread per connection, one
//! request per connection (every answer says `Connection: close`), requests
//! parsed by httparse, on 127.0.0.1 only.
//!
//! Why not tiny_http here: its connection pool (0.12) can leave a new
//! connection queued behind threads that wait on idle keep-alive connections
//! (hyper opens spare ones under many concurrent requests) — the request then
//! waits until the client gives up, a 30 s read timeout that made the
//! throttling test fail under load. A thread per connection cannot starve.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a connection may sit without sending its request (a spare one the client never used).
const IDLE: Duration = Duration::from_secs(120);
const MAX_HEAD: usize = 64 * 1024;

pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    stream: TcpStream,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Answers and closes the connection.
    pub fn respond(mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (k, v) in headers.iter().filter(|(k, _)| !is_framing(k)) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
        let _ = self.stream.write_all(head.as_bytes()).and_then(|_| self.stream.write_all(body));
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// Headers this server writes itself.
#[allow(dead_code)]
pub fn is_framing(name: &str) -> bool {
    ["content-length", "connection", "transfer-encoding", "keep-alive"].contains(&name.to_ascii_lowercase().as_str())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        502 => "Bad Gateway",
        _ => "",
    }
}

pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves on a free 127.0.0.1 port; `handle` runs on the connection's own thread.
    pub fn start(handle: impl Fn(Request) + Send + Sync + 'static) -> Self {
        Self::bind("127.0.0.1:0", handle).expect("bind 127.0.0.1")
    }

    /// Serves on `addr` (127.0.0.1:PORT).
    pub fn bind(addr: &str, handle: impl Fn(Request) + Send + Sync + 'static) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, handle) = (stop.clone(), Arc::new(handle));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let handle = handle.clone();
                std::thread::spawn(move || {
                    if let Some(request) = read(stream) {
                        handle(request);
                    }
                });
            }
        });
        Ok(Self { addr, stop, thread: Some(thread) })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request: its head through httparse, then Content-Length bytes of body.
fn read(stream: TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(IDLE)).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let before = head.len();
        reader.read_until(b'\n', &mut head).ok()?;
        if head.len() == before || head.len() > MAX_HEAD {
            return None;
        }
    }
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut slots);
    if !parsed.parse(&head).ok()?.is_complete() {
        return None;
    }
    let headers: Vec<(String, String)> =
        parsed.headers.iter().map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned())).collect();
    if headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding")) {
        // No client of these tests sends a chunked body; say so rather than misread one.
        let _ = (&stream).write_all(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return None;
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method: parsed.method?.to_string(), url: parsed.path?.to_string(), headers, body, stream })
}
