//! The legacy `docker save` layout of Docker before 25 (`manifest.json`, a
//! config file, one `layer.tar` per layer): no registry manifest is in it, so
//! one is written, OCI, with the layers as they are (uncompressed when they are).

use serde::Deserialize;
use serde_json::json;

use super::oci::config_platform;
use super::store::{Store, digest_of};
use super::{Blob, BlobKind, Doc, Single};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn layer_type(store: &Store, name: &str) -> Result<&'static str, String> {
    use std::io::Read;
    let (file, _) = store.open_entry(name)?;
    let mut magic = [0u8; 2];
    let n = file.take(2).read(&mut magic).map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        "application/vnd.oci.image.layer.v1.tar+gzip"
    } else {
        "application/vnd.oci.image.layer.v1.tar"
    })
}

pub(super) fn read(store: &Store) -> Result<(Option<Doc>, Vec<Single>, bool), String> {
    let entries: Vec<Entry> = serde_json::from_slice(&store.read("manifest.json")?)
        .map_err(|e| format!("manifest.json is not a docker save manifest: {e}"))?;
    let entry = match &entries[..] {
        [one] => one,
        [] => return Err("manifest.json lists no image".into()),
        many => {
            let names: Vec<String> = many.iter().flat_map(|e| e.repo_tags.clone().unwrap_or_default()).collect();
            return Err(format!(
                "the archive holds {} images ({}); save one (docker save NAME:TAG)",
                many.len(),
                names.join(", ")
            ));
        }
    };
    let config_bytes = store.read(&entry.config)?;
    let config = Blob {
        digest: digest_of(&config_bytes),
        size: config_bytes.len() as u64,
        media_type: "application/vnd.oci.image.config.v1+json".into(),
        kind: BlobKind::Config,
        name: entry.config.clone(),
    };
    let mut blobs = vec![config.clone()];
    for name in &entry.layers {
        if !store.has(name) {
            return Err(format!("manifest.json names {name}, which is not in the archive: the archive is incomplete"));
        }
        let (digest, size) = store.digest(name)?;
        let media_type = layer_type(store, name)?.to_string();
        blobs.push(Blob { digest, size, media_type, kind: BlobKind::Layer, name: name.clone() });
    }
    let descriptor = |b: &Blob| json!({ "mediaType": b.media_type, "digest": b.digest, "size": b.size });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(&config),
        "layers": blobs[1..].iter().map(descriptor).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&manifest).expect("json");
    let doc = Doc { digest: digest_of(&bytes), media_type: "application/vnd.oci.image.manifest.v1+json".into(), bytes };
    Ok((None, vec![Single { manifest: doc, platform: config_platform(&config_bytes), claimed: None, blobs }], true))
}
