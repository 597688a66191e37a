//! The `model-access` checklist. moto implements none of these Bedrock calls:
//! a small HTTP double (support/bedrock.rs) speaks their documented REST/JSON
//! wire format, reached through AWS_ENDPOINT_URL_BEDROCK[_RUNTIME]; STS and IAM
//! are moto's. Each scenario asserts what verify (or run) says and its exit code.

mod support;

use support::bedrock::{Agreement, BedrockDouble, Converse, Scenario};
use support::{Moto, Sandbox, step};

fn sandbox(name: &str, moto: &Moto, bedrock: &BedrockDouble) -> Sandbox {
    support::bedrock_sandbox(name, &moto.url, &bedrock.url)
}

fn status(doc: &serde_json::Value, id: &str) -> String {
    step(doc, id)["status"].as_str().unwrap().to_string()
}

fn probe<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    &step(doc, id)["probes"][0]
}

#[test]
fn fully_authorized() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let sb = sandbox("bedrock-ok", &moto, &bedrock);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0, "the runtime role comes from iam-policy");

    let out = sb.run(&["verify", "model-access", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    for id in ["region-model", "use-case", "agreement", "access", "runtime-invoke"] {
        assert_eq!(status(&doc, id), "pass", "{id}: {doc}");
    }
    // moto's caller (user/moto) is no IAM user it knows: the caller check is manual, not failed.
    assert_eq!(status(&doc, "caller-permissions"), "manual");
    // Not asked to spend money: skipped, never passed; and not a person's skip (no record,
    // and `--strict` fails only what a person skipped or did not confirm).
    assert_eq!(status(&doc, "invoke"), "skipped");
    assert_eq!(step(&doc, "invoke")["skipped"], serde_json::Value::Null, "{doc}");
    let strict = sb.run(&["verify", "model-access", "--strict"]);
    assert!(
        !strict.stdout.contains("skipped step is not verified") && !strict.stdout.contains("skipped by"),
        "{strict:?}"
    );
    let access = probe(&doc, "access")["message"].as_str().unwrap();
    for line in ["authorization: AUTHORIZED", "entitlement: AVAILABLE", "agreement: AVAILABLE", "region: AVAILABLE"] {
        assert!(access.lines().any(|l| l == line), "{access}");
    }
    assert!(!bedrock.calls().iter().any(|c| c.starts_with("Converse")));

    let invoked = sb.run(&["verify", "model-access", "--invoke", "--json"]);
    assert_eq!(invoked.code, 0, "{invoked:?}");
    let doc = invoked.json();
    assert_eq!(status(&doc, "invoke"), "pass");
    assert!(
        probe(&doc, "invoke")["message"]
            .as_str()
            .unwrap()
            .contains("anthropic.claude-3-haiku-20240307-v1:0 answered in"),
        "{doc}"
    );
    assert_eq!(bedrock.calls().iter().filter(|c| c.starts_with("Converse us-east-1")).count(), 1);

    // Nothing to change: run makes no Bedrock mutation.
    let before = bedrock.calls().len();
    assert_eq!(sb.run(&["run", "model-access", "--yes"]).code, 0);
    let after = bedrock.calls();
    assert!(!after[before..].iter().any(|c| c.starts_with("Put") || c.starts_with("Create")), "{after:?}");
}

#[test]
fn not_authorized_without_agreement_then_run_waits_for_propagation() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario {
        agreement: Agreement::NotAvailable,
        authorized: false,
        ..Scenario::authorized()
    });
    let sb = sandbox("bedrock-agreement", &moto, &bedrock);

    let out = sb.run(&["verify", "model-access", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    assert_eq!(status(&doc, "region-model"), "pass");
    assert_eq!(status(&doc, "agreement"), "fail");
    assert!(
        probe(&doc, "agreement")["message"]
            .as_str()
            .unwrap()
            .contains("no agreement for anthropic.claude-3-haiku-20240307-v1:0: agreement: NOT_AVAILABLE"),
        "{doc}"
    );
    let access = probe(&doc, "access");
    assert!(access["message"].as_str().unwrap().lines().any(|l| l == "authorization: NOT_AUTHORIZED"), "{access}");
    assert!(
        access["fix"].as_str().unwrap().contains("create the agreement: preflight run model-access --step agreement"),
        "{access}"
    );

    // run accepts the offer; access then propagates: the probe checks again with a countdown.
    let run = sb.run(&["run", "model-access", "--yes", "--step", "access"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(
            "access to anthropic.claude-3-haiku-20240307-v1:0 is propagating (try 1/5): checking again in 1 s"
        ),
        "{run:?}"
    );
    let calls = bedrock.calls();
    assert!(calls.contains(&"CreateFoundationModelAgreement us-east-1".to_string()), "{calls:?}");
    let verify = sb.run(&["verify", "model-access", "--json"]);
    assert_eq!(status(&verify.json(), "access"), "pass", "{verify:?}");
}

#[test]
fn still_propagating_after_the_bounded_checks_is_a_failure_that_says_so() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario {
        agreement: Agreement::Pending(50),
        authorized: false,
        ..Scenario::authorized()
    });
    let sb = sandbox("bedrock-pending", &moto, &bedrock);
    let out = sb.run(&["verify", "model-access", "--json", "--set", "access_poll_tries=2"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    let agreement = probe(&doc, "agreement");
    assert!(agreement["message"].as_str().unwrap().contains("still PENDING after 2 checks"), "{agreement}");
    assert!(agreement["fix"].as_str().unwrap().contains("access can take minutes to propagate"), "{agreement}");
    let checks = bedrock.calls().iter().filter(|c| c.starts_with("GetFoundationModelAvailability")).count();
    // Two bounded checks for each of the two steps, probed at once: their first
    // checks are one shared read; after each wait a step reads afresh, and when
    // both waits end together their second checks are one read too. Never more
    // than two each, never fewer than the two rounds.
    assert!((2..=4).contains(&checks), "two bounded checks for each of the two steps: {checks}");
}

#[test]
fn use_case_missing_is_submitted_once_from_the_profile() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario { use_case: None, ..Scenario::authorized() });
    let sb = sandbox("bedrock-usecase", &moto, &bedrock);
    let out = sb.run(&["verify", "model-access", "--json"]);
    assert_eq!(out.code, 1);
    let doc = out.json();
    assert_eq!(status(&doc, "use-case"), "fail");
    assert!(
        probe(&doc, "use-case")["message"].as_str().unwrap().contains("has not submitted Anthropic's use-case form")
    );

    // What is consented to is every answer that will be sent, not a summary nor base64.
    let plan = sb.run(&["plan", "model-access", "--step", "use-case"]);
    for answer in [
        "\"companyName\": \"Comafi\"",
        "\"companyWebsite\": \"https://www.comafi.com.ar\"",
        "\"intendedUsers\": \"1\"",
        "\"industryOption\": \"Financial Services\"",
        "\"otherIndustryOption\": \"\"",
        "\"useCases\": \"Customer support assistant for bank benefits\"",
    ] {
        assert!(plan.stdout.contains(&format!("+   {answer}")), "{answer}: {plan:?}");
    }
    assert!(!plan.stdout.contains("formData ="), "{plan:?}");

    let run = sb.run(&["run", "model-access", "--yes", "--step", "use-case"]);
    assert_eq!(run.code, 0, "{run:?}");
    let form: serde_json::Value =
        serde_json::from_str(bedrock.scenario.lock().unwrap().use_case.as_deref().unwrap()).unwrap();
    assert_eq!(
        form,
        serde_json::json!({
            "companyName": "Comafi", "companyWebsite": "https://www.comafi.com.ar", "intendedUsers": "1",
            "industryOption": "Financial Services", "otherIndustryOption": "", "useCases": "Customer support assistant for bank benefits"
        })
    );
    let puts = || bedrock.calls().iter().filter(|c| c.starts_with("PutUseCaseForModelAccess")).count();
    assert_eq!(puts(), 1);
    assert_eq!(sb.run(&["run", "model-access", "--yes", "--step", "use-case"]).code, 0);
    assert_eq!(puts(), 1, "submitted once");

    // verify never needs the form's answers; run does, and names them when they are missing.
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\n").unwrap();
    bedrock.scenario.lock().unwrap().use_case = None;
    assert_eq!(sb.run(&["verify", "model-access"]).code, 1);
    let run = sb.run(&["run", "model-access", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("input `companyName`") && run.stderr.contains("input `useCases`"), "{run:?}");
}

#[test]
fn model_not_in_the_region_names_where_it_is() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let sb = sandbox("bedrock-region", &moto, &bedrock);
    let out = sb.run(&["verify", "model-access", "--json", "--region", "eu-west-1"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = out.json();
    let model = probe(&doc, "region-model");
    assert_eq!(model["status"], "fail");
    assert_eq!(
        model["message"],
        "model anthropic.claude-3-haiku-20240307-v1:0 is not offered in eu-west-1; it is ACTIVE in us-east-1"
    );
    assert!(model["fix"].as_str().unwrap().contains("pass --region us-east-1"), "{model}");
    assert!(probe(&doc, "access")["message"].as_str().unwrap().lines().any(|l| l == "region: NOT_AVAILABLE"), "{doc}");
    // The fix works: in the region it names, the model is there.
    let out = sb.run(&["verify", "model-access", "--json", "--region", "us-east-1"]);
    assert_eq!(probe(&out.json(), "region-model")["status"], "pass", "{out:?}");

    // A model only served through inference profiles.
    bedrock.scenario.lock().unwrap().on_demand = false;
    let out = sb.run(&["verify", "model-access", "--json"]);
    let model = probe(&out.json(), "region-model").clone();
    assert!(model["message"].as_str().unwrap().contains("not for on-demand use"), "{model}");
    assert!(model["fix"].as_str().unwrap().contains("us.anthropic.claude-3-haiku-20240307-v1:0"), "{model}");
}

#[test]
fn invocation_failures_name_the_error_class() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario { converse: Converse::AccessDenied, ..Scenario::authorized() });
    let sb = sandbox("bedrock-invoke", &moto, &bedrock);
    for (behaviour, class, fix) in [
        (
            Converse::AccessDenied,
            "AccessDeniedException",
            "lacks bedrock:InvokeModel on arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            Converse::OnDemandNotSupported,
            "ValidationException",
            "inference profile: set bedrock_model_id to us.anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (Converse::Throttled, "ThrottlingException", "quota"),
    ] {
        bedrock.scenario.lock().unwrap().converse = behaviour;
        let out = sb.run(&["verify", "model-access", "--invoke", "--json"]);
        assert_eq!(out.code, 1, "{class}: {out:?}");
        let doc = out.json();
        let p = probe(&doc, "invoke");
        assert_eq!(p["status"], "fail", "{class}");
        assert!(p["message"].as_str().unwrap().starts_with(&format!("{class} after ")), "{p}");
        assert!(p["fix"].as_str().unwrap().contains(fix), "{class}: {p}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_callers_marketplace_permissions() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let iam = support::iam(&moto.url).await;
    let mut keys = Vec::new();
    for (user, actions) in [
        ("admin-ish", r#"["aws-marketplace:Subscribe","aws-marketplace:ViewSubscriptions"]"#),
        ("reader", r#"["aws-marketplace:ViewSubscriptions"]"#),
    ] {
        iam.create_user().user_name(user).send().await.unwrap();
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"*"}}]}}"#
        );
        iam.put_user_policy().user_name(user).policy_name("marketplace").policy_document(doc).send().await.unwrap();
        keys.push(iam.create_access_key().user_name(user).send().await.unwrap().access_key.unwrap());
    }
    for (key, expected) in keys.iter().zip(["pass", "fail"]) {
        let mut sb = sandbox("bedrock-caller", &moto, &bedrock);
        sb.env.push(("AWS_ACCESS_KEY_ID".into(), key.access_key_id().to_string()));
        sb.env.push(("AWS_SECRET_ACCESS_KEY".into(), key.secret_access_key().to_string()));
        let out = sb.run(&["verify", "model-access", "--json"]);
        let doc = out.json();
        assert_eq!(status(&doc, "caller-permissions"), expected, "{doc}");
        if expected == "fail" {
            assert!(
                probe(&doc, "caller-permissions")["message"]
                    .as_str()
                    .unwrap()
                    .contains("aws-marketplace:Subscribe on *: not allowed by any policy"),
                "{doc}"
            );
        }
    }
}
