//! The `secrets` checklist against moto (Secrets Manager, SSM, IAM with the
//! AWS-managed policies loaded, KMS): entries of the profile's lists become
//! step instances; values come from the environment, files, prompts or are
//! generated once; roles must read what they need. Every test plants
//! distinctive values and scans every output and every file of the work
//! directory for them, and for their base64.

mod support;

use support::pty::Tty;
use support::{Moto, Out, Sandbox, is_mutating, step};

const OPENAI: &str = "sk-planted-9f3b2c71";
const DB_URL: &str = "postgres://app:pw-planted-58e1@db/app";
const SECURE: &str = "secure-planted-7a2d";

const PROFILE: &str = r#"[inputs]
project = "acme"

[[secrets]]
name = "acme-prod-openai-api-key"
source = "env:OPENAI_API_KEY"

[[secrets]]
name = "acme-prod-app"
keys = ["DB_URL", "SESSION_SECRET"]
source = { DB_URL = "env:DB_URL", SESSION_SECRET = "generate:hex32" }
readers = ["execution", "task"]

[[parameters]]
name = "/acme-prod/brands"
value = "a,b,c"
readers = ["task"]

[[parameters]]
name = "/acme-prod/token"
source = "env:SECURE_TOKEN"
type = "SecureString"
readers = ["execution"]
"#;

fn moto() -> Moto {
    Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")])
}

fn sandbox(name: &str, moto: &Moto) -> Sandbox {
    let mut sb = Sandbox::new(name, &moto.url);
    std::fs::write(sb.dir.join("preflight.toml"), PROFILE).unwrap();
    sb.env.push(("OPENAI_API_KEY".into(), OPENAI.into()));
    sb.env.push(("DB_URL".into(), DB_URL.into()));
    sb.env.push(("SECURE_TOKEN".into(), SECURE.into()));
    sb
}

async fn secret_value(moto: &Moto, name: &str) -> Option<String> {
    let sm = support::secrets(&moto.url).await;
    sm.get_secret_value().secret_id(name).send().await.ok().and_then(|o| o.secret_string().map(str::to_string))
}

/// No planted or generated value, nor its base64, in any output or any file of the work directory.
fn assert_no_leak(sb: &Sandbox, outs: &[&Out], values: &[&str]) {
    let mut needles: Vec<String> = Vec::new();
    for v in values {
        needles.push(v.to_string());
        needles.push(aws_smithy_types::base64::encode(v));
    }
    for out in outs {
        for n in &needles {
            assert!(!out.all().contains(n.as_str()), "a value leaked into an output:\n{out:?}");
        }
    }
    for file in support::files_under(&sb.dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).to_string();
        for n in &needles {
            assert!(!text.contains(n.as_str()), "a value leaked into {}", file.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn populate_verify_rerun_for_free_and_a_changed_source_writes_one_version() {
    let moto = moto();
    let mut sb = sandbox("secrets-fresh", &moto);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0, "the task role comes from iam-policy");

    let before = sb.run(&["verify", "secrets", "--json"]);
    assert_eq!(before.code, 1, "{before:?}");
    let ids: Vec<String> = support::statuses(&before.json()).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![
            "secret:acme-prod-openai-api-key",
            "secret:acme-prod-app",
            "parameter:/acme-prod/brands",
            "parameter:/acme-prod/token",
            "read-access"
        ],
        "one instance per entry"
    );

    let run = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let verify = sb.run(&["verify", "secrets", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert_eq!(secret_value(&moto, "acme-prod-openai-api-key").await.as_deref(), Some(OPENAI));
    let app: serde_json::Value = serde_json::from_str(&secret_value(&moto, "acme-prod-app").await.unwrap()).unwrap();
    assert_eq!(app["DB_URL"], DB_URL);
    let generated = app["SESSION_SECRET"].as_str().unwrap().to_string();
    assert_eq!(generated.len(), 64, "hex of 32 random bytes");

    // A re-run with the same values changes nothing.
    moto.start_recording();
    let again = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(again.code, 0, "{again:?}");
    let mutating: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert!(mutating.is_empty(), "{mutating:?}");

    // A changed source: exactly one new version; the generated value is never made again.
    let rotated = "sk-planted-rotated-11aa";
    sb.env.retain(|(k, _)| k != "OPENAI_API_KEY");
    sb.env.push(("OPENAI_API_KEY".into(), rotated.into()));
    moto.start_recording();
    let changed = sb.run(&["run", "secrets", "--yes", "-v"]);
    assert_eq!(changed.code, 0, "{changed:?}");
    let mutating: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(mutating, vec!["PutSecretValue"]);
    assert_eq!(secret_value(&moto, "acme-prod-openai-api-key").await.as_deref(), Some(rotated));
    let app: serde_json::Value = serde_json::from_str(&secret_value(&moto, "acme-prod-app").await.unwrap()).unwrap();
    assert_eq!(app["SESSION_SECRET"], generated.as_str());

    // verify reads no value: it needs none of the sources.
    sb.env.retain(|(k, _)| !["OPENAI_API_KEY", "DB_URL", "SECURE_TOKEN"].contains(&k.as_str()));
    let blind = sb.run(&["verify", "secrets"]);
    assert_eq!(blind.code, 0, "{blind:?}");
    // Nor does a run whose secrets are in place: their sources are read only when a value is written.
    moto.start_recording();
    let done = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(done.code, 0, "{done:?}");
    assert!(moto.recorded_operations().into_iter().all(|o| !is_mutating(&o)), "{done:?}");
    // A secret gone: its step fails alone, naming the variable; the others go on; what
    // stands on it is blocked; the plan says the same and goes on.
    let sm = support::secrets(&moto.url).await;
    sm.delete_secret().secret_id("acme-prod-openai-api-key").force_delete_without_recovery(true).send().await.unwrap();
    let plan = sb.run(&["plan", "secrets", "--json"]);
    let doc = plan.json();
    let gone = step(&doc, "secret:acme-prod-openai-api-key");
    assert_eq!(gone["status"], "error", "{plan:?}");
    assert!(
        gone["error"].as_str().unwrap().contains("comes from env:OPENAI_API_KEY, and OPENAI_API_KEY is not set"),
        "{gone}"
    );
    assert_eq!(step(&doc, "secret:acme-prod-app")["status"], "pass", "{plan:?}");
    let missing = sb.run(&["run", "secrets", "--yes", "--json"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    let doc = missing.json();
    assert_eq!(step(&doc, "secret:acme-prod-openai-api-key")["status"], "error", "{missing:?}");
    assert_eq!(step(&doc, "parameter:/acme-prod/token")["status"], "pass", "the run went on: {missing:?}");
    assert_eq!(step(&doc, "read-access")["status"], "blocked", "{missing:?}");
    assert_no_leak(
        &sb,
        &[&before, &run, &verify, &again, &changed, &blind, &missing],
        &[OPENAI, DB_URL, SECURE, rotated, &generated],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_secrets_and_a_role_without_access_are_named_and_repaired() {
    let moto = moto();
    let sb = sandbox("secrets-broken", &moto);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let sm = support::secrets(&moto.url).await;
    // An empty secret (created by "Terraform", never populated), and a JSON secret missing a key.
    sm.create_secret().name("acme-prod-openai-api-key").send().await.unwrap();
    sm.create_secret().name("acme-prod-app").secret_string(r#"{"DB_URL":"x"}"#).send().await.unwrap();
    let verify = sb.run(&["verify", "secrets", "--json"]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let doc = verify.json();
    let empty = step(&doc, "secret:acme-prod-openai-api-key")["probes"][0]["message"].as_str().unwrap().to_string();
    assert!(empty.contains("has no value yet (no AWSCURRENT version)"), "{empty}");
    let json = step(&doc, "secret:acme-prod-app")["probes"][0]["message"].as_str().unwrap().to_string();
    assert_eq!(json, "secret acme-prod-app: key SESSION_SECRET missing or empty");

    assert_eq!(sb.run(&["run", "secrets", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    iam.delete_role_policy().role_name("acme-ecs-task-role").policy_name("acme-secrets-read").send().await.unwrap();
    let denied = sb.run(&["verify", "secrets", "--json"]);
    assert_eq!(denied.code, 1, "{denied:?}");
    let task = step(&denied.json(), "read-access")["probes"][1].clone();
    assert_eq!(task["status"], "fail", "{task}");
    let (message, fix) = (task["message"].as_str().unwrap(), task["fix"].as_str().unwrap());
    assert!(
        message.contains("role acme-ecs-task-role may not do") && message.contains("secretsmanager:GetSecretValue"),
        "{message}"
    );
    assert!(
        fix.contains("\"ssm:GetParameters\"") && fix.contains("parameter/acme-prod/brands"),
        "the fix statement: {fix}"
    );
    let repaired = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(repaired.code, 0, "{repaired:?}");
    assert_eq!(sb.run(&["verify", "secrets"]).code, 0);
    assert_no_leak(&sb, &[&verify, &denied, &repaired], &[OPENAI, DB_URL, SECURE]);
}

#[test]
fn malformed_entries_are_refused_with_their_place() {
    let sb = Sandbox::new("secrets-malformed", "http://127.0.0.1:9");
    for (entry, says) in [
        (
            "[[secrets]]\nname = \"s\"\nsource = \"prompt\"\nreader = [\"task\"]\n",
            "preflight.toml:6:1: unknown field `reader` in [[secrets]] (did you mean `readers`?)",
        ),
        (
            "[[secrets]]\nname = \"s\"\nsource = { A = \"prompt\" }\n",
            "preflight.toml:3:1: secret s has a source per key but no `keys`",
        ),
        (
            "[[secrets]]\nname = \"s\"\nkeys = [\"A\"]\nsource = { B = \"prompt\" }\n",
            "preflight.toml:3:1: the sources of secret s must name exactly its keys",
        ),
        (
            "[[secrets]]\nname = \"s\"\nsource = \"vault:x\"\n",
            "preflight.toml:3:1: secret s: source \"vault:x\" is not one",
        ),
        (
            "[[parameters]]\nname = \"/p\"\nvalue = \"v\"\nreaders = [\"everyone\"]\n",
            "preflight.toml:3:1: unknown reader \"everyone\"",
        ),
    ] {
        std::fs::write(sb.dir.join("preflight.toml"), format!("[inputs]\nproject = \"acme\"\n{entry}")).unwrap();
        let out = sb.run(&["verify", "secrets"]);
        assert_eq!(out.code, 2, "{entry}: {out:?}");
        assert!(out.stderr.contains(says), "{entry}: {out:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_key_is_used_and_read_access_includes_decrypt() {
    let moto = moto();
    let sb = Sandbox::new("secrets-kms", &moto.url);
    let kms = support::kms(&moto.url).await;
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.create_alias().alias_name("alias/acme").target_key_id(key.key_id()).send().await.unwrap();
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"acme\"\n\n[[secrets]]\nname = \"acme-kms\"\nsource = \"generate:base64-48\"\nkms_key_id = \"alias/acme\"\n",
    )
    .unwrap();
    let run = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let iam = support::iam(&moto.url).await;
    let policy =
        iam.get_role_policy().role_name("ecsTaskExecutionRole").policy_name("acme-secrets-read").send().await.unwrap();
    let doc = percent_encoding::percent_decode_str(policy.policy_document()).decode_utf8_lossy().to_string();
    assert!(doc.contains("kms:Decrypt") && doc.contains(key.arn().unwrap()), "{doc}");
    let generated = secret_value(&moto, "acme-kms").await.unwrap();
    assert_eq!(aws_smithy_types::base64::decode(&generated).unwrap().len(), 48);
    assert_eq!(sb.run(&["verify", "secrets"]).code, 0);
    assert_no_leak(&sb, &[&run], &[&generated]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prompted_value_is_masked_and_asked_again_when_the_confirmation_differs() {
    let moto = moto();
    let sb = Sandbox::new("secrets-prompt", &moto.url);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"acme\"\n\n[[secrets]]\nname = \"acme-typed\"\nsource = \"prompt\"\n",
    )
    .unwrap();
    let typed = "typed-planted-c0ffee";
    let mut tty = Tty::open(&sb, "run secrets --yes");
    tty.expect("Value of secret acme-typed");
    tty.press(&format!("{typed}\r"));
    tty.expect("Again, to confirm");
    tty.press("something-else\r");
    // A mismatch: asked again, from the start.
    tty.expect("Value of secret acme-typed");
    tty.press(&format!("{typed}\r"));
    tty.expect("Again, to confirm");
    tty.press(&format!("{typed}\r"));
    let (code, screen) = tty.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains(typed), "the value was shown:\n{screen}");
    assert_eq!(secret_value(&moto, "acme-typed").await.as_deref(), Some(typed));
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    assert!(!profile.contains(typed), "{profile}");
    assert_no_leak(&sb, &[], &[typed]);
}

#[test]
fn the_wizard_never_shows_a_value() {
    let moto = moto();
    let sb = sandbox("secrets-tui", &moto);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let mut tty = Tty::open(&sb, "tui secrets --yes");
    tty.wait_for(&["secret:acme-prod-app", "■ verify secrets"]);
    tty.press("a");
    tty.wait_for(&["✔ read-access", "5 steps · 5 pass"]);
    // The details of a populated secret, and the log, as they are on screen.
    tty.press("jj");
    let screen = tty.wait_for(&["Secret acme-prod-app"]);
    for value in [OPENAI, DB_URL, SECURE] {
        assert!(!screen.contains(value), "{value} is on screen:\n{screen}");
    }
    tty.press("q");
    let (code, after) = tty.exit();
    assert_eq!(code, 0, "{after}");
    assert_no_leak(&sb, &[], &[OPENAI, DB_URL, SECURE]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_run_alone_needs_only_its_own_inputs() {
    let moto = moto();
    let mut sb = sandbox("secrets-alone", &moto);
    // One secret asked at a prompt (given once through PREFLIGHT_SECRET_…).
    let profile = PROFILE.replace("source = \"env:OPENAI_API_KEY\"", "source = \"prompt\"");
    std::fs::write(sb.dir.join("preflight.toml"), profile).unwrap();
    sb.env.push(("PREFLIGHT_SECRET_SECRET_ACME_PROD_OPENAI_API_KEY".into(), OPENAI.into()));
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let first = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(first.code, 0, "{first:?}");

    // The read access breaks; its sources are gone: no prompt answer, no variables.
    sb.env.retain(|(k, _)| !k.starts_with("PREFLIGHT_SECRET_") && !["DB_URL", "SECURE_TOKEN"].contains(&k.as_str()));
    let iam = support::iam(&moto.url).await;
    iam.delete_role_policy().role_name("acme-ecs-task-role").policy_name("acme-secrets-read").send().await.unwrap();
    moto.start_recording();
    // Without a terminal nothing could be asked: the secrets are in place, so nothing is.
    let alone = sb.run(&["run", "secrets", "--step", "read-access", "--yes"]);
    assert_eq!(alone.code, 0, "{alone:?}");
    let mutating: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(mutating, vec!["PutRolePolicy"], "only the read access is written: {alone:?}");
    let plan = sb.run(&["plan", "secrets"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_no_leak(&sb, &[&first, &alone, &plan], &[OPENAI, DB_URL, SECURE]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_securestring_made_with_a_key_the_profile_does_not_name_is_decrypted_with_that_key() {
    // The parameter exists already, encrypted with a customer key; the profile names none.
    let moto = moto();
    let mut sb = Sandbox::new("secrets-ssm-kms", &moto.url);
    let kms = support::kms(&moto.url).await;
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let ssm = support::ssm(&moto.url).await;
    ssm.put_parameter()
        .name("/acme/token")
        .value(SECURE)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"acme\"\n\n[[parameters]]\nname = \"/acme/token\"\nsource = \"env:SECURE_TOKEN\"\ntype = \"SecureString\"\nreaders = [\"task\"]\n",
    )
    .unwrap();
    sb.env.push(("SECURE_TOKEN".into(), SECURE.into()));
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let run = sb.run(&["run", "secrets", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let iam = support::iam(&moto.url).await;
    let policy =
        iam.get_role_policy().role_name("acme-ecs-task-role").policy_name("acme-secrets-read").send().await.unwrap();
    let doc = percent_encoding::percent_decode_str(policy.policy_document()).decode_utf8_lossy().to_string();
    assert!(doc.contains("kms:Decrypt") && doc.contains(key.arn().unwrap()), "the key it really has: {doc}");
    assert_no_leak(&sb, &[&run], &[SECURE]);
}
