//! `plan`, `run` and `verify`: the runner driven over the selected checklists,
//! each step printed as it finishes, one JSON document with `--json`.

use std::sync::Arc;

use super::front::CliFront;
use super::permissions;
use super::render::{self, color_enabled};
use crate::engine::outcome::Status;
use crate::front::options::Global;
use crate::front::session::Session;
use crate::front::setup::{EXIT_FAIL, Failure, usage};
use crate::front::words::{self, stopped};
use crate::runner::{Mode, Options, PermissionCheck, Runner, now};

pub async fn drive(g: &Global, ids: Vec<String>, opts: Options, json: bool, strict: bool) -> Result<u8, Failure> {
    let s = Session::open(g, &ids, opts.step.as_deref(), opts.mode == Mode::Verify, opts.mode == Mode::Run).await?;
    let command = match opts.mode {
        Mode::Verify => "verify",
        Mode::Plan => "plan",
        Mode::Run => "run",
    };
    // Reads never wait for a lock; changing the account holds the job lock for the whole run.
    let (store, state) = s.store()?;
    let _job = match opts.mode {
        Mode::Run => Some(store.begin_job(&format!("preflight run {}", ids.join(" ")), &now()).map_err(usage)?),
        _ => None,
    };
    let state = if opts.mode == Mode::Run { store.load().map_err(usage)? } else { state };
    let color = color_enabled();
    let front = Arc::new(CliFront::new(json, g.verbose, color));
    let store = (opts.mode != Mode::Plan).then_some(store);
    let mut runner = s.runner(front, store, state);
    if !json {
        render::emit(render::banner(&s.aws));
    }
    // Every selected checklist is probed at once, bounded by --concurrency; the
    // reports still come in the checklists' and steps' order.
    for c in s.checklists() {
        runner.prefetch(c, &opts);
    }
    let (permissions, ended) = gate(&mut runner, &s, &opts, command, json, g.strict).await?;
    if let Some(code) = ended {
        return Ok(code);
    }
    let mut reports = Vec::new();
    for c in s.checklists() {
        if !json {
            render::emit(format_args!("\n{}", render::checklist_heading(&c.id, &c.title)));
        }
        match runner.run_checklist(c, &opts).await {
            Ok(report) => reports.push(report),
            Err(stop) => return Err(stopped(stop)),
        }
    }
    if strict {
        // The steps were printed as probed; what --strict fails is said after them.
        let mut said = Vec::new();
        for (checklist, step) in reports.iter_mut().flat_map(|r| r.steps.iter_mut().map(|s| (r.id.clone(), s))) {
            let (error, fix) = match (step.status, &step.skip) {
                // A step a person skipped; an opt-in probe not asked for (no record) is not one.
                (Status::Skipped, Some(skip)) => (
                    format!("--strict: a skipped step is not verified ({})", skip.text()),
                    format!("preflight unskip {checklist} --step {}, then run or confirm it", step.id),
                ),
                (Status::Manual, _) if !step.confirmed => (
                    format!("--strict: manual step not confirmed (preflight confirm {checklist} --step {})", step.id),
                    format!("do what the step says, then preflight confirm {checklist} --step {}", step.id),
                ),
                _ => continue,
            };
            said.push(format!("  ✘ {checklist}/{}: {error}\n      fix: {fix}", step.id));
            step.status = Status::Fail;
            step.error = Some(error);
            step.fix = Some(fix);
        }
        if !json && !said.is_empty() {
            render::emit(format_args!("\n{}", said.join("\n")));
        }
    }
    if json {
        let mut doc = render::document(command, &s.aws, &reports);
        if let Some(check) = &permissions {
            doc["permissions"] = permissions::check_json(check);
        }
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        render::emit(format_args!("\n{command}: {}", crate::runner::tally(reports.iter().flat_map(|r| &r.steps))));
        if opts.mode != Mode::Plan
            && let Some(end) = service_end(&reports, s.values.lookup("health_url").filter(|u| !u.is_empty()))
        {
            render::emit(end);
        }
    }
    // A plan whose run would stop for permissions says so in its exit code too.
    let lacking = permissions.as_ref().is_some_and(|c| !c.missing.is_empty());
    let failed = lacking
        || reports.iter().flat_map(|r| &r.steps).any(|s| match opts.mode {
            Mode::Plan => false,
            Mode::Verify => matches!(s.status, Status::Fail | Status::Error | Status::Blocked),
            Mode::Run => matches!(s.status, Status::Fail | Status::Error | Status::Blocked | Status::Pending),
        });
    Ok(if failed { EXIT_FAIL } else { 0 })
}

/// Before the first change (run and plan; up): may the caller make every call
/// the run needs (one check for all its checklists), and do the facts it depends
/// on hold (run; up)? The check's outcome, and Some(exit code) when the command
/// ends here, having said why (on stdout, or as its JSON document).
pub(super) async fn gate(
    runner: &mut Runner,
    s: &Session,
    opts: &Options,
    command: &str,
    json: bool,
    strict: bool,
) -> Result<(Option<PermissionCheck>, Option<u8>), Failure> {
    let chosen: Vec<_> = s.checklists().collect();
    let mut permissions = None;
    if matches!(opts.mode, Mode::Run | Mode::Plan) {
        permissions = runner.check_permissions(&chosen, opts).await.map_err(stopped)?;
    }
    let end = |extra: (&str, serde_json::Value), permissions: &Option<PermissionCheck>| {
        ended(&s.aws, command, json, extra, permissions)
    };
    if let Some(code) = said(&permissions, &s.aws, command, json, strict, opts.mode == Mode::Run)? {
        return Ok((permissions, Some(code)));
    }
    // Beside the permissions, before the first change: the facts the run depends on.
    if opts.mode == Mode::Run {
        let unmet = runner.check_preconditions(&chosen, opts).await.map_err(stopped)?;
        if !unmet.is_empty() {
            if !json {
                render::emit(words::unmet_text(&unmet));
            }
            end(("preconditions", words::unmet_json(&unmet)), &permissions);
            return Ok((permissions, Some(EXIT_FAIL)));
        }
    }
    Ok((permissions, None))
}

/// After `ecs-service`: where the application answers (the load balancer's
/// address, or `health_url` when the profile gives one: what the health step
/// checked), said as answering only when the health step passes now, and the next step.
pub(super) fn service_end(reports: &[crate::runner::ChecklistReport], health_url: Option<String>) -> Option<String> {
    service_end_with(reports, health_url, false)
}

/// `pipeline`: the run made oidc-provider pass too, its workflow included: the next step is a push.
pub(super) fn service_end_with(
    reports: &[crate::runner::ChecklistReport],
    health_url: Option<String>,
    pipeline: bool,
) -> Option<String> {
    let service = reports.iter().find(|r| r.id == "ecs-service")?;
    let dns = service.steps.iter().find_map(|s| s.outputs.get("dns_name")).filter(|d| !d.is_empty());
    let url = health_url.or_else(|| dns.map(|d| format!("http://{d}/")))?;
    // Said only when the health step was judged now (not outside the selection, pending or skipped).
    let health = service.steps.iter().find(|s| s.id == "health")?;
    if !matches!(health.status, Status::Pass | Status::Fail | Status::Error | Status::Blocked) {
        return None;
    }
    Some(if health.status == Status::Pass && pipeline {
        format!(
            "\nthe service answers at {url} (its health check passes now)\n  next: push to the branch the deploy role \
             trusts: the workflow builds and deploys it (`preflight verify oidc-provider` checks the pipeline again)"
        )
    } else if health.status == Status::Pass {
        format!(
            "\nthe service answers at {url} (its health check passes now)\n  next: ship a new version with \
             `preflight run ecr-push` then `preflight run ecs-service`, or let GitHub Actions deploy it: \
             `preflight run oidc-provider`"
        )
    } else {
        format!(
            "\nthe service is to answer at {url}, but it does not answer healthy now: the failing step above says why"
        )
    })
}

/// The check before `destroy`'s first change: the calls its plan made and would make.
pub(super) async fn gate_permissions(
    runner: &mut Runner,
    calls: &[(crate::aws::error::Op, String)],
    command: &str,
    json: bool,
    strict: bool,
) -> Result<(Option<PermissionCheck>, Option<u8>), Failure> {
    let permissions = runner.check_calls(calls).await.map_err(stopped)?;
    let aws = runner.aws.clone();
    let code = said(&permissions, &aws, command, json, strict, true)?;
    Ok((permissions, code))
}

/// Says the check's outcome; Some(exit code) when the command ends here (something
/// is missing and `stops`), having printed its JSON document when asked for one.
fn said(
    permissions: &Option<PermissionCheck>,
    aws: &crate::aws::context::AwsContext,
    command: &str,
    json: bool,
    strict: bool,
    stops: bool,
) -> Result<Option<u8>, Failure> {
    let Some(check) = permissions else { return Ok(None) };
    if let Some(why) = &check.unreadable {
        if strict {
            return Err(usage(words::check_unreadable(why, command, true)));
        }
        eprintln!("{}", words::check_unreadable(why, command, false));
    } else if !json {
        render::emit(format_args!("{}", words::check_text(check, command)));
    }
    if !check.missing.is_empty() && stops {
        ended(aws, command, json, ("", serde_json::Value::Null), permissions);
        return Ok(Some(EXIT_FAIL));
    }
    Ok(None)
}

/// The JSON document of a command that ends before its first change.
fn ended(
    aws: &crate::aws::context::AwsContext,
    command: &str,
    json: bool,
    extra: (&str, serde_json::Value),
    permissions: &Option<PermissionCheck>,
) {
    if json {
        let mut doc = render::document(command, aws, &[]);
        if !extra.0.is_empty() {
            doc[extra.0] = extra.1;
        }
        if let Some(check) = permissions {
            doc["permissions"] = permissions::check_json(check);
        }
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
    }
}
