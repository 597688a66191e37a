//! The workflow preflight writes when a repository has none that deploys: on a
//! push of the ref the deploy role trusts, with `id-token: write`, the role from
//! the secret oidc-provider sets, the image built for the tasks' platform and
//! pushed to the repository, a new revision of the task definition naming it,
//! and the service updated to it — everything the check asks, with the
//! profile's values (tests check that the check passes on it).

use super::check::Wanted;

/// What the written workflow needs beyond what the check compares.
pub struct Extra<'a> {
    pub ecr_repository: &'a str,
    pub task_family: &'a str,
    pub container_name: &'a str,
}

/// The workflow's text; Err when the ref is not one a push can deploy from.
pub fn workflow(w: &Wanted, e: &Extra) -> Result<String, String> {
    let (trigger, environment) = match (
        w.git_ref.strip_prefix("refs/heads/"),
        w.git_ref.strip_prefix("refs/tags/"),
        w.git_ref.strip_prefix("environment:"),
    ) {
        (Some(branch), _, _) => (format!("    branches: [{branch}]"), String::new()),
        (_, Some(tag), _) => (format!("    tags: [{tag}]"), String::new()),
        (_, _, Some(env)) => (String::from("    branches: [main]"), format!("    environment: {env}\n")),
        _ => return Err(format!("github_ref {} is not a branch, a tag or an environment", w.git_ref)),
    };
    let (secret, region, platform, cluster, service) = (w.secret, w.region, w.platform, w.cluster, w.service);
    let (repository, family, container) = (e.ecr_repository, e.task_family, e.container_name);
    Ok(format!(
        r#"# Written by preflight (oidc-provider, step workflow): on a push of {git_ref}, build the image
# for {platform}, push it to ECR, register a new revision of {family} naming it, and deploy it to
# {cluster}/{service} as the deploy role (its ARN in the Actions secret {secret}).
# `preflight verify oidc-provider` checks it again after every edit.
name: deploy

on:
  push:
{trigger}

permissions:
  id-token: write
  contents: read

jobs:
  deploy:
    runs-on: ubuntu-latest
{environment}    steps:
      - uses: actions/checkout@v4

      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{{{ secrets.{secret} }}}}
          aws-region: {region}

      - id: ecr
        uses: aws-actions/amazon-ecr-login@v2

      - name: Build and push
        env:
          IMAGE: ${{{{ steps.ecr.outputs.registry }}}}/{repository}:${{{{ github.sha }}}}
        run: docker buildx build --platform {platform} --tag "$IMAGE" --push .

      - name: Task definition for the new image
        run: aws ecs describe-task-definition --task-definition {family} --query taskDefinition > task-definition.json

      - id: render
        uses: aws-actions/amazon-ecs-render-task-definition@v1
        with:
          task-definition: task-definition.json
          container-name: {container}
          image: ${{{{ steps.ecr.outputs.registry }}}}/{repository}:${{{{ github.sha }}}}

      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: ${{{{ steps.render.outputs.task-definition }}}}
          cluster: {cluster}
          service: {service}
          wait-for-service-stability: true
"#,
        git_ref = w.git_ref,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::check::{Verdict, judge};
    use super::super::parse;
    use super::*;

    #[test]
    fn the_written_workflow_passes_the_check_for_each_kind_of_ref() {
        for git_ref in ["refs/heads/master", "refs/tags/v1", "environment:production"] {
            let w = Wanted {
                repository: "acme/api",
                git_ref,
                secret: "AWS_ROLE_ARN",
                role_arn: "arn:aws:iam::123456789012:role/r",
                region: "eu-west-1",
                platform: "linux/arm64",
                cluster: "c",
                service: "s",
            };
            let e = Extra { ecr_repository: "acme", task_family: "acme-api", container_name: "acme" };
            let text = workflow(&w, &e).unwrap();
            let read = [parse(".github/workflows/deploy.yml", &text).map_err(|(l, y)| (String::new(), l, y))];
            assert!(matches!(judge(&read, &w), Verdict::Passes { .. }), "{git_ref}: {:?}\n{text}", judge(&read, &w));
        }
    }
}
