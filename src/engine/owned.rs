//! What preflight made in an account and region, read from its audit log: each
//! change that created something (as opposed to adopting what existed), in the
//! order it was made, less what a later `destroy` removed. `destroy` undoes
//! them in reverse. Pure: audit lines in, records out.

use serde_json::Value;

/// The step of a thing found by its tags only (the audit log here does not know it).
pub const FOUND_BY_TAGS: &str = "(found by its tags)";

/// One thing a `run` created, named as its delete call names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Thing {
    /// An ECS service (scaled to 0, deleted, waited on until inactive).
    Service {
        cluster: String,
        name: String,
    },
    Listener {
        load_balancer: String,
        port: String,
    },
    TargetGroup {
        name: String,
    },
    LoadBalancer {
        name: String,
    },
    SecurityGroup {
        name: String,
        vpc: String,
    },
    /// The revisions preflight registered in a task definition family.
    TaskFamily {
        family: String,
    },
    LogGroup {
        name: String,
    },
    Cluster {
        name: String,
    },
    InlinePolicy {
        role: String,
        name: String,
    },
    Attachment {
        role: String,
        policy: String,
    },
    Role {
        name: String,
    },
    Policy {
        arn: String,
    },
    OidcProvider {
        arn: String,
    },
    Parameter {
        name: String,
    },
    Secret {
        name: String,
    },
    Repository {
        name: String,
    },
}

impl Thing {
    /// Its identity, as an undo's audit line names it (every field: two groups of one
    /// name in two VPCs are two things).
    pub fn key(&self) -> String {
        format!("{self:?}")
    }

    /// IAM's things are the account's, whatever the region.
    pub fn global(&self) -> bool {
        matches!(
            self,
            Thing::InlinePolicy { .. }
                | Thing::Attachment { .. }
                | Thing::Role { .. }
                | Thing::Policy { .. }
                | Thing::OidcProvider { .. }
        )
    }

    /// Where it goes in a teardown: what stands on others first (this enum's order).
    pub fn rank(&self) -> u8 {
        match self {
            Thing::Service { .. } => 0,
            Thing::Listener { .. } => 1,
            Thing::TargetGroup { .. } => 2,
            Thing::LoadBalancer { .. } => 3,
            Thing::SecurityGroup { .. } => 4,
            Thing::TaskFamily { .. } => 5,
            Thing::LogGroup { .. } => 6,
            Thing::Cluster { .. } => 7,
            Thing::InlinePolicy { .. } => 8,
            Thing::Attachment { .. } => 9,
            Thing::Role { .. } => 10,
            Thing::Policy { .. } => 11,
            Thing::OidcProvider { .. } => 12,
            Thing::Parameter { .. } => 13,
            Thing::Secret { .. } => 14,
            Thing::Repository { .. } => 15,
        }
    }

    /// How a person reads it: `service comafi-cluster/comafi-service`.
    pub fn label(&self) -> String {
        match self {
            Thing::Service { cluster, name } => format!("ECS service {cluster}/{name}"),
            Thing::Listener { load_balancer, port } => {
                format!("listener on port {port} of {}", load_balancer.rsplit('/').nth(1).unwrap_or(load_balancer))
            }
            Thing::TargetGroup { name } => format!("target group {name}"),
            Thing::LoadBalancer { name } => format!("load balancer {name}"),
            Thing::SecurityGroup { name, .. } => format!("security group {name}"),
            Thing::TaskFamily { family } => format!("task definition {family} (its active revisions)"),
            Thing::LogGroup { name } => format!("log group {name}"),
            Thing::Cluster { name } => format!("ECS cluster {name}"),
            Thing::InlinePolicy { role, name } => format!("inline policy {name} of role {role}"),
            Thing::Attachment { role, policy } => {
                format!("attachment of {} to role {role}", policy.rsplit('/').next().unwrap_or(policy))
            }
            Thing::Role { name } => format!("IAM role {name}"),
            Thing::Policy { arn } => format!("IAM policy {}", arn.rsplit('/').next().unwrap_or(arn)),
            Thing::OidcProvider { arn } => {
                format!("OIDC provider {}", arn.split_once(":oidc-provider/").map_or(arn.as_str(), |(_, u)| u))
            }
            Thing::Parameter { name } => format!("SSM parameter {name}"),
            Thing::Secret { name } => format!("secret {name}"),
            Thing::Repository { name } => format!("ECR repository {name} (with its images)"),
        }
    }
}

/// A thing made, by which step, when and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    pub thing: Thing,
    pub checklist: String,
    pub step: String,
    pub at: String,
    pub by: String,
}

/// A change preflight made that `destroy` leaves as it is, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Left {
    pub what: String,
    pub checklist: String,
    pub step: String,
    pub why: String,
}

/// What the audit log says of an account and region.
#[derive(Debug, Default)]
pub struct Owned {
    /// What preflight made and has not removed since, oldest first.
    pub made: Vec<Made>,
    /// What it did that destroy leaves alone.
    pub left: Vec<Left>,
    /// The steps (checklist, step) that ever made something: a step done that
    /// is not one of them found what it stands for in place (adopted).
    pub makers: std::collections::BTreeSet<(String, String)>,
    /// Those of them that made something destroy removes (not only what it leaves).
    pub creators: std::collections::BTreeSet<(String, String)>,
}

/// What the audit log says preflight made in `account`/`region`.
pub fn made(lines: &[Value], account: &str, region: &str) -> Owned {
    let mut made: Vec<Made> = Vec::new();
    let mut left: Vec<Left> = Vec::new();
    let mut makers = std::collections::BTreeSet::new();
    let mut creators = std::collections::BTreeSet::new();
    let mut started: Vec<&Value> = Vec::new();
    for line in lines {
        let s = |k: &str| line.get(k).and_then(Value::as_str).unwrap_or_default();
        // IAM is global: a role made (or undone) from another region is this account's too.
        let global = s("service") == "iam" || line.get("global") == Some(&Value::Bool(true));
        if s("account") != account || (s("region") != region && !global) {
            continue;
        }
        if (s("service"), s("operation")) == ("preflight", "Undo") {
            // What an earlier destroy removed.
            made.retain(|m| m.thing.key() != s("thing"));
            continue;
        }
        match s("outcome") {
            "started" => {
                started.push(line);
                continue;
            }
            "ok" => {}
            _ => continue,
        }
        // The parameters are on the line that announced the change.
        let same = |l: &&&Value| {
            ["pid", "service", "operation", "resource", "checklist", "step"].iter().all(|k| l.get(*k) == line.get(*k))
        };
        let params = started.iter().rev().find(same).and_then(|l| l.get("params")).cloned().unwrap_or(Value::Null);
        let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let record = |thing: Thing| Made {
            thing,
            checklist: s("checklist").into(),
            step: s("step").into(),
            at: s("time").into(),
            by: s("caller").into(),
        };
        let leave = |what: &str, why: &str| Left {
            what: what.into(),
            checklist: s("checklist").into(),
            step: s("step").into(),
            why: why.into(),
        };
        let created = match (s("service"), s("operation")) {
            ("iam", "CreatePolicy") => Some(Thing::Policy { arn: s("resource").into() }),
            ("iam", "CreateRole") => Some(Thing::Role { name: p("RoleName") }),
            ("iam", "AttachRolePolicy") => Some(Thing::Attachment { role: p("RoleName"), policy: p("PolicyArn") }),
            ("iam", "PutRolePolicy") => Some(Thing::InlinePolicy { role: p("RoleName"), name: p("PolicyName") }),
            ("iam", "CreateOpenIDConnectProvider") => Some(Thing::OidcProvider { arn: s("resource").into() }),
            ("ecr", "CreateRepository") => Some(Thing::Repository { name: p("repositoryName") }),
            ("secretsmanager", "CreateSecret") => Some(Thing::Secret { name: p("Name") }),
            // A parameter put over one that existed was adopted, not made.
            ("ssm", "PutParameter") if params.get("Overwrite") != Some(&Value::Bool(true)) => {
                Some(Thing::Parameter { name: p("Name") })
            }
            ("ecs", "CreateCluster") => Some(Thing::Cluster { name: p("clusterName") }),
            ("logs", "CreateLogGroup") => Some(Thing::LogGroup { name: p("logGroupName") }),
            ("ecs", "RegisterTaskDefinition") => Some(Thing::TaskFamily { family: p("family") }),
            ("ec2", "CreateSecurityGroup") => Some(Thing::SecurityGroup { name: p("GroupName"), vpc: p("VpcId") }),
            ("elasticloadbalancing", "CreateLoadBalancer") => Some(Thing::LoadBalancer { name: p("Name") }),
            ("elasticloadbalancing", "CreateTargetGroup") => Some(Thing::TargetGroup { name: p("Name") }),
            ("elasticloadbalancing", "CreateListener") => {
                Some(Thing::Listener { load_balancer: p("LoadBalancerArn"), port: p("Port") })
            }
            ("ecs", "CreateService") => Some(Thing::Service { cluster: p("cluster"), name: p("serviceName") }),
            ("bedrock", "PutUseCaseForModelAccess") => {
                left.push(leave(
                    "Anthropic's use-case form",
                    "a form AWS keeps for the account: it cannot be withdrawn, and costs nothing",
                ));
                None
            }
            ("bedrock", "CreateFoundationModelAgreement") => {
                left.push(leave(
                    &format!("the agreement for {}", p("modelId")),
                    "model access costs nothing until the model is called, and other projects of the account may use it",
                ));
                None
            }
            ("file", "WriteFile") => {
                left.push(leave(
                    &p("path"),
                    "a file of your repository, not of the account: remove it with git if you no longer want it",
                ));
                None
            }
            _ => None,
        };
        // An image pushed goes with its repository: the step made it, though destroy names the repository.
        let pushed = (s("service"), s("operation")) == ("registry", "PutManifest");
        if created.is_some()
            || pushed
            || left.last().is_some_and(|l| l.checklist == s("checklist") && l.step == s("step"))
        {
            makers.insert((s("checklist").to_string(), s("step").to_string()));
        }
        if created.is_some() || pushed {
            creators.insert((s("checklist").to_string(), s("step").to_string()));
        }
        if let Some(thing) = created {
            // Made again after a destroy (or a re-run that recreated it): once, at its last making.
            made.retain(|m| m.thing != thing);
            made.push(record(thing));
        }
    }
    left.dedup();
    Owned { made, left, makers, creators }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(op: (&str, &str), resource: &str, outcome: &str, params: Value) -> Value {
        json!({"time": "2026-12-07T10:00:00Z", "account": "1", "region": "us-east-1", "caller": "arn:aws:iam::1:user/me",
               "pid": 7, "checklist": "c", "step": "s", "service": op.0, "operation": op.1, "resource": resource,
               "outcome": outcome, "params": params})
    }

    fn change(op: (&str, &str), resource: &str, params: Value) -> [Value; 2] {
        let mut ok = line(op, resource, "ok", Value::Null);
        ok.as_object_mut().unwrap().remove("params");
        [line(op, resource, "started", params), ok]
    }

    #[test]
    fn creations_in_order_less_what_a_destroy_removed_and_not_adoptions() {
        let mut lines = Vec::new();
        lines.extend(change(("iam", "CreateRole"), "arn:aws:iam::1:role/r", json!({"RoleName": "r"})));
        lines.extend(change(("ssm", "PutParameter"), "p", json!({"Name": "/adopted", "Overwrite": true})));
        lines.extend(change(("ssm", "PutParameter"), "p", json!({"Name": "/made", "Overwrite": false})));
        lines.extend(change(("ecs", "CreateCluster"), "c", json!({"clusterName": "c"})));
        // A change that failed made nothing.
        lines.push(line(("logs", "CreateLogGroup"), "g", "started", json!({"logGroupName": "/g"})));
        lines.push(line(("logs", "CreateLogGroup"), "g", "AccessDenied", Value::Null));
        // Another account's and another region's (IAM is global) changes.
        let mut other = change(("ecs", "CreateCluster"), "c", json!({"clusterName": "other"}));
        other.iter_mut().for_each(|l| l["account"] = json!("2"));
        lines.extend(other);
        let mut west = change(("ecs", "CreateCluster"), "c", json!({"clusterName": "west"}));
        west.iter_mut().for_each(|l| l["region"] = json!("us-west-2"));
        lines.extend(west);
        let mut role = change(("iam", "CreateRole"), "arn:aws:iam::1:role/g", json!({"RoleName": "g"}));
        role.iter_mut().for_each(|l| l["region"] = json!("us-west-2"));
        lines.extend(role);
        lines.extend(change(("bedrock", "CreateFoundationModelAgreement"), "m", json!({"modelId": "m"})));
        let owned = made(&lines, "1", "us-east-1");
        let left = owned.left;
        assert!(owned.makers.contains(&("c".to_string(), "s".to_string())));
        let things: Vec<Thing> = owned.made.into_iter().map(|m| m.thing).collect();
        assert_eq!(
            things,
            vec![
                Thing::Role { name: "r".into() },
                Thing::Parameter { name: "/made".into() },
                Thing::Cluster { name: "c".into() },
                Thing::Role { name: "g".into() },
            ]
        );
        assert_eq!(left.len(), 1);
        assert!(left[0].why.contains("costs nothing"), "{left:?}");

        // Destroyed, then made again: once, at its new place.
        let mut undo = line(("preflight", "Undo"), "IAM role r", "ok", Value::Null);
        undo["thing"] = json!(Thing::Role { name: "r".into() }.key());
        // Undone from another region: IAM's things are the account's.
        undo["region"] = json!("eu-west-1");
        undo["global"] = json!(true);
        lines.push(undo);
        let mut undo = line(("preflight", "Undo"), "ECS cluster c", "ok", Value::Null);
        undo["thing"] = json!(Thing::Cluster { name: "c".into() }.key());
        lines.push(undo);
        lines.extend(change(("ecs", "CreateCluster"), "c", json!({"clusterName": "c"})));
        let things: Vec<Thing> = super::made(&lines, "1", "us-east-1").made.into_iter().map(|m| m.thing).collect();
        assert_eq!(
            things,
            vec![
                Thing::Parameter { name: "/made".into() },
                Thing::Role { name: "g".into() },
                Thing::Cluster { name: "c".into() }
            ]
        );
    }
}
