//! Names: the rule a name follows (its length, characters, form and the
//! prefixes AWS refuses) and its check, and every name preflight gives a
//! resource ([`NAMED`]), each with its row.

use super::table::{Row, Rule, row};

/// A name's rule: its length (in characters), the characters it may hold, its
/// form, and what it may not start with.
#[derive(Debug)]
pub struct NameRule {
    pub min: usize,
    pub max: usize,
    /// One allowed character, as a regex class.
    pub chars: &'static str,
    /// The whole name's form, as a regex (anchored when used).
    pub form: &'static str,
    /// Prefixes AWS refuses, as written.
    pub not_prefixes: &'static [&'static str],
    /// Prefixes AWS refuses in any letter case, after the leading `/` of a path.
    pub not_prefixes_any_case: &'static [&'static str],
    /// At most this many `/`-separated levels (SSM's hierarchies).
    pub max_levels: Option<usize>,
}

pub(super) fn whole(re: &str) -> regex_lite::Regex {
    regex_lite::Regex::new(&format!("^(?:{re})$")).expect("the table's regexes are valid")
}

impl NameRule {
    /// Err says how `name` breaks the rule ("is 35 characters long, at most 32").
    pub fn check(&self, name: &str) -> Result<(), String> {
        let len = name.chars().count();
        let long = |bound: String| format!("is {len} character{} long, {bound}", if len == 1 { "" } else { "s" });
        if len == 0 {
            return Err("is empty".into());
        }
        if len < self.min {
            return Err(long(format!("at least {}", self.min)));
        }
        if len > self.max {
            return Err(long(format!("at most {}", self.max)));
        }
        let one = whole(self.chars);
        let mut bad: Vec<String> = Vec::new();
        for c in name.chars().filter(|c| !one.is_match(&c.to_string())).map(|c| format!("{c:?}")) {
            if !bad.contains(&c) {
                bad.push(c);
            }
        }
        if !bad.is_empty() {
            return Err(format!("holds {}, which it may not", bad.join(", ")));
        }
        if let Some(p) = self.not_prefixes.iter().find(|p| name.starts_with(*p)) {
            return Err(format!("starts with {p}"));
        }
        let bare = name.trim_start_matches('/').to_lowercase();
        if let Some(p) = self.not_prefixes_any_case.iter().find(|p| bare.starts_with(*p)) {
            return Err(format!("starts with {p} (in any case)"));
        }
        if !whole(self.form).is_match(name) {
            return Err("does not have the form AWS takes".into());
        }
        if let Some(max) = self.max_levels {
            let levels = name.matches('/').count();
            if levels > max {
                return Err(format!("has {levels} levels, at most {max}"));
            }
        }
        Ok(())
    }
}

impl Row {
    /// Checks a name against this row; Err: what a message says after the name.
    pub fn check_name(&self, name: &str) -> Result<(), String> {
        match &self.rule {
            Rule::Name(n) => {
                n.check(name).map_err(|why| format!("{why}: {} is {} ({})", self.what, self.words, self.source))
            }
            other => panic!("limits row {} is not a name: {other:?}", self.id),
        }
    }
}

/// A name preflight gives a resource: an input that is the name (`{{cluster}}`),
/// or a name made from inputs (`{{project}}-tg`).
#[derive(Debug)]
pub struct Named {
    /// The name, as a template over inputs.
    pub name: &'static str,
    /// The row it must satisfy.
    pub row: &'static str,
    /// Only when this input has this value (the resource is made then).
    pub when: Option<(&'static str, &'static str)>,
    /// What preflight makes with it, for messages.
    pub made: &'static str,
    /// Another way out than another value, for the fix.
    pub instead: Option<&'static str>,
}

const LB_INSTEAD: &str =
    "or make the load balancer yourself and give its target group: --set load_balancer=TARGET_GROUP_ARN (or none)";

/// Every name preflight gives a resource, and its row. (The names of the
/// profile's `[[secrets]]` and `[[parameters]]` are checked when it is read.)
pub const NAMED: &[Named] = &[
    Named {
        name: "{{project}}-alb",
        row: "elb.load_balancer_name",
        when: Some(("load_balancer", "create")),
        made: "the load balancer ecs-service makes",
        instead: Some(LB_INSTEAD),
    },
    Named {
        name: "{{project}}-tg",
        row: "elb.target_group_name",
        when: Some(("load_balancer", "create")),
        made: "the target group ecs-service makes",
        instead: Some(LB_INSTEAD),
    },
    Named {
        name: "{{project}}-alb",
        row: "ec2.security_group_name",
        when: Some(("load_balancer", "create")),
        made: "the load balancer's security group ecs-service makes",
        instead: Some(LB_INSTEAD),
    },
    Named {
        name: "{{project}}-ecs",
        row: "ec2.security_group_name",
        when: Some(("security_groups", "")),
        made: "the tasks' security group ecs-service makes",
        instead: Some("or give the tasks' security groups: --set security_groups=sg-…"),
    },
    Named {
        name: "{{project}}-secrets-read",
        row: "iam.policy_name",
        when: None,
        made: "the inline policy secrets gives the reader roles",
        instead: None,
    },
    Named { name: "{{task_role_name}}", row: "iam.role_name", when: None, made: "the ECS task role", instead: None },
    Named {
        name: "{{execution_role_name}}",
        row: "iam.role_name",
        when: None,
        made: "the ECS task execution role",
        instead: None,
    },
    Named {
        name: "{{deploy_role_name}}",
        row: "iam.role_name",
        when: None,
        made: "the role GitHub Actions assumes",
        instead: None,
    },
    // A user when runtime_principal_kind = user; a role (the task role) otherwise: the same rule.
    Named {
        name: "{{runtime_principal_name}}",
        row: "iam.user_name",
        when: None,
        made: "the runtime principal",
        instead: None,
    },
    Named {
        name: "{{runtime_policy_name}}",
        row: "iam.policy_name",
        when: None,
        made: "the runtime policy",
        instead: None,
    },
    Named {
        name: "{{ecr_repository}}",
        row: "ecr.repository_name",
        when: None,
        made: "the ECR repository",
        instead: None,
    },
    Named { name: "{{log_group}}", row: "logs.log_group_name", when: None, made: "the log group", instead: None },
    Named { name: "{{cluster}}", row: "ecs.cluster_name", when: None, made: "the ECS cluster", instead: None },
    Named { name: "{{service}}", row: "ecs.service_name", when: None, made: "the ECS service", instead: None },
    Named { name: "{{task_family}}", row: "ecs.task_family", when: None, made: "the task definition", instead: None },
    Named {
        name: "{{container_name}}",
        row: "ecs.container_name",
        when: None,
        made: "the application's container",
        instead: None,
    },
];

impl Named {
    /// The input this name is, when it is one input as written (`{{cluster}}`).
    pub fn input(&self) -> Option<&'static str> {
        self.name.strip_prefix("{{").and_then(|s| s.strip_suffix("}}")).filter(|s| !s.contains('{'))
    }
}

/// The row an input that is a name itself must satisfy (`cluster`: an ECS cluster name).
pub fn for_input(input: &str) -> Option<&'static Row> {
    NAMED.iter().find(|n| n.input() == Some(input)).map(|n| row(n.row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        let tg = row("elb.target_group_name");
        assert!(tg.check_name("comafi-tg").is_ok());
        assert!(tg.check_name(&"a".repeat(32)).is_ok());
        assert!(tg.check_name(&"a".repeat(33)).unwrap_err().starts_with("is 33 characters long, at most 32"));
        assert!(tg.check_name("-tg").is_err() && tg.check_name("tg-").is_err());
        assert!(tg.check_name("a_b").unwrap_err().contains("holds '_'"));
        let lb = row("elb.load_balancer_name");
        assert!(lb.check_name("internal-x").unwrap_err().contains("internal-"));
        let role = row("iam.role_name");
        assert!(role.check_name("app+=,.@_-Role9").is_ok());
        assert!(role.check_name(&"r".repeat(65)).is_err() && role.check_name("a b").is_err());
        assert!(row("iam.policy_name").check_name(&"p".repeat(128)).is_ok());
        assert!(row("iam.policy_name").check_name(&"p".repeat(129)).is_err());
        let ssm = row("ssm.parameter_name");
        assert!(ssm.check_name("/comafi-prod/brands").is_ok() && ssm.check_name("brands").is_ok());
        assert!(ssm.check_name("a/b").is_err(), "a path starts with /");
        assert!(ssm.check_name("/AWS/x").unwrap_err().contains("aws"));
        assert!(ssm.check_name("SSM-x").is_err());
        let deep = "/l".repeat(15);
        assert!(ssm.check_name(&deep).is_ok());
        assert!(ssm.check_name(&format!("{deep}/x")).unwrap_err().contains("16 levels, at most 15"));
        assert!(ssm.check_name(&"p".repeat(1011)).is_ok() && ssm.check_name(&"p".repeat(1012)).is_err());
        let secret = row("secretsmanager.secret_name");
        assert!(secret.check_name("prod/app+db=1.x@y_z-w").is_ok() && secret.check_name("a b").is_err());
        assert!(secret.check_name(&"s".repeat(513)).is_err());
        let logs = row("logs.log_group_name");
        assert!(logs.check_name("/ecs/comafi-api#1").is_ok() && logs.check_name("aws/x").is_err());
        assert!(logs.check_name(&format!("/{}", "g".repeat(511))).is_ok());
        assert!(logs.check_name(&format!("/{}", "g".repeat(512))).is_err());
        let sg = row("ec2.security_group_name");
        assert!(sg.check_name("comafi-ecs (tasks) #1").is_ok() && sg.check_name("sg-x").is_err());
        assert!(sg.check_name("a\"b").is_err() && sg.check_name(&"g".repeat(256)).is_err());
        let ecr = row("ecr.repository_name");
        assert!(ecr.check_name("team/comafi-api").is_ok() && ecr.check_name("a--b__c").is_ok());
        assert!(ecr.check_name("a").is_err() && ecr.check_name("Comafi").is_err() && ecr.check_name("a//b").is_err());
        assert!(ecr.check_name("a-").is_err() && ecr.check_name(&"e".repeat(257)).is_err());
        for id in ["ecs.cluster_name", "ecs.service_name", "ecs.task_family", "ecs.container_name"] {
            assert!(row(id).check_name("comafi_api-1").is_ok() && row(id).check_name("a.b").is_err());
            assert!(row(id).check_name(&"c".repeat(255)).is_ok() && row(id).check_name(&"c".repeat(256)).is_err());
        }
    }
}
