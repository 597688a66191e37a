//! The checklist files and assets: built into the binary, or read from a directory.

use std::collections::BTreeMap;
use std::path::Path;

/// The input catalog: every input of every checklist, declared once.
pub const INPUTS_FILE: &str = "checklists/inputs.toml";

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// Files by path relative to the library root: `checklists/<id>.toml`, `assets/...`.
#[derive(Debug, Clone, Default)]
pub struct Library {
    files: BTreeMap<String, String>,
}

impl Library {
    pub fn builtin() -> Self {
        Self { files: builtin::FILES.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect() }
    }

    /// A directory holding `checklists/` and `assets/`.
    pub fn from_dir(root: &Path) -> Result<Self, String> {
        let mut files = BTreeMap::new();
        for sub in ["checklists", "assets"] {
            let mut stack = vec![root.join(sub)];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                        files.insert(rel, text);
                    }
                }
            }
        }
        if !files.keys().any(|k| k.starts_with("checklists/")) {
            return Err(format!("{} has no checklists/ directory with .toml files", root.display()));
        }
        Ok(Self { files })
    }

    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self { files: files.into_iter().map(|(p, c)| (p.to_string(), c.to_string())).collect() }
    }

    /// Checklist files, sorted by path (the input catalog is not one).
    pub fn checklist_files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .filter(|(p, _)| p.starts_with("checklists/") && p.ends_with(".toml") && p.as_str() != INPUTS_FILE)
            .map(|(p, c)| (p.as_str(), c.as_str()))
    }

    /// The input catalog, `checklists/inputs.toml`, when the library has one.
    pub fn inputs_file(&self) -> Option<&str> {
        self.files.get(INPUTS_FILE).map(String::as_str)
    }

    /// An asset by its path under `assets/`.
    pub fn asset(&self, path: &str) -> Option<&str> {
        self.files.get(&format!("assets/{path}")).map(String::as_str)
    }
}
