//! The OCI image layout (`index.json`, `blobs/sha256/…`), in a directory or
//! a tar archive: what `docker save` writes since Docker 25 (with the
//! containerd image store, `index.json` points to an index of platforms).

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use super::store::{Store, blob_path, digest_of};
use super::{Blob, BlobKind, Doc, Platform, Single};

const INDEX_TYPES: [&str; 2] =
    ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];
const MANIFEST_TYPES: [&str; 2] =
    ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"];

/// A document a descriptor points to, checked against its size and digest.
fn document(store: &Store, desc: &Descriptor) -> Result<Doc, String> {
    let digest = desc.digest().to_string();
    let name = blob_path(&digest);
    if !store.has(&name) {
        return Err(format!("{name} (named by the layout) is not there"));
    }
    let bytes = store.read(&name)?;
    if bytes.len() as u64 != desc.size() {
        return Err(format!(
            "{name} is {} bytes, its descriptor says {}: the source is corrupt",
            bytes.len(),
            desc.size()
        ));
    }
    if digest_of(&bytes) != digest {
        return Err(format!("{name} does not match its digest: the source is corrupt"));
    }
    // The document's own mediaType wins over the descriptor's.
    let own = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(str::to_string));
    Ok(Doc { digest, media_type: own.unwrap_or_else(|| desc.media_type().to_string()), bytes })
}

fn is_index(doc: &Doc) -> bool {
    INDEX_TYPES.contains(&doc.media_type.as_str())
}

/// The platform an image config says it runs on; None for what is not an image config.
pub(super) fn config_platform(bytes: &[u8]) -> Option<Platform> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|s| !s.is_empty()).map(str::to_string);
    Some(Platform { os: field("os")?, architecture: field("architecture")?, variant: field("variant") })
}

/// Whether two platforms are the same (a missing variant of arm64 is v8).
fn same_platform(a: &Platform, b: &Platform) -> bool {
    a.os == b.os && a.architecture == b.architecture && (a.variant == b.variant || a.runs(b) && b.runs(a))
}

/// A manifest and its blobs, every one present with its size; the config read for its platform.
fn single(store: &Store, manifest: Doc, listed: Option<&oci_spec::image::Platform>) -> Result<Single, String> {
    let m = ImageManifest::from_reader(manifest.bytes.as_slice())
        .map_err(|e| format!("manifest {} is not an image manifest: {e}", manifest.digest))?;
    let present = |d: &Descriptor, kind: BlobKind| -> Result<Blob, String> {
        let digest = d.digest().to_string();
        let name = blob_path(&digest);
        match store.size(&name) {
            None => {
                Err(format!("manifest {} needs {name}, which is not there: the source is incomplete", manifest.digest))
            }
            Some(size) if size != d.size() => {
                Err(format!("{name} is {size} bytes, the manifest says {}: the source is corrupt", d.size()))
            }
            Some(size) => Ok(Blob { digest, size, media_type: d.media_type().to_string(), kind, name }),
        }
    };
    let config = present(m.config(), BlobKind::Config)?;
    let config_bytes = store.read(&config.name)?;
    if digest_of(&config_bytes) != config.digest {
        return Err(format!("{} does not match its digest: the source is corrupt", config.name));
    }
    let listed = listed.filter(|p| p.architecture().to_string() != "unknown").map(|p| Platform {
        os: p.os().to_string(),
        architecture: p.architecture().to_string(),
        variant: p.variant().clone(),
    });
    // The platform is the config's: an index's label is only a claim. An entry
    // whose config is no image config (an attestation) runs nowhere.
    let platform = config_platform(&config_bytes);
    let claimed = listed.filter(|l| platform.as_ref().is_some_and(|p| !same_platform(p, l)));
    let mut blobs = vec![config];
    for layer in m.layers() {
        blobs.push(present(layer, BlobKind::Layer)?);
    }
    Ok(Single { manifest, platform, claimed, blobs })
}

/// The image of an OCI layout: its index (when the top is one), its manifests,
/// and whether the source holds every manifest the index lists.
pub(super) fn read(store: &Store) -> Result<(Option<Doc>, Vec<Single>, bool), String> {
    let layout_bytes = store.read("index.json")?;
    let layout =
        ImageIndex::from_reader(layout_bytes.as_slice()).map_err(|e| format!("index.json is not an OCI index: {e}"))?;
    let mut entries: Vec<&Descriptor> = Vec::new();
    for d in layout.manifests() {
        if !entries.iter().any(|e| e.digest() == d.digest()) {
            entries.push(d);
        }
    }
    let (top, listed): (Doc, Vec<Descriptor>) = match entries[..] {
        [] => return Err("index.json lists no image".into()),
        [one] => {
            let top = document(store, one)?;
            if is_index(&top) {
                let index = ImageIndex::from_reader(top.bytes.as_slice())
                    .map_err(|e| format!("index {} is not an OCI index: {e}", top.digest))?;
                (top, index.manifests().clone())
            } else if MANIFEST_TYPES.contains(&top.media_type.as_str()) {
                let platform = one.platform().as_ref();
                return Ok((None, vec![single(store, top, platform)?], true));
            } else {
                return Err(format!("index.json points to a {}, not an image", top.media_type));
            }
        }
        // A layout whose index.json lists one image per platform is itself the image index.
        ref many if many.iter().all(|d| d.platform().is_some()) => {
            let top = Doc {
                digest: digest_of(&layout_bytes),
                media_type: INDEX_TYPES[0].to_string(),
                bytes: layout_bytes.clone(),
            };
            (top, many.iter().map(|d| (*d).clone()).collect())
        }
        ref many => {
            return Err(format!(
                "index.json holds {} images; put one in the source (e.g. docker save NAME:TAG)",
                many.len()
            ));
        }
    };
    let mut singles = Vec::new();
    let mut complete = true;
    for d in &listed {
        if !store.has(&blob_path(d.digest().as_ref())) {
            complete = false;
            continue;
        }
        let doc = document(store, d)?;
        if is_index(&doc) {
            return Err(format!(
                "index {} lists another index ({}); nested indexes are not pushed",
                top.digest, doc.digest
            ));
        }
        singles.push(single(store, doc, d.platform().as_ref())?);
    }
    if singles.is_empty() {
        return Err(format!("index {} lists {} images, none of which is in the source", top.digest, listed.len()));
    }
    Ok((Some(top), singles, complete))
}
