//! GitHub Actions workflows, read for the pipeline check (oidc-provider's
//! `workflow` step): each file parsed with marked-yaml, which keeps the line of
//! every node, into what the check needs — the push trigger, the permissions,
//! and each job's environment and steps (`uses`, `with`, `run`, `env`). `check`
//! judges them against the profile; `write` renders the workflow preflight
//! offers when there is none. Pure: the files are read by the kind.

pub mod check;
pub mod write;

use std::collections::BTreeMap;

use marked_yaml::{Node, types::MarkedMappingNode};

/// A workflow file as read: the workflow, or (file, line, why) when it is not one.
pub type Parsed = Result<Workflow, (String, usize, String)>;

/// A value and the line it is on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub line: usize,
}

/// `on: push`: the branches and tags it runs for (None: no such filter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Push {
    pub line: usize,
    pub branches: Option<At<Vec<String>>>,
    pub branches_ignore: Option<At<Vec<String>>>,
    pub tags: Option<At<Vec<String>>>,
}

/// `permissions:` — `write-all`/`read-all`, or scopes.
#[derive(Debug, Clone, PartialEq)]
pub enum Permissions {
    All(String),
    Scopes(BTreeMap<String, String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepDef {
    pub line: usize,
    pub uses: Option<At<String>>,
    pub with: BTreeMap<String, At<String>>,
    pub run: Option<At<String>>,
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub line: usize,
    pub environment: Option<At<String>>,
    pub permissions: Option<At<Permissions>>,
    pub env: BTreeMap<String, String>,
    pub steps: Vec<StepDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// As shown to the operator: `.github/workflows/deploy.yml`.
    pub file: String,
    /// The line of `on:`.
    pub on_line: usize,
    pub push: Option<Push>,
    pub permissions: Option<At<Permissions>>,
    pub env: BTreeMap<String, String>,
    pub jobs: Vec<Job>,
}

fn line(node: &Node) -> usize {
    node.span().start().map_or(0, |m| m.line())
}

fn text(node: &Node) -> Option<String> {
    node.as_scalar().map(|s| s.as_str().to_string())
}

/// A scalar or a sequence of scalars, as a list.
fn list(node: &Node) -> At<Vec<String>> {
    let value = match node {
        Node::Scalar(s) => vec![s.as_str().to_string()],
        Node::Sequence(items) => items.iter().filter_map(text).collect(),
        Node::Mapping(_) => Vec::new(),
    };
    At { value, line: line(node) }
}

fn strings(map: Option<&MarkedMappingNode>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str().to_string(), text(v)?))).collect()).unwrap_or_default()
}

/// The line of `name:` in a mapping (a block mapping's value starts on the line after it).
fn key_line(map: &MarkedMappingNode, name: &str) -> Option<usize> {
    map.iter().find(|(k, _)| k.as_str() == name).and_then(|(k, _)| k.span().start().map(|m| m.line()))
}

fn permissions_at(map: &MarkedMappingNode) -> Option<At<Permissions>> {
    let node = map.get_node("permissions")?;
    Some(At { line: key_line(map, "permissions").unwrap_or_else(|| line(node)), ..permissions(node) })
}

fn permissions(node: &Node) -> At<Permissions> {
    let value = match node {
        Node::Mapping(m) => {
            Permissions::Scopes(m.iter().filter_map(|(k, v)| Some((k.as_str().to_string(), text(v)?))).collect())
        }
        other => Permissions::All(text(other).unwrap_or_default()),
    };
    At { value, line: line(node) }
}

fn push(on: &Node) -> Option<Push> {
    match on {
        Node::Scalar(s) => (s.as_str() == "push").then(|| Push { line: line(on), ..Push::default() }),
        Node::Sequence(items) => {
            items.iter().find(|i| text(i).as_deref() == Some("push")).map(|i| Push { line: line(i), ..Push::default() })
        }
        Node::Mapping(m) => {
            let (key, value) = m.iter().find(|(k, _)| k.as_str() == "push")?;
            let line = key.span().start().map_or(0, |m| m.line());
            let filters = value.as_mapping();
            let get = |name: &str| filters.and_then(|f| f.get_node(name)).map(list);
            Some(Push { line, branches: get("branches"), branches_ignore: get("branches-ignore"), tags: get("tags") })
        }
    }
}

fn step(node: &Node) -> Option<StepDef> {
    let m = node.as_mapping()?;
    let at = |n: &Node| text(n).map(|value| At { value, line: line(n) });
    Some(StepDef {
        line: line(node),
        uses: m.get_node("uses").and_then(at),
        with: m
            .get_mapping("with")
            .map(|w| w.iter().filter_map(|(k, v)| Some((k.as_str().to_string(), at(v)?))).collect())
            .unwrap_or_default(),
        run: m.get_node("run").and_then(at),
        env: strings(m.get_mapping("env")),
    })
}

fn job(id: &str, id_line: usize, node: &Node) -> Job {
    let m = node.as_mapping();
    let get = |k: &str| m.and_then(|m| m.get_node(k));
    // `environment: NAME` or `environment: {name: NAME, url: …}`.
    let environment = get("environment").and_then(|e| match e {
        Node::Mapping(em) => em.get_node("name").and_then(|n| text(n).map(|value| At { value, line: line(n) })),
        other => text(other).map(|value| At { value, line: line(other) }),
    });
    Job {
        id: id.to_string(),
        line: id_line,
        environment,
        permissions: m.and_then(permissions_at),
        env: strings(m.and_then(|m| m.get_mapping("env"))),
        steps: get("steps")
            .and_then(|s| s.as_sequence())
            .map(|s| s.iter().filter_map(step).collect())
            .unwrap_or_default(),
    }
}

/// Reads one workflow file; Err(line, why) when it is not YAML GitHub could read.
pub fn parse(file: &str, yaml: &str) -> Result<Workflow, (usize, String)> {
    let root = marked_yaml::parse_yaml(0, yaml).map_err(|e| (error_line(&e), e.to_string()))?;
    let m = root.as_mapping().ok_or((1, "the top level is not a mapping".to_string()))?;
    let on = m.iter().find(|(k, _)| k.as_str() == "on");
    let jobs = m
        .get_mapping("jobs")
        .map(|j| j.iter().map(|(k, v)| job(k.as_str(), k.span().start().map_or(0, |m| m.line()), v)).collect())
        .unwrap_or_default();
    Ok(Workflow {
        file: file.to_string(),
        on_line: on.map_or(1, |(k, _)| k.span().start().map_or(1, |m| m.line())),
        push: on.and_then(|(_, v)| push(v)),
        permissions: permissions_at(m),
        env: strings(m.get_mapping("env")),
        jobs,
    })
}

fn error_line(e: &marked_yaml::LoadError) -> usize {
    use marked_yaml::LoadError::*;
    match e {
        TopLevelMustBeMapping(m)
        | TopLevelMustBeSequence(m)
        | UnexpectedAnchor(m)
        | MappingKeyMustBeScalar(m)
        | UnexpectedTag(m)
        | ScanError(m, _) => m.line(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = "name: deploy
on:
  push:
    branches: [main]
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{ secrets.AWS_ROLE_ARN }}
          aws-region: us-east-1
      - run: docker build --platform linux/amd64 .
";

    #[test]
    fn a_workflow_is_read_with_the_line_of_what_the_check_names() {
        let w = parse("deploy.yml", FLOW).unwrap();
        let push = w.push.unwrap();
        assert_eq!((push.line, push.branches.unwrap()), (3, At { value: vec!["main".into()], line: 4 }));
        assert_eq!(w.permissions.unwrap().line, 5);
        let job = &w.jobs[0];
        assert_eq!((job.id.as_str(), job.line), ("deploy", 8));
        assert_eq!(job.environment, Some(At { value: "production".into(), line: 10 }));
        assert_eq!(job.steps[1].uses.as_ref().unwrap().line, 13);
        assert_eq!(job.steps[1].with["aws-region"], At { value: "us-east-1".into(), line: 16 });
        assert_eq!(job.steps[2].run.as_ref().unwrap().value, "docker build --platform linux/amd64 .");
    }

    #[test]
    fn the_forms_of_on_and_bad_yaml() {
        assert!(parse("a.yml", "on: push\njobs: {}\n").unwrap().push.is_some());
        assert!(parse("a.yml", "on: [pull_request, push]\n").unwrap().push.is_some());
        assert!(parse("a.yml", "on: workflow_dispatch\n").unwrap().push.is_none());
        let (line, why) = parse("a.yml", "on:\n  push:\n    branches: [main\n").unwrap_err();
        assert!(line >= 3, "{line}: {why}");
    }
}
