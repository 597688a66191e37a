//! Where the tasks run: the subnets (the default VPC's when none are given)
//! and the tasks' security group `PROJECT-ecs` (made when none is given),
//! whose only way in is the container port from the load balancer's group
//! `PROJECT-alb` (port 80 open to the world), never 0.0.0.0/0 when a load
//! balancer is used. `ecs.ensure_network` makes what lacks; `ecs.network`
//! checks it; `resolve` is how the other steps find it again.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, SecurityGroup, UserIdGroupPair};
use serde::Deserialize;

use crate::aws::error::{AwsError, Op};
use crate::aws::exec::{Exec, Later};
use crate::engine::outcome::{ProbeResult, Status};
use crate::kinds::kind::{KindParams, change_input};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub project: String,
    /// Comma-separated subnet ids ("" = the default VPC's).
    #[serde(default)]
    pub subnets: String,
    /// Comma-separated security group ids ("" = PROJECT-ecs, made here).
    #[serde(default)]
    pub security_groups: String,
    pub container_port: String,
    /// `create`, a target group ARN, or `none`.
    pub load_balancer: String,
    /// For the probe: `groups` (the default: what lets whom in), or `given`
    /// (the subnets and groups the profile names exist: a precondition).
    #[serde(default)]
    pub check: String,
}

impl KindParams for Params {
    fn validate(&self) -> Result<(), String> {
        match self.check.as_str() {
            "" | "groups" | "given" => Ok(()),
            other => Err(format!("`check` is groups or given, not \"{other}\"")),
        }
    }
}

/// A security group preflight names (`PROJECT-ecs`, `PROJECT-alb`): as it is
/// in the account, or made by a change planned earlier in this plan, or absent.
#[derive(Debug, Clone)]
pub enum Group {
    Found(SecurityGroup),
    /// Made by an earlier step of this plan.
    Planned(Later<String>),
    Missing,
}

impl Group {
    /// Its id: known, known after the planned change, or None when absent.
    pub fn id(&self) -> Option<Later<String>> {
        match self {
            Group::Found(g) => Some(Later::Known(g.group_id().unwrap_or_default().to_string())),
            Group::Planned(id) => Some(id.clone()),
            Group::Missing => None,
        }
    }

    /// Whether it lets in `port` from `from`; a group not made yet has no rules.
    fn lets_in(&self, port: i32, from: &Source) -> bool {
        match (self, from) {
            (Group::Found(g), Source::World) => lets_in(g, port, None, Some(WORLD)),
            (Group::Found(g), Source::Group(Later::Known(id))) => lets_in(g, port, Some(id), None),
            // A group not made yet is let in by no rule: the rule is to be made.
            (Group::Found(_), Source::Group(Later::After(_))) | (Group::Planned(_) | Group::Missing, _) => false,
        }
    }
}

/// Where the tasks are reached from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Anywhere (no load balancer, or one that is not preflight's).
    World,
    /// The load balancer's group.
    Group(Later<String>),
}

pub const WORLD: &str = "0.0.0.0/0";

/// The network the steps agree on.
pub struct Network {
    pub vpc_id: String,
    pub subnets: Vec<String>,
    /// The tasks' groups: the operator's, or PROJECT-ecs (known after the
    /// network step when a plan makes it; empty when it does not exist).
    pub task_groups: Vec<Later<String>>,
    /// PROJECT-ecs, when the operator named no groups.
    pub task_group: Group,
    /// PROJECT-alb, when a load balancer is created here.
    pub alb_group: Group,
}

/// The key under which a plan remembers a group it would make.
pub fn group_key(vpc: &str, name: &str) -> String {
    format!("ec2 security-group {vpc} {name}")
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub fn port(text: &str) -> Result<i32, AwsError> {
    text.trim().parse().map_err(|_| AwsError::other(format!("container_port must be a number, not \"{text}\"")))
}

pub fn ec2_arn(x: &Exec, what: &str) -> String {
    format!("arn:{}:ec2:{}:{}:{what}", x.aws.partition(), x.aws.region, x.aws.account_id)
}

pub async fn group_named(x: &Exec, vpc: &str, name: &str) -> Result<Option<SecurityGroup>, AwsError> {
    let ec2 = x.aws.ec2();
    let call = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send();
    let op = Op::new("ec2", "DescribeSecurityGroups", ec2_arn(x, &format!("security-group/{name}")));
    let out = x.read_once(op, &format!("group-name={name} vpc-id={vpc}"), call).await?;
    Ok(out.security_groups().first().cloned())
}

/// The shape of a `subnets` value, for a fix.
const SUBNETS: &str = "subnet-…,subnet-…";

/// The fix for subnets the profile (or `--set`) names that do not exist: the
/// input is what is wrong, and no run can make a subnet.
fn wrong_subnets(x: &Exec) -> String {
    format!("{}; or give none, for the default VPC's subnets", change_input(x, "subnets", SUBNETS))
}

/// Finds the network: the subnets (and their VPC), the tasks' groups, the load balancer's group.
pub async fn resolve(x: &Exec, p: &Params) -> Result<Network, AwsError> {
    let ec2 = x.aws.ec2();
    let given = list(&p.subnets);
    let (vpc_id, subnets) = if given.is_empty() {
        let call = ec2.describe_vpcs().filters(Filter::builder().name("isDefault").values("true").build()).send();
        let out = x.read_once(Op::new("ec2", "DescribeVpcs", ec2_arn(x, "vpc/*")), "isDefault=true", call).await?;
        let vpc = out.vpcs().first().and_then(|v| v.vpc_id()).map(str::to_string).ok_or_else(|| {
            AwsError::other(format!("{} has no default VPC", x.aws.region))
                .with_fix(format!("name the tasks' subnets: {}", change_input(x, "subnets", SUBNETS)))
        })?;
        (vpc, None)
    } else {
        let call = ec2.describe_subnets().set_subnet_ids(Some(given.clone())).send();
        let out = match x.read(Op::new("ec2", "DescribeSubnets", ec2_arn(x, "subnet/*")), call).await {
            Ok(out) => out,
            Err(e) if e.code.as_deref().is_some_and(|c| c.starts_with("InvalidSubnetID")) => {
                return Err(AwsError::other(format!(
                    "subnet {} does not exist in {} ({})",
                    given.join(", "),
                    x.aws.region,
                    e.message
                ))
                .with_fix(wrong_subnets(x)));
            }
            Err(e) => return Err(e),
        };
        let found: Vec<&str> = out.subnets().iter().filter_map(|s| s.subnet_id()).collect();
        if let Some(missing) = given.iter().find(|g| !found.contains(&g.as_str())) {
            return Err(AwsError::other(format!("subnet {missing} does not exist in {}", x.aws.region))
                .with_fix(wrong_subnets(x)));
        }
        let vpc = out.subnets().first().and_then(|s| s.vpc_id()).unwrap_or_default().to_string();
        (vpc, Some(given))
    };
    // Knowing the VPC, the rest is asked at once: its subnets (unless given) and the two groups.
    let default_subnets = async {
        if let Some(given) = &subnets {
            return Ok(given.clone());
        }
        let call = ec2.describe_subnets().filters(Filter::builder().name("vpc-id").values(&vpc_id).build()).send();
        let op = Op::new("ec2", "DescribeSubnets", ec2_arn(x, &format!("vpc/{vpc_id}")));
        let out = x.read_once(op, &format!("vpc-id={vpc_id}"), call).await?;
        let mut ids: Vec<String> = out.subnets().iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect();
        ids.sort();
        Ok::<_, AwsError>(ids)
    };
    let alb_name = format!("{}-alb", p.project);
    let alb_group = async {
        match p.load_balancer.as_str() {
            "create" => group_named(x, &vpc_id, &alb_name).await,
            _ => Ok(None),
        }
    };
    let groups = list(&p.security_groups);
    let task_name = format!("{}-ecs", p.project);
    let task_group = async {
        match groups.is_empty() {
            true => group_named(x, &vpc_id, &task_name).await,
            false => Ok(None),
        }
    };
    // Boxed: three SDK calls held inline make this future's frame large (over a megabyte
    // unoptimized), on the stack of whoever polls it.
    let (subnets, alb_group, made) = tokio::join!(Box::pin(default_subnets), Box::pin(alb_group), Box::pin(task_group));
    let (subnets, alb_group, made) = (subnets?, alb_group?, made?);
    // A group absent from the account may be one an earlier step of this plan makes.
    let group = |found: Option<SecurityGroup>, name: &str| match found {
        Some(g) => Group::Found(g),
        None => x.planned(&group_key(&vpc_id, name)).map_or(Group::Missing, Group::Planned),
    };
    let alb_group = if p.load_balancer == "create" { group(alb_group, &alb_name) } else { Group::Missing };
    let (task_groups, task_group) = if groups.is_empty() {
        let g = group(made, &task_name);
        (g.id().into_iter().collect(), g)
    } else {
        (groups.into_iter().map(Later::Known).collect(), Group::Missing)
    };
    Ok(Network { vpc_id, subnets, task_groups, task_group, alb_group })
}

/// Whether a group lets in `port` from `source` (a group id) or from `cidr`.
pub fn lets_in(g: &SecurityGroup, port: i32, source: Option<&str>, cidr: Option<&str>) -> bool {
    g.ip_permissions().iter().any(|perm| {
        let covers = perm.ip_protocol() == Some("-1")
            || (perm.from_port().is_some_and(|f| f <= port) && perm.to_port().is_some_and(|t| t >= port));
        covers
            && (source.is_some_and(|s| perm.user_id_group_pairs().iter().any(|pair| pair.group_id() == Some(s)))
                || cidr.is_some_and(|c| perm.ip_ranges().iter().any(|r| r.cidr_ip() == Some(c))))
    })
}

async fn make_group(x: &mut Exec, vpc: &str, name: &str, why: &str) -> Result<Later<String>, AwsError> {
    let ec2 = x.aws.ec2();
    let tags = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
        .set_tags(Some(
            x.tags().into_iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect(),
        ))
        .build();
    let call =
        ec2.create_security_group().group_name(name).description(why).vpc_id(vpc).tag_specifications(tags).send();
    let out = x
        .change(
            Op::new("ec2", "CreateSecurityGroup", ec2_arn(x, &format!("security-group/{name}"))),
            format!("create security group {name}: {why}"),
            call,
        )
        .await?;
    let id = out.map(|o| o.group_id).required("security group id")?.named(format!("security group {name}"));
    x.remember(&group_key(vpc, name), &id);
    Ok(id)
}

async fn open(x: &mut Exec, group: &Later<String>, name: &str, port: i32, source: &Source) -> Result<(), AwsError> {
    let ec2 = x.aws.ec2();
    let mut perm = IpPermission::builder().ip_protocol("tcp").from_port(port).to_port(port);
    let from = match source {
        Source::Group(sg) => {
            perm = perm.user_id_group_pairs(UserIdGroupPair::builder().group_id(sg.wire()).build());
            format!("from {sg}")
        }
        Source::World => {
            perm = perm.ip_ranges(IpRange::builder().cidr_ip(WORLD).build());
            format!("from {WORLD}")
        }
    };
    let call = ec2.authorize_security_group_ingress().group_id(group.wire()).ip_permissions(perm.build()).send();
    let detail = format!("let in port {port} to {name} {from}");
    x.change(
        Op::new("ec2", "AuthorizeSecurityGroupIngress", ec2_arn(x, &format!("security-group/{group}"))),
        detail,
        call,
    )
    .await?;
    Ok(())
}

pub async fn ensure(x: &mut Exec, p: Params) -> Result<(), AwsError> {
    let port = port(&p.container_port)?;
    let net = resolve(x, &p).await?;
    x.output("subnets", net.subnets.join(","));
    let alb_name = format!("{}-alb", p.project);
    let create = p.load_balancer == "create";
    let alb_id = match net.alb_group.id() {
        Some(id) => Some(id),
        None if create => Some(
            make_group(x, &net.vpc_id, &alb_name, "the load balancer of the ECS service: HTTP from anywhere").await?,
        ),
        None => None,
    };
    if let Some(alb_id) = alb_id.as_ref().filter(|_| create)
        && !net.alb_group.lets_in(80, &Source::World)
    {
        open(x, alb_id, &alb_name, 80, &Source::World).await?;
    }
    if !list(&p.security_groups).is_empty() {
        x.note("the tasks' security groups are the operator's: they are used as they are");
        return Ok(());
    }
    let task_name = format!("{}-ecs", p.project);
    let task_id = match net.task_group.id() {
        Some(id) => id,
        None => make_group(x, &net.vpc_id, &task_name, "the tasks of the ECS service").await?,
    };
    // Behind preflight's load balancer only its group reaches the tasks; with
    // none, or with the operator's (whose groups are not read here), anyone may.
    let source = match alb_id {
        Some(alb) if create => Source::Group(alb),
        _ => Source::World,
    };
    if !net.task_group.lets_in(port, &source) {
        open(x, &task_id, &task_name, port, &source).await?;
    }
    // Behind a load balancer, nothing else may reach the tasks: a world-open rule on the port goes.
    if matches!(source, Source::Group(_))
        && let Group::Found(g) = &net.task_group
        && lets_in(g, port, None, Some(WORLD))
    {
        let id = g.group_id().unwrap_or_default().to_string();
        let perm = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip(WORLD).build())
            .build();
        let call = x.aws.ec2().revoke_security_group_ingress().group_id(&id).ip_permissions(perm).send();
        let detail = format!(
            "stop letting in port {port} to {task_name} from {WORLD}: only the load balancer may reach the tasks"
        );
        x.change(
            Op::new("ec2", "RevokeSecurityGroupIngress", ec2_arn(x, &format!("security-group/{id}"))),
            detail,
            call,
        )
        .await?;
    }
    Ok(())
}

/// Whether a group of the tasks lets in what it should: the container port
/// from the load balancer's group only (with preflight's load balancer), from
/// anywhere without one; Err: what is wrong and, when a run does not repair
/// it, the command that does.
pub fn judge(
    task: &SecurityGroup,
    alb: &Group,
    port: i32,
    load_balancer: &str,
    project: &str,
) -> Result<(), (String, Option<String>)> {
    let task_id = task.group_id().unwrap_or_default();
    let world = lets_in(task, port, None, Some(WORLD));
    if load_balancer == "none" {
        return if world { Ok(()) } else { Err((format!("{task_id} does not let in port {port}"), None)) };
    }
    if world {
        return Err((
            format!(
                "{task_id} lets in port {port} from {WORLD}: with a load balancer, only its group may reach the tasks"
            ),
            Some(format!(
                "remove that rule: aws ec2 revoke-security-group-ingress --group-id {task_id} --protocol tcp --port {port} --cidr {WORLD}"
            )),
        ));
    }
    if load_balancer != "create" {
        return Ok(());
    }
    let Group::Found(alb) = alb else {
        return Err((format!("security group {project}-alb does not exist"), None));
    };
    let alb_id = alb.group_id().unwrap_or_default();
    if !lets_in(task, port, Some(alb_id), None) {
        return Err((format!("{task_id} does not let in port {port} from the load balancer's group {alb_id}"), None));
    }
    if !lets_in(alb, 80, None, Some(WORLD)) {
        return Err((format!("{alb_id} does not let in HTTP (80) from anywhere"), None));
    }
    Ok(())
}

/// The subnets and security groups the profile names exist (the default
/// VPC's subnets when it names none): facts a run cannot make.
async fn given(x: &Exec, id: &str, p: &Params) -> Result<ProbeResult, AwsError> {
    let net = match resolve(x, p).await {
        Ok(n) => n,
        Err(e) if e.kind == crate::aws::error::ErrorKind::Other => {
            let fix = e.fix().unwrap_or_else(|| wrong_subnets(x));
            return Ok(ProbeResult::new(id, Status::Fail, e.message.clone()).with_fix(fix));
        }
        Err(e) => return Err(e),
    };
    if net.subnets.is_empty() {
        return Ok(ProbeResult::new(id, Status::Fail, format!("VPC {} has no subnets", net.vpc_id))
            .with_fix(format!("name the tasks' subnets: {}", change_input(x, "subnets", SUBNETS))));
    }
    let groups = list(&p.security_groups);
    if !groups.is_empty() {
        let ec2 = x.aws.ec2();
        let op = Op::new("ec2", "DescribeSecurityGroups", ec2_arn(x, "security-group/*"));
        let found = match x.read(op, ec2.describe_security_groups().set_group_ids(Some(groups.clone())).send()).await {
            Ok(out) => out.security_groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect(),
            Err(e) if e.code.as_deref() == Some("InvalidGroup.NotFound") => Vec::new(),
            Err(e) => return Err(e),
        };
        let missing: Vec<&String> = groups.iter().filter(|g| !found.contains(g)).collect();
        if !missing.is_empty() {
            let missing: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Ok(ProbeResult::new(
                id,
                Status::Fail,
                format!("security group {} does not exist in {}", missing.join(", "), x.aws.region),
            )
            .with_fix(format!(
                "{}; or give none, for the group preflight makes",
                change_input(x, "security_groups", "sg-…")
            )));
        }
    }
    Ok(ProbeResult::new(
        id,
        Status::Pass,
        format!(
            "subnets {} in {} exist{}",
            net.subnets.join(", "),
            net.vpc_id,
            if groups.is_empty() { String::new() } else { format!("; groups {}", groups.join(", ")) }
        ),
    ))
}

pub async fn probe(x: &mut Exec, id: String, p: Params) -> Result<ProbeResult, AwsError> {
    if p.check == "given" {
        return given(x, &id, &p).await;
    }
    let port = port(&p.container_port)?;
    let fix = format!("preflight run {} --step {}", x.checklist, x.step);
    let net = match resolve(x, &p).await {
        Ok(n) => n,
        // What the network is made in is wrong (a subnet that does not exist): running
        // this step again would fail the same way; the error's fix names the cure.
        Err(e) if e.kind == crate::aws::error::ErrorKind::Other => {
            let result = ProbeResult::new(&id, Status::Fail, e.to_string());
            return Ok(match e.fix() {
                Some(how) => result.with_fix(how),
                None => result,
            });
        }
        Err(e) => return Err(e),
    };
    if net.subnets.is_empty() {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("VPC {} has no subnets", net.vpc_id))
            .with_fix(format!("name the tasks' subnets: {}", change_input(x, "subnets", SUBNETS))));
    }
    let subnets = net.subnets.join(", ");
    if !list(&p.security_groups).is_empty() {
        return Ok(ProbeResult::new(
            &id,
            Status::Pass,
            format!("subnets {subnets}; the operator's security groups {}", shown(&net.task_groups)),
        ));
    }
    let Group::Found(task) = &net.task_group else {
        return Ok(ProbeResult::new(&id, Status::Fail, format!("security group {}-ecs does not exist", p.project))
            .with_fix(fix));
    };
    let task_id = task.group_id().unwrap_or_default();
    let judged = judge(task, &net.alb_group, port, &p.load_balancer, &p.project);
    if let Err((message, how)) = judged {
        return Ok(ProbeResult::new(&id, Status::Fail, message).with_fix(how.unwrap_or(fix)));
    }
    let from = match p.load_balancer.as_str() {
        "create" => "only from the load balancer",
        "none" => "(no load balancer)",
        _ => "(the load balancer is the operator's)",
    };
    Ok(ProbeResult::new(&id, Status::Pass, format!("subnets {subnets}; {task_id} lets in port {port} {from}")))
}

/// Ids as a list: `sg-1, (the security group … made by step network)`.
pub fn shown(ids: &[Later<String>]) -> String {
    ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The calls of [`resolve`]: the default VPC, its subnets, the groups by name.
pub fn resolve_calls(x: &Exec) -> Vec<Op> {
    ["DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups"]
        .iter()
        .map(|op| Op::new("ec2", op, ec2_arn(x, "*")))
        .collect()
}

/// The calls of [`ensure`]: the network found, groups made, ingress let in or revoked.
pub fn ensure_calls(x: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    let mut out = resolve_calls(x);
    let groups = ec2_arn(x, "security-group/*");
    for op in ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"] {
        out.push(Op::new("ec2", op, &groups));
    }
    Ok(out)
}

/// The calls of [`probe`].
pub fn probe_calls(x: &Exec, _: &Params) -> Result<Vec<Op>, AwsError> {
    Ok(resolve_calls(x))
}
