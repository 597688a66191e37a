//! Sets the TUI up (checklists, inputs, AWS context, state) and runs its loop:
//! draw, wait for a message (input, tick, job report, Ctrl-C), update, carry
//! out the effects.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::unbounded_channel;

use super::app::{App, Effect, Header, ListView, LogKind, Msg};
use super::terminal::{self, Events};
use super::update::update;
use super::view;
use super::worker::{InputSources, Resolved, TuiFront, Worker};
use crate::engine::model::{Checklist, InputDef};
use crate::engine::state::Phase;
use crate::engine::store::{Store, state_dir};
use crate::engine::{order, usage as input_usage};
use crate::front::options::Global;
use crate::front::setup::invocation;
use crate::front::setup::{self, Failure, usage};
use crate::runner::{Runner, StepReport};

pub async fn run(g: &Global, only: Option<String>, yes: bool) -> Result<u8, Failure> {
    if !setup::interactive() {
        return Err(usage(
            "the wizard needs a terminal; without one use `preflight run`, `plan` or `verify` (see --help)",
        ));
    }
    let (library, all, profile) = setup::load(g)?;
    let lists: Vec<Checklist> = match &only {
        Some(id) => vec![setup::pick(&all, id)?.clone()],
        None => all.all.clone(),
    };
    let mut defs: BTreeMap<String, InputDef> = BTreeMap::new();
    for c in &lists {
        for d in input_usage::with_needs(&all, c, &order::selection(&c.steps, None), &library, false) {
            defs.entry(d.name.clone()).or_insert(d);
        }
    }
    let defs: Vec<InputDef> = defs.into_values().collect();
    let (provided, warnings) = setup::provided(g, &profile, &defs, &all)?;
    // An invalid value does not stop the wizard: the checklists that use it show it as their problem.
    let aws = Arc::new(setup::connect(g, &all).await?);
    let context = BTreeMap::from([
        ("account_id".to_string(), aws.account_id.clone()),
        ("region".to_string(), aws.region.clone()),
    ]);
    let sources = InputSources { defs, provided, context, profile: g.profile_path() };
    let Resolved { values, shown, missing, invalid } = sources.resolve();

    // The wizard holds no lock while it waits: a run job takes the job lock while it runs.
    let store = Store::open(&state_dir(&g.profile_path()));
    let state = store.load().map_err(usage)?;
    let (tx, mut rx) = unbounded_channel();
    let front = Arc::new(TuiFront::new(tx.clone()));
    let runner = Runner {
        aws: aws.clone(),
        library: Arc::new(library.clone()),
        values,
        lists: Arc::new(profile.lists.clone()),
        front: front.clone(),
        store: Some(Arc::new(store)),
        state,
        shared: Arc::new(crate::aws::shared::Shared::new(g.concurrency)),
        pending: Default::default(),
        planned: None,
        checklists: Arc::new(all.all.clone()),
        judged: Default::default(),
        invocation: invocation(g),
        // The wizard asks for the values a run needs before it starts (see `update::start`).
        lazy: Default::default(),
        ask: None,
        // A run takes the job lock at its first change, once it is consented to.
        lock_on_change: None,
        held: None,
    };

    let views = lists
        .iter()
        .map(|c| {
            let recorded: Vec<_> = c.steps.iter().map(|s| runner.step_state(&c.id, &s.id)).collect();
            // A record made with other input values is not shown as this profile's.
            let reports = c
                .steps
                .iter()
                .zip(&recorded)
                .map(|(s, st)| StepReport::recorded_for(s, *st, &runner.probe_inputs(c, s)))
                .collect();
            let names = |probes_only| -> Vec<Vec<String>> {
                (0..c.steps.len())
                    .map(|i| {
                        input_usage::needed_inputs(c, &[i], &library, probes_only).into_iter().map(|d| d.name).collect()
                    })
                    .collect()
            };
            let skipped = recorded.iter().map(|st| st.is_some_and(|s| s.phase == Phase::Skipped)).collect();
            ListView::new(c.clone(), reports, names(false), names(true), skipped)
        })
        .collect();
    let header = Header {
        account_id: aws.account_id.clone(),
        principal_arn: aws.principal_arn.clone(),
        region: aws.region.clone(),
        profile_file: g.profile_path().display().to_string(),
        mismatch: profile.expect.mismatch(&aws.account_id, &aws.region),
    };
    let mut app = App::new(header, views, shown, missing);
    app.invalid = invalid;
    for w in &warnings {
        app.log(LogKind::Failure, w.clone());
    }
    app.yes = yes;
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // U (up): the checklists shown that the profile enables (all shown when it names none), in deploy order.
    let enabled = |id: &str| profile.checklists.as_ref().is_none_or(|l| l.iter().any(|(c, _)| c == id));
    let up: Vec<String> = order::checklist_order(&lists)
        .map(|o| o.into_iter().map(|i| lists[i].id.clone()).filter(|id| enabled(id)).collect())
        .unwrap_or_default();
    let mut worker = Worker::new(runner, front, lists, tx.clone(), yes, sources);
    worker.strict = g.strict;
    worker.up = up;

    let mut term = terminal::enter().map_err(|e| usage(format!("cannot use the terminal: {e}")))?;
    let events = Events::spawn(tx.clone());
    if let Ok(size) = term.size() {
        app.size = (size.width, size.height);
    }
    let _ = tx.send(Msg::Opened);
    let result = event_loop(&mut app, &mut term, &events, &mut worker, &mut rx).await;
    // Quitting (or a failed screen) stops a run where it is and lets the job lock go.
    worker.stop().await;
    drop(events);
    terminal::restore();
    result.map_err(|e| Failure { code: 1, message: format!("terminal error: {e}") })?;
    Ok(0)
}

async fn event_loop(
    app: &mut App,
    term: &mut ratatui::DefaultTerminal,
    events: &Events,
    worker: &mut Worker,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>,
) -> std::io::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        term.draw(|f| view::draw(f, app))?;
        let first = tokio::select! {
            Some(m) = rx.recv() => m,
            _ = tick.tick() => Msg::Tick,
            _ = tokio::signal::ctrl_c() => Msg::Interrupt,
        };
        let mut queue = VecDeque::from([first]);
        while let Ok(m) = rx.try_recv() {
            queue.push_back(m);
        }
        while let Some(msg) = queue.pop_front() {
            for effect in update(app, msg) {
                match effect {
                    Effect::Quit => return Ok(()),
                    Effect::Start(job) => worker.start(job),
                    Effect::Consent { id, yes } => worker.consent(id, yes),
                    Effect::Copy(text) => terminal::copy(&text)?,
                    Effect::Skip { checklist, step, skip } => {
                        // A skip is a decision on record: why is asked, who is the caller.
                        let reason = if skip {
                            events.pause();
                            terminal::suspend();
                            let asked = tokio::task::block_in_place(|| {
                                crate::front::prompt::reason(&format!("Why skip {checklist}/{step}?"))
                            });
                            terminal::resume(term)?;
                            events.resume();
                            match asked {
                                Ok(r) => Some(r),
                                Err(e) => {
                                    queue.push_back(Msg::Notice(format!("not skipped: {e}")));
                                    continue;
                                }
                            }
                        } else {
                            None
                        };
                        queue.push_back(worker.skip(&checklist, &step, reason).await)
                    }
                    Effect::AskInputs { names, then } => {
                        let asked = ask(term, events, worker, &names, false, app)?;
                        queue.push_back(worker.refresh_inputs().await);
                        match (asked, then) {
                            (Ok(()), Some(job)) => queue.push_back(Msg::Start(job)),
                            (Err(e), _) => queue.push_back(Msg::Notice(format!("not run: {e}"))),
                            _ => {}
                        }
                    }
                    Effect::EditInputs { names } => {
                        if let Err(e) = ask(term, events, worker, &names, true, app)? {
                            queue.push_back(Msg::Notice(e));
                        }
                        queue.push_back(worker.refresh_inputs().await);
                    }
                }
            }
        }
    }
}

/// Suspends the screen, asks with inquire, and takes the screen back.
fn ask(
    term: &mut ratatui::DefaultTerminal,
    events: &Events,
    worker: &mut Worker,
    names: &[String],
    edit: bool,
    app: &App,
) -> std::io::Result<Result<(), String>> {
    events.pause();
    terminal::suspend();
    let answered = tokio::task::block_in_place(|| worker.inputs.ask(names, edit, &app.shown));
    terminal::resume(term)?;
    events.resume();
    Ok(answered)
}
