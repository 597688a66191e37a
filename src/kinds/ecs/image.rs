//! `ecs.image_platform`: the task definition's image is in this account's ECR
//! and runs on the tasks' CPU architecture (the registry is asked, as
//! ecr-push's probe does), and that architecture agrees with ecr-push's platform.

use serde::Deserialize;

use super::platform_of;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::aws::exec::Later;
use crate::engine::outcome::{ProbeResult, Status};
use crate::image::Platform;
use crate::kinds::ecr::distribution::Distribution;
use crate::kinds::ecr::image::{platforms, tag_digest, tag_key};
use crate::kinds::ecr::repository::{describe, repo_arn};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub image: String,
    pub cpu_architecture: String,
    /// ecr-push's `platform`, which must agree.
    pub platform: String,
    #[serde(default)]
    pub registry_url: String,
}

impl KindParams for Params {}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG` → (repo, tag) when it is this account's ECR in this region.
pub fn ecr_parts(x: &Exec, image: &str) -> Option<(String, String)> {
    let host = format!("{}.dkr.ecr.{}.amazonaws.com/", x.aws.account_id, x.aws.region);
    let rest = image.strip_prefix(&host)?;
    let (repo, tag) = rest.rsplit_once('@').or_else(|| rest.rsplit_once(':'))?;
    Some((repo.to_string(), tag.to_string()))
}

/// The image as a task definition names it: by the digest its tag resolves to now.
pub enum Pinned {
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…` (the digest known
    /// after a push an earlier step of this plan makes, when it makes one).
    Digest(Later<String>),
    /// Not this account's ECR, or named by digest already: used as written.
    AsWritten,
    /// The tag does not exist (the repository may not either).
    Missing,
}

/// Pins `image` to the digest its tag resolves to now (a new push under the
/// same tag is then a new revision and a new deployment).
pub async fn pin(x: &Exec, image: &str, registry_url: &str) -> Result<Pinned, AwsError> {
    let Some((repo, tag)) = ecr_parts(x, image) else { return Ok(Pinned::AsWritten) };
    if tag.starts_with("sha256:") {
        return Ok(Pinned::AsWritten);
    }
    let name = image.rsplit_once(':').map_or(image, |(n, _)| n);
    // A push planned before this step moves the tag (a plan of several checklists).
    if let Some(digest) = x.planned(&tag_key(&repo, &tag)) {
        return Ok(Pinned::Digest(digest.map(|d| format!("{name}@{d}"))));
    }
    if describe(x, &repo).await?.is_none() {
        return Ok(Pinned::Missing);
    }
    let d = Distribution::connect(x, &repo, registry_url).await?;
    Ok(match tag_digest(x, &d, &tag).await? {
        Some(digest) => Pinned::Digest(Later::Known(format!("{name}@{digest}"))),
        None => Pinned::Missing,
    })
}

/// The calls of [`pin`]: the repository, the token, the tag's digest.
pub fn pin_calls(x: &Exec, image: &str, _registry_url: &str) -> Vec<Op> {
    let Some((repo, _)) = ecr_parts(x, image) else { return Vec::new() };
    let arn = repo_arn(x, &repo);
    vec![
        Op::new("ecr", "DescribeRepositories", &arn),
        Op::new("ecr", "GetAuthorizationToken", "*"),
        Op::new("registry", "HeadManifest", &arn),
    ]
}

/// What ECR holds for the image, in a sentence (the wrong-architecture
/// verdict's cross-check); never an error: the verdict stands without it.
pub async fn described(x: &Exec, image: &str, registry_url: &str) -> String {
    let Some((repo, tag)) = ecr_parts(x, image) else {
        return format!("{image} is not in this account's ECR: its platforms were not checked");
    };
    match describe(x, &repo).await {
        Ok(None) => return format!("ECR has no repository {repo}"),
        Err(e) => return format!("ECR could not be asked for {image}'s platforms: {}", e.message),
        Ok(Some(_)) => {}
    }
    let found = match Distribution::connect(x, &repo, registry_url).await {
        Ok(d) => platforms(x, &d, &tag, image).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(found)) => format!("ECR holds {image} for {}", found.list()),
        Ok(None) => format!("ECR has no {image}"),
        Err(e) => format!("ECR could not be asked for {image}'s platforms: {}", e.message),
    }
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let want = platform_of(&p.cpu_architecture);
    if want != p.platform {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "cpu_architecture {} runs {want}, but ecr-push builds and checks {}: they must agree",
                p.cpu_architecture, p.platform
            ),
        )
        .with_fix(format!(
            "make them agree: {}; or the other way: {}",
            crate::kinds::kind::change_input(x, "platform", want),
            crate::kinds::kind::change_input(
                x,
                "cpu_architecture",
                if p.platform == "linux/arm64" { "ARM64" } else { "X86_64" }
            )
        )));
    }
    let Some((repo, tag)) = ecr_parts(x, &p.image) else {
        return Ok(ProbeResult::new(
            &id,
            Status::Manual,
            format!(
                "{} is not in this account's ECR: its platform is not checked here; it must have a {want} variant",
                p.image
            ),
        ));
    };
    // ECR's API first: without the repository there is no registry to ask.
    if describe(x, &repo).await?.is_none() {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("repository {repo} does not exist: tasks would stop with CannotPullContainerError"),
        )
        .with_fix("preflight run ecr-push"));
    }
    let d = Distribution::connect(x, &repo, &p.registry_url).await?;
    let Some(found) = platforms(x, &d, &tag, &p.image).await? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Fail,
            format!("{} does not exist: tasks would stop with CannotPullContainerError", p.image),
        )
        .with_fix("preflight run ecr-push"));
    };
    let wanted = Platform::parse(want).expect("a known platform");
    let list = found.list();
    Ok(if found.found.iter().any(|f| f.runs(&wanted)) {
        ProbeResult::new(&id, Status::Pass, format!("{} runs on {want} ({list})", p.image))
    } else {
        ProbeResult::new(
            &id,
            Status::Fail,
            format!("{} is {list}: tasks on {} stop with CannotPullContainerError: image Manifest does not contain descriptor matching platform '{want}'", p.image, p.cpu_architecture),
        )
        .with_fix(format!("docker buildx build --platform {want} -t {} ., then preflight run ecr-push", p.image))
    })
}

/// The calls of [`probe`] (and of [`described`]): the repository, the token, the manifest and config.
pub fn probe_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let Some((repo, _)) = ecr_parts(x, &p.image) else { return Ok(Vec::new()) };
    let arn = repo_arn(x, &repo);
    Ok(vec![
        Op::new("ecr", "DescribeRepositories", &arn),
        Op::new("ecr", "GetAuthorizationToken", "*"),
        Op::new("registry", "GetManifest", &arn),
        Op::new("registry", "GetBlob", &arn),
    ])
}
