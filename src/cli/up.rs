//! `preflight up`: every checklist the profile enables (`checklists = [...]`),
//! in deploy order, as one run — one permission check before the first change,
//! one consent listing every change of every checklist (planned together, a
//! value an earlier change makes shown as such), then each checklist in turn,
//! stopping at the first step that fails, with its fix. Each step's changes are
//! checked against what was consented to before they are made: a step whose
//! changes differ (the account changed since) is asked about again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::json;

use super::drive::{gate, service_end_with};
use super::front::CliFront;
use super::pager;
use super::permissions;
use super::render::{self, color_enabled};
use crate::engine::model::Checklists;
use crate::engine::order;
use crate::engine::outcome::Status;
use crate::engine::profile::Profile;
use crate::engine::suggest::did_you_mean;
use crate::front::consent::{Consented, planned_steps, stops, waiting_line, waiting_steps};
use crate::front::options::Global;
use crate::front::prompt;
use crate::front::session::Session;
use crate::front::setup::{self, EXIT_FAIL, Failure, interactive, usage};
use crate::front::words::{self, stopped};
use crate::runner::{ChecklistReport, Mode, Options, StepReport, now};

pub struct UpArgs {
    pub yes: bool,
    pub json: bool,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

pub async fn up(g: &Global, a: UpArgs) -> Result<u8, Failure> {
    let (_, lists, profile) = setup::load(g)?;
    let ids = chosen(&profile, &lists, &a.only, &a.skip)?;
    let s = Session::open(g, &ids, None, false, true).await?;
    let (store, _) = s.store()?;
    let _job = store.begin_job(&format!("preflight up ({})", ids.join(" ")), &now()).map_err(usage)?;
    let state = store.load().map_err(usage)?;
    let front = Arc::new(Consented::new(Arc::new(CliFront::new(a.json, g.verbose, color_enabled()))));
    if !a.json {
        render::emit(render::banner(&s.aws));
        render::emit(format_args!(
            "up: {} (the checklists {} enables, in deploy order)",
            ids.join(" → "),
            profile.path.display()
        ));
    }
    let run =
        Options { mode: Mode::Run, step: None, only: false, probing: Default::default(), yes: a.yes, force: false };
    let mut runner = s.runner(front.clone(), Some(store), state.clone());
    let (permissions, ended) = gate(&mut runner, &s, &run, "up", a.json, g.strict).await?;
    if let Some(code) = ended {
        return Ok(code);
    }

    // One consent for the whole run: every checklist planned together (nothing
    // is written; each step plans against what the steps before it would make).
    if !a.yes {
        let mut planner = s.runner(front.clone(), None, state);
        let plan = Options { mode: Mode::Plan, ..run.clone() };
        for c in s.checklists() {
            planner.prefetch(c, &plan);
        }
        front.quiet.store(true, Ordering::SeqCst);
        let mut planned = Vec::new();
        for c in s.checklists() {
            planned.push(planner.run_checklist(c, &plan).await.map_err(stopped)?);
        }
        front.quiet.store(false, Ordering::SeqCst);
        // Values asked for while planning (a secret's, at a prompt) are not asked again.
        runner.values = planner.values.clone();
        runner.lazy = planner.lazy.clone();
        if !consent(&s, &planned, &front)? {
            render::emit("up: declined; nothing was changed");
            return Ok(EXIT_FAIL);
        }
    }

    for c in s.checklists() {
        runner.prefetch(c, &run);
    }
    let mut reports: Vec<ChecklistReport> = Vec::new();
    let mut stop = None;
    for (i, c) in s.checklists().enumerate() {
        if !a.json {
            render::emit(format_args!("\n{}", render::checklist_heading(&c.id, &c.title)));
        }
        // What it stands on from the checklists before it, now that they have run (the
        // first one's were checked before any change).
        let unmet = if i == 0 { Vec::new() } else { runner.check_preconditions(&[c], &run).await.map_err(stopped)? };
        if let Some(first) = unmet.first() {
            if !a.json {
                render::emit(words::unmet_text(&unmet).replacen(
                    "nothing was changed",
                    &format!("nothing of {} was changed", c.id),
                    1,
                ));
            }
            let step = first.step.split_once('/').map_or(first.step.as_str(), |(_, s)| s);
            let mut blocked =
                StepReport::recorded_for(c.step(step).expect("a step of the checklist"), None, &BTreeMap::new());
            blocked.status = Status::Blocked;
            blocked.error = Some(first.fact.clone());
            blocked.fix = first.fix.clone();
            stop = Some((c.id.clone(), blocked));
            break;
        }
        let report = runner.run_checklist(c, &run).await.map_err(stopped)?;
        let failing = report.steps.iter().find(|s| stops(s)).map(|s| (c.id.clone(), s.clone()));
        reports.push(report);
        if failing.is_some() {
            stop = failing;
            break;
        }
    }
    let ran = reports.len() + usize::from(stop.as_ref().is_some_and(|(c, _)| !reports.iter().any(|r| &r.id == c)));
    let not_run: Vec<&str> = ids.iter().skip(ran).map(String::as_str).collect();
    if a.json {
        let mut doc = render::document("up", &s.aws, &reports);
        if let Some(check) = &permissions {
            doc["permissions"] = permissions::check_json(check);
        }
        doc["stopped_at"] = stop.as_ref().map_or(json!(null), |(c, st)| json!({ "checklist": c, "step": st.id }));
        doc["not_run"] = json!(not_run);
        render::emit(serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        render::emit(format_args!("\nup: {}", crate::runner::tally(reports.iter().flat_map(|r| &r.steps))));
        render::emit(ending(&reports, stop.as_ref(), &not_run, &s));
    }
    Ok(if stop.is_some() { EXIT_FAIL } else { 0 })
}

/// The checklists to run: the profile's, less `--skip`, or only `--only`'s; in deploy order.
pub fn chosen(profile: &Profile, lists: &Checklists, only: &[String], skip: &[String]) -> Result<Vec<String>, Failure> {
    let path = profile.path.display();
    let ids: Vec<&str> = lists.all.iter().map(|c| c.id.as_str()).collect();
    let Some(enabled) = &profile.checklists else {
        let whose = if profile.exists { format!("{path} does not say") } else { format!("there is no {path} to say") };
        return Err(usage(format!(
            "error: {whose} which checklists this project uses (`checklists = [...]`), so `up` does not know what to run\n  \
             fix: run `preflight init` in the project's repository, or add e.g. `checklists = [\"iam-policy\", \"secrets\"]` \
             at the top of {path} (known: {})",
            ids.join(", ")
        )));
    };
    let enabled: Vec<&str> = enabled.iter().map(|(id, _)| id.as_str()).collect();
    let line = profile.checklists.as_ref().and_then(|l| l.first()).map_or(1, |(_, line)| *line);
    for (flag, named) in [("--only", only), ("--skip", skip)] {
        for id in named {
            if !ids.contains(&id.as_str()) {
                return Err(usage(format!(
                    "error: {flag} {id}: no checklist \"{id}\"{}; known: {}",
                    did_you_mean(id, ids.iter().copied()),
                    ids.join(", ")
                )));
            }
            if !enabled.contains(&id.as_str()) {
                return Err(usage(format!(
                    "error: {flag} {id}: the profile does not enable it (checklists at {path}:{line}: {})\n  \
                     fix: add \"{id}\" to checklists in {path}, or run it alone with `preflight run {id}`",
                    enabled.join(", ")
                )));
            }
        }
    }
    let wanted = |id: &str| {
        enabled.contains(&id) && (only.is_empty() || only.iter().any(|o| o == id)) && !skip.iter().any(|s| s == id)
    };
    let deploy = order::checklist_order(&lists.all)
        .map_err(|cycle| usage(format!("error: the checklists need each other in a circle: {}", cycle.join(" → "))))?;
    let out: Vec<String> = deploy.into_iter().map(|i| lists.all[i].id.clone()).filter(|id| wanted(id)).collect();
    if out.is_empty() {
        return Err(usage(format!(
            "error: --only and --skip leave no checklist of {path} to run (it enables {})",
            enabled.join(", ")
        )));
    }
    Ok(out)
}

/// Shows every planned change of every checklist, then asks once. Ok(false): declined.
fn consent(s: &Session, planned: &[ChecklistReport], front: &Consented) -> Result<bool, Failure> {
    let steps = planned_steps(planned);
    if steps.is_empty() {
        return Ok(true);
    }
    let total: usize = steps.iter().map(|(_, st)| st.changes.len()).sum();
    // Steps that pass now but stand on what this run changes first, their change unknown yet.
    let waiting: Vec<String> =
        waiting_steps(planned).into_iter().map(|(c, st)| format!("  {}", waiting_line(c, st))).collect();
    let then = if waiting.is_empty() {
        String::new()
    } else {
        format!("\nthen, once those are made, probed again (and asked about, if they change):\n{}", waiting.join("\n"))
    };
    if !interactive() {
        let list: Vec<String> = steps
            .iter()
            .flat_map(|(c, st)| {
                st.changes
                    .iter()
                    .map(move |ch| format!("  {c}/{}: {}:{} {}", st.id, ch.service, ch.operation, ch.resource))
            })
            .collect();
        return Err(usage(format!(
            "error: up would make {total} change{} to the account and there is no terminal to ask for consent:\n{}{then}\n  \
             fix: review them with `preflight up` in a terminal (or `preflight plan CHECKLIST`), then run again with --yes",
            plural(total),
            list.join("\n")
        )));
    }
    let color = color_enabled();
    let mut lines = Vec::new();
    let mut last = "";
    for (c, st) in &steps {
        if *c != last {
            let title = s.checklists().find(|x| x.id == *c).map(|x| x.title.as_str()).unwrap_or_default();
            lines.push(String::new());
            lines.push(render::checklist_heading(c, title));
            last = c;
        }
        lines.push(format!("  {} / {}: {}", c, st.id, st.title));
        lines.extend(render::changes_text(&st.changes, true, color).into_iter().map(|l| format!("    {l}")));
    }
    if pager::show(&lines, 3) {
        for (c, st) in &steps {
            eprintln!("  {c} / {}:", st.id);
            render::changes_text(&st.changes, false, color).iter().for_each(|l| eprintln!("    {l}"));
        }
    }
    if !then.is_empty() {
        eprintln!("{}", then.trim_start_matches('\n'));
    }
    let checklists = steps.iter().map(|(c, _)| *c).collect::<std::collections::BTreeSet<_>>().len();
    eprintln!(
        "\nup would make {total} change{} in {} step{} of {checklists} checklist{}, in account {} ({}).",
        plural(total),
        steps.len(),
        plural(steps.len()),
        plural(checklists),
        s.aws.account_id,
        s.aws.region
    );
    let question = format!("Make these {total} change{}?", plural(total));
    let yes = tokio::task::block_in_place(|| prompt::confirm(&question)).unwrap_or(false);
    if yes {
        front.consent_to(planned);
    }
    Ok(yes)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How `up` ends: where it stopped and the fix, or the service's address, what
/// this run made, and what comes next.
fn ending(reports: &[ChecklistReport], stop: Option<&(String, StepReport)>, not_run: &[&str], s: &Session) -> String {
    if let Some((c, st)) = stop {
        let why = st.error.clone().unwrap_or_else(|| {
            let probe = st.probes.iter().find(|p| p.status != Status::Pass);
            probe.map_or_else(|| format!("{} does not pass", st.id), |p| p.message.clone())
        });
        let fix = st.fix.clone().or_else(|| st.probes.iter().find_map(|p| p.fix.clone()));
        let fix = fix.map(|f| format!("\n  fix: {}", f.replace('\n', "\n       "))).unwrap_or_default();
        let rest = if not_run.is_empty() { String::new() } else { format!("\n  not run: {}", not_run.join(", ")) };
        return format!(
            "\nup stopped at {c} / {}: {why}{fix}{rest}\n  then: preflight up (what is in place is not changed again)",
            st.id
        );
    }
    let mut out = String::new();
    let made: Vec<String> = reports
        .iter()
        .flat_map(|r| r.steps.iter().filter(|st| st.applied && !st.changes.is_empty()).map(move |st| (r, st)))
        .flat_map(|(r, st)| {
            render::changes_text(&st.changes, false, false)
                .into_iter()
                .map(move |l| format!("  {} / {}: {l}", r.id, st.id))
        })
        .collect();
    if made.is_empty() {
        out.push_str("\nnothing was changed: every step was in place");
    } else {
        out.push_str(&format!("\nmade in this run:\n{}", made.join("\n")));
    }
    let pipeline = reports.iter().find(|r| r.id == "oidc-provider").is_some_and(|r| {
        r.steps.iter().any(|st| st.id == "workflow")
            && r.steps.iter().all(|st| st.status == Status::Pass || st.status == Status::Manual)
    });
    match service_end_with(reports, s.values.lookup("health_url").filter(|u| !u.is_empty()), pipeline) {
        Some(end) => out.push_str(&end),
        None => out.push_str(&format!(
            "\n  next: `preflight verify {}` checks it all again at any time",
            reports.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(" ")
        )),
    }
    out
}
