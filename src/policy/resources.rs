//! What AWS authorizes each action against: the action's resource types and
//! the shape of their ARNs, from AWS's Service Authorization Reference (the
//! copy dated in tests/data/iam-reference.json; `tests/iam_reference.rs`
//! checks every row against it). preflight uses it to tell which of the
//! (action, resource) pairs a policy statement names AWS ever checks: a
//! statement granting `logs:PutLogEvents` and `logs:CreateLogGroup` on a log
//! group and its streams is checked as PutLogEvents on the streams and
//! CreateLogGroup on the group, never the other way round.

use super::intersect::intersect;
use super::pattern::{Pattern, Tok};

/// A resource type: its service, its name in the reference, its ARN format.
#[derive(Debug)]
pub struct Type {
    pub service: &'static str,
    pub name: &'static str,
    /// The reference's format: `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`.
    pub arn: &'static str,
}

/// An action and the names of its resource types (of its own service).
#[derive(Debug)]
pub struct Action {
    pub action: &'static str,
    pub types: &'static [&'static str],
    /// Every type the reference lists (false: only those preflight grants, so a
    /// resource of none of them is taken as written).
    pub all: bool,
}

const fn all(action: &'static str, types: &'static [&'static str]) -> Action {
    Action { action, types, all: true }
}

const fn some(action: &'static str, types: &'static [&'static str]) -> Action {
    Action { action, types, all: false }
}

/// The resource types of the actions below, as the reference names them (per service).
pub static TYPES: &[Type] = &[
    Type {
        service: "application-autoscaling",
        name: "ScalableTarget",
        arn: "arn:${Partition}:application-autoscaling:${Region}:${Account}:scalable-target/${ResourceId}",
    },
    Type {
        service: "bedrock",
        name: "application-inference-profile",
        arn: "arn:${Partition}:bedrock:${Region}:${Account}:application-inference-profile/${ResourceId}",
    },
    Type {
        service: "bedrock",
        name: "foundation-model",
        arn: "arn:${Partition}:bedrock:${Region}::foundation-model/${ResourceId}",
    },
    Type {
        service: "bedrock",
        name: "inference-profile",
        arn: "arn:${Partition}:bedrock:${Region}:${Account}:inference-profile/${ResourceId}",
    },
    Type {
        service: "cloudwatch",
        name: "dataset",
        arn: "arn:${Partition}:cloudwatch:${Region}:${Account}:dataset/${DatasetId}",
    },
    Type {
        service: "ec2",
        name: "security-group",
        arn: "arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId}",
    },
    Type {
        service: "ec2",
        name: "security-group-rule",
        arn: "arn:${Partition}:ec2:${Region}:${Account}:security-group-rule/${SecurityGroupRuleId}",
    },
    Type { service: "ec2", name: "vpc", arn: "arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}" },
    Type {
        service: "ecr",
        name: "repository",
        arn: "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}",
    },
    Type { service: "ecs", name: "cluster", arn: "arn:${Partition}:ecs:${Region}:${Account}:cluster/${ClusterName}" },
    Type {
        service: "ecs",
        name: "container-instance",
        arn: "arn:${Partition}:ecs:${Region}:${Account}:container-instance/${ClusterName}/${ContainerInstanceId}",
    },
    Type {
        service: "ecs",
        name: "service",
        arn: "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}",
    },
    Type {
        service: "ecs",
        name: "task",
        arn: "arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}",
    },
    Type {
        service: "ecs",
        name: "task-definition",
        arn: "arn:${Partition}:ecs:${Region}:${Account}:task-definition/${TaskDefinitionFamilyName}:${TaskDefinitionRevisionNumber}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "listener/app",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/app/${LoadBalancerName}/${LoadBalancerId}/${ListenerId}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "listener/gwy",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/gwy/${LoadBalancerName}/${LoadBalancerId}/${ListenerId}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "listener/net",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/net/${LoadBalancerName}/${LoadBalancerId}/${ListenerId}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "loadbalancer",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:loadbalancer/${LoadBalancerName}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "loadbalancer/app/",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:loadbalancer/app/${LoadBalancerName}/${LoadBalancerId}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "loadbalancer/gwy/",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:loadbalancer/gwy/${LoadBalancerName}/${LoadBalancerId}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "loadbalancer/net/",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:loadbalancer/net/${LoadBalancerName}/${LoadBalancerId}",
    },
    Type {
        service: "elasticloadbalancing",
        name: "targetgroup",
        arn: "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:targetgroup/${TargetGroupName}/${TargetGroupId}",
    },
    Type { service: "iam", name: "group", arn: "arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}" },
    Type {
        service: "iam",
        name: "oidc-provider",
        arn: "arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}",
    },
    Type { service: "iam", name: "policy", arn: "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}" },
    Type { service: "iam", name: "role", arn: "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}" },
    Type { service: "iam", name: "user", arn: "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}" },
    Type { service: "kms", name: "key", arn: "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}" },
    Type {
        service: "logs",
        name: "log-group",
        arn: "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
    },
    Type {
        service: "logs",
        name: "log-stream",
        arn: "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}",
    },
    Type {
        service: "secretsmanager",
        name: "Secret",
        arn: "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}",
    },
    Type {
        service: "ssm",
        name: "parameter",
        arn: "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}",
    },
    Type { service: "sts", name: "role", arn: "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}" },
];
/// Every action preflight grants, requires or calls, with its resource types.
pub static ACTIONS: &[Action] = &[
    all("application-autoscaling:DescribeScalableTargets", &[]),
    all("application-autoscaling:RegisterScalableTarget", &["ScalableTarget"]),
    all("aws-marketplace:Subscribe", &[]),
    all("aws-marketplace:ViewSubscriptions", &[]),
    all("bedrock:CreateFoundationModelAgreement", &[]),
    all("bedrock:GetFoundationModel", &["foundation-model"]),
    all("bedrock:GetFoundationModelAvailability", &[]),
    all("bedrock:GetInferenceProfile", &["application-inference-profile", "inference-profile"]),
    all("bedrock:GetUseCaseForModelAccess", &[]),
    some("bedrock:InvokeModel", &["foundation-model", "inference-profile"]), // only the types preflight grants
    some("bedrock:InvokeModelWithResponseStream", &["foundation-model", "inference-profile"]), // only the types preflight grants
    all("bedrock:ListFoundationModelAgreementOffers", &[]),
    all("bedrock:PutUseCaseForModelAccess", &[]),
    all("cloudwatch:PutMetricData", &["dataset"]),
    all("ec2:AuthorizeSecurityGroupIngress", &["security-group", "security-group-rule"]),
    all("ec2:CreateSecurityGroup", &["security-group", "vpc"]),
    some("ec2:CreateTags", &["security-group"]), // only the types preflight grants
    all("ec2:DeleteSecurityGroup", &["security-group"]),
    all("ec2:DescribeSecurityGroups", &[]),
    all("ec2:DescribeSubnets", &[]),
    all("ec2:DescribeVpcs", &[]),
    all("ec2:RevokeSecurityGroupIngress", &["security-group"]),
    all("ecr:BatchCheckLayerAvailability", &["repository"]),
    all("ecr:BatchGetImage", &["repository"]),
    all("ecr:CompleteLayerUpload", &["repository"]),
    all("ecr:CreateRepository", &["repository"]),
    all("ecr:DeleteRepository", &["repository"]),
    all("ecr:DescribeImages", &["repository"]),
    all("ecr:DescribeRepositories", &["repository"]),
    all("ecr:GetAuthorizationToken", &[]),
    all("ecr:GetDownloadUrlForLayer", &["repository"]),
    all("ecr:GetLifecyclePolicy", &["repository"]),
    all("ecr:InitiateLayerUpload", &["repository"]),
    all("ecr:ListImages", &["repository"]),
    all("ecr:ListTagsForResource", &["repository"]),
    all("ecr:PutImage", &["repository"]),
    all("ecr:PutImageScanningConfiguration", &["repository"]),
    all("ecr:PutLifecyclePolicy", &["repository"]),
    all("ecr:TagResource", &["repository"]),
    all("ecr:UploadLayerPart", &["repository"]),
    all("ecs:CreateCluster", &["cluster"]),
    all("ecs:CreateService", &["service"]),
    all("ecs:DeleteCluster", &["cluster"]),
    all("ecs:DeleteService", &["service"]),
    all("ecs:DeregisterTaskDefinition", &[]),
    all("ecs:DescribeClusters", &["cluster"]),
    all("ecs:DescribeServices", &["service"]),
    all("ecs:DescribeTaskDefinition", &[]),
    all("ecs:DescribeTasks", &["task"]),
    all("ecs:ListClusters", &[]),
    all("ecs:ListServices", &[]),
    all("ecs:ListTaskDefinitionFamilies", &[]),
    all("ecs:ListTaskDefinitions", &[]),
    all("ecs:ListTasks", &["container-instance"]),
    all("ecs:PutClusterCapacityProviders", &["cluster"]),
    all("ecs:RegisterTaskDefinition", &["task-definition"]),
    some("ecs:TagResource", &["cluster", "service", "task-definition"]), // only the types preflight grants
    all("ecs:UpdateService", &["service"]),
    all("elasticloadbalancing:AddTags", &["loadbalancer"]),
    all("elasticloadbalancing:CreateListener", &["loadbalancer/app/", "loadbalancer/gwy/", "loadbalancer/net/"]),
    all("elasticloadbalancing:CreateLoadBalancer", &["loadbalancer"]),
    all("elasticloadbalancing:CreateTargetGroup", &["targetgroup"]),
    all("elasticloadbalancing:DeleteListener", &["listener/app", "listener/gwy", "listener/net"]),
    all("elasticloadbalancing:DeleteLoadBalancer", &["loadbalancer"]),
    all("elasticloadbalancing:DeleteTargetGroup", &["targetgroup"]),
    all("elasticloadbalancing:DescribeListeners", &[]),
    all("elasticloadbalancing:DescribeLoadBalancers", &[]),
    all("elasticloadbalancing:DescribeTags", &[]),
    all("elasticloadbalancing:DescribeTargetGroups", &[]),
    all("elasticloadbalancing:DescribeTargetHealth", &[]),
    all("elasticloadbalancing:ModifyListener", &["listener/app", "listener/gwy", "listener/net"]),
    all("elasticloadbalancing:ModifyTargetGroup", &["targetgroup"]),
    all("iam:AddClientIDToOpenIDConnectProvider", &["oidc-provider"]),
    all("iam:AttachRolePolicy", &["role"]),
    all("iam:AttachUserPolicy", &["user"]),
    all("iam:CreateOpenIDConnectProvider", &["oidc-provider"]),
    all("iam:CreatePolicy", &["policy"]),
    all("iam:CreatePolicyVersion", &["policy"]),
    all("iam:CreateRole", &["role"]),
    all("iam:CreateServiceLinkedRole", &["role"]),
    all("iam:CreateUser", &["user"]),
    all("iam:DeleteOpenIDConnectProvider", &["oidc-provider"]),
    all("iam:DeletePolicy", &["policy"]),
    all("iam:DeletePolicyVersion", &["policy"]),
    all("iam:DeleteRole", &["role"]),
    all("iam:DeleteRolePolicy", &["role"]),
    all("iam:DetachRolePolicy", &["role"]),
    all("iam:GetGroupPolicy", &["group"]),
    all("iam:GetOpenIDConnectProvider", &["oidc-provider"]),
    all("iam:GetPolicy", &["policy"]),
    all("iam:GetPolicyVersion", &["policy"]),
    all("iam:GetRole", &["role"]),
    all("iam:GetRolePolicy", &["role"]),
    all("iam:GetUser", &["user"]),
    all("iam:GetUserPolicy", &["user"]),
    all("iam:ListAttachedGroupPolicies", &["group"]),
    all("iam:ListAttachedRolePolicies", &["role"]),
    all("iam:ListAttachedUserPolicies", &["user"]),
    all("iam:ListEntitiesForPolicy", &["policy"]),
    all("iam:ListGroupPolicies", &["group"]),
    all("iam:ListGroupsForUser", &["user"]),
    all("iam:ListOpenIDConnectProviderTags", &["oidc-provider"]),
    all("iam:ListOpenIDConnectProviders", &[]),
    all("iam:ListPolicies", &[]),
    all("iam:ListPolicyTags", &["policy"]),
    all("iam:ListPolicyVersions", &["policy"]),
    all("iam:ListRolePolicies", &["role"]),
    all("iam:ListRoleTags", &["role"]),
    all("iam:ListRoles", &[]),
    all("iam:ListUserPolicies", &["user"]),
    all("iam:PassRole", &["role"]),
    all("iam:PutRolePolicy", &["role"]),
    all("iam:SimulatePrincipalPolicy", &["group", "role", "user"]),
    all("iam:TagOpenIDConnectProvider", &["oidc-provider"]),
    all("iam:TagPolicy", &["policy"]),
    all("iam:TagRole", &["role"]),
    all("iam:TagUser", &["user"]),
    all("iam:UpdateAssumeRolePolicy", &["role"]),
    all("kms:Decrypt", &["key"]),
    all("kms:DescribeKey", &["key"]),
    all("kms:Encrypt", &["key"]),
    all("kms:GenerateDataKey", &["key"]),
    all("logs:CreateLogGroup", &["log-group"]),
    all("logs:CreateLogStream", &["log-stream"]),
    all("logs:DeleteLogGroup", &["log-group"]),
    all("logs:DescribeLogGroups", &[]),
    all("logs:GetLogEvents", &["log-stream"]),
    all("logs:GetQueryResults", &["log-group"]),
    some("logs:ListTagsForResource", &["log-group"]), // only the types preflight grants
    all("logs:PutLogEvents", &["log-stream"]),
    all("logs:PutRetentionPolicy", &["log-group"]),
    all("logs:StartQuery", &["log-group"]),
    all("logs:StopQuery", &[]),
    some("logs:TagResource", &["log-group"]), // only the types preflight grants
    all("secretsmanager:CreateSecret", &["Secret"]),
    all("secretsmanager:DeleteSecret", &["Secret"]),
    all("secretsmanager:DescribeSecret", &["Secret"]),
    all("secretsmanager:GetSecretValue", &["Secret"]),
    all("secretsmanager:ListSecrets", &[]),
    all("secretsmanager:PutSecretValue", &["Secret"]),
    all("secretsmanager:TagResource", &["Secret"]),
    some("ssm:AddTagsToResource", &["parameter"]), // only the types preflight grants
    all("ssm:DeleteParameter", &["parameter"]),
    all("ssm:DescribeParameters", &[]),
    all("ssm:GetParameter", &["parameter"]),
    all("ssm:GetParameters", &["parameter"]),
    some("ssm:ListTagsForResource", &["parameter"]), // only the types preflight grants
    all("ssm:PutParameter", &["parameter"]),
    all("sts:AssumeRole", &["role"]),
    all("sts:AssumeRoleWithSAML", &["role"]),
    all("sts:AssumeRoleWithWebIdentity", &["role"]),
    all("sts:TagSession", &["role"]),
];

/// Actions that have resource types but are granted on `*`, and why.
pub static ON_ANY_RESOURCE: &[(&str, &str)] = &[
    (
        "ecs:ListTasks",
        "ListTasks is authorized on container instances, which Fargate tasks have none of: \
         the ecs:cluster condition key scopes it to the cluster instead (Amazon ECS developer guide, \
         identity-based policy examples)",
    ),
    (
        "cloudwatch:PutMetricData",
        "its one resource type (dataset) is optional and names no metric: publishing metrics is \
         authorized on * (CloudWatch user guide, \"CloudWatch permissions reference\"), narrowed if at \
         all by the cloudwatch:namespace condition key",
    ),
];

/// Why an action with resource types is granted on `*`, when preflight does so.
pub fn star_why(action: &str) -> Option<&'static str> {
    ON_ANY_RESOURCE.iter().find(|(a, _)| a.eq_ignore_ascii_case(action)).map(|(_, why)| *why)
}

/// The row of an action (IAM action names are case-insensitive).
pub fn action(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.action.eq_ignore_ascii_case(name))
}

/// A resource type by service and name.
pub fn resource_type(service: &str, name: &str) -> Option<&'static Type> {
    TYPES.iter().find(|t| t.service == service && t.name == name)
}

/// CloudWatch Logs' tagging actions, which name a log group without `:*`.
const LOG_TAGGING: &[&str] = &[
    "logs:TagResource",
    "logs:UntagResource",
    "logs:ListTagsForResource",
    "logs:TagLogGroup",
    "logs:UntagLogGroup",
    "logs:ListTagsLogGroup",
];

/// Names whose values may hold a colon (Bedrock model ids: `anthropic.claude-3-haiku-20240307-v1:0`).
const WITH_COLONS: &[&str] = &["ResourceId"];

impl Type {
    /// The ARNs AWS checks for this type, as a pattern: each `${Name}` a run of
    /// characters (without colons, but for the names that may hold them). A
    /// log group is checked as `log-group:NAME:*`, the `*` a character of the
    /// request, which is why a policy must write `log-group:NAME:*` (CloudWatch
    /// Logs user guide, "CloudWatch Logs permissions reference"); its tagging
    /// actions are the exception, checked on the plain ARN.
    pub fn shape(&self, action: &str) -> Pattern {
        let mut toks = Vec::new();
        let mut rest = self.arn;
        while let Some(start) = rest.find("${") {
            toks.extend(Pattern::literal(&rest[..start]).0);
            let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
            let name = &rest[start + 2..end - 1];
            toks.push(if WITH_COLONS.contains(&name) { Tok::Any } else { Tok::Part });
            rest = &rest[end..];
        }
        toks.extend(Pattern::literal(rest).0);
        if self.service == "logs"
            && self.name == "log-group"
            && !LOG_TAGGING.iter().any(|a| a.eq_ignore_ascii_case(action))
        {
            toks.extend([Tok::Lit(':'), Tok::Lit('*')]);
        }
        Pattern(toks)
    }
}

/// What AWS checks of a required resource for an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The action has no resource-level permissions: AWS checks the text `*`.
    Star,
    /// The resources AWS checks within the one written, one pattern per shape
    /// it meets; none: AWS never checks this action on such a resource.
    Within(Vec<Pattern>),
    /// The action's types are not known here (or their meet is too large to
    /// write): every resource the written pattern matches.
    AsWritten,
}

/// What AWS checks when `action` is required on `resource` (a policy's glob).
pub fn scope(action: &str, resource: &str) -> Scope {
    if resource == "*" {
        return Scope::Star;
    }
    let Some(row) = self::action(action) else { return Scope::AsWritten };
    if row.types.is_empty() {
        // Requested on `*` whatever the policy writes.
        return Scope::Star;
    }
    let service = action.split(':').next().unwrap_or("");
    let written = Pattern::glob(resource);
    let mut pieces: Vec<Pattern> = Vec::new();
    for name in row.types {
        let Some(t) = resource_type(service, name) else { return Scope::AsWritten };
        let Some(meet) = intersect(&written, &t.shape(action)) else { return Scope::AsWritten };
        for p in meet {
            if !pieces.contains(&p) {
                pieces.push(p);
            }
        }
    }
    if pieces.is_empty() && !row.all { Scope::AsWritten } else { Scope::Within(pieces) }
}

/// Whether AWS ever checks `action` on (some of) `resource`.
pub fn checked(action: &str, resource: &str) -> bool {
    !matches!(scope(action, resource), Scope::Within(p) if p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*";
    const STREAMS: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*:log-stream:*";

    #[test]
    fn every_action_names_types_of_its_service_once() {
        for a in ACTIONS {
            let service = a.action.split(':').next().unwrap();
            for t in a.types {
                assert!(resource_type(service, t).is_some(), "{}: type {t} has no row in TYPES", a.action);
            }
            let n = ACTIONS.iter().filter(|b| b.action == a.action).count();
            assert_eq!(n, 1, "{} has {n} rows", a.action);
        }
    }

    #[test]
    fn log_actions_are_checked_on_their_own_type_only() {
        assert!(checked("logs:CreateLogGroup", GROUPS));
        assert!(!checked("logs:CreateLogGroup", STREAMS), "a stream is no log group");
        assert!(checked("logs:PutLogEvents", STREAMS));
        // A log group prefix's pattern also matches the streams of its groups.
        assert!(checked("logs:PutLogEvents", GROUPS));
        let exact = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/comafi-api";
        assert!(!checked("logs:CreateLogGroup", exact), "without :* the ARN matches no request");
        assert!(checked("logs:CreateLogGroup", &format!("{exact}:*")));
    }

    #[test]
    fn actions_without_resource_types_are_requested_on_star() {
        assert_eq!(scope("logs:StopQuery", GROUPS), Scope::Star);
        assert_eq!(scope("logs:DescribeLogGroups", "*"), Scope::Star);
        assert_eq!(scope("cloudwatch:PutMetricData", "*"), Scope::Star);
    }

    #[test]
    fn unknown_actions_and_other_types_are_taken_as_written() {
        assert_eq!(scope("s3:GetObject", "arn:aws:s3:::b/*"), Scope::AsWritten);
        // InvokeModel has types preflight never grants (provisioned models…): not "never checked".
        let provisioned = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/x";
        assert_eq!(scope("bedrock:InvokeModel", provisioned), Scope::AsWritten);
    }

    #[test]
    fn model_ids_may_hold_colons() {
        let model = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
        match scope("bedrock:InvokeModel", model) {
            Scope::Within(p) => assert_eq!(p, vec![Pattern::literal(model)]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn star_reasons_name_actions_with_types() {
        for (a, _) in ON_ANY_RESOURCE {
            assert!(!action(a).expect("a row").types.is_empty(), "{a} has no types: it needs no reason");
        }
        assert!(star_why("ecs:ListTasks").is_some());
        assert_eq!(star_why("ecs:RegisterTaskDefinition"), None);
    }
}
