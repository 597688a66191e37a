//! oidc-provider's `workflow` step (issue 21, the pipeline check) with the real
//! binary: the repository's .github/workflows beside the profile, read and
//! judged (each mistake with its file and line: the unit tests of
//! engine::workflow plant every one; here the classic one, a workflow on
//! `main` against a trust for `master`, in the init fixture's repository), and
//! the action that writes a workflow when none deploys — shown whole by the
//! plan, written by the run, never over a file. No AWS call is involved in the
//! step itself; the deploy role it stands on is made on moto first.

mod support;

use std::path::Path;

use support::{Moto, Sandbox, step};

/// The fixture repository (a Python API whose workflow deploys nothing yet) as the sandbox,
/// its profile trusting pushes to master.
fn repository(name: &str, moto: &Moto) -> Sandbox {
    let sb = Sandbox::new(name, &moto.url);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/init/comafi-api");
    let status =
        std::process::Command::new("cp").arg("-R").arg(format!("{}/.", fixture.display())).arg(&sb.dir).status();
    assert!(status.unwrap().success());
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"comafi\"\ngithub_repository = \"Comafi/comafi-api\"\ngithub_ref = \"refs/heads/master\"\n",
    )
    .unwrap();
    let role = sb.run(&["run", "oidc-provider", "--step", "deploy-role", "--yes"]);
    assert_eq!(role.code, 0, "{role:?}");
    sb
}

/// The workflow probe; when it fails, verify exits 1 (the other steps of the checklist
/// may fail too here: only the deploy role was made).
fn workflow_probe(sb: &Sandbox) -> serde_json::Value {
    let out = sb.run(&["verify", "oidc-provider", "--json"]);
    let probe = step(&out.json(), "workflow")["probes"][0].clone();
    if probe["status"] == "fail" {
        assert_eq!(out.code, 1, "{out:?}");
    }
    probe
}

const DEPLOYS_ON_MAIN: &str = "name: deploy
on:
  push:
    branches: [main]
permissions:
  id-token: write
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{ secrets.AWS_ROLE_ARN }}
          aws-region: us-east-1
      - run: docker buildx build --platform linux/amd64 -t app --push .
      - run: aws ecs update-service --cluster comafi-cluster --service comafi-service --force-new-deployment
";

#[test]
fn a_workflow_on_main_against_a_trust_for_master_fails_at_its_line_and_passes_once_corrected() {
    let moto = Moto::start();
    let sb = repository("workflow-branch", &moto);
    // The fixture's workflow runs on main but assumes no role: nothing deploys.
    let probe = workflow_probe(&sb);
    assert_eq!(probe["status"], "fail", "{probe}");
    assert!(
        probe["message"].as_str().unwrap().contains("no workflow in .github/workflows assumes an AWS role"),
        "{probe}"
    );

    let file = sb.dir.join(".github/workflows/deploy.yml");
    std::fs::write(&file, DEPLOYS_ON_MAIN).unwrap();
    let probe = workflow_probe(&sb);
    assert_eq!(probe["status"], "fail", "{probe}");
    let message = probe["message"].as_str().unwrap();
    assert!(
        message.starts_with(".github/workflows/deploy.yml:4: runs on a push to main, but the deploy role trusts only repo:Comafi/comafi-api:ref:refs/heads/master"),
        "{message}"
    );
    assert!(
        probe["fix"].as_str().unwrap().contains("`branches: [master]` at .github/workflows/deploy.yml:4"),
        "{probe}"
    );
    // A run cannot correct someone's workflow: it says so and writes nothing.
    let run = sb.run(&["run", "oidc-provider", "--step", "workflow", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), DEPLOYS_ON_MAIN, "never overwritten");

    std::fs::write(&file, DEPLOYS_ON_MAIN.replace("[main]", "[master]")).unwrap();
    let probe = workflow_probe(&sb);
    assert_eq!(probe["status"], "pass", "{probe}");
    assert!(probe["message"].as_str().unwrap().contains("runs on a push to master"), "{probe}");
}

#[test]
fn with_no_deploying_workflow_the_plan_shows_one_the_run_writes_it_and_the_check_passes() {
    let moto = Moto::start();
    let sb = repository("workflow-write", &moto);
    std::fs::remove_dir_all(sb.dir.join(".github")).unwrap();
    let plan = sb.run(&["plan", "oidc-provider", "--step", "workflow", "--json"]);
    let change = step(&plan.json(), "workflow")["changes"][0].clone();
    assert_eq!(
        (change["service"].as_str(), change["operation"].as_str()),
        (Some("file"), Some("WriteFile")),
        "{change}"
    );
    let text = change["diff"]["after"].as_str().unwrap();
    for line in [
        "    branches: [master]",
        "  id-token: write",
        "role-to-assume: ${{ secrets.AWS_ROLE_ARN }}",
        "--platform linux/amd64",
        "cluster: comafi-cluster",
        "service: comafi-service",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(!sb.dir.join(".github").exists(), "a plan writes nothing");

    let run = sb.run(&["run", "oidc-provider", "--step", "workflow", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let written = std::fs::read_to_string(sb.dir.join(".github/workflows/deploy.yml")).unwrap();
    assert_eq!(written, text, "the run writes what the plan showed");
    assert_eq!(workflow_probe(&sb)["status"], "pass");
    let again = sb.run(&["run", "oidc-provider", "--step", "workflow", "--yes", "--json"]);
    assert_eq!(step(&again.json(), "workflow")["changes"], serde_json::json!([]), "a second run changes nothing");
    assert!(support::audit(&sb).iter().any(|l| l["operation"] == "WriteFile" && l["outcome"] == "started"));

    // A deploy.yml that deploys nothing is not replaced.
    std::fs::write(sb.dir.join(".github/workflows/deploy.yml"), "on: push\njobs: {}\n").unwrap();
    let refused = sb.run(&["run", "oidc-provider", "--step", "workflow", "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stdout.contains("exists and does not deploy: preflight does not overwrite it"),
        "{}",
        refused.stdout
    );
    assert_eq!(std::fs::read_to_string(sb.dir.join(".github/workflows/deploy.yml")).unwrap(), "on: push\njobs: {}\n");
}
