//! What AWS itself accepts (issue 19). moto honours any policy it is given, so
//! nothing else here tells a policy AWS would refuse, or silently not apply,
//! from one it honours. This test gathers every IAM policy document preflight
//! can produce, from the real binary, and checks each statement against AWS's
//! Service Authorization Reference (tests/data/iam-reference.json, checked by
//! tests/support/iam_reference.rs): actions spelled as AWS spells them,
//! resources that match a resource type of the action in the form AWS
//! evaluates, `*` only where the action has no resource types (or
//! `preflight::policy::actions::star_why` gives the reason), condition keys the
//! action supports. It also checks the actions table
//! (`preflight::policy::actions::TABLE`) row by row against the same data, and
//! asks parliament (an IAM policy linter, installed by scripts/setup-moto.sh)
//! for a second opinion, each of its findings dismissed only for a stated reason.
//!
//! Where the documents come from (all of it is one run of the test; findings
//! are listed all at once, one line each, with where they were seen):
//! - what a person must be allowed: `preflight permissions CHECKLIST --json`
//!   for each checklist and `--all`, each with and without `--verify`, for seven
//!   variants of the profile: the runtime principal a role or a user; the
//!   Bedrock model a foundation model or an inference profile; secrets and
//!   parameters with customer keys (a key ARN and an alias); the load balancer
//!   created, an existing target group, or none; and the sandbox's own
//!   profile, examples/preflight.toml;
//! - what preflight writes into the account: the policy documents in the
//!   parameters of every change `plan --json` lists (CreatePolicy,
//!   CreatePolicyVersion, PutRolePolicy, CreateRole's and
//!   UpdateAssumeRolePolicy's trust policies, whatever appears), and of every
//!   request `run` sent (the audit log): checklist by checklist on a fresh
//!   account deployed to the end, then planned again there for an inference
//!   profile, a runtime user, another repository, roles trusted by another
//!   service, and secrets and parameters with customer keys;
//! - the fixes preflight prints: the check before a change, for a caller with
//!   no policies (`plan` as that caller: its `permissions.policy`), and every
//!   probe's fix (`verify --json` once the account's policies are broken:
//!   runtime and deploy policies without a statement, the reader roles' inline
//!   policy deleted, the execution role's managed policy detached). moto does
//!   not enforce IAM here: preflight judges the caller's policies itself, so one
//!   ordinary server serves both callers.
//!
//! A trust policy (a Principal, no Resource) is checked for its actions and
//! condition keys only. The assets (assets/iam/*.json) are checked in their
//! rendered form, as the plans carry them; the test checks that every action
//! of each asset was seen in what preflight writes.
//!
//! Everything runs on 127.0.0.1 (moto, the Bedrock doubles, a registry, the
//! health endpoint; a `gh` that is never logged in) and writes under target/:
//! every command's output in target/tmp/iam-reference-outputs/, every document
//! checked in target/tmp/iam-reference-documents.json.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use preflight::policy::actions::{On, Row, TABLE, star_why};
use preflight::policy::resources;
use serde_json::{Value, json};
use support::bedrock::{BedrockDouble, Scenario};
use support::iam_reference::{Finding, Reference};
use support::{Moto, Sandbox};

/// Why an action that has resource types is still allowed on `*`: the product's own reasons.
fn reasons(action: &str) -> Option<String> {
    star_why(action).map(str::to_string)
}

// --- The checker itself: each planted mistake is found, exactly -----------------

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn lines(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(ToString::to_string).collect()
}

fn allow(sid: &str, action: &str, resource: &str) -> Value {
    json!({"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource})
}

const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app";

#[test]
fn the_checker_finds_each_planted_mistake_exactly() {
    let r = Reference::load();
    let none = |_: &str| None;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        // A misspelled action; one in another letter case.
        (
            allow("Misspelled", "logs:CreateLogGroups", &format!("{LOG_GROUP}:*")),
            vec!["[Sid Misspelled] logs:CreateLogGroups: no such action in the reference"],
        ),
        (
            allow("Case", "logs:createLogGroup", &format!("{LOG_GROUP}:*")),
            vec![
                "[Sid Case] logs:createLogGroup: spelled logs:CreateLogGroup in the reference (IAM ignores case; preflight must not)",
            ],
        ),
        // A service the reference does not hold; a wildcard action.
        (allow("S3", "s3:GetObject", "arn:aws:s3:::b/*"), vec!["[Sid S3] s3:GetObject: service not in the reference"]),
        (
            allow("Wild", "logs:Create*", &format!("{LOG_GROUP}:*")),
            vec!["[Sid Wild] logs:Create*: wildcard action: preflight never writes one"],
        ),
        // A log group without :* (the CloudWatch Logs guide's rule).
        (
            allow("LogGroup", "logs:CreateLogGroup", LOG_GROUP),
            vec![
                "[Sid LogGroup] logs:CreateLogGroup on arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app: matches nothing: log-group ARNs need :*",
            ],
        ),
        // A log stream's ARN for an action on log groups.
        (
            allow("Stream", "logs:CreateLogGroup", &format!("{LOG_GROUP}:log-stream:*")),
            vec![
                "[Sid Stream] logs:CreateLogGroup on arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:log-stream:*: matches none of the action's resource types (log-group)",
            ],
        ),
        // Tagging takes the log group's ARN without :*.
        (
            allow("Tag", "logs:TagResource", &format!("{LOG_GROUP}:*")),
            vec![
                "[Sid Tag] logs:TagResource on arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:*: matches none of the action's resource types (anomaly-detector, delivery, delivery-destination, delivery-source, destination, log-group, lookup-table, scheduled-query)",
            ],
        ),
        // An action with resource types allowed on * without a reason.
        (
            allow("Register", "ecs:RegisterTaskDefinition", "*"),
            vec![
                "[Sid Register] ecs:RegisterTaskDefinition on *: allowed on * but the action has resource types (task-definition) and no reason is given",
            ],
        ),
        // An ARN for an action without resource-level permissions.
        (
            allow("Describe", "logs:DescribeLogGroups", &format!("{LOG_GROUP}:*")),
            vec![
                "[Sid Describe] logs:DescribeLogGroups on arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:*: the action has no resource-level permissions: only Resource \"*\" grants it",
            ],
        ),
        // A resource of the wrong service; a KMS alias where the action takes keys.
        (
            allow("Wrong", "kms:Decrypt", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-??????"),
            vec![
                "[Sid Wrong] kms:Decrypt on arn:aws:secretsmanager:us-east-1:123456789012:secret:app-??????: matches none of the action's resource types (key)",
            ],
        ),
        (
            allow("Alias", "kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:alias/app"),
            vec![
                "[Sid Alias] kms:Decrypt on arn:aws:kms:us-east-1:123456789012:alias/app: matches none of the action's resource types (key)",
            ],
        ),
        // An inference profile's id written as a foundation model.
        (
            allow(
                "Profile",
                "bedrock:InvokeModel",
                "arn:aws:bedrock:us-east-1::foundation-model/us.anthropic.claude-3-5-haiku-20241022-v1:0",
            ),
            vec![
                "[Sid Profile] bedrock:InvokeModel on arn:aws:bedrock:us-east-1::foundation-model/us.anthropic.claude-3-5-haiku-20241022-v1:0: matches nothing: us.… is an inference profile id, not a foundation model (arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID)",
            ],
        ),
        // A condition key the action does not support; a global key in another case.
        (
            json!({"Sid": "Key", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": format!("{LOG_GROUP}:*"),
                   "Condition": {"StringEquals": {"ecs:cluster": "x", "aws:sourceaccount": "123456789012"}}}),
            vec![
                "[Sid Key] logs:CreateLogGroup: condition key ecs:cluster is not one the action supports nor a global key",
                "[Sid Key] logs:CreateLogGroup: condition key aws:sourceaccount is spelled aws:SourceAccount by AWS",
            ],
        ),
        // iam:PassRole to any service.
        (
            allow("Pass", "iam:PassRole", "arn:aws:iam::123456789012:role/app"),
            vec!["[Sid Pass] iam:PassRole: without iam:PassedToService the role may be passed to any service"],
        ),
        // No Sid: the statement is named by its index.
        (
            json!({"Effect": "Allow", "Action": "ecs:CreateClusters", "Resource": "*"}),
            vec!["[statement 0] ecs:CreateClusters: no such action in the reference"],
        ),
    ];
    for (statement, want) in cases {
        let got = lines(&r.check_document(&doc(json!([statement])), none));
        assert_eq!(got, want, "{statement}");
    }

    // The document: its Version, its Sids (letters and digits, unique).
    let sids = json!({"Statement": [
        allow("Logs-Write", "logs:CreateLogGroup", &format!("{LOG_GROUP}:*")),
        allow("Twice", "logs:CreateLogGroup", &format!("{LOG_GROUP}:*")),
        allow("Twice", "logs:PutRetentionPolicy", &format!("{LOG_GROUP}:*")),
    ]});
    assert_eq!(
        lines(&r.check_document(&sids, none)),
        vec![
            "[document]: Version null is not \"2012-10-17\"",
            "[Sid Logs-Write]: a Sid holds ASCII letters and digits only",
            "[Sid Twice]: the Sid is not unique within the policy",
        ]
    );

    // A reason lets an action with resource types be allowed on *; a Deny on * needs none.
    let register = doc(json!([allow("Register", "ecs:RegisterTaskDefinition", "*")]));
    assert_eq!(r.check_document(&register, |_| Some("because".into())), vec![]);
    let deny = doc(json!([{"Effect": "Deny", "Action": "ecs:RegisterTaskDefinition", "Resource": "*"}]));
    assert_eq!(r.check_document(&deny, none), vec![]);
}

#[test]
fn the_checker_passes_correct_statements() {
    let r = Reference::load();
    let account = "123456789012";
    let good = doc(json!([
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:StartQuery"],
         "Resource": [format!("{LOG_GROUP}:*"), format!("arn:aws:logs:us-east-1:{account}:log-group:/app/*")]},
        {"Sid": "Streams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": format!("{LOG_GROUP}:log-stream:*")},
        {"Sid": "Tags", "Effect": "Allow", "Action": "logs:TagResource", "Resource": LOG_GROUP,
         "Condition": {"StringEquals": {"aws:RequestTag/Project": "app"}, "ForAllValues:StringEquals": {"aws:TagKeys": ["Project"]}}},
        {"Sid": "NoResourceLevel", "Effect": "Allow", "Action": ["logs:DescribeLogGroups", "ecr:GetAuthorizationToken"], "Resource": "*"},
        {"Sid": "Model", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
         "Resource": [
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
            format!("arn:aws:bedrock:us-east-1:{account}:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0")]},
        {"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": format!("arn:aws:secretsmanager:us-east-1:{account}:secret:app-??????")},
        {"Sid": "Key", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": format!("arn:aws:kms:us-east-1:{account}:key/1234"),
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
        {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{account}:role/app"),
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        {"Sid": "Self", "Effect": "Allow", "Action": "iam:GetUser", "Resource": format!("arn:aws:iam::{account}:user/${{aws:username}}")},
        {"Sid": "Groups", "Effect": "Allow", "Action": "ec2:AuthorizeSecurityGroupIngress",
         "Resource": format!("arn:aws:ec2:us-east-1:{account}:security-group/*")},
    ]));
    assert_eq!(lines(&r.check_document(&good, |_| None)), Vec::<String>::new());

    // Trust policies: actions and condition keys only (OIDC claims of any provider are keys too).
    let trust = doc(json!([
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        {"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com")},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                        "token.actions.githubusercontent.com:sub": "repo:Acme/api:ref:refs/heads/main"}}},
    ]));
    assert_eq!(lines(&r.check_document(&trust, |_| None)), Vec::<String>::new());
    let bad_trust = doc(json!([
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebidentity",
         "Condition": {"StringEquals": {"ecs:cluster": "x"}}},
    ]));
    assert_eq!(
        lines(&r.check_document(&bad_trust, |_| None)),
        vec![
            "[statement 0] sts:AssumeRoleWithWebidentity: spelled sts:AssumeRoleWithWebIdentity in the reference (IAM ignores case; preflight must not)"
        ]
    );
}

#[test]
fn the_reference_is_the_one_the_readme_names() {
    let r = Reference::load();
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/README.md")).unwrap();
    assert!(
        readme.contains(&r.version) && readme.contains(&r.date),
        "{} {} vs tests/data/README.md",
        r.version,
        r.date
    );
    for s in [
        "ecr",
        "ecs",
        "logs",
        "iam",
        "sts",
        "secretsmanager",
        "ssm",
        "kms",
        "bedrock",
        "ec2",
        "elasticloadbalancing",
        "application-autoscaling",
        "cloudwatch",
        "aws-marketplace",
    ] {
        assert!(r.services.contains_key(s), "{s} is not in the reference ({})", r.source);
    }
}

// --- The actions table, row by row ------------------------------------------------

/// What is wrong with an action standing where `on` puts it (None: nothing).
fn wrong_on(r: &Reference, action: &str, on: On) -> Option<String> {
    let a = r.action(action)?;
    let lists = |kind: &str| a.resources.iter().any(|t| t.kind == kind);
    let shown = format!("{on:?}");
    // `*`, alone (On::Star) or limited by a condition key (On::StarWhere(KEY)): read from its
    // Debug text, so that the table may gain such variants without this test naming each.
    if shown.starts_with("Star") {
        let mut why = Vec::new();
        if r.has_required_type(action) && star_why(action).is_none() {
            let required: Vec<&str> = a.resources.iter().filter(|t| t.required).map(|t| t.kind.as_str()).collect();
            why.push(format!(
                "{shown}, but the action requires a resource type ({}) and star_why gives no reason",
                required.join(", ")
            ));
        }
        if let Some(key) = shown.strip_prefix("StarWhere(\"").and_then(|k| k.strip_suffix("\")"))
            && r.condition_key(action, key).is_none()
        {
            why.push(format!("{shown}, but the action does not support the condition key {key}"));
        }
        return (!why.is_empty()).then(|| why.join("; "));
    }
    let why = match on {
        On::Key if !(action.starts_with("kms:") && lists("key")) => {
            "On::Key, but it is not a kms action on keys".into()
        }
        On::Roles if action != "iam:PassRole" => "On::Roles, but it is not iam:PassRole".into(),
        On::ServiceLinkedRole(_) if action != "iam:CreateServiceLinkedRole" => {
            "On::ServiceLinkedRole, but it is not iam:CreateServiceLinkedRole".into()
        }
        On::SecurityGroups if !lists("security-group") => {
            "On::SecurityGroups, but the action lists no security-group".into()
        }
        On::Vpcs if !lists("vpc") => "On::Vpcs, but the action lists no vpc".into(),
        On::Repository if !lists("repository") => "On::Repository, but the action lists no repository".into(),
        _ if a.resources.is_empty() => {
            format!("{shown}: named on a resource, but the action has no resource-level permissions (only * grants it)")
        }
        _ => return None,
    };
    Some(why)
}

fn exists(r: &Reference, action: &str) -> Option<String> {
    match r.lookup(action) {
        support::iam_reference::Lookup::Found(..) => None,
        support::iam_reference::Lookup::Spelled(right) => Some(format!("spelled {right} in the reference")),
        support::iam_reference::Lookup::NoService => Some("service not in the reference".into()),
        other => Some(format!("not an action of the reference ({other:?})")),
    }
}

/// Every problem of a table's rows against the reference.
fn table_problems(r: &Reference, table: &[Row]) -> Vec<String> {
    let mut problems = Vec::new();
    for row in table {
        let call = format!("{}:{}", row.service, row.operation);
        let pseudo = matches!(row.service, "registry" | "http" | "file") || call == "sts:GetCallerIdentity";
        if !pseudo {
            // The call is named by its API operation: that is an IAM action too.
            if let Some(why) = exists(r, &call) {
                problems.push(format!("row {call}: the call's operation as an action: {why}"));
            }
        }
        if let Some(on) = row.own
            && let Some(why) = wrong_on(r, &call, on)
        {
            problems.push(format!("row {call}: own action: {why}"));
        }
        for extra in row.extra {
            for action in extra.actions {
                if let Some(why) = exists(r, action) {
                    problems.push(format!("row {call}: extra {action}: {why}"));
                } else if let Some(why) = wrong_on(r, action, extra.on) {
                    problems.push(format!("row {call}: extra {action}: {why}"));
                }
            }
        }
    }
    problems
}

#[test]
fn the_table_check_finds_each_planted_wrong_row() {
    let r = Reference::load();
    let row = |service, operation, own| Row { service, operation, own: Some(own), extra: &[] };
    let planted = [
        row("ecs", "RegisterTaskDefinitions", On::Call),
        row("ecs", "DescribeTaskDefinition", On::Call),
        row("ec2", "DescribeVpcs", On::SecurityGroups),
        row("ecs", "DescribeServices", On::Star),
    ];
    let mut want = vec![
        "row ecs:RegisterTaskDefinitions: the call's operation as an action: not an action of the reference (NoAction)".to_string(),
        "row ecs:DescribeTaskDefinition: own action: Call: named on a resource, but the action has no resource-level permissions (only * grants it)".into(),
        "row ec2:DescribeVpcs: own action: On::SecurityGroups, but the action lists no security-group".into(),
    ];
    if star_why("ecs:DescribeServices").is_none() {
        want.push("row ecs:DescribeServices: own action: Star, but the action requires a resource type (service) and star_why gives no reason".into());
    }
    assert_eq!(table_problems(&r, &planted), want);
}

#[test]
fn the_actions_table_names_actions_aws_has_on_the_resources_aws_takes() {
    let r = Reference::load();
    let problems = table_problems(&r, TABLE);
    assert!(
        problems.is_empty(),
        "{} problem(s) of the actions table against {}:\n{}",
        problems.len(),
        r.source,
        problems.join("\n")
    );
}

/// What is wrong with the resource-types table (`src/policy/resources.rs`, which decides which
/// pairs of a policy AWS checks) against the reference: one line per problem.
fn resource_table_problems(r: &Reference, actions: &[resources::Action], types: &[resources::Type]) -> Vec<String> {
    let mut out = Vec::new();
    for row in actions {
        let Some(action) = r.action(row.action) else {
            out.push(format!("row {}: no such action in the reference", row.action));
            continue;
        };
        let want: BTreeSet<&str> = action.resources.iter().map(|t| t.kind.as_str()).collect();
        let have: BTreeSet<&str> = row.types.iter().copied().collect();
        if row.all && want != have {
            out.push(format!("row {}: types {have:?}, the reference's {want:?}", row.action));
        }
        if !row.all && (!have.is_subset(&want) || have == want) {
            out.push(format!("row {}: some of the types {want:?} expected, not {have:?}", row.action));
        }
    }
    let service_of = |a: &str| a.split(':').next().unwrap_or_default().to_string();
    for t in types {
        match r.services.get(t.service).and_then(|s| s.resources.get(t.name)) {
            Some(rt) if rt.arn == t.arn => {}
            Some(rt) => out.push(format!("type {}/{}: ARN {}, the reference's {}", t.service, t.name, t.arn, rt.arn)),
            None => out.push(format!("type {}/{}: not in the reference", t.service, t.name)),
        }
        if !actions.iter().any(|a| service_of(a.action) == t.service && a.types.contains(&t.name)) {
            out.push(format!("type {}/{}: no action names it", t.service, t.name));
        }
    }
    out
}

#[test]
fn the_resource_types_preflight_judges_by_are_the_reference_s() {
    let r = Reference::load();
    let problems = resource_table_problems(&r, resources::ACTIONS, resources::TYPES);
    assert!(problems.is_empty(), "src/policy/resources.rs against {}:\n{}", r.source, problems.join("\n"));
    // The check can fail: a type missing from a row, a misspelt action, a wrong ARN format.
    let planted_actions = [
        resources::Action { action: "logs:PutLogEvents", types: &[], all: true },
        resources::Action { action: "logs:PutLogEvent", types: &["log-stream"], all: true },
        resources::Action { action: "logs:CreateLogStream", types: &["log-stream"], all: true },
    ];
    let planted_types = [resources::Type {
        service: "logs",
        name: "log-stream",
        arn: "arn:${Partition}:logs:${Region}:${Account}:log-stream:${LogStreamName}",
    }];
    assert_eq!(
        resource_table_problems(&r, &planted_actions, &planted_types),
        vec![
            "row logs:PutLogEvents: types {}, the reference's {\"log-stream\"}".to_string(),
            "row logs:PutLogEvent: no such action in the reference".to_string(),
            "type logs/log-stream: ARN arn:${Partition}:logs:${Region}:${Account}:log-stream:${LogStreamName}, the reference's arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}".to_string(),
        ]
    );
}

// --- Gathering every document preflight produces ----------------------------------

/// A policy document and where it was seen.
struct Gathered {
    from: String,
    doc: Value,
}

/// Every policy document in a JSON output: objects with a Statement, and JSON
/// text holding one (a change's parameter, a fix's text), each with its path.
fn harvest(from: &str, v: &Value, out: &mut Vec<Gathered>) {
    fn walk(from: &str, path: String, v: &Value, out: &mut Vec<Gathered>) {
        match v {
            Value::Object(m) if m.contains_key("Statement") => {
                out.push(Gathered { from: format!("{from}: {path}"), doc: v.clone() })
            }
            Value::Object(m) => {
                for (k, v) in m {
                    walk(from, if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, v, out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let name = ["id", "operation"]
                        .iter()
                        .find_map(|k| item[*k].as_str())
                        .map_or(i.to_string(), str::to_string);
                    walk(from, format!("{path}[{name}]"), item, out);
                }
            }
            Value::String(s) => {
                for doc in embedded(s) {
                    out.push(Gathered { from: format!("{from}: {path}"), doc });
                }
            }
            _ => {}
        }
    }
    walk(from, String::new(), v, out);
}

/// The policy documents a text holds (the whole text, or JSON objects within it).
fn embedded(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find('{').map(|i| i + at) {
        let mut stream = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) if v.get("Statement").is_some() => {
                out.push(v);
                at = i + stream.byte_offset();
            }
            _ => at = i + 1,
        }
    }
    out
}

/// The deploy profile with what model-access and oidc-provider ask.
fn profile_with(extra_inputs: &str, lists: Option<&str>) -> String {
    let p = support::deploy::PROFILE.replacen(
        "[inputs]\n",
        &format!(
            "[inputs]\ngithub_repository = \"Acme/acme-api\"\ncompanyName = \"Acme\"\ncompanyWebsite = \"https://acme.example\"\nintendedUsers = \"0\"\nindustryOption = \"Technology\"\nuseCases = \"Support assistant\"\naccess_poll_seconds = 1\naccess_poll_tries = 5\n{extra_inputs}"
        ),
        1,
    );
    match lists {
        Some(lists) => with_lists(&p, lists),
        None => p,
    }
}

/// Secrets and parameters with customer keys: a key ARN and an alias, on each kind.
fn keyed_lists(key_arn: &str, other_key_arn: &str) -> String {
    format!(
        r#"[[secrets]]
name = "acme-app"
keys = ["DB_URL", "SESSION_SECRET"]
source = {{ DB_URL = "env:ACME_DB_URL", SESSION_SECRET = "generate:hex32" }}
readers = ["execution", "task"]
kms_key_id = "{key_arn}"

[[secrets]]
name = "acme-api-key"
source = "generate:hex32"
readers = ["task"]
kms_key_id = "alias/acme-secrets"

[[parameters]]
name = "/acme/brands"
value = "a,b,c"
readers = ["execution", "task"]

[[parameters]]
name = "/acme/token"
value = "token-value-0123"
type = "SecureString"
readers = ["execution", "task"]
kms_key_id = "alias/acme-params"

[[parameters]]
name = "/acme/signing"
value = "signing-value-0123"
type = "SecureString"
readers = ["task"]
kms_key_id = "{other_key_arn}"

"#
    )
}

const MODEL_PROFILE: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
/// Every checklist of checklists/*.toml, in deploy order (their `order`).
fn checklists() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists");
    let mut found: Vec<(i64, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .filter_map(|e| {
            let t: toml::Value = toml::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
            Some((t.get("order")?.as_integer()?, t.get("id")?.as_str()?.to_string()))
        })
        .collect();
    found.sort();
    assert!(found.len() >= 6, "checklists/: {found:?}");
    found.into_iter().map(|(_, id)| id).collect()
}

fn bedrock_env(sb: &mut Sandbox, bedrock: &BedrockDouble) {
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK".into(), bedrock.url.clone()));
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME".into(), bedrock.url.clone()));
    sb.env.push(("ACME_DB_URL".into(), "postgres://db/one".into()));
}

/// `preflight permissions` for every checklist and --all, with and without --verify, per variant.
fn gather_permissions(bedrock: &BedrockDouble, profiles: &BedrockDouble) -> (Vec<Gathered>, Vec<String>) {
    let moto = Moto::start();
    let fake_key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let other_key = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09ba-87dc-65fe-0987654321ba";
    let variants: Vec<(&str, String)> = vec![
        ("role, foundation model, no customer key, load balancer created", profile_with("", None)),
        ("runtime user", profile_with("runtime_principal_kind = \"user\"\n", None)),
        ("inference profile", profile_with(&format!("bedrock_model_id = \"{MODEL_PROFILE}\"\n"), None)),
        ("customer keys (ARN and alias)", profile_with("", Some(&keyed_lists(fake_key, other_key)))),
        (
            "existing target group",
            profile_with(
                "load_balancer = \"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/acme-tg/0123456789abcdef\"\n",
                None,
            ),
        ),
        ("no load balancer", profile_with("load_balancer = \"none\"\n", None)),
        // The issue's bar: what the sandbox's profile asks of a person.
        ("the sandbox profile (examples/preflight.toml)", include_str!("../examples/preflight.toml").to_string()),
    ];
    // Nothing here calls the registry or the application, but should it, it stays on 127.0.0.1
    // (the documents are the same with or without these two inputs).
    let loopback = "ecr_registry_url = \"http://127.0.0.1:9\"\nhealth_url = \"http://127.0.0.1:9/health\"\n";
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, (variant, profile)) in variants.iter().enumerate() {
        let profile = profile.replacen("[inputs]\n", &format!("[inputs]\n{loopback}"), 1);
        let mut sb = Sandbox::new(&format!("iam-reference-permissions-{i}"), &moto.url);
        std::fs::write(sb.dir.join("preflight.toml"), &profile).unwrap();
        bedrock_env(&mut sb, if variant.contains("inference profile") { profiles } else { bedrock });
        no_github(&mut sb);
        let ids = checklists();
        let targets: Vec<&str> = ids.iter().map(String::as_str).chain(["--all"]).collect();
        for target in targets {
            for verify in [false, true] {
                let mut args = vec!["permissions", target, "--json"];
                if verify {
                    args.push("--verify");
                }
                let out_ = exec(&sb, &[], &args);
                let label = format!("`preflight {}` [{variant}]", args.join(" "));
                if out_.code != 0 {
                    problems.push(format!("{label} exited {}: {}", out_.code, out_.stderr.trim()));
                    continue;
                }
                let before = out.len();
                harvest(&label, &out_.json()["documents"], &mut out);
                if out.len() == before {
                    problems.push(format!("{label}: no document"));
                }
            }
        }
    }
    (out, problems)
}

/// Runs preflight on the sandbox's account with some of its environment changed
/// (another caller's access key, another Bedrock double). A read-only command that could
/// not reach an endpoint (exit 3: a double slow to answer on a loaded machine) runs once more.
fn exec(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> support::Out {
    let once = || {
        let child = sb.command(args).envs(env.iter().copied()).spawn().expect("spawn preflight");
        support::wait(child, Duration::from_secs(120))
    };
    let out = once();
    let out = if out.code == 3 && ["plan", "verify", "permissions"].contains(&args[0]) {
        eprintln!("note: `preflight {}` exited 3, once more: {}", args.join(" "), out.stderr.trim());
        once()
    } else {
        out
    };
    // Each output is kept under target/ for reading when a finding needs context.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("iam-reference-outputs");
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{n:03}.txt")), format!("preflight {}\n{out:?}", args.join(" ")));
    out
}

/// A `gh` that is never logged in, first on PATH: the GitHub secret's probe asks nothing of GitHub.
fn no_github(sb: &mut Sandbox) {
    let dir = sb.dir.join("no-github");
    std::fs::create_dir_all(&dir).unwrap();
    let gh = dir.join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\ncase \"$1\" in\n  --version) echo 'gh version 0.0.0 (test)';;\n  *) echo 'You are not logged into any GitHub hosts.' >&2; exit 1;;\nesac\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    sb.env.push(("PATH".into(), path));
}

/// The Bedrock double's endpoints, as environment.
fn bedrock_at(url: &str) -> [(&'static str, &str); 2] {
    [("AWS_ENDPOINT_URL_BEDROCK", url), ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)]
}

fn audit_since(sb: &Sandbox, from: usize) -> Vec<Value> {
    support::audit(sb).into_iter().skip(from).filter(|l| l["outcome"] == "started").collect()
}

/// What preflight writes (plans and the requests a run sent) and the fixes it prints.
struct Account {
    written: Vec<Gathered>,
    fixes: Vec<Gathered>,
    problems: Vec<String>,
    /// Plan documents skipped because they hold values known only after an earlier change.
    pending: Vec<String>,
}

impl Account {
    /// A command whose output is to be read: its failure (beyond `ok`) is a problem of the gathering.
    fn output(&mut self, what: &str, out: &support::Out, ok: i32) -> Option<Value> {
        if out.code > ok {
            self.problems.push(format!("{what} exited {}: {}", out.code, out.stderr.trim()));
            return None;
        }
        serde_json::from_str(&out.stdout)
            .map_err(|e| self.problems.push(format!("{what}: stdout is not JSON: {e}")))
            .ok()
    }

    /// A plan's policy documents (those holding values known only after an earlier change are
    /// left to the run, whose audit log has them).
    fn plan(&mut self, sb: &Sandbox, label: &str, env: &[(&str, &str)], args: &[&str]) {
        let what = format!("`preflight {}` [{label}]", args.join(" "));
        let Some(out) = self.output(&what, &exec(sb, env, args), 0) else { return };
        let mut docs = Vec::new();
        harvest(&what, &out["checklists"], &mut docs);
        for d in docs {
            if preflight::aws::later::holds_pending(&d.doc.to_string()) {
                self.pending.push(d.from);
            } else {
                self.written.push(d);
            }
        }
    }

    /// A run: what it sent, from the audit log (each request's parameters as they went out).
    fn run(&mut self, sb: &Sandbox, args: &[&str]) {
        let from = support::audit(sb).len();
        let run = sb.run(args);
        let command = format!("`preflight {}`", args.join(" "));
        if run.code != 0 {
            // What follows is gathered all the same; the failure is reported with the findings.
            self.problems.push(format!("{command} exited {}: {}", run.code, failures(&run)));
        }
        for l in audit_since(sb, from) {
            let what = format!(
                "{command} sent {} {}:{} on {}",
                l["step"].as_str().unwrap_or("?"),
                l["service"].as_str().unwrap_or("?"),
                l["operation"].as_str().unwrap_or("?"),
                l["resource"].as_str().unwrap_or("?")
            );
            harvest(&what, &l["params"], &mut self.written);
        }
    }

    /// The check before a change, for a caller without policies: the policy it says to grant.
    fn caller(&mut self, sb: &Sandbox, key: &[(&str, &str)], label: &str, args: &[&str]) {
        let what = format!("`preflight {}` as a caller without policies [{label}]", args.join(" "));
        let Some(out) = self.output(&what, &exec(sb, key, args), 1) else { return };
        harvest(&what, &out["permissions"], &mut self.fixes);
    }

    /// Every probe's fix.
    fn verify(&mut self, sb: &Sandbox, label: &str, env: &[(&str, &str)], args: &[&str]) {
        let what = format!("`preflight {}` [{label}]", args.join(" "));
        let Some(out) = self.output(&what, &exec(sb, env, args), 1) else { return };
        harvest(&what, &out["checklists"], &mut self.fixes);
    }
}

/// The profile file with other [[secrets]] and [[parameters]].
fn with_lists(profile: &str, lists: &str) -> String {
    let mut p = profile.to_string();
    let start = p.find("[[secrets]]").expect("the profile has [[secrets]]");
    let end = p.find("[environment]").expect("the profile has [environment]");
    p.replace_range(start..end, lists);
    p
}

fn gather_account(bedrock: &BedrockDouble, profiles: &BedrockDouble) -> Account {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let support::deploy::Deployed { moto, registry: _registry, health: _health, mut sb } =
        support::deploy::account("iam-reference-account", &profile_with("", None));
    bedrock_env(&mut sb, bedrock);
    no_github(&mut sb);
    let sb = sb;
    let iam = rt.block_on(support::iam(&moto.url));
    // A caller with no policies at all: the check before a change prints what it lacks.
    let (id, secret) = rt.block_on(async {
        iam.create_user().user_name("dev").send().await.unwrap();
        let k = iam.create_access_key().user_name("dev").send().await.unwrap().access_key.unwrap();
        (k.access_key_id().to_string(), k.secret_access_key().to_string())
    });
    let dev = [("AWS_ACCESS_KEY_ID", id.as_str()), ("AWS_SECRET_ACCESS_KEY", secret.as_str())];
    let profile_double = bedrock_at(&profiles.url);
    let profile_model = format!("bedrock_model_id={MODEL_PROFILE}");

    let mut acc = Account { written: Vec::new(), fixes: Vec::new(), problems: Vec::new(), pending: Vec::new() };
    // A fresh account, deployed checklist by checklist: each plan, the plan as a caller
    // without policies, then the run (what it sent, from the audit log).
    for c in &checklists() {
        acc.plan(&sb, "fresh", &[], &["plan", c, "--json"]);
        acc.caller(&sb, &dev, "fresh", &["plan", c, "--json"]);
        acc.run(&sb, &["run", c, "--yes", "--json"]);
    }

    // Other inputs on the deployed account: a new policy version, new trust policies.
    acc.plan(&sb, "inference profile", &profile_double, &["plan", "iam-policy", "--json", "--set", &profile_model]);
    acc.plan(&sb, "runtime user", &[], &["plan", "iam-policy", "--json", "--set", "runtime_principal_kind=user"]);
    acc.plan(
        &sb,
        "another repository",
        &[],
        &["plan", "oidc-provider", "--json", "--set", "github_repository=Acme/other-api"],
    );
    let ec2_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    rt.block_on(async {
        for role in ["acme-ecs-task-role", "ecsTaskExecutionRole"] {
            iam.update_assume_role_policy().role_name(role).policy_document(ec2_trust).send().await.unwrap();
        }
    });
    for c in ["iam-policy", "ecs-service"] {
        acc.plan(&sb, "roles trusted by another service", &[], &["plan", c, "--json"]);
    }
    // Trusted as preflight made them again (so that the probes below judge their policies).
    rt.block_on(async {
        for role in ["acme-ecs-task-role", "ecsTaskExecutionRole"] {
            if let Some(trust) = sent(&acc.written, &format!("iam:CreateRole on arn:aws:iam::123456789012:role/{role}"))
            {
                iam.update_assume_role_policy()
                    .role_name(role)
                    .policy_document(trust.to_string())
                    .send()
                    .await
                    .unwrap();
            }
        }
    });

    // Customer keys: a key named by its ARN, others by alias (they must exist: preflight reads them).
    let kms = rt.block_on(support::kms(&moto.url));
    let (key_arn, other_arn) = rt.block_on(async {
        let mut arns = Vec::new();
        for alias in ["alias/acme-secrets", "alias/acme-params", "alias/acme-signing"] {
            let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
            kms.create_alias().alias_name(alias).target_key_id(key.key_id()).send().await.unwrap();
            arns.push(key.arn().unwrap().to_string());
        }
        (arns[0].clone(), arns[2].clone())
    });
    let profile = std::fs::read_to_string(sb.dir.join("preflight.toml")).unwrap();
    std::fs::write(sb.dir.join("keyed.toml"), with_lists(&profile, &keyed_lists(&key_arn, &other_arn))).unwrap();
    for c in ["secrets", "ecs-service"] {
        acc.plan(&sb, "customer keys", &[], &["plan", c, "--json", "--profile-file", "keyed.toml"]);
        acc.caller(&sb, &dev, "customer keys", &["plan", c, "--json", "--profile-file", "keyed.toml"]);
    }
    // Made, so that the reader policy naming the new secrets (known only once made) is sent.
    acc.run(&sb, &["run", "secrets", "--yes", "--json", "--profile-file", "keyed.toml"]);

    // Break the account's policies; every probe's fix, and the check before each repair.
    let runtime = sent(&acc.written, "iam:CreatePolicy on arn:aws:iam::123456789012:policy/acme-runtime");
    let deploy =
        sent(&acc.written, "iam:CreatePolicy on arn:aws:iam::123456789012:policy/acme-github-actions-role-deploy");
    let broken: Vec<String> = rt.block_on(async {
        let mut failed = Vec::new();
        for (name, full) in [("acme-runtime", runtime), ("acme-github-actions-role-deploy", deploy)] {
            let Some(mut doc) = full else {
                failed.push(format!("policy {name}: no CreatePolicy of it in the audit log"));
                continue;
            };
            // Without its last statement (the runtime policy's metrics, the deploy policy's PassRole).
            doc["Statement"].as_array_mut().unwrap().pop();
            let arn = format!("arn:aws:iam::123456789012:policy/{name}");
            let made =
                iam.create_policy_version().policy_arn(&arn).policy_document(doc.to_string()).set_as_default(true);
            if let Err(e) = made.send().await {
                failed.push(format!("policy {name}: {e:?}"));
            }
        }
        for role in ["acme-ecs-task-role", "ecsTaskExecutionRole"] {
            if let Err(e) = iam.delete_role_policy().role_name(role).policy_name("acme-secrets-read").send().await {
                failed.push(format!("role {role}'s acme-secrets-read: {e:?}"));
            }
        }
        let managed = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
        if let Err(e) = iam.detach_role_policy().role_name("ecsTaskExecutionRole").policy_arn(managed).send().await {
            failed.push(format!("ecsTaskExecutionRole's AmazonECSTaskExecutionRolePolicy: {e:?}"));
        }
        failed
    });
    acc.problems.extend(broken.into_iter().map(|b| format!("breaking the account's policies: {b}")));
    acc.verify(&sb, "broken policies", &[], &["verify", "--all", "--json"]);
    acc.verify(
        &sb,
        "broken policies, inference profile",
        &profile_double,
        &["verify", "iam-policy", "model-access", "--json", "--set", &profile_model],
    );
    acc.verify(
        &sb,
        "broken policies, customer keys",
        &[],
        &["verify", "secrets", "ecs-service", "--json", "--profile-file", "keyed.toml"],
    );
    for c in ["iam-policy", "oidc-provider", "secrets", "ecs-service"] {
        acc.plan(&sb, "broken policies", &[], &["plan", c, "--json"]);
        acc.caller(&sb, &dev, "broken policies", &["plan", c, "--json"]);
    }
    acc.caller(
        &sb,
        &dev,
        "broken policies, inference profile",
        &["plan", "iam-policy", "--json", "--set", &profile_model],
    );
    drop(moto);
    acc
}

/// The steps of a run that did not pass, with why (or its stderr when it printed no report).
fn failures(out: &support::Out) -> String {
    let Ok(doc) = serde_json::from_str::<Value>(&out.stdout) else { return out.stderr.trim().to_string() };
    let mut said = Vec::new();
    for c in doc["checklists"].as_array().into_iter().flatten() {
        for s in c["steps"].as_array().into_iter().flatten() {
            if ["pass", "skipped", "pending"].contains(&s["status"].as_str().unwrap_or_default()) {
                continue;
            }
            let probes = s["probes"].as_array().into_iter().flatten().filter(|p| p["status"] != "pass");
            let why: Vec<String> =
                s["error"]
                    .as_str()
                    .map(str::to_string)
                    .into_iter()
                    .chain(probes.map(|p| {
                        format!("{}: {}", p["id"].as_str().unwrap_or("?"), p["message"].as_str().unwrap_or("?"))
                    }))
                    .collect();
            said.push(format!(
                "{}/{} {}: {}",
                c["id"].as_str().unwrap_or("?"),
                s["id"].as_str().unwrap_or("?"),
                s["status"],
                why.join("; ")
            ));
        }
    }
    said.join(" | ")
}

/// The document a run sent with a request (`iam:CreatePolicy on ARN`), from the audit log.
fn sent(written: &[Gathered], request: &str) -> Option<Value> {
    let request = format!(" {request}: ");
    written.iter().find(|g| g.from.contains("` sent ") && g.from.contains(&request)).map(|g| g.doc.clone())
}

// --- A second opinion: parliament -------------------------------------------------

/// Runs parliament (the IAM policy linter of Duo Labs, installed into .venv by
/// scripts/setup-moto.sh) on every statement of every document, one statement at a
/// time so that each finding names its statement.
const PARLIAMENT: &str = r#"
import json, sys
from parliament import analyze_policy_string
docs = json.load(open(sys.argv[1]))
out = []
for d, doc in enumerate(docs):
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    for s, st in enumerate(statements):
        one = json.dumps({"Version": doc.get("Version", "2012-10-17"), "Statement": [st]})
        for f in analyze_policy_string(one).findings:
            where = f.location.get("string") if isinstance(f.location, dict) else None
            out.append({"document": d, "statement": s, "issue": f.issue, "detail": f.detail, "where": where})
print(json.dumps(out, default=str))
"#;

fn parliament(docs: &[&Value]) -> Vec<Value> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let input =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("iam-reference-parliament-{}.json", std::process::id()));
    std::fs::write(&input, serde_json::to_string(docs).unwrap()).unwrap();
    let child = std::process::Command::new(&python)
        .args(["-c", PARLIAMENT])
        .arg(&input)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}: run `bash scripts/setup-moto.sh` (or .ci/run) first", python.display()));
    let out = support::wait(child, Duration::from_secs(120));
    let _ = std::fs::remove_file(&input);
    assert_eq!(out.code, 0, "parliament did not run (`bash scripts/setup-moto.sh` installs it): {out:?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("parliament's output: {e}: {out:?}"))
}

/// Why a finding of parliament is dismissed, by its type (Ok), or what of it stands (Err: the
/// test fails). parliament 1.6.4 bundles its own copy of the reference, older than ours, and
/// reads every document as an identity policy; each dismissal below says which of those it
/// is, and is taken only when our own check of the same statement says AWS accepts it.
fn dismissed(r: &Reference, issue: &str, detail: &Value, statement: &Value, at: &str) -> Result<&'static str, Value> {
    let resources: Vec<String> = match &statement["Resource"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    let trust = statement.get("Principal").is_some() && statement.get("Resource").is_none();
    match issue {
        // A role's trust policy names a Principal and no Resource; parliament expects an identity policy.
        "MALFORMED" if trust && detail.as_str() == Some("Statement contains neither Resource nor NotResource") => {
            Ok("a trust policy has no Resource")
        }
        // parliament knows a fixed list of identity providers; AWS trusts any IAM OIDC provider of the account.
        "UNKNOWN_FEDERATION_SOURCE"
            if trust
                && detail.as_str().is_some_and(|p| p.starts_with("arn:aws:iam::") && p.contains(":oidc-provider/")) =>
        {
            Ok("an IAM OIDC provider of the account (parliament knows only some providers)")
        }
        // AWS managed policies are named with the account `aws` (IAM User Guide, "IAM identifiers").
        "INVALID_ARN" if at.starts_with("arn:aws:iam::aws:policy/") => {
            Ok("AWS managed policies have the account `aws`")
        }
        // parliament wants one resource per required resource type, where AWS needs the one the request
        // names (bedrock:InvokeModel lists twelve), and splits ARNs at `:` (a model id ends in `:0`, a
        // log group's ARN in `:*`): an entry stands only when our check finds no resource of the
        // statement that AWS evaluates for that action.
        "RESOURCE_MISMATCH" => {
            let standing: Vec<Value> = detail
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| {
                    let action = e["action"].as_str().unwrap_or_default();
                    !resources.iter().any(|res| r.applies_to(action, res))
                })
                .cloned()
                .collect();
            if standing.is_empty() { Ok("each action has a resource AWS evaluates") } else { Err(json!(standing)) }
        }
        // Actions allowed on `*` although they have resource types: dismissed when preflight gives the reason.
        "RESOURCE_STAR" => {
            let standing: Vec<Value> = detail
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| star_why(a.as_str().unwrap_or_default()).is_none())
                .cloned()
                .collect();
            if standing.is_empty() { Ok("star_why gives the reason") } else { Err(json!(standing)) }
        }
        // parliament's reference predates keys such as kms:ResourceAliases: dismissed when ours lists the key.
        "UNKNOWN_CONDITION_FOR_ACTION" => {
            let text = detail.as_str().unwrap_or_default();
            let known = text
                .strip_prefix("Unknown condition ")
                .and_then(|t| t.split_once(" for action "))
                .is_some_and(|(key, action)| r.condition_key(action, key).is_some());
            if known { Ok("the reference lists the key for the action") } else { Err(detail.clone()) }
        }
        _ => Err(detail.clone()),
    }
}

#[test]
fn parliaments_findings_are_dismissed_only_for_their_stated_reasons() {
    let r = Reference::load();
    let model = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
    let profile_as_model = format!("arn:aws:bedrock:us-east-1::foundation-model/{MODEL_PROFILE}");
    let mismatch =
        json!([{"action": "bedrock:InvokeModel", "required_format": "arn:*:bedrock:*:*:inference-profile/*"}]);
    let invoke = |resource: &str| allow("BedrockInvoke", "bedrock:InvokeModel", resource);
    assert!(dismissed(&r, "RESOURCE_MISMATCH", &mismatch, &invoke(model), "").is_ok());
    assert_eq!(dismissed(&r, "RESOURCE_MISMATCH", &mismatch, &invoke(&profile_as_model), ""), Err(mismatch.clone()));
    let key = allow("Key", "kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/1");
    let known = json!("Unknown condition kms:ResourceAliases for action kms:Decrypt");
    let unknown = json!("Unknown condition ecs:cluster for action kms:Decrypt");
    assert!(dismissed(&r, "UNKNOWN_CONDITION_FOR_ACTION", &known, &key, "").is_ok());
    assert_eq!(dismissed(&r, "UNKNOWN_CONDITION_FOR_ACTION", &unknown, &key, ""), Err(unknown.clone()));
    let star = json!(["ecs:DescribeServices"]);
    if star_why("ecs:DescribeServices").is_none() {
        assert_eq!(dismissed(&r, "RESOURCE_STAR", &star, &key, ""), Err(star.clone()));
    }
    assert!(dismissed(&r, "INVALID_ARN", &json!("Account expected"), &key, "arn:aws:iam::aws:policy/x").is_ok());
    assert!(dismissed(&r, "INVALID_ARN", &json!("Account expected"), &key, "arn:aws:iam::12:role/x").is_err());
    // A type of finding this test does not know stands.
    assert!(dismissed(&r, "SOMETHING_NEW", &json!("detail"), &key, "").is_err());
}

// --- The check -------------------------------------------------------------------

/// Every action an asset of assets/iam/ names.
fn asset_actions() -> Vec<(String, BTreeSet<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/iam");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.push((path.file_name().unwrap().to_string_lossy().into_owned(), actions_of(&doc)));
    }
    out
}

fn actions_of(doc: &Value) -> BTreeSet<String> {
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    statements
        .iter()
        .flat_map(|st| match &st["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(items) => items.iter().filter_map(|a| a.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Where a document or a finding was seen: (its group, its source).
type SeenIn<'a> = Vec<(&'a str, &'a str)>;

#[test]
fn every_policy_preflight_produces_is_one_aws_accepts() {
    let started = std::time::Instant::now();
    let _ = std::fs::remove_dir_all(Path::new(env!("CARGO_TARGET_TMPDIR")).join("iam-reference-outputs"));
    let r = Reference::load();
    let bedrock = BedrockDouble::start(Scenario::sandbox());
    // The model of the inference profile: the double serves its `us.` profile.
    let profiles = BedrockDouble::start(Scenario { model: MODEL_PROFILE[3..].to_string(), ..Scenario::sandbox() });
    let ((permissions, mut problems), account) = std::thread::scope(|s| {
        let p = s.spawn(|| gather_permissions(&bedrock, &profiles));
        let a = s.spawn(|| gather_account(&bedrock, &profiles));
        (
            p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            a.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    problems.extend(account.problems);

    // The gathering saw what it is meant to see (else the check below proves nothing).
    let seen = |docs: &[Gathered], what: &str| docs.iter().any(|g| g.from.contains(what));
    for what in
        ["CreatePolicy", "CreatePolicyVersion", "PutRolePolicy", "AssumeRolePolicyDocument", "UpdateAssumeRolePolicy"]
    {
        if !seen(&account.written, what) {
            problems.push(format!("no {what} document among what preflight writes"));
        }
    }
    if !seen(&account.fixes, "as a caller without policies") {
        problems.push("no fix document from the check before a change".into());
    }
    if !seen(&account.fixes, "`preflight verify") {
        problems.push("no fix document from a probe".into());
    }
    // Every action preflight grants is one whose resource types it knows (else it would judge
    // the action's pairs as written, not as AWS checks them).
    let all_actions: BTreeSet<String> = [&permissions, &account.written, &account.fixes]
        .iter()
        .flat_map(|docs| docs.iter().flat_map(|g| actions_of(&g.doc)))
        .collect();
    for action in &all_actions {
        if resources::action(action).is_none() {
            problems.push(format!("{action}: no row in src/policy/resources.rs"));
        }
    }
    let written_actions: BTreeSet<String> = account.written.iter().flat_map(|g| actions_of(&g.doc)).collect();
    for (asset, actions) in asset_actions() {
        let missing: Vec<&String> = actions.difference(&written_actions).collect();
        if !missing.is_empty() {
            problems.push(format!("assets/iam/{asset}: {missing:?} never seen in what preflight writes"));
        }
    }

    // Each distinct document once, with everywhere it was seen.
    let groups = [("permissions", &permissions), ("written", &account.written), ("fixes", &account.fixes)];
    let mut documents: BTreeMap<String, (Value, SeenIn)> = BTreeMap::new();
    for (group, docs) in groups {
        for g in docs.iter() {
            let entry = documents.entry(g.doc.to_string()).or_insert_with(|| (g.doc.clone(), Vec::new()));
            entry.1.push((group, g.from.as_str()));
        }
    }
    // Every document checked, with where it was seen (for reading when a finding needs context).
    let dump: Vec<Value> =
        documents.values().map(|(doc, seen_in)| json!({"document": doc, "seen_in": seen_in})).collect();
    let dump_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("iam-reference-documents.json");
    std::fs::write(&dump_path, serde_json::to_string_pretty(&dump).unwrap()).unwrap();
    // Each distinct finding once, with the documents it is in.
    let mut findings: BTreeMap<String, SeenIn> = BTreeMap::new();
    for (doc, seen_in) in documents.values() {
        for f in r.check_document(doc, reasons) {
            findings.entry(f.to_string()).or_default().extend(seen_in.iter().copied());
        }
    }
    // parliament's second opinion on the same documents.
    let unique: Vec<(&Value, &SeenIn)> = documents.values().map(|(d, s)| (d, s)).collect();
    let mut kept_by_parliament: BTreeMap<String, SeenIn> = BTreeMap::new();
    let mut dismissals: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let docs: Vec<&Value> = unique.iter().map(|(d, _)| *d).collect();
    for f in parliament(&docs) {
        let (d, s) = (f["document"].as_u64().unwrap() as usize, f["statement"].as_u64().unwrap() as usize);
        let (doc, seen_in) = unique[d];
        let statement = match &doc["Statement"] {
            Value::Array(items) => items[s].clone(),
            other => other.clone(),
        };
        let issue = f["issue"].as_str().unwrap_or_default().to_string();
        match dismissed(&r, &issue, &f["detail"], &statement, f["where"].as_str().unwrap_or_default()) {
            Ok(why) => *dismissals.entry((issue, why)).or_default() += 1,
            Err(standing) => {
                let name = statement["Sid"].as_str().map_or(format!("statement {s}"), |sid| format!("Sid {sid}"));
                let line = format!("[{name}] parliament {issue}: {standing}");
                kept_by_parliament.entry(line).or_default().extend(seen_in.iter().copied());
            }
        }
    }
    for (line, seen_in) in kept_by_parliament {
        findings.entry(line).or_default().extend(seen_in);
    }
    for p in &account.pending {
        eprintln!("left to the run (it holds a value known only after an earlier change): {p}");
    }
    for ((issue, why), n) in &dismissals {
        eprintln!("parliament: {n} {issue} dismissed: {why}");
    }

    let mut report = Vec::new();
    for (finding, seen_in) in &findings {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for (group, _) in seen_in {
            *count.entry(group).or_default() += 1;
        }
        let counts: Vec<String> = count.iter().map(|(g, n)| format!("{g} ×{n}")).collect();
        report.push(format!("{finding}  — {}; e.g. {}", counts.join(", "), seen_in[0].1));
    }
    eprintln!(
        "checked {} distinct documents ({} from `permissions`, {} written, {} fixes; {} plan documents with values known only after a change were left to the run's own) in {:.0?}; all in {}",
        documents.len(),
        permissions.len(),
        account.written.len(),
        account.fixes.len(),
        account.pending.len(),
        started.elapsed(),
        dump_path.display()
    );
    assert!(
        report.is_empty() && problems.is_empty(),
        "{} finding(s) against AWS's Service Authorization Reference ({}):\n{}\n{}",
        report.len(),
        r.source,
        report.join("\n"),
        if problems.is_empty() { String::new() } else { format!("\nthe gathering itself:\n{}", problems.join("\n")) }
    );
}
