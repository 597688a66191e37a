//! Embeds `checklists/` and `assets/` into the binary, so `preflight` works
//! from any directory; `--library DIR` loads a directory of the same shape instead.

use std::path::Path;

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    // Read when the script runs, not when it was compiled: a target directory shared by two
    // checkouts must embed this checkout's files.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let root = Path::new(&manifest);
    let mut files = Vec::new();
    for dir in ["checklists", "assets"] {
        println!("cargo:rerun-if-changed={dir}");
        collect(root, &root.join(dir), &mut files);
    }
    let body: String = files
        .iter()
        .map(|f| format!("    ({f:?}, include_str!({:?})),\n", root.join(f).display().to_string()))
        .collect();
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin.rs");
    std::fs::write(out, format!("pub static FILES: &[(&str, &str)] = &[\n{body}];\n")).unwrap();
}
