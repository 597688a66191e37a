//! Reading the repository: each finding with the file and line it came from.

use std::path::{Path, PathBuf};

use super::{Applies, Findings, Found, Variable};

/// The example environment files, first found wins; `.env` itself holds values and is never read.
const ENV_EXAMPLES: [&str; 3] = [".env.example", ".env.sample", ".env.template"];
/// A variable whose name holds one of these is a secret.
const SECRET_WORDS: [&str; 13] = [
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASS",
    "PASSWD",
    "PWD",
    "PRIVATE",
    "CREDENTIAL",
    "CREDENTIALS",
    "DSN",
    "AUTH",
    "APIKEY",
];
/// What calling Bedrock's runtime looks like in sources and lock files (Python, JavaScript, Go, Java, .NET).
const BEDROCK_MARKS: [&str; 5] =
    ["bedrock-runtime", "bedrock_runtime", "@aws-sdk/client-bedrock-runtime", "bedrockruntime", "BedrockRuntime"];
/// Folders never searched: dependencies, builds, tools' state.
const SKIP_DIRS: [&str; 9] =
    [".git", "node_modules", "target", ".venv", "venv", "__pycache__", "dist", "build", ".tox"];
/// The longest project name whose derived names all fit (`PROJECT-alb` ≤ 32).
const MAX_PROJECT: usize = 28;
/// Bounds of the search for Bedrock calls.
const MAX_FILES: usize = 5000;
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Everything `init` can find in `dir`; `origin` is what `git remote get-url origin` said, if anything.
pub fn detect(dir: &Path, origin: Option<&str>) -> Findings {
    let mut f = Findings::default();
    let folder = dir.canonicalize().ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    f.project = folder.as_deref().and_then(project_name).map(|value| Found { value, from: "the folder's name".into() });
    f.github_repository =
        origin.and_then(github_repository).map(|value| Found { value, from: "git remote get-url origin".into() });
    let dockerfile = dir.join("Dockerfile");
    if let Ok(text) = std::fs::read_to_string(&dockerfile) {
        dockerfile_findings(&text, &mut f);
        for c in ["secrets", "ecr-push", "ecs-service"] {
            f.checklists.push(Applies { checklist: c.into(), why: "a Dockerfile: the container path".into() });
        }
    }
    // A regular file only: an example that is a link (to .env, say) is not read.
    let regular = |n: &str| std::fs::symlink_metadata(dir.join(n)).is_ok_and(|m| m.file_type().is_file());
    if let Some((name, text)) = ENV_EXAMPLES
        .iter()
        .filter(|n| regular(n))
        .find_map(|n| std::fs::read_to_string(dir.join(n)).ok().map(|t| (*n, t)))
    {
        f.variables = variables(name, &text);
    }
    f.checklists.insert(0, Applies { checklist: "iam-policy".into(), why: "the application's runtime role".into() });
    if let Some(at) = bedrock_call(dir) {
        f.checklists
            .insert(1, Applies { checklist: "model-access".into(), why: format!("the code calls Bedrock ({at})") });
    }
    if dir.join(".github").is_dir() {
        f.checklists
            .push(Applies { checklist: "oidc-provider".into(), why: ".github/: GitHub Actions deploys".into() });
    }
    f
}

/// A folder's name as a project name: lowercase letters, digits and dashes,
/// starting with a letter, 2 to 28 characters: the load balancer's and target
/// group's names (`PROJECT-alb`, `PROJECT-tg`, at most 32) are made from it.
pub fn project_name(folder: &str) -> Option<String> {
    let mut out = String::new();
    for c in folder.to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            _ if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            _ => {}
        }
    }
    let mut out = out.trim_matches('-').to_string();
    if out.is_empty() {
        return None;
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out = format!("app-{out}");
    }
    out.truncate(MAX_PROJECT);
    let out = out.trim_end_matches('-').to_string();
    (out.len() >= 2).then_some(out)
}

/// `OWNER/NAME` from a GitHub remote URL (https, ssh, scp-like), with GitHub's letter case as written.
pub fn github_repository(url: &str) -> Option<String> {
    let url = url.trim();
    let path =
        ["https://github.com/", "http://github.com/", "ssh://git@github.com/", "git@github.com:", "git://github.com/"]
            .iter()
            .find_map(|p| url.strip_prefix(p))?;
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let (owner, name) = path.split_once('/')?;
    (!owner.is_empty() && !name.is_empty() && !name.contains('/')).then(|| format!("{owner}/{name}"))
}

/// The Dockerfile's instructions, continuation lines joined, with the line each starts on.
fn instructions(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        // Docker skips blank and comment lines, inside a continuation too.
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (start, mut acc) = open.take().unwrap_or((i + 1, String::new()));
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                acc.push_str(part);
                acc.push(' ');
                open = Some((start, acc));
            }
            None => {
                acc.push_str(trimmed);
                out.push((start, acc));
            }
        }
    }
    out.extend(open);
    out
}

fn dockerfile_findings(text: &str, f: &mut Findings) {
    for (line, ins) in instructions(text) {
        let mut words = ins.split_whitespace();
        let Some(op) = words.next().map(str::to_uppercase) else { continue };
        let from = format!("Dockerfile:{line}");
        match op.as_str() {
            "EXPOSE" if f.container_port.is_none() => {
                if let Some(port) =
                    words.next().and_then(|p| p.split('/').next()?.parse::<u16>().ok()).filter(|p| *p > 0)
                {
                    f.container_port = Some(Found { value: port.to_string(), from: format!("{from} (EXPOSE)") });
                }
            }
            "HEALTHCHECK" => {
                // `HEALTHCHECK … CMD curl -f http://localhost:8000/health`: the path of the URL.
                let path = ins.split_whitespace().find_map(|w| {
                    let w = w.trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == '[' || c == ']');
                    let rest = match w.split_once("://") {
                        Some((_, rest)) => rest,
                        // `curl -f localhost:8000/healthz`: a host with a port, no scheme.
                        None if w.starts_with("localhost") || w.starts_with("127.0.0.1") => w,
                        None => return None,
                    };
                    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
                    Some(path.split(['|', ';', '"', '\'']).next().unwrap_or(path).to_string())
                });
                if let Some(path) = path {
                    f.health_path = Some(Found { value: path, from: format!("{from} (HEALTHCHECK)") });
                }
            }
            "FROM" => {
                // The image that runs is the last stage's: each FROM starts again; a build
                // argument ($BUILDPLATFORM) says nothing of where the image runs.
                f.platform = ins
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("--platform="))
                    .filter(|p| !p.contains('$'))
                    .map(|p| Found { value: p.to_string(), from });
            }
            _ => {}
        }
    }
}

/// `NAME=value` lines of an example environment file.
fn variables(file: &str, text: &str) -> Vec<Variable> {
    // `scheme://user:password@host`, or `redis://:password@host`.
    let credentials_url = regex_lite::Regex::new(r"://[^/@\s:]*:[^/@\s]+@").expect("regex");
    let mut out: Vec<Variable> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else { continue };
        let name = name.trim();
        // A name the container can have (as the profile's [environment] accepts them).
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || out.iter().any(|v| v.name == name) {
            continue;
        }
        let value = value.split(" #").next().unwrap_or("").trim().trim_matches(|c| c == '"' || c == '\'').to_string();
        // A secret word is a whole part of the name (API_KEY, DB_PASSWORD; not MAX_TOKENS, KEYCLOAK_URL).
        let upper = name.to_uppercase();
        let secret = upper.split('_').any(|part| SECRET_WORDS.contains(&part)) || credentials_url.is_match(&value);
        out.push(Variable { name: name.to_string(), example: value, secret, from: format!("{file}:{}", i + 1) });
    }
    out
}

/// The first place (`path:line`) that calls Bedrock's runtime, searched boundedly.
fn bedrock_call(dir: &Path) -> Option<String> {
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut entries: Vec<_> = entries.flatten().filter_map(|e| Some((e.path(), e.file_type().ok()?))).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, kind) in entries {
            // Every entry counts, folders too: the walk ends, whatever the tree.
            seen += 1;
            if seen > MAX_FILES {
                return None;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Links are not followed (a link to / or a loop); only regular files are read (not a pipe).
            if kind.is_dir() {
                if !SKIP_DIRS.contains(&name.as_str()) {
                    stack.push(path);
                }
                continue;
            }
            if !kind.is_file() || name.starts_with(".env") || path.metadata().map_or(true, |m| m.len() > MAX_FILE_BYTES)
            {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            if let Some(i) = text.lines().position(|l| BEDROCK_MARKS.iter().any(|m| l.contains(m))) {
                let shown = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
                return Some(format!("{shown}:{}", i + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_become_project_names() {
        assert_eq!(project_name("Comafi AI").as_deref(), Some("comafi-ai"));
        assert_eq!(project_name("my_api.v2").as_deref(), Some("my-api-v2"));
        assert_eq!(project_name("2048").as_deref(), Some("app-2048"));
        assert_eq!(project_name(&"x".repeat(60)).map(|p| p.len()), Some(28));
        assert_eq!(project_name("--"), None);
    }

    #[test]
    fn github_remotes_in_every_form() {
        for url in [
            "https://github.com/Comafi/comafi-ai.git",
            "git@github.com:Comafi/comafi-ai.git",
            "ssh://git@github.com/Comafi/comafi-ai",
            "https://github.com/Comafi/comafi-ai/",
        ] {
            assert_eq!(github_repository(url).as_deref(), Some("Comafi/comafi-ai"), "{url}");
        }
        assert_eq!(github_repository("https://gitlab.com/a/b.git"), None);
    }

    #[test]
    fn a_dockerfile_says_port_health_path_and_platform() {
        let mut f = Findings::default();
        dockerfile_findings(
            "FROM --platform=linux/arm64 python:3.12-slim\nWORKDIR /app\nEXPOSE 8000/tcp\nHEALTHCHECK --interval=30s \\\n  CMD curl -f http://localhost:8000/healthz || exit 1\n",
            &mut f,
        );
        assert_eq!(f.container_port, Some(Found { value: "8000".into(), from: "Dockerfile:3 (EXPOSE)".into() }));
        assert_eq!(f.health_path, Some(Found { value: "/healthz".into(), from: "Dockerfile:4 (HEALTHCHECK)".into() }));
        assert_eq!(f.platform, Some(Found { value: "linux/arm64".into(), from: "Dockerfile:1".into() }));
    }

    #[test]
    fn example_variables_are_told_secret_or_plain() {
        let v = variables(
            ".env.example",
            "# the app\nOPENAI_API_KEY=sk-...\nexport DATABASE_URL=\"postgres://app:changeme@db/app\"\nAPP_ENV=production\nLOG_LEVEL=info # or debug\nBYPASS_CACHE=1\nGITHUB_TOKEN=\n",
        );
        let got: Vec<(&str, bool, &str)> = v.iter().map(|v| (v.name.as_str(), v.secret, v.from.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("OPENAI_API_KEY", true, ".env.example:2"),
                ("DATABASE_URL", true, ".env.example:3"),
                ("APP_ENV", false, ".env.example:4"),
                ("LOG_LEVEL", false, ".env.example:5"),
                ("BYPASS_CACHE", false, ".env.example:6"),
                ("GITHUB_TOKEN", true, ".env.example:7"),
            ]
        );
        assert_eq!(v[3].example, "info");
        let v = variables(
            ".env.example",
            "MAX_TOKENS=512\nKEYCLOAK_URL=https://id\nDB_PASSWD=x\nSENTRY_DSN=https://k@sentry\nCACHE=redis://:pw@cache:6379\n2FA=1\n",
        );
        let got: Vec<(&str, bool)> = v.iter().map(|v| (v.name.as_str(), v.secret)).collect();
        assert_eq!(
            got,
            vec![
                ("MAX_TOKENS", false),
                ("KEYCLOAK_URL", false),
                ("DB_PASSWD", true),
                ("SENTRY_DSN", true),
                ("CACHE", true)
            ]
        );
    }

    #[test]
    fn the_last_stage_and_other_health_check_forms() {
        let mut f = Findings::default();
        dockerfile_findings(
            "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN go build\nFROM gcr.io/distroless/static\nEXPOSE 08080\nHEALTHCHECK \\\n  # the probe\n\n  CMD curl -f localhost:8080/ready\n",
            &mut f,
        );
        assert_eq!(f.platform, None, "the image that runs is the last stage's, and a build argument says nothing");
        assert_eq!(f.container_port.map(|p| p.value), Some("8080".into()));
        assert_eq!(f.health_path.map(|p| p.value), Some("/ready".into()));
    }
}
