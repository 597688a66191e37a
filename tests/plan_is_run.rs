//! A plan is exactly what `run` does. For every checklist, in deploy order on
//! one fresh account, the changes `plan --json` lists equal, call for call and
//! parameter for parameter, the changes `run --yes` then makes, read back from
//! the audit log (which records each request's parameters as they were sent).
//! A value known only after an earlier change (a security group's id, a load
//! balancer's ARN, a revision) is shown in the plan as what makes it, and
//! matches any value; nothing else may differ. And what a consent shows before
//! a change is the plan's own text of it.
//!
//! The account is moto's (IAM with the AWS-managed policies, ECR's API, Secrets
//! Manager, SSM, ECS with MOTO_ECS_SERVICE_RUNNING=1 so that services run their
//! tasks, EC2, ELBv2, Logs), plus what moto lacks: a real registry for ECR's
//! registry API, the Bedrock double (tests/support/bedrock.rs) and the
//! application's /health on 127.0.0.1. The parameters are what the SDK put on
//! the wire; moto accepting them says nothing of what AWS would (other tests
//! check that against AWS's documents).

mod support;

use preflight::aws::later;
use preflight::aws::wire;
use support::bedrock::{BedrockDouble, Scenario};
use support::health::Health;
use support::image::{build, write_docker_archive};
use support::pty::Tty;
use support::registry::Registry;
use support::{Moto, Sandbox};

/// One change: planned (from `plan --json`) or made (from the audit log).
#[derive(Debug, Clone)]
struct Change {
    step: String,
    call: String,
    resource: String,
    params: serde_json::Value,
}

fn planned(doc: &serde_json::Value) -> Vec<Change> {
    let mut out = Vec::new();
    for step in doc["checklists"][0]["steps"].as_array().unwrap() {
        for c in step["changes"].as_array().into_iter().flatten() {
            out.push(Change {
                step: step["id"].as_str().unwrap().to_string(),
                call: format!("{}:{}", c["service"].as_str().unwrap(), c["operation"].as_str().unwrap()),
                resource: c["resource"].as_str().unwrap().to_string(),
                params: c["params"].clone(),
            });
        }
    }
    out
}

/// The changes made since line `from` of the audit log: each "started" line is one request sent.
fn made(sb: &Sandbox, from: usize) -> Vec<Change> {
    audit(sb)
        .into_iter()
        .skip(from)
        .filter(|l| l["outcome"] == "started")
        .map(|l| Change {
            step: l["step"].as_str().unwrap().to_string(),
            call: format!("{}:{}", l["service"].as_str().unwrap(), l["operation"].as_str().unwrap()),
            resource: l["resource"].as_str().unwrap().to_string(),
            params: l["params"].clone(),
        })
        .collect()
}

fn audit(sb: &Sandbox) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sb.dir.join(".preflight/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Plan equals run: the same calls in the same order, each on the same
/// resource with the same parameters, the plan's pending values matching any value.
fn same(checklist: &str, plan: &[Change], run: &[Change]) {
    let calls = |l: &[Change]| l.iter().map(|c| format!("{} {}", c.step, c.call)).collect::<Vec<_>>();
    assert_eq!(calls(plan), calls(run), "{checklist}: the run made other calls than the plan listed");
    for (p, r) in plan.iter().zip(run) {
        assert!(
            later::matches(&p.resource, &r.resource),
            "{checklist}/{} {}: planned on {}, made on {}",
            p.step,
            p.call,
            p.resource,
            r.resource
        );
        if let Err(diff) = wire::same(&p.params, &r.params, "") {
            panic!("{checklist}/{} {}: the run sent {diff}\nplanned: {}\nsent: {}", p.step, p.call, p.params, r.params);
        }
    }
}

/// The deploy profile, with what oidc-provider and model-access ask (the repository, the
/// answers to Anthropic's use-case form, a short wait for access to propagate).
fn profile() -> String {
    support::deploy::PROFILE.replacen(
        "[inputs]\n",
        "[inputs]\ngithub_repository = \"Acme/acme-api\"\ncompanyName = \"Acme\"\ncompanyWebsite = \"https://acme.example\"\nintendedUsers = \"0\"\nindustryOption = \"Technology\"\nuseCases = \"Support assistant\"\naccess_poll_seconds = 1\naccess_poll_tries = 5\n",
        1,
    )
}

#[test]
fn every_checklist_runs_exactly_what_its_plan_says() {
    let bedrock = BedrockDouble::start(Scenario::sandbox());
    let support::deploy::Deployed { moto: _moto, registry: _registry, health: _health, mut sb } =
        support::deploy::account("plan-is-run", &profile());
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK".into(), bedrock.url.clone()));
    sb.env.push(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME".into(), bedrock.url.clone()));

    let mut pending_seen = false;
    for checklist in ["iam-policy", "model-access", "oidc-provider", "ecr-push", "secrets", "ecs-service"] {
        let plan = sb.run(&["plan", checklist, "--json"]);
        assert_eq!(plan.code, 0, "{checklist}: {plan:?}");
        let plan = planned(&plan.json());
        assert!(!plan.is_empty(), "{checklist}: a fresh account has something to change");
        pending_seen |= plan.iter().any(|c| later::holds_pending(&c.params.to_string()));
        let from = audit(&sb).len();
        let run = sb.run(&["run", checklist, "--yes", "--json"]);
        assert_eq!(run.code, 0, "{checklist}: {run:?}");
        same(checklist, &plan, &made(&sb, from));
        // Done: a second plan has nothing left to change.
        let again = sb.run(&["plan", checklist, "--json"]);
        assert_eq!(planned(&again.json()).len(), 0, "{checklist} after its run: {again:?}");
    }
    assert!(pending_seen, "ecs-service's plan names values known only after earlier changes");
}

#[test]
fn ecs_service_plans_the_rule_it_makes_and_the_service_it_creates() {
    // The two lies of the issue, by name: a world-open rule in the plan where the run
    // lets in only the load balancer's group, and a plan without CreateService.
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"), ("MOTO_ECS_SERVICE_RUNNING", "1")]);
    let registry = Registry::start();
    let health = Health::start(200, "ok");
    let sb = Sandbox::new("plan-ecs", &moto.url);
    let image = sb.dir.join("image.tar");
    write_docker_archive(&image, &[&build("amd64", 1, 256)]);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        format!(
            "[inputs]\nproject = \"acme\"\necr_registry_url = \"{}\"\nimage_source = \"{}\"\nhealth_url = \"{}\"\n",
            registry.url,
            image.display(),
            health.url
        ),
    )
    .unwrap();
    for c in ["iam-policy", "ecr-push"] {
        assert_eq!(sb.run(&["run", c, "--yes"]).code, 0, "{c}");
    }
    let plan = sb.run(&["plan", "ecs-service", "--json"]);
    let changes = planned(&plan.json());
    let rule = changes
        .iter()
        .find(|c| c.call == "ec2:AuthorizeSecurityGroupIngress" && c.params.to_string().contains("8000"))
        .unwrap_or_else(|| panic!("{plan:?}"));
    assert!(!rule.params.to_string().contains("0.0.0.0/0"), "{rule:?}");
    assert!(
        rule.params.to_string().contains("(the security group acme-alb made by step network)"),
        "the rule names the group made earlier in the plan: {rule:?}"
    );
    let create = changes.iter().find(|c| c.call == "ecs:CreateService").unwrap_or_else(|| panic!("{plan:?}"));
    assert_eq!(create.params["taskDefinition"], "(the revision of acme-api made by step task-definition)");
    assert_eq!(
        create.params["loadBalancers"][0]["targetGroupArn"],
        "(the target group acme-tg made by step load-balancer)"
    );
    assert_eq!(create.params["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"], true);
    // The text says so too.
    let text = sb.run(&["plan", "ecs-service"]);
    assert!(
        text.stdout.contains("let in port 8000 to acme-ecs from (the security group acme-alb made by step network)"),
        "{text:?}"
    );
}

#[test]
fn what_a_consent_shows_is_the_plans_text() {
    let moto = Moto::start();
    let sb = Sandbox::new("consent-text", &moto.url);
    let plan = sb.run(&["plan", "iam-policy"]);
    // The plan's text of the first step's changes: from "would change:" to the next step.
    let lines: Vec<&str> = plan.stdout.lines().collect();
    let start = lines.iter().position(|l| l.trim() == "would change:").unwrap() + 1;
    let end = start + lines[start..].iter().position(|l| l.starts_with("  ✘")).unwrap();
    let planned: Vec<String> = lines[start..end].iter().map(|l| l.trim().to_string()).collect();
    assert!(planned.len() > 10 && planned[0].starts_with("iam:CreatePolicy"), "{planned:?}");

    // Without a pager (the text is longer than the terminal; tests/interactive.rs pages it).
    let mut sb = sb;
    sb.env.push(("PREFLIGHT_PAGER".into(), "cat".into()));
    let mut t = Tty::open(&sb, "run iam-policy");
    t.expect("iam-policy / runtime-policy: Least-privilege runtime policy");
    let shown = t.until("Make 1 change to the account?");
    // The prompt's own terminal codes follow the text.
    let shown: Vec<String> =
        shown.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty() && !l.contains('\u{1b}')).collect();
    assert_eq!(shown, planned, "the consent shows the plan's text, line for line");
    t.press("n\r");
    assert_eq!(t.exit_code(), 1);
}
