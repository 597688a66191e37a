//! A model id with a geography prefix (`us.anthropic…`) names a cross-region
//! inference profile: invoking through it is authorized on the profile and on
//! the foundation model in every region it routes to, which GetInferenceProfile
//! says. moto has no Bedrock; the double of support/bedrock.rs serves the
//! model's system-defined `us.` and `global.` profiles (routing to us-east-1,
//! us-east-2 and us-west-2) on the documented wire format. moto's IAM does not
//! match resource ARNs as IAM does, so what these tests show of a policy is
//! preflight's own verdict and the document it writes, read back from IAM.

mod support;

use support::bedrock::{BedrockDouble, Scenario};
use support::{Moto, Sandbox, step};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const PROFILE_ID: &str = "us.anthropic.claude-3-haiku-20240307-v1:0";
const POLICY_ARN: &str = "arn:aws:iam::123456789012:policy/comafi-runtime";

fn sandbox(name: &str, moto: &Moto, bedrock: &BedrockDouble) -> Sandbox {
    support::bedrock_sandbox(name, &moto.url, &bedrock.url)
}

fn probe(doc: &serde_json::Value, id: &str) -> serde_json::Value {
    step(doc, id)["probes"][0].clone()
}

async fn runtime_policy(endpoint: &str) -> serde_json::Value {
    serde_json::from_str(&support::managed_policy_document(endpoint, POLICY_ARN).await).unwrap()
}

fn invoke_resources(policy: &serde_json::Value) -> Vec<String> {
    let st = policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "BedrockInvoke").unwrap();
    st["Resource"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_is_granted_on_the_profile_and_its_models_in_every_region() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let sb = sandbox("profile-grant", &moto, &bedrock);
    let set = format!("bedrock_model_id={PROFILE_ID}");

    let run = sb.run(&["run", "iam-policy", "--yes", "--set", &set]);
    assert_eq!(run.code, 0, "{run:?}");
    let want = vec![
        format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/{PROFILE_ID}"),
        format!("arn:aws:bedrock:us-east-1::foundation-model/{MODEL}"),
        format!("arn:aws:bedrock:us-east-2::foundation-model/{MODEL}"),
        format!("arn:aws:bedrock:us-west-2::foundation-model/{MODEL}"),
    ];
    assert_eq!(invoke_resources(&runtime_policy(&moto.url).await), want);
    assert!(bedrock.calls().contains(&"GetInferenceProfile us-east-1".to_string()), "{:?}", bedrock.calls());

    let verify = sb.run(&["verify", "model-access", "--json", "--set", &set]);
    let doc = verify.json();
    let model = probe(&doc, "region-model");
    assert_eq!(model["status"], "pass", "{doc}");
    assert_eq!(
        model["message"],
        format!(
            "inference profile {PROFILE_ID} is ACTIVE in us-east-1 and routes {MODEL} to us-east-1, us-east-2, us-west-2"
        )
    );
    assert_eq!(probe(&doc, "runtime-invoke")["status"], "pass", "{doc}");
    // The agreement and the access are the foundation model's.
    assert_eq!(probe(&doc, "access")["status"], "pass", "{doc}");

    // The plan of a complete account changes nothing, and the policy probe agrees with itself.
    let again = sb.run(&["verify", "iam-policy", "--json", "--set", &set]);
    assert_eq!(again.code, 0, "{again:?}");

    // Converse goes through the profile id.
    let invoked = sb.run(&["verify", "model-access", "--invoke", "--json", "--set", &set]);
    assert_eq!(probe(&invoked.json(), "invoke")["status"], "pass", "{invoked:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_id_written_as_a_foundation_model_grants_nothing() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let sb = sandbox("profile-as-model", &moto, &bedrock);
    // The runtime policy made for the plain model, then the profile chosen: the policy still
    // names one foundation model in one region, which is not what invoking the profile needs.
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let set = format!("bedrock_model_id={PROFILE_ID}");
    let verify = sb.run(&["verify", "model-access", "--json", "--set", &set]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let runtime = probe(&verify.json(), "runtime-invoke");
    assert_eq!(runtime["status"], "fail", "{runtime}");
    let message = runtime["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/{PROFILE_ID}"))
            && message.contains(&format!("arn:aws:bedrock:us-west-2::foundation-model/{MODEL}")),
        "{message}"
    );
    assert!(!message.contains(&format!("foundation-model/{PROFILE_ID}")), "no request names that ARN: {message}");
    assert!(runtime["fix"].as_str().unwrap().contains("preflight run iam-policy"), "{runtime}");

    // iam-policy's own probe sees the policy is not the one meant; run repairs it.
    let policy = sb.run(&["verify", "iam-policy", "--json", "--set", &set]);
    assert_eq!(policy.code, 1, "{policy:?}");
    assert_eq!(sb.run(&["run", "iam-policy", "--yes", "--set", &set]).code, 0);
    let after = sb.run(&["verify", "model-access", "--json", "--set", &set]);
    assert_eq!(probe(&after.json(), "runtime-invoke")["status"], "pass", "{after:?}");
}

#[test]
fn a_profile_the_region_does_not_offer_fails_and_says_how_to_list_them() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario::authorized());
    let sb = sandbox("profile-missing", &moto, &bedrock);
    let apac = format!("bedrock_model_id=apac.{MODEL}");
    let verify = sb.run(&["verify", "model-access", "--json", "--set", &apac]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let model = probe(&verify.json(), "region-model");
    assert_eq!(model["status"], "fail");
    assert_eq!(model["message"], format!("apac.{MODEL} is not an inference profile offered in us-east-1"));
    assert!(model["fix"].as_str().unwrap().contains("aws bedrock list-inference-profiles --region us-east-1"));
    // The runtime policy cannot be written for it: the plan says why instead of writing a wrong ARN.
    let plan = sb.run(&["plan", "iam-policy", "--json", "--set", &apac]);
    let policy = step(&plan.json(), "runtime-policy").clone();
    assert_eq!(policy["status"], "error", "{policy}");
    assert!(policy.to_string().contains("is not an inference profile offered in us-east-1"), "{policy}");
    assert!(policy["changes"].as_array().is_none_or(|c| c.is_empty()), "nothing planned on a wrong ARN: {policy}");
}

#[test]
fn a_model_only_served_through_profiles_names_the_region_s_geography() {
    let moto = Moto::start();
    let bedrock = BedrockDouble::start(Scenario {
        regions: vec!["ap-southeast-2".into()],
        on_demand: false,
        ..Scenario::authorized()
    });
    let sb = sandbox("profile-apac", &moto, &bedrock);
    let verify = sb.run(&["verify", "model-access", "--json", "--region", "ap-southeast-2"]);
    let model = probe(&verify.json(), "region-model");
    assert_eq!(model["status"], "fail", "{verify:?}");
    let fix = model["fix"].as_str().unwrap();
    assert!(fix.contains(&format!("set bedrock_model_id to apac.{MODEL} (or global.{MODEL})")), "{fix}");
    assert!(!fix.contains(" ap.anthropic"), "Asia Pacific's prefix is apac.: {fix}");
}
