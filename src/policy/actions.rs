//! Which IAM actions an API call needs, and on which resources. Mostly the
//! call's own `service:Operation` on the resource it names; the exceptions
//! (registry calls that are ECR actions, roles handed to a service, customer
//! KMS keys, tags, service-linked roles, actions without resource-level
//! permissions) are the rows of one table, [`TABLE`].

pub use super::resources::star_why;

/// One call as the code makes it: the service (its IAM prefix, or `registry`
/// for the container registry API, `http` for a plain GET), the operation, the
/// resource it names, and what else it hands over.
#[derive(Debug, Clone, Copy, Default)]
pub struct Call<'a> {
    pub service: &'a str,
    pub operation: &'a str,
    pub resource: &'a str,
    /// Roles the call hands to the service (each needs iam:PassRole).
    pub roles: &'a [String],
    /// The customer-managed KMS key that encrypts what it writes or reads.
    pub key: Option<&'a str>,
    /// The call sets tags on what it creates.
    pub tags: bool,
}

/// One permission a call needs: an action on a resource (`*` for actions
/// without resource-level permissions), under a condition when the resource
/// alone would grant too much.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub action: String,
    pub resource: String,
    /// Why the action is needed when it is not the call's own.
    pub why: Option<&'static str>,
    /// What the request carries that the grant is limited to (`iam:PassedToService`).
    pub condition: Vec<Cond>,
}

/// One test of a Condition block that the request always passes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cond {
    pub operator: &'static str,
    pub key: &'static str,
    pub value: String,
}

impl Need {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), why: None, condition: Vec::new() }
    }

    /// The Condition block of a statement granting it, None without one.
    pub fn condition_json(&self) -> Option<serde_json::Value> {
        condition_json(&self.condition)
    }
}

/// A Condition block: `{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}`.
pub fn condition_json(tests: &[Cond]) -> Option<serde_json::Value> {
    if tests.is_empty() {
        return None;
    }
    let mut block = serde_json::Map::new();
    for c in tests {
        let op = block.entry(c.operator).or_insert_with(|| serde_json::json!({}));
        op[c.key] = serde_json::json!(c.value);
    }
    Some(serde_json::Value::Object(block))
}

/// Where an action applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The resource the call names (`*` when it names none).
    Call,
    /// `*`: the action has no resource-level permissions.
    Star,
    /// `*` under `ArnEquals KEY = the call's resource`: the action's resource
    /// type is not what the call names (ecs:ListTasks by `ecs:cluster`).
    StarWhere(&'static str),
    /// Each role the call hands over.
    Roles,
    /// The customer-managed KMS key.
    Key,
    /// The ECR repository of a registry reference (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:tag`).
    Repository,
    /// A service-linked role of the call's account (`ecs.amazonaws.com/AWSServiceRoleForECS`).
    ServiceLinkedRole(&'static str),
    /// Every security group of the call's account and region (a group is named by an id
    /// that does not exist before it is created).
    SecurityGroups,
    /// The log group the call names as CloudWatch Logs' tagging actions name it: without `:*`.
    LogGroupTagged,
    /// Every VPC of the call's account and region.
    Vpcs,
}

/// When an extra permission is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// The call hands over roles.
    Roles,
    /// The call uses a customer-managed KMS key.
    Key,
    /// The call sets tags.
    Tags,
}

/// Permissions a call needs besides its own action.
#[derive(Debug)]
pub struct Extra {
    pub actions: &'static [&'static str],
    pub on: On,
    pub when: When,
    pub why: &'static str,
    /// `(operator, key, value)` tests the grant is limited to.
    pub condition: &'static [(&'static str, &'static str, &'static str)],
}

/// An exception: the call's own action (None: it needs no IAM permission) and its extras.
#[derive(Debug)]
pub struct Row {
    pub service: &'static str,
    pub operation: &'static str,
    /// The resource of the call's own action, or None when the call is not an IAM action.
    pub own: Option<On>,
    pub extra: &'static [Extra],
}

const fn row(service: &'static str, operation: &'static str, own: Option<On>, extra: &'static [Extra]) -> Row {
    Row { service, operation, own, extra }
}

const fn star(service: &'static str, operation: &'static str) -> Row {
    row(service, operation, Some(On::Star), &[])
}

/// ECS tasks get the roles: the grant holds only for roles handed to ECS tasks
/// (IAM user guide, "Granting a user permissions to pass a role": iam:PassedToService).
const PASS_ROLE: Extra = Extra {
    actions: &["iam:PassRole"],
    on: On::Roles,
    when: When::Roles,
    why: "hands the roles to ECS tasks",
    condition: &[("StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com")],
};
const fn tag(actions: &'static [&'static str]) -> Extra {
    Extra { actions, on: On::Call, when: When::Tags, why: "tags what it creates", condition: &[] }
}
/// Secrets Manager encrypts a new value with a data key it asks KMS for, and
/// decrypts the current one to compare (Secrets Manager user guide, "Secret
/// encryption and decryption": kms:GenerateDataKey and kms:Decrypt).
const ENCRYPT: Extra = Extra {
    actions: &["kms:GenerateDataKey", "kms:Decrypt"],
    on: On::Key,
    when: When::Key,
    why: "encrypts the value with the customer-managed key",
    condition: &[],
};
const DECRYPT: Extra = Extra {
    actions: &["kms:Decrypt"],
    on: On::Key,
    when: When::Key,
    why: "decrypts the value with the customer-managed key",
    condition: &[],
};
const fn registry(operation: &'static str, actions: &'static [Extra]) -> Row {
    row("registry", operation, None, actions)
}
const fn ecr(actions: &'static [&'static str], why: &'static str) -> Extra {
    Extra { actions, on: On::Repository, when: When::Always, why, condition: &[] }
}

/// The exceptions, one row each (each has a test in this file).
pub static TABLE: &[Row] = &[
    // Always allowed, whatever the policies say.
    row("sts", "GetCallerIdentity", None, &[]),
    // Not AWS: the workflow written into the repository (github.write_workflow).
    row("file", "WriteFile", None, &[]),
    // Not AWS: the application's health check.
    row("http", "GET", None, &[]),
    // The registry API (docker push and pull) is authorized as ECR actions on the repository.
    registry("HeadBlob", &[ecr(&["ecr:BatchCheckLayerAvailability"], "asks whether a blob is in the repository")]),
    registry(
        "PutBlob",
        &[ecr(
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
            ],
            "uploads a layer",
        )],
    ),
    registry("HeadManifest", &[ecr(&["ecr:BatchGetImage"], "reads a manifest")]),
    registry("GetManifest", &[ecr(&["ecr:BatchGetImage"], "reads a manifest")]),
    registry("GetBlob", &[ecr(&["ecr:GetDownloadUrlForLayer"], "reads a blob")]),
    registry("PutManifest", &[ecr(&["ecr:PutImage"], "pushes a manifest or a tag")]),
    registry(
        "PutImage",
        &[ecr(
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:BatchGetImage",
                "ecr:PutImage",
            ],
            "pushes an image",
        )],
    ),
    star("ecr", "GetAuthorizationToken"),
    row("ecr", "CreateRepository", Some(On::Call), &[tag(&["ecr:TagResource"])]),
    // A task definition is registered as a revision of its family (`task-definition/FAMILY:*`); the roles are passed.
    row("ecs", "RegisterTaskDefinition", Some(On::Call), &[PASS_ROLE, tag(&["ecs:TagResource"])]),
    row("ecs", "CreateService", Some(On::Call), &[PASS_ROLE, tag(&["ecs:TagResource"])]),
    row("ecs", "UpdateService", Some(On::Call), &[PASS_ROLE]),
    row(
        "ecs",
        "CreateCluster",
        Some(On::Call),
        &[
            Extra {
                actions: &["iam:CreateServiceLinkedRole"],
                on: On::ServiceLinkedRole("ecs.amazonaws.com/AWSServiceRoleForECS"),
                when: When::Always,
                why: "ECS creates its service-linked role on first use",
                condition: &[],
            },
            tag(&["ecs:TagResource"]),
        ],
    ),
    star("ecs", "DescribeTaskDefinition"),
    // destroy: a family's revisions, listed and deregistered; a cluster's services.
    star("ecs", "ListTaskDefinitions"),
    star("ecs", "DeregisterTaskDefinition"),
    star("ecs", "ListServices"),
    // destroy: what the account's tags say preflight made (listings without resource types).
    star("ecs", "ListClusters"),
    star("ecs", "ListTaskDefinitionFamilies"),
    // Authorized on container instances (Fargate has none): `*` limited to the cluster the call names.
    row("ecs", "ListTasks", Some(On::StarWhere("ecs:cluster")), &[]),
    star("elasticloadbalancing", "DescribeLoadBalancers"),
    star("elasticloadbalancing", "DescribeTargetGroups"),
    star("elasticloadbalancing", "DescribeListeners"),
    star("elasticloadbalancing", "DescribeTargetHealth"),
    star("elasticloadbalancing", "DescribeTags"),
    row(
        "elasticloadbalancing",
        "CreateLoadBalancer",
        Some(On::Call),
        &[
            Extra {
                actions: &["iam:CreateServiceLinkedRole"],
                on: On::ServiceLinkedRole("elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"),
                when: When::Always,
                why: "Elastic Load Balancing creates its service-linked role on first use",
                condition: &[],
            },
            tag(&["elasticloadbalancing:AddTags"]),
        ],
    ),
    star("ec2", "DescribeVpcs"),
    star("ec2", "DescribeSubnets"),
    star("ec2", "DescribeSecurityGroups"),
    row(
        "ec2",
        "CreateSecurityGroup",
        Some(On::SecurityGroups),
        &[
            Extra {
                actions: &["ec2:CreateSecurityGroup"],
                on: On::Vpcs,
                when: When::Always,
                why: "creates the group in a VPC",
                condition: &[],
            },
            Extra {
                actions: &["ec2:CreateTags"],
                on: On::SecurityGroups,
                when: When::Tags,
                why: "tags what it creates",
                condition: &[],
            },
        ],
    ),
    row("ec2", "AuthorizeSecurityGroupIngress", Some(On::SecurityGroups), &[]),
    row("ec2", "RevokeSecurityGroupIngress", Some(On::SecurityGroups), &[]),
    star("logs", "DescribeLogGroups"),
    row(
        "logs",
        "CreateLogGroup",
        Some(On::Call),
        &[Extra {
            actions: &["logs:TagResource"],
            on: On::LogGroupTagged,
            when: When::Tags,
            why: "tags what it creates",
            condition: &[],
        }],
    ),
    star("secretsmanager", "ListSecrets"),
    row("secretsmanager", "CreateSecret", Some(On::Call), &[ENCRYPT, tag(&["secretsmanager:TagResource"])]),
    row("secretsmanager", "PutSecretValue", Some(On::Call), &[ENCRYPT]),
    row("secretsmanager", "GetSecretValue", Some(On::Call), &[DECRYPT]),
    row(
        "ssm",
        "PutParameter",
        Some(On::Call),
        &[
            Extra {
                actions: &["kms:Encrypt"],
                on: On::Key,
                when: When::Key,
                why: "encrypts the value with the customer-managed key",
                condition: &[],
            },
            tag(&["ssm:AddTagsToResource"]),
        ],
    ),
    row("ssm", "GetParameter", Some(On::Call), &[DECRYPT]),
    star("ssm", "DescribeParameters"),
    star("application-autoscaling", "DescribeScalableTargets"),
    row("iam", "CreateOpenIDConnectProvider", Some(On::Call), &[tag(&["iam:TagOpenIDConnectProvider"])]),
    row("iam", "CreateRole", Some(On::Call), &[tag(&["iam:TagRole"])]),
    row("iam", "CreatePolicy", Some(On::Call), &[tag(&["iam:TagPolicy"])]),
    row("iam", "CreateUser", Some(On::Call), &[tag(&["iam:TagUser"])]),
    star("iam", "ListOpenIDConnectProviders"),
    // destroy: the roles that trust the OIDC provider it would delete.
    star("iam", "ListRoles"),
    star("iam", "ListPolicies"),
    star("bedrock", "ListFoundationModelAgreementOffers"),
    star("bedrock", "GetUseCaseForModelAccess"),
    star("bedrock", "PutUseCaseForModelAccess"),
    star("bedrock", "GetFoundationModelAvailability"),
    row(
        "bedrock",
        "CreateFoundationModelAgreement",
        Some(On::Star),
        &[Extra {
            actions: &["aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"],
            on: On::Star,
            when: When::Always,
            why: "a model's agreement is an AWS Marketplace subscription",
            condition: &[],
        }],
    ),
];

/// The parts of an ARN: partition, service, region, account, resource.
fn arn_parts(arn: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let mut it = arn.splitn(6, ':');
    match (it.next(), it.next(), it.next(), it.next(), it.next(), it.next()) {
        (Some("arn"), Some(p), Some(s), Some(r), Some(a), Some(res)) => Some((p, s, r, a, res)),
        _ => None,
    }
}

/// The repository ARN of a registry reference (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:tag|@digest]`),
/// or of a repository ARN itself.
pub fn repository_arn(reference: &str) -> Option<String> {
    if let Some((_, "ecr", _, _, res)) = arn_parts(reference)
        && res.starts_with("repository/")
    {
        return Some(reference.to_string());
    }
    let (host, path) = reference.split_once('/')?;
    let mut labels = host.split('.');
    let (account, dkr, ecr, region) = (labels.next()?, labels.next()?, labels.next()?, labels.next()?);
    let rest: Vec<&str> = labels.collect();
    if dkr != "dkr" || ecr != "ecr" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let partition = match rest.join(".").as_str() {
        "amazonaws.com" => "aws",
        "amazonaws.com.cn" => "aws-cn",
        _ => return None,
    };
    let name = path.split('@').next()?;
    // A tag follows the last colon of the path (a registry port is in the host, not here).
    let name = name.rsplit_once(':').map_or(name, |(n, _)| n);
    Some(format!("arn:{partition}:ecr:{region}:{account}:repository/{name}"))
}

fn resolve(on: On, call: &Call) -> Vec<String> {
    let parts = arn_parts(call.resource);
    let account_scope = |service: &str, what: &str| -> String {
        match parts {
            Some((p, _, r, a, _)) => format!("arn:{p}:{service}:{r}:{a}:{what}"),
            None => "*".into(),
        }
    };
    match on {
        On::Call if call.resource.is_empty() => vec!["*".into()],
        On::Call => vec![call.resource.to_string()],
        On::LogGroupTagged => vec![call.resource.strip_suffix(":*").unwrap_or(call.resource).to_string()],
        On::Star | On::StarWhere(_) => vec!["*".into()],
        On::Roles => call.roles.to_vec(),
        On::Key => call.key.map(str::to_string).into_iter().collect(),
        On::Repository => vec![repository_arn(call.resource).unwrap_or_else(|| "*".into())],
        On::ServiceLinkedRole(path) => vec![match parts {
            Some((p, _, _, a, _)) => format!("arn:{p}:iam::{a}:role/aws-service-role/{path}"),
            None => "*".into(),
        }],
        On::SecurityGroups => vec![account_scope("ec2", "security-group/*")],
        On::Vpcs => vec![account_scope("ec2", "vpc/*")],
    }
}

fn applies(when: When, call: &Call) -> bool {
    match when {
        When::Always => true,
        When::Roles => !call.roles.is_empty(),
        When::Key => call.key.is_some(),
        When::Tags => call.tags,
    }
}

/// The row of a call, when it is an exception.
pub fn row_of(service: &str, operation: &str) -> Option<&'static Row> {
    TABLE.iter().find(|r| r.service == service && r.operation == operation)
}

/// The condition key naming a KMS key by one of its aliases (AWS KMS developer guide, "kms:ResourceAliases").
pub const KMS_ALIASES: &str = "kms:ResourceAliases";

/// A KMS action on a key named by its alias ARN is granted on the account's
/// keys under `kms:ResourceAliases`: IAM checks KMS actions on the key, never
/// on the alias (until the alias is resolved to its key, which is better).
fn by_alias(mut need: Need) -> Need {
    if !need.action.starts_with("kms:") {
        return need;
    }
    let Some((prefix, alias)) = need.resource.split_once(":alias/") else { return need };
    let alias = format!("alias/{alias}");
    need.resource = format!("{prefix}:key/*");
    need.condition.push(Cond { operator: "ForAnyValue:StringEquals", key: KMS_ALIASES, value: alias });
    need
}

/// The tests a grant of `on` is limited to: `ArnEquals KEY = the call's resource` for [`On::StarWhere`].
fn scoped(on: On, call: &Call) -> Vec<Cond> {
    match on {
        On::StarWhere(key) if !call.resource.is_empty() && call.resource != "*" => {
            vec![Cond { operator: "ArnEquals", key, value: call.resource.to_string() }]
        }
        _ => Vec::new(),
    }
}

/// Every permission the call needs, its own action first.
pub fn needs(call: &Call) -> Vec<Need> {
    let mut out = Vec::new();
    let own = match row_of(call.service, call.operation) {
        Some(row) => row.own,
        None => Some(On::Call),
    };
    if let Some(on) = own {
        for resource in resolve(on, call) {
            let mut need = Need::new(format!("{}:{}", call.service, call.operation), resource);
            need.condition = scoped(on, call);
            out.push(by_alias(need));
        }
    }
    for extra in row_of(call.service, call.operation).map_or(&[][..], |r| r.extra) {
        if !applies(extra.when, call) {
            continue;
        }
        let condition: Vec<Cond> = extra
            .condition
            .iter()
            .map(|(operator, key, value)| Cond { operator, key, value: value.to_string() })
            .collect();
        for resource in resolve(extra.on, call) {
            for action in extra.actions {
                let mut need = Need::new(*action, resource.clone());
                need.why = Some(extra.why);
                need.condition = condition.clone();
                out.push(by_alias(need));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn call<'a>(service: &'a str, operation: &'a str, resource: &'a str) -> Call<'a> {
        Call { service, operation, resource, ..Default::default() }
    }

    fn pairs(needs: &[Need]) -> Vec<(String, String)> {
        needs.iter().map(|n| (n.action.clone(), n.resource.clone())).collect()
    }

    fn own(action: &str, resource: &str) -> (String, String) {
        (action.to_string(), resource.to_string())
    }

    #[test]
    fn an_ordinary_call_needs_its_own_action_on_its_resource() {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/app");
        assert_eq!(pairs(&needs(&call("iam", "GetRole", &arn))), vec![own("iam:GetRole", &arn)]);
        assert_eq!(pairs(&needs(&call("iam", "GetRole", ""))), vec![own("iam:GetRole", "*")], "no resource: *");
    }

    #[test]
    fn every_row_is_tested_below() {
        // One test per row: this list names them, and each name is a row.
        let tested = [
            "sts:GetCallerIdentity",
            "file:WriteFile",
            "http:GET",
            "registry:HeadBlob",
            "registry:PutBlob",
            "registry:HeadManifest",
            "registry:GetManifest",
            "registry:GetBlob",
            "registry:PutManifest",
            "registry:PutImage",
            "ecr:GetAuthorizationToken",
            "ecr:CreateRepository",
            "ecs:RegisterTaskDefinition",
            "ecs:CreateService",
            "ecs:UpdateService",
            "ecs:CreateCluster",
            "ecs:DescribeTaskDefinition",
            "ecs:ListTaskDefinitions",
            "ecs:DeregisterTaskDefinition",
            "ecs:ListServices",
            "ecs:ListClusters",
            "ecs:ListTaskDefinitionFamilies",
            "ecs:ListTasks",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:CreateLoadBalancer",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:CreateSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "logs:DescribeLogGroups",
            "logs:CreateLogGroup",
            "secretsmanager:ListSecrets",
            "secretsmanager:CreateSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:GetSecretValue",
            "ssm:PutParameter",
            "ssm:GetParameter",
            "ssm:DescribeParameters",
            "application-autoscaling:DescribeScalableTargets",
            "iam:CreateOpenIDConnectProvider",
            "iam:CreateRole",
            "iam:CreatePolicy",
            "iam:CreateUser",
            "iam:ListOpenIDConnectProviders",
            "iam:ListRoles",
            "iam:ListPolicies",
            "bedrock:ListFoundationModelAgreementOffers",
            "bedrock:GetUseCaseForModelAccess",
            "bedrock:PutUseCaseForModelAccess",
            "bedrock:GetFoundationModelAvailability",
            "bedrock:CreateFoundationModelAgreement",
        ];
        let rows: Vec<String> = TABLE.iter().map(|r| format!("{}:{}", r.service, r.operation)).collect();
        assert_eq!(rows, tested, "a row was added or removed: test it below and name it here");
    }

    #[test]
    fn calls_that_need_no_permission() {
        assert!(needs(&call("sts", "GetCallerIdentity", "")).is_empty(), "always allowed");
        assert!(needs(&call("file", "WriteFile", ".github/workflows/deploy.yml")).is_empty(), "a file, not AWS");
        assert!(needs(&call("http", "GET", "http://127.0.0.1:8080/health")).is_empty(), "not AWS");
    }

    const REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/acme";

    #[test]
    fn registry_calls_are_ecr_actions_on_the_repository() {
        let at = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme@sha256:abc";
        let tagged = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme:v1";
        let on = |actions: &[&str]| actions.iter().map(|a| own(a, REPO)).collect::<Vec<_>>();
        assert_eq!(pairs(&needs(&call("registry", "HeadBlob", at))), on(&["ecr:BatchCheckLayerAvailability"]));
        assert_eq!(
            pairs(&needs(&call("registry", "PutBlob", at))),
            on(&[
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload"
            ])
        );
        assert_eq!(pairs(&needs(&call("registry", "HeadManifest", tagged))), on(&["ecr:BatchGetImage"]));
        assert_eq!(pairs(&needs(&call("registry", "GetManifest", tagged))), on(&["ecr:BatchGetImage"]));
        assert_eq!(pairs(&needs(&call("registry", "GetBlob", at))), on(&["ecr:GetDownloadUrlForLayer"]));
        assert_eq!(pairs(&needs(&call("registry", "PutManifest", tagged))), on(&["ecr:PutImage"]));
        let push = pairs(&needs(&call("registry", "PutImage", REPO)));
        assert_eq!(push.len(), 6, "{push:?}");
        assert!(push.iter().all(|(_, r)| r == REPO) && push.contains(&own("ecr:PutImage", REPO)));
    }

    #[test]
    fn registry_references_name_their_repository() {
        let host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        let arn = "arn:aws:ecr:eu-west-1:123456789012:repository/team/app";
        assert_eq!(repository_arn(&format!("{host}/team/app:v1")).as_deref(), Some(arn));
        assert_eq!(repository_arn(&format!("{host}/team/app@sha256:00")).as_deref(), Some(arn));
        assert_eq!(repository_arn(&format!("{host}/team/app")).as_deref(), Some(arn));
        assert_eq!(
            repository_arn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1").as_deref(),
            Some("arn:aws-cn:ecr:cn-north-1:123456789012:repository/app")
        );
        assert_eq!(repository_arn(REPO).as_deref(), Some(REPO));
        assert_eq!(repository_arn("docker.io/library/nginx:1"), None, "not ECR");
        // Not ECR: the action still is, on every resource.
        assert_eq!(pairs(&needs(&call("registry", "GetBlob", "ghcr.io/x/y@sha256:0")))[0].1, "*");
    }

    #[test]
    fn the_ecr_token_has_no_resource() {
        let got = pairs(&needs(&call("ecr", "GetAuthorizationToken", REPO)));
        assert_eq!(got, vec![own("ecr:GetAuthorizationToken", "*")]);
    }

    #[test]
    fn creating_a_repository_with_tags_needs_tag_resource() {
        assert_eq!(pairs(&needs(&call("ecr", "CreateRepository", REPO))), vec![own("ecr:CreateRepository", REPO)]);
        let tagged = Call { tags: true, ..call("ecr", "CreateRepository", REPO) };
        assert_eq!(pairs(&needs(&tagged))[1], own("ecr:TagResource", REPO));
    }

    #[test]
    fn what_preflight_makes_is_tagged_with_each_service_s_tagging_action() {
        let a = ACCOUNT;
        let group = format!("arn:aws:logs:us-east-1:{a}:log-group:/ecs/app");
        for (service, op, resource, tagging, on) in [
            ("ecs", "CreateCluster", format!("arn:aws:ecs:us-east-1:{a}:cluster/c"), "ecs:TagResource", None),
            (
                "ecs",
                "RegisterTaskDefinition",
                format!("arn:aws:ecs:us-east-1:{a}:task-definition/app:*"),
                "ecs:TagResource",
                None,
            ),
            (
                "elasticloadbalancing",
                "CreateLoadBalancer",
                format!("arn:aws:elasticloadbalancing:us-east-1:{a}:loadbalancer/app/app-alb/*"),
                "elasticloadbalancing:AddTags",
                None,
            ),
            (
                "ssm",
                "PutParameter",
                format!("arn:aws:ssm:us-east-1:{a}:parameter/app/x"),
                "ssm:AddTagsToResource",
                None,
            ),
            // CloudWatch Logs' tagging names the group without `:*`.
            ("logs", "CreateLogGroup", format!("{group}:*"), "logs:TagResource", Some(group.clone())),
            (
                "ec2",
                "CreateSecurityGroup",
                format!("arn:aws:ec2:us-east-1:{a}:security-group/app"),
                "ec2:CreateTags",
                Some(format!("arn:aws:ec2:us-east-1:{a}:security-group/*")),
            ),
        ] {
            let plain = pairs(&needs(&call(service, op, &resource)));
            assert!(!plain.iter().any(|(act, _)| act == tagging), "{op} without tags: {plain:?}");
            let tagged = pairs(&needs(&Call { tags: true, ..call(service, op, &resource) }));
            let want = own(tagging, on.as_deref().unwrap_or(&resource));
            assert!(tagged.contains(&want), "{op} with tags needs {want:?}: {tagged:?}");
        }
    }

    fn roles() -> Vec<String> {
        vec![format!("arn:aws:iam::{ACCOUNT}:role/exec"), format!("arn:aws:iam::{ACCOUNT}:role/task")]
    }

    #[test]
    fn registering_a_task_definition_passes_its_roles() {
        let roles = roles();
        let family = "arn:aws:ecs:us-east-1:1:task-definition/app:*";
        let c = Call { roles: &roles, ..call("ecs", "RegisterTaskDefinition", family) };
        assert_eq!(
            pairs(&needs(&c)),
            vec![
                own("ecs:RegisterTaskDefinition", family),
                own("iam:PassRole", &roles[0]),
                own("iam:PassRole", &roles[1])
            ]
        );
        assert_eq!(needs(&c)[1].why, Some("hands the roles to ECS tasks"));
        // Only to ECS tasks (iam:PassedToService), never to any service.
        assert_eq!(
            needs(&c)[1].condition_json(),
            Some(serde_json::json!({"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}))
        );
        assert_eq!(needs(&c)[0].condition_json(), None);
        let none = call("ecs", "RegisterTaskDefinition", family);
        assert_eq!(pairs(&needs(&none)), vec![own("ecs:RegisterTaskDefinition", family)], "no roles: no PassRole");
    }

    const SERVICE: &str = "arn:aws:ecs:us-east-1:123456789012:service/main/app";

    #[test]
    fn creating_a_service_passes_its_roles_and_tags_it() {
        let roles = roles();
        let c = Call { roles: &roles, tags: true, ..call("ecs", "CreateService", SERVICE) };
        let got = pairs(&needs(&c));
        assert_eq!(got[0], own("ecs:CreateService", SERVICE));
        assert!(got.contains(&own("iam:PassRole", &roles[1])) && got.contains(&own("ecs:TagResource", SERVICE)));
    }

    #[test]
    fn updating_a_service_passes_its_roles() {
        let roles = roles();
        let c = Call { roles: &roles, ..call("ecs", "UpdateService", SERVICE) };
        assert_eq!(pairs(&needs(&c))[1..], [own("iam:PassRole", &roles[0]), own("iam:PassRole", &roles[1])]);
    }

    #[test]
    fn creating_a_cluster_may_create_the_ecs_service_linked_role() {
        let got = pairs(&needs(&call("ecs", "CreateCluster", "arn:aws:ecs:us-east-1:123456789012:cluster/main")));
        assert_eq!(
            got[1],
            own(
                "iam:CreateServiceLinkedRole",
                "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
            )
        );
    }

    #[test]
    fn describing_task_definitions_has_no_resource_and_listing_tasks_is_scoped_by_cluster() {
        let family = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:*";
        assert_eq!(
            pairs(&needs(&call("ecs", "DescribeTaskDefinition", family))),
            vec![own("ecs:DescribeTaskDefinition", "*")]
        );
        let cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/main";
        let list = needs(&call("ecs", "ListTasks", cluster));
        assert_eq!(pairs(&list), vec![own("ecs:ListTasks", "*")]);
        assert_eq!(list[0].condition_json(), Some(serde_json::json!({"ArnEquals": {"ecs:cluster": cluster}})));
        assert!(star_why("ecs:ListTasks").is_some(), "a grant on * of an action with resource types says why");
    }

    #[test]
    fn destroy_s_listings_and_deregistration_have_no_resource() {
        let family = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:*";
        let revision = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:3";
        let cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/main";
        let roles = "arn:aws:iam::123456789012:role/*";
        for (service, operation, resource) in [
            ("ecs", "ListTaskDefinitions", family),
            ("ecs", "DeregisterTaskDefinition", revision),
            ("ecs", "ListServices", cluster),
            ("iam", "ListRoles", roles),
            ("iam", "ListPolicies", "arn:aws:iam::123456789012:policy/*"),
            ("ecs", "ListClusters", cluster),
            ("ecs", "ListTaskDefinitionFamilies", family),
            (
                "elasticloadbalancing",
                "DescribeTags",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/*",
            ),
            ("secretsmanager", "ListSecrets", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*"),
        ] {
            let action = format!("{service}:{operation}");
            assert_eq!(pairs(&needs(&call(service, operation, resource))), vec![own(&action, "*")], "{action}");
        }
    }

    #[test]
    fn listing_parameters_and_scalable_targets_has_no_resource() {
        let parameter = "arn:aws:ssm:us-east-1:123456789012:parameter/acme/brands";
        assert_eq!(
            pairs(&needs(&call("ssm", "DescribeParameters", parameter))),
            vec![own("ssm:DescribeParameters", "*")]
        );
        let any = call("application-autoscaling", "DescribeScalableTargets", "*");
        assert_eq!(pairs(&needs(&any)), vec![own("application-autoscaling:DescribeScalableTargets", "*")]);
    }

    #[test]
    fn load_balancer_descriptions_have_no_resource() {
        for op in ["DescribeLoadBalancers", "DescribeTargetGroups", "DescribeListeners", "DescribeTargetHealth"] {
            let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x";
            assert_eq!(
                pairs(&needs(&call("elasticloadbalancing", op, arn))),
                vec![own(&format!("elasticloadbalancing:{op}"), "*")]
            );
        }
    }

    #[test]
    fn creating_a_load_balancer_may_create_the_elb_service_linked_role() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x";
        let got = pairs(&needs(&call("elasticloadbalancing", "CreateLoadBalancer", arn)));
        assert_eq!(got[0], own("elasticloadbalancing:CreateLoadBalancer", arn));
        assert_eq!(
            got[1].1,
            "arn:aws:iam::123456789012:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
        );
    }

    const GROUP: &str = "arn:aws:ec2:us-east-1:123456789012:security-group/acme-ecs";

    #[test]
    fn ec2_descriptions_have_no_resource() {
        for op in ["DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups"] {
            assert_eq!(pairs(&needs(&call("ec2", op, GROUP))), vec![own(&format!("ec2:{op}"), "*")]);
        }
    }

    #[test]
    fn creating_a_security_group_needs_the_group_and_the_vpc() {
        assert_eq!(
            pairs(&needs(&call("ec2", "CreateSecurityGroup", GROUP))),
            vec![
                own("ec2:CreateSecurityGroup", "arn:aws:ec2:us-east-1:123456789012:security-group/*"),
                own("ec2:CreateSecurityGroup", "arn:aws:ec2:us-east-1:123456789012:vpc/*")
            ]
        );
    }

    #[test]
    fn ingress_rules_apply_to_groups_by_id() {
        for op in ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"] {
            assert_eq!(
                pairs(&needs(&call("ec2", op, GROUP))),
                vec![own(&format!("ec2:{op}"), "arn:aws:ec2:us-east-1:123456789012:security-group/*")]
            );
        }
    }

    #[test]
    fn describing_log_groups_has_no_resource() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:/acme/app";
        assert_eq!(pairs(&needs(&call("logs", "DescribeLogGroups", arn))), vec![own("logs:DescribeLogGroups", "*")]);
    }

    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-app-??????";
    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234";

    #[test]
    fn creating_a_secret_with_a_customer_key_encrypts_with_it() {
        assert_eq!(pairs(&needs(&call("secretsmanager", "CreateSecret", SECRET))).len(), 1, "no key: no kms");
        let c = Call { key: Some(KEY), tags: true, ..call("secretsmanager", "CreateSecret", SECRET) };
        let got = pairs(&needs(&c));
        assert!(got.contains(&own("kms:GenerateDataKey", KEY)) && got.contains(&own("kms:Decrypt", KEY)), "{got:?}");
        assert!(got.contains(&own("secretsmanager:TagResource", SECRET)), "{got:?}");
    }

    #[test]
    fn putting_a_secret_value_with_a_customer_key_encrypts_with_it() {
        let c = Call { key: Some(KEY), ..call("secretsmanager", "PutSecretValue", SECRET) };
        assert_eq!(
            pairs(&needs(&c)),
            vec![
                own("secretsmanager:PutSecretValue", SECRET),
                own("kms:GenerateDataKey", KEY),
                own("kms:Decrypt", KEY)
            ]
        );
    }

    #[test]
    fn reading_a_secret_with_a_customer_key_decrypts_with_it() {
        let c = Call { key: Some(KEY), ..call("secretsmanager", "GetSecretValue", SECRET) };
        assert_eq!(pairs(&needs(&c)), vec![own("secretsmanager:GetSecretValue", SECRET), own("kms:Decrypt", KEY)]);
    }

    const PARAMETER: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/acme/brands";

    #[test]
    fn putting_a_secure_parameter_with_a_customer_key_encrypts_with_it() {
        let c = Call { key: Some(KEY), ..call("ssm", "PutParameter", PARAMETER) };
        assert_eq!(pairs(&needs(&c)), vec![own("ssm:PutParameter", PARAMETER), own("kms:Encrypt", KEY)]);
    }

    #[test]
    fn reading_a_secure_parameter_with_a_customer_key_decrypts_with_it() {
        let c = Call { key: Some(KEY), ..call("ssm", "GetParameter", PARAMETER) };
        assert_eq!(pairs(&needs(&c)), vec![own("ssm:GetParameter", PARAMETER), own("kms:Decrypt", KEY)]);
    }

    #[test]
    fn creating_iam_things_with_tags_tags_them() {
        let provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
        for (op, arn, tag) in [
            ("CreateOpenIDConnectProvider", provider, "iam:TagOpenIDConnectProvider"),
            ("CreateRole", "arn:aws:iam::123456789012:role/app", "iam:TagRole"),
            ("CreatePolicy", "arn:aws:iam::123456789012:policy/app", "iam:TagPolicy"),
            ("CreateUser", "arn:aws:iam::123456789012:user/app", "iam:TagUser"),
        ] {
            assert_eq!(pairs(&needs(&call("iam", op, arn))), vec![own(&format!("iam:{op}"), arn)], "{op} untagged");
            let tagged = Call { tags: true, ..call("iam", op, arn) };
            assert_eq!(pairs(&needs(&tagged))[1], own(tag, arn), "{op} tagged");
        }
    }

    #[test]
    fn listing_oidc_providers_has_no_resource() {
        assert_eq!(
            pairs(&needs(&call("iam", "ListOpenIDConnectProviders", ""))),
            vec![own("iam:ListOpenIDConnectProviders", "*")]
        );
    }

    #[test]
    fn bedrock_account_level_calls_have_no_resource() {
        let model = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude";
        for op in [
            "ListFoundationModelAgreementOffers",
            "GetUseCaseForModelAccess",
            "PutUseCaseForModelAccess",
            "GetFoundationModelAvailability",
        ] {
            assert_eq!(pairs(&needs(&call("bedrock", op, model))), vec![own(&format!("bedrock:{op}"), "*")]);
        }
        // The model itself is a resource.
        assert_eq!(
            pairs(&needs(&call("bedrock", "GetFoundationModel", model))),
            vec![own("bedrock:GetFoundationModel", model)]
        );
    }

    #[test]
    fn a_model_agreement_is_a_marketplace_subscription() {
        let got = pairs(&needs(&call("bedrock", "CreateFoundationModelAgreement", "")));
        assert_eq!(
            got,
            vec![
                own("bedrock:CreateFoundationModelAgreement", "*"),
                own("aws-marketplace:Subscribe", "*"),
                own("aws-marketplace:ViewSubscriptions", "*")
            ]
        );
    }
}
