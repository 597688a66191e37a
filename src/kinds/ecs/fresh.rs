//! Whether the service's running deployment is older than what the profile
//! now means: the image it runs is not the digest its tag resolves to now (a
//! new push under the same tag), or a secret or parameter its container reads
//! got a new value after the deployment started (tasks read them at start).

use aws_sdk_ecs::types::Service;
use aws_smithy_types::DateTime;

use super::image::{Pinned, ecr_parts, pin};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Exec, Later};
use crate::engine::profile::container::SecretRef;
use crate::kinds::secrets::facts::{self, when};

/// What is older in the running deployment than in the profile.
#[derive(Debug, Default)]
pub struct Stale {
    /// The image runs another digest than its tag's now: what, in a sentence.
    pub image: Option<String>,
    /// Each secret or parameter written after the deployment started, in a sentence.
    pub values: Vec<String>,
}

impl Stale {
    pub fn is_empty(&self) -> bool {
        self.image.is_none() && self.values.is_empty()
    }

    pub fn reasons(&self) -> Vec<String> {
        self.image.iter().cloned().chain(self.values.iter().cloned()).collect()
    }
}

/// `sha256:274611a8c3b1…`.
pub fn short(digest: &str) -> String {
    match digest.char_indices().nth(19) {
        Some((i, _)) => format!("{}…", &digest[..i]),
        None => digest.to_string(),
    }
}

/// When the service's PRIMARY deployment started.
pub fn started(s: &Service) -> Option<DateTime> {
    s.deployments().iter().find(|d| d.status() == Some("PRIMARY")).and_then(|d| d.created_at()).copied()
}

/// The images of the revision the service runs.
async fn running_images(x: &Exec, revision: &str) -> Result<Vec<String>, AwsError> {
    let ecs = x.aws.ecs();
    let op = Op::new("ecs", "DescribeTaskDefinition", "*");
    let read = x.read(op.clone(), ecs.describe_task_definition().task_definition(revision).send());
    let out = x.read_shared(op, revision, read).await?;
    Ok(out
        .task_definition()
        .map(|t| t.container_definitions().iter().filter_map(|c| c.image().map(str::to_string)).collect())
        .unwrap_or_default())
}

/// When ECR says a digest was pushed (None when ECR does not know it: a registry that is not ECR's).
async fn pushed(x: &Exec, repository: &str, digest: &str) -> Option<DateTime> {
    let ecr = x.aws.ecr();
    let id = aws_sdk_ecr::types::ImageIdentifier::builder().image_digest(digest).build();
    let op = Op::new("ecr", "DescribeImages", crate::kinds::ecr::repository::repo_arn(x, repository));
    let out = x.read(op, ecr.describe_images().repository_name(repository).image_ids(id).send()).await.ok()?;
    out.image_details().first().and_then(|d| d.image_pushed_at()).copied()
}

/// What of the running deployment is older than the profile's `image` and container values.
pub async fn stale(x: &Exec, s: &Service, image: &str, registry_url: &str) -> Result<Stale, AwsError> {
    let mut out = Stale::default();
    if let (Some(runs), Some((repo, tag))) = (s.task_definition(), ecr_parts(x, image)) {
        let name = image.rsplit_once(':').map_or(image, |(n, _)| n);
        let running = running_images(x, runs).await?;
        let digest_now = match pin(x, image, registry_url).await? {
            Pinned::Digest(Later::Known(pinned)) => pinned.split_once('@').map(|(_, d)| d.to_string()),
            _ => None,
        };
        let ran = running.iter().find_map(|i| i.strip_prefix(&format!("{name}@")).map(str::to_string));
        if let (Some(ran), Some(now)) = (ran, digest_now)
            && ran != now
        {
            let at = pushed(x, &repo, &now).await.map(|t| format!(" (pushed {})", when(&t))).unwrap_or_default();
            out.image = Some(format!("runs {}; {tag} is now {}{at}", short(&ran), short(&now)));
        }
    }
    let Some(started) = started(s) else { return Ok(out) };
    for c in &x.lists.container_secrets {
        let written = match &c.from {
            // A secret that is gone or being deleted is the task definition's finding, not an age.
            SecretRef::Secret { name, .. } => match facts::secret(x, name).await? {
                Some(f) if f.deleted.is_none() => {
                    facts::version(x, &f).await?.and_then(|v| v.created).map(|t| (format!("secret {name}"), t))
                }
                _ => None,
            },
            SecretRef::Parameter { name } => {
                facts::parameter(x, name).await?.and_then(|p| p.modified).map(|t| (format!("parameter {name}"), t))
            }
        };
        if let Some((what, t)) = written
            && t.secs() > started.secs()
        {
            out.values.push(format!(
                "{what} ({}) got a new value at {}, after the deployment started at {}: its tasks hold the old one",
                c.variable,
                when(&t),
                when(&started)
            ));
        }
    }
    Ok(out)
}

/// The calls of [`stale`].
pub fn stale_calls(x: &Exec, image: &str, registry_url: &str) -> Vec<Op> {
    let mut out = vec![Op::new("ecs", "DescribeTaskDefinition", "*")];
    if let Some((repo, _)) = ecr_parts(x, image) {
        out.push(Op::new("ecr", "DescribeImages", crate::kinds::ecr::repository::repo_arn(x, &repo)));
        out.extend(super::image::pin_calls(x, image, registry_url));
    }
    for c in &x.lists.container_secrets {
        match &c.from {
            SecretRef::Secret { name, .. } => out.extend(facts::secret_calls(x, name)),
            SecretRef::Parameter { .. } => out.extend(facts::parameter_calls()),
        }
    }
    out
}
