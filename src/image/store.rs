//! Where an image's files are: an OCI image-layout directory, or a tar
//! archive (`docker save`, or an OCI layout packed with tar). A tar archive is
//! indexed once (name → offset and size) and read in place: a layer is
//! streamed from the archive, never loaded whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// JSON documents (index, manifests, configs) are small; a bigger one is not what it claims.
const MAX_DOCUMENT: u64 = 32 << 20;

#[derive(Debug)]
pub enum Store {
    Dir(PathBuf),
    Tar { path: PathBuf, entries: BTreeMap<String, (u64, u64)> },
}

fn normalize(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

impl Store {
    /// Opens a directory or indexes a tar archive. Err says what is wrong with it.
    pub fn open(path: &Path) -> Result<Self, String> {
        if path.is_dir() {
            return Ok(Store::Dir(path.to_path_buf()));
        }
        let file = File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
        let mut archive = tar::Archive::new(file);
        let mut entries = BTreeMap::new();
        let mut links = Vec::new();
        for entry in archive.entries().map_err(|e| format!("not a tar archive: {e}"))? {
            let entry = entry.map_err(|e| format!("not a readable tar archive: {e}"))?;
            let name =
                normalize(&entry.path().map_err(|e| format!("a tar entry has a bad name: {e}"))?.to_string_lossy());
            let kind = entry.header().entry_type();
            if kind.is_file() {
                entries.insert(name, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                // docker save links repeated layers to one blob.
                if let Ok(Some(target)) = entry.link_name() {
                    let target = target.to_string_lossy().to_string();
                    let base = if kind.is_symlink() { name.rsplit_once('/').map_or("", |(d, _)| d) } else { "" };
                    let resolved = normalize(&format!("{base}/{target}"));
                    links.push((name, resolved));
                }
            }
        }
        for (name, target) in links {
            if let Some(at) = entries.get(&target).copied() {
                entries.insert(name, at);
            }
        }
        // A truncated archive ends before its last entry does.
        let len = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?.len();
        if let Some((name, (offset, size))) = entries.iter().find(|(_, (o, s))| o + s > len) {
            return Err(format!("the archive is truncated: {name} needs {} bytes past its end", offset + size - len));
        }
        if entries.is_empty() {
            return Err("not a tar archive with files in it".into());
        }
        Ok(Store::Tar { path: path.to_path_buf(), entries })
    }

    pub fn size(&self, name: &str) -> Option<u64> {
        match self {
            Store::Dir(root) => std::fs::metadata(root.join(name)).ok().filter(|m| m.is_file()).map(|m| m.len()),
            Store::Tar { entries, .. } => entries.get(&normalize(name)).map(|(_, s)| *s),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.size(name).is_some()
    }

    /// An open file positioned at the start of `name`, and its length: read
    /// exactly that many bytes (`Read::take`).
    pub fn open_entry(&self, name: &str) -> Result<(File, u64), String> {
        match self {
            Store::Dir(root) => {
                let path = root.join(name);
                let file = File::open(&path).map_err(|e| format!("cannot read {name}: {e}"))?;
                let len = file.metadata().map_err(|e| format!("cannot read {name}: {e}"))?.len();
                Ok((file, len))
            }
            Store::Tar { path, entries } => {
                let (offset, size) =
                    *entries.get(&normalize(name)).ok_or_else(|| format!("{name} is not in the archive"))?;
                let mut file = File::open(path).map_err(|e| format!("cannot read the archive: {e}"))?;
                file.seek(SeekFrom::Start(offset)).map_err(|e| format!("cannot read {name}: {e}"))?;
                Ok((file, size))
            }
        }
    }

    /// A small file (a JSON document), whole.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        let (file, len) = self.open_entry(name)?;
        if len > MAX_DOCUMENT {
            return Err(format!("{name} is {len} bytes: too big for a manifest, index or config"));
        }
        let mut out = Vec::with_capacity(len as usize);
        file.take(len).read_to_end(&mut out).map_err(|e| format!("cannot read {name}: {e}"))?;
        if out.len() as u64 != len {
            return Err(format!("{name} is cut short"));
        }
        Ok(out)
    }

    /// The sha256 digest of a file, streamed (`sha256:<hex>`).
    pub fn digest(&self, name: &str) -> Result<(String, u64), String> {
        let (file, len) = self.open_entry(name)?;
        let mut hasher = Sha256::new();
        let copied = std::io::copy(&mut file.take(len), &mut HashWriter(&mut hasher))
            .map_err(|e| format!("cannot read {name}: {e}"))?;
        if copied != len {
            return Err(format!("{name} is cut short"));
        }
        Ok((hex_digest(hasher), len))
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sha256:<hex>` of what a hasher has seen.
pub fn hex_digest(hasher: Sha256) -> String {
    let bytes = hasher.finalize();
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in bytes.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `sha256:<hex>` of some bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(bytes);
    hex_digest(hasher)
}

/// Where a blob lives in an OCI layout.
pub fn blob_path(digest: &str) -> String {
    let (algo, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    format!("blobs/{algo}/{hex}")
}
