//! The check before the first change, and `preflight permissions`, against an
//! IAM that says no. moto enforces IAM after reset-auth; tests/support/moto_authz.py
//! mends three things of it so that it judges IAM requests as AWS does (on the
//! resources they name, with ${aws:username}, without its SigV4 re-encoding
//! bug). Outside IAM moto judges every action against `*`, so these tests run
//! the IAM-only checklist iam-policy, whose every call moto then judges for real.
//! The caller is the user `dev`, member of the group `developers` (no policies of
//! its own), so that the check reads group policies as it would for most people.

mod support;

use serde_json::{Value, json};
use support::{Moto, Sandbox, is_mutating};

struct Account {
    moto: Moto,
    admin: aws_sdk_iam::Client,
    dev: Sandbox,
    /// `preflight permissions iam-policy --json`'s one document.
    policy: Value,
}

async fn iam_as(url: &str, key: &aws_sdk_iam::types::AccessKey) -> aws_sdk_iam::Client {
    let creds =
        aws_sdk_iam::config::Credentials::new(key.access_key_id(), key.secret_access_key(), None, None, "tests");
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// A fresh account: an administrator, the user `dev` in `developers`, the
/// generated policy; IAM enforced from here on.
async fn account(name: &str) -> Account {
    let moto = Moto::start_judging_iam();
    let root = support::iam(&moto.url).await;
    let admin_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    root.create_user().user_name("admin").send().await.unwrap();
    root.put_user_policy().user_name("admin").policy_name("all").policy_document(admin_policy).send().await.unwrap();
    let admin_key = root.create_access_key().user_name("admin").send().await.unwrap().access_key.unwrap();
    root.create_user().user_name("dev").send().await.unwrap();
    root.create_group().group_name("developers").send().await.unwrap();
    root.add_user_to_group().group_name("developers").user_name("dev").send().await.unwrap();
    let dev_key = root.create_access_key().user_name("dev").send().await.unwrap().access_key.unwrap();

    let generator = Sandbox::new(&format!("{name}-generate"), &moto.url);
    let out = generator.run(&["permissions", "iam-policy", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let documents = out.json()["documents"].clone();
    assert_eq!(documents.as_array().unwrap().len(), 1, "one document: {documents}");
    moto.enforce_iam();

    let mut dev = Sandbox::new(name, &moto.url);
    dev.env.push(("AWS_ACCESS_KEY_ID".into(), dev_key.access_key_id().into()));
    dev.env.push(("AWS_SECRET_ACCESS_KEY".into(), dev_key.secret_access_key().into()));
    let admin = iam_as(&moto.url, &admin_key).await;
    Account { moto, admin, dev, policy: documents[0].clone() }
}

impl Account {
    /// Gives `dev` exactly this policy (inline), nothing else.
    async fn grant(&self, policy: &Value) {
        let text = serde_json::to_string(policy).unwrap();
        self.admin
            .put_user_policy()
            .user_name("dev")
            .policy_name("preflight")
            .policy_document(text)
            .send()
            .await
            .unwrap();
    }

    /// Runs preflight as `dev`; returns its output and the mutating calls moto served meanwhile.
    fn run(&self, args: &[&str]) -> (support::Out, Vec<String>) {
        self.moto.start_recording();
        let out = self.dev.run(args);
        let changes = self.moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
        (out, changes)
    }
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(|i| i.as_str().unwrap().to_string()).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The generated policy without one action (wherever it is granted).
fn without_action(policy: &Value, action: &str) -> Value {
    let mut p = policy.clone();
    for st in p["Statement"].as_array_mut().unwrap() {
        let kept: Vec<String> = list(&st["Action"]).into_iter().filter(|a| a != action).collect();
        st["Action"] = json!(kept);
    }
    p["Statement"].as_array_mut().unwrap().retain(|st| !list(&st["Action"]).is_empty());
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_lacking_one_action_changes_nothing_and_is_told_which_and_how_to_grant_it() {
    let a = account("lacks-one").await;
    let role = "arn:aws:iam::123456789012:role/comafi-ecs-task-role";
    a.grant(&without_action(&a.policy, "iam:AttachRolePolicy")).await;

    let (out, changes) = a.run(&["run", "iam-policy", "--yes", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(changes, Vec::<String>::new(), "no change before the permissions are known to suffice");
    let check = &out.json()["permissions"];
    assert_eq!(check["caller"], "arn:aws:iam::123456789012:user/dev");
    let missing = check["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{check}");
    assert_eq!(
        (missing[0]["action"].as_str(), missing[0]["resource"].as_str()),
        (Some("iam:AttachRolePolicy"), Some(role))
    );
    assert_eq!(missing[0]["steps"], json!(["iam-policy/grant"]));
    // The policy that grants exactly what is missing.
    assert_eq!(
        check["policy"],
        json!([{"Version": "2012-10-17", "Statement": [
            {"Sid": "IamRole", "Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": role}
        ]}])
    );

    // The same, as the operator reads it; and plan says it too (exit 1, the plan still shown).
    let (text, changes) = a.run(&["run", "iam-policy", "--yes"]);
    assert_eq!((text.code, changes.len()), (1, 0), "{text:?}");
    assert!(
        text.stdout.contains(&format!("iam:AttachRolePolicy on {role} (iam-policy/grant): not allowed by any policy")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("nothing was changed") && text.stdout.contains("\"Action\": \"iam:AttachRolePolicy\""),
        "{}",
        text.stdout
    );
    let (plan, changes) = a.run(&["plan", "iam-policy", "--json"]);
    assert_eq!((plan.code, changes.len()), (1, 0), "{plan:?}");
    let plan = plan.json();
    assert_eq!(plan["permissions"]["missing"][0]["action"], "iam:AttachRolePolicy");
    assert_eq!(support::step(&plan, "grant")["changes"][0]["operation"], "AttachRolePolicy", "{plan}");

    // Granted what the fix says, the run goes through.
    a.grant(&a.policy).await;
    let (out, changes) = a.run(&["run", "iam-policy", "--yes", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(changes.contains(&"AttachRolePolicy".to_string()), "{changes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn exactly_the_generated_policy_runs_the_checklist_end_to_end() {
    let a = account("exact").await;
    a.grant(&a.policy).await;
    let (out, changes) = a.run(&["run", "iam-policy", "--yes", "--strict", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    assert_eq!(doc["permissions"]["missing"], json!([]), "{doc}");
    assert_eq!(doc["permissions"]["checked"], true);
    for id in ["runtime-policy", "runtime-principal", "grant"] {
        assert_eq!(support::step(&doc, id)["status"], "pass", "{id}: {doc}");
    }
    for made in ["CreatePolicy", "CreateRole", "AttachRolePolicy"] {
        assert!(changes.contains(&made.to_string()), "{made}: {changes:?}");
    }
    // Verified by the same caller, and a re-run changes nothing (and needs no check: nothing would change).
    let (verify, _) = a.run(&["verify", "iam-policy", "--json"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let (again, changes) = a.run(&["run", "iam-policy", "--yes", "--json"]);
    assert_eq!((again.code, changes.len()), (0, 0), "{again:?} {changes:?}");
    assert!(again.json().get("permissions").is_none(), "nothing to change, nothing to check");
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_any_one_statement_of_the_generated_policy_is_caught_before_any_change() {
    let a = account("minus-one").await;
    let statements = a.policy["Statement"].as_array().unwrap().clone();
    assert!(statements.len() >= 4, "{}", a.policy);
    for (i, removed) in statements.iter().enumerate() {
        let mut policy = a.policy.clone();
        policy["Statement"].as_array_mut().unwrap().remove(i);
        a.grant(&policy).await;
        let (out, changes) = a.run(&["run", "iam-policy", "--yes", "--strict", "--json"]);
        assert_eq!(changes, Vec::<String>::new(), "without {removed}: {out:?}");
        match out.code {
            // What the run needs is missing: named, all of it from the removed statement.
            1 => {
                let missing = out.json()["permissions"]["missing"].as_array().unwrap().clone();
                assert!(!missing.is_empty(), "without {removed}: {out:?}");
                let actions = list(&removed["Action"]);
                for m in &missing {
                    assert!(actions.contains(&m["action"].as_str().unwrap().to_string()), "{m} not from {removed}");
                }
            }
            // The caller's own policies cannot be read, so nothing can be known: --strict stops.
            2 => assert!(out.stderr.contains("the caller's policies cannot be read"), "without {removed}: {out:?}"),
            _ => panic!("without {removed}: {out:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_that_cannot_read_its_own_policies_is_told_so_and_the_run_goes_on_unless_strict() {
    let a = account("unreadable").await;
    let mut policy = a.policy.clone();
    // Everything but the caller's reads of itself (an SSO permission set without iam:Get*).
    policy["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|st| !list(&st["Resource"]).iter().any(|r| r.ends_with(":user/${aws:username}")));
    a.grant(&policy).await;
    let (strict, changes) = a.run(&["run", "iam-policy", "--yes", "--strict"]);
    assert_eq!((strict.code, changes.len()), (2, 0), "{strict:?}");
    assert!(strict.stderr.contains("--strict stops here; nothing was changed"), "{}", strict.stderr);
    let (out, changes) = a.run(&["run", "iam-policy", "--yes", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("warning: the caller's policies cannot be read"), "{}", out.stderr);
    assert!(out.stderr.contains("iam:GetUser"), "the denied read is named: {}", out.stderr);
    assert_eq!(out.json()["permissions"]["checked"], false);
    assert!(changes.contains(&"CreatePolicy".to_string()), "{changes:?}");
}

#[test]
fn the_generated_policy_names_every_resource_and_says_which_actions_have_none() {
    let moto = Moto::start();
    let sb = Sandbox::new("generated", &moto.url);
    let out = sb.run(&["permissions", "iam-policy", "ecr-push", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    assert_eq!(doc["on_any_resource"], json!(["ecr:GetAuthorizationToken"]), "{doc}");
    let documents = doc["documents"].as_array().unwrap();
    for d in documents {
        assert!(support_size(d) <= 6144);
        for st in d["Statement"].as_array().unwrap() {
            for r in list(&st["Resource"]) {
                assert!(
                    r == "*" && list(&st["Action"]) == ["ecr:GetAuthorizationToken"] || r.starts_with("arn:aws:"),
                    "{st}"
                );
            }
        }
    }
    let all: Vec<String> = documents
        .iter()
        .flat_map(|d| d["Statement"].as_array().unwrap().iter().flat_map(|st| list(&st["Action"])))
        .collect();
    for action in ["ecr:CreateRepository", "ecr:PutImage", "ecr:InitiateLayerUpload", "iam:CreatePolicy"] {
        assert!(all.contains(&action.to_string()), "{action}: {all:?}");
    }
    // --verify: reads only.
    let verify = sb.run(&["permissions", "iam-policy", "ecr-push", "--verify", "--json"]).json();
    let reads: Vec<String> = verify["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["Statement"].as_array().unwrap().iter().flat_map(|st| list(&st["Action"])))
        .collect();
    assert!(
        reads.iter().all(|a| {
            let op = a.split(':').nth(1).unwrap();
            ["Get", "List", "Describe", "BatchGet", "BatchCheck"].iter().any(|p| op.starts_with(p))
        }),
        "{reads:?}"
    );
    assert!(reads.contains(&"ecr:BatchGetImage".to_string()), "{reads:?}");
    // Printed without --json: the document alone on stdout, the notes on stderr.
    let text = sb.run(&["permissions", "iam-policy"]);
    assert_eq!(serde_json::from_str::<Value>(&text.stdout).unwrap(), documents_of(&sb, "iam-policy"));
    assert!(
        text.stderr.contains("the least-privilege policy to run iam-policy in account 123456789012"),
        "{}",
        text.stderr
    );
}

fn documents_of(sb: &Sandbox, checklist: &str) -> Value {
    sb.run(&["permissions", checklist, "--json"]).json()["documents"][0].clone()
}

fn support_size(doc: &Value) -> usize {
    doc.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wizard_shows_what_is_missing_before_any_change_and_copies_the_policy() {
    let a = account("tui-lacks-one").await;
    a.grant(&without_action(&a.policy, "iam:AttachRolePolicy")).await;
    a.moto.start_recording();
    let mut tty = support::pty::Tty::open(&a.dev, "tui iam-policy");
    tty.wait_for(&["iam-policy", "✘ runtime-policy", "Enter run"]);
    tty.press("a");
    // Before the first consent is asked: the dialog, with the missing action and the policy.
    tty.wait_for(&[
        "iam-policy: permissions missing",
        "Nothing was changed",
        "iam:AttachRolePolicy on arn:aws:iam::123456789012:role/comafi-ecs-task-role",
        "\"Action\": \"iam:AttachRolePolicy\"",
        "c copy the policy",
    ]);
    tty.press("c");
    // OSC 52 carries the policy, base64, to the terminal's clipboard.
    tty.expect("\x1b]52;c;");
    let copied = aws_smithy_types::base64::decode(tty.until("\x07")).unwrap();
    let copied: Value = serde_json::from_slice(&copied).unwrap();
    assert_eq!(copied["Statement"][0]["Action"], "iam:AttachRolePolicy", "{copied}");
    // Esc closes it (and only once it has: Esc then q at once would be read as Alt-q).
    tty.press("\x1b");
    tty.wait_gone(&["c copy the policy"]);
    tty.wait_for(&["■ run iam-policy: the caller lacks 1 of the ", " permissions this run needs; nothing was changed"]);
    // A plan shows the same, then goes on to its end (it changes nothing).
    tty.press("p");
    tty.wait_for(&["iam-policy: permissions missing", "iam:AttachRolePolicy on"]);
    tty.press("\x1b");
    tty.wait_gone(&["c copy the policy"]);
    tty.wait_for(&["■ plan iam-policy: 3 steps · 3 fail"]);
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);
    let changes: Vec<String> = a.moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(changes, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_asks_iams_simulator_too_and_its_denial_stops_the_run_before_any_change() {
    // moto lacks SimulatePrincipalPolicy: the test proxy answers it (denying what it is told to).
    let moto = Moto::start();
    let iam = support::iam(&moto.url).await;
    // moto's caller is user/moto: an administrator, so local evaluation allows everything.
    let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    iam.create_user().user_name("moto").send().await.unwrap();
    iam.put_user_policy().user_name("moto").policy_name("all").policy_document(admin).send().await.unwrap();
    let proxy = support::proxy::Proxy::start(&moto.url);
    let sb = Sandbox::new("deep", &proxy.url);

    // An SCP, say, that only the simulator sees.
    proxy.behaviour.deny.lock().unwrap().push("iam:CreateRole".into());
    moto.start_recording();
    let out = sb.run(&["run", "iam-policy", "--yes", "--deep", "--json"]);
    let changes: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!((out.code, changes.len()), (1, 0), "{out:?} {changes:?}");
    let check = &out.json()["permissions"];
    let missing = check["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{check}");
    assert_eq!(missing[0]["action"], "iam:CreateRole");
    assert!(missing[0]["reason"].as_str().unwrap().contains("simulator denies it"), "{check}");
    assert!(check["simulator"].as_str().unwrap().starts_with("disagrees on 1 of"), "{check}");

    // Without --deep the local evaluation alone decides: allowed.
    let out = sb.run(&["plan", "iam-policy", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["permissions"]["missing"], json!([]));
    assert_eq!(out.json()["permissions"]["simulator"], Value::Null);
}

/// A customer key named by its alias: granted on the key behind it when the alias can be read
/// (kms:DescribeKey), else on the account's keys only under `kms:ResourceAliases` — never on
/// every key without a condition. And a Secrets Manager write under it needs kms:Decrypt too.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_named_by_its_alias_is_granted_on_that_key_only() {
    let moto = Moto::start();
    let sb = Sandbox::new("kms-alias", &moto.url);
    let kms = support::kms(&moto.url).await;
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.create_alias().alias_name("alias/acme").target_key_id(key.key_id()).send().await.unwrap();
    let profile = |alias: &str| {
        format!(
            "[inputs]\nproject = \"acme\"\n\n[[secrets]]\nname = \"acme-kms\"\nsource = \"generate:hex32\"\nkms_key_id = \"{alias}\"\n"
        )
    };
    let kms_statements = |doc: &Value| -> Vec<Value> {
        doc["documents"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["Statement"].as_array().unwrap().clone())
            .filter(|st| list(&st["Action"]).iter().any(|a| a.starts_with("kms:")))
            .collect()
    };

    std::fs::write(sb.dir.join("preflight.toml"), profile("alias/acme")).unwrap();
    let out = sb.run(&["permissions", "secrets", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let statements = kms_statements(&out.json());
    assert!(!statements.is_empty(), "{out:?}");
    for st in &statements {
        assert_eq!(list(&st["Resource"]), vec![key.arn().unwrap().to_string()], "the key itself: {st}");
        assert!(st.get("Condition").is_none(), "{st}");
    }
    let actions: Vec<String> = statements.iter().flat_map(|st| list(&st["Action"])).collect();
    for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
        assert!(actions.contains(&action.to_string()), "{action}: {actions:?}");
    }
    assert!(!actions.contains(&"kms:Encrypt".to_string()), "Secrets Manager asks GenerateDataKey, not Encrypt");

    // An alias that cannot be read (here: none such): the account's keys, under its alias only.
    std::fs::write(sb.dir.join("preflight.toml"), profile("alias/elsewhere")).unwrap();
    let out = sb.run(&["permissions", "secrets", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let statements = kms_statements(&out.json());
    assert!(!statements.is_empty(), "{out:?}");
    for st in &statements {
        assert_eq!(list(&st["Resource"]), vec!["arn:aws:kms:us-east-1:123456789012:key/*"], "{st}");
        assert_eq!(
            st["Condition"],
            json!({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/elsewhere"}}),
            "never every key without a condition: {st}"
        );
    }
}

/// `verify --invoke` makes one Converse call, authorized as bedrock:InvokeModel: the policy to
/// verify includes it, on the model the profile names.
#[test]
fn the_policy_to_verify_includes_the_one_real_model_call() {
    let moto = Moto::start();
    let sb = Sandbox::new("verify-invoke", &moto.url);
    let doc = sb.run(&["permissions", "model-access", "--verify", "--json"]).json();
    let grants: Vec<(String, String)> = doc["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["Statement"].as_array().unwrap().clone())
        .flat_map(|st| {
            let resources = list(&st["Resource"]);
            list(&st["Action"])
                .into_iter()
                .flat_map(move |a| resources.clone().into_iter().map(move |r| (a.clone(), r)))
        })
        .collect();
    let model = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0".to_string();
    assert!(grants.contains(&("bedrock:InvokeModel".to_string(), model)), "{grants:?}");
}

/// `destroy` is checked before its first deletion like a run: the caller who
/// made iam-policy with exactly its generated policy may not delete anything;
/// nothing is changed, every deletion is named, and the policy printed is
/// enough (a plan cut short by a denied read is checked for what would follow).
#[tokio::test(flavor = "multi_thread")]
async fn destroy_is_checked_before_its_first_deletion_and_the_printed_policy_suffices() {
    let a = account("destroy-check").await;
    a.grant(&a.policy).await;
    let (out, _) = a.run(&["run", "iam-policy", "--yes"]);
    assert_eq!(out.code, 0, "{out:?}");

    let (out, changes) = a.run(&["destroy", "--yes", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(changes, Vec::<String>::new(), "nothing is deleted before the permissions are known to suffice");
    let check = out.json()["permissions"].clone();
    let missing: Vec<&str> =
        check["missing"].as_array().unwrap().iter().map(|m| m["action"].as_str().unwrap()).collect();
    for action in ["iam:DetachRolePolicy", "iam:DeleteRole", "iam:DeletePolicy", "iam:ListEntitiesForPolicy"] {
        assert!(missing.contains(&action), "{action}: {check}");
    }

    // The run's policy and, beside it, the one destroy printed: destroy goes through.
    for (i, doc) in check["policy"].as_array().unwrap().iter().enumerate() {
        let text = serde_json::to_string(doc).unwrap();
        let name = format!("destroy-{i}");
        a.admin.put_user_policy().user_name("dev").policy_name(name).policy_document(text).send().await.unwrap();
    }
    let (out, changes) = a.run(&["destroy", "--yes", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    for deleted in ["DetachRolePolicy", "DeleteRole", "DeletePolicy"] {
        assert!(changes.contains(&deleted.to_string()), "{deleted}: {changes:?}");
    }
}
