//! The service as the profile means it ([`Want`]): the newest revision, the
//! desired count, the network (subnets, security groups, public IP), the load
//! balancer, the platform version, the circuit breaker with rollback, the
//! health-check grace period; how a service differs from it, setting by
//! setting ([`compare`]), for the probe to name and for the action to apply
//! with an UpdateService of exactly those settings ([`update`]).
//!
//! What the API does not report cannot be compared: it is said so (moto
//! drops the deployment configuration and the grace period a service was
//! created with; ECS reports both).

use aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, LoadBalancer,
    NetworkConfiguration, Service,
};

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::aws::exec::Later;

/// What the profile says the service is.
#[derive(Debug, Clone)]
pub struct Want {
    pub revision: Later<String>,
    /// The roles the revision names (handed to ECS: iam:PassRole).
    pub roles: Vec<String>,
    pub desired: i32,
    pub subnets: Vec<String>,
    pub groups: Vec<Later<String>>,
    pub public_ip: bool,
    /// The target group, with preflight's load balancer or the operator's.
    pub target_group: Option<Later<String>>,
    pub container_name: String,
    pub container_port: i32,
    pub platform_version: String,
    /// Only with a load balancer (ECS refuses it without one).
    pub grace: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Revision,
    DesiredCount,
    Network,
    LoadBalancer,
    PlatformVersion,
    CircuitBreaker,
    Grace,
}

impl Setting {
    pub fn name(self) -> &'static str {
        match self {
            Setting::Revision => "revision",
            Setting::DesiredCount => "desired count",
            Setting::Network => "network",
            Setting::LoadBalancer => "load balancer",
            Setting::PlatformVersion => "platform version",
            Setting::CircuitBreaker => "circuit breaker",
            Setting::Grace => "health-check grace period",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub setting: Setting,
    pub have: String,
    pub want: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} → {}", self.setting.name(), self.have, self.want)
    }
}

/// A service compared with what is wanted.
#[derive(Debug, Default)]
pub struct Compared {
    pub differences: Vec<Difference>,
    /// Settings the API did not report: not compared.
    pub unreported: Vec<&'static str>,
    /// Application Auto Scaling owns the desired count: its range.
    pub scaled: Option<(i32, i32)>,
}

impl Compared {
    /// What was not compared, as a sentence to append (empty when everything was).
    pub fn caveats(&self) -> String {
        let mut out = Vec::new();
        if let Some((min, max)) = self.scaled {
            out.push(format!("the desired count is Application Auto Scaling's ({min} to {max}): left to it"));
        }
        if !self.unreported.is_empty() {
            out.push(format!("not reported by the API, so not compared: {}", self.unreported.join(", ")));
        }
        if out.is_empty() { String::new() } else { format!(" ({})", out.join("; ")) }
    }
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    v
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

/// How a service differs from what is wanted, setting by setting.
pub fn compare(s: &Service, w: &Want, scaled: Option<(i32, i32)>) -> Compared {
    let mut c = Compared { scaled, ..Default::default() };
    let mut differ = |setting, have: String, want: String| c.differences.push(Difference { setting, have, want });
    let runs = s.task_definition().unwrap_or("none").to_string();
    if w.revision.known() != Some(&runs) {
        differ(Setting::Revision, runs, w.revision.to_string());
    }
    if scaled.is_none() && s.desired_count() != w.desired {
        differ(Setting::DesiredCount, s.desired_count().to_string(), w.desired.to_string());
    }
    let vpc = s.network_configuration().and_then(|n| n.awsvpc_configuration());
    let have_net = match vpc {
        Some(v) => format!(
            "subnets {}; groups {}; public IP {}",
            list(&sorted(v.subnets().iter().cloned())),
            list(&sorted(v.security_groups().iter().cloned())),
            if v.assign_public_ip() == Some(&AssignPublicIp::Enabled) { "ENABLED" } else { "DISABLED" }
        ),
        None => "none (not awsvpc)".into(),
    };
    let want_net = format!(
        "subnets {}; groups {}; public IP {}",
        list(&sorted(w.subnets.iter().cloned())),
        list(&sorted(w.groups.iter().map(ToString::to_string))),
        if w.public_ip { "ENABLED" } else { "DISABLED" }
    );
    // A group not made yet is in no service: the network differs.
    let pending = w.groups.iter().any(|g| g.known().is_none());
    if pending || have_net != want_net {
        differ(Setting::Network, have_net, want_net);
    }
    let have_lb = sorted(s.load_balancers().iter().map(|l| {
        format!(
            "{} → {}:{}",
            l.target_group_arn().unwrap_or("?"),
            l.container_name().unwrap_or("?"),
            l.container_port().unwrap_or(0)
        )
    }));
    let want_lb: Vec<String> =
        w.target_group.iter().map(|tg| format!("{tg} → {}:{}", w.container_name, w.container_port)).collect();
    let tg_pending = w.target_group.as_ref().is_some_and(|t| t.known().is_none());
    if tg_pending || have_lb != want_lb {
        differ(Setting::LoadBalancer, list(&have_lb), list(&want_lb));
    }
    match s.platform_version() {
        Some(v) if v != w.platform_version => {
            differ(Setting::PlatformVersion, v.to_string(), w.platform_version.clone())
        }
        Some(_) => {}
        None => c.unreported.push(Setting::PlatformVersion.name()),
    }
    match s.deployment_configuration().map(|d| d.deployment_circuit_breaker()) {
        Some(Some(b)) if b.enable() && b.rollback() => {}
        Some(b) => differ(
            Setting::CircuitBreaker,
            b.map_or("off".into(), |b| format!("enable {}, rollback {}", b.enable(), b.rollback())),
            "enable true, rollback true".into(),
        ),
        None => c.unreported.push(Setting::CircuitBreaker.name()),
    }
    if let Some(g) = w.grace {
        match s.health_check_grace_period_seconds() {
            Some(h) if h == g => {}
            Some(h) => differ(Setting::Grace, format!("{h} s"), format!("{g} s")),
            None => c.unreported.push(Setting::Grace.name()),
        }
    }
    c
}

pub fn network(w: &Want) -> Result<NetworkConfiguration, AwsError> {
    let awsvpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(w.subnets.clone()))
        .set_security_groups(Some(w.groups.iter().map(Later::wire).collect()))
        .assign_public_ip(if w.public_ip { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled })
        .build()
        .map_err(|e| AwsError::other(e.to_string()))?;
    Ok(NetworkConfiguration::builder().awsvpc_configuration(awsvpc).build())
}

pub fn load_balancers(w: &Want) -> Vec<LoadBalancer> {
    w.target_group
        .iter()
        .map(|tg| {
            LoadBalancer::builder()
                .target_group_arn(tg.wire())
                .container_name(&w.container_name)
                .container_port(w.container_port)
                .build()
        })
        .collect()
}

pub fn deployment() -> DeploymentConfiguration {
    let breaker = DeploymentCircuitBreaker::builder().enable(true).rollback(true).build();
    DeploymentConfiguration::builder().deployment_circuit_breaker(breaker).build()
}

/// An UpdateService of exactly the settings that differ.
pub fn update(
    mut call: UpdateServiceFluentBuilder,
    w: &Want,
    differences: &[Difference],
) -> Result<UpdateServiceFluentBuilder, AwsError> {
    for d in differences {
        call = match d.setting {
            Setting::Revision => call.task_definition(w.revision.wire()),
            Setting::DesiredCount => call.desired_count(w.desired),
            Setting::Network => call.network_configuration(network(w)?),
            Setting::LoadBalancer => call.set_load_balancers(Some(load_balancers(w))),
            Setting::PlatformVersion => call.platform_version(&w.platform_version),
            Setting::CircuitBreaker => call.deployment_configuration(deployment()),
            Setting::Grace => call.set_health_check_grace_period_seconds(w.grace),
        };
    }
    Ok(call)
}

/// Application Auto Scaling's range for the service's desired count, when it owns it.
pub async fn scaled(x: &Exec, cluster: &str, service: &str) -> Result<Option<(i32, i32)>, AwsError> {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    let id = format!("service/{cluster}/{service}");
    let op = Op::new("application-autoscaling", "DescribeScalableTargets", "*");
    let out = x
        .read(
            op,
            x.aws
                .autoscaling()
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_ids(&id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send(),
        )
        .await?;
    Ok(out.scalable_targets().iter().find(|t| t.resource_id() == id).map(|t| (t.min_capacity(), t.max_capacity())))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{DeploymentConfiguration, LoadBalancer, NetworkConfiguration};

    use super::*;
    use crate::aws::exec::Pending;

    fn want() -> Want {
        Want {
            revision: Later::Known("td:2".into()),
            roles: Vec::new(),
            desired: 1,
            subnets: vec!["subnet-a".into(), "subnet-b".into()],
            groups: vec![Later::Known("sg-1".into())],
            public_ip: true,
            target_group: Some(Later::Known("tg".into())),
            container_name: "app".into(),
            container_port: 8000,
            platform_version: "LATEST".into(),
            grace: Some(60),
        }
    }

    fn service(w: &Want) -> Service {
        Service::builder()
            .task_definition("td:2")
            .desired_count(1)
            .network_configuration(network(w).unwrap())
            .set_load_balancers(Some(load_balancers(w)))
            .platform_version("LATEST")
            .deployment_configuration(deployment())
            .health_check_grace_period_seconds(60)
            .build()
    }

    #[test]
    fn every_setting_is_compared_and_only_what_differs_is_named() {
        let w = want();
        assert!(compare(&service(&w), &w, None).differences.is_empty());
        let changed = Service::builder()
            .task_definition("td:2")
            .desired_count(2)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .subnets("subnet-b")
                            .subnets("subnet-a")
                            .security_groups("sg-1")
                            .assign_public_ip(AssignPublicIp::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .load_balancers(
                LoadBalancer::builder().target_group_arn("tg").container_name("app").container_port(8000).build(),
            )
            .platform_version("1.3.0")
            .deployment_configuration(DeploymentConfiguration::builder().build())
            .health_check_grace_period_seconds(0)
            .build();
        let c = compare(&changed, &w, None);
        let names: Vec<&str> = c.differences.iter().map(|d| d.setting.name()).collect();
        assert_eq!(
            names,
            vec!["desired count", "network", "platform version", "circuit breaker", "health-check grace period"]
        );
        assert_eq!(c.differences[0].to_string(), "desired count 2 → 1");
        // Auto Scaling owns the count; what the API leaves out is said, not compared.
        let bare = Service::builder().task_definition("td:2").desired_count(5).build();
        let c = compare(&bare, &w, Some((1, 8)));
        assert!(c.differences.iter().all(|d| d.setting != Setting::DesiredCount));
        assert!(c.caveats().contains("Application Auto Scaling's (1 to 8)"));
        assert!(c.caveats().contains("circuit breaker, health-check grace period"));
    }

    #[test]
    fn a_group_made_later_in_the_plan_is_a_difference() {
        let mut w = want();
        let s = service(&w);
        w.groups = vec![Later::After(Pending { what: "security group a-ecs".into(), step: "network".into() })];
        let c = compare(&s, &w, None);
        assert_eq!(c.differences[0].setting, Setting::Network);
        assert!(c.differences[0].want.contains("(the security group a-ecs made by step network)"));
    }
}
