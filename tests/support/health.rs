//! The application's health endpoint, standing in for the service behind the
//! load balancer (moto runs no container and its load balancer's DNS name
//! resolves nowhere): on a free 127.0.0.1 port, answering `status` with `body`.

use super::http::Server;

pub struct Health {
    pub url: String,
    _server: Server,
}

impl Health {
    pub fn start(status: u16, body: &'static str) -> Self {
        let server = Server::start(move |req| req.respond(status, &[("Content-Type", "text/plain")], body.as_bytes()));
        Self { url: format!("http://{}/health", server.addr), _server: server }
    }
}
