//! Container images to push, read from what the operator has: a `docker save`
//! archive (OCI layout inside, or the legacy layout of older Docker), or an
//! OCI image-layout directory. What is read is checked before anything is
//! uploaded: documents against their digests, blobs present with their sizes,
//! and the platforms the image has. No AWS and no network in here.

mod legacy;
mod oci;
mod platform;
pub mod store;

use std::path::Path;

pub use platform::Platform;
use store::Store;

/// A JSON document pushed as a manifest (or index), byte for byte as read,
/// so that its digest in the registry is the source's.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    Config,
    Layer,
}

/// A blob of the image and where it is in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
    pub kind: BlobKind,
    /// Its name in the store.
    pub name: String,
}

/// One platform's image: its manifest, the platform it runs on (None for
/// attestations and other non-runnable entries) and its blobs.
#[derive(Debug, Clone)]
pub struct Single {
    pub manifest: Doc,
    /// What its config says (an index's label is only a claim).
    pub platform: Option<Platform>,
    /// The index's label, when it claims another platform than the config's.
    pub claimed: Option<Platform>,
    pub blobs: Vec<Blob>,
}

#[derive(Debug)]
pub struct Image {
    /// The path it was read from, for messages.
    pub source: String,
    pub store: Store,
    /// The index the source's top points to, if it is one.
    pub index: Option<Doc>,
    /// The manifests whose blobs are all in the source.
    pub manifests: Vec<Single>,
    /// Whether every manifest the index lists is in the source (only then is the index pushed).
    pub complete: bool,
}

/// What to push for one platform choice, in order: blobs, then manifests,
/// then `top` under the tag.
#[derive(Debug)]
pub struct Push<'a> {
    pub blobs: Vec<&'a Blob>,
    pub manifests: Vec<&'a Doc>,
    pub top: &'a Doc,
}

impl Push<'_> {
    pub fn bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

/// What kind of thing the operator named as the image source.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A docker save archive or an OCI layout (directory or tar).
    Image,
    /// A directory with a Dockerfile: needs a Docker engine to build.
    BuildContext,
    /// Not a path: a local image reference (needs a Docker engine to save).
    LocalImage,
}

/// Says what `path` is, without reading an image yet.
pub fn classify(path: &str) -> Result<Source, String> {
    let p = Path::new(path);
    if p.is_dir() {
        if p.join("index.json").is_file() || p.join("oci-layout").is_file() {
            return Ok(Source::Image);
        }
        if p.join("Dockerfile").is_file() || p.join("Containerfile").is_file() {
            return Ok(Source::BuildContext);
        }
        return Err(format!(
            "{path} is a directory with neither an OCI image layout (index.json, oci-layout) nor a Dockerfile"
        ));
    }
    if p.exists() {
        return Ok(Source::Image);
    }
    // An image reference has no path separator before a tag, or looks like NAME:TAG.
    let looks_like_ref =
        !path.contains(std::path::MAIN_SEPARATOR) || path.rsplit('/').next().is_some_and(|l| l.contains(':'));
    if looks_like_ref && !path.ends_with(".tar") && !path.starts_with('.') {
        return Ok(Source::LocalImage);
    }
    Err(format!("{path} does not exist"))
}

impl Image {
    /// Reads an archive or layout; Err says what is wrong with it.
    pub fn open(path: &Path) -> Result<Self, String> {
        let source = path.display().to_string();
        let store = Store::open(path).map_err(|e| format!("{source}: {e}"))?;
        let read = if store.has("index.json") {
            oci::read(&store)
        } else if store.has("manifest.json") {
            legacy::read(&store)
        } else {
            Err("neither an OCI image layout (index.json) nor a docker save archive (manifest.json)".into())
        };
        let (index, manifests, complete) = read.map_err(|e| format!("{source}: {e}"))?;
        Ok(Self { source, store, index, manifests, complete })
    }

    /// The platforms the image can run on.
    pub fn platforms(&self) -> Vec<&Platform> {
        self.manifests.iter().filter_map(|m| m.platform.as_ref()).collect()
    }

    /// What to push so that the tag runs on `want`: the whole index when the
    /// source holds all of it and one of its images runs there; else the one
    /// image that does. Err when none does (the platform gate).
    pub fn select(&self, want: &Platform) -> Result<Push<'_>, String> {
        let runs = |m: &&Single| m.platform.as_ref().is_some_and(|p| p.runs(want));
        let Some(chosen) = self.manifests.iter().find(runs) else {
            let has: Vec<String> = self.platforms().iter().map(|p| p.to_string()).collect();
            let claims: Vec<String> = self
                .manifests
                .iter()
                .filter_map(|m| {
                    Some(format!("an entry labelled {} is {} by its config", m.claimed.as_ref()?, m.platform.as_ref()?))
                })
                .collect();
            return Err(format!(
                "the image has no {want} variant (it has {}{}): Fargate would stop the task with CannotPullContainerError: image Manifest does not contain descriptor matching platform '{want}'",
                if has.is_empty() { "no runnable platform".to_string() } else { has.join(", ") },
                if claims.is_empty() { String::new() } else { format!("; {}", claims.join("; ")) }
            ));
        };
        let (members, top): (Vec<&Single>, &Doc) = match (&self.index, self.complete) {
            (Some(index), true) => (self.manifests.iter().collect(), index),
            _ => (vec![chosen], &chosen.manifest),
        };
        let mut blobs: Vec<&Blob> = Vec::new();
        for b in members.iter().flat_map(|m| &m.blobs) {
            if !blobs.iter().any(|x| x.digest == b.digest) {
                blobs.push(b);
            }
        }
        let manifests = if std::ptr::eq(top, &chosen.manifest) {
            Vec::new()
        } else {
            members.iter().map(|m| &m.manifest).collect()
        };
        Ok(Push { blobs, manifests, top })
    }
}
