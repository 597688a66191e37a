//! Accounts built to make probes lie (issue 9, items 4–7): each is planted in
//! moto through the AWS SDK after a healthy `run`, and the probe must neither
//! pass on the broken ones nor raise an alarm on the healthy ones.

mod support;

use serde_json::{Value, json};
use support::{Moto, Sandbox};

const ROLE: &str = "comafi-ecs-task-role";
const DEPLOY_ROLE: &str = "comafi-github-actions-role";
const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const SUB: &str = "repo:Comafi/comafi-ai:ref:refs/heads/main";

fn probe(doc: &Value, step: &str, id: &str) -> Value {
    let probes = support::step(doc, step)["probes"].as_array().unwrap();
    probes.iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("no probe {id} in {doc}")).clone()
}

/// Runs `verify CHECKLIST --json FLAGS...` (`checklist_and_flags`) and returns its exit code and one probe.
fn verify(sb: &Sandbox, checklist_and_flags: &[&str], step: &str, id: &str) -> (i32, Value) {
    let mut args = vec!["verify", checklist_and_flags[0], "--json"];
    args.extend_from_slice(&checklist_and_flags[1..]);
    let out = sb.run(&args);
    assert!(out.code == 0 || out.code == 1, "{out:?}");
    (out.code, probe(&out.json(), step, id))
}

fn message(p: &Value) -> &str {
    p["message"].as_str().unwrap()
}

fn document(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The runtime policy as `run` creates it, with `edit` applied to its text.
fn runtime_policy(edit: impl Fn(String) -> String) -> String {
    let text = include_str!("../assets/iam/runtime-policy.json")
        .replace("{{region}}", "us-east-1")
        .replace("{{account_id}}", "123456789012")
        .replace("{{log_group_prefix}}", "/comafi")
        .replace("{{bedrock_model_id}}", "anthropic.claude-3-haiku-20240307-v1:0");
    let doc: Value = serde_json::from_str(&edit(text)).unwrap();
    doc.to_string()
}

/// Item 6: logs:StopQuery, DescribeLogGroups and cloudwatch:PutMetricData have no
/// resource-level permissions; their request's resource is `*` (GetQueryResults has one: the
/// log group, by AWS's Service Authorization Reference).
#[tokio::test(flavor = "multi_thread")]
async fn a_deny_on_other_log_groups_does_not_deny_actions_whose_resource_is_star() {
    let moto = Moto::start();
    let sb = Sandbox::new("adv-star", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let guard = |doc: String| iam.put_role_policy().role_name(ROLE).policy_name("guard").policy_document(doc).send();

    // Healthy: other teams' log groups are off limits; nothing the runtime needs is touched.
    guard(document(json!([{"Sid": "OtherTeams", "Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/billing/*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &["iam-policy"], "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (0, "pass"), "{p}");

    // A Deny on everything but the project's log groups does deny the `*` requests.
    guard(document(json!([{"Sid": "OnlyOurs", "Effect": "Deny", "Action": "logs:*", "NotResource": "arn:aws:logs:*:*:log-group:/comafi/*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &["iam-policy"], "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(
        message(&p).contains("logs:StopQuery, logs:DescribeLogGroups on *: explicitly denied by statement \"OnlyOurs\" of inline policy guard"),
        "{p}"
    );
    // StartQuery and GetQueryResults are authorized on the log group (AWS's Service Authorization
    // Reference), which is inside what that Deny spares.
    assert!(!message(&p).contains("logs:StartQuery"), "StartQuery on /comafi/* is outside that Deny: {p}");
    assert!(!message(&p).contains("logs:GetQueryResults"), "{p}");
    let pairs = p["pairs"].as_array().unwrap();
    let stop = pairs.iter().find(|x| x["action"] == "logs:StopQuery").unwrap();
    assert_eq!(stop["verdict"], "explicitly denied", "{stop}");
    assert_eq!(stop["resource"], "*");
    let results = pairs.iter().find(|x| x["action"] == "logs:GetQueryResults").unwrap();
    assert_eq!(results["verdict"], "allowed", "{results}");

    // So does a Deny on `*` itself.
    guard(document(json!([{"Sid": "NoStop", "Effect": "Deny", "Action": "logs:StopQuery", "Resource": "*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &["iam-policy"], "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(message(&p).contains("logs:StopQuery on *: explicitly denied by statement \"NoStop\""), "{p}");

    // An Allow scoped to log groups does not grant them (the seed's §3.1 trap).
    iam.delete_role_policy().role_name(ROLE).policy_name("guard").send().await.unwrap();
    let arn = "arn:aws:iam::123456789012:policy/comafi-runtime";
    iam.detach_role_policy().role_name(ROLE).policy_arn(arn).send().await.unwrap();
    let scoped = runtime_policy(|t| {
        t.replace(
            "\"logs:DescribeLogGroups\"\n      ],\n      \"Resource\": \"*\"",
            "\"logs:DescribeLogGroups\"\n      ],\n      \"Resource\": \"arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*\"",
        )
    });
    assert_ne!(scoped, runtime_policy(|t| t));
    iam.put_role_policy().role_name(ROLE).policy_name("scoped").policy_document(scoped).send().await.unwrap();
    let (code, p) = verify(&sb, &["iam-policy"], "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(message(&p).contains("logs:StopQuery, logs:DescribeLogGroups on *: not allowed by any policy"), "{p}");
}

/// Item 7: policy variables are resolved from what is known of the principal;
/// the rest never proves a grant and makes a Deny a possible denial.
#[tokio::test(flavor = "multi_thread")]
async fn policy_variables_are_resolved_or_reported() {
    let moto = Moto::start();
    let sb = Sandbox::new("adv-vars", &moto.url);
    let user = ["iam-policy", "--set", "runtime_principal_kind=user", "--set", "runtime_principal_name=comafi"];
    let mut run = vec!["run"];
    run.extend_from_slice(&user);
    run.push("--yes");
    assert_eq!(sb.run(&run).code, 0);
    let iam = support::iam(&moto.url).await;
    let tag = aws_sdk_iam::types::Tag::builder().key("project").value("comafi").build().unwrap();
    iam.tag_user().user_name("comafi").tags(tag).send().await.unwrap();

    // The runtime permissions, written with variables that resolve to this user's name, tag and account.
    let arn = "arn:aws:iam::123456789012:policy/comafi-runtime";
    iam.detach_user_policy().user_name("comafi").policy_arn(arn).send().await.unwrap();
    let with_variables = runtime_policy(|t| {
        t.replace(
            "arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*\"\n      ]\n    },\n    {\n      \"Sid\": \"CloudWatchLogsNoResource\"",
            "arn:aws:logs:us-east-1:123456789012:log-group:/${aws:username}/*\"\n      ]\n    },\n    {\n      \"Sid\": \"CloudWatchLogsNoResource\"",
        )
        .replace("log-group:/comafi/*", "log-group:/${aws:PrincipalTag/project}/*")
    });
    assert!(with_variables.contains("/${aws:username}/*") && with_variables.contains("${aws:PrincipalTag/project}"));
    iam.put_user_policy().user_name("comafi").policy_name("vars").policy_document(with_variables).send().await.unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (0, "pass"), "{p}");
    assert!(message(&p).contains("inline policy vars of user comafi"), "{p}");

    let guard =
        |doc: String| iam.put_user_policy().user_name("comafi").policy_name("guard").policy_document(doc).send();
    // A Deny whose variable resolves to this user's tag applies.
    guard(document(json!([{"Sid": "TagGuard", "Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/${aws:PrincipalTag/project}/*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(message(&p).contains("logs:PutLogEvents on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*:log-stream:*: explicitly denied by statement \"TagGuard\""), "{p}");

    // A tag the user lacks, without a default: the Resource matches nothing, the Deny applies to nothing.
    guard(document(json!([{"Sid": "Quarantine", "Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/${aws:PrincipalTag/quarantine}/*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (0, "pass"), "{p}");
    // With a default, the default is the value.
    guard(document(json!([{"Sid": "Quarantine", "Effect": "Deny", "Action": "logs:StartQuery", "Resource": "arn:aws:logs:*:*:log-group:/${aws:PrincipalTag/quarantine, 'comafi'}/*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(message(&p).contains("explicitly denied by statement \"Quarantine\""), "{p}");

    // A variable preflight cannot know: the Deny might apply, and the probe says which variable.
    guard(document(json!([{"Sid": "RegionGuard", "Effect": "Deny", "Action": "logs:StartQuery", "Resource": "arn:aws:logs:${aws:RequestedRegion}:123456789012:log-group:/comafi/*"}])))
        .await
        .unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(message(&p).contains("possibly denied by statement \"RegionGuard\""), "{p}");
    assert!(message(&p).contains("${aws:RequestedRegion}"), "{p}");

    // An Allow that depends on such a variable is no grant.
    iam.delete_user_policy().user_name("comafi").policy_name("guard").send().await.unwrap();
    let unknown =
        runtime_policy(|t| t.replace("arn:aws:bedrock:us-east-1::", "arn:aws:bedrock:${aws:RequestedRegion}::"));
    iam.put_user_policy().user_name("comafi").policy_name("vars").policy_document(unknown).send().await.unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(message(&p).contains("bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream on arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0: not proven"), "{p}");
    assert!(message(&p).contains("${aws:RequestedRegion}"), "{p}");

    // A variable before the ARN's resource part is never substituted by IAM: even one whose value
    // preflight knows (this account) proves nothing there.
    let account = runtime_policy(|t| t.replace(":123456789012:log-group", ":${aws:PrincipalAccount}:log-group"));
    iam.put_user_policy().user_name("comafi").policy_name("vars").policy_document(account).send().await.unwrap();
    let (code, p) = verify(&sb, &user, "grant", "effective");
    assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{p}");
    assert!(
        message(&p)
            .contains("${aws:PrincipalAccount} (before the ARN's resource part, where IAM substitutes no variable)"),
        "{p}"
    );
    let pairs = p["pairs"].as_array().unwrap();
    let start = pairs.iter().find(|x| x["action"] == "logs:StartQuery").unwrap();
    assert_eq!(start["verdict"], "unknown", "{start}");
}

fn ecs_trust(extra: Value, condition: Value) -> String {
    let mut statements = vec![
        json!({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": condition}),
    ];
    if !extra.is_null() {
        statements.push(extra);
    }
    document(Value::Array(statements))
}

/// Item 4: the confused-deputy keys are evaluated against this account; keys
/// that cannot be decided make the probe say so instead of passing.
#[tokio::test(flavor = "multi_thread")]
async fn trust_conditions_are_evaluated_against_this_account() {
    let moto = Moto::start();
    let sb = Sandbox::new("adv-trust", &moto.url);
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let this = "123456789012";
    let cases = [
        // (what, trust policy, status, exit code, expected text)
        (
            "SourceArn under another account",
            ecs_trust(Value::Null, json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111111111111:*"}})),
            "fail",
            1,
            "statement #1 lets ecs-tasks.amazonaws.com assume the role only when ArnLike aws:SourceArn \"arn:aws:ecs:us-east-1:111111111111:*\"",
        ),
        (
            "SourceArn pattern of another account with StringLike",
            ecs_trust(
                Value::Null,
                json!({"StringEquals": {"aws:SourceAccount": this}, "StringLike": {"aws:SourceArn": "arn:aws:ecs:*:222222222222:*"}}),
            ),
            "fail",
            1,
            "StringLike aws:SourceArn \"arn:aws:ecs:*:222222222222:*\"",
        ),
        (
            "negated operator excluding this account",
            ecs_trust(Value::Null, json!({"StringNotEquals": {"aws:SourceAccount": this}})),
            "fail",
            1,
            "StringNotEquals aws:SourceAccount \"123456789012\"",
        ),
        (
            "ArnNotLike excluding this account's ECS ARNs",
            ecs_trust(Value::Null, json!({"ArnNotLikeIfExists": {"aws:SourceArn": "arn:aws:ecs:*:123456789012:*"}})),
            "fail",
            1,
            "ArnNotLikeIfExists aws:SourceArn \"arn:aws:ecs:*:123456789012:*\"",
        ),
        (
            "organization",
            ecs_trust(Value::Null, json!({"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}})),
            "manual",
            0,
            "statement #1: aws:SourceOrgID needs AWS Organizations",
        ),
        (
            "a key preflight cannot know",
            ecs_trust(
                Value::Null,
                json!({"StringEquals": {"aws:SourceAccount": this, "ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/comafi"}}),
            ),
            "manual",
            0,
            "`ecs:cluster`",
        ),
        (
            "healthy: this account's ECS ARNs",
            ecs_trust(
                Value::Null,
                json!({"StringEquals": {"aws:SourceAccount": this}, "ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}}),
            ),
            "pass",
            0,
            "role comafi-ecs-task-role exists and trusts ecs-tasks.amazonaws.com",
        ),
        (
            "healthy: other accounts denied",
            ecs_trust(
                json!({"Sid": "OnlyThisAccount", "Effect": "Deny", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringNotEquals": {"aws:SourceAccount": this}}}),
                json!({"StringEqualsIfExists": {"aws:SourceAccount": ["111111111111", this]}}),
            ),
            "pass",
            0,
            "role comafi-ecs-task-role exists and trusts ecs-tasks.amazonaws.com",
        ),
    ];
    for (what, trust, status, code, expected) in cases {
        iam.update_assume_role_policy().role_name(ROLE).policy_document(trust).send().await.unwrap();
        let (got, p) = verify(&sb, &["iam-policy"], "runtime-principal", "exists");
        assert_eq!((got, p["status"].as_str().unwrap()), (code, status), "{what}: {p}");
        assert!(message(&p).contains(expected), "{what}: {p}");
    }
    // Undecided is not a pass: --strict fails it.
    let org = ecs_trust(Value::Null, json!({"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}));
    iam.update_assume_role_policy().role_name(ROLE).policy_document(org).send().await.unwrap();
    let strict = sb.run(&["verify", "iam-policy", "--strict"]);
    assert_eq!(strict.code, 1, "{strict:?}");
    let manual = probe(&sb.run(&["verify", "iam-policy", "--json"]).json(), "runtime-principal", "exists");
    assert!(manual["fix"].as_str().unwrap().contains("aws:SourceAccount"), "{manual}");
}

/// Item 5: any other statement letting someone else assume the deploy role
/// makes "exactly one repository and ref" false.
#[tokio::test(flavor = "multi_thread")]
async fn the_deploy_role_trusts_nobody_else() {
    let moto = Moto::start();
    let sb = Sandbox::new("adv-oidc", &moto.url);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        "[inputs]\nproject = \"comafi\"\ngithub_repository = \"Comafi/comafi-ai\"\n",
    )
    .unwrap();
    assert_eq!(sb.run(&["run", "oidc-provider", "--yes"]).code, 0);
    let iam = support::iam(&moto.url).await;
    let github = json!({"Sid": "GitHub", "Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": SUB}}});
    let cases = [
        (
            "another account",
            json!([github, {"Sid": "BreakGlass", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]),
            Some("statement \"BreakGlass\" also lets arn:aws:iam::999999999999:root (AWS) assume the role"),
        ),
        (
            "anyone, unnamed",
            json!([github, {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]),
            Some("statement #2 also lets everyone (Principal \"*\") assume the role"),
        ),
        (
            "a service",
            json!([github, {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
            Some("statement #2 also lets ec2.amazonaws.com (Service) assume the role"),
        ),
        (
            "a user in the web-identity statement",
            json!([{"Sid": "GitHub", "Effect": "Allow", "Principal": {"Federated": PROVIDER, "AWS": "arn:aws:iam::123456789012:user/moto"}, "Action": ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"], "Condition": github["Condition"]}]),
            Some("statement \"GitHub\" also lets arn:aws:iam::123456789012:user/moto (AWS) assume the role"),
        ),
        (
            "healthy: everybody else denied",
            json!([github, {"Sid": "NoOneElse", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]),
            None,
        ),
        (
            "healthy: the same subject in a second statement",
            json!([github, {"Sid": "Again", "Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": github["Condition"]}]),
            None,
        ),
    ];
    for (what, statements, expected) in cases {
        iam.update_assume_role_policy()
            .role_name(DEPLOY_ROLE)
            .policy_document(document(statements))
            .send()
            .await
            .unwrap();
        let (code, p) = verify(&sb, &["oidc-provider"], "deploy-role", "trust");
        match expected {
            Some(text) => {
                assert_eq!((code, p["status"].as_str().unwrap()), (1, "fail"), "{what}: {p}");
                assert!(message(&p).contains(text), "{what}: {p}");
            }
            None => assert_eq!(p["status"], "pass", "{what}: {p}"),
        }
    }
}
