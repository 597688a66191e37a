//! The input catalog as the operator meets it: `list --inputs` (values, where
//! they come from, which checklists use them, secrets masked), and keys of the
//! profile's [inputs] that no input declares (a warning naming the closest
//! name; an error with --strict).

mod support;

use support::{Moto, Sandbox};

#[test]
fn list_inputs_json_shows_values_origins_and_users() {
    let moto = Moto::start();
    let sb = Sandbox::new("list-inputs", &moto.url);
    let out = sb.run(&["list", "--inputs", "--json", "--set", "github_repository=Acme/app"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    let input = |name: &str| {
        doc["inputs"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("{name}: {doc}"))
    };
    assert_eq!(input("project")["origin"], "profile");
    assert_eq!(input("github_repository")["origin"], "--set");
    assert_eq!(input("github_repository")["value"], "Acme/app");
    assert_eq!(input("region")["origin"], "context");
    assert_eq!(input("region")["value"], "us-east-1");
    assert_eq!(input("runtime_principal_name")["value"], "comafi-ecs-task-role");
    assert_eq!(input("runtime_principal_name")["origin"], "default");
    assert_eq!(input("runtime_principal_name")["checklists"], serde_json::json!(["iam-policy", "model-access"]));
    assert_eq!(input("companyName")["problem"], "required, not set");
    insta::assert_json_snapshot!(doc);
}

#[test]
fn list_inputs_without_aws_says_what_it_cannot_know() {
    let sb = Sandbox::new("list-inputs-offline", "http://127.0.0.1:9");
    let out = sb.run(&["list", "--inputs"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("warning: the AWS context is unknown"), "{out:?}");
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn list_json_describes_checklists_and_steps() {
    let sb = Sandbox::new("list-json", "http://127.0.0.1:9");
    let out = sb.run(&["list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    let iam = doc["checklists"].as_array().unwrap().iter().find(|c| c["id"] == "iam-policy").unwrap();
    let steps: Vec<&str> = iam["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(steps, vec!["runtime-policy", "runtime-principal", "grant"]);
    assert_eq!(iam["steps"][2]["needs"], serde_json::json!(["runtime-policy", "runtime-principal"]));
    assert_eq!(iam["steps"][2]["probes"][0]["kind"], "iam.allows");
    assert!(iam["inputs"].as_array().unwrap().contains(&"runtime_policy_name".into()), "{iam}");
}

#[test]
fn a_misspelt_profile_input_is_a_warning_and_with_strict_an_error() {
    let moto = Moto::start();
    let sb = Sandbox::new("profile-typo", &moto.url);
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\nruntime_principal_nam = \"x\"\n")
        .unwrap();

    let warned = sb.run(&["verify", "iam-policy"]);
    assert_eq!(warned.code, 1, "a fresh account fails verify: {warned:?}");
    assert!(
        warned.stderr.contains(
            "warning: preflight.toml:3:1: [inputs] `runtime_principal_nam` is not an input of any checklist (did you mean `runtime_principal_name`?); it is ignored"
        ),
        "{warned:?}"
    );
    let listed = sb.run(&["list", "--inputs"]);
    assert!(listed.stderr.contains("did you mean `runtime_principal_name`?"), "{listed:?}");

    let _ = std::fs::remove_dir_all(sb.dir.join(".preflight"));
    for args in [&["verify", "iam-policy", "--strict"][..], &["--strict", "run", "iam-policy", "--yes"]] {
        let refused = sb.run(args);
        assert_eq!(refused.code, 2, "{args:?}: {refused:?}");
        assert!(
            refused.stderr.contains("error: preflight.toml:3:1: [inputs] `runtime_principal_nam` is not an input of any checklist (did you mean `runtime_principal_name`?)")
                && refused.stderr.contains("--strict"),
            "{refused:?}"
        );
        assert!(!sb.dir.join(".preflight").exists(), "nothing may be written: {args:?}");
    }
}

#[test]
fn a_misspelt_set_names_the_closest_input() {
    let sb = Sandbox::new("set-typo", "http://127.0.0.1:9");
    let out = sb.run(&["plan", "iam-policy", "--set", "projct=comafi"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("`projct` (did you mean `project`?)"), "{out:?}");
}

#[test]
fn secrets_are_masked_in_list_inputs() {
    const TOKEN: &str = "tok-list-5b1e9d";
    let moto = Moto::start();
    let mut sb = Sandbox::new("list-secret", &moto.url);
    let lib = sb.dir.join("lib");
    std::fs::create_dir_all(lib.join("checklists")).unwrap();
    std::fs::write(
        lib.join("checklists/inputs.toml"),
        "[[inputs]]\nname = \"project\"\nprompt = \"Project?\"\nkind = \"text\"\nrequired = true\n\n[[inputs]]\nname = \"api_token\"\nprompt = \"Token?\"\nkind = \"secret\"\nrequired = true\n",
    )
    .unwrap();
    std::fs::write(
        lib.join("checklists/demo.toml"),
        "id = \"demo\"\ntitle = \"Demo\"\nsummary = \"s\"\nsource = \"tests\"\n\n[[steps]]\nid = \"look\"\ntitle = \"Look\"\nexplain = \"{{project}}\"\n\n[[steps.probes]]\nid = \"eyes\"\nkind = \"manual.confirm\"\ncheck = \"the token {{api_token}} is listed\"\n",
    )
    .unwrap();
    sb.env.push(("PREFLIGHT_LIBRARY".into(), lib.display().to_string()));
    sb.env.push(("PREFLIGHT_SECRET_API_TOKEN".into(), TOKEN.into()));
    for args in [&["list", "--inputs", "--json"][..], &["list", "--inputs"]] {
        let out = sb.run(args);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(!out.all().contains(TOKEN), "the secret leaked: {out:?}");
        if args.contains(&"--json") {
            let doc = out.json();
            let token = doc["inputs"].as_array().unwrap().iter().find(|i| i["name"] == "api_token").unwrap();
            assert_eq!(token["value"], "********");
            assert_eq!(token["origin"], "environment");
            assert_eq!(token["secret"], true);
        } else {
            assert!(out.stdout.contains("********"), "{out:?}");
        }
    }
}

/// Fargate runs only some CPU and memory pairs: a pair it refuses is an input
/// error (exit 2) naming both inputs, where each came from and what the CPU
/// takes, before any AWS call (moto's recorder sees none) and before anything
/// is written; the defaults (512 / 1024) and a valid pair pass.
#[test]
fn a_fargate_size_ecs_refuses_is_an_input_error_before_any_call() {
    let moto = Moto::start();
    let sb = Sandbox::new("fargate-size", &moto.url);
    moto.start_recording();
    let out = sb.run(&["plan", "ecs-service", "--set", "task_cpu=256", "--set", "task_memory=8192"]);
    assert_eq!(out.code, 2, "{out:?}");
    for said in [
        "error: input `task_memory`: task_cpu 256 takes task_memory 512, 1024 or 2048, not 8192",
        "(task_cpu 256 from --set, task_memory 8192 from --set;",
        "Task size",
        "fix: a task_memory that task_cpu 256 takes: pass --set task_memory=512",
        "or a task_cpu that takes task_memory 8192: 1024, 2048 or 4096 (pass --set task_cpu=1024)",
    ] {
        assert!(out.stderr.contains(said), "{said}: {out:?}");
    }
    assert_eq!(moto.recorded_operations(), Vec::<String>::new(), "no AWS call may be made: {out:?}");
    assert!(!sb.dir.join(".preflight").exists(), "nothing may be written: {out:?}");

    // From the profile: its file and line.
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\ntask_memory = 8192\n").unwrap();
    moto.start_recording();
    let out = sb.run(&["verify", "ecs-service", "--set", "task_cpu=512"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(
            "task_cpu 512 takes task_memory 1024, 2048, 3072 or 4096, not 8192 (task_cpu 512 from --set, task_memory 8192 from the profile (preflight.toml:3);"
        ) && out.stderr.contains("change task_memory in the profile (preflight.toml:3), or pass --set task_memory=1024"),
        "{out:?}"
    );
    assert_eq!(moto.recorded_operations(), Vec::<String>::new(), "{out:?}");

    // The defaults pass, and so does a pair Fargate runs; `list --inputs` shows a pair it does not.
    std::fs::write(sb.dir.join("preflight.toml"), "[inputs]\nproject = \"comafi\"\n").unwrap();
    let problem = |args: &[&str]| {
        let out = sb.run(&[&["list", "--inputs", "--json"], args].concat());
        assert_eq!(out.code, 0, "{out:?}");
        let doc = out.json();
        let memory = doc["inputs"].as_array().unwrap().iter().find(|i| i["name"] == "task_memory").unwrap().clone();
        memory["problem"].clone()
    };
    assert_eq!(problem(&[]), serde_json::Value::Null, "the defaults, 512 and 1024");
    assert_eq!(problem(&["--set", "task_cpu=1024", "--set", "task_memory=8192"]), serde_json::Value::Null);
    let refused = problem(&["--set", "task_cpu=16384", "--set", "task_memory=30720"]);
    assert!(
        refused
            .as_str()
            .unwrap_or_default()
            .contains("task_cpu 16384 takes task_memory 32768 to 122880 in steps of 8192"),
        "{refused}"
    );
}

/// A name preflight makes from an input (the target group `{{project}}-tg`) is
/// checked against what AWS accepts when the inputs are resolved: a project
/// that makes it longer than 32 characters is an input error before any call,
/// where a load balancer is made; not where none is.
#[test]
fn a_name_made_too_long_by_its_input_is_an_input_error_before_any_call() {
    let project = "comafi-platform-europe-west-01"; // 30 characters: comafi-…-tg has 33
    let moto = Moto::start();
    let sb = Sandbox::new("name-too-long", &moto.url);
    moto.start_recording();
    let out = sb.run(&["plan", "ecs-service", "--set", &format!("project={project}")]);
    assert_eq!(out.code, 2, "{out:?}");
    for said in [
        format!(
            "error: input `project`: the target group ecs-service makes \"{project}-tg\" (made from project \"{project}\") is 33 characters long, at most 32"
        ),
        "a target group name is 1 to 32 letters, digits and hyphens".into(),
        "(Elastic Load Balancing API reference: CreateTargetGroup, Name) (from --set)".into(),
        "fix: choose a project of at most 29 characters that makes a valid name: pass --set project=VALUE; or make the load balancer yourself and give its target group: --set load_balancer=TARGET_GROUP_ARN".into(),
        format!("the load balancer ecs-service makes \"{project}-alb\""),
    ] {
        assert!(out.stderr.contains(&said), "{said}: {out:?}");
    }
    assert_eq!(moto.recorded_operations(), Vec::<String>::new(), "no AWS call may be made: {out:?}");
    assert!(!sb.dir.join(".preflight").exists(), "nothing may be written: {out:?}");

    // Without a load balancer no target group is made; a checklist that makes none is not concerned.
    let listed =
        sb.run(&["list", "--inputs", "--json", "--set", &format!("project={project}"), "--set", "load_balancer=none"]);
    let doc = listed.json();
    let row = doc["inputs"].as_array().unwrap().iter().find(|i| i["name"] == "project").unwrap().clone();
    assert_eq!((row["value"].as_str(), &row["problem"]), (Some(project), &serde_json::Value::Null), "{listed:?}");
    let out = sb.run(&["plan", "iam-policy", "--set", &format!("project={project}")]);
    assert_eq!(out.code, 0, "iam-policy makes no load balancer: {out:?}");
}
