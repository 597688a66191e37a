//! The layout rules of ARCHITECTURE.md, checked on the source tree: the
//! top-level modules import each other without a circle, the pure core
//! imports no AWS, async runtime or terminal, kinds never import the
//! registry that lists them, the kinds' service families import each
//! other without a circle either, and no front end imports another.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc comments may name anything).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Top-level module -> the top-level modules its files name as `crate::X`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let re = regex_lite::Regex::new(r"crate::([a-z_]+)").unwrap();
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(src()).unwrap().flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        let mut uses = BTreeSet::new();
        for f in &files {
            for cap in re.captures_iter(&code(f)) {
                let target = cap[1].to_string();
                if target != name && src().join(&target).is_dir() {
                    uses.insert(target);
                }
            }
        }
        graph.insert(name, uses);
    }
    graph
}

/// A circle in the graph, as the path that closes it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cycle_finder_finds_a_circle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert_eq!(find_cycle(&graph).unwrap(), vec!["a", "b", "c", "a"]);
    let acyclic: BTreeMap<String, BTreeSet<String>> =
        [("a".to_string(), BTreeSet::from(["b".to_string()])), ("b".to_string(), BTreeSet::new())].into();
    assert_eq!(find_cycle(&acyclic), None);
}

#[test]
fn top_level_modules_import_each_other_without_a_circle() {
    let graph = module_graph();
    assert!(graph.contains_key("kinds") && graph.contains_key("aws"), "{graph:?}");
    assert_eq!(find_cycle(&graph), None, "module graph: {graph:#?}");
    // The plumbing knows nothing of the kinds built on it.
    assert!(!graph["aws"].contains("kinds"), "src/aws imports the kinds: {:?}", graph["aws"]);
}

#[test]
fn the_pure_core_has_no_aws_runtime_or_terminal() {
    let banned = ["tokio", "aws_sdk", "aws_config", "aws_smithy", "ratatui", "crossterm", "inquire"];
    for dir in ["engine", "policy"] {
        let mut files = Vec::new();
        rust_files(&src().join(dir), &mut files);
        for f in files {
            let text = code(&f);
            for word in banned {
                assert!(!text.contains(word), "{} uses {word}: src/{dir} must stay pure", f.display());
            }
        }
        let graph = module_graph();
        let allowed: BTreeSet<String> = ["engine", "policy"].iter().map(|s| s.to_string()).collect();
        let outside: Vec<_> = graph[dir].difference(&allowed).collect();
        assert!(outside.is_empty(), "src/{dir} imports {outside:?}");
    }
}

/// No front end imports another: what they share (session set-up, prompts, the
/// wording of outcomes) lives in src/front beneath them. A test file may hold a
/// front end's text up against another's (the wizard's consent against the CLI's plan).
#[test]
fn front_ends_import_no_other_front_end() {
    let fronts = ["cli", "tui", "report"];
    for dir in ["cli", "tui", "report", "front"] {
        let mut files = Vec::new();
        if src().join(dir).is_dir() {
            rust_files(&src().join(dir), &mut files);
        }
        assert!(files.len() > 2 || dir == "report", "src/{dir}: {files:?}");
        for f in files.iter().filter(|f| !f.ends_with("tests.rs") && !f.to_string_lossy().ends_with("_tests.rs")) {
            let text = code(f);
            for other in fronts.iter().filter(|o| **o != dir) {
                assert!(
                    !text.contains(&format!("crate::{other}::")),
                    "{} imports the front end src/{other}: move what both need into src/front",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn reading_images_needs_no_other_module() {
    let graph = module_graph();
    assert!(graph["image"].is_empty(), "src/image imports {:?}", graph["image"]);
    let mut files = Vec::new();
    rust_files(&src().join("image"), &mut files);
    for f in files {
        let text = code(&f);
        for word in ["aws_sdk", "oci_client", "tokio", "ratatui"] {
            assert!(!text.contains(word), "{} uses {word}: reading an image is neither AWS nor network", f.display());
        }
    }
}

#[test]
fn kinds_never_import_the_registry() {
    let mut files = Vec::new();
    rust_files(&src().join("kinds"), &mut files);
    assert!(files.len() > 5, "{files:?}");
    for f in files.iter().filter(|f| !f.ends_with("registry.rs") && !f.ends_with("kinds/mod.rs")) {
        let text = code(f);
        assert!(
            !text.contains("registry::") && !text.contains("registry}") && !text.contains("registry;"),
            "{} names the registry: kinds import kinds::kind and the AWS plumbing; only the registry imports kinds",
            f.display()
        );
    }
}

/// Service family under src/kinds (a folder or a file) -> the families it names as `crate::kinds::X`.
fn kind_family_graph() -> BTreeMap<String, BTreeSet<String>> {
    let re = regex_lite::Regex::new(r"crate::kinds::([a-z_0-9]+)").unwrap();
    let root = src().join("kinds");
    let shared = ["mod", "kind", "registry"];
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if shared.contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path.clone());
        }
        let mut uses = BTreeSet::new();
        for f in &files {
            for cap in re.captures_iter(&code(f)) {
                if cap[1] != name && !shared.contains(&&cap[1]) {
                    uses.insert(cap[1].to_string());
                }
            }
        }
        graph.insert(name, uses);
    }
    graph
}

#[test]
fn the_service_families_of_the_kinds_import_each_other_without_a_circle() {
    let graph = kind_family_graph();
    assert!(graph.contains_key("ecs") && graph.contains_key("ec2") && graph.contains_key("elb"), "{graph:?}");
    // ecs's service step uses the load balancer's target group, which uses ec2's network: one way.
    assert!(graph["ecs"].contains("elb") && graph["elb"].contains("ec2"), "{graph:#?}");
    assert_eq!(find_cycle(&graph), None, "kinds' family graph: {graph:#?}");
}
