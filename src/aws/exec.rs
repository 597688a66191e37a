//! The context an action or probe runs in: every AWS call goes through it, so
//! that reads are timed and reported, and changes are planned (dry run),
//! audited and reported in one place.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use super::change::{Change, Detail, DocDiff};
use super::context::AwsContext;
use super::error::{AwsError, Op};
pub use super::later::{Later, Pending, Planned};
use super::shared::Shared;
use super::{later, wire};
use crate::engine::inputs::Values;
use crate::engine::library::Library;
use crate::engine::profile::Lists;
use serde_json::Value;

/// How a call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    Ok,
    /// The thing read does not exist: an answer, not a failure.
    NotFound,
    Failed(String),
    /// No call: the answer of the same read made earlier in this command.
    Reused,
}

impl CallOutcome {
    /// How the log says it: `ok`, `changed`, `not found`, `failed: …`.
    pub fn word(&self, mutating: bool) -> String {
        match self {
            CallOutcome::Ok if mutating => "changed".into(),
            CallOutcome::Ok => "ok".into(),
            CallOutcome::NotFound => "not found".into(),
            CallOutcome::Failed(e) => format!("failed: {e}"),
            CallOutcome::Reused => "reused".into(),
        }
    }
}

/// What happened during a step, as it happens (the CLI prints it, the TUI logs it).
#[derive(Debug, Clone)]
pub enum Activity {
    Call {
        op: Op,
        mutating: bool,
        millis: u128,
        outcome: CallOutcome,
    },
    /// A detail shown only with -v (the CLI) or in the log (the wizard).
    Note(String),
    /// Something the operator should see in any case (the CLI prints it on stderr).
    Info(String),
    /// One second of a bounded wait: why, and how long is left (a countdown).
    Wait {
        why: String,
        left: u64,
        first: bool,
    },
    /// Something a transfer found already there (a blob the registry has): nothing sent.
    Present {
        what: String,
        size: u64,
    },
    /// A transfer under way (`done` of `total` bytes); `done == total` when it ends.
    Progress {
        what: String,
        done: u64,
        total: u64,
    },
    /// The current state of something watched (a deployment's table): it
    /// replaces the previous table of the step. The wizard shows it in the
    /// step's detail; the CLI prints Info lines instead.
    Table(Table),
}

/// A small table: a title, column names, rows of cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Opt-in probing: `deep` asks IAM's policy simulator for a second opinion;
/// `invoke` lets probes call a model (which costs money, a fraction of a cent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Probing {
    pub deep: bool,
    pub invoke: bool,
}

pub trait Sink: Send + Sync {
    fn activity(&self, checklist: &str, step: &str, activity: Activity);
}

/// Appends mutating calls to the audit log (`.preflight/audit.jsonl`).
pub trait Audit: Send + Sync {
    fn record(&self, line: serde_json::Value) -> Result<(), String>;
}

pub struct Exec {
    pub aws: Arc<AwsContext>,
    pub library: Arc<Library>,
    pub values: Values,
    /// The profile's `[[secrets]]` and `[[parameters]]`.
    pub lists: Arc<Lists>,
    /// For a probe: the values the step's action would write (its `values`),
    /// when they are known (a run or a plan; never for `verify`, which reads no secret).
    pub wanted: Option<toml::Table>,
    /// False for `plan` and for a run's look before it asks: changes are recorded, not made.
    pub apply: bool,
    /// The `plan` command (not a run's look before consent): nothing local is
    /// prepared either (an image is not built).
    pub planning: bool,
    /// The action was asked to act even though its probes pass (`run --force`).
    pub force: bool,
    /// What the probes may do beyond reading (`--deep`, `--invoke`).
    pub probing: Probing,
    pub checklist: String,
    pub step: String,
    /// The probe this Exec runs for (None for an action).
    pub probe: Option<String>,
    pub sink: Arc<dyn Sink>,
    pub audit: Option<Arc<dyn Audit>>,
    /// The command's bound on calls in flight and its shared reads.
    pub shared: Arc<Shared>,
    /// What the kind declares it may call (see `aws::declared`).
    pub declared: Option<Arc<Vec<crate::policy::actions::Need>>>,
    pub changes: Vec<Change>,
    pub outputs: BTreeMap<String, String>,
    /// In a plan: what the steps planned before this one would make.
    pub planned: Option<Arc<Planned>>,
    /// In a run after consent: the changes consented to, in order; a change
    /// that is not the next of them is not made.
    pub consented: Option<VecDeque<Change>>,
    /// The last change, when it failed (action, resource): it may be made once more.
    pub failed: Option<(String, String)>,
}

/// Every string of a JSON value with the secret values scrubbed.
fn scrub_json(values: &Values, v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(values.scrub(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| scrub_json(values, v)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, scrub_json(values, v))).collect()),
        other => other,
    }
}

/// What an SDK call's future yields.
pub type SdkResult<T, E> =
    Result<T, aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>>;

fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

impl Exec {
    fn report<T>(&self, op: &Op, mutating: bool, started: Instant, result: &Result<T, AwsError>) {
        let op = Op { resource: self.values.scrub(&op.resource), ..op.clone() };
        let outcome = match result {
            Ok(_) => CallOutcome::Ok,
            Err(e) if !mutating && e.is_not_found() => CallOutcome::NotFound,
            Err(e) => CallOutcome::Failed(self.values.scrub(&e.to_string())),
        };
        self.seen(&op);
        self.log_call(&op, mutating, started.elapsed().as_millis(), &outcome);
        self.sink.activity(
            &self.checklist,
            &self.step,
            Activity::Call { op, mutating, millis: started.elapsed().as_millis(), outcome },
        );
    }

    /// Every call passes here once, made or reused: recorded for the command
    /// (the check before a run), checked against the kind's declaration.
    fn seen(&self, op: &Op) {
        self.shared.saw(op);
        let who = format!(
            "{}/{}{}",
            self.checklist,
            self.step,
            self.probe.as_deref().map(|p| format!("/{p}")).unwrap_or_default()
        );
        super::declared::check(op, self.declared.as_deref().map(Vec::as_slice), &self.aws.principal_arn, &who);
    }

    fn log_call(&self, op: &Op, mutating: bool, millis: u128, outcome: &CallOutcome) {
        let line = serde_json::json!({
            "checklist": self.checklist, "step": self.step, "probe": self.probe,
            "service": op.service, "operation": op.operation, "resource": op.resource,
            "mutating": mutating, "outcome": outcome.word(mutating).split(':').next().unwrap_or_default(),
        });
        self.shared.log_call(line, millis);
    }

    /// The tags preflight puts on what it creates — the project and the checklist —
    /// so that the account says what preflight made (`preflight:project`, `preflight:checklist`).
    pub fn tags(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(project) = self.values.lookup("project").filter(|p| !p.is_empty()) {
            out.push((super::error::TAG_PROJECT, project));
        }
        out.push((super::error::TAG_CHECKLIST, self.checklist.clone()));
        out
    }

    pub fn note(&self, text: impl Into<String>) {
        let text = self.values.scrub(&text.into());
        self.sink.activity(&self.checklist, &self.step, Activity::Note(text));
    }

    /// A read-only call.
    pub async fn read<T, E>(&self, op: Op, call: impl Future<Output = SdkResult<T, E>>) -> Result<T, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let sdk_op = op.clone();
        self.read_with(op, async move { call.await.map_err(|e| AwsError::from_sdk(e, Some(&sdk_op))) }).await
    }

    /// A read-only call that is not an AWS SDK call (a container registry),
    /// timed and reported like the others.
    pub async fn read_with<T>(&self, op: Op, call: impl Future<Output = Result<T, AwsError>>) -> Result<T, AwsError> {
        let permit = self.shared.permit().await;
        let started = Instant::now();
        let result = call.await.map_err(|e| if e.op.is_none() { e.with_op(op.clone()) } else { e });
        drop(permit);
        self.report(&op, false, started, &result);
        result
    }

    /// A read whose answer is shared by the whole command: made once, however
    /// many probes ask it, and reused (reported as such, `-v` shows it) until a
    /// change is made. `key` must name everything the request asks (every
    /// parameter): two requests with one key get one answer.
    pub async fn read_shared<T>(
        &self,
        op: Op,
        key: &str,
        read: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError>
    where
        T: Clone + Send + Sync + 'static,
    {
        let key = format!("{}:{} {key}", op.service, op.operation);
        let (answer, reused) = self.shared.read(key, read).await;
        if reused {
            let op = Op { resource: self.values.scrub(&op.resource), ..op };
            self.seen(&op);
            self.log_call(&op, false, 0, &CallOutcome::Reused);
            self.sink.activity(
                &self.checklist,
                &self.step,
                Activity::Call { op, mutating: false, millis: 0, outcome: CallOutcome::Reused },
            );
        }
        answer
    }

    /// A change that is not an AWS SDK call (an upload to a registry), with the
    /// parameters it sends: in a plan only recorded (the future is dropped
    /// unpolled), else checked against the consented plan, audited and made.
    pub async fn change_with<T>(
        &mut self,
        op: Op,
        detail: impl Into<Detail>,
        params: Value,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<Later<T>, AwsError> {
        let params = self.scrub_json(params);
        let expected = self.expected(&op)?;
        if let Some(planned) = &expected
            && let Err(diff) = wire::same(&planned.params, &params, "")
        {
            self.record_change(&op, detail.into(), params);
            return Err(self.not_consented(&op, &diff));
        }
        self.record_change(&op, detail.into(), params.clone());
        if !self.apply {
            return Ok(Later::After(self.pending(&op)));
        }
        self.audit(&op, "started", Some(&params))?;
        // What was read before a change is not what is there after it.
        self.shared.forget();
        let permit = self.shared.permit().await;
        let started = Instant::now();
        let result = call.await.map_err(|e| if e.op.is_none() { e.with_op(op.clone()) } else { e });
        drop(permit);
        self.shared.forget();
        self.audited(&op, &result);
        self.report(&op, true, started, &result);
        result.map(Later::Known)
    }

    fn record_change(&mut self, op: &Op, detail: Detail, params: Value) {
        self.changes.push(Change {
            service: op.service,
            operation: op.operation,
            resource: op.resource.clone(),
            detail: detail.text,
            diff: detail.diff,
            params,
        });
    }

    /// What a change of this step would make, in a plan (named by the kind with [`Later::named`]).
    fn pending(&self, op: &Op) -> Pending {
        Pending { what: format!("result of {}", op.action()), step: self.step.clone() }
    }

    /// In a run after consent: the change the plan said comes next, which must
    /// be this one (the same call on the same resource); anything else is not made.
    fn expected(&mut self, op: &Op) -> Result<Option<Change>, AwsError> {
        if !self.apply {
            return Ok(None);
        }
        let Some(queue) = self.consented.as_mut() else { return Ok(None) };
        // The same call again right after it failed (a documented retry, e.g. with a
        // thumbprint an endpoint insists on): the consented change, made once more.
        if queue.is_empty() && self.failed.as_ref() == Some(&(op.action(), op.resource.clone())) {
            self.failed = None;
            return Ok(None);
        }
        match queue.pop_front() {
            Some(c)
                if c.service == op.service
                    && c.operation == op.operation
                    && later::matches(&c.resource, &op.resource) =>
            {
                Ok(Some(c))
            }
            Some(c) => Err(self.not_consented(
                op,
                &format!("the plan said {}:{} on {} comes next", c.service, c.operation, c.resource),
            )),
            None => Err(self.not_consented(op, "the plan did not have it")),
        }
    }

    fn not_consented(&self, op: &Op, why: &str) -> AwsError {
        AwsError::other(format!(
            "{} on {} is not what was consented to ({why}): the account changed since the plan was shown; nothing of it was sent",
            op.action(),
            self.values.scrub(&op.resource)
        ))
        .with_fix(format!("look at the new plan, then run again: preflight plan {}", self.checklist))
    }

    /// Every string of a JSON value with the secret values scrubbed.
    fn scrub_json(&self, v: Value) -> Value {
        scrub_json(&self.values, v)
    }

    /// In a plan: remembers that `key` is what this change would make, for
    /// the steps after it (see [`Planned`]).
    pub fn remember(&self, key: &str, value: &Later<String>) {
        if let Some(planned) = &self.planned {
            planned.remember(key, value);
        }
    }

    /// In a plan: what an earlier step's change would make (or change) under `key`.
    pub fn planned(&self, key: &str) -> Option<Later<String>> {
        self.planned.as_ref()?.get(key)
    }

    /// Tells the operator something worth knowing whatever the verbosity.
    pub fn info(&self, text: impl Into<String>) {
        let text = self.values.scrub(&text.into());
        self.sink.activity(&self.checklist, &self.step, Activity::Info(text));
    }

    /// Shows the current state of what the step watches (see [`Activity::Table`]).
    pub fn table(&self, table: Table) {
        let scrub = |v: Vec<String>| v.into_iter().map(|c| self.values.scrub(&c)).collect::<Vec<_>>();
        let table = Table {
            title: self.values.scrub(&table.title),
            header: scrub(table.header),
            rows: table.rows.into_iter().map(scrub).collect(),
        };
        self.sink.activity(&self.checklist, &self.step, Activity::Table(table));
    }

    /// Reports that something to transfer is already where it goes.
    pub fn present(&self, what: &str, size: u64) {
        let activity = Activity::Present { what: self.values.scrub(what), size };
        self.sink.activity(&self.checklist, &self.step, activity);
    }

    /// Something that reports a transfer's progress (`done`, `total` bytes)
    /// from wherever the transfer runs.
    pub fn progress_reporter(&self, what: &str) -> impl Fn(u64, u64) + Send + Sync + 'static {
        let (sink, what) = (self.sink.clone(), self.values.scrub(what));
        let (checklist, step) = (self.checklist.clone(), self.step.clone());
        move |done, total| sink.activity(&checklist, &step, Activity::Progress { what: what.clone(), done, total })
    }

    fn audit_line(&self, op: &Op, outcome: &str, params: Option<&Value>) -> Value {
        let mut line = serde_json::json!({
            "time": now(), "account": self.aws.account_id, "region": self.aws.region,
            "caller": self.aws.principal_arn, "pid": std::process::id(),
            "checklist": self.checklist, "step": self.step,
            "service": op.service, "operation": op.operation, "resource": self.values.scrub(&op.resource), "outcome": outcome,
        });
        if let Some(params) = params {
            line["params"] = params.clone();
        }
        line
    }

    fn audit(&self, op: &Op, outcome: &str, params: Option<&Value>) -> Result<(), AwsError> {
        let Some(audit) = &self.audit else { return Ok(()) };
        // No change is made that the audit log cannot record.
        audit.record(self.audit_line(op, outcome, params)).map_err(AwsError::other)
    }

    fn audited<T>(&self, op: &Op, result: &Result<T, AwsError>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.code.as_deref().unwrap_or("error"),
        };
        if let Err(e) = self.audit(op, outcome, None) {
            self.note(format!("warning: {e}"));
        }
    }

    /// A read-only call whose NotFound answer means "absent".
    pub async fn read_opt<T, E>(
        &self,
        op: Op,
        call: impl Future<Output = SdkResult<T, E>>,
    ) -> Result<Option<T>, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match self.read(op, call).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`Exec::read_opt`], shared by the command (see [`Exec::read_shared`]).
    pub async fn read_opt_shared<T, E>(
        &self,
        op: Op,
        key: &str,
        call: impl Future<Output = SdkResult<T, E>>,
    ) -> Result<Option<T>, AwsError>
    where
        T: Clone + Send + Sync + 'static,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.read_shared(op.clone(), key, self.read_opt(op, call)).await
    }

    /// [`Exec::read`], shared by the command (see [`Exec::read_shared`]).
    pub async fn read_once<T, E>(
        &self,
        op: Op,
        key: &str,
        call: impl Future<Output = SdkResult<T, E>>,
    ) -> Result<T, AwsError>
    where
        T: Clone + Send + Sync + 'static,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.read_shared(op.clone(), key, self.read(op, call)).await
    }

    /// A call that changes the account. Its request is serialized by the SDK
    /// and its parameters read off the wire (`aws::wire`): in a plan it is
    /// then not sent, and the value it would return is a [`Later`]; in a run it
    /// is checked against the consented plan and audited before it is sent.
    pub async fn change<T, E>(
        &mut self,
        op: Op,
        detail: impl Into<Detail>,
        call: impl Future<Output = SdkResult<T, E>>,
    ) -> Result<Later<T>, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let detail = detail.into();
        let expected = self.expected(&op)?;
        let mut slot = wire::Slot::new(!self.apply, op.service, op.operation);
        if self.apply {
            slot.expect = expected.map(|c| c.params);
            if let Some(audit) = self.audit.clone() {
                let (line, values) = (self.audit_line(&op, "started", None), self.values.clone());
                let announced = std::sync::atomic::AtomicBool::new(false);
                slot.announce = Some(Box::new(move |params: &Value| {
                    // A request retried by the SDK is one change.
                    if announced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        return Ok(());
                    }
                    let mut line = line.clone();
                    line["params"] = scrub_json(&values, params.clone());
                    audit.record(line)
                }));
            }
            // What was read before a change is not what is there after it.
            self.shared.forget();
        }
        let slot = Arc::new(slot);
        let permit = self.shared.permit().await;
        let started = Instant::now();
        let result = wire::capture(slot.clone(), call).await;
        drop(permit);
        let params = slot.params().map(|p| self.scrub_json(p));
        if !self.apply {
            if let Some(why) = slot.refused() {
                return Err(AwsError::other(why).with_op(op));
            }
            return match (params, result) {
                (Some(params), Err(_)) => {
                    self.record_change(&op, detail, params);
                    Ok(Later::After(self.pending(&op)))
                }
                // The request could not even be made (a missing field, no credentials).
                (None, Err(e)) => Err(AwsError::from_sdk(e, Some(&op))),
                (_, Ok(_)) => Err(AwsError::other(format!(
                    "{} answered in a plan without its request being read: the HTTP client is not the capturing one",
                    op.action()
                ))),
            };
        }
        self.record_change(&op, detail, params.unwrap_or(Value::Null));
        self.shared.forget();
        let result = match slot.refused() {
            Some(why) => Err(AwsError::other(why)
                .with_fix(format!("look at the new plan, then run again: preflight plan {}", self.checklist))),
            None => result.map_err(|e| AwsError::from_sdk(e, Some(&op))),
        };
        let result = result.map_err(|e| if e.op.is_none() { e.with_op(op.clone()) } else { e });
        self.audited(&op, &result);
        self.report(&op, true, started, &result);
        self.failed = result.is_err().then(|| (op.action(), op.resource.clone()));
        result.map(Later::Known)
    }

    /// Waits `seconds`, reporting the countdown every second.
    pub async fn wait(&self, why: &str, seconds: u64) {
        for left in (1..=seconds).rev() {
            let activity = Activity::Wait { why: self.values.scrub(why), left, first: left == seconds };
            self.sink.activity(&self.checklist, &self.step, activity);
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        // What is read after a wait is read to see what changed meanwhile.
        self.shared.forget();
    }

    pub fn output(&mut self, name: &str, value: impl Into<String>) {
        self.outputs.insert(name.to_string(), value.into());
    }

    /// An asset rendered with the inputs and context: JSON assets string by string.
    pub fn asset_json(&self, path: &str) -> Result<serde_json::Value, AwsError> {
        let text = self.library.asset(path).ok_or_else(|| AwsError::other(format!("asset {path} is missing")))?;
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| AwsError::other(format!("asset {path} is not valid JSON: {e}")))?;
        crate::engine::template::render_json(&value, &|n| self.values.lookup(n)).map_err(|name| {
            AwsError::other(format!("asset {path}: `{{{{{name}}}}}` has no value; set the input `{name}`"))
        })
    }
}
