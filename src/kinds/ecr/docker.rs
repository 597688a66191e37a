//! Sources that need a Docker engine: a build context (built with `docker
//! buildx build --platform`) or a local image reference. Either is saved to a
//! temporary archive, which then goes through the one push path. Without an
//! engine this is an input error naming the fix.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::exec::Exec;

/// A temporary archive, deleted when dropped.
pub struct Saved(pub PathBuf);

impl Drop for Saved {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Why no Docker engine answers, if none does.
fn engine_missing() -> Option<String> {
    match Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]).output() {
        Err(e) => Some(format!("the docker command cannot run ({e})")),
        Ok(out) if !out.status.success() || out.stdout.iter().all(u8::is_ascii_whitespace) => {
            let why = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").trim().to_string();
            Some(format!("no Docker engine answers ({why})"))
        }
        Ok(_) => None,
    }
}

fn no_engine(what: &str, why: String, platform: &str) -> AwsError {
    AwsError::new(ErrorKind::Input, format!("{what} needs a Docker engine, and {why}")).with_fix(format!(
        "on a machine with Docker: docker buildx build --platform {platform} -t IMAGE . && docker save -o image.tar IMAGE; then --set image_source=image.tar"
    ))
}

fn temp_archive() -> PathBuf {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("preflight-image-{}-{n}.tar", std::process::id()))
}

/// Runs docker, its output lines going to the step's log.
fn docker(x: &Exec, args: &[&str]) -> Result<(), AwsError> {
    x.note(format!("docker {}", args.join(" ")));
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| AwsError::new(ErrorKind::Input, format!("docker {}: {e}", args[0])))?;
    for line in String::from_utf8_lossy(&out.stderr).lines().chain(String::from_utf8_lossy(&out.stdout).lines()) {
        x.note(format!("  {line}"));
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(AwsError::new(ErrorKind::Input, format!("docker {} failed ({})", args.join(" "), out.status)))
    }
}

/// Builds a context for `platform` and saves the image to a temporary archive.
pub fn build(x: &Exec, context: &str, platform: &str) -> Result<Saved, AwsError> {
    if let Some(why) = engine_missing() {
        return Err(no_engine(&format!("image_source {context} is a build context: building it"), why, platform));
    }
    let tag = format!("preflight-build:{}", std::process::id());
    docker(x, &["buildx", "build", "--platform", platform, "--load", "-t", &tag, context])?;
    let saved = Saved(temp_archive());
    docker(x, &["save", "-o", &saved.0.display().to_string(), &tag])?;
    Ok(saved)
}

/// Saves a local image to a temporary archive.
pub fn save(x: &Exec, reference: &str, platform: &str) -> Result<Saved, AwsError> {
    if let Some(why) = engine_missing() {
        return Err(no_engine(
            &format!("image_source {reference} is not a file: saving the local image"),
            why,
            platform,
        ));
    }
    let saved = Saved(temp_archive());
    docker(x, &["save", "-o", &saved.0.display().to_string(), reference])?;
    Ok(saved)
}
