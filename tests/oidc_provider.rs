//! The `oidc-provider` checklist against moto. Where moto differs from AWS:
//! it accepts any text as a trust policy (we plant broken ones through the SDK
//! and the probe must catch them), and it does not implement
//! AddClientIDToOpenIDConnectProvider (a small double in support/proxy.rs
//! carries it out on moto). The `gh` CLI is replaced by a script on PATH that
//! answers like gh does for the three commands the probe runs.

mod support;

use serde_json::json;
use support::proxy::Proxy;
use support::{Moto, Sandbox, is_mutating, step};

const ROLE: &str = "comafi-github-actions-role";
const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const SUB: &str = "repo:Comafi/comafi-ai:ref:refs/heads/main";

fn sandbox(name: &str, endpoint: &str) -> Sandbox {
    let sb = Sandbox::new(name, endpoint);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"comafi\"\ngithub_repository = \"Comafi/comafi-ai\"\n",
    )
    .unwrap();
    sb
}

fn trust(condition: serde_json::Value) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}]}).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_account_run_verify_and_a_free_rerun() {
    let moto = Moto::start();
    let sb = sandbox("oidc-fresh", &moto.url);
    let before = sb.run(&["verify", "oidc-provider", "--json"]);
    assert_eq!(before.code, 1);
    let provider = &step(&before.json(), "oidc-provider")["probes"][0].clone();
    assert!(
        provider["message"]
            .as_str()
            .unwrap()
            .contains("no OIDC provider for https://token.actions.githubusercontent.com"),
        "{provider}"
    );
    moto.start_recording();
    let run = sb.run(&["run", "oidc-provider", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["CreateOpenIDConnectProvider", "CreateRole", "CreatePolicy", "AttachRolePolicy"]);

    let verify = sb.run(&["verify", "oidc-provider", "--json"]);
    assert_eq!(verify.code, 0, "a manual step does not fail verify: {verify:?}");
    let doc = verify.json();
    for id in ["oidc-provider", "deploy-role", "deploy-permissions"] {
        assert_eq!(step(&doc, id)["status"], "pass", "{id}: {doc}");
    }
    assert_eq!(step(&doc, "github-secret")["status"], "manual");

    // The account, read with the SDK: no thumbprint was needed, the trust names exactly one subject.
    let iam = support::iam(&moto.url).await;
    let provider = iam.get_open_id_connect_provider().open_id_connect_provider_arn(PROVIDER).send().await.unwrap();
    assert_eq!(provider.client_id_list(), ["sts.amazonaws.com"]);
    assert!(provider.thumbprint_list().is_empty());
    let role = iam.get_role().role_name(ROLE).send().await.unwrap().role.unwrap();
    let text = percent_encoding::percent_decode_str(role.assume_role_policy_document().unwrap())
        .decode_utf8_lossy()
        .into_owned();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"], SUB);
    assert_eq!(
        doc["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"],
        "sts.amazonaws.com"
    );

    moto.start_recording();
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    let again = moto.recorded_operations();
    assert!(again.iter().any(|o| o == "ListOpenIDConnectProviders"), "{again:?}");
    assert_eq!(again.iter().filter(|o| is_mutating(o)).count(), 0, "{again:?}");

    // An environment instead of a branch.
    let env = sb.run(&[
        "run",
        "oidc-provider",
        "--yes",
        "--step",
        "deploy-role",
        "--set",
        "github_ref=environment:production",
    ]);
    assert_eq!(env.code, 0, "{env:?}");
    assert!(
        env.stdout.contains("UpdateAssumeRolePolicy")
            && env.stdout.contains("repo:Comafi/comafi-ai:environment:production"),
        "{env:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_trust_policies_fail_with_the_right_message_and_run_repairs_them() {
    let moto = Moto::start();
    let sb = sandbox("oidc-trust", &moto.url);
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let aud = json!({"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"});
    let with_sub = |op: &str, sub: &str| {
        let mut c = json!({"StringEquals": aud.clone()});
        c.as_object_mut()
            .unwrap()
            .entry(op)
            .or_insert(json!({}))
            .as_object_mut()
            .unwrap()
            .insert("token.actions.githubusercontent.com:sub".into(), json!(sub));
        trust(c)
    };
    let cases = vec![
        ("sub missing", trust(json!({"StringEquals": aud.clone()})), "ANY GitHub repository, of any owner, can assume this role"),
        ("owner wildcard", with_sub("StringLike", "repo:Comafi/*"), "\"repo:Comafi/*\" is wider than configured"),
        ("any subject", with_sub("StringLike", "*"), "\"*\" is wider than configured"),
        ("another repository", with_sub("StringEquals", "repo:Other/comafi-ai:ref:refs/heads/main"), "names another subject \"repo:Other/comafi-ai:ref:refs/heads/main\""),
        ("letter case", with_sub("StringEquals", "repo:comafi/comafi-ai:ref:refs/heads/main"), "differs from \"repo:Comafi/comafi-ai:ref:refs/heads/main\" only in letter case"),
        ("wildcard under StringEquals", with_sub("StringEquals", "repo:Comafi/comafi-ai:*"), "uses StringEquals with the wildcard \"repo:Comafi/comafi-ai:*\", which never matches"),
        ("aud missing", trust(json!({"StringEquals": {"token.actions.githubusercontent.com:sub": SUB}})), "no `token.actions.githubusercontent.com:aud` condition"),
        ("aud wrong", trust(json!({"StringEquals": {"token.actions.githubusercontent.com:sub": SUB, "token.actions.githubusercontent.com:aud": "sigstore"}})), "`token.actions.githubusercontent.com:aud` is [\"sigstore\"], expected \"sts.amazonaws.com\""),
        ("aud with StringLike", trust(json!({"StringEquals": {"token.actions.githubusercontent.com:sub": SUB}, "StringLike": {"token.actions.githubusercontent.com:aud": "sts.*"}})), "`token.actions.githubusercontent.com:aud` is tested with StringLike"),
        (
            "another account's provider",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": SUB}}}]}).to_string(),
            "(another provider or account)",
        ),
    ];
    for (what, document, expected) in cases {
        iam.update_assume_role_policy().role_name(ROLE).policy_document(document).send().await.unwrap();
        let out = sb.run(&["verify", "oidc-provider", "--json"]);
        assert_eq!(out.code, 1, "{what}: {out:?}");
        let doc = out.json();
        let probe = &step(&doc, "deploy-role")["probes"][0];
        assert_eq!(probe["status"], "fail", "{what}");
        assert!(probe["message"].as_str().unwrap().contains(expected), "{what}: {}", probe["message"]);
        assert!(
            probe["fix"].as_str().unwrap().contains(&format!("\"token.actions.githubusercontent.com:sub\": \"{SUB}\"")),
            "{what}: {}",
            probe["fix"]
        );
    }

    // run shows the trust policy diff and, with consent (--yes), replaces it.
    let plan = sb.run(&["plan", "oidc-provider", "--step", "deploy-role"]);
    let diff_line = |tag: char, account: &str| {
        plan.stdout.lines().any(|l| {
            l.trim_start().starts_with(tag)
                && l.contains(&format!("\"Federated\": \"arn:aws:iam::{account}:oidc-provider"))
        })
    };
    assert!(
        plan.stdout.contains("iam:UpdateAssumeRolePolicy")
            && diff_line('-', "999999999999")
            && diff_line('+', "123456789012"),
        "{plan:?}"
    );
    let refused = sb.run(&["run", "oidc-provider"]);
    assert_eq!(refused.code, 2, "no terminal, no --yes: {refused:?}");
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    assert_eq!(sb.run(&["verify", "oidc-provider"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_provider_is_adopted_and_a_missing_client_id_added() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let sb = sandbox("oidc-adopt", &proxy.url);
    let iam = support::iam(&moto.url).await;
    iam.create_open_id_connect_provider()
        .url("https://token.actions.githubusercontent.com")
        .client_id_list("other-audience")
        .thumbprint_list("6938fd4d98bab03faadb97b34396831e3780aea1")
        .send()
        .await
        .unwrap();

    let verify = sb.run(&["verify", "oidc-provider", "--json"]);
    assert_eq!(verify.code, 1);
    let probe = &step(&verify.json(), "oidc-provider")["probes"][0].clone();
    assert!(probe["message"].as_str().unwrap().contains("lacks the client id sts.amazonaws.com"), "{probe}");
    assert!(probe["fix"].as_str().unwrap().contains("aws iam add-client-id-to-open-id-connect-provider"), "{probe}");

    moto.start_recording();
    let run = sb.run(&["run", "oidc-provider", "--yes", "--step", "oidc-provider"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(*proxy.behaviour.add_client_id_calls.lock().unwrap(), 1);
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    // The double carries AddClientID out on moto as Delete + Create of the same provider.
    assert_eq!(ops, vec!["DeleteOpenIDConnectProvider", "CreateOpenIDConnectProvider"], "{ops:?}");
    let providers = iam.list_open_id_connect_providers().send().await.unwrap();
    assert_eq!(providers.open_id_connect_provider_list().len(), 1, "adopted, not duplicated");
    let provider = iam.get_open_id_connect_provider().open_id_connect_provider_arn(PROVIDER).send().await.unwrap();
    assert_eq!(provider.client_id_list(), ["other-audience", "sts.amazonaws.com"]);

    // Adopting a complete provider changes nothing.
    moto.start_recording();
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes", "--step", "oidc-provider"]).code, 0);
    assert_eq!(moto.recorded_operations().iter().filter(|o| is_mutating(o)).count(), 0);
    assert_eq!(*proxy.behaviour.add_client_id_calls.lock().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_permissions_missing_or_too_broad() {
    let moto = Moto::start();
    let sb = sandbox("oidc-perms", &moto.url);
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let arn = "arn:aws:iam::123456789012:policy/comafi-github-actions-role-deploy";
    let current = include_str!("../assets/iam/github-deploy-policy.json")
        .replace("{{region}}", "us-east-1")
        .replace("{{account_id}}", "123456789012")
        .replace("{{ecr_repository}}", "comafi")
        .replace("{{task_role_name}}", "comafi-ecs-task-role")
        .replace("{{execution_role_name}}", "ecsTaskExecutionRole");

    // PassRole on * is too broad, even though every required permission is there.
    let wide = current.replace("\"arn:aws:iam::123456789012:role/comafi-ecs-task-role\",\n        \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\"", "\"*\"");
    assert_ne!(wide, current);
    iam.put_role_policy().role_name(ROLE).policy_name("wide-pass").policy_document(wide).send().await.unwrap();
    let out = sb.run(&["verify", "oidc-provider", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    let effective = &step(&doc, "deploy-permissions")["probes"][1];
    assert!(effective["message"].as_str().unwrap().contains("too broadly: statement \"PassRoleToECS\" of inline policy wide-pass of role comafi-github-actions-role allows iam:PassRole on *"), "{effective}");
    iam.delete_role_policy().role_name(ROLE).policy_name("wide-pass").send().await.unwrap();

    // A push action missing from the policy.
    let missing = current.replace("\"ecr:PutImage\",\n", "");
    assert_ne!(missing, current);
    iam.create_policy_version().policy_arn(arn).policy_document(missing).set_as_default(true).send().await.unwrap();
    let out = sb.run(&["verify", "oidc-provider", "--json"]);
    assert_eq!(out.code, 1);
    let doc = out.json();
    for probe in step(&doc, "deploy-permissions")["probes"].as_array().unwrap() {
        assert!(
            probe["message"]
                .as_str()
                .unwrap()
                .contains("ecr:PutImage on arn:aws:ecr:us-east-1:123456789012:repository/comafi"),
            "{probe}"
        );
    }
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    assert_eq!(sb.run(&["verify", "oidc-provider"]).code, 0);
}

/// A stand-in for the gh CLI: `--version`, `auth status` (logged in when the
/// file `logged-in` exists) and `secret list` (prints `secrets.json`).
fn fake_gh(sb: &mut Sandbox) -> std::path::PathBuf {
    let dir = sb.dir.join("fake-gh");
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {dir}/calls\ncase \"$1\" in\n  --version) echo 'gh version 2.60.0 (fake)';;\n  auth) [ -f {dir}/logged-in ] && exit 0; echo 'You are not logged into any GitHub hosts. To log in, run: gh auth login' >&2; exit 1;;\n  secret) cat {dir}/secrets.json;;\n  *) exit 2;;\nesac\n",
        dir = dir.display()
    );
    let gh = dir.join("gh");
    std::fs::write(&gh, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.env.push(("PATH".into(), format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())));
    dir
}

#[test]
fn the_github_secret_is_checked_with_gh_or_confirmed_by_hand() {
    let moto = Moto::start();
    let mut sb = sandbox("oidc-gh", &moto.url);
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    let secret = |sb: &Sandbox, extra: &[&str]| {
        let mut args = vec!["verify", "oidc-provider", "--json"];
        args.extend_from_slice(extra);
        let out = sb.run(&args);
        (out.code, step(&out.json(), "github-secret").clone())
    };

    // Without gh: manual, with the exact command; --strict fails until confirmed.
    let (code, s) = secret(&sb, &[]);
    assert_eq!((code, s["status"].as_str().unwrap()), (0, "manual"), "{s}");
    assert!(s["probes"][0]["fix"].as_str().unwrap().starts_with("gh secret set AWS_ROLE_ARN --repo Comafi/comafi-ai --body 'arn:aws:iam::123456789012:role/comafi-github-actions-role'"), "{s}");
    assert_eq!(secret(&sb, &["--strict"]).0, 1);

    // gh installed but logged out: still manual, saying why.
    let dir = fake_gh(&mut sb);
    let (_, s) = secret(&sb, &[]);
    assert_eq!(s["status"], "manual", "{s}");
    assert!(s["probes"][0]["message"].as_str().unwrap().contains("gh is not logged in"), "{s}");

    // Logged in, secret absent: fail with the command; present: pass.
    std::fs::write(dir.join("logged-in"), "").unwrap();
    std::fs::write(dir.join("secrets.json"), r#"[{"name":"OTHER"}]"#).unwrap();
    let (code, s) = secret(&sb, &[]);
    assert_eq!((code, s["status"].as_str().unwrap()), (1, "fail"), "{s}");
    assert!(
        s["probes"][0]["message"].as_str().unwrap().contains("Comafi/comafi-ai has no Actions secret AWS_ROLE_ARN"),
        "{s}"
    );
    std::fs::write(dir.join("secrets.json"), r#"[{"name":"OTHER"},{"name":"AWS_ROLE_ARN"}]"#).unwrap();
    let (code, s) = secret(&sb, &["--strict"]);
    assert_eq!((code, s["status"].as_str().unwrap()), (0, "pass"), "{s}");
    let calls = std::fs::read_to_string(dir.join("calls")).unwrap();
    assert!(calls.contains("secret list --repo Comafi/comafi-ai --app actions --json name"), "{calls}");

    // Without gh again, the operator's confirmation settles it.
    sb.env.retain(|(k, _)| k != "PATH");
    assert_eq!(sb.run(&["confirm", "oidc-provider", "--step", "github-secret"]).code, 0);
    let (code, s) = secret(&sb, &["--strict"]);
    assert_eq!((code, s["status"].as_str().unwrap()), (0, "pass"), "{s}");
}

#[test]
fn github_repository_and_ref_are_validated() {
    let sb = Sandbox::new("oidc-input", "http://127.0.0.1:9");
    for (set, field) in [
        ("github_repository=comafi-ai", "github_repository"),
        ("github_repository=-bad/name", "github_repository"),
        ("github_ref=main", "github_ref"),
        ("github_ref=refs/heads/*", "github_ref"),
    ] {
        let out = sb.run(&["plan", "oidc-provider", "--set", "github_repository=Comafi/comafi-ai", "--set", set]);
        assert_eq!(out.code, 2, "{set}: {out:?}");
        assert!(out.stderr.contains(&format!("input `{field}`")), "{set}: {out:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmation_never_outruns_its_step_and_is_bound_to_what_was_confirmed() {
    let moto = Moto::start();
    let sb = sandbox("oidc-confirm", &moto.url);

    // The deploy role does not exist: confirming the secret that names it is refused.
    let refused = sb.run(&["confirm", "oidc-provider", "--step", "github-secret"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("not confirmed: github-secret needs oidc-provider, deploy-role, which do not pass now"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("preflight run oidc-provider --step oidc-provider"), "{refused:?}");
    let verify = sb.run(&["verify", "oidc-provider", "--json"]);
    assert_eq!(step(&verify.json(), "github-secret")["status"], "blocked", "{verify:?}");

    // In place: the confirmation is accepted, and names what it is bound to.
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    let confirmed = sb.run(&["confirm", "oidc-provider", "--step", "github-secret"]);
    assert_eq!(confirmed.code, 0, "{confirmed:?}");
    assert!(confirmed.stdout.contains("github_repository=Comafi/comafi-ai"), "{confirmed:?}");
    // A step its probes decide is not for a person to confirm.
    let decided = sb.run(&["confirm", "oidc-provider", "--step", "deploy-role"]);
    assert_eq!(decided.code, 1, "{decided:?}");
    assert!(decided.stderr.contains("deploy-role is decided by its probes"), "{decided:?}");
    let verify = sb.run(&["verify", "oidc-provider", "--json", "--strict"]);
    assert_eq!((verify.code, step(&verify.json(), "github-secret")["status"].clone()), (0, json!("pass")));

    // Values whose role does not exist: the secret step stands on it, so it is blocked.
    let missing = sb.run(&[
        "verify",
        "oidc-provider",
        "--json",
        "--set",
        "github_repository=Other/repo",
        "--set",
        "deploy_role_name=other-role",
    ]);
    let s = step(&missing.json(), "github-secret").clone();
    assert_eq!(s["status"], "blocked", "{s}");
    assert!(
        s["error"].as_str().unwrap().contains("needs deploy-role, which fails: trust: role other-role does not exist"),
        "{s}"
    );

    // Other values than those confirmed, with what it stands on in place for them: manual
    // again, saying for what it was confirmed.
    let run = sb.run(&["run", "oidc-provider", "--json", "--set", "github_repository=Other/repo", "--yes"]);
    assert_ne!(step(&run.json(), "github-secret")["status"], "pass", "{run:?}");
    let other = sb.run(&["verify", "oidc-provider", "--json", "--set", "github_repository=Other/repo"]);
    let s = step(&other.json(), "github-secret").clone();
    assert_eq!(s["status"], "manual", "{s}");
    assert!(
        s["fix"].as_str().unwrap().contains("for other values (")
            && s["fix"].as_str().unwrap().contains("github_repository=Comafi/comafi-ai"),
        "{s}"
    );

    // The role breaks after the confirmation: the secret step is no longer green.
    let iam = support::iam(&moto.url).await;
    let attached = iam.list_attached_role_policies().role_name(ROLE).send().await.unwrap();
    for p in attached.attached_policies() {
        iam.detach_role_policy().role_name(ROLE).policy_arn(p.policy_arn().unwrap()).send().await.unwrap();
    }
    iam.delete_role().role_name(ROLE).send().await.unwrap();
    let verify = sb.run(&["verify", "oidc-provider", "--json", "--set", "github_repository=Other/repo"]);
    let s = step(&verify.json(), "github-secret").clone();
    assert_eq!(s["status"], "blocked", "{s}");
    assert!(s["error"].as_str().unwrap().contains("needs deploy-role, which fails"), "{s}");
    assert!(s["fix"].as_str().unwrap().contains("preflight run oidc-provider --step deploy-role"), "{s}");
}
