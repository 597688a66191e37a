//! Every text of every checklist as people read it: the wizard's detail pane
//! of each checklist and each step (title, summary, explanation, inputs) and
//! the fix a step without an action gives (`nothing to run here: …`), with the
//! sandbox profile (examples/preflight.toml) and with an empty one. None may
//! show a raw template, an internal reference or an empty value as `""`/`[]`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Header, ListView};
use super::view;
use crate::engine::expand::expand;
use crate::engine::inputs::{self, Origin, Value};
use crate::engine::library::Library;
use crate::engine::loader::load_all;
use crate::engine::profile::Profile;
use crate::engine::render;
use crate::engine::usage::needed_inputs;
use crate::kinds::registry::Registry;
use crate::runner::StepReport;

/// What no text people read may contain: a raw template, an empty value as
/// `""` or `[]`, an empty value's explanation, a reference to the seeds the
/// checklists come from (compared in lower case).
const FORBIDDEN: [&str; 7] = ["{{", "\"\"", "[]", "(empty:", "seed ", "seeds ", "§"];

fn offences(what: &str, text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    FORBIDDEN
        .iter()
        .filter(|f| lower.contains(*f))
        .map(|f| {
            let line = text.lines().find(|l| l.to_lowercase().contains(f)).unwrap_or("").trim();
            format!("{what}: `{f}` in: {line}")
        })
        .collect()
}

/// Every text of every checklist, as the wizard and the CLI show them with this profile.
fn texts(profile_text: &str) -> Vec<(String, String)> {
    let library = Library::builtin();
    let loaded = load_all(&library, &Registry).unwrap();
    let profile = Profile::parse(Path::new("preflight.toml"), profile_text).unwrap();
    let all = expand(&loaded, &profile.lists).unwrap();
    let context: BTreeMap<String, String> =
        [("account_id", "123456789012"), ("region", "us-east-1")].map(|(k, v)| (k.to_string(), v.to_string())).into();
    let provided: BTreeMap<String, Value> =
        profile.inputs.iter().map(|(k, e)| (k.clone(), Value::plain(e.value.clone(), Origin::Profile))).collect();
    // The values a step writes are read only when it runs: never part of a text.
    let defs: Vec<_> = all.inputs.iter().filter(|d| !inputs::is_value(d)).cloned().collect();
    let res = inputs::resolve(&defs, &provided, &context);
    let mut shown = context.clone();
    shown.extend(res.values.inputs.iter().map(|(k, v)| (k.clone(), v.shown())));
    let missing: BTreeSet<String> = res.missing.iter().map(|d| d.name.clone()).collect();

    let mut out = Vec::new();
    for c in &all.all {
        let reports = c.steps.iter().map(|s| StepReport::recorded(s, None)).collect();
        let names = |probes_only| -> Vec<Vec<String>> {
            (0..c.steps.len())
                .map(|i| needed_inputs(c, &[i], &library, probes_only).into_iter().map(|d| d.name).collect())
                .collect()
        };
        let view = ListView::new(c.clone(), reports, names(false), names(true), vec![false; c.steps.len()]);
        let header = Header {
            account_id: "123456789012".into(),
            principal_arn: "arn:aws:sts::123456789012:user/moto".into(),
            region: "us-east-1".into(),
            profile_file: "preflight.toml".into(),
            mismatch: None,
        };
        let mut app = App::new(header, vec![view], shown.clone(), missing.clone());
        app.color = false;
        for row in 0..app.rows().len() {
            app.selected = row;
            let mut terminal = Terminal::new(TestBackend::new(400, 200)).unwrap();
            terminal.draw(|f| view::draw(f, &app)).unwrap();
            out.push((format!("{} wizard row {row}", c.id), terminal.backend().to_string()));
        }
        for step in c.steps.iter().filter(|s| s.action.is_none()) {
            let value = |n: &str| res.values.inputs.get(n).map(Value::shown).or_else(|| context.get(n).cloned());
            out.push((format!("{}/{} fix", c.id, step.id), render::nothing_to_run(step, &c.inputs, &value)));
            // Before the AWS context is known, too.
            out.push((
                format!("{}/{} fix, no values", c.id, step.id),
                render::nothing_to_run(step, &c.inputs, &|_| None),
            ));
        }
    }
    out
}

fn check(profile_text: &str) {
    let texts = texts(profile_text);
    assert!(texts.len() > 20, "every checklist and step is rendered: {}", texts.len());
    let bad: Vec<String> = texts.iter().flat_map(|(what, text)| offences(what, text)).collect();
    assert!(bad.is_empty(), "{} texts read wrong:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn every_text_reads_with_the_sandbox_profile() {
    check(include_str!("../../examples/preflight.toml"));
}

#[test]
fn every_text_reads_with_an_empty_profile() {
    check("");
}

#[test]
fn an_unset_value_reads_as_what_it_means() {
    let texts = texts("");
    let health = texts.iter().find(|(w, _)| w == "ecs-service/health fix").map(|(_, t)| t.as_str()).unwrap();
    assert!(health.contains("GET (not set: the load balancer's address"), "{health}");
    let region = texts.iter().find(|(w, _)| w == "model-access/region-model fix").map(|(_, t)| t.as_str()).unwrap();
    assert!(
        region.contains("anthropic.claude-3-haiku-20240307-v1:0 must exist and be ACTIVE in us-east-1"),
        "{region}"
    );
}

#[test]
fn the_check_catches_what_it_is_for() {
    for bad in [
        "GET {{health_url}}",
        "seed 000",
        "Seeds 001",
        "§9.3",
        "with \"\" in the body",
        "in [] subnets",
        "(empty: none)",
    ] {
        assert_eq!(offences("t", bad).len(), 1, "{bad}");
    }
    assert!(offences("t", "GET http://127.0.0.1/health with a body that contains ok").is_empty());
}
