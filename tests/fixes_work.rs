//! Fixes that work (issue 20, item 3): for each class of failing probe, the
//! broken state is planted, `verify --json` is read for the probe's `fix`, the
//! fix is checked to name the command or the input that repairs *this*
//! failure (an input with the profile's path and line when the value came
//! from the profile), and then the fix is carried out as written — its
//! `preflight …` command run with `--yes`, or the named line of the profile
//! changed — and a second verify sees the probe pass.
//!
//! Emulator notes: moto runs no container and its load balancer's name
//! resolves nowhere, so the health GET is made to a server on 127.0.0.1 through
//! `health_url` (the deploy support): the refused connection and the name that
//! does not resolve are the operator's URL's; the load balancer's own (a
//! missing listener, a name not yet resolving, a group that drops port 80) are
//! not shown here. moto implements no Bedrock: the model's region is judged by
//! the Bedrock double (support/bedrock.rs). A timeout is classified in
//! src/kinds/http.rs's unit test (no timed assertion here).

mod support;

use std::path::{Path, PathBuf};

use support::bedrock::{BedrockDouble, Scenario};
use support::deploy::{Deployed, account, deployed};
use support::{Moto, Sandbox, probe};

/// The `preflight …` command a fix names first, as arguments (without
/// `preflight`): a command ends where `engine::text::with_args` ends it.
fn command_in(fix: &str) -> Vec<String> {
    let at = fix.find("preflight ").unwrap_or_else(|| panic!("the fix names no preflight command: {fix}"));
    let from = &fix[at..];
    let end = from.find(['\n', ',', ';', '(', ')', '`']).unwrap_or(from.len());
    from[..end].split_whitespace().skip(1).map(str::to_string).collect()
}

/// Runs the command a fix names, consenting (`--yes`); it must succeed.
fn run_fix(sb: &Sandbox, fix: &str) -> Vec<String> {
    let args = command_in(fix);
    assert!(args.first().is_some_and(|a| a == "run"), "a fix that repairs runs something: {fix}");
    let mut with_yes: Vec<&str> = args.iter().map(String::as_str).collect();
    with_yes.push("--yes");
    let out = sb.run(&with_yes);
    assert_eq!(out.code, 0, "the fix's command `preflight {}` repairs: {out:?}", args.join(" "));
    args
}

/// `verify CHECKLIST --json` (and more arguments), which must fail.
fn verify_fails(sb: &Sandbox, checklist: &str, more: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", checklist, "--json"];
    args.extend_from_slice(more);
    let out = sb.run(&args);
    assert_eq!(out.code, 1, "a broken account fails verify: {out:?}");
    out.json()
}

/// `verify CHECKLIST --json`, whatever the other steps say.
fn verify(sb: &Sandbox, checklist: &str, more: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", checklist, "--json"];
    args.extend_from_slice(more);
    let out = sb.run(&args);
    assert!(out.code == 0 || out.code == 1, "{out:?}");
    out.json()
}

fn status(doc: &serde_json::Value, step: &str, id: &str) -> String {
    probe(doc, step, id)["status"].as_str().unwrap().to_string()
}

fn fix_of(doc: &serde_json::Value, step: &str, id: &str) -> String {
    let p = probe(doc, step, id);
    assert_eq!(p["status"], "fail", "{p}");
    p["fix"].as_str().unwrap_or_else(|| panic!("{step}/{id} has no fix: {p}")).to_string()
}

/// The 1-based line of the profile that starts with `start`.
fn line_of(path: &Path, start: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().position(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no line {start}… in {text}")) + 1
}

/// Replaces line `line` (1-based) of the profile.
fn set_line(path: &Path, line: usize, text: &str) {
    let old = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = old.lines().collect();
    lines[line - 1] = text;
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// Inserts `text` after the `[inputs]` line of the profile; its line.
fn add_input(path: &Path, text: &str) -> usize {
    let old = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, old.replacen("[inputs]\n", &format!("[inputs]\n{text}\n"), 1)).unwrap();
    line_of(path, text)
}

/// `at PATH:LINE` in a fix: the place it names, checked to be `path` and `line`.
fn names_the_line(fix: &str, path: &Path, line: usize) {
    let place = format!(" at {}:{line}", path.display());
    assert!(fix.contains(&place), "the fix names{place}: {fix}");
}

/// A profile at an absolute path of its own (`--profile-file`), as the deploy support wrote it.
fn own_profile(sb: &Sandbox) -> PathBuf {
    let path = sb.dir.join("acme.toml");
    std::fs::copy(sb.dir.join("preflight.toml"), &path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_access_is_granted_by_the_secrets_checklist_not_by_iam_policy() {
    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("fixes-read");
    let iam = support::iam(&moto.url).await;
    for role in ["acme-ecs-task-role", "ecsTaskExecutionRole"] {
        iam.delete_role_policy().role_name(role).policy_name("acme-secrets-read").send().await.unwrap();
        let left = iam.list_role_policies().role_name(role).send().await.unwrap();
        assert!(left.policy_names().is_empty(), "{role}: {:?}", left.policy_names());
    }

    // The task role (the runtime role iam-policy makes) and the execution role: what grants
    // them their reads is the secrets checklist's read-access step, never iam-policy.
    let doc = verify_fails(&sb, "secrets", &[]);
    let task = fix_of(&doc, "read-access", "task-reads");
    assert!(task.starts_with("run `preflight run secrets --step read-access`: it grants them\n"), "{task}");
    assert!(!task.contains("iam-policy"), "iam-policy does not grant it: {task}");
    assert!(task.contains("\"secretsmanager:GetSecretValue\""), "the statement by hand too: {task}");
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let execution = fix_of(&doc, "execution-role", "permissions");
    assert!(execution.starts_with("run `preflight run secrets --step read-access`: it grants them\n"), "{execution}");
    assert!(!execution.contains("--step execution-role"), "the execution-role step grants no secret: {execution}");

    assert_eq!(run_fix(&sb, &task), ["run", "secrets", "--step", "read-access"]);
    assert_eq!(status(&verify(&sb, "secrets", &[]), "read-access", "task-reads"), "pass");
    assert_eq!(status(&verify(&sb, "ecs-service", &[]), "execution-role", "permissions"), "pass");

    // The execution role reads the secret only when the profile names it a reader: then the
    // fix is that line of the profile, and the same step.
    let path = sb.dir.join("preflight.toml");
    let readers = line_of(&path, "readers = [\"execution\", \"task\"]");
    set_line(&path, readers, "readers = [\"task\"]");
    iam.delete_role_policy().role_name("ecsTaskExecutionRole").policy_name("acme-secrets-read").send().await.unwrap();
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let execution = fix_of(&doc, "execution-role", "permissions");
    let entry = line_of(&path, "[[secrets]]");
    assert!(
        execution.starts_with(&format!(
            "for secretsmanager:GetSecretValue: add \"execution\" to the readers of [[secrets]] acme-app at preflight.toml:{entry}, then run `preflight run secrets --step read-access`\nfor ssm:GetParameters: run `preflight run secrets --step read-access`\n"
        )),
        "{execution}"
    );
    set_line(&path, readers, "readers = [\"task\", \"execution\"]");
    run_fix(&sb, &execution);
    assert_eq!(status(&verify(&sb, "ecs-service", &[]), "execution-role", "permissions"), "pass");

    // With the execution role's managed policy gone, pulling and logging are what the
    // execution-role step grants (it attaches the policy again).
    iam.detach_role_policy()
        .role_name("ecsTaskExecutionRole")
        .policy_arn("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
        .send()
        .await
        .unwrap();
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let execution = fix_of(&doc, "execution-role", "permissions");
    assert!(
        execution.starts_with("run `preflight run ecs-service --step execution-role`: it grants them\n"),
        "{execution}"
    );
    run_fix(&sb, &execution);
    assert_eq!(status(&verify(&sb, "ecs-service", &[]), "execution-role", "permissions"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subnet_that_does_not_exist_is_the_input_to_correct_where_it_was_given() {
    let d = account("fixes-subnet", support::deploy::PROFILE);
    let ec2 = support::ec2(&d.moto.url).await;
    let real = ec2.describe_subnets().send().await.unwrap().subnets()[0].subnet_id().unwrap().to_string();

    // From the profile (given by its own path): that file and line.
    let path = own_profile(&d.sb);
    let file = path.to_str().unwrap();
    let line = add_input(&path, "subnets = \"subnet-0000dead\"");
    let doc = verify_fails(&d.sb, "ecs-service", &["--profile-file", file]);
    for id in ["given", "groups"] {
        let fix = fix_of(&doc, "network", id);
        assert!(fix.starts_with("correct subnets "), "the input, not a run of the step that fails: {fix}");
        assert!(!fix.contains("preflight run"), "{fix}");
        names_the_line(&fix, &path, line);
    }
    set_line(&path, line, &format!("subnets = \"{real}\""));
    let doc = verify(&d.sb, "ecs-service", &["--profile-file", file]);
    assert_eq!(status(&doc, "network", "given"), "pass", "{doc}");

    // From --set: the command line is what to correct.
    let doc = verify_fails(&d.sb, "ecs-service", &["--profile-file", file, "--set", "subnets=subnet-0000beef"]);
    let fix = fix_of(&doc, "network", "given");
    assert!(fix.starts_with("correct --set subnets=… on the command line"), "{fix}");
    let doc = verify(&d.sb, "ecs-service", &["--profile-file", file, "--set", &format!("subnets={real}")]);
    assert_eq!(status(&doc, "network", "given"), "pass", "{doc}");

    // A security group that does not exist, from the default profile: its relative path and line.
    let default = d.sb.dir.join("preflight.toml");
    let line = add_input(&default, "security_groups = \"sg-0000dead\"");
    let doc = verify_fails(&d.sb, "ecs-service", &[]);
    let fix = fix_of(&doc, "network", "given");
    names_the_line(&fix, Path::new("preflight.toml"), line);
    set_line(&default, line, "");
    assert_eq!(status(&verify(&d.sb, "ecs-service", &[]), "network", "given"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_is_made_and_a_misspelt_container_secret_is_corrected_at_its_line() {
    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("fixes-secret");
    let sm = support::secrets(&moto.url).await;
    sm.delete_secret().secret_id("acme-app").force_delete_without_recovery(true).send().await.unwrap();

    // A secret of the profile's [[secrets]]: its step makes it.
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let fix_secrets = fix_of(&doc, "task-definition", "secrets");
    assert_eq!(fix_secrets, "preflight run secrets --step secret:acme-app");
    let doc = verify_fails(&sb, "secrets", &[]);
    assert_eq!(fix_of(&doc, "secret:acme-app", "value"), "preflight run secrets --step secret:acme-app");
    run_fix(&sb, &fix_secrets);
    assert_eq!(status(&verify(&sb, "ecs-service", &[]), "task-definition", "secrets"), "pass");

    // A typo in [container_secrets]: the name the profile lists is meant, at that line.
    let path = sb.dir.join("preflight.toml");
    let line = line_of(&path, "DB_URL = ");
    for (typo, meant) in [("acme-ap:DB_URL", "acme-app"), ("acme-app:DB_ULR", "DB_URL")] {
        set_line(&path, line, &format!("DB_URL = \"{typo}\""));
        let doc = verify_fails(&sb, "ecs-service", &[]);
        let p = probe(&doc, "task-definition", "secrets");
        assert!(p["message"].as_str().unwrap().contains(&format!("(did you mean `{meant}`?)")), "{p}");
        let fix = p["fix"].as_str().unwrap();
        assert_eq!(fix, format!("correct [container_secrets] at preflight.toml:{line}: DB_URL = \"acme-app:DB_URL\""));
        // Carried out as written: the line it gives, at the line it names.
        set_line(&path, line, fix.rsplit_once(": ").unwrap().1);
        assert_eq!(status(&verify(&sb, "ecs-service", &[]), "task-definition", "secrets"), "pass", "{typo}");
    }

    // A misspelt ssm: is refused when the profile is read, with what was meant.
    set_line(&path, line_of(&path, "BRANDS = "), "BRANDS = \"smm:/acme/brands\"");
    let out = sb.run(&["verify", "ecs-service"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("(did you mean `ssm:/acme/brands`?)"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_repository_is_pushed_again_by_ecr_push() {
    let Deployed { moto, sb, registry: _registry, health: _health } = deployed("fixes-image");
    let ecr = support::ecr(&moto.url).await;
    ecr.delete_repository().repository_name("acme").force(true).send().await.unwrap();

    let doc = verify_fails(&sb, "ecr-push", &[]);
    let repository = fix_of(&doc, "repository", "exists");
    assert_eq!(repository, "preflight run ecr-push --step repository");
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let image = fix_of(&doc, "task-definition", "image");
    assert_eq!(image, "preflight run ecr-push");
    run_fix(&sb, &image);
    assert_eq!(status(&verify(&sb, "ecs-service", &[]), "task-definition", "image"), "pass");
    assert_eq!(status(&verify(&sb, "ecr-push", &[]), "repository", "exists"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_health_url_nothing_answers_on_is_told_apart_and_named_at_its_line() {
    let Deployed { moto: _moto, sb, registry: _registry, health } = deployed("fixes-health");
    let path = sb.dir.join("preflight.toml");
    let line = line_of(&path, "health_url = ");
    // A port nothing listens on (just freed): refused, at once, not "no answer within 5 s".
    let closed = support::free_port();
    set_line(&path, line, &format!("health_url = \"http://127.0.0.1:{closed}/health\""));
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let p = probe(&doc, "health", "http");
    let message = p["message"].as_str().unwrap();
    assert!(message.contains(&format!("GET http://127.0.0.1:{closed}/health: connection refused after ")), "{p}");
    assert!(message.ends_with(&format!(" ms: nothing listens on 127.0.0.1:{closed}")), "{p}");
    assert!(!message.contains("within 5 s"), "{p}");
    let fix = p["fix"].as_str().unwrap();
    assert!(fix.starts_with("if health_url is wrong, correct health_url "), "{fix}");
    names_the_line(fix, Path::new("preflight.toml"), line);

    // A name that does not resolve: the input only.
    set_line(&path, line, "health_url = \"http://acme-health.invalid/health\"");
    let doc = verify_fails(&sb, "ecs-service", &[]);
    let p = probe(&doc, "health", "http");
    assert!(p["message"].as_str().unwrap().contains("the name acme-health.invalid does not resolve (after "), "{p}");
    let fix = p["fix"].as_str().unwrap();
    assert!(fix.starts_with("correct health_url "), "{fix}");
    names_the_line(fix, Path::new("preflight.toml"), line);

    // Corrected at that line, the GET answers.
    set_line(&path, line, &format!("health_url = \"{}\"", health.url));
    assert_eq!(status(&verify(&sb, "ecs-service", &[]), "health", "http"), "pass");
}

#[test]
fn a_model_not_offered_in_the_region_names_the_region_it_is_in() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let sb = support::bedrock_sandbox("fixes-region", &moto.url, &bedrock.url);
    let doc = verify_fails(&sb, "model-access", &["--region", "eu-west-1"]);
    let fix = fix_of(&doc, "region-model", "model");
    assert!(fix.contains("pass --region us-east-1"), "{fix}");
    // The region the fix names: the model is offered there.
    let doc = verify(&sb, "model-access", &["--region", "us-east-1"]);
    assert_eq!(status(&doc, "region-model", "model"), "pass", "{doc}");
}
