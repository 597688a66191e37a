//! Tiny container images written without Docker: one or more layers, a
//! config naming os/architecture, as an OCI image layout (a directory), a
//! `docker save` archive of Docker 25+ (OCI layout plus manifest.json in a
//! tar), the legacy archive of older Docker, or a two-platform index.
//! Shared by the tests and by `examples/make_image.rs` (the sandbox's image
//! and the push benchmark).

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

pub fn sha(bytes: &[u8]) -> String {
    let mut out = String::from("sha256:");
    for b in Sha256::digest(bytes).iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Bytes that do not compress: a xorshift stream from `seed`.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Appends files to a tar, as plain files with fixed metadata (the same bytes every time).
fn append<W: Write>(builder: &mut tar::Builder<W>, files: &[(&str, &[u8])]) {
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, name, *data).unwrap();
    }
}

/// An uncompressed tar with these files.
pub fn layer_tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    append(&mut builder, &files.iter().map(|(n, d)| (*n, d.as_slice())).collect::<Vec<_>>());
    builder.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One platform's image: its layers (uncompressed tars), config, manifest.
pub struct Built {
    pub arch: String,
    pub layers: Vec<Vec<u8>>,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
    /// gzip-compressed layers, as the manifest names them.
    pub blobs: Vec<Vec<u8>>,
}

impl Built {
    pub fn digest(&self) -> String {
        sha(&self.manifest)
    }
}

/// An image for `arch` with `layers` layers of `size` bytes each (a small
/// text file is always in the first one, so that images differ by arch).
pub fn build(arch: &str, layers: usize, size: usize) -> Built {
    let mut tars = Vec::new();
    for i in 0..layers.max(1) {
        let mut files = vec![(format!("layer{i}.bin"), noise(size, (i as u64 + 1) * 7919 + arch.len() as u64))];
        if i == 0 {
            files.push(("etc/preflight".into(), format!("a tiny image for linux/{arch}\n").into_bytes()));
        }
        let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        tars.push(layer_tar(&files));
    }
    let diff_ids: Vec<String> = tars.iter().map(|t| sha(t)).collect();
    let mut config = json!({
        "architecture": arch, "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    if arch == "arm64" {
        config["variant"] = "v8".into();
    }
    let config = serde_json::to_vec(&config).unwrap();
    let blobs: Vec<Vec<u8>> = tars.iter().map(|t| gzip(t)).collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": blobs.iter().map(|b| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(b), "size": b.len()})).collect::<Vec<_>>(),
    }))
    .unwrap();
    Built { arch: arch.into(), layers: tars, config, manifest, blobs }
}

fn blob_name(bytes: &[u8]) -> String {
    format!("blobs/sha256/{}", &sha(bytes)[7..])
}

/// Files of an OCI layout: name → bytes. With one image, index.json points
/// to its manifest; with several, to an index of them (as the containerd
/// image store writes it).
pub fn layout_files(images: &[&Built]) -> (Vec<(String, Vec<u8>)>, String) {
    let mut files: Vec<(String, Vec<u8>)> = vec![("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec())];
    for img in images {
        files.push((blob_name(&img.config), img.config.clone()));
        files.push((blob_name(&img.manifest), img.manifest.clone()));
        for b in &img.blobs {
            files.push((blob_name(b), b.clone()));
        }
    }
    let (top, media_type) = if images.len() == 1 {
        (images[0].manifest.clone(), "application/vnd.oci.image.manifest.v1+json")
    } else {
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": images.iter().map(|i| json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": i.digest(), "size": i.manifest.len(),
                "platform": {"architecture": i.arch, "os": "linux"},
            })).collect::<Vec<_>>(),
        }))
        .unwrap();
        files.push((blob_name(&index), index.clone()));
        (index, "application/vnd.oci.image.index.v1+json")
    };
    let digest = sha(&top);
    let index_json = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": media_type, "digest": digest, "size": top.len(),
            "annotations": {"io.containerd.image.name": "docker.io/library/app:latest", "org.opencontainers.image.ref.name": "latest"}}],
    });
    files.push(("index.json".into(), serde_json::to_vec(&index_json).unwrap()));
    (files, digest)
}

/// An OCI layout directory; returns the digest the tag should resolve to.
pub fn write_layout(dir: &Path, images: &[&Built]) -> String {
    let (files, digest) = layout_files(images);
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    digest
}

fn write_tar(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    append(&mut builder, &files.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect::<Vec<_>>());
    builder.finish().unwrap();
}

/// A `docker save` archive of Docker 25+: the OCI layout plus the legacy manifest.json.
pub fn write_docker_archive(path: &Path, images: &[&Built]) -> String {
    let (mut files, digest) = layout_files(images);
    let img = images[0];
    let manifest_json = json!([{
        "Config": blob_name(&img.config),
        "RepoTags": ["app:latest"],
        "Layers": img.blobs.iter().map(|b| blob_name(b)).collect::<Vec<_>>(),
    }]);
    files.push(("manifest.json".into(), serde_json::to_vec(&manifest_json).unwrap()));
    write_tar(path, &files);
    digest
}

/// The legacy archive of Docker before 25: manifest.json, the config, one
/// uncompressed layer.tar per layer, no registry manifest.
pub fn write_legacy_archive(path: &Path, img: &Built) {
    let config_name = format!("{}.json", &sha(&img.config)[7..]);
    let mut files = vec![(config_name.clone(), img.config.clone())];
    let mut layers = Vec::new();
    for (i, tar) in img.layers.iter().enumerate() {
        let name = format!("{i:064x}/layer.tar");
        files.push((name.clone(), tar.clone()));
        layers.push(name);
    }
    let manifest_json = json!([{"Config": config_name, "RepoTags": ["app:latest"], "Layers": layers}]);
    files.push(("manifest.json".into(), serde_json::to_vec(&manifest_json).unwrap()));
    write_tar(path, &files);
}
