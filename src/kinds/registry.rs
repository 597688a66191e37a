//! The one table of action and probe kinds. The loader checks checklist files
//! against it; the runner dispatches through it. Adding a kind: one line here.

use super::bedrock::{access as bedrock_access, invoke, model, use_case};
use super::ec2::network;
use super::ecr::{image, repository};
use super::ecs::{cluster, image as ecs_image, role, service, task};
use super::iam::execution;
use super::iam::{allows, attach, oidc, policy, principal};
use super::kind::{Kind, Run, check, parse};
use super::secrets::{access, parameter, secret};
use super::{elb, http, logs};
use super::{github, manual};
use crate::BoxFut;
use crate::aws::error::AwsError;
use crate::aws::exec::Exec;
use crate::engine::model::{Catalog, KindError, Role};
use crate::engine::outcome::ProbeResult;

macro_rules! action {
    ($name:literal, $summary:literal, $module:ident :: $func:ident) => {
        action!($name, $summary, $module::$func, $module::Params)
    };
    ($name:literal, $summary:literal, $module:ident :: $func:ident, $params:ty) => {{
        fn run(x: &mut Exec, t: toml::Table) -> BoxFut<'_, Result<(), AwsError>> {
            Box::pin(async move { $module::$func(x, parse::<$params>(&t).map_err(AwsError::other)?).await })
        }
        Kind { name: $name, summary: $summary, check: check::<$params>, run: Run::Action(run) }
    }};
}

macro_rules! probe {
    ($name:literal, $summary:literal, $module:ident :: $func:ident) => {
        probe!($name, $summary, $module::$func, $module::Params)
    };
    ($name:literal, $summary:literal, $module:ident :: $func:ident, $params:ty) => {{
        fn run(x: &mut Exec, id: String, t: toml::Table) -> BoxFut<'_, Result<ProbeResult, AwsError>> {
            Box::pin(async move { $module::$func(x, id, parse::<$params>(&t).map_err(AwsError::other)?).await })
        }
        Kind { name: $name, summary: $summary, check: check::<$params>, run: Run::Probe(run) }
    }};
}

pub static KINDS: &[Kind] = &[
    action!(
        "iam.ensure_policy",
        "customer-managed policy with the asset's document (new default version when it differs, oldest pruned at 5)",
        policy::ensure
    ),
    action!("iam.ensure_principal", "IAM role (with its trust policy) or user", principal::ensure),
    action!("iam.attach_policy", "managed policy attached to a role or user", attach::ensure),
    action!(
        "iam.ensure_attached_policy",
        "customer-managed policy from an asset, attached to a role or user",
        attach::ensure_with_policy,
        attach::PolicyParams
    ),
    action!(
        "iam.ensure_oidc_provider",
        "the account's OIDC identity provider (adopted when present; client id added when missing)",
        oidc::ensure_provider,
        oidc::ProviderParams
    ),
    action!(
        "iam.ensure_oidc_role",
        "a role only one GitHub repository and ref may assume through OIDC",
        oidc::ensure_role_for,
        oidc::RoleParams
    ),
    probe!("iam.policy_grants", "the managed policy grants exactly the asset's permissions", policy::grants),
    probe!("iam.principal", "the role or user exists and the role trusts the asset's services", principal::probe),
    probe!(
        "iam.allows",
        "every required permission is effective for the principal (local evaluation; --deep adds IAM's simulator)",
        allows::probe
    ),
    action!(
        "bedrock.ensure_use_case",
        "Anthropic's use-case form for the account, submitted once",
        use_case::ensure,
        use_case::Params
    ),
    action!(
        "bedrock.ensure_agreement",
        "the model's agreement, from its offer",
        bedrock_access::ensure_agreement,
        bedrock_access::AgreementParams
    ),
    probe!(
        "iam.caller_allows",
        "the caller (whoever runs preflight) holds the required permissions; manual when its policies cannot be read",
        allows::probe_caller,
        allows::CallerParams
    ),
    probe!(
        "bedrock.model",
        "the model exists and is ACTIVE in the region for on-demand use (else: where it is, or which inference profile)",
        model::probe,
        model::Params
    ),
    probe!(
        "bedrock.availability",
        "authorization, entitlement, agreement and region availability, re-checked while access propagates",
        bedrock_access::probe_availability,
        bedrock_access::AvailabilityParams
    ),
    probe!("bedrock.use_case", "Anthropic's use-case form was submitted", use_case::probe, use_case::Check),
    probe!("bedrock.invoke", "one Converse call with maxTokens 1 (opt-in: --invoke)", invoke::probe),
    probe!(
        "iam.oidc_provider",
        "the OIDC provider exists and accepts the client id",
        oidc::probe_provider,
        oidc::ProviderParams
    ),
    probe!(
        "iam.oidc_trust",
        "the role's trust policy admits exactly the configured repository and ref, with the right audience",
        oidc::probe_trust,
        oidc::RoleParams
    ),
    action!(
        "ecr.ensure_repository",
        "ECR repository with scan on push and a lifecycle rule keeping the newest N images (adopted; only what differs changes)",
        repository::ensure
    ),
    probe!("ecr.repository", "the ECR repository exists", repository::probe_exists, repository::Name),
    probe!("ecr.scan_on_push", "the repository scans images on push (or not), as asked", repository::probe_scan),
    probe!("ecr.lifecycle", "the repository's lifecycle policy keeps the newest N images", repository::probe_lifecycle),
    action!(
        "ecr.push_image",
        "an image pushed over the registry API: platform gate first, then only the blobs the registry lacks, then the tag",
        image::push
    ),
    probe!(
        "ecr.image_tag",
        "the tag resolves in the registry, to the source's image when the source is at hand",
        image::probe_tag
    ),
    probe!(
        "ecr.image_platform",
        "the image under the tag runs on the platform (for an index: one of its entries)",
        image::probe_platform,
        image::PlatformParams
    ),
    action!(
        "secrets.ensure_secret",
        "a secret of the profile's [[secrets]]: created when missing, a new version only when its value differs",
        secret::ensure
    ),
    probe!(
        "secrets.secret_value",
        "the secret has a non-empty current value (every key of a JSON secret)",
        secret::probe,
        secret::Check
    ),
    action!(
        "ssm.ensure_parameter",
        "a parameter of the profile's [[parameters]]: put when missing or different",
        parameter::ensure
    ),
    probe!(
        "ssm.parameter",
        "the parameter exists with its type (and its value, when the profile has it)",
        parameter::probe,
        parameter::Check
    ),
    action!(
        "secrets.ensure_read_access",
        "each reader role may read exactly the listed secrets, parameters and keys (the execution role created when missing)",
        access::ensure
    ),
    probe!(
        "secrets.readers",
        "the execution or task role may read every secret and parameter it must (local evaluation of its policies)",
        access::probe,
        access::ReaderParams
    ),
    action!("ecs.ensure_cluster", "ECS cluster with the FARGATE and FARGATE_SPOT capacity providers", cluster::ensure),
    probe!("ecs.cluster", "the cluster is ACTIVE", cluster::probe),
    action!("logs.ensure_log_group", "CloudWatch log group with its retention", logs::ensure),
    probe!("logs.log_group", "the log group exists", logs::probe_exists, logs::Params),
    probe!("logs.retention", "the log group keeps its logs as long as asked", logs::probe_retention, logs::Params),
    action!(
        "iam.ensure_execution_role",
        "ECS task execution role trusted by ecs-tasks.amazonaws.com, with AmazonECSTaskExecutionRolePolicy",
        execution::ensure
    ),
    probe!(
        "ecs.execution_permissions",
        "the execution role may pull the image, write the logs and read the task's secrets (local evaluation)",
        role::probe
    ),
    action!(
        "ecs.ensure_task_definition",
        "task definition from an asset, with the profile's variables; a new revision only when the latest differs",
        task::ensure
    ),
    probe!("ecs.task_definition", "the family's latest revision is the one wanted", task::probe),
    probe!(
        "ecs.image_platform",
        "the task's image is in ECR and runs on the tasks' CPU architecture, which agrees with ecr-push's platform",
        ecs_image::probe
    ),
    action!(
        "ec2.ensure_network",
        "the tasks' subnets and security group (only the load balancer may reach them)",
        network::ensure
    ),
    probe!("ec2.network", "the subnets exist and the tasks' group lets in only what it should", network::probe),
    action!(
        "elb.ensure_load_balancer",
        "internet-facing ALB, target group (ip targets, health path) and listener on 80 (adopted by name)",
        elb::ensure
    ),
    probe!("elb.load_balancer", "the load balancer, its target group and its listener", elb::probe),
    action!(
        "ecs.ensure_service",
        "Fargate service on the newest revision with a circuit breaker, then the deployment watched until stable",
        service::ensure
    ),
    probe!(
        "ecs.service",
        "the service is ACTIVE, on the newest revision, running as many tasks as desired, deployed",
        service::probe,
        service::Check
    ),
    probe!("http.health", "the application answers its health check (2xx within 5 s)", http::probe),
    probe!("github.secret", "a GitHub Actions secret exists (gh CLI; manual without it)", github::probe),
    probe!("manual.confirm", "a check only a person can make, settled by `preflight confirm`", manual::probe),
];

pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

pub struct Registry;

impl Catalog for Registry {
    fn check(&self, role: Role, kind: &str, params: &toml::Table) -> Result<Vec<String>, KindError> {
        let same_role =
            |k: &&Kind| matches!((&k.run, role), (Run::Action(_), Role::Action) | (Run::Probe(_), Role::Probe));
        let Some(k) = KINDS.iter().filter(same_role).find(|k| k.name == kind) else {
            return Err(KindError::Unknown { known: KINDS.iter().filter(same_role).map(|k| k.name).collect() });
        };
        (k.check)(params).map_err(KindError::Params)
    }
}
