//! The image in the repository: `ecr.push_image` reads the source, gates it on
//! the platform before anything is uploaded, then pushes over the registry
//! API (a HEAD per blob, an upload only when missing, then the manifests and
//! the tag). The probes `ecr.image_tag` and `ecr.image_platform` read the
//! registry, so they hold from any machine, with or without the source.

use serde::Deserialize;

use super::distribution::Distribution;
use super::docker::{self, Saved};
use super::repository::repo_arn;
use crate::aws::error::{AwsError, ErrorKind, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::engine::text::bytes;
use crate::image::{BlobKind, Image, Platform, Source, classify};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub repository: String,
    pub tag: String,
    /// A docker save archive, an OCI layout directory, a build context or a local image ("" = none).
    #[serde(default)]
    pub source: String,
    pub platform: String,
    /// The registry API's address instead of the one ECR names ("" = ECR's).
    #[serde(default)]
    pub registry_url: String,
}

impl KindParams for Params {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformParams {
    pub repository: String,
    pub tag: String,
    pub platform: String,
    #[serde(default)]
    pub registry_url: String,
}

impl KindParams for PlatformParams {}

fn platform(text: &str) -> Result<Platform, AwsError> {
    Platform::parse(text).map_err(|e| AwsError::new(ErrorKind::Input, format!("platform: {e}")))
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(19)]
}

fn buildx(want: &Platform, uri: &str, tag: &str) -> String {
    format!("docker buildx build --platform {want} -t {uri}:{tag} .")
}

/// The source, read; `saved` keeps a temporary archive alive. None when it
/// cannot be read without a Docker engine doing a build or save and `build` is false.
struct Opened {
    image: Image,
    _saved: Option<Saved>,
}

fn open(x: &Exec, p: &Params, build: bool) -> Result<Option<Opened>, AwsError> {
    let input = |e: String| AwsError::new(ErrorKind::Input, e);
    let fix = "give a docker save archive (docker save -o image.tar IMAGE) or an OCI image layout directory";
    let (path, saved) = match classify(&p.source).map_err(|e| input(format!("image_source: {e}")).with_fix(fix))? {
        Source::Image => (std::path::PathBuf::from(&p.source), None),
        _ if !build => return Ok(None),
        Source::BuildContext => {
            let saved = docker::build(x, &p.source, &p.platform)?;
            (saved.0.clone(), Some(saved))
        }
        Source::LocalImage => {
            let saved = docker::save(x, &p.source, &p.platform)?;
            (saved.0.clone(), Some(saved))
        }
    };
    let image = Image::open(&path).map_err(|e| input(e).with_fix(fix))?;
    Ok(Some(Opened { image, _saved: saved }))
}

pub async fn push(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let want = platform(&p.platform)?;
    if p.source.is_empty() {
        return Err(AwsError::new(ErrorKind::Input, "image_source is not set: there is nothing to push").with_fix(
            format!(
                "{} (a docker save archive, an OCI image layout directory, or a build context)",
                crate::kinds::kind::change_input(x, "image_source", "image.tar")
            ),
        ));
    }
    let needs_engine = classify(&p.source).is_ok_and(|s| s != Source::Image);
    if needs_engine && x.planning {
        // `plan` builds nothing: it says what the run will do (a run builds before it asks,
        // so that its consent lists each upload).
        let op = Op::new("registry", "PutImage", repo_arn(x, &p.repository));
        let detail = format!("build or save {} for {want} with Docker, then push what is missing", p.source);
        let params = serde_json::json!({ "source": p.source, "platform": want.to_string(), "tag": p.tag });
        x.change_with(op, detail, params, async { Ok::<(), AwsError>(()) }).await?;
        // What the tag will resolve to is known only once the image is built.
        let pending = crate::aws::exec::Pending {
            what: format!("digest of the image built from {}", p.source),
            step: x.step.clone(),
        };
        x.remember(&tag_key(&p.repository, &p.tag), &crate::aws::exec::Later::After(pending));
        return Ok(());
    }
    let opened = open(x, &p, true)?.expect("built or read");
    let image = &opened.image;
    let d = Distribution::connect(x, &p.repository, &p.registry_url).await?;
    x.info(d.token.clone());
    // The gate: nothing is uploaded for an image that would not start.
    let plan = image.select(&want).map_err(|m| AwsError::other(m).with_fix(buildx(&want, &d.uri, &p.tag)))?;
    x.info(format!(
        "{}: {} blob{}, {} in all, to {}:{}",
        image.source,
        plan.blobs.len(),
        if plan.blobs.len() == 1 { "" } else { "s" },
        bytes(plan.bytes()),
        d.uri,
        p.tag
    ));
    for blob in &plan.blobs {
        let what = match blob.kind {
            BlobKind::Config => "config",
            BlobKind::Layer => "layer",
        };
        let at = format!("{}@{}", d.uri, blob.digest);
        if x.read_with(Op::new("registry", "HeadBlob", &at), d.blob_exists(&blob.digest)).await? {
            x.present(&format!("{what} {}", short(&blob.digest)), blob.size);
            continue;
        }
        let report = x.progress_reporter(&format!("{what} {}", short(&blob.digest)));
        let upload = d.push_blob(&image.store, &blob.name, &blob.digest, report);
        let detail = format!("upload {what} {} ({})", short(&blob.digest), bytes(blob.size));
        let params = serde_json::json!({ "digest": blob.digest, "size": blob.size, "mediaType": blob.media_type });
        x.change_with(Op::new("registry", "PutBlob", &at), detail, params, upload).await?;
    }
    for m in &plan.manifests {
        let at = format!("{}@{}", d.uri, m.digest);
        if x.read_with(Op::new("registry", "HeadManifest", &at), d.manifest_digest(&m.digest)).await?.is_some() {
            continue;
        }
        let detail = format!("upload manifest {} ({})", short(&m.digest), m.media_type);
        let params = serde_json::json!({ "reference": m.digest, "mediaType": m.media_type, "size": m.bytes.len() });
        x.change_with(Op::new("registry", "PutManifest", &at), detail, params, d.push_manifest(&m.digest, m)).await?;
    }
    let tagged = format!("{}:{}", d.uri, p.tag);
    let current = x.read_with(Op::new("registry", "HeadManifest", &tagged), d.manifest_digest(&p.tag)).await?;
    if current.as_deref() == Some(plan.top.digest.as_str()) {
        x.note(format!("{tagged} already points to {}", short(&plan.top.digest)));
    } else {
        let detail = match &current {
            Some(old) => format!("move {} from {} to {}", p.tag, short(old), short(&plan.top.digest)),
            None => format!("tag {} as {}", short(&plan.top.digest), p.tag),
        };
        let params =
            serde_json::json!({ "reference": p.tag, "digest": plan.top.digest, "mediaType": plan.top.media_type });
        x.change_with(Op::new("registry", "PutManifest", &tagged), detail, params, d.push_manifest(&p.tag, plan.top))
            .await?;
    }
    // The steps after this one in a plan see the tag where the push puts it.
    x.remember(&tag_key(&p.repository, &p.tag), &crate::aws::exec::Later::Known(plan.top.digest.clone()));
    x.output("image_uri", tagged);
    x.output("image_digest", plan.top.digest.clone());
    Ok(())
}

fn no_tag(id: &str, tagged: &str, checklist: &str) -> ProbeResult {
    ProbeResult::new(id, Status::Fail, format!("{tagged} does not exist"))
        .with_fix(format!("preflight run {checklist} --step image"))
}

pub async fn probe_tag(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let want = platform(&p.platform)?;
    let d = Distribution::connect(x, &p.repository, &p.registry_url).await?;
    let tagged = format!("{}:{}", d.uri, p.tag);
    let Some(current) = x.read_with(Op::new("registry", "HeadManifest", &tagged), d.manifest_digest(&p.tag)).await?
    else {
        return Ok(no_tag(&id, &tagged, &x.checklist));
    };
    x.output("image_digest", current.clone());
    if p.source.is_empty() {
        return Ok(ProbeResult::new(&id, Status::Pass, format!("{tagged} resolves to {current}")));
    }
    let Some(opened) = open(x, &p, false)? else {
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("{tagged} resolves to {current} (the source {} is built at run time: not compared)", p.source),
        ));
    };
    Ok(match opened.image.select(&want) {
        Err(gate) => ProbeResult::new(&id, Status::Fail, format!("the source {}: {gate}", p.source))
            .with_fix(buildx(&want, &d.uri, &p.tag)),
        Ok(plan) if plan.top.digest == current => {
            ProbeResult::new(&id, Status::Pass, format!("{tagged} resolves to {current}, the image of {}", p.source))
        }
        Ok(plan) => ProbeResult::new(
            &id,
            Status::Fail,
            format!("{tagged} resolves to {current}, not to {} of {}", plan.top.digest, p.source),
        )
        .with_fix(format!("preflight run {} --step image", x.checklist)),
    })
}

/// The digest `tag` resolves to now (None: no such tag), read once per command.
pub async fn tag_digest(x: &Exec, d: &Distribution, tag: &str) -> Result<Option<String>, AwsError> {
    let tagged = format!("{}:{tag}", d.uri);
    let op = Op::new("registry", "HeadManifest", &tagged);
    x.read_shared(op.clone(), &format!("{} {tagged}", d.endpoint), x.read_with(op, d.manifest_digest(tag))).await
}

/// The key under which a plan remembers the digest a tag would be moved to.
pub fn tag_key(repository: &str, tag: &str) -> String {
    format!("ecr tag {repository}:{tag}")
}

/// The platforms of what a tag points to, each as its image's config says
/// (an index's label is only a claim); with a sentence for each label that
/// claims another platform than its config.
#[derive(Debug, Clone, Default)]
pub struct Platforms {
    pub found: Vec<Platform>,
    pub claims: Vec<String>,
}

impl Platforms {
    /// `linux/amd64, linux/arm64/v8` (and what the labels claim otherwise).
    pub fn list(&self) -> String {
        let found: Vec<String> = self.found.iter().map(|p| p.to_string()).collect();
        let list = if found.is_empty() { "of no known platform".to_string() } else { found.join(", ") };
        if self.claims.is_empty() { list } else { format!("{list} ({})", self.claims.join("; ")) }
    }
}

/// A manifest's document and media type, read once per command.
async fn manifest_of(
    x: &Exec,
    d: &Distribution,
    reference: &str,
    at: &str,
) -> Result<Option<(Vec<u8>, String)>, AwsError> {
    let op = Op::new("registry", "GetManifest", at);
    x.read_shared(op.clone(), &format!("{} {at}", d.endpoint), x.read_with(op, d.manifest(reference))).await
}

/// What a manifest's config says it runs on.
async fn config_platform(
    x: &Exec,
    d: &Distribution,
    manifest: &serde_json::Value,
) -> Result<Option<Platform>, AwsError> {
    let Some(config) = manifest["config"]["digest"].as_str() else { return Ok(None) };
    let at = format!("{}@{config}", d.uri);
    let op = Op::new("registry", "GetBlob", &at);
    let bytes =
        x.read_shared(op.clone(), &format!("{} {at}", d.endpoint), x.read_with(op, d.small_blob(config))).await?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let field = |k: &str| v[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    Ok(match (field("os"), field("architecture")) {
        (Some(os), Some(architecture)) => Some(Platform { os, architecture, variant: field("variant") }),
        _ => None,
    })
}

pub async fn platforms(x: &Exec, d: &Distribution, tag: &str, tagged: &str) -> Result<Option<Platforms>, AwsError> {
    let Some((doc, media_type)) = manifest_of(x, d, tag, tagged).await? else {
        return Ok(None);
    };
    let value: serde_json::Value = serde_json::from_slice(&doc).unwrap_or_default();
    let mut out = Platforms::default();
    if media_type.contains("index") || media_type.contains("manifest.list") || value.get("manifests").is_some() {
        for entry in value["manifests"].as_array().into_iter().flatten() {
            let label = &entry["platform"];
            let claimed = match (label["os"].as_str(), label["architecture"].as_str()) {
                (Some(os), Some(arch)) if arch != "unknown" => Some(Platform {
                    os: os.to_string(),
                    architecture: arch.to_string(),
                    variant: label["variant"].as_str().map(str::to_string),
                }),
                // An attestation (unknown/unknown) runs nowhere.
                _ => continue,
            };
            let Some(digest) = entry["digest"].as_str() else { continue };
            let at = format!("{}@{digest}", d.uri);
            let Some((bytes, _)) = manifest_of(x, d, digest, &at).await? else { continue };
            let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            match (config_platform(x, d, &manifest).await?, claimed) {
                (Some(own), Some(label)) if !(own.runs(&label) && label.runs(&own)) => {
                    out.claims.push(format!("an entry labelled {label} is {own} by its config"));
                    out.found.push(own);
                }
                (Some(own), _) => out.found.push(own),
                (None, _) => {}
            }
        }
        return Ok(Some(out));
    }
    out.found.extend(config_platform(x, d, &value).await?);
    Ok(Some(out))
}

pub async fn probe_platform(x: &mut Exec, id: String, p: PlatformParams) -> Result<ProbeResult, AwsError> {
    let want = platform(&p.platform)?;
    let d = Distribution::connect(x, &p.repository, &p.registry_url).await?;
    let tagged = format!("{}:{}", d.uri, p.tag);
    let Some(found) = platforms(x, &d, &p.tag, &tagged).await? else {
        return Ok(no_tag(&id, &tagged, &x.checklist));
    };
    let list = found.list();
    Ok(if found.found.iter().any(|f| f.runs(&want)) {
        ProbeResult::new(&id, Status::Pass, format!("{tagged} runs on {want} ({list})"))
    } else {
        ProbeResult::new(
            &id,
            Status::Fail,
            format!(
                "{tagged} is {list}: no {want} variant; a task would stop with CannotPullContainerError: image Manifest does not contain descriptor matching platform '{want}'"
            ),
        )
        .with_fix(format!("{}, then preflight run {} --step image", buildx(&want, &d.uri, &p.tag), x.checklist))
    })
}

/// The registry token, then reads of the tag (and of the config blob it names).
fn read_calls(x: &Exec, repository: &str) -> Vec<Op> {
    let arn = repo_arn(x, repository);
    vec![
        Op::new("ecr", "GetAuthorizationToken", "*"),
        Op::new("registry", "HeadManifest", &arn),
        Op::new("registry", "GetManifest", &arn),
        Op::new("registry", "GetBlob", &arn),
    ]
}

/// The calls of [`push`]: the token, a HEAD per blob and manifest, the uploads, the tag.
pub fn push_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    let arn = repo_arn(x, &p.repository);
    let mut out = read_calls(x, &p.repository);
    for op in ["HeadBlob", "PutBlob", "PutManifest"] {
        out.push(Op::new("registry", op, &arn));
    }
    Ok(out)
}

/// The calls of [`probe_tag`].
pub fn probe_tag_calls(x: &Exec, p: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(read_calls(x, &p.repository))
}

/// The calls of [`probe_platform`].
pub fn probe_platform_calls(x: &Exec, p: &PlatformParams) -> Result<Vec<Op>, AwsError> {
    Ok(read_calls(x, &p.repository))
}
