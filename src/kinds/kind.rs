//! What every action and probe kind is: typed parameters (`KindParams`) and
//! an async function, described by a `Kind` entry of the registry's table.
//! Kinds import this module and the AWS plumbing; only the registry imports kinds.

use serde::de::DeserializeOwned;

use crate::BoxFut;
use crate::aws::error::{AwsError, Op};
use crate::aws::exec::Exec;
use crate::engine::outcome::ProbeResult;

/// The typed parameters of a kind.
pub trait KindParams: DeserializeOwned {
    /// Asset paths the parameters refer to (checked by the loader).
    fn assets(&self) -> Vec<String> {
        Vec::new()
    }
    /// Rules across fields that types cannot say.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

pub enum Run {
    Action(fn(&mut Exec, toml::Table) -> BoxFut<'_, Result<(), AwsError>>),
    Probe(fn(&mut Exec, String, toml::Table) -> BoxFut<'_, Result<ProbeResult, AwsError>>),
}

pub struct Kind {
    pub name: &'static str,
    pub summary: &'static str,
    pub check: fn(&toml::Table) -> Result<Vec<String>, String>,
    pub run: Run,
    /// Every call the kind may make with these parameters, whatever the account
    /// holds (each branch: create, update, delete, the watcher's reads): what
    /// `preflight permissions` grants and what a run asks of the caller first.
    /// Tests check each call made against it (`PREFLIGHT_CHECK_DECLARED`).
    pub calls: Calls,
}

/// A kind's declaration of the calls it may make (see [`Kind::calls`]).
pub type Calls = fn(&Exec, &toml::Table) -> Result<Vec<Op>, AwsError>;

pub fn parse<P: KindParams>(table: &toml::Table) -> Result<P, String> {
    let p: P = toml::Value::Table(table.clone()).try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
    p.validate()?;
    Ok(p)
}

/// The loader's check of a kind's parameters: they parse, and these assets are named.
pub fn check<P: KindParams>(table: &toml::Table) -> Result<Vec<String>, String> {
    parse::<P>(table).map(|p| p.assets())
}

/// Where to give the input `name` another value, for a fix whose cure is the
/// input itself (a subnet that does not exist, a URL nothing answers): the
/// profile's file and line when the value came from there
/// (`correct subnets at preflight.toml:7`), the command line when `--set` gave
/// it, else the profile's `[inputs]` by its path. `example` is a value's shape.
pub fn change_input(x: &Exec, name: &str, example: &str) -> String {
    use crate::engine::inputs::Origin;
    let path = x.lists.path.display();
    match (x.values.inputs.get(name).map(|v| v.origin), x.lists.input_lines.get(name)) {
        (Some(Origin::Set), _) => format!("correct --set {name}=… on the command line (e.g. --set {name}={example})"),
        (Some(Origin::Profile), Some(line)) => {
            format!("correct {name} at {path}:{line} (e.g. {name} = \"{example}\"), or pass --set {name}={example}")
        }
        _ => format!("set {name} = \"{example}\" under [inputs] in {path}, or pass --set {name}={example}"),
    }
}

/// `path:line` of a line of the profile (an entry of its lists).
pub fn profile_line(x: &Exec, line: usize) -> String {
    format!("{}:{line}", x.lists.path.display())
}
