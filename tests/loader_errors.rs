//! The loader's error messages, one bad checklist (or input catalog) each:
//! every message names file, line and column and what would fix it.
//! Snapshots live in tests/snapshots/.

use preflight::engine::library::Library;
use preflight::engine::loader::load_all;
use preflight::kinds::registry::Registry;

const ASSET: &str = r#"{"Statement":[{"Effect":"Allow","Action":"logs:StartQuery","Resource":"arn:aws:logs:{{region}}:{{account_id}}:log-group:/{{project}}/*"}]}"#;

const INPUTS: &str = r#"[[inputs]]
name = "project"
prompt = "Project?"
kind = "text"
required = true

[[inputs]]
name = "role"
prompt = "Role?"
kind = "text"
default = "{{project}}-role"
"#;

const GOOD: &str = r#"id = "demo"
title = "Demo"
summary = "A small checklist"
source = "seed 000 §3"

[[steps]]
id = "policy"
title = "Policy"
explain = "Creates the policy."

[steps.action]
kind = "iam.ensure_policy"
name = "{{project}}-runtime"
document = "iam/p.json"

[[steps.probes]]
id = "document"
kind = "iam.policy_grants"
name = "{{project}}-runtime"
document = "iam/p.json"

[[steps]]
id = "grant"
title = "Grant"
explain = "Attaches it."
needs = ["policy"]

[[steps.probes]]
id = "effective"
kind = "iam.allows"
principal_kind = "role"
principal_name = "{{role}}"
document = "iam/p.json"
"#;

fn load(files: &[(&str, &str)]) -> String {
    let library = Library::from_files(files.iter().copied().chain([("assets/iam/p.json", ASSET)]));
    match load_all(&library, &Registry) {
        Ok(_) => "no error".into(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"),
    }
}

fn errors(file: &str, text: &str) -> String {
    load(&[("checklists/inputs.toml", INPUTS), (file, text)])
}

fn demo(text: &str) -> String {
    errors("checklists/demo.toml", text)
}

/// The demo checklist with another input catalog.
fn with_inputs(inputs: &str) -> String {
    load(&[("checklists/inputs.toml", inputs), ("checklists/demo.toml", GOOD)])
}

#[test]
fn the_good_checklist_loads() {
    assert_eq!(demo(GOOD), "no error");
}

#[test]
fn builtin_checklists_load() {
    let library = Library::builtin();
    let lists = load_all(&library, &Registry)
        .unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
    assert!(lists.all.iter().any(|c| c.id == "iam-policy"));
    // Every declared input is used, and each checklist's inputs are the ones its templates name.
    for def in &lists.inputs {
        assert!(!lists.users(&def.name).is_empty(), "{} is unused", def.name);
    }
    let iam: Vec<&str> = lists.get("iam-policy").unwrap().inputs.iter().map(|i| i.name.as_str()).collect();
    assert!(iam.contains(&"runtime_policy_name") && !iam.contains(&"github_repository"), "{iam:?}");
}

#[test]
fn a_checklist_gets_the_inputs_its_templates_use_and_what_their_defaults_use() {
    let library = Library::from_files([
        ("checklists/inputs.toml", INPUTS),
        ("checklists/demo.toml", GOOD),
        ("assets/iam/p.json", ASSET),
    ]);
    let lists = load_all(&library, &Registry).unwrap();
    let demo = lists.get("demo").unwrap();
    // `role` is named by a probe; `project` by the action and by role's default.
    let names: Vec<&str> = demo.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, vec!["project", "role"]);
    assert_eq!(lists.users("role"), vec!["demo"]);
}

#[test]
fn toml_syntax() {
    insta::assert_snapshot!(demo(&GOOD.replace("title = \"Policy\"", "title = Policy")));
}

#[test]
fn unknown_field_in_a_step() {
    insta::assert_snapshot!(demo(&GOOD.replace("needs = [\"policy\"]", "need = [\"policy\"]")));
}

#[test]
fn duplicate_step_ids() {
    insta::assert_snapshot!(demo(&GOOD.replace("id = \"grant\"", "id = \"policy\"")));
}

#[test]
fn needs_an_unknown_step() {
    insta::assert_snapshot!(demo(&GOOD.replace("needs = [\"policy\"]", "needs = [\"polcy\"]")));
}

#[test]
fn dependency_cycle() {
    let text =
        GOOD.replace("explain = \"Creates the policy.\"", "explain = \"Creates the policy.\"\nneeds = [\"grant\"]");
    insta::assert_snapshot!(demo(&text));
}

#[test]
fn unknown_action_kind() {
    insta::assert_snapshot!(demo(&GOOD.replace("kind = \"iam.ensure_policy\"", "kind = \"iam.ensure_polcy\"")));
}

#[test]
fn bad_action_parameters() {
    insta::assert_snapshot!(demo(&GOOD.replace(
        "name = \"{{project}}-runtime\"\ndocument = \"iam/p.json\"\n\n[[steps.probes]]",
        "name = \"{{project}}-runtime\"\ndocumnet = \"iam/p.json\"\n\n[[steps.probes]]"
    )));
}

#[test]
fn unknown_template_name() {
    insta::assert_snapshot!(demo(&GOOD.replace("principal_name = \"{{role}}\"", "principal_name = \"{{rol}}\"")));
}

#[test]
fn missing_asset() {
    insta::assert_snapshot!(demo(&GOOD.replace(
        "document = \"iam/p.json\"\n\n[[steps.probes]]",
        "document = \"iam/missing.json\"\n\n[[steps.probes]]"
    )));
}

#[test]
fn input_default_cycle() {
    insta::assert_snapshot!(with_inputs(&INPUTS.replace("required = true", "default = \"{{role}}-x\"")));
}

#[test]
fn an_input_declared_twice() {
    let twice = format!("{INPUTS}\n[[inputs]]\nname = \"project\"\nprompt = \"Again?\"\nkind = \"text\"\n");
    insta::assert_snapshot!(with_inputs(&twice));
}

#[test]
fn an_input_no_checklist_uses() {
    let unused = format!("{INPUTS}\n[[inputs]]\nname = \"cluster\"\nprompt = \"Cluster?\"\nkind = \"text\"\n");
    insta::assert_snapshot!(with_inputs(&unused));
}

#[test]
fn an_input_default_names_an_undeclared_input() {
    insta::assert_snapshot!(with_inputs(&INPUTS.replace("{{project}}-role", "{{projet}}-role")));
}

#[test]
fn a_checklist_that_declares_inputs() {
    let text = GOOD.replace(
        "[[steps]]\nid = \"policy\"",
        "[[inputs]]\nname = \"project\"\nprompt = \"Project?\"\nkind = \"text\"\n\n[[steps]]\nid = \"policy\"",
    );
    insta::assert_snapshot!(demo(&text));
}

#[test]
fn a_checklist_with_no_input_catalog() {
    insta::assert_snapshot!(load(&[("checklists/demo.toml", GOOD)]));
}

#[test]
fn id_must_match_the_file_name() {
    insta::assert_snapshot!(errors("checklists/other.toml", GOOD));
}

#[test]
fn a_step_needs_a_probe() {
    let text = GOOD.replace("[[steps.probes]]\nid = \"effective\"\nkind = \"iam.allows\"\nprincipal_kind = \"role\"\nprincipal_name = \"{{role}}\"\ndocument = \"iam/p.json\"\n", "");
    insta::assert_snapshot!(demo(&text));
}

#[test]
fn a_probe_kind_is_not_an_action_kind() {
    insta::assert_snapshot!(demo(&GOOD.replace("kind = \"iam.ensure_policy\"", "kind = \"iam.allows\"")));
}

/// The demo checklist beside a second one, `other`, whose step `made` it may need.
fn with_other(text: &str) -> String {
    let other = GOOD.replace("id = \"demo\"", "id = \"other\"").replace("id = \"grant\"", "id = \"made\"");
    load(&[("checklists/inputs.toml", INPUTS), ("checklists/demo.toml", text), ("checklists/other.toml", &other)])
}

#[test]
fn needs_a_step_of_another_checklist() {
    let needs = |n: &str| GOOD.replace("needs = [\"policy\"]", &format!("needs = [\"policy\", \"{n}\"]"));
    assert_eq!(with_other(&needs("other/made")), "no error");
    insta::assert_snapshot!("needs_another_checklist_typo", with_other(&needs("othr/made")));
    insta::assert_snapshot!("needs_another_checklists_unknown_step", with_other(&needs("other/mad")));
    insta::assert_snapshot!("needs_its_own_checklist_by_name", with_other(&needs("demo/policy")));
}
