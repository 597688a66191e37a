//! Screens over ratatui's TestBackend (insta snapshots) and `update` driven by
//! key sequences, all without a terminal or AWS.

use std::collections::{BTreeMap, BTreeSet};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::app::{App, Effect, Extra, Header, Job, ListView, Modal, Msg};
use super::update::update;
use super::view;
use crate::aws::error::Op;
use crate::aws::exec::{Activity, CallOutcome, Change, DocDiff};
use crate::engine::library::Library;
use crate::engine::loader::load_all;
use crate::engine::outcome::{ProbeResult, Status};
use crate::engine::usage::needed_inputs;
use crate::kinds::registry::Registry;
use crate::runner::{Mode, StepReport};

fn app() -> App {
    app_of("iam-policy")
}

fn app_of(id: &str) -> App {
    apps_of(&[id])
}

/// The wizard over these checklists.
fn apps_of(ids: &[&str]) -> App {
    let library = Library::builtin();
    let all = load_all(&library, &Registry).unwrap().all;
    let view = |id: &str| {
        let checklist = all.iter().find(|c| c.id == id).unwrap().clone();
        let reports = checklist.steps.iter().map(|s| StepReport::recorded(s, None)).collect();
        let names = |probes_only| -> Vec<Vec<String>> {
            (0..checklist.steps.len())
                .map(|i| needed_inputs(&checklist, &[i], &library, probes_only).into_iter().map(|d| d.name).collect())
                .collect()
        };
        let (inputs, probe_inputs) = (names(false), names(true));
        let skipped = vec![false; checklist.steps.len()];
        ListView::new(checklist, reports, inputs, probe_inputs, skipped)
    };
    let lists: Vec<ListView> = ids.iter().map(|id| view(id)).collect();
    let header = Header {
        account_id: "123456789012".into(),
        principal_arn: "arn:aws:sts::123456789012:user/moto".into(),
        region: "us-east-1".into(),
        profile_file: "preflight.toml".into(),
        mismatch: None,
    };
    let shown: BTreeMap<String, String> = [
        ("account_id", "123456789012"),
        ("region", "us-east-1"),
        ("project", "comafi"),
        ("runtime_principal_kind", "role"),
        ("runtime_principal_name", "comafi-ecs-task-role"),
        ("runtime_policy_name", "comafi-runtime"),
        ("log_group_prefix", "/comafi"),
        ("bedrock_model_id", "anthropic.claude-3-haiku-20240307-v1:0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    App::new(header, lists, shown, BTreeSet::new())
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().to_string()
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn report(id: &str, title: &str, status: Status, probes: Vec<ProbeResult>) -> StepReport {
    let mut r = StepReport::recorded(
        &crate::engine::model::Step {
            id: id.into(),
            title: title.into(),
            explain: String::new(),
            needs: vec![],
            action: None,
            probes: vec![],
            for_each: None,
        },
        None,
    );
    r.status = status;
    r.probes = probes;
    r.updated_at = Some("2026-11-23T00:00:00Z".into());
    r
}

fn call(op: &'static str, mutating: bool, millis: u128) -> Msg {
    Msg::Activity {
        step: "runtime-policy".into(),
        activity: Activity::Call {
            op: Op::new("iam", op, "arn:aws:iam::123456789012:policy/comafi-runtime"),
            mutating,
            millis,
            outcome: CallOutcome::Ok,
        },
    }
}

#[test]
fn empty_state() {
    insta::assert_snapshot!(screen(&app(), 100, 30));
}

#[test]
fn narrow_80_by_24() {
    let mut app = app();
    key(&mut app, KeyCode::Down);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn running_with_spinner() {
    let mut app = app();
    let effects = key(&mut app, KeyCode::Char('a'));
    assert_eq!(
        effects,
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Run,
            step: None,
            only: false,
            extra: Extra::Plain
        })]
    );
    update(&mut app, Msg::StepStarted { checklist: "iam-policy".into(), step: "runtime-policy".into() });
    update(&mut app, call("GetPolicy", false, 12));
    update(&mut app, call("CreatePolicy", true, 48));
    for _ in 0..3 {
        update(&mut app, Msg::Tick);
    }
    key(&mut app, KeyCode::Down);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("⠸ runtime-policy"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn failed_step_with_fix() {
    let mut app = app();
    let probe = ProbeResult::new("effective", Status::Fail, "role comafi-ecs-task-role may not do 1 of 11 required actions: logs:StartQuery on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*: explicitly denied by statement \"NoInsights\" of inline policy guard of role comafi-ecs-task-role")
        .with_fix("remove or narrow the Deny (statement \"NoInsights\" of inline policy guard):\n{\n  \"Sid\": \"NoInsights\",\n  \"Effect\": \"Deny\",\n  \"Action\": \"logs:StartQuery\",\n  \"Resource\": \"*\"\n}");
    update(
        &mut app,
        Msg::StepFinished {
            checklist: "iam-policy".into(),
            report: report("grant", "Runtime permissions in effect", Status::Fail, vec![probe]),
        },
    );
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("✘ grant") && shown.contains("fix:"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn a_deployment_is_watched_in_the_log_and_the_detail() {
    let mut app = app_of("ecs-service");
    update(&mut app, Msg::StepStarted { checklist: "ecs-service".into(), step: "service".into() });
    let table = |rollout: &str, running: &str| crate::aws::exec::Table {
        title: "Deployments of comafi-service".into(),
        header: ["status", "revision", "rollout", "want", "pend", "run", "fail"].map(String::from).to_vec(),
        rows: vec![
            ["PRIMARY", "comafi-api:7", rollout, "1", "1", running, "0"].map(String::from).to_vec(),
            ["ACTIVE", "comafi-api:6", "COMPLETED", "1", "0", "1", "0"].map(String::from).to_vec(),
        ],
    };
    for (rollout, running) in [("IN_PROGRESS", "0"), ("IN_PROGRESS", "1")] {
        let info = format!("deployment: {running} running of 1 desired; ecs-svc/2 {rollout}");
        update(&mut app, Msg::Activity { step: "service".into(), activity: Activity::Info(info) });
        update(&mut app, Msg::Activity { step: "service".into(), activity: Activity::Table(table(rollout, running)) });
    }
    let service = app.lists[0].checklist.steps.iter().position(|s| s.id == "service").unwrap();
    for _ in 0..=app.lists[0].order.iter().position(|&i| i == service).unwrap() {
        key(&mut app, KeyCode::Down);
    }
    let shown = screen(&app, 110, 34);
    assert!(shown.contains("Deployments of comafi-service"), "{shown}");
    assert!(
        shown.contains("PRIMARY  comafi-api:7  IN_PROGRESS  1     1     1    0"),
        "the last poll, aligned: {shown}"
    );
    assert!(
        shown.contains("[service] deployment: 0 running") && shown.contains("[service] deployment: 1 running"),
        "a line per poll: {shown}"
    );
    insta::assert_snapshot!(shown);
    // The next run of the step starts from a clean table.
    update(&mut app, Msg::StepStarted { checklist: "ecs-service".into(), step: "service".into() });
    assert!(app.table.is_none());
}

#[test]
fn help_overlay() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.modal, Some(Modal::Help));
    let shown = screen(&app, 100, 30);
    for b in super::keys::BINDINGS {
        assert!(shown.contains(b.help), "help lacks {:?}", b.help);
    }
    insta::assert_snapshot!(shown);
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.modal, None);
}

fn plan_change() -> Change {
    Change {
        service: "iam",
        operation: "CreatePolicyVersion",
        resource: "arn:aws:iam::123456789012:policy/comafi-runtime".into(),
        detail: "new default version: grants statement \"CloudWatchLogsQuery\": logs:StartQuery on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*".into(),
        diff: Some(DocDiff {
            before: "{\n  \"Statement\": [\n    {\n      \"Sid\": \"CloudWatchMetrics\",\n      \"Action\": \"cloudwatch:PutMetricData\"\n    }\n  ]\n}\n".into(),
            after: "{\n  \"Statement\": [\n    {\n      \"Sid\": \"CloudWatchLogsQuery\",\n      \"Action\": \"logs:StartQuery\"\n    },\n    {\n      \"Sid\": \"CloudWatchMetrics\",\n      \"Action\": \"cloudwatch:PutMetricData\"\n    }\n  ]\n}\n".into(),
        }),
        params: serde_json::json!({"PolicyArn": "arn:aws:iam::123456789012:policy/comafi-runtime", "PolicyDocument": "{}", "SetAsDefault": "true"}),
    }
}

#[test]
fn plan_with_policy_diff() {
    let mut app = app();
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Char('p'));
    assert_eq!(
        effects,
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Plan,
            step: Some("runtime-policy".into()),
            only: false,
            extra: Extra::Plain
        })]
    );
    let probe = ProbeResult::new(
        "document",
        Status::Fail,
        "policy comafi-runtime (v2) does not grant logs:StartQuery on arn:aws:logs:us-east-1:123456789012:log-group:/comafi/*",
    );
    let mut r = report("runtime-policy", "Least-privilege runtime policy", Status::Fail, vec![probe]);
    r.changes = vec![plan_change()];
    update(&mut app, Msg::StepFinished { checklist: "iam-policy".into(), report: r });
    update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok("1 steps · 1 fail".into()) });
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("+       \"Sid\": \"CloudWatchLogsQuery\","), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn consent_modal_and_answers() {
    let mut app = app();
    key(&mut app, KeyCode::Char('a'));
    update(
        &mut app,
        Msg::AskConsent {
            id: 7,
            checklist: "iam-policy".into(),
            step: "runtime-policy".into(),
            changes: vec![plan_change()],
        },
    );
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("apply 1 change?") && shown.contains("y apply · n/q/Esc no"), "{shown}");
    assert_eq!(key(&mut app, KeyCode::Char('x')), vec![], "other keys wait for an answer");
    assert_eq!(key(&mut app, KeyCode::Char('n')), vec![Effect::Consent { id: 7, yes: false }]);
    update(
        &mut app,
        Msg::AskConsent {
            id: 8,
            checklist: "iam-policy".into(),
            step: "runtime-policy".into(),
            changes: vec![plan_change()],
        },
    );
    assert_eq!(key(&mut app, KeyCode::Enter), vec![Effect::Consent { id: 8, yes: true }]);
    assert_eq!(app.modal, None);
}

/// The oidc-provider plan of a fresh account: a long ARN and a trust policy
/// whose `sub` condition is far below the first screen.
fn long_plan() -> Vec<Change> {
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:Comafi/comafi-ai:ref:refs/heads/main"}}}]});
    vec![
        Change {
            service: "iam",
            operation: "CreateOpenIDConnectProvider",
            resource: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com".into(),
            detail:
                "create the provider for https://token.actions.githubusercontent.com with client id sts.amazonaws.com"
                    .into(),
            diff: None,
            params: serde_json::json!({"Url": "https://token.actions.githubusercontent.com", "ClientIDList.member.1": "sts.amazonaws.com"}),
        },
        Change {
            service: "iam",
            operation: "CreateRole",
            resource: "arn:aws:iam::123456789012:role/comafi-github-actions-role".into(),
            detail: "create the role, trusted by repo:Comafi/comafi-ai:ref:refs/heads/main only".into(),
            diff: Some(DocDiff { before: String::new(), after: serde_json::to_string_pretty(&trust).unwrap() + "\n" }),
            params: serde_json::json!({"RoleName": "comafi-github-actions-role", "AssumeRolePolicyDocument": trust.to_string()}),
        },
    ]
}

#[test]
fn consent_to_a_long_plan_only_after_reading_it_to_the_end() {
    let mut app = app();
    app.size = (80, 24);
    key(&mut app, KeyCode::Char('a'));
    let ask = |id| Msg::AskConsent {
        id,
        checklist: "oidc-provider".into(),
        step: "deploy-role".into(),
        changes: long_plan(),
    };
    update(&mut app, ask(9));
    let top = screen(&app, 80, 24);
    // The ARN is wrapped, not cut; the position and the way to the end are shown.
    assert!(top.contains("token.actions.githubuserconte") && top.contains("Change 1 of 2"), "{top}");
    assert!(!top.contains(":sub"), "the sub condition is below the fold at 80×24:\n{top}");
    insta::assert_snapshot!("consent_long_plan_top", top);
    // y is not accepted before the end has been shown.
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![]);
    assert!(app.notice.as_deref().unwrap().contains("read the whole plan first"), "{:?}", app.notice);
    assert!(matches!(app.modal, Some(Modal::Consent { .. })));
    // Scrolling with the usual keys, to the end.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::End);
    let end = screen(&app, 80, 24);
    assert!(end.contains("token.actions.githubusercontent.com:sub") && end.contains("lines 19–38 of 38"), "{end}");
    insta::assert_snapshot!("consent_long_plan_end", end);
    key(&mut app, KeyCode::Home);
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Consent { id: 9, yes: true }], "the end was seen once");
    // q in the dialog means no.
    update(&mut app, ask(10));
    assert_eq!(key(&mut app, KeyCode::Char('q')), vec![Effect::Consent { id: 10, yes: false }]);
    assert!(!app.quit, "q declines the change, it does not quit");
}

#[test]
fn recorded_results_are_marked_as_recorded_until_verified_now() {
    let mut app = app();
    for (s, id) in ["runtime-policy", "runtime-principal", "grant"].iter().enumerate() {
        app.lists[0].reports[s] = report(id, "t", Status::Pass, vec![]);
    }
    let shown = screen(&app, 100, 30);
    assert!(shown.contains(" ~✔ runtime-policy") && shown.contains("0/3 ~3"), "{shown}");
    assert!(shown.contains("0/3 steps verified now · 3 shown"), "{shown}");
    // On open, every checklist whose inputs are known is verified in the background.
    assert_eq!(
        update(&mut app, Msg::Opened),
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Verify,
            step: None,
            only: false,
            extra: Extra::Plain
        })]
    );
    update(
        &mut app,
        Msg::StepFinished {
            checklist: "iam-policy".into(),
            report: report("runtime-policy", "t", Status::Fail, vec![]),
        },
    );
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("  ✘ runtime-policy") && shown.contains(" ~✔ grant") && shown.contains("0/3 ~2"), "{shown}");
    // What the operator asks for meanwhile waits for the background work, then goes first.
    assert_eq!(key(&mut app, KeyCode::Char('a')), vec![]);
    assert!(app.notice.as_deref().unwrap().starts_with("queued"), "{:?}", app.notice);
    assert_eq!(
        update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok(String::new()) }),
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Run,
            step: None,
            only: false,
            extra: Extra::Plain
        })]
    );
    assert!(!app.background);
}

#[test]
fn after_a_run_the_steps_that_need_it_are_probed_again() {
    let mut app = app();
    key(&mut app, KeyCode::Down);
    update(
        &mut app,
        Msg::StepFinished {
            checklist: "iam-policy".into(),
            report: report("runtime-policy", "t", Status::Fail, vec![]),
        },
    );
    let effects = key(&mut app, KeyCode::Char('r'));
    assert!(matches!(&effects[..], [Effect::Start(Job { mode: Mode::Run, only: true, .. })]), "{effects:?}");
    let next =
        update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok("1 step · 1 pass".into()) });
    assert_eq!(
        next,
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Verify,
            step: Some("grant".into()),
            only: true,
            extra: Extra::Plain
        })]
    );
    // V verifies the whole checklist, v the selected step.
    update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok(String::new()) });
    assert_eq!(
        key(&mut app, KeyCode::Char('V')),
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Verify,
            step: None,
            only: false,
            extra: Extra::Plain
        })]
    );
}

#[test]
fn keys_to_effects() {
    let mut app = app();
    // Moving stays within the rows.
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected, 0);
    for _ in 0..10 {
        key(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(app.selected, 3);
    key(&mut app, KeyCode::Char('k'));
    // Enter runs the step and what it needs.
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Run,
            step: Some("runtime-principal".into()),
            only: false,
            extra: Extra::Plain
        })]
    );
    // One run at a time.
    assert_eq!(key(&mut app, KeyCode::Char('v')), vec![]);
    assert!(app.notice.as_deref().unwrap().contains("in progress"));
    // q asks while running; n keeps running; y quits.
    assert_eq!(key(&mut app, KeyCode::Char('q')), vec![]);
    assert_eq!(app.modal, Some(Modal::QuitWhileRunning));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.modal, None);
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Quit]);

    let mut app = self::app();
    key(&mut app, KeyCode::Down);
    // r re-runs only a failed or done step, alone.
    assert_eq!(key(&mut app, KeyCode::Char('r')), vec![]);
    update(
        &mut app,
        Msg::StepFinished {
            checklist: "iam-policy".into(),
            report: report("runtime-policy", "t", Status::Error, vec![]),
        },
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('r')),
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Run,
            step: Some("runtime-policy".into()),
            only: true,
            extra: Extra::Plain
        })]
    );
    update(
        &mut app,
        Msg::JobFinished { checklist: "iam-policy".into(), outcome: Err("AWS could not be reached".into()) },
    );
    assert_eq!(app.job, None);
    assert_eq!(app.notice.as_deref(), Some("■ run iam-policy / runtime-policy: AWS could not be reached"));
    // v verifies the selected step alone; s skips it; e edits its inputs.
    assert_eq!(
        key(&mut app, KeyCode::Char('v')),
        vec![Effect::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Verify,
            step: Some("runtime-policy".into()),
            only: true,
            extra: Extra::Plain
        })]
    );
    update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok(String::new()) });
    assert_eq!(
        key(&mut app, KeyCode::Char('s')),
        vec![Effect::Skip { checklist: "iam-policy".into(), step: "runtime-policy".into(), skip: true }]
    );
    let record = crate::engine::state::Skip {
        by: "arn:aws:iam::123456789012:user/ana".into(),
        at: "2026-12-07T10:00:00Z".into(),
        reason: "done by hand".into(),
    };
    update(
        &mut app,
        Msg::Skipped { checklist: "iam-policy".into(), step: "runtime-policy".into(), skip: Some(record) },
    );
    assert_eq!(app.lists[0].reports[0].status, Status::Skipped);
    let shown = screen(&app, 200, 30);
    assert!(
        shown.contains(
            "skipped by arn:aws:iam::123456789012:user/ana at 2026-12-07T10:00:00Z: done by hand · s unskips"
        ),
        "the record is shown on the step: {shown}"
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('s')),
        vec![Effect::Skip { checklist: "iam-policy".into(), step: "runtime-policy".into(), skip: false }]
    );
    match &key(&mut app, KeyCode::Char('e'))[..] {
        [Effect::EditInputs { names }] => assert!(
            names.contains(&"runtime_policy_name".to_string())
                && names.contains(&"project".to_string())
                && !names.contains(&"region".to_string()),
            "the region is the session's, not edited mid-session: {names:?}"
        ),
        other => panic!("{other:?}"),
    }
    // Ctrl-C quits at once, even with a run in progress.
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))),
        vec![Effect::Quit]
    );
}

#[test]
fn a_missing_input_is_asked_for_before_the_run() {
    let mut app = app();
    app.missing.insert("project".into());
    app.shown.remove("project");
    let job = Job { checklist: "iam-policy".into(), mode: Mode::Run, step: None, only: false, extra: Extra::Plain };
    assert_eq!(
        key(&mut app, KeyCode::Char('a')),
        vec![Effect::AskInputs { names: vec!["project".into()], then: Some(job.clone()) }]
    );
    assert_eq!(app.job, None);
    let shown = app.shown.clone();
    update(&mut app, Msg::Inputs { shown, missing: BTreeSet::new(), invalid: BTreeMap::new() });
    assert_eq!(update(&mut app, Msg::Start(job.clone())), vec![Effect::Start(job)]);
}

#[test]
fn the_mouse_wheel_scrolls_what_it_is_over() {
    let mut app = app();
    app.size = (100, 30);
    for i in 0..40 {
        update(&mut app, Msg::Notice(format!("{i}")));
        app.log(super::app::LogKind::Note, format!("line {i}"));
    }
    let wheel = |kind, row| Msg::Mouse(MouseEvent { kind, column: 50, row, modifiers: KeyModifiers::NONE });
    update(&mut app, wheel(MouseEventKind::ScrollUp, 26));
    assert_eq!(app.log_scroll, 1);
    update(&mut app, wheel(MouseEventKind::ScrollDown, 10));
    assert_eq!(app.detail_scroll, 1);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("Log (↑1)"), "{shown}");
}

#[test]
fn d_destroys_the_row_s_checklist_with_one_consent_then_verifies_it_again() {
    let mut app = apps_of(&["iam-policy", "secrets"]);
    let effects = key(&mut app, KeyCode::Char('D'));
    let destroy =
        Job { checklist: "iam-policy".into(), mode: Mode::Run, step: None, only: false, extra: Extra::Destroy };
    assert_eq!(effects, vec![Effect::Start(destroy.clone())]);
    let change = crate::aws::exec::Change {
        service: "iam",
        operation: "DeleteRole",
        resource: "arn:aws:iam::123456789012:role/acme-ecs-task-role".into(),
        detail: "[iam-policy / runtime-principal] delete role acme-ecs-task-role".into(),
        diff: None,
        params: serde_json::json!({ "RoleName": "acme-ecs-task-role" }),
    };
    let ask = Msg::AskConsent { id: 3, checklist: "destroy".into(), step: "iam-policy".into(), changes: vec![change] };
    update(&mut app, ask);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("destroy / iam-policy: apply 1 change?"), "{shown}");
    assert!(shown.contains("This removes what preflight made from the account"), "{shown}");
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Consent { id: 3, yes: true }]);
    let effects =
        update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok("3 removed; 0 kept".into()) });
    assert_eq!(app.notice.as_deref(), Some("■ destroy iam-policy: 3 removed; 0 kept"));
    // The checklist is verified again at once (a destroy probed nothing), then what stands on it.
    let again = Job { mode: Mode::Verify, extra: Extra::Plain, ..destroy };
    assert_eq!(effects, vec![Effect::Start(again)]);
}

#[test]
fn u_runs_up_with_one_consent_for_the_whole_run() {
    let mut app = apps_of(&["iam-policy", "secrets"]);
    let effects = key(&mut app, KeyCode::Char('U'));
    let up = Job { checklist: "up".into(), mode: Mode::Run, step: None, only: false, extra: Extra::Up };
    assert_eq!(effects, vec![Effect::Start(up)]);
    // Its consent lists every change of the run, and says so.
    let change = crate::aws::exec::Change {
        service: "iam",
        operation: "CreatePolicy",
        resource: "arn:aws:iam::123456789012:policy/acme-runtime".into(),
        detail: "[iam-policy / runtime-policy] create the policy".into(),
        diff: None,
        params: serde_json::json!({ "PolicyName": "acme-runtime" }),
    };
    let ask = Msg::AskConsent { id: 7, checklist: "up".into(), step: "2 checklists".into(), changes: vec![change] };
    update(&mut app, ask);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("up / 2 checklists: apply 1 change?"), "{shown}");
    assert!(shown.contains("This run changes the account"), "{shown}");
    assert!(shown.contains("— [iam-policy /"), "each change is headed by its step: {shown}");
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Consent { id: 7, yes: true }]);
    update(&mut app, Msg::JobFinished { checklist: "up".into(), outcome: Ok("6 steps · 6 pass".into()) });
    assert_eq!(app.notice.as_deref(), Some("■ up: 6 steps · 6 pass"));
    assert!(app.queue.is_empty(), "nothing is queued again after up: every checklist ran");
}

#[test]
fn capital_r_writes_the_report() {
    let mut app = app();
    let report = Job { checklist: "report".into(), mode: Mode::Verify, step: None, only: false, extra: Extra::Report };
    assert_eq!(key(&mut app, KeyCode::Char('R')), vec![Effect::Start(report)]);
    let done = Ok("wrote preflight-report.md: 3 steps, 1 left to do".into());
    update(&mut app, Msg::JobFinished { checklist: "report".into(), outcome: done });
    assert_eq!(app.notice.as_deref(), Some("■ report: wrote preflight-report.md: 3 steps, 1 left to do"));
}

#[test]
fn an_unexpected_account_is_shown_and_not_changed() {
    let mut app = app();
    app.header.mismatch = Some("account 123456789012 is not the expected 111111111111".into());
    assert_eq!(key(&mut app, KeyCode::Char('a')), vec![]);
    assert!(app.notice.as_deref().unwrap().contains("nothing is changed here"));
    assert!(matches!(&key(&mut app, KeyCode::Char('v'))[..], [Effect::Start(Job { mode: Mode::Verify, .. })]));
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("⚠ account 123456789012 is not the expected 111111111111"), "{shown}");
}

#[test]
fn missing_permissions_are_shown_in_a_dialog_whose_policy_can_be_copied() {
    let mut app = app();
    key(&mut app, KeyCode::Char('a'));
    let policy = serde_json::to_string_pretty(&serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "IamRole", "Effect": "Allow", "Action": "iam:AttachRolePolicy",
         "Resource": "arn:aws:iam::123456789012:role/comafi-ecs-task-role"}]}))
    .unwrap();
    let lines = vec![
        "iam:AttachRolePolicy on arn:aws:iam::123456789012:role/comafi-ecs-task-role (iam-policy/grant): not allowed by any policy".to_string(),
    ];
    update(&mut app, Msg::PermissionsMissing { checklist: "iam-policy".into(), lines, policy: policy.clone() });
    update(
        &mut app,
        Msg::JobFinished {
            checklist: "iam-policy".into(),
            outcome: Err("the caller lacks 1 of the 9 permissions this run needs; nothing was changed".into()),
        },
    );
    assert!(matches!(app.modal, Some(Modal::Permissions { .. })));
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("\"Action\": \"iam:AttachRolePolicy\""), "{shown}");
    insta::assert_snapshot!(shown);
    // c copies exactly the policy; other keys scroll; Esc closes.
    assert_eq!(key(&mut app, KeyCode::Char('c')), vec![Effect::Copy(policy)]);
    assert_eq!(key(&mut app, KeyCode::Down), vec![]);
    assert!(matches!(app.modal, Some(Modal::Permissions { .. })), "a key that scrolls keeps it open");
    assert_eq!(key(&mut app, KeyCode::Esc), vec![]);
    assert_eq!(app.modal, None);
    assert!(app.log.iter().any(|l| l.text.contains("[permissions] iam:AttachRolePolicy")), "logged too");
}

#[test]
fn the_consent_dialog_shows_the_plans_text_of_each_change() {
    // The dialog wraps to its width (at most 100 columns): its words, in order, are the plan's text.
    let theme = crate::tui::view::Theme { color: false };
    let changes = long_plan();
    let area = ratatui::layout::Rect::new(0, 0, 120, 200);
    let shown = crate::tui::view::modal::consent_geometry(area, "123456789012", &changes, "iam-policy", &theme);
    let words = |lines: &[String]| lines.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
    let dialog: Vec<String> = shown.lines.iter().map(|l| l.to_string()).collect();
    let mut plan = vec!["This step changes the account 123456789012:".to_string()];
    for (n, c) in changes.iter().enumerate() {
        plan.push(format!("Change {} of 2:", n + 1));
        plan.extend(crate::cli::render::changes_text(std::slice::from_ref(c), true, false));
    }
    assert_eq!(words(&dialog), words(&plan));
}

/// After a run, what stands on it in other checklists is probed again; the
/// status line says what was run, the re-checks go to the log only.
#[test]
fn marks_are_current_after_a_run_in_every_checklist() {
    let mut app = apps_of(&["iam-policy", "model-access"]);
    update(
        &mut app,
        Msg::Start(Job {
            checklist: "iam-policy".into(),
            mode: Mode::Run,
            step: None,
            only: false,
            extra: Extra::Plain,
        }),
    );
    update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok("3 steps · 3 pass".into()) });
    assert_eq!(app.notice.as_deref(), Some("■ run iam-policy: 3 steps · 3 pass"));
    // runtime-invoke needs iam-policy/runtime-principal and is fixed by iam-policy: verified again
    // (started at once); the steps of model-access standing on nothing that ran are not.
    let job = app.job.clone().expect("a re-check started");
    assert_eq!(
        (job.checklist.as_str(), job.step.as_deref(), job.mode, job.only),
        ("model-access", Some("runtime-invoke"), Mode::Verify, true)
    );
    assert!(app.background);
    assert!(app.queue.iter().all(|(j, _)| j.step.as_deref() != Some("region-model")), "{:?}", app.queue);
    update(&mut app, Msg::JobFinished { checklist: "model-access".into(), outcome: Ok("1 step · 1 pass".into()) });
    assert_eq!(
        app.notice.as_deref(),
        Some("■ run iam-policy: 3 steps · 3 pass"),
        "a re-check does not take the status line"
    );
    assert!(app.log.iter().any(|l| l.text == "■ verify model-access / runtime-invoke: 1 step · 1 pass"));
}

/// A job that stops before its step reports (a bad input, a lock) shows the
/// failure on the step, whole, not only in a cut status line.
#[test]
fn a_job_s_failure_shows_on_its_step() {
    let mut app = app_of("iam-policy");
    let job = Job {
        checklist: "iam-policy".into(),
        mode: Mode::Run,
        step: Some("runtime-policy".into()),
        only: false,
        extra: Extra::Plain,
    };
    update(&mut app, Msg::Start(job));
    update(&mut app, Msg::StepStarted { checklist: "iam-policy".into(), step: "runtime-policy".into() });
    let why = "image_source: \"docker://nope\" is not a layout directory nor an archive; fix: set image_source = …";
    update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Err(why.into()) });
    let report = &app.lists[0].reports[0];
    assert_eq!((report.status, report.error.as_deref()), (Status::Error, Some(why)));
    assert_eq!(
        app.notice.as_deref(),
        Some("■ run iam-policy / runtime-policy: runtime-policy failed; its detail says why")
    );
    key(&mut app, KeyCode::Down);
    assert!(screen(&app, 200, 30).contains("is not a layout directory nor an archive"));
    // The quit dialog does not outlive the run it asked about.
    let mut app = app_of("iam-policy");
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.modal, Some(Modal::QuitWhileRunning));
    update(&mut app, Msg::JobFinished { checklist: "iam-policy".into(), outcome: Ok("3 steps · 3 pass".into()) });
    assert_eq!(app.modal, None);
}

/// c confirms only a manual step; i verifies with the opt-in probes; the
/// footer offers them where they apply and keeps `e edit` at 80×24.
#[test]
fn manual_and_opt_in_steps_have_keys() {
    let mut app = app_of("model-access");
    let invoke = app.lists[0].checklist.steps.iter().position(|s| s.id == "invoke").unwrap();
    app.lists[0].reports[invoke] = report(
        "invoke",
        "One real call (opt-in)",
        Status::Skipped,
        vec![ProbeResult::new(
            "converse",
            Status::Skipped,
            "not run: costs a fraction of a cent; verify with --invoke to make it",
        )],
    );
    app.selected = invoke + 1;
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("press i (verify with one real call) to make it"), "{shown}");
    assert!(shown.contains("i invoke") && shown.contains("e edit"), "{shown}");
    assert!(!shown.contains("c confirm"), "not a manual step: {shown}");
    assert_eq!(
        key(&mut app, KeyCode::Char('i')),
        vec![Effect::Start(Job {
            checklist: "model-access".into(),
            mode: Mode::Verify,
            step: Some("invoke".into()),
            only: true,
            extra: Extra::Invoke
        })]
    );
    update(&mut app, Msg::JobFinished { checklist: "model-access".into(), outcome: Ok("1 step · 1 pass".into()) });
    assert_eq!(key(&mut app, KeyCode::Char('c')), vec![]);
    assert!(app.notice.as_deref().unwrap().contains("c confirms a manual step"));

    let manual = app.lists[0].checklist.steps.iter().position(|s| s.id == "caller-permissions").unwrap();
    app.lists[0].reports[manual] = report(
        "caller-permissions",
        "Caller may subscribe",
        Status::Manual,
        vec![ProbeResult::new("p", Status::Manual, "check it")],
    );
    app.selected = manual + 1;
    app.notice = None;
    assert!(screen(&app, 80, 24).contains("c confirm"));
    assert_eq!(
        key(&mut app, KeyCode::Char('c')),
        vec![Effect::Start(Job {
            checklist: "model-access".into(),
            mode: Mode::Verify,
            step: Some("caller-permissions".into()),
            only: false,
            extra: Extra::Confirm
        })]
    );
}

#[test]
fn the_help_fits_80_by_24() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    let shown = screen(&app, 80, 24);
    for b in super::keys::BINDINGS {
        assert!(shown.contains(b.help), "help at 80×24 lacks {:?}:\n{shown}", b.help);
    }
    assert!(shown.contains("Ctrl-C quits at once"), "{shown}");
}

/// An invalid value is the problem of the checklists that use it: said in the
/// log on open, first in the checklist's detail, and on the input's line.
#[test]
fn an_invalid_input_is_shown_where_it_is_used() {
    let mut app = apps_of(&["iam-policy", "ecs-service"]);
    let why = "\"80o0\" must be a whole number from 1 to 65535; correct container_port at preflight.toml:3, or pass --set container_port=VALUE";
    app.invalid.insert("container_port".into(), why.into());
    app.missing.insert("container_port".into());
    update(&mut app, Msg::Opened);
    assert!(
        app.log
            .iter()
            .any(|l| l.text == format!("ecs-service: input `container_port` is not valid: {why} (e edits it)")),
        "{:?}",
        app.log.iter().map(|l| &l.text).collect::<Vec<_>>()
    );
    assert!(app.log.iter().all(|l| !l.text.starts_with("iam-policy: input")));
    app.selected = app.rows().iter().position(|r| matches!(r, super::app::Row::List(1))).unwrap();
    let shown = screen(&app, 220, 40);
    assert!(shown.contains("✘ input `container_port` is not valid: \"80o0\" must be a whole number"), "{shown}");
}

/// A step of another checklist whose fix names the checklist that ran is probed again too.
#[test]
fn a_step_whose_fix_names_what_ran_is_probed_again() {
    let mut app = apps_of(&["secrets", "ecs-service"]);
    let l = 1;
    let s = app.lists[l].checklist.steps.iter().position(|s| s.id == "execution-role").unwrap();
    let mut probe = ProbeResult::new("permissions", Status::Fail, "may not read the secret");
    probe.fix = Some("run `preflight run secrets --step read-access`: it grants them".into());
    app.lists[l].reports[s] = report("execution-role", "Execution role", Status::Fail, vec![probe]);
    update(
        &mut app,
        Msg::Start(Job { checklist: "secrets".into(), mode: Mode::Run, step: None, only: false, extra: Extra::Plain }),
    );
    update(&mut app, Msg::JobFinished { checklist: "secrets".into(), outcome: Ok("5 steps · 5 pass".into()) });
    let mut jobs: Vec<(String, Option<String>)> =
        app.queue.iter().map(|(j, _)| (j.checklist.clone(), j.step.clone())).collect();
    jobs.extend(app.job.iter().map(|j| (j.checklist.clone(), j.step.clone())));
    assert!(jobs.contains(&("ecs-service".into(), Some("execution-role".into()))), "{jobs:?}");
}
