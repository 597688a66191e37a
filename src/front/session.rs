//! What a command that probes or changes the account sets up, in the order
//! that lets it fail early and cheaply: the checklists, the profile, the
//! inputs given (no AWS call yet), the AWS context, then the input values.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::aws::shared::Shared;

use super::options::Global;
use super::setup::{self, Failure, usage};
use crate::aws::context::AwsContext;
use crate::engine::inputs::{self, Values};
use crate::engine::library::Library;
use crate::engine::model::{Checklist, Checklists, InputDef};
use crate::engine::profile::Profile;
use crate::engine::state::RunState;
use crate::engine::store::{Store, state_dir};
use crate::engine::{order, usage as input_usage};
use crate::runner::{Frontend, Runner};

pub struct Session {
    pub library: Arc<Library>,
    pub lists: Checklists,
    pub profile: Profile,
    pub aws: Arc<AwsContext>,
    pub values: Values,
    /// The selected checklists, as indices into `lists.all`.
    pub selected: Vec<usize>,
    /// `--concurrency`.
    pub concurrency: u16,
    /// `--profile-file` and `--set` as a fix repeats them (see `setup::invocation`).
    pub invocation: String,
    /// The value inputs not at hand (a prompt's, or a source that cannot be read:
    /// why), resolved when a step that writes them runs.
    pub lazy: BTreeMap<String, (InputDef, Option<String>)>,
    /// The value inputs (secrets, `env:`/`file:` sources) left unresolved by
    /// [`Session::open_without_values`]: what they hold never names a resource.
    pub unvalued: Vec<String>,
}

impl Session {
    /// `ids` with their `step` (and what it needs); `probes_only` when no action
    /// will run (only the inputs the probes use are needed); `changes` when the
    /// command may change the account (the profile's [expect] then refuses a
    /// mismatch instead of warning).
    pub async fn open(
        g: &Global,
        ids: &[String],
        step: Option<&str>,
        probes_only: bool,
        changes: bool,
    ) -> Result<Self, Failure> {
        Self::open_with(g, ids, step, probes_only, changes, true).await
    }

    /// For what names resources only (`preflight permissions`): every input but
    /// the values of secrets and of `env:`/`file:` sources, which are not asked for.
    pub async fn open_without_values(g: &Global, ids: &[String], probes_only: bool) -> Result<Self, Failure> {
        Self::open_with(g, ids, None, probes_only, false, false).await
    }

    async fn open_with(
        g: &Global,
        ids: &[String],
        step: Option<&str>,
        probes_only: bool,
        changes: bool,
        values: bool,
    ) -> Result<Self, Failure> {
        let (library, lists, profile) = setup::load(g)?;
        let mut selected = Vec::new();
        for id in ids {
            let c = setup::pick(&lists, id)?;
            setup::check_step(c, step)?;
            selected.push(lists.all.iter().position(|x| x.id == c.id).expect("picked from the list"));
        }
        let chosen: Vec<&Checklist> = selected.iter().map(|&i| &lists.all[i]).collect();
        // The values steps write (secrets, `env:`/`file:` sources) are read only
        // when a step that writes one runs (see `Runner::supply`), never asked for up front.
        // (A value a probe reads is needed to probe at all: that one is resolved now.)
        let probed: Vec<String> = needed(&lists, &chosen, step, &library, true).into_iter().map(|d| d.name).collect();
        let (value_defs, defs): (Vec<InputDef>, Vec<InputDef>) = needed(&lists, &chosen, step, &library, probes_only)
            .into_iter()
            .partition(|d| inputs::is_value(d) && !probed.contains(&d.name));
        let unvalued: Vec<String> = value_defs.iter().filter(|_| !values).map(|d| d.name.clone()).collect();
        let (provided, warnings) = setup::provided(g, &profile, &defs, &lists)?;
        warnings.iter().for_each(|w| eprintln!("{w}"));
        setup::precheck(&defs, &provided, &profile)?;
        let aws = Arc::new(setup::connect(g, &lists).await?);
        if let Some(m) = profile.expect.mismatch(&aws.account_id, &aws.region) {
            // Reading the wrong account is harmless; changing it is not.
            if changes {
                return Err(usage(format!(
                    "error: {m} (the profile's [expect]); nothing was changed\n  fix: use the intended credentials (--profile, --region), or correct [expect] in {}",
                    profile.path.display()
                )));
            }
            eprintln!("warning: {m} (the profile's [expect]); check --profile and --region");
        }
        let mut values_now = setup::resolve(g, &defs, &provided, &aws)?;
        let mut lazy = BTreeMap::new();
        for def in value_defs.into_iter().filter(|_| values) {
            let why = match setup::read_value(&def, &profile.path) {
                Ok(Some(v)) => match inputs::accept(&mut values_now, &def, v.raw().to_string(), v.origin) {
                    Ok(()) => continue,
                    Err(e) => Some(format!("error: {e}")),
                },
                Ok(None) => None,
                Err(why) => Some(why),
            };
            lazy.insert(def.name.clone(), (def, why));
        }
        let values = values_now;
        Ok(Self {
            library: Arc::new(library),
            lists,
            profile,
            aws,
            values,
            selected,
            concurrency: g.concurrency,
            invocation: setup::invocation(g),
            unvalued,
            lazy,
        })
    }

    pub fn checklists(&self) -> impl Iterator<Item = &Checklist> {
        self.selected.iter().map(|&i| &self.lists.all[i])
    }

    /// A runner over this session's context, values and lists.
    pub fn runner(&self, front: Arc<dyn Frontend>, store: Option<Arc<Store>>, state: RunState) -> Runner {
        Runner {
            aws: self.aws.clone(),
            library: self.library.clone(),
            values: self.values.clone(),
            lists: Arc::new(self.profile.lists.clone()),
            front,
            store,
            state,
            shared: Arc::new(Shared::new(self.concurrency)),
            pending: Default::default(),
            planned: None,
            checklists: Arc::new(self.lists.all.clone()),
            judged: Default::default(),
            invocation: self.invocation.clone(),
            lazy: self.lazy.clone(),
            ask: Some(Arc::new(super::prompt::PromptAsk { profile: self.profile.path.clone() })),
            lock_on_change: None,
            held: None,
        }
    }

    /// The state store beside the profile, and the state recorded in it.
    pub fn store(&self) -> Result<(Arc<Store>, RunState), Failure> {
        let store = Store::open(&state_dir(&self.profile.path));
        let state = store.load().map_err(usage)?;
        Ok((Arc::new(store), state))
    }
}

/// The inputs the selected steps need (and the probes of the steps of other
/// checklists they stand on), each name once.
fn needed(
    all: &Checklists,
    selected: &[&Checklist],
    step: Option<&str>,
    library: &Library,
    probes_only: bool,
) -> Vec<InputDef> {
    let mut seen = BTreeMap::new();
    for c in selected {
        for def in input_usage::with_needs(all, c, &order::selection(&c.steps, step), library, probes_only) {
            seen.entry(def.name.clone()).or_insert(def);
        }
    }
    seen.into_values().collect()
}
