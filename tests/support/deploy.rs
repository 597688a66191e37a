//! An account with everything ecs-service stands on (iam-policy, ecr-push to a
//! registry on 127.0.0.1, secrets), and the service deployed on moto (its
//! services run their tasks with MOTO_ECS_SERVICE_RUNNING=1); the application's
//! /health stands in for the service behind the load balancer.

use super::health::Health;
use super::image::{build, write_docker_archive};
use super::registry::Registry;
use super::{Moto, Sandbox};

pub const PROFILE: &str = r#"[inputs]
project = "acme"
health_expect = "ok"

[[secrets]]
name = "acme-app"
keys = ["DB_URL", "SESSION_SECRET"]
source = { DB_URL = "env:ACME_DB_URL", SESSION_SECRET = "generate:hex32" }
readers = ["execution", "task"]

[[parameters]]
name = "/acme/brands"
value = "a,b,c"
readers = ["execution", "task"]

[environment]
WORKERS = "2"

[container_secrets]
DB_URL = "acme-app:DB_URL"
BRANDS = "ssm:/acme/brands"
"#;

pub struct Deployed {
    pub moto: Moto,
    pub registry: Registry,
    pub health: Health,
    pub sb: Sandbox,
}

/// A profile with the registry, the image and the health endpoint; `profile` with them added.
pub fn account(name: &str, profile: &str) -> Deployed {
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"), ("MOTO_ECS_SERVICE_RUNNING", "1")]);
    let registry = Registry::start();
    let health = Health::start(200, r#"{"status":"ok"}"#);
    let mut sb = Sandbox::new(name, &moto.url);
    let image = sb.dir.join("image.tar");
    write_docker_archive(&image, &[&build("amd64", 1, 512)]);
    let extra = format!(
        "health_expect = \"ok\"\necr_registry_url = \"{}\"\nimage_source = \"{}\"\nhealth_url = \"{}\"\n",
        registry.url,
        image.display(),
        health.url
    );
    std::fs::write(sb.dir.join("preflight.toml"), profile.replacen("health_expect = \"ok\"\n", &extra, 1)).unwrap();
    sb.env.push(("ACME_DB_URL".into(), "postgres://db/one".into()));
    Deployed { moto, registry, health, sb }
}

/// The account with everything ecs-service stands on, and the service deployed.
pub fn deployed(name: &str) -> Deployed {
    let d = account(name, PROFILE);
    for c in ["iam-policy", "ecr-push", "secrets", "ecs-service"] {
        let out = d.sb.run(&["run", c, "--yes"]);
        assert_eq!(out.code, 0, "{c}: {out:?}");
    }
    d
}
