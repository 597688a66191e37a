//! The one table of action and probe kinds. The loader checks checklist files
//! against it; the runner dispatches through it. Adding a kind: one line here.
//! Below it, the table of what undoes each thing a kind makes (`destroy`).

use super::bedrock::{access as bedrock_access, invoke, model, use_case};
use super::ec2::network;
use super::ecr::{image, repository};
use super::ecs::{cluster, image as ecs_image, in_use, role, secrets as ecs_secrets, service, task};
use super::github::{secret as gh_secret, workflow};
use super::iam::execution;
use super::iam::{allows, attach, oidc, policy, principal};
use super::kind::{Kind, Run, check, parse};
use super::manual;
use super::secrets::{access, parameter, secret};
use super::{elb, http, logs};
use crate::BoxFut;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::model::{Catalog, KindError, Role};
use crate::engine::outcome::ProbeResult;
use crate::engine::owned::Thing;
use crate::kinds::undo::{Undoing, Undone};

macro_rules! action {
    ($name:literal, $summary:literal, $module:ident :: $func:ident, calls $calls:path) => {
        action!($name, $summary, $module::$func, $module::Params, calls $calls)
    };
    ($name:literal, $summary:literal, $module:ident :: $func:ident, $params:ty, calls $calls:path) => {{
        fn run(x: &mut Exec, t: toml::Table) -> BoxFut<'_, Result<(), AwsError>> {
            Box::pin(async move { $module::$func(x, parse::<$params>(&t).map_err(AwsError::other)?).await })
        }
        fn calls(x: &Exec, t: &toml::Table) -> Result<Vec<Op>, AwsError> {
            $calls(x, &parse::<$params>(t).map_err(AwsError::other)?)
        }
        Kind { name: $name, summary: $summary, check: check::<$params>, run: Run::Action(run), calls }
    }};
}

macro_rules! probe {
    ($name:literal, $summary:literal, $module:ident :: $func:ident, calls $calls:path) => {
        probe!($name, $summary, $module::$func, $module::Params, calls $calls)
    };
    ($name:literal, $summary:literal, $module:ident :: $func:ident, $params:ty, calls $calls:path) => {{
        fn run(x: &mut Exec, id: String, t: toml::Table) -> BoxFut<'_, Result<ProbeResult, AwsError>> {
            Box::pin(async move { $module::$func(x, id, parse::<$params>(&t).map_err(AwsError::other)?).await })
        }
        fn calls(x: &Exec, t: &toml::Table) -> Result<Vec<Op>, AwsError> {
            $calls(x, &parse::<$params>(t).map_err(AwsError::other)?)
        }
        Kind { name: $name, summary: $summary, check: check::<$params>, run: Run::Probe(run), calls }
    }};
}

pub static KINDS: &[Kind] = &[
    action!(
        "iam.ensure_policy",
        "customer-managed policy with the asset's document (new default version when it differs, oldest pruned at 5)",
        policy::ensure, calls policy::ensure_calls
    ),
    action!("iam.ensure_principal", "IAM role (with its trust policy) or user", principal::ensure, calls principal::ensure_calls),
    action!("iam.attach_policy", "managed policy attached to a role or user", attach::ensure, calls attach::ensure_calls),
    action!(
        "iam.ensure_attached_policy",
        "customer-managed policy from an asset, attached to a role or user",
        attach::ensure_with_policy,
        attach::PolicyParams, calls attach::ensure_with_policy_calls
    ),
    action!(
        "iam.ensure_oidc_provider",
        "the account's OIDC identity provider (adopted when present; client id added when missing)",
        oidc::ensure_provider,
        oidc::ProviderParams, calls oidc::ensure_provider_calls
    ),
    action!(
        "iam.ensure_oidc_role",
        "a role only one GitHub repository and ref may assume through OIDC",
        oidc::ensure_role_for,
        oidc::RoleParams, calls oidc::ensure_role_for_calls
    ),
    probe!("iam.policy_grants", "the managed policy grants exactly the asset's permissions", policy::grants, calls policy::grants_calls),
    probe!("iam.principal", "the role or user exists and the role trusts the asset's services", principal::probe, calls principal::probe_calls),
    probe!(
        "iam.allows",
        "every required permission is effective for the principal (local evaluation; --deep adds IAM's simulator)",
        allows::probe, calls allows::probe_calls
    ),
    action!(
        "bedrock.ensure_use_case",
        "Anthropic's use-case form for the account, submitted once",
        use_case::ensure,
        use_case::Params, calls use_case::ensure_calls
    ),
    action!(
        "bedrock.ensure_agreement",
        "the model's agreement, from its offer",
        bedrock_access::ensure_agreement,
        bedrock_access::AgreementParams, calls bedrock_access::ensure_agreement_calls
    ),
    probe!(
        "iam.caller_allows",
        "the caller (whoever runs preflight) holds the required permissions; manual when its policies cannot be read",
        allows::probe_caller,
        allows::CallerParams, calls allows::probe_caller_calls
    ),
    probe!(
        "bedrock.model",
        "the model exists and is ACTIVE in the region for on-demand use (else: where it is, or which inference profile)",
        model::probe,
        model::Params, calls model::probe_calls
    ),
    probe!(
        "bedrock.availability",
        "authorization, entitlement, agreement and region availability, re-checked while access propagates",
        bedrock_access::probe_availability,
        bedrock_access::AvailabilityParams, calls bedrock_access::probe_availability_calls
    ),
    probe!("bedrock.use_case", "Anthropic's use-case form was submitted", use_case::probe, use_case::Check, calls use_case::probe_calls),
    probe!("bedrock.invoke", "one Converse call with maxTokens 1 (opt-in: --invoke)", invoke::probe, calls invoke::probe_calls),
    probe!(
        "iam.oidc_provider",
        "the OIDC provider exists and accepts the client id",
        oidc::probe_provider,
        oidc::ProviderParams, calls oidc::probe_provider_calls
    ),
    probe!(
        "iam.oidc_trust",
        "the role's trust policy admits exactly the configured repository and ref, with the right audience",
        oidc::probe_trust,
        oidc::RoleParams, calls oidc::probe_trust_calls
    ),
    action!(
        "ecr.ensure_repository",
        "ECR repository with scan on push and a lifecycle rule keeping the newest N images (adopted; only what differs changes)",
        repository::ensure, calls repository::ensure_calls
    ),
    probe!("ecr.repository", "the ECR repository exists", repository::probe_exists, repository::Name, calls repository::probe_exists_calls),
    probe!("ecr.scan_on_push", "the repository scans images on push (or not), as asked", repository::probe_scan, calls repository::probe_scan_calls),
    probe!("ecr.lifecycle", "the repository's lifecycle policy keeps the newest N images", repository::probe_lifecycle, calls repository::probe_lifecycle_calls),
    action!(
        "ecr.push_image",
        "an image pushed over the registry API: platform gate first, then only the blobs the registry lacks, then the tag",
        image::push, calls image::push_calls
    ),
    probe!(
        "ecr.image_tag",
        "the tag resolves in the registry, to the source's image when the source is at hand",
        image::probe_tag, calls image::probe_tag_calls
    ),
    probe!(
        "ecr.image_platform",
        "the image under the tag runs on the platform (for an index: one of its entries)",
        image::probe_platform,
        image::PlatformParams, calls image::probe_platform_calls
    ),
    action!(
        "secrets.ensure_secret",
        "a secret of the profile's [[secrets]]: created when missing, a new version only when its value differs",
        secret::ensure, calls secret::ensure_calls
    ),
    probe!(
        "secrets.secret_value",
        "the secret has a non-empty current value (every key of a JSON secret)",
        secret::probe,
        secret::Check, calls secret::probe_calls
    ),
    action!(
        "ssm.ensure_parameter",
        "a parameter of the profile's [[parameters]]: put when missing or different",
        parameter::ensure, calls parameter::ensure_calls
    ),
    probe!(
        "ssm.parameter",
        "the parameter exists with its type (and its value, when the profile has it)",
        parameter::probe,
        parameter::Check, calls parameter::probe_calls
    ),
    action!(
        "secrets.ensure_read_access",
        "each reader role may read exactly the listed secrets, parameters and keys (the execution role created when missing)",
        access::ensure, calls access::ensure_calls
    ),
    probe!(
        "secrets.readers",
        "the execution or task role may read every secret and parameter it must (local evaluation of its policies)",
        access::probe,
        access::ReaderParams, calls access::probe_calls
    ),
    action!("ecs.ensure_cluster", "ECS cluster with the FARGATE and FARGATE_SPOT capacity providers", cluster::ensure, calls cluster::ensure_calls),
    probe!("ecs.cluster", "the cluster is ACTIVE", cluster::probe, calls cluster::probe_calls),
    action!("logs.ensure_log_group", "CloudWatch log group with its retention", logs::ensure, calls logs::ensure_calls),
    probe!("logs.log_group", "the log group exists", logs::probe_exists, logs::Params, calls logs::probe_exists_calls),
    probe!("logs.retention", "the log group keeps its logs as long as asked", logs::probe_retention, logs::Params, calls logs::probe_retention_calls),
    action!(
        "iam.ensure_execution_role",
        "ECS task execution role trusted by ecs-tasks.amazonaws.com, with AmazonECSTaskExecutionRolePolicy",
        execution::ensure, calls execution::ensure_calls
    ),
    probe!(
        "ecs.execution_permissions",
        "the execution role may pull the image, write the logs and read the task's secrets (local evaluation)",
        role::probe, calls role::probe_calls
    ),
    action!(
        "ecs.ensure_task_definition",
        "task definition from an asset, with the profile's variables; a new revision only when the latest differs",
        task::ensure, calls task::ensure_calls
    ),
    probe!("ecs.task_definition", "the family's latest revision is the one wanted", task::probe, calls task::probe_calls),
    probe!(
        "ecs.image_platform",
        "the task's image is in ECR and runs on the tasks' CPU architecture, which agrees with ecr-push's platform",
        ecs_image::probe, calls ecs_image::probe_calls
    ),
    probe!(
        "ecs.container_secrets",
        "every secret and parameter the container reads exists, is not being deleted, and holds the key it names",
        ecs_secrets::probe, calls ecs_secrets::probe_calls
    ),
    action!(
        "ec2.ensure_network",
        "the tasks' subnets and security group (only the load balancer may reach them)",
        network::ensure, calls network::ensure_calls
    ),
    probe!("ec2.network", "the subnets exist and the tasks' group lets in only what it should", network::probe, calls network::probe_calls),
    probe!(
        "ecs.network_in_use",
        "the subnets and security groups the service runs in let in what they should (not only the ones preflight named)",
        in_use::probe, calls in_use::probe_calls
    ),
    action!(
        "elb.ensure_load_balancer",
        "internet-facing ALB, target group (ip targets, health path) and listener on 80 (adopted by name)",
        elb::ensure, calls elb::ensure_calls
    ),
    probe!("elb.load_balancer", "the load balancer, its target group and its listener", elb::probe, calls elb::probe_calls),
    action!(
        "ecs.ensure_service",
        "Fargate service on the newest revision with a circuit breaker, then the deployment watched until stable",
        service::ensure, calls service::ensure_calls
    ),
    probe!(
        "ecs.service",
        "the service is ACTIVE, on the newest revision, running as many tasks as desired, deployed, with every setting the profile gives, and no older than its image and values",
        service::probe,
        service::Params, calls service::probe_calls
    ),
    probe!("http.health", "the application answers its health check (2xx within 5 s)", http::probe, calls http::probe_calls),
    probe!("github.secret", "a GitHub Actions secret exists (gh CLI; manual without it)", gh_secret::probe, calls gh_secret::probe_calls),
    probe!(
        "github.workflow",
        "a workflow in the repository deploys the profile's service with the deploy role (file and line for each mistake)",
        workflow::probe, calls workflow::probe_calls
    ),
    action!(
        "github.write_workflow",
        "the deploy workflow, written when none in the repository deploys (never overwrites)",
        workflow::ensure, workflow::WriteParams, calls workflow::ensure_calls
    ),
    probe!("manual.confirm", "a check only a person can make, settled by `preflight confirm`", manual::probe, calls manual::probe_calls),
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

/// The one table of undo functions, by what preflight made (`destroy`).
pub fn undo<'a>(x: &'a mut Exec, thing: &'a Thing, u: &'a Undoing) -> BoxFut<'a, Result<Undone, AwsError>> {
    use super::{ec2, ecr, ecs, elb, iam, logs, secrets};
    Box::pin(async move {
        match thing {
            Thing::Service { cluster, name } => ecs::undo::service(x, cluster, name).await,
            Thing::Listener { load_balancer, port } => elb::undo::listener(x, load_balancer, port).await,
            Thing::TargetGroup { name } => elb::undo::target_group(x, name, u).await,
            Thing::LoadBalancer { name } => elb::undo::balancer(x, name, u).await,
            Thing::SecurityGroup { name, vpc } => ec2::undo::security_group(x, name, vpc).await,
            Thing::TaskFamily { family } => ecs::undo::family(x, family, u).await,
            Thing::LogGroup { name } => logs::undo::log_group(x, name).await,
            Thing::Cluster { name } => ecs::undo::cluster(x, name, u).await,
            Thing::InlinePolicy { role, name } => iam::undo::inline(x, role, name).await,
            Thing::Attachment { role, policy } => iam::undo::attachment(x, role, policy).await,
            Thing::Role { name } => iam::undo::role(x, name, u).await,
            Thing::Policy { arn } => iam::undo::policy(x, arn, u).await,
            Thing::OidcProvider { arn } => iam::undo::provider(x, arn, u).await,
            Thing::Parameter { name } => secrets::undo::parameter(x, name).await,
            Thing::Secret { name } => secrets::undo::secret(x, name, u.secret_days).await,
            Thing::Repository { name } => ecr::undo::repository(x, name).await,
        }
    })
}

/// What undoing a thing may call, whatever it finds (the check before `destroy`'s
/// first change judges these with the plan's own calls; a read the caller may not
/// make cuts a plan short, and what would have followed it is still checked).
pub fn undo_calls(x: &Exec, thing: &Thing) -> Vec<Op> {
    use super::ec2::network::ec2_arn;
    use super::ecr::repository::repo_arn;
    use super::ecs::{cluster::cluster_arn, service::service_arn};
    use super::elb::elb_arn;
    use super::iam::read::{PrincipalKind, principal_arn};
    use super::logs::group_arn;
    use super::secrets::{parameter::parameter_arn, secret::arn_pattern};
    let ops = |service: &'static str, names: &[&'static str], resource: &str| -> Vec<Op> {
        names.iter().map(|n| Op::new(service, n, resource)).collect()
    };
    let elb = "elasticloadbalancing";
    let role = |name: &str| principal_arn(x, PrincipalKind::Role, name);
    match thing {
        Thing::Service { cluster, name } => {
            ops("ecs", &["DescribeServices", "UpdateService", "DeleteService"], &service_arn(x, cluster, name))
        }
        Thing::Listener { load_balancer, .. } => {
            let mut out = ops(elb, &["DescribeListeners"], load_balancer);
            out.extend(ops(
                elb,
                &["DeleteListener"],
                &format!("{}/*", load_balancer.replace(":loadbalancer/", ":listener/")),
            ));
            out
        }
        Thing::TargetGroup { name } => {
            let mut out = ops(elb, &["DescribeTargetGroups"], &elb_arn(x, &format!("targetgroup/{name}")));
            out.extend(ops(elb, &["DeleteTargetGroup"], &elb_arn(x, &format!("targetgroup/{name}/*"))));
            out
        }
        Thing::LoadBalancer { name } => {
            let all = elb_arn(x, &format!("loadbalancer/app/{name}/*"));
            let mut out = ops(elb, &["DescribeLoadBalancers"], &elb_arn(x, &format!("loadbalancer/app/{name}")));
            out.extend(ops(elb, &["DescribeListeners", "DeleteLoadBalancer"], &all));
            out
        }
        Thing::SecurityGroup { name, .. } => {
            let mut out = ops("ec2", &["DescribeSecurityGroups"], &ec2_arn(x, &format!("security-group/{name}")));
            out.extend(ops("ec2", &["DeleteSecurityGroup"], &ec2_arn(x, "security-group/*")));
            out
        }
        Thing::TaskFamily { family } => ops(
            "ecs",
            &["ListTaskDefinitions", "DescribeTaskDefinition", "DeregisterTaskDefinition"],
            &super::ecs::task::family_arn(x, family),
        ),
        Thing::LogGroup { name } => ops("logs", &["DescribeLogGroups", "DeleteLogGroup"], &group_arn(x, name)),
        Thing::Cluster { name } => {
            let mut out = ops("ecs", &["DescribeClusters", "ListServices", "DeleteCluster"], &cluster_arn(x, name));
            out.extend(ops("ecs", &["DescribeServices"], &service_arn(x, name, "*")));
            out
        }
        Thing::InlinePolicy { role: r, .. } => ops("iam", &["GetRolePolicy", "DeleteRolePolicy"], &role(r)),
        Thing::Attachment { role: r, .. } => ops("iam", &["ListAttachedRolePolicies", "DetachRolePolicy"], &role(r)),
        Thing::Role { name } => {
            ops("iam", &["GetRole", "ListRolePolicies", "ListAttachedRolePolicies", "DeleteRole"], &role(name))
        }
        Thing::Policy { arn } => ops(
            "iam",
            &["GetPolicy", "ListEntitiesForPolicy", "ListPolicyVersions", "DeletePolicyVersion", "DeletePolicy"],
            arn,
        ),
        Thing::OidcProvider { arn } => {
            let mut out = ops("iam", &["GetOpenIDConnectProvider", "DeleteOpenIDConnectProvider"], arn);
            out.extend(ops("iam", &["ListRoles"], &role("*")));
            out
        }
        Thing::Parameter { name } => {
            let mut out = ops("ssm", &["DescribeParameters"], "*");
            out.extend(ops("ssm", &["DeleteParameter"], &parameter_arn(x, name)));
            out
        }
        Thing::Secret { name } => ops("secretsmanager", &["DescribeSecret", "DeleteSecret"], &arn_pattern(x, name)),
        Thing::Repository { name } => {
            ops("ecr", &["DescribeRepositories", "ListImages", "DeleteRepository"], &repo_arn(x, name))
        }
    }
}

/// What the account says this project's preflight made (its tags), each with
/// the checklist it names: how a destroy finds what another machine made.
pub fn tagged<'a>(x: &'a Exec, project: &'a str) -> BoxFut<'a, Result<Vec<(Thing, String)>, AwsError>> {
    use super::{ec2, ecr, ecs, elb, iam, logs, secrets};
    Box::pin(async move {
        let mut out = ecs::undo::tagged(x, project).await?;
        out.extend(elb::undo::tagged(x, project).await?);
        out.extend(ec2::undo::tagged(x, project).await?);
        out.extend(logs::undo::tagged(x, project).await?);
        out.extend(iam::undo::tagged(x, project).await?);
        out.extend(secrets::undo::tagged(x, project).await?);
        out.extend(ecr::undo::tagged(x, project).await?);
        Ok(out)
    })
}

/// What [`tagged`] may call: listings, and each listed thing's tags.
pub fn tagged_calls(x: &Exec) -> Vec<Op> {
    let (p, r, a) = (x.aws.partition(), x.aws.region.as_str(), x.aws.account_id.as_str());
    let elb = "elasticloadbalancing";
    [
        ("ecs", "ListClusters", format!("arn:{p}:ecs:{r}:{a}:cluster/*")),
        ("ecs", "DescribeClusters", format!("arn:{p}:ecs:{r}:{a}:cluster/*")),
        ("ecs", "ListServices", format!("arn:{p}:ecs:{r}:{a}:cluster/*")),
        ("ecs", "DescribeServices", format!("arn:{p}:ecs:{r}:{a}:service/*")),
        ("ecs", "ListTaskDefinitionFamilies", format!("arn:{p}:ecs:{r}:{a}:task-definition/*")),
        ("ecs", "ListTaskDefinitions", format!("arn:{p}:ecs:{r}:{a}:task-definition/*")),
        ("ecs", "DescribeTaskDefinition", format!("arn:{p}:ecs:{r}:{a}:task-definition/*")),
        (elb, "DescribeLoadBalancers", format!("arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/*")),
        (elb, "DescribeTags", format!("arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/*")),
        (elb, "DescribeListeners", format!("arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/*")),
        ("ec2", "DescribeSecurityGroups", format!("arn:{p}:ec2:{r}:{a}:security-group/*")),
        ("logs", "DescribeLogGroups", format!("arn:{p}:logs:{r}:{a}:log-group:*")),
        ("logs", "ListTagsForResource", format!("arn:{p}:logs:{r}:{a}:log-group:*")),
        ("iam", "ListRoles", format!("arn:{p}:iam::{a}:role/*")),
        ("iam", "ListRoleTags", format!("arn:{p}:iam::{a}:role/*")),
        ("iam", "ListRolePolicies", format!("arn:{p}:iam::{a}:role/*")),
        ("iam", "ListAttachedRolePolicies", format!("arn:{p}:iam::{a}:role/*")),
        ("iam", "ListPolicies", format!("arn:{p}:iam::{a}:policy/*")),
        ("iam", "ListPolicyTags", format!("arn:{p}:iam::{a}:policy/*")),
        ("iam", "ListOpenIDConnectProviders", format!("arn:{p}:iam::{a}:oidc-provider/*")),
        ("iam", "ListOpenIDConnectProviderTags", format!("arn:{p}:iam::{a}:oidc-provider/*")),
        ("secretsmanager", "ListSecrets", format!("arn:{p}:secretsmanager:{r}:{a}:secret:*")),
        ("ssm", "DescribeParameters", "*".to_string()),
        ("ssm", "ListTagsForResource", format!("arn:{p}:ssm:{r}:{a}:parameter/*")),
        ("ecr", "DescribeRepositories", format!("arn:{p}:ecr:{r}:{a}:repository/*")),
        ("ecr", "ListTagsForResource", format!("arn:{p}:ecr:{r}:{a}:repository/*")),
    ]
    .into_iter()
    .map(|(service, operation, resource)| Op::new(service, operation, resource))
    .collect()
}
