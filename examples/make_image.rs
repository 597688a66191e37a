//! Writes a small container image without Docker, for the sandbox (a tiny
//! example to push) and the push benchmark (a big one):
//!
//!   make_image --out PATH [--format docker|oci|legacy] [--arch amd64|arm64] [--layers N] [--size BYTES]
//!
//! `docker` is a `docker save` archive of Docker 25+, `oci` an OCI image-layout
//! directory, `legacy` the archive of older Docker. Layers hold incompressible
//! bytes, `--size` each. The image code is the tests' (tests/support/image.rs).

#[path = "../tests/support/image.rs"]
mod image;

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut out, mut format, mut arch, mut layers, mut size) =
        (None, "docker".to_string(), "amd64".to_string(), 1, 1024);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value())),
            "--format" => format = value(),
            "--arch" => arch = value(),
            "--layers" => layers = value().parse().unwrap_or_else(|_| usage("--layers takes a number")),
            "--size" => size = value().parse().unwrap_or_else(|_| usage("--size takes a number of bytes")),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let out = out.unwrap_or_else(|| usage("--out PATH is required"));
    let built = image::build(&arch, layers, size);
    match format.as_str() {
        "docker" => {
            image::write_docker_archive(&out, &[&built]);
        }
        "oci" => {
            image::write_layout(&out, &[&built]);
        }
        "legacy" => image::write_legacy_archive(&out, &built),
        other => usage(&format!("unknown format {other}")),
    }
    println!("{} ({format}, linux/{arch}, {layers} layer(s) of {size} bytes): {}", out.display(), built.digest());
}

fn usage(why: &str) -> ! {
    eprintln!(
        "make_image: {why}\nusage: make_image --out PATH [--format docker|oci|legacy] [--arch amd64|arm64] [--layers N] [--size BYTES]"
    );
    std::process::exit(2)
}
