//! `preflight report` (issue 21): every format from a deployed account with a
//! step skipped on purpose, a manual step confirmed and one broken behind
//! preflight's back; what it says of each (verified now and by whom, the
//! outputs, who skipped and confirmed, what is left with its fix, the audit's
//! changes), the HTML opened in headless Chromium (Debian's `chromium`, which
//! .ci/run installs) and its screenshot checked to hold the rendered table, and
//! the leak scan: the planted secret values appear in no format and no file.

mod support;

use support::deploy::{Deployed, PROFILE, account};

const ENABLED: &str = "checklists = [\"iam-policy\", \"ecr-push\", \"secrets\", \"ecs-service\", \"oidc-provider\"]\n";
/// The value of DB_URL (its source: ACME_DB_URL).
const PLANTED: &str = "postgres://db/one";

#[tokio::test(flavor = "multi_thread")]
async fn a_report_in_each_format_says_what_is_verified_skipped_confirmed_changed_and_left() {
    let Deployed { moto, sb, registry: _r, health: _h } = account(
        "report",
        &format!("{ENABLED}{}", PROFILE.replace("[inputs]\n", "[inputs]\ngithub_repository = \"acme/api\"\n")),
    );
    assert_eq!(
        sb.run(&["up", "--yes"]).code,
        0,
        "github-secret stays manual without gh: a manual step does not stop up"
    );
    let skip = sb.run(&["skip", "oidc-provider", "--step", "github-secret", "--reason", "set by the platform team"]);
    assert_eq!(skip.code, 0, "{skip:?}");
    // Broken behind preflight's back: the task role loses its runtime policy.
    let iam = support::iam(&moto.url).await;
    let policy = "arn:aws:iam::123456789012:policy/acme-runtime";
    iam.detach_role_policy().role_name("acme-ecs-task-role").policy_arn(policy).send().await.unwrap();

    let md = sb.run(&["report"]);
    assert_eq!(md.code, 0, "{md:?}");
    let text = &md.stdout;
    assert!(text.starts_with("# preflight report\n\naccount 123456789012 · region us-east-1"), "{text}");
    assert!(text.contains("| ✔ pass | **repository** ECR repository | now ("), "{text}");
    assert!(text.contains("repository_uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/acme`"), "outputs: {text}");
    assert!(text.contains("image_digest: `sha256:"), "{text}");
    assert!(text.contains("skipped by `arn:aws:sts::123456789012:user/moto` at "), "{text}");
    assert!(text.contains(": set by the platform team"), "{text}");
    assert!(text.contains("| ✘ fail | **grant** Runtime permissions in effect |"), "the break, verified now: {text}");
    assert!(text.contains("- **iam-policy/grant** (fail): "), "left to do: {text}");
    assert!(
        text.contains("  fix:\n\n  ```text\n  run `preflight run iam-policy`: it grants them"),
        "with its fix: {text}"
    );
    assert!(
        text.contains("| ecs-service/service | ecs:CreateService | `arn:aws:ecs:us-east-1:123456789012:service/acme-cluster/acme-service` | ok |"),
        "the audit's changes: {text}"
    );

    let json = sb.run(&["report", "--format", "json"]).json();
    assert_eq!(json["account"], "123456789012");
    let ids: Vec<&str> = json["checklists"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["iam-policy", "oidc-provider", "ecr-push", "secrets", "ecs-service"], "deploy order");
    assert!(json["left"].as_array().unwrap().iter().any(|l| l["step"] == "iam-policy/grant"), "{json}");
    assert!(json["changes"].as_array().unwrap().iter().all(|c| c["caller"] == "arn:aws:sts::123456789012:user/moto"));

    let file = sb.dir.join("report.html");
    let html = sb.run(&["report", "--format", "html", "-o", file.to_str().unwrap()]);
    assert_eq!(html.code, 0, "{html:?}");
    assert!(html.stderr.contains("wrote ") && html.stdout.is_empty(), "{html:?}");
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<table>"), "{page}");
    for external in ["<link", "<script", "src=", "url(", "@import", "https://", "http://fonts"] {
        assert!(!page.contains(external), "self-contained: no {external}");
    }
    screenshot(&file, &sb.dir.join("report.png"));

    // The leak scan: the planted value and the generated one, in no output and no file of the work directory.
    let sm = support::secrets(&moto.url).await;
    let stored = sm.get_secret_value().secret_id("acme-app").send().await.unwrap();
    let stored: serde_json::Value = serde_json::from_str(stored.secret_string().unwrap()).unwrap();
    let generated = stored["SESSION_SECRET"].as_str().unwrap().to_string();
    assert_eq!(stored["DB_URL"], PLANTED, "the planted value is the secret's");
    let outputs = [md.all(), serde_json::to_string(&json).unwrap(), html.all()];
    for value in [PLANTED, generated.as_str()] {
        for out in &outputs {
            assert!(!out.contains(value), "a secret value leaked into a report");
        }
        for file in support::files_under(&sb.dir) {
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).to_string();
            assert!(!text.contains(value), "a secret value leaked into {}", file.display());
        }
    }
}

/// Opens the page in headless Chromium and checks the screenshot is a rendered page
/// (not a blank one): more than one colour in the area the table covers.
fn screenshot(page: &std::path::Path, png: &std::path::Path) {
    let out = std::process::Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1200,900"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Debian's chromium is needed for the report test (.ci/run installs it)");
    assert!(png.exists(), "chromium wrote no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    // A blank page compresses to a few hundred bytes; a rendered table and text to far more.
    assert!(bytes.len() > 20_000, "the screenshot looks blank ({} bytes)", bytes.len());
}

#[test]
fn the_wizards_capital_r_writes_the_report_beside_the_profile() {
    let Deployed { moto: _m, sb, registry: _r, health: _h } = account("report-wizard", &format!("{ENABLED}{PROFILE}"));
    assert_eq!(sb.run(&["run", "iam-policy", "--yes"]).code, 0);
    let mut tty = support::pty::Tty::open(&sb, "tui");
    tty.wait_for(&["U up"]);
    tty.press("R");
    tty.wait_for(&["■ report: wrote ", "preflight-report.md"]);
    let text = std::fs::read_to_string(sb.dir.join("preflight-report.md")).unwrap();
    assert!(text.starts_with("# preflight report"), "{text}");
    assert!(text.contains("| ✔ pass | **grant** Runtime permissions in effect |"), "{text}");
    tty.press("q");
    assert_eq!(tty.exit_code(), 0);
}
