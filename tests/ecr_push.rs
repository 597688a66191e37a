//! The `ecr-push` checklist against moto (the ECR API) and a real registry on
//! 127.0.0.1 (Debian's docker-registry, htpasswd auth with the password of
//! moto's ECR token), with skopeo as an independent client. moto does not
//! serve the registry protocol, hence `ecr_registry_url`. No Docker engine:
//! the images are built by the tests (tests/support/image.rs).

mod support;

use std::time::{Duration, Instant};

use support::image::{Built, build, write_docker_archive, write_layout, write_legacy_archive};
use support::registry::{MOTO_PASSWORD, Registry};
use support::{Moto, Sandbox, is_mutating, step};

const URI: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/comafi";

fn sandbox(name: &str, moto: &Moto, registry_url: &str, source: &str, extra: &str) -> Sandbox {
    let sb = Sandbox::new(name, &moto.url);
    std::fs::write(
        sb.dir.join("preflight.toml"),
        format!(
            "[inputs]\nproject = \"comafi\"\necr_registry_url = \"{registry_url}\"\nimage_source = \"{source}\"\n{extra}"
        ),
    )
    .unwrap();
    sb
}

fn archive(sb: &Sandbox, img: &Built) -> String {
    let path = sb.dir.join("image.tar");
    write_docker_archive(&path, &[img]);
    path.display().to_string()
}

/// Secrets never leave memory: the registry password and its base64 appear nowhere.
fn assert_no_token(sb: &Sandbox, outputs: &[&support::Out]) {
    let b64 = aws_smithy_types::base64::encode(format!("AWS:{MOTO_PASSWORD}"));
    for out in outputs {
        assert!(!out.all().contains(MOTO_PASSWORD) && !out.all().contains(&b64), "the token leaked: {out:?}");
    }
    for entry in support::files_under(&sb.dir.join(".preflight")) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).to_string();
        assert!(!text.contains(MOTO_PASSWORD) && !text.contains(&b64), "the token is in {}", entry.display());
    }
}

#[test]
fn a_fresh_push_verifies_is_pullable_and_a_rerun_uploads_nothing() {
    let moto = Moto::start();
    let registry = Registry::start();
    let img = build("amd64", 2, 4096);
    let sb = sandbox("ecr-fresh", &moto, &registry.url, "", "");
    let source = archive(&sb, &img);
    let set = format!("image_source={source}");

    let before = sb.run(&["verify", "ecr-push", "--json", "--set", &set]);
    assert_eq!(before.code, 1, "{before:?}");
    assert_eq!(step(&before.json(), "repository")["probes"][0]["status"], "fail");

    let plan = sb.run(&["plan", "ecr-push", "--set", &set]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("ecr:CreateRepository") && plan.stdout.contains("ecr:PutLifecyclePolicy"), "{plan:?}");
    assert!(registry.uploads().is_empty(), "a plan uploads nothing: {:?}", registry.uploads());

    let run = sb.run(&["run", "ecr-push", "--yes", "--set", &set]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("sent"), "a line per uploaded blob: {run:?}");
    // The look before consent and the push say the same notes: each is printed once.
    for note in ["ECR token obtained", " in all, to "] {
        assert_eq!(run.stderr.matches(note).count(), 1, "{note}: {run:?}");
    }
    let verify = sb.run(&["verify", "ecr-push", "--json", "--set", &set]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let image = step(&verify.json(), "image").clone();
    assert!(image["probes"][0]["message"].as_str().unwrap().contains(&img.digest()), "{image}");
    assert!(image["probes"][1]["message"].as_str().unwrap().contains("runs on linux/amd64"), "{image}");

    // An independent client sees the same image, and can pull it.
    let inspect = registry.skopeo(&["inspect", &registry.image("comafi:latest")]);
    assert!(inspect.status.success(), "{inspect:?}");
    let doc: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(
        (doc["Digest"].as_str().unwrap(), doc["Architecture"].as_str().unwrap()),
        (img.digest().as_str(), "amd64")
    );
    let pulled = sb.dir.join("pulled");
    let copy = registry.skopeo(&["copy", &registry.image("comafi:latest"), &format!("oci:{}", pulled.display())]);
    assert!(copy.status.success(), "{copy:?}");

    // A re-run of the complete checklist: no mutating ECR call, no upload, HEADs only.
    let uploads = registry.uploads().len();
    let manifests = registry.manifest_puts().len();
    moto.start_recording();
    let again = sb.run(&["run", "ecr-push", "--yes", "--set", &set]);
    assert_eq!(again.code, 0, "{again:?}");
    let mutating: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert_eq!((registry.uploads().len(), registry.manifest_puts().len()), (uploads, manifests));
    assert_no_token(&sb, &[&before, &plan, &run, &verify, &again]);
}

#[test]
fn every_source_layout_pushes_the_image_it_holds() {
    let moto = Moto::start();
    let registry = Registry::start();
    let amd = build("amd64", 1, 512);
    let arm = build("arm64", 1, 512);
    let sb = Sandbox::new("ecr-layouts", &moto.url);
    let layout = sb.dir.join("layout");
    let layout_digest = write_layout(&layout, &[&amd]);
    let legacy = sb.dir.join("legacy.tar");
    write_legacy_archive(&legacy, &amd);
    let multi = sb.dir.join("multi");
    let index_digest = write_layout(&multi, &[&amd, &arm]);
    // docker save with the containerd image store: index.json points to an index of platforms.
    let containerd = sb.dir.join("containerd.tar");
    let containerd_digest = write_docker_archive(&containerd, &[&amd, &arm]);
    for (tag, source, expect) in [
        ("layout", layout.display().to_string(), Some(layout_digest)),
        ("legacy", legacy.display().to_string(), None),
        ("multi", multi.display().to_string(), Some(index_digest.clone())),
        ("containerd", containerd.display().to_string(), Some(containerd_digest)),
    ] {
        let sets = [
            format!("ecr_registry_url={}", registry.url),
            format!("image_source={source}"),
            format!("image_tag={tag}"),
        ];
        let mut args = vec!["run", "ecr-push", "--yes", "--json"];
        for s in &sets {
            args.extend(["--set", s.as_str()]);
        }
        let run = sb.run(&args);
        assert_eq!(run.code, 0, "{tag}: {run:?}");
        args[0] = "verify";
        args.retain(|a| *a != "--yes");
        let verify = sb.run(&args);
        assert_eq!(verify.code, 0, "{tag}: {verify:?}");
        let raw = registry.skopeo(&["inspect", "--raw", &registry.image(&format!("comafi:{tag}"))]);
        assert!(raw.status.success(), "{tag}: {raw:?}");
        if let Some(digest) = expect {
            assert_eq!(support::image::sha(&raw.stdout), digest, "{tag}: the tag holds the source's own document");
        }
    }
    // The two-platform index stays an index, with both platforms.
    let raw = registry.skopeo(&["inspect", "--raw", &registry.image("comafi:multi")]);
    let doc: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(doc["manifests"].as_array().unwrap().len(), 2, "{doc}");
}

#[test]
fn an_arm64_image_is_refused_before_anything_is_uploaded() {
    let moto = Moto::start();
    let registry = Registry::start();
    let arm = build("arm64", 1, 1024);
    let sb = sandbox("ecr-arm", &moto, &registry.url, "", "");
    let source = archive(&sb, &arm);
    let set = format!("image_source={source}");
    let run = sb.run(&["run", "ecr-push", "--yes", "--set", &set]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("has no linux/amd64 variant (it has linux/arm64/v8)"), "{run:?}");
    assert!(run.stdout.contains(&format!("docker buildx build --platform linux/amd64 -t {URI}:latest .")), "{run:?}");
    assert!(registry.uploads().is_empty() && registry.manifest_puts().is_empty(), "{:?}", registry.requests());

    // For ARM64 tasks it is the right image: it goes in, and the probes agree.
    let run = sb.run(&["run", "ecr-push", "--yes", "--set", &set, "--set", "platform=linux/arm64"]);
    assert_eq!(run.code, 0, "{run:?}");
    let verify = sb.run(&["verify", "ecr-push", "--json", "--set", &set]);
    assert_eq!(verify.code, 1, "the amd64 check of an arm64 image fails: {verify:?}");
    let platform = step(&verify.json(), "image")["probes"][1].clone();
    assert!(platform["message"].as_str().unwrap().contains("no linux/amd64 variant"), "{platform}");
}

#[test]
fn a_refused_token_a_corrupt_archive_and_a_build_without_docker_are_named() {
    let moto = Moto::start();
    let registry = Registry::start_with_password("not-the-ecr-token");
    let img = build("amd64", 1, 256);
    let sb = sandbox("ecr-faults", &moto, &registry.url, "", "");
    let source = archive(&sb, &img);

    let refused = sb.run(&["run", "ecr-push", "--yes", "--set", &format!("image_source={source}")]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.all().contains("refused the ECR token (HTTP 401)"), "{refused:?}");
    assert!(
        refused.all().contains("ecr:GetAuthorizationToken"),
        "the fix names where the token comes from: {refused:?}"
    );

    let garbage = sb.dir.join("garbage.tar");
    std::fs::write(&garbage, b"this is not an archive at all").unwrap();
    let truncated = sb.dir.join("truncated.tar");
    let bytes = std::fs::read(&source).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let context = sb.dir.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("Dockerfile"), "FROM scratch\n").unwrap();
    for (path, says) in [
        (&garbage, "not a"),
        (&truncated, "truncated"),
        (&context, "needs a Docker engine"),
        (&sb.dir.join("missing.tar"), "does not exist"),
    ] {
        let out = sb.run(&["run", "ecr-push", "--yes", "--set", &format!("image_source={}", path.display())]);
        assert_eq!(out.code, 2, "{}: {out:?}", path.display());
        assert!(out.stderr.contains(&path.display().to_string()) && out.stderr.contains(says), "{out:?}");
        assert!(out.stderr.contains("fix:"), "{out:?}");
    }
    assert!(registry.uploads().is_empty(), "{:?}", registry.requests());
}

#[test]
fn an_unreachable_registry_is_exit_3_quickly_and_nothing_is_left_running() {
    let moto = Moto::start();
    let img = build("amd64", 1, 256);
    let closed = format!("http://127.0.0.1:{}", support::free_port());
    let sb = sandbox("ecr-down", &moto, &closed, "", "");
    let source = archive(&sb, &img);
    let started = Instant::now();
    let out = sb.run(&["run", "ecr-push", "--yes", "--set", &format!("image_source={source}")]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("could not be reached"), "{out:?}");
    // A hang guard, not a benchmark: bounded retries end well within 30 s.
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    let state = sb.state();
    assert!(!state.to_string().contains("\"running\""), "{state}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_repository_is_adopted_and_only_what_differs_changes() {
    let moto = Moto::start();
    let registry = Registry::start();
    let sb = sandbox("ecr-adopt", &moto, &registry.url, "", "");
    let ecr = support::ecr(&moto.url).await;
    ecr.create_repository().repository_name("comafi").send().await.unwrap();
    let theirs = r#"{"rules":[{"rulePriority":1,"description":"theirs","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
    ecr.put_lifecycle_policy().repository_name("comafi").lifecycle_policy_text(theirs).send().await.unwrap();

    let verify = sb.run(&["verify", "ecr-push", "--json"]);
    let repo = step(&verify.json(), "repository").clone();
    let statuses: Vec<&str> =
        repo["probes"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["pass", "fail", "fail"], "exists; scan on push off; no rule keeping 30: {repo}");

    moto.start_recording();
    let run = sb.run(&["run", "ecr-push", "--yes", "--step", "repository"]);
    assert_eq!(run.code, 0, "{run:?}");
    let ops: Vec<String> = moto.recorded_operations().into_iter().filter(|o| is_mutating(o)).collect();
    assert_eq!(ops, vec!["PutImageScanningConfiguration", "PutLifecyclePolicy"]);
    let policy = ecr.get_lifecycle_policy().repository_name("comafi").send().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(policy.lifecycle_policy_text().unwrap()).unwrap();
    assert_eq!(doc["rules"][0]["description"], "theirs", "their rule is kept: {doc}");
    assert_eq!(doc["rules"][1]["selection"]["countNumber"], 30, "{doc}");
    let verify = sb.run(&["verify", "ecr-push", "--json"]);
    assert_eq!(step(&verify.json(), "repository")["status"], "pass", "{verify:?}");
}
