//! `preflight init` in an application's repository (a fixture: a Python API
//! with a Dockerfile, `.env.example`, a Bedrock call and `.github/`): the
//! profile it writes, what it refuses, what it asks in a terminal, and that it
//! never reads `.env` nor writes a secret value.

mod support;

use std::path::{Path, PathBuf};

use support::pty::Tty;
use support::{Out, Sandbox};

/// A copy of the fixture repository in the sandbox, as a git checkout with an origin.
fn repository(sb: &Sandbox, origin: Option<&str>) -> PathBuf {
    let repo = sb.dir.join("comafi-api");
    copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/init/comafi-api").as_path(), &repo);
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git").args(args).current_dir(&repo).output().unwrap().status.success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    if let Some(url) = origin {
        git(&["remote", "add", "origin", url]);
    }
    repo
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn init(sb: &Sandbox, repo: &Path, args: &[&str]) -> Out {
    let mut cmd = sb.command(&[&["init"][..], args].concat());
    cmd.current_dir(repo);
    support::wait(cmd.spawn().unwrap(), std::time::Duration::from_secs(60))
}

#[test]
fn init_writes_the_profile_from_the_repository() {
    let sb = Sandbox::new("init", "http://127.0.0.1:9");
    let repo = repository(&sb, Some("git@github.com:Comafi/comafi-api.git"));
    let out = init(&sb, &repo, &["--yes"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("wrote preflight.toml for comafi-api"), "{out:?}");
    // A Dockerfile that builds for another platform is said now, not at deploy time.
    assert!(
        out.stderr.contains("warning: Dockerfile:1 builds for linux/arm64, and the tasks run linux/amd64"),
        "{out:?}"
    );
    let profile = std::fs::read_to_string(repo.join("preflight.toml")).unwrap();
    let dated = regex_lite::Regex::new(r"on \d{4}-\d{2}-\d{2} ").unwrap();
    insta::assert_snapshot!(dated.replace(&profile, "on [date] ").into_owned());
    // .env holds values: never read, nothing of it written.
    // (A plain variable is planted there too: its value would be written to [environment] if read.)
    for planted in ["planted-real-value", "planted-plain-value"] {
        assert!(!profile.contains(planted) && !out.all().contains(planted), "{planted}");
    }

    // The profile is one preflight reads: its inputs and checklists check out.
    let mut cmd = sb.command(&["list", "--inputs"]);
    cmd.current_dir(&repo);
    let listed = support::wait(cmd.spawn().unwrap(), std::time::Duration::from_secs(60));
    assert_eq!(listed.code, 0, "{listed:?}");
    let port = listed.stdout.lines().find(|l| l.starts_with("container_port")).unwrap_or_default();
    assert!(port.contains("8000") && port.contains("profile"), "the Dockerfile's port, from the profile: {listed:?}");
    assert!(!listed.stdout.contains("invalid"), "{listed:?}");
    let health = listed.stdout.lines().find(|l| l.starts_with("health_path")).unwrap_or_default();
    assert!(health.contains("/healthz") && health.contains("profile"), "{listed:?}");

    // It never overwrites; --force keeps the old one.
    std::fs::write(repo.join("preflight.toml"), "# mine\n[inputs]\nproject = \"mine\"\n").unwrap();
    let again = init(&sb, &repo, &["--yes"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("preflight.toml exists: init does not overwrite a profile"), "{again:?}");
    assert!(again.stderr.contains("--force (it is kept as preflight.toml.bak)"), "{again:?}");
    let forced = init(&sb, &repo, &["--yes", "--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_eq!(
        std::fs::read_to_string(repo.join("preflight.toml.bak")).unwrap(),
        "# mine\n[inputs]\nproject = \"mine\"\n"
    );
}

#[test]
fn the_profile_s_checklists_are_checklists() {
    let sb = Sandbox::new("init-checklists", "http://127.0.0.1:9");
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "checklists = [\"iam-policy\", \"iam-polcy\"]\n[inputs]\nproject = \"comafi\"\n",
    )
    .unwrap();
    let out = sb.run(&["list"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("preflight.toml:1: checklists: no checklist \"iam-polcy\" (did you mean `iam-policy`?)"),
        "{out:?}"
    );
    std::fs::write(sb.dir.join("preflight.toml"), "checklist = [\"iam-policy\"]\n").unwrap();
    let out = sb.run(&["list"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("unknown key `checklist` outside any table (did you mean `checklists`?)"), "{out:?}");
}

/// In a terminal, init asks only what it cannot find (no git remote: the
/// repository that deploys) and confirms which variables are secrets.
#[test]
fn init_in_a_terminal_asks_only_what_is_missing() {
    let sb = Sandbox::new("init-tty", "http://127.0.0.1:9");
    let repo = repository(&sb, None);
    // The terminal runs in the sandbox's folder: make the repository's files its own.
    copy(&repo, &sb.dir);
    std::fs::remove_file(sb.dir.join("preflight.toml")).unwrap();
    let mut t = Tty::open(&sb, "init");
    t.expect("GitHub repository that deploys (OWNER/NAME)");
    t.press("Comafi/comafi-api\r");
    t.expect("Which variables are secrets?");
    // Accept the split as guessed: OPENAI_API_KEY and DATABASE_URL (credentials in its URL).
    t.press("\r");
    let asked = t.until("wrote preflight.toml");
    assert!(!asked.contains("Project name"), "the project was found (the folder's name), not asked: {asked}");
    assert_eq!(t.exit_code(), 0);
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    assert!(profile.contains("github_repository = \"Comafi/comafi-api\""), "{profile}");
    let mapped = regex_lite::Regex::new(r#"(?m)^DATABASE_URL = "init-tty-[0-9-]+-database-url"$"#).unwrap();
    assert!(mapped.is_match(&profile), "DATABASE_URL is a secret (credentials in its URL): {profile}");
    assert!(profile.contains("APP_ENV = \"production\""), "{profile}");
}

/// A Dockerfile that says neither its port nor its health check: in a
/// terminal both are asked (the default offered, the input's rule held: a
/// port that is not one is refused and asked again); with --yes the defaults
/// are written, each saying that the Dockerfile did not say it.
#[test]
fn init_asks_the_port_and_health_path_the_dockerfile_does_not_say() {
    let sb = Sandbox::new("init-port", "http://127.0.0.1:9");
    let repo = repository(&sb, Some("https://github.com/Comafi/comafi-api.git"));
    copy(&repo, &sb.dir);
    let bare = "FROM python:3.12-slim\nCOPY app/ app/\nCMD [\"uvicorn\", \"app.main:app\"]\n";
    std::fs::write(sb.dir.join("Dockerfile"), bare).unwrap();
    std::fs::write(repo.join("Dockerfile"), bare).unwrap();
    // The sandbox's own profile is not this repository's.
    std::fs::remove_file(sb.dir.join("preflight.toml")).unwrap();
    let mut t = Tty::open(&sb, "init");
    t.expect("Port the application listens on in the container (the Dockerfile has no EXPOSE)");
    t.press("80o0\r");
    // A refused answer is said, and asked again on an empty field.
    t.expect("must be a whole number");
    t.expect("(the Dockerfile has no EXPOSE)");
    t.press("8080\r");
    t.expect("Path of the application's health check (the Dockerfile has no HEALTHCHECK)");
    // Enter takes the default (/health).
    t.press("\r");
    t.expect("Which variables are secrets?");
    t.press("\r");
    let asked = t.until("wrote preflight.toml");
    assert!(!asked.contains("GitHub repository that deploys"), "found in git's origin, not asked: {asked}");
    assert_eq!(t.exit_code(), 0);
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    let line = |key: &str| profile.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_string();
    assert!(line("container_port").starts_with("container_port = 8080 "), "{profile}");
    assert!(line("container_port").ends_with("# asked (the Dockerfile has no EXPOSE)"), "{profile}");
    assert!(line("health_path").starts_with("health_path = \"/health\" "), "{profile}");
    assert!(line("health_path").ends_with("# asked (the Dockerfile has no HEALTHCHECK)"), "{profile}");

    // --yes: the defaults, said as such.
    let out = init(&sb, &repo, &["--yes"]);
    assert_eq!(out.code, 0, "{out:?}");
    let profile = std::fs::read_to_string(repo.join("preflight.toml")).unwrap();
    let line = |key: &str| profile.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_string();
    assert!(line("container_port").starts_with("container_port = 8000 "), "{profile}");
    assert!(line("container_port").ends_with("# the default (the Dockerfile has no EXPOSE)"), "{profile}");
    assert!(line("health_path").ends_with("# the default (the Dockerfile has no HEALTHCHECK)"), "{profile}");
}
