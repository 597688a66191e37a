//! `github.secret` (probe): a repository's Actions secret exists, checked with
//! the `gh` CLI when it is installed and logged in; otherwise the step is
//! manual until the operator confirms it. GitHub never reveals a secret's
//! value, so only its presence can be proven.

use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::KindParams;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `OWNER/NAME`
    pub repository: String,
    /// The secret's name, e.g. `AWS_ROLE_ARN`.
    pub name: String,
    /// What it must hold (shown in the command that sets it).
    pub value: String,
}

impl KindParams for Params {}

enum Gh {
    Missing,
    LoggedOut(String),
    Names(Vec<String>),
    Failed(String),
}

fn gh(repository: &str) -> Gh {
    let run = |args: &[&str]| Command::new("gh").args(args).env("GH_PROMPT_DISABLED", "1").output();
    match run(&["--version"]) {
        Err(_) => return Gh::Missing,
        Ok(o) if !o.status.success() => return Gh::Missing,
        Ok(_) => {}
    }
    match run(&["auth", "status"]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Gh::LoggedOut(
                String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("not logged in").trim().to_string(),
            );
        }
        Err(e) => return Gh::Failed(e.to_string()),
    }
    match run(&["secret", "list", "--repo", repository, "--app", "actions", "--json", "name"]) {
        Ok(o) if o.status.success() => {
            #[derive(Deserialize)]
            struct Item {
                name: String,
            }
            match serde_json::from_slice::<Vec<Item>>(&o.stdout) {
                Ok(items) => Gh::Names(items.into_iter().map(|i| i.name).collect()),
                Err(e) => Gh::Failed(format!("unexpected output of gh secret list: {e}")),
            }
        }
        Ok(o) => Gh::Failed(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => Gh::Failed(e.to_string()),
    }
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    let set = format!("gh secret set {} --repo {} --body '{}'", p.name, p.repository, p.value);
    let confirm = format!("preflight confirm {} --step {}", x.checklist, x.step);
    let repository = p.repository.clone();
    let answer =
        tokio::time::timeout(Duration::from_secs(30), tokio::task::spawn_blocking(move || gh(&repository))).await;
    let answer = match answer {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => Gh::Failed(e.to_string()),
        Err(_) => Gh::Failed("gh did not answer within 30 s".into()),
    };
    let manual = |why: &str| {
        ProbeResult::new(
            &id,
            Status::Manual,
            format!("{why}: check that the Actions secret {} of {} holds {}", p.name, p.repository, p.value),
        )
        .with_fix(format!("{set}\nthen record it: {confirm}"))
    };
    Ok(match answer {
        Gh::Missing => manual("the gh CLI is not installed"),
        Gh::LoggedOut(why) => manual(&format!("gh is not logged in ({why})")),
        Gh::Failed(why) => manual(&format!("gh could not list the secrets ({why})")),
        Gh::Names(names) if names.contains(&p.name) => ProbeResult::new(
            &id,
            Status::Pass,
            format!(
                "{} has the Actions secret {} (GitHub does not reveal values: it must hold {})",
                p.repository, p.name, p.value
            ),
        ),
        Gh::Names(_) => ProbeResult::new(
            &id,
            Status::Fail,
            format!("{} has no Actions secret {}: the workflow cannot assume the deploy role", p.repository, p.name),
        )
        .with_fix(set),
    })
}

/// The calls of [`probe`]: none to AWS (the gh CLI asks GitHub).
pub fn probe_calls(_: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(Vec::new())
}
