//! The profile `init` writes: every value with a comment saying where it came
//! from; secrets listed by name and source (`prompt`), never with a value.

use super::Findings;

/// The Secrets Manager name of a variable's secret: `PROJECT-var-name`.
fn secret_name(project: &str, variable: &str) -> String {
    format!("{project}-{}", variable.to_lowercase().replace('_', "-"))
}

fn quoted(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

/// The profile's text for these findings; `secrets` names the variables the
/// operator confirmed as secrets (the others go to `[environment]`).
pub fn profile_text(
    f: &Findings,
    project: &str,
    github_repository: Option<&str>,
    secrets: &[String],
    today: &str,
) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# preflight profile, written by `preflight init` on {today} from this repository.\n\
         # Each value says where it came from; `preflight list --inputs` shows every input, its value and origin.\n\n"
    ));
    out.push_str("# The checklists this project uses (`preflight up` runs them in deploy order).\nchecklists = [\n");
    let width = f.checklists.iter().map(|c| c.checklist.len()).max().unwrap_or(0) + 3;
    for c in &f.checklists {
        out.push_str(&format!("  {:<width$} # {}\n", format!("{},", quoted(&c.checklist)), c.why));
    }
    out.push_str("]\n\n[inputs]\n");
    let mut line = |key: &str, value: String, from: &str| {
        out.push_str(&format!("{:<40} # {from}\n", format!("{key} = {value}")));
    };
    let project_from = f.project.as_ref().filter(|p| p.value == project).map_or("asked", |p| p.from.as_str());
    line("project", quoted(project), project_from);
    if let Some(repo) = github_repository {
        let from = f.github_repository.as_ref().filter(|r| r.value == repo).map_or("asked", |r| r.from.as_str());
        line("github_repository", quoted(repo), from);
    }
    if let Some(p) = &f.container_port {
        line("container_port", p.value.clone(), &p.from);
    }
    if let Some(h) = &f.health_path {
        line("health_path", quoted(&h.value), &h.from);
    }
    let (secret, plain): (Vec<_>, Vec<_>) = f.variables.iter().partition(|v| secrets.contains(&v.name));
    for v in &secret {
        out.push_str(&format!(
            "\n# {} ({}): its value is asked for (masked) when the secret is created, never written here.\n\
             [[secrets]]\nname = {}\nsource = \"prompt\"                 # or env:VAR, file:PATH, generate:hex32\nreaders = [\"execution\"]\n",
            v.name,
            v.from,
            quoted(&secret_name(project, &v.name))
        ));
    }
    if !plain.is_empty() {
        out.push_str("\n# The container's plain variables (their example values: change them here).\n[environment]\n");
        for v in &plain {
            out.push_str(&format!("{:<40} # {}\n", format!("{} = {}", v.name, quoted(&v.example)), v.from));
        }
    }
    if !secret.is_empty() {
        out.push_str("\n# Where each secret variable of the container comes from.\n[container_secrets]\n");
        for v in &secret {
            out.push_str(&format!("{} = {}\n", v.name, quoted(&secret_name(project, &v.name))));
        }
    }
    out
}
