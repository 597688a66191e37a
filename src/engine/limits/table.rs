//! The table: each row's id, what it constrains, its rule (in words for
//! messages, and as data for the checks), where AWS documents it, and the SDK
//! model members tests/limits.rs compares it with.

use super::fargate::{Memory, TaskSize};
use super::names::NameRule;

/// Where the AWS SDK's service model (botocore's `service-2.json`) describes a
/// row: a member of an operation's input (or of a structure), or a structure's
/// own documentation (`member` empty). `says`: phrases its documentation must
/// hold, for the parts of the rule the model's shape does not carry.
#[derive(Debug)]
pub struct Model {
    pub service: &'static str,
    pub shape: &'static str,
    pub member: &'static str,
    pub says: &'static [&'static str],
}

#[derive(Debug)]
pub enum Rule {
    Name(NameRule),
    /// At most this many bytes.
    Bytes(usize),
    /// Fargate's CPU and memory pairs.
    TaskSizes(&'static [TaskSize]),
    /// The CPU architectures FARGATE_SPOT runs, each with the least platform version.
    Spot(&'static [(&'static str, &'static str)]),
}

/// One documented constraint.
#[derive(Debug)]
pub struct Row {
    pub id: &'static str,
    /// What it constrains, as a message names it ("a target group name").
    pub what: &'static str,
    /// The rule in words, for messages.
    pub words: &'static str,
    pub rule: Rule,
    /// Where AWS documents it.
    pub source: &'static str,
    /// Where the SDK's service models carry or document it (none for a quota).
    pub models: &'static [Model],
    /// What the models lack, or what else is worth knowing.
    pub note: &'static str,
}

const ECS_NAME: NameRule = NameRule {
    min: 1,
    max: 255,
    chars: "[A-Za-z0-9_-]",
    form: "[A-Za-z0-9_-]+",
    not_prefixes: &[],
    not_prefixes_any_case: &[],
    max_levels: None,
};
const ECS_NAME_WORDS: &str = "1 to 255 letters, digits, hyphens and underscores";
const ECS_NAME_SAYS: &[&str] =
    &["Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed"];
const ECS_NAME_NOTE: &str = "the model's shape is a plain string: the rule is only in its documentation";

/// IAM's names (roles, users, policies): letters, digits and +=,.@_-, up to `max`.
const fn iam_name(max: usize) -> NameRule {
    NameRule {
        min: 1,
        max,
        chars: "[A-Za-z0-9+=,.@_-]",
        form: "[A-Za-z0-9+=,.@_-]+",
        not_prefixes: &[],
        not_prefixes_any_case: &[],
        max_levels: None,
    }
}

/// The table: every constraint preflight checks on what it puts in AWS.
pub const TABLE: &[Row] = &[
    Row {
        id: "elb.load_balancer_name",
        what: "a load balancer name",
        words: "1 to 32 letters, digits and hyphens, not starting or ending with a hyphen, nor starting with internal-",
        rule: Rule::Name(NameRule {
            min: 1,
            max: 32,
            chars: "[A-Za-z0-9-]",
            form: "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
            not_prefixes: &["internal-"],
            not_prefixes_any_case: &[],
            max_levels: None,
        }),
        source: "Elastic Load Balancing API reference: CreateLoadBalancer, Name",
        models: &[Model {
            service: "elbv2",
            shape: "CreateLoadBalancerInput",
            member: "Name",
            says: &[
                "can have a maximum of 32 characters",
                "must contain only alphanumeric characters or hyphens",
                "must not begin or end with a hyphen",
                "must not begin with \"internal-\"",
            ],
        }],
        note: "the model's LoadBalancerName is a plain string: the rule is only in its documentation",
    },
    Row {
        id: "elb.target_group_name",
        what: "a target group name",
        words: "1 to 32 letters, digits and hyphens, not starting or ending with a hyphen",
        rule: Rule::Name(NameRule {
            min: 1,
            max: 32,
            chars: "[A-Za-z0-9-]",
            form: "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
            not_prefixes: &[],
            not_prefixes_any_case: &[],
            max_levels: None,
        }),
        source: "Elastic Load Balancing API reference: CreateTargetGroup, Name",
        models: &[Model {
            service: "elbv2",
            shape: "CreateTargetGroupInput",
            member: "Name",
            says: &[
                "can have a maximum of 32 characters",
                "must contain only alphanumeric characters or hyphens",
                "must not begin or end with a hyphen",
            ],
        }],
        note: "the model's TargetGroupName is a plain string: the rule is only in its documentation",
    },
    Row {
        id: "iam.role_name",
        what: "an IAM role name",
        words: "1 to 64 letters, digits and +=,.@_-",
        rule: Rule::Name(iam_name(64)),
        source: "IAM API reference: CreateRole, RoleName",
        models: &[Model { service: "iam", shape: "CreateRoleRequest", member: "RoleName", says: &[] }],
        note: "the model's roleNameType carries it: min 1, max 64, pattern [\\w+=,.@-]+",
    },
    Row {
        id: "iam.user_name",
        what: "an IAM user name",
        words: "1 to 64 letters, digits and +=,.@_-",
        rule: Rule::Name(iam_name(64)),
        source: "IAM API reference: CreateUser, UserName",
        models: &[Model { service: "iam", shape: "CreateUserRequest", member: "UserName", says: &[] }],
        note: "the model's userNameType carries it: min 1, max 64, pattern [\\w+=,.@-]+",
    },
    Row {
        id: "iam.policy_name",
        what: "an IAM policy name",
        words: "1 to 128 letters, digits and +=,.@_-",
        rule: Rule::Name(iam_name(128)),
        source: "IAM API reference: CreatePolicy, PolicyName; PutRolePolicy, PolicyName",
        models: &[
            Model { service: "iam", shape: "CreatePolicyRequest", member: "PolicyName", says: &[] },
            Model { service: "iam", shape: "PutRolePolicyRequest", member: "PolicyName", says: &[] },
        ],
        note: "the model's policyNameType carries it: min 1, max 128, pattern [\\w+=,.@-]+",
    },
    Row {
        id: "secretsmanager.secret_name",
        what: "a secret name",
        words: "1 to 512 ASCII letters, digits and /_+=.@-",
        rule: Rule::Name(NameRule {
            min: 1,
            max: 512,
            chars: "[A-Za-z0-9/_+=.@-]",
            form: "[A-Za-z0-9/_+=.@-]+",
            not_prefixes: &[],
            not_prefixes_any_case: &[],
            max_levels: None,
        }),
        source: "AWS Secrets Manager API reference: CreateSecret, Name",
        models: &[Model {
            service: "secretsmanager",
            shape: "CreateSecretRequest",
            member: "Name",
            says: &["The secret name can contain ASCII letters, numbers, and the following characters: /_+=.@-"],
        }],
        note: "the model's NameType carries the length (1 to 512), not the characters, which only its documentation lists; its advice not to end a name with a hyphen and six characters is advice, not checked (AWS accepts such names)",
    },
    Row {
        id: "ssm.parameter_name",
        what: "an SSM parameter name",
        words: "1 to 1011 letters, digits and _.-, or a path /LEVEL/…/NAME of at most 15 levels; not starting with aws or ssm (in any case)",
        rule: Rule::Name(NameRule {
            min: 1,
            max: 1011,
            chars: "[A-Za-z0-9_./-]",
            form: "[A-Za-z0-9_.-]+|(?:/[A-Za-z0-9_.-]+)+",
            not_prefixes: &[],
            not_prefixes_any_case: &["aws", "ssm"],
            max_levels: Some(15),
        }),
        source: "AWS Systems Manager API reference: PutParameter, Name",
        models: &[Model {
            service: "ssm",
            shape: "PutParameterRequest",
            member: "Name",
            says: &[
                "Parameter names can include only the following symbols and letters: a-zA-Z0-9_.-",
                "the slash character ( / ) is used to delineate hierarchies",
                "can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)",
                "Parameter hierarchies are limited to a maximum depth of fifteen levels",
                "The maximum length for a parameter name that you specify is 1011 characters",
            ],
        }],
        note: "the model's PSParameterName says at most 2048 characters, 1037 of them reserved: its documentation gives 1011, counting the ARN before the name (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/), which is not known when the profile is read: only the name is counted. A level is one /-separated part of a path",
    },
    Row {
        id: "logs.log_group_name",
        what: "a log group name",
        words: "1 to 512 letters, digits and _-/.#, not starting with aws/",
        rule: Rule::Name(NameRule {
            min: 1,
            max: 512,
            chars: "[A-Za-z0-9_./#-]",
            form: "[A-Za-z0-9_./#-]+",
            not_prefixes: &["aws/"],
            not_prefixes_any_case: &[],
            max_levels: None,
        }),
        source: "Amazon CloudWatch Logs API reference: CreateLogGroup, logGroupName",
        models: &[Model {
            service: "logs",
            shape: "CreateLogGroupRequest",
            member: "logGroupName",
            says: &["Log group names can't start with the string aws/"],
        }],
        note: "the model's LogGroupName carries the length and characters; that a name may not start with aws/ is only in CreateLogGroup's documentation",
    },
    Row {
        id: "ec2.security_group_name",
        what: "a security group name",
        words: "1 to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, not starting with sg-",
        rule: Rule::Name(NameRule {
            min: 1,
            max: 255,
            chars: r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]",
            form: r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+",
            not_prefixes: &["sg-"],
            not_prefixes_any_case: &[],
            max_levels: None,
        }),
        source: "Amazon EC2 API reference: CreateSecurityGroup, GroupName (in a VPC)",
        models: &[Model {
            service: "ec2",
            shape: "CreateSecurityGroupRequest",
            member: "GroupName",
            says: &[
                "Up to 255 characters in length",
                "Can't start with sg-",
                "Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*",
            ],
        }],
        note: "the model's shape is a plain string: the rule is only in its documentation",
    },
    Row {
        id: "ecr.repository_name",
        what: "an ECR repository name",
        words: "2 to 256 lowercase letters and digits, in parts joined by ., _, __, hyphens or /, e.g. comafi or team/comafi",
        rule: Rule::Name(NameRule {
            min: 2,
            max: 256,
            chars: "[a-z0-9._/-]",
            form: r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*",
            not_prefixes: &[],
            not_prefixes_any_case: &[],
            max_levels: None,
        }),
        source: "Amazon ECR API reference: CreateRepository, repositoryName",
        models: &[Model { service: "ecr", shape: "CreateRepositoryRequest", member: "repositoryName", says: &[] }],
        note: "the model's RepositoryName carries it (min 2, max 256, a pattern); its documentation also says a name starts with a letter, which its pattern does not require: the pattern is followed",
    },
    Row {
        id: "ecs.cluster_name",
        what: "an ECS cluster name",
        words: ECS_NAME_WORDS,
        rule: Rule::Name(ECS_NAME),
        source: "Amazon ECS API reference: CreateCluster, clusterName",
        models: &[Model { service: "ecs", shape: "CreateClusterRequest", member: "clusterName", says: ECS_NAME_SAYS }],
        note: ECS_NAME_NOTE,
    },
    Row {
        id: "ecs.service_name",
        what: "an ECS service name",
        words: ECS_NAME_WORDS,
        rule: Rule::Name(ECS_NAME),
        source: "Amazon ECS API reference: CreateService, serviceName",
        models: &[Model { service: "ecs", shape: "CreateServiceRequest", member: "serviceName", says: ECS_NAME_SAYS }],
        note: ECS_NAME_NOTE,
    },
    Row {
        id: "ecs.task_family",
        what: "a task definition family",
        words: ECS_NAME_WORDS,
        rule: Rule::Name(ECS_NAME),
        source: "Amazon ECS API reference: RegisterTaskDefinition, family",
        models: &[Model {
            service: "ecs",
            shape: "RegisterTaskDefinitionRequest",
            member: "family",
            says: ECS_NAME_SAYS,
        }],
        note: ECS_NAME_NOTE,
    },
    Row {
        id: "ecs.container_name",
        what: "a container name",
        words: ECS_NAME_WORDS,
        rule: Rule::Name(ECS_NAME),
        source: "Amazon ECS API reference: ContainerDefinition, name",
        models: &[Model { service: "ecs", shape: "ContainerDefinition", member: "name", says: ECS_NAME_SAYS }],
        note: ECS_NAME_NOTE,
    },
    Row {
        id: "ecs.task_definition_size",
        what: "a task definition",
        words: "at most 65,536 bytes (64 KiB) of JSON",
        rule: Rule::Bytes(65_536),
        source: "Amazon ECS developer guide: Amazon ECS service quotas, Task definition size (64 KiB, not adjustable)",
        models: &[],
        note: "a service quota, in no API model. The guide said 32 KiB until January 2021 (awsdocs/amazon-ecs-developer-guide#149, where ECS answered a larger one \"Actual length: '66420'. Max allowed length is '65536' bytes.\"); counted as the compact JSON of the rendered task definition, the fields RegisterTaskDefinition sends",
    },
    Row {
        id: "fargate.task_size",
        what: "a Fargate task size",
        words: "task_cpu 256 takes task_memory 512, 1024 or 2048; 512: 1024 to 4096; 1024: 2048 to 8192; 2048: 4096 to 16384; 4096: 8192 to 30720 (1024 MiB steps); 8192: 16384 to 61440 in 4096 MiB steps; 16384: 32768 to 122880 in 8192 MiB steps (these two on Linux platform version 1.4.0 or later)",
        rule: Rule::TaskSizes(&[
            TaskSize { cpu: 256, memory: Memory::Listed(&[512, 1024, 2048]), platform: None },
            TaskSize { cpu: 512, memory: Memory::Steps { min: 1024, max: 4096, step: 1024 }, platform: None },
            TaskSize { cpu: 1024, memory: Memory::Steps { min: 2048, max: 8192, step: 1024 }, platform: None },
            TaskSize { cpu: 2048, memory: Memory::Steps { min: 4096, max: 16384, step: 1024 }, platform: None },
            TaskSize { cpu: 4096, memory: Memory::Steps { min: 8192, max: 30720, step: 1024 }, platform: None },
            TaskSize {
                cpu: 8192,
                memory: Memory::Steps { min: 16384, max: 61440, step: 4096 },
                platform: Some("1.4.0"),
            },
            TaskSize {
                cpu: 16384,
                memory: Memory::Steps { min: 32768, max: 122880, step: 8192 },
                platform: Some("1.4.0"),
            },
        ]),
        source: "Amazon ECS developer guide: Task definition parameters for Fargate, Task size; Amazon ECS API reference: RegisterTaskDefinition, memory",
        models: &[Model {
            service: "ecs",
            shape: "RegisterTaskDefinitionRequest",
            member: "memory",
            says: &["This option requires Linux platform 1.4.0 or later"],
        }],
        note: "the model's memory is a plain string; its documentation lists the pairs, which tests/limits.rs reads and compares",
    },
    Row {
        id: "fargate.spot_architecture",
        what: "a task on FARGATE_SPOT",
        words: "FARGATE_SPOT runs Linux tasks: X86_64 on platform version 1.3.0 or later, ARM64 on 1.4.0 or later",
        rule: Rule::Spot(&[("X86_64", "1.3.0"), ("ARM64", "1.4.0")]),
        source: "Amazon ECS API reference: CapacityProviderStrategyItem",
        models: &[Model {
            service: "ecs",
            shape: "CapacityProviderStrategyItem",
            member: "",
            says: &[
                "FARGATE_SPOT supports Linux tasks with the X86_64 architecture on platform version 1.3.0 or later",
                "FARGATE_SPOT supports Linux tasks with the ARM64 architecture on platform version 1.4.0 or later",
            ],
        }],
        note: "the developer guide's page on Fargate capacity providers still says ARM64 tasks cannot use Fargate Spot; the API reference allows it from platform version 1.4.0, and is followed. A guard: preflight's service always runs with launchType FARGATE and no capacity provider strategy (src/kinds/ecs/service.rs), so there is no input to check; tests/limits.rs fails when that changes",
    },
];

/// The row with this id.
pub fn row(id: &str) -> &'static Row {
    TABLE.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no limits row {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::limits::names::{NAMED, whole};
    use crate::engine::template;

    #[test]
    fn every_row_names_its_source_and_every_named_row_exists() {
        let mut ids = std::collections::BTreeSet::new();
        for r in TABLE {
            assert!(ids.insert(r.id), "row {} is twice in the table", r.id);
            assert!(!r.source.is_empty() && !r.words.is_empty() && !r.what.is_empty(), "{r:?}");
            if let Rule::Name(n) = &r.rule {
                whole(n.chars);
                whole(n.form);
                assert!(n.min >= 1 && n.min <= n.max, "{r:?}");
            }
        }
        for n in NAMED {
            row(n.row);
            assert!(template::names(n.name).is_ok_and(|names| !names.is_empty()), "{n:?}");
        }
    }
}
