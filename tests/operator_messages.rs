//! What the operator is told when the setup is wrong: a typo in the profile
//! never switches a guard off, a named profile must exist, a bad region names
//! where it came from and the fix there, a validation message says what the
//! value must be, and a read that finds nothing is "not found", not a failure.

mod support;

use support::{Moto, Sandbox};

#[test]
fn an_unknown_key_or_table_in_the_profile_is_an_error_with_its_place() {
    let moto = Moto::start();
    let sb = Sandbox::new("profile-schema", &moto.url);
    let cases = [
        (
            "[expect]\naccount = \"999999999999\"\n",
            "preflight.toml:2:1: unknown key `account` in [expect] (did you mean `account_id`?)",
        ),
        ("[inptus]\nproject = \"comafi\"\n", "preflight.toml:1:2: unknown table [inptus] (did you mean [inputs]?)"),
        (
            "project = \"comafi\"\n",
            "preflight.toml:1:1: unknown key `project` outside any table; input values go under [inputs]",
        ),
    ];
    for (profile, message) in cases {
        std::fs::write(sb.dir.join("preflight.toml"), profile).unwrap();
        for args in [&["run", "iam-policy", "--yes"][..], &["verify", "iam-policy"], &["status"]] {
            let out = sb.run(args);
            assert_eq!(out.code, 2, "{profile} / {args:?}: {out:?}");
            assert!(out.stderr.contains(&format!("error: {message}")), "{profile} / {args:?}: {out:?}");
            assert!(!sb.dir.join(".preflight").exists(), "nothing is written: {out:?}");
        }
    }
    // [inputs] typos are warnings (the layout issue); everything else is right: it runs.
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nprojct = \"x\"\nproject = \"comafi\"\n").unwrap();
    assert_eq!(sb.run(&["verify", "iam-policy"]).code, 1);
}

#[test]
fn a_named_profile_must_exist_and_only_the_default_may_be_absent() {
    let moto = Moto::start();
    let mut sb = Sandbox::new("profile-missing", &moto.url);
    let typo = sb.dir.join("typo/prefligth.toml");
    let out = sb.run(&["verify", "iam-policy", "--profile-file", typo.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains(&format!("{}: the profile file does not exist", typo.display())), "{out:?}");
    assert!(!sb.dir.join("typo").exists(), "nothing may be created: {out:?}");

    sb.env.push(("PREFLIGHT_PROFILE".into(), typo.display().to_string()));
    let out = sb.run(&["status"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("the profile file does not exist"), "{out:?}");
    sb.env.pop();

    // The default profile may be absent: inputs then come from --set and the defaults.
    std::fs::remove_file(sb.dir.join("preflight.toml")).unwrap();
    let out = sb.run(&["verify", "iam-policy", "--set", "project=comafi"]);
    assert_eq!(out.code, 1, "a fresh account fails verify, but it runs: {out:?}");
}

/// One region per run: the profile's `region` is the context's, so the policies, the
/// resources and the header all say the same region; `--region` overrides both.
#[test]
fn the_profile_s_region_is_the_run_s_region() {
    let moto = Moto::start();
    let sb = Sandbox::new("one-region", &moto.url);
    let profile = sb.dir.join("preflight.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let text = text.replacen("[inputs]\n", "[inputs]\nregion = \"eu-west-1\"\n", 1);
    std::fs::write(&profile, &text).unwrap();
    let line = text.lines().position(|l| l.starts_with("region =")).unwrap() + 1;
    // AWS_REGION (us-east-1 in the sandbox) does not split the run: the profile's value wins.
    let out = sb.run(&["plan", "iam-policy"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(&format!("region eu-west-1 (preflight.toml:{line})")), "{out:?}");
    assert!(out.stdout.contains("arn:aws:logs:eu-west-1:"), "{out:?}");
    assert!(!out.stdout.contains("us-east-1"), "a second region: {out:?}");
    let doc = sb.run(&["plan", "iam-policy", "--json"]).json();
    assert_eq!(doc["region"], "eu-west-1");
    // --region overrides the profile, for everything.
    let out = sb.run(&["plan", "iam-policy", "--region", "us-west-2"]);
    assert!(
        out.stdout.contains("region us-west-2 (--region)") && out.stdout.contains("arn:aws:logs:us-west-2:"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("eu-west-1"), "{out:?}");
    // --set region is the same as --region; both, differing, are refused.
    let out = sb.run(&["plan", "iam-policy", "--set", "region=us-west-2"]);
    assert!(out.stdout.contains("region us-west-2 (--set region)"), "{out:?}");
    let out = sb.run(&["plan", "iam-policy", "--region", "us-west-2", "--set", "region=eu-west-1"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--region us-west-2 and --set region=eu-west-1 name two regions"), "{out:?}");
    // A bad region in the profile names the file and line.
    std::fs::write(&profile, text.replace("region = \"eu-west-1\"", "region = \"mars-1\"")).unwrap();
    let out = sb.run(&["plan", "iam-policy"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains(&format!("(from preflight.toml:{line})")), "{out:?}");
    assert!(out.stderr.contains(&format!("set region = \"us-east-1\" at preflight.toml:{line}")), "{out:?}");
}

#[test]
fn a_bad_region_names_its_real_origin_and_the_fix_there() {
    let moto = Moto::start();
    let mut sb = Sandbox::new("bad-region", &moto.url);
    for args in [&["verify", "iam-policy", "--region", "mars-1"][..], &["status", "--region", "mars-1"]] {
        let out = sb.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains(
                "error: region: \"mars-1\" must be an AWS region name, e.g. us-east-1 (from --region)\n  fix: pass a region such as --region us-east-1"
            ),
            "{args:?}: {out:?}"
        );
    }
    sb.env.push(("AWS_REGION".into(), "mars-1".into()));
    let out = sb.run(&["plan", "iam-policy"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("(from AWS_REGION)") && out.stderr.contains("export AWS_REGION=us-east-1"), "{out:?}");
}

#[test]
fn validation_says_what_the_value_must_be_and_where_it_came_from() {
    let sb = Sandbox::new("validation", "http://127.0.0.1:9");
    let out = sb.run(&["verify", "oidc-provider", "--set", "github_repository=Comafi AI"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(
            "input `github_repository`: \"Comafi AI\" must be OWNER/NAME as on GitHub, e.g. Comafi/comafi-ai (from --set)"
        ),
        "{out:?}"
    );
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\naccess_poll_tries = 500\n").unwrap();
    let out = sb.run(&["plan", "model-access"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("input `access_poll_tries`: 500 must be a whole number from 1 to 60 (from the profile)"),
        "{out:?}"
    );
}

#[test]
fn a_read_that_finds_nothing_is_logged_as_not_found() {
    let moto = Moto::start();
    let sb = Sandbox::new("not-found", &moto.url);
    let out = sb.run(&["verify", "iam-policy", "-v"]);
    assert_eq!(out.code, 1, "{out:?}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("iam:GetRole arn:aws:iam::123456789012:role/comafi-ecs-task-role"))
        .unwrap_or_else(|| panic!("no GetRole line: {out:?}"));
    assert!(line.contains(" not found ("), "{line}");
    assert!(!out.stderr.contains("failed:"), "an expected absence is not a failure: {out:?}");
}

/// A fix for an input names the profile by its real path, and the value's line
/// when it came from there (not a generic "the profile (preflight.toml)").
#[test]
fn input_fixes_name_the_profile_s_real_path_and_line() {
    let moto = Moto::start();
    let mut sb = Sandbox::new("input-fix-path", &moto.url);
    let team = sb.dir.join("team.toml");
    std::fs::write(&team, "# team\n[inputs]\nproject = \"comafi\"\ncontainer_port = \"80o0\"\n").unwrap();
    sb.env.push(("PREFLIGHT_PROFILE".into(), team.display().to_string()));
    let out = sb.run(&["plan", "ecs-service"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "fix: correct container_port at {}:4, or pass --set container_port=VALUE",
            team.display()
        )),
        "{out:?}"
    );

    std::fs::write(&team, "[inputs]\n").unwrap();
    let out = sb.run(&["verify", "iam-policy"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(&format!("add project = \"...\" under [inputs] in the profile {}", team.display())),
        "{out:?}"
    );
}
