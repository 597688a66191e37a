//! The pipeline check: does some workflow deploy this profile's service with
//! the deploy role? It must run on a push GitHub's token for which the role's
//! trust accepts (a workflow on `main` against a trust for `master` is the
//! classic silent failure: AssumeRoleWithWebIdentity is refused at deploy
//! time), ask for `id-token: write`, assume the role from the secret
//! oidc-provider sets in the profile's region, build for the platform the tasks
//! run on, and deploy to the profile's cluster and service. Every finding
//! names the file and line, and the fix.

use std::collections::BTreeMap;

use super::{At, Job, Parsed, Permissions, StepDef, Workflow};

/// What the workflow must agree with (the profile's values).
pub struct Wanted<'a> {
    pub repository: &'a str,
    /// `refs/heads/BRANCH`, `refs/tags/TAG` or `environment:NAME` (github_ref).
    pub git_ref: &'a str,
    /// The Actions secret oidc-provider sets (AWS_ROLE_ARN).
    pub secret: &'a str,
    pub role_arn: &'a str,
    pub region: &'a str,
    pub platform: &'a str,
    pub cluster: &'a str,
    pub service: &'a str,
}

impl Wanted<'_> {
    /// The `sub` the deploy role trusts.
    pub fn sub(&self) -> String {
        match self.git_ref.strip_prefix("environment:") {
            Some(env) => format!("repo:{}:environment:{env}", self.repository),
            None => format!("repo:{}:ref:{}", self.repository, self.git_ref),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `.github/workflows/deploy.yml:4`
    pub at: String,
    pub problem: String,
    pub fix: String,
}

#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// No workflow file at all.
    NoWorkflow,
    /// Workflows, none assuming an AWS role (or none readable: their findings).
    NoDeploy {
        files: Vec<String>,
        unreadable: Vec<Finding>,
    },
    Fails(Vec<Finding>),
    Passes {
        said: String,
        unchecked: Vec<String>,
    },
}

const CONFIGURE: &str = "aws-actions/configure-aws-credentials";
const ECS_DEPLOY: &str = "aws-actions/amazon-ecs-deploy-task-definition";
const BUILD_PUSH: &str = "docker/build-push-action";

/// Judges the workflows read (a file that is not valid YAML: Err(file, line, why)).
pub fn judge(read: &[Parsed], w: &Wanted) -> Verdict {
    if read.is_empty() {
        return Verdict::NoWorkflow;
    }
    let unreadable: Vec<Finding> = read
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|(file, line, why)| Finding {
            at: format!("{file}:{line}"),
            problem: format!("is not a workflow GitHub can read: {why}"),
            fix: format!("correct the YAML at {file}:{line}"),
        })
        .collect();
    let deploying: Vec<&Workflow> =
        read.iter().filter_map(|r| r.as_ref().ok()).filter(|wf| configure(wf).is_some()).collect();
    if deploying.is_empty() {
        let files = read.iter().filter_map(|r| r.as_ref().ok()).map(|wf| wf.file.clone()).collect();
        return Verdict::NoDeploy { files, unreadable };
    }
    let mut all = Vec::new();
    for wf in deploying {
        let (findings, said, unchecked) = one(wf, w);
        if findings.is_empty() {
            return Verdict::Passes { said, unchecked };
        }
        all.extend(findings);
    }
    Verdict::Fails(all)
}

/// The job and step that assume the role.
fn configure(wf: &Workflow) -> Option<(&Job, &StepDef)> {
    wf.jobs.iter().find_map(|j| j.steps.iter().find(|s| uses(s, CONFIGURE)).map(|s| (j, s)))
}

fn uses(step: &StepDef, action: &str) -> bool {
    step.uses.as_ref().is_some_and(|u| u.value.split('@').next() == Some(action))
}

/// GitHub's filter patterns: `*` (not `/`), `**`, `?`, and `!` negating an earlier match.
fn filter_matches(patterns: &[String], name: &str) -> bool {
    let mut matched = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(neg) if glob(neg, name) => matched = false,
            None if glob(p, name) => matched = true,
            _ => {}
        }
    }
    matched
}

fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p {
            [] => n.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=n.len()).any(|i| go(rest, &n[i..])),
            [b'*', rest @ ..] => (0..=n.len()).take_while(|&i| i == 0 || n[i - 1] != b'/').any(|i| go(rest, &n[i..])),
            [b'?', rest @ ..] => !n.is_empty() && go(rest, &n[1..]),
            [c, rest @ ..] => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// `${{ env.X }}`, `$X` and `${X}` from the step's, the job's and the workflow's `env`;
/// None for what only GitHub knows (`vars.`, `secrets.`, other expressions).
fn resolve(value: &str, envs: &[&BTreeMap<String, String>]) -> Option<String> {
    let v = value.trim();
    let name = v
        .strip_prefix("${{")
        .and_then(|r| r.strip_suffix("}}"))
        .map(str::trim)
        .and_then(|e| e.strip_prefix("env."))
        .or_else(|| v.strip_prefix("${").and_then(|r| r.strip_suffix('}')))
        .or_else(|| v.strip_prefix('$'));
    match name {
        Some(n) => envs.iter().find_map(|e| e.get(n)).and_then(|x| resolve(x, envs)),
        None if v.contains("${{") || v.starts_with('$') => None,
        None => Some(v.to_string()),
    }
}

/// The value of `--flag VALUE` or `--flag=VALUE` in a command line.
fn flag(line: &str, name: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.iter().enumerate().find_map(|(i, w)| {
        if *w == name {
            words.get(i + 1).map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_string())
        } else {
            w.strip_prefix(&format!("{name}=")).map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_string())
        }
    })
}

/// The commands of a `run`, each with its line's offset in it (continuation lines joined).
fn commands(run: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (i, line) in run.lines().enumerate() {
        let (text, continued) = match line.trim_end().strip_suffix('\\') {
            Some(t) => (t, true),
            None => (line, false),
        };
        match out.last_mut() {
            Some((_, command)) if open => command.push_str(&format!(" {text}")),
            _ => out.push((i, text.to_string())),
        }
        open = continued;
    }
    out
}

fn one(wf: &Workflow, w: &Wanted) -> (Vec<Finding>, String, Vec<String>) {
    let (job, step) = configure(wf).expect("a deploying workflow");
    let at = |line: usize| format!("{}:{line}", wf.file);
    let mut found = Vec::new();
    let mut unchecked = Vec::new();
    let mut said = Vec::new();
    let mut bad = |line: usize, problem: String, fix: String| found.push(Finding { at: at(line), problem, fix });
    let sub = w.sub();
    let redo_role = "then `preflight run oidc-provider --step deploy-role` makes the role trust it";

    // 1. The push, and the token it gets.
    match (&wf.push, w.git_ref.strip_prefix("refs/heads/"), w.git_ref.strip_prefix("refs/tags/")) {
        (None, _, _) => bad(
            wf.on_line,
            "does not run on a push, so nothing deploys when you push".into(),
            format!("add a push trigger under `on:` at {}", at(wf.on_line)),
        ),
        (Some(push), Some(branch), _) => {
            let runs = match (&push.branches, &push.tags) {
                (Some(b), _) => filter_matches(&b.value, branch),
                (None, Some(_)) => false,
                (None, None) => true,
            } && !push.branches_ignore.as_ref().is_some_and(|i| filter_matches(&i.value, branch));
            if runs {
                said.push(format!("runs on a push to {branch}"));
            } else {
                let (line, shown) = match &push.branches {
                    Some(b) => (b.line, b.value.join(", ")),
                    None => (push.line, "tags only".into()),
                };
                let other = push.branches.as_ref().and_then(|b| b.value.first()).filter(|b| !b.contains('*'));
                let alternative = other
                    .map(|o| format!(", or deploy from {o}: --set github_ref=refs/heads/{o} (or github_ref in the profile); {redo_role}"))
                    .unwrap_or_default();
                bad(
                    line,
                    format!(
                        "runs on a push to {shown}, but the deploy role trusts only {sub}: GitHub's token for such a push is refused \
                         (Not authorized to perform sts:AssumeRoleWithWebIdentity)"
                    ),
                    format!("run it on {branch}: `branches: [{branch}]` at {}{alternative}", at(line)),
                );
            }
        }
        (Some(push), _, Some(tag)) => {
            if push.tags.as_ref().is_some_and(|t| filter_matches(&t.value, tag))
                || (push.tags.is_none() && push.branches.is_none())
            {
                said.push(format!("runs on a push of the tag {tag}"));
            } else {
                bad(
                    push.line,
                    format!("does not run on a push of the tag {tag}, the only ref the deploy role trusts ({sub})"),
                    format!("add `tags: [{tag}]` under push at {}", at(push.line)),
                );
            }
        }
        (Some(_), _, _) => said.push("runs on a push".into()),
    }
    // The job's environment decides its token's sub.
    match (w.git_ref.strip_prefix("environment:"), &job.environment) {
        (Some(want), Some(env)) if env.value == want => said.push(format!("in environment {want}")),
        (Some(want), Some(env)) => bad(
            env.line,
            format!("runs in environment {}, but the deploy role trusts only {sub}", env.value),
            format!("`environment: {want}` at {}", at(env.line)),
        ),
        (Some(want), None) => bad(
            job.line,
            format!(
                "job {} runs in no environment, so its token's sub is not {sub}, the only one the deploy role trusts",
                job.id
            ),
            format!("add `environment: {want}` to job {} at {}", job.id, at(job.line)),
        ),
        (None, Some(env)) => bad(
            env.line,
            format!(
                "job {} runs in environment {}, so its token says repo:{}:environment:{}, which the deploy role does not trust (it trusts {sub})",
                job.id, env.value, w.repository, env.value
            ),
            format!(
                "remove `environment:` at {}, or --set github_ref=environment:{} (or github_ref in the profile); {redo_role}",
                at(env.line),
                env.value
            ),
        ),
        (None, None) => {}
    }

    // 2. The OIDC token.
    let permissions = job.permissions.as_ref().or(wf.permissions.as_ref());
    let no_token =
        "GitHub gives the job no OIDC token and configure-aws-credentials fails (Could not load credentials)";
    match permissions {
        None => bad(
            job.line,
            format!("job {} does not ask for `id-token: write`: {no_token}", job.id),
            format!("add `permissions: {{id-token: write, contents: read}}` to job {} at {}", job.id, at(job.line)),
        ),
        Some(At { value: Permissions::All(all), .. }) if all == "write-all" => said.push("id-token: write".into()),
        Some(At { value: Permissions::Scopes(s), .. }) if s.get("id-token").map(String::as_str) == Some("write") => {
            said.push("id-token: write".into())
        }
        Some(p) => bad(
            p.line,
            format!("the permissions do not include `id-token: write`: {no_token}"),
            format!("add `id-token: write` to the permissions at {}", at(p.line)),
        ),
    }

    // 3. The role and the region.
    let envs = [&step.env, &job.env, &wf.env];
    match step.with.get("role-to-assume") {
        None => bad(
            step.line,
            "configure-aws-credentials has no role-to-assume: it does not assume the deploy role".into(),
            format!("add `role-to-assume: ${{{{ secrets.{} }}}}` under with: at {}", w.secret, at(step.line)),
        ),
        Some(role) => {
            let compact: String = role.value.chars().filter(|c| !c.is_whitespace()).collect();
            let from = ["secrets", "vars"].iter().find_map(|k| {
                compact
                    .strip_prefix(&format!("${{{{{k}."))
                    .and_then(|r| r.strip_suffix("}}"))
                    .map(|n| (*k, n.to_string()))
            });
            match (from, resolve(&role.value, &envs)) {
                (Some((kind, name)), _) if name == w.secret => said.push(format!("the role from {kind}.{name}")),
                (Some((kind, name)), _) => bad(
                    role.line,
                    format!(
                        "reads the role from {kind}.{name}, but oidc-provider sets the secret {} (its github-secret step)",
                        w.secret
                    ),
                    format!("`role-to-assume: ${{{{ secrets.{} }}}}` at {}", w.secret, at(role.line)),
                ),
                (None, Some(arn)) if arn == w.role_arn => said.push(format!("the role {arn}")),
                (None, Some(arn)) => bad(
                    role.line,
                    format!("assumes {arn}, not the deploy role {}", w.role_arn),
                    format!("`role-to-assume: ${{{{ secrets.{} }}}}` at {}", w.secret, at(role.line)),
                ),
                (None, None) => unchecked.push(format!("the role ({}, known only to GitHub)", role.value.trim())),
            }
        }
    }
    match step.with.get("aws-region") {
        None => bad(
            step.line,
            "configure-aws-credentials has no aws-region".into(),
            format!("add `aws-region: {}` under with: at {}", w.region, at(step.line)),
        ),
        Some(r) => match resolve(&r.value, &envs) {
            Some(region) if region == w.region => said.push(format!("in {region}")),
            Some(region) => bad(
                r.line,
                format!("assumes the role in {region}, but the profile deploys to {}", w.region),
                format!("`aws-region: {}` at {}", w.region, at(r.line)),
            ),
            None => unchecked.push(format!("the region ({}, known only to GitHub)", r.value.trim())),
        },
    }

    // 4. The build's platform, and 5. the deploy, in any job of the workflow.
    let mut built = false;
    let mut deployed = false;
    for j in &wf.jobs {
        for s in &j.steps {
            let envs = [&s.env, &j.env, &wf.env];
            if uses(s, BUILD_PUSH) {
                built = true;
                let platforms = s.with.get("platforms");
                check_platform(platforms.map(|p| (p.value.as_str(), p.line)), s.line, w, &at, &mut bad, &mut said);
            }
            if uses(s, ECS_DEPLOY) {
                deployed = true;
                let get = |k: &str| s.with.get(k).map(|v| (resolve(&v.value, &envs), v.line));
                check_target(get("cluster"), get("service"), s.line, w, &at, &mut bad, &mut said, &mut unchecked);
            }
            let Some(run) = &s.run else { continue };
            for (offset, command) in commands(&run.value) {
                let line = run.line + offset;
                if command.contains("docker build ") || command.contains("docker buildx build ") {
                    built = true;
                    let p = flag(&command, "--platform");
                    check_platform(p.as_deref().map(|p| (p, line)), line, w, &at, &mut bad, &mut said);
                }
                if command.contains("aws ecs update-service") {
                    deployed = true;
                    let get = |k: &str| flag(&command, k).map(|v| (resolve(&v, &envs), line));
                    check_target(get("--cluster"), get("--service"), line, w, &at, &mut bad, &mut said, &mut unchecked);
                }
            }
        }
    }
    if !built {
        bad(
            job.line,
            "builds no image (no `docker build`, `docker buildx build` or docker/build-push-action)".into(),
            format!(
                "build and push the image for {} in the workflow (`preflight plan oidc-provider --step workflow` shows one that does, when there is none)",
                w.platform
            ),
        );
    }
    if !deployed {
        bad(
            job.line,
            format!("deploys nothing to ECS (no `aws ecs update-service` nor {ECS_DEPLOY})"),
            format!("deploy to cluster {} and service {} in the workflow", w.cluster, w.service),
        );
    }
    (found, format!("{}: {}", wf.file, said.join(", ")), unchecked)
}

fn check_platform(
    given: Option<(&str, usize)>,
    line: usize,
    w: &Wanted,
    at: &dyn Fn(usize) -> String,
    bad: &mut dyn FnMut(usize, String, String),
    said: &mut Vec<String>,
) {
    match given {
        Some((p, _)) if p.split(',').map(str::trim).any(|x| x == w.platform) => {
            said.push(format!("builds {}", w.platform))
        }
        Some((p, l)) => bad(
            l,
            format!("builds for {p}, but the tasks run on {} (they would stop: exec format error)", w.platform),
            format!("build with --platform {} (or `platforms: {}`) at {}", w.platform, w.platform, at(l)),
        ),
        None => bad(
            line,
            format!(
                "builds for the runner's own platform, not named: on an ARM runner the image is linux/arm64 and tasks on {} stop (exec format error)",
                w.platform
            ),
            format!("add --platform {} (or `platforms: {}`) at {}", w.platform, w.platform, at(line)),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn check_target(
    cluster: Option<(Option<String>, usize)>,
    service: Option<(Option<String>, usize)>,
    line: usize,
    w: &Wanted,
    at: &dyn Fn(usize) -> String,
    bad: &mut dyn FnMut(usize, String, String),
    said: &mut Vec<String>,
    unchecked: &mut Vec<String>,
) {
    // Without a cluster, ECS's is `default`.
    let cluster = cluster.unwrap_or((Some("default".into()), line));
    let Some(service) = service else {
        bad(line, "deploys to no service".into(), format!("name the service {} at {}", w.service, at(line)));
        return;
    };
    match (&cluster.0, &service.0) {
        (Some(c), Some(s)) if c == w.cluster && s == w.service => said.push(format!("deploys to {c}/{s}")),
        (Some(c), Some(s)) => bad(
            if c != w.cluster { cluster.1 } else { service.1 },
            format!("deploys to {c}/{s}, but the profile's service is {}/{}", w.cluster, w.service),
            format!("cluster {} and service {} at {}", w.cluster, w.service, at(cluster.1)),
        ),
        _ => unchecked.push("the cluster or the service (known only to GitHub)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const WANTED: Wanted = Wanted {
        repository: "acme/api",
        git_ref: "refs/heads/master",
        secret: "AWS_ROLE_ARN",
        role_arn: "arn:aws:iam::123456789012:role/acme-github-actions-role",
        region: "us-east-1",
        platform: "linux/amd64",
        cluster: "acme-cluster",
        service: "acme-service",
    };

    const GOOD: &str = "on:
  push:
    branches: [master]
permissions:
  id-token: write
  contents: read
env:
  CLUSTER: acme-cluster
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{ secrets.AWS_ROLE_ARN }}
          aws-region: us-east-1
      - run: |
          docker buildx build --platform linux/amd64 \\
            -t x --push .
      - run: aws ecs update-service --cluster $CLUSTER --service acme-service --force-new-deployment
";

    fn verdict(yaml: &str) -> Verdict {
        judge(&[parse(".github/workflows/deploy.yml", yaml).map_err(|(l, w)| ("deploy.yml".into(), l, w))], &WANTED)
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        match verdict(yaml) {
            Verdict::Fails(f) => f,
            other => panic!("expected findings, got {other:?}"),
        }
    }

    #[test]
    fn a_workflow_that_does_it_all_passes() {
        let Verdict::Passes { said, unchecked } = verdict(GOOD) else { panic!("{:?}", verdict(GOOD)) };
        assert!(said.contains("runs on a push to master"), "{said}");
        assert!(said.contains("deploys to acme-cluster/acme-service"), "{said}");
        assert!(unchecked.is_empty(), "{unchecked:?}");
    }

    #[test]
    fn each_planted_mistake_is_found_at_its_line() {
        let cases = [
            (
                "branches: [master]",
                "branches: [main]",
                ":3",
                "runs on a push to main, but the deploy role trusts only repo:acme/api:ref:refs/heads/master",
            ),
            ("  id-token: write\n", "", ":4", "do not include `id-token: write`"),
            ("secrets.AWS_ROLE_ARN", "secrets.DEPLOY_ROLE", ":15", "reads the role from secrets.DEPLOY_ROLE"),
            ("aws-region: us-east-1", "aws-region: eu-west-1", ":16", "assumes the role in eu-west-1"),
            ("--platform linux/amd64 ", "", ":18", "builds for the runner's own platform"),
            ("--platform linux/amd64", "--platform linux/arm64", ":18", "builds for linux/arm64"),
            ("--service acme-service", "--service other", ":20", "deploys to acme-cluster/other"),
            ("CLUSTER: acme-cluster", "CLUSTER: prod", ":20", "deploys to prod/acme-service"),
            ("  push:\n    branches: [master]\n", "  workflow_dispatch:\n", ":1", "does not run on a push"),
            (
                "permissions:\n  id-token: write\n  contents: read\n",
                "",
                ":7",
                "job deploy does not ask for `id-token: write`",
            ),
            (
                "    runs-on: ubuntu-latest\n",
                "    runs-on: ubuntu-latest\n    environment: production\n",
                ":12",
                "runs in environment production",
            ),
        ];
        for (from, to, line, problem) in cases {
            assert!(GOOD.contains(from), "{from}");
            let found = findings(&GOOD.replacen(from, to, 1));
            assert!(
                found.iter().any(|f| f.at.ends_with(line) && f.problem.contains(problem)),
                "{from} → {to}: {found:#?}"
            );
        }
    }

    #[test]
    fn no_workflow_no_deploy_and_bad_yaml_are_told_apart() {
        assert_eq!(judge(&[], &WANTED), Verdict::NoWorkflow);
        let tests = parse("ci.yml", "on: push\njobs:\n  test:\n    steps:\n      - run: cargo test\n")
            .map_err(|_| unreachable!());
        let broken = Err(("broken.yml".to_string(), 3, "did not find expected node content".to_string()));
        let Verdict::NoDeploy { files, unreadable } = judge(&[tests, broken], &WANTED) else { panic!() };
        assert_eq!(files, ["ci.yml"]);
        assert_eq!(unreadable[0].at, "broken.yml:3");
    }

    #[test]
    fn branch_filters_follow_githubs_patterns() {
        assert!(filter_matches(&["release/*".into()], "release/1"));
        assert!(!filter_matches(&["release/*".into()], "release/1/a"));
        assert!(filter_matches(&["**".into(), "!main".into()], "dev"));
        assert!(!filter_matches(&["**".into(), "!main".into()], "main"));
    }
}
