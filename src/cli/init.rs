//! `preflight init`: writes `preflight.toml` from what the repository says (the
//! folder, `git remote`, the Dockerfile, `.env.example`, the code's Bedrock
//! calls, `.github/`), asking only what it cannot find; `--yes` takes what it
//! found and the defaults. Refuses to overwrite a profile (`--force` keeps a
//! `.bak`); never writes a secret value.

use std::path::Path;

use inquire::MultiSelect;

use crate::engine::init::{self, Findings, Found};
use crate::front::options::Global;
use crate::front::prompt;
use crate::front::setup::{Failure, interactive, usage};

pub fn init(g: &Global, yes: bool, force: bool) -> Result<u8, Failure> {
    let path = g.profile_path();
    let dir = std::env::current_dir().map_err(|e| usage(format!("error: the current folder: {e}")))?;
    if path.exists() && !force {
        return Err(usage(format!(
            "error: {} exists: init does not overwrite a profile\n  fix: edit it, or pass --force (it is kept as {}.bak)",
            path.display(),
            path.display()
        )));
    }
    let origin = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .current_dir(&dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let mut found = init::detect(&dir, origin.as_deref());
    let ask = !yes && interactive();
    if !yes && !interactive() {
        return Err(usage(
            "error: init asks what it cannot find, and there is no terminal\n  fix: pass --yes to take what it finds and the defaults",
        ));
    }
    // Only what was not found is asked.
    let project = match (&found.project, ask) {
        (Some(p), _) => p.value.clone(),
        (None, true) => text("Project name (the prefix of every resource name)", "project")?,
        (None, false) => {
            return Err(usage(
                "error: the folder's name makes no project name (2 to 39 lowercase letters, digits and dashes)
  fix: run init in a terminal to be asked, or rename the folder",
            ));
        }
    };
    let uses_github = found.checklists.iter().any(|c| c.checklist == "oidc-provider");
    let repository = match (&found.github_repository, uses_github, ask) {
        (Some(r), _, _) => Some(r.value.clone()),
        (None, true, true) => Some(text("GitHub repository that deploys (OWNER/NAME)", "github_repository")?),
        _ => None,
    };
    container_values(&mut found, ask)?;
    let secrets = split(&found, ask)?;
    for w in warnings(&found) {
        eprintln!("warning: {w}");
    }
    let today = crate::runner::now().chars().take(10).collect::<String>();
    let text = init::profile_text(&found, &project, repository.as_deref(), &secrets, &today);
    if path.exists() {
        let bak = format!("{}.bak", path.display());
        std::fs::copy(&path, &bak).map_err(|e| usage(format!("error: cannot keep {bak}: {e}")))?;
        eprintln!("kept the old profile as {bak}");
    }
    write(&path, &text)?;
    super::render::emit(format_args!(
        "wrote {} for {project}: {}\n  next: `preflight list --inputs` shows every value and where it comes from; `preflight up` shows every change of them all and asks once before making them",
        path.display(),
        found.checklists.iter().map(|c| c.checklist.as_str()).collect::<Vec<_>>().join(", ")
    ));
    Ok(0)
}

/// The container's port and health path when the Dockerfile does not say them:
/// asked in a terminal (the input's default offered), else the default, each
/// written with where it came from. Without a Dockerfile neither is written.
fn container_values(found: &mut Findings, ask: bool) -> Result<(), Failure> {
    if !found.checklists.iter().any(|c| c.checklist == "ecs-service") {
        return Ok(());
    }
    let lists = crate::front::setup::checklists(&crate::engine::library::Library::builtin())?;
    let missing = [
        ("container_port", "EXPOSE", found.container_port.is_none()),
        ("health_path", "HEALTHCHECK", found.health_path.is_none()),
    ];
    for (input, instruction, absent) in missing {
        if !absent {
            continue;
        }
        let declared = lists.input(input).ok_or_else(|| usage(format!("error: no input {input}")))?;
        let default = declared.default.clone().unwrap_or_default();
        let why = format!("the Dockerfile has no {instruction}");
        let value = if ask {
            let mut def = declared.clone();
            def.prompt = format!("{} ({why})", declared.prompt);
            let answer = prompt::ask_default(&def, &default).map_err(|e| usage(format!("error: {input}: {e}")))?;
            Found { value: answer, from: format!("asked ({why})") }
        } else {
            Found { value: default, from: format!("the default ({why})") }
        };
        match input {
            "container_port" => found.container_port = Some(value),
            _ => found.health_path = Some(value),
        }
    }
    Ok(())
}

/// Asks one value, checked with the input's own rules (a refused answer is said and asked again).
fn text(prompt: &str, input: &str) -> Result<String, Failure> {
    let lists = crate::front::setup::checklists(&crate::engine::library::Library::builtin())?;
    let mut def = lists.input(input).ok_or_else(|| usage(format!("error: no input {input}")))?.clone();
    def.prompt = prompt.to_string();
    prompt::ask_with(&def, None).map_err(|e| usage(format!("error: {input}: {e}")))
}

/// Which variables are secrets: what their names say, confirmed in one multi-select.
fn split(found: &Findings, ask: bool) -> Result<Vec<String>, Failure> {
    let guessed: Vec<String> = found.variables.iter().filter(|v| v.secret).map(|v| v.name.clone()).collect();
    if !ask || found.variables.is_empty() {
        return Ok(guessed);
    }
    let names: Vec<String> = found.variables.iter().map(|v| v.name.clone()).collect();
    let defaults: Vec<usize> = (0..names.len()).filter(|&i| found.variables[i].secret).collect();
    MultiSelect::new("Which variables are secrets? (space toggles; the others go to [environment])", names)
        .with_default(&defaults)
        .prompt()
        .map_err(|e| usage(format!("error: the secrets: {e}")))
}

/// What the operator should know now rather than at deploy time.
fn warnings(found: &Findings) -> Vec<String> {
    found
        .platform
        .iter()
        .filter(|p| p.value != "linux/amd64")
        .map(|p| {
            format!(
                "{} builds for {}, and the tasks run linux/amd64 (the default of `platform`): set platform = \"{}\" under [inputs], or build with --platform linux/amd64",
                p.from, p.value, p.value
            )
        })
        .collect()
}

/// Writes the profile atomically (a temporary file beside it, then a rename).
fn write(path: &Path, text: &str) -> Result<(), Failure> {
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| usage(format!("error: cannot write {}: {e}", path.display())))
}
