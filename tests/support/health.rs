//! The application's health endpoint, standing in for the service behind the
//! load balancer (moto runs no container and its load balancer's DNS name
//! resolves nowhere): on a free 127.0.0.1 port, answering `status` with `body`.

use std::sync::Arc;

pub struct Health {
    pub url: String,
    server: Arc<tiny_http::Server>,
}

impl Health {
    pub fn start(status: u16, body: &'static str) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}/health", server.server_addr().to_ip().unwrap());
        let s = server.clone();
        std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let _ = req.respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
        });
        Self { url, server }
    }
}

impl Drop for Health {
    fn drop(&mut self) {
        self.server.unblock();
    }
}
