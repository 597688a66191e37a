//! What the CLI shows of every checklist reads with the run's values: `list`,
//! `list --inputs`, `status`, `verify --all` and `plan` of each checklist (with
//! the fix a step without an action gives: `nothing to run here: …`), with the
//! sandbox profile (examples/preflight.toml, plus the registry, the image and
//! the health URL scripts/sandbox.sh adds) and with an empty profile, against
//! moto. No output may show a raw template, an empty value as `""` or `[]`, an
//! empty value's explanation, or the seeds the checklists come from. (The
//! wizard's texts are checked by src/tui/texts_tests.rs.)

mod support;

use support::health::Health;
use support::image::{build, write_docker_archive};
use support::registry::Registry;
use support::{Moto, Out, Sandbox};

const CHECKLISTS: [&str; 6] = ["iam-policy", "model-access", "oidc-provider", "ecr-push", "secrets", "ecs-service"];

/// Never in a text for people (compared in lower case).
const FORBIDDEN: [&str; 7] = ["{{", "\"\"", "[]", "(empty:", "seed ", "seeds ", "§"];
/// Never in a JSON document either (where `""` and `[]` are values).
const FORBIDDEN_IN_JSON: [&str; 4] = ["{{", "seed ", "seeds ", "§"];

fn offences(what: &str, text: &str, forbidden: &[&str]) -> Vec<String> {
    // `${{ secrets.X }}` is GitHub's expression syntax in a workflow preflight writes, not a template left unrendered.
    let text = &text.replace("${{", "$(");
    let lower = text.to_lowercase();
    forbidden
        .iter()
        .filter(|f| lower.contains(*f))
        .map(|f| {
            let line = text.lines().find(|l| l.to_lowercase().contains(f)).unwrap_or("").trim();
            format!("{what}: `{f}` in: {line}")
        })
        .collect()
}

/// Runs every command that shows checklist texts; the offences in what they print.
fn check_every_command(sb: &Sandbox) -> (Vec<String>, Vec<(String, Out)>) {
    let mut commands: Vec<Vec<&str>> =
        vec![vec!["list"], vec!["list", "--inputs"], vec!["status"], vec!["verify", "--all"]];
    commands.extend(CHECKLISTS.iter().map(|c| vec!["plan", *c]));
    // The issue's own example: a region where the model is not offered.
    commands.push(vec!["plan", "model-access", "--region", "us-west-2"]);
    let json: Vec<Vec<&str>> = vec![vec!["list", "--json"], vec!["plan", "model-access", "--json"]];
    let mut bad = Vec::new();
    let mut outs = Vec::new();
    for (args, forbidden) in
        commands.iter().map(|a| (a, &FORBIDDEN[..])).chain(json.iter().map(|a| (a, &FORBIDDEN_IN_JSON[..])))
    {
        let out = sb.run(args);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {out:?}");
        let what = format!("preflight {}", args.join(" "));
        bad.extend(offences(&what, &out.all(), forbidden));
        outs.push((what, out));
    }
    (bad, outs)
}

fn output<'a>(outs: &'a [(String, Out)], command: &str) -> &'a Out {
    &outs.iter().find(|(w, _)| w == command).unwrap_or_else(|| panic!("{command} was not run")).1
}

#[test]
fn every_text_reads_with_the_sandbox_profile() {
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let registry = Registry::start();
    let health = Health::start(503, "starting");
    let mut sb = Sandbox::new("texts-sandbox", &moto.url);
    let image = sb.dir.join("image.tar");
    write_docker_archive(&image, &[&build("amd64", 1, 512)]);
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/preflight.toml")).unwrap();
    let added = format!(
        "[inputs]\necr_registry_url = \"{}\"\nimage_source = \"{}\"\nhealth_url = \"{}\"\n",
        registry.url,
        image.display(),
        health.url
    );
    std::fs::write(sb.dir.join("preflight.toml"), example.replacen("[inputs]\n", &added, 1)).unwrap();
    sb.env.push(("COMAFI_OPENAI_API_KEY".into(), "sk-example".into()));
    sb.env.push(("COMAFI_DB_URL".into(), "postgres://db/example".into()));

    let (bad, outs) = check_every_command(&sb);
    assert!(bad.is_empty(), "{} outputs read wrong:\n{}", bad.len(), bad.join("\n"));
    // A step without an action says what it is about with the run's values.
    let plan = output(&outs, "preflight plan model-access --region us-west-2");
    assert!(
        plan.stdout.contains(
            "fix: nothing to run here: anthropic.claude-3-haiku-20240307-v1:0 must exist and be ACTIVE in us-west-2"
        ),
        "{plan:?}"
    );
    // No checklist names where it comes from.
    let list = output(&outs, "preflight list");
    assert!(list.stdout.contains("model-access — Bedrock model access\n"), "{list:?}");
}

#[test]
fn every_text_reads_with_an_empty_profile() {
    let moto = Moto::start();
    let sb = Sandbox::new("texts-empty", &moto.url);
    std::fs::write(sb.dir.join("preflight.toml"), "").unwrap();

    let (bad, outs) = check_every_command(&sb);
    assert!(bad.is_empty(), "{} outputs read wrong:\n{}", bad.len(), bad.join("\n"));
    // An empty value reads as what it means.
    let inputs = output(&outs, "preflight list --inputs");
    assert!(inputs.stdout.contains("(not set: the load balancer's addr"), "{inputs:?}");
    assert!(inputs.stdout.contains("(not set: the default VPC's subnets)"), "{inputs:?}");
}
