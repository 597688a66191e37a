//! Undoing what `elb.ensure_load_balancer` made: its listener, its target
//! group (once no load balancer that stays forwards to it) and the load
//! balancer (once it has no listener that stays), waited on until it is gone.

use super::{elb_arn, load_balancer};
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::owned::Thing;
use crate::kinds::undo::{Undoing, Undone, owned_by, refused};

const GONE_WITHIN: u64 = 5 * 60;
const POLL: u64 = 5;

async fn listeners(
    x: &Exec,
    lb: &str,
) -> Result<Option<Vec<aws_sdk_elasticloadbalancingv2::types::Listener>>, AwsError> {
    let call = x.aws.elb().describe_listeners().load_balancer_arn(lb).send();
    match x.read(Op::new("elasticloadbalancing", "DescribeListeners", lb), call).await {
        Ok(out) => Ok(Some(out.listeners().to_vec())),
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn listener(x: &mut Exec, lb: &str, port: &str) -> Result<Undone, AwsError> {
    let on = listeners(x, lb).await?.unwrap_or_default();
    let Some(found) = on.iter().find(|l| l.port().map(|p| p.to_string()).as_deref() == Some(port)) else {
        return Ok(Undone::Gone(format!("no listener on port {port} of {lb}")));
    };
    let arn = found.listener_arn().unwrap_or_default().to_string();
    let call = x.aws.elb().delete_listener().listener_arn(&arn).send();
    x.change(
        Op::new("elasticloadbalancing", "DeleteListener", &arn),
        format!("delete the listener on port {port}"),
        call,
    )
    .await?;
    Ok(Undone::Removed)
}

pub async fn target_group(x: &mut Exec, name: &str, u: &Undoing) -> Result<Undone, AwsError> {
    let elb = x.aws.elb();
    let op = Op::new("elasticloadbalancing", "DescribeTargetGroups", elb_arn(x, &format!("targetgroup/{name}")));
    let found = match x.read(op, elb.describe_target_groups().names(name).send()).await {
        Ok(out) => out.target_groups().first().cloned(),
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("TargetGroupNotFound") => None,
        Err(e) => return Err(e),
    };
    let Some(tg) = found else {
        return Ok(Undone::Gone(format!("target group {name} does not exist")));
    };
    // A load balancer that stays and still forwards to it.
    let mut staying = Vec::new();
    for lb in tg.load_balancer_arns() {
        let lb_name = lb.split("/app/").nth(1).and_then(|r| r.split('/').next()).unwrap_or(lb);
        let listener_goes =
            u.chosen.iter().any(|t| matches!(t, Thing::Listener { load_balancer, .. } if load_balancer == lb));
        if !listener_goes && !u.goes(&Thing::LoadBalancer { name: lb_name.into() }) {
            staying.push(u.staying(&Thing::LoadBalancer { name: lb_name.into() }, format!("load balancer {lb_name}")));
        }
    }
    if !staying.is_empty() {
        return Ok(refused(&format!("target group {name}"), &staying));
    }
    let arn = tg.target_group_arn().unwrap_or_default().to_string();
    let call = elb.delete_target_group().target_group_arn(&arn).send();
    x.change(Op::new("elasticloadbalancing", "DeleteTargetGroup", &arn), format!("delete target group {name}"), call)
        .await?;
    Ok(Undone::Removed)
}

pub async fn balancer(x: &mut Exec, name: &str, u: &Undoing) -> Result<Undone, AwsError> {
    let Some(lb) = load_balancer(x, name).await? else {
        return Ok(Undone::Gone(format!("load balancer {name} does not exist")));
    };
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let staying: Vec<String> = listeners(x, &arn)
        .await?
        .unwrap_or_default()
        .iter()
        .map(|l| l.port().unwrap_or_default().to_string())
        .filter(|port| !u.goes(&Thing::Listener { load_balancer: arn.clone(), port: port.clone() }))
        .map(|port| format!("its listener on port {port} (not made by preflight)"))
        .collect();
    if !staying.is_empty() {
        return Ok(refused(&format!("load balancer {name}"), &staying));
    }
    let call = x.aws.elb().delete_load_balancer().load_balancer_arn(&arn).send();
    x.change(Op::new("elasticloadbalancing", "DeleteLoadBalancer", &arn), format!("delete load balancer {name}"), call)
        .await?;
    if !x.apply {
        return Ok(Undone::Removed);
    }
    let mut waited = 0;
    while listeners(x, &arn).await?.is_some() && waited < GONE_WITHIN {
        x.wait(&format!("load balancer {name} going"), POLL).await;
        waited += POLL;
    }
    Ok(Undone::Removed)
}

/// The load balancers tagged as this project's, with their listeners and the
/// target groups those forward to (a target group is not tagged: see
/// `aws::error::TAGGED_CREATES`), with the checklist each names.
pub async fn tagged(x: &Exec, project: &str) -> Result<Vec<(Thing, String)>, AwsError> {
    let elb = x.aws.elb();
    let all = elb_arn(x, "loadbalancer/app/*");
    let list = elb.describe_load_balancers().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let balancers = x.read(Op::new("elasticloadbalancing", "DescribeLoadBalancers", &all), list).await?;
    let mut out = Vec::new();
    for lb in balancers {
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        let call = elb.describe_tags().resource_arns(&arn).send();
        let tags = x.read(Op::new("elasticloadbalancing", "DescribeTags", &arn), call).await?;
        let pairs = tags
            .tag_descriptions()
            .iter()
            .flat_map(|d| d.tags())
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        let Some(checklist) = owned_by(pairs, project) else { continue };
        // What preflight makes on it: the listener on 80, forwarding to PROJECT-tg. Any other
        // listener stays (and makes the load balancer's undo refuse, naming it).
        let mut groups = Vec::new();
        for l in listeners(x, &arn).await?.unwrap_or_default().iter().filter(|l| l.port() == Some(80)) {
            out.push((Thing::Listener { load_balancer: arn.clone(), port: "80".into() }, checklist.clone()));
            groups.extend(l.default_actions().iter().filter_map(|a| a.target_group_arn().map(str::to_string)));
        }
        for tg in groups {
            let name = tg.split(":targetgroup/").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default();
            if name == super::tg_name(project) {
                out.push((Thing::TargetGroup { name: name.to_string() }, checklist.clone()));
            }
        }
        out.push((Thing::LoadBalancer { name: lb.load_balancer_name().unwrap_or_default().to_string() }, checklist));
    }
    Ok(out)
}
