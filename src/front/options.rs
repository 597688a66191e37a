//! The options every front end takes (`--profile-file`, `--region`, `--set`, …).

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct Global {
    /// The profile file with input values ([inputs]); state goes to .preflight/ beside it.
    /// [default: ./preflight.toml, which may be absent; a file named here must exist]
    #[arg(long, global = true, env = "PREFLIGHT_PROFILE", value_name = "PATH")]
    pub profile_file: Option<PathBuf>,
    /// AWS shared-config profile (as for the AWS CLI).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (overrides AWS_REGION and the profile's region).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Set an input for this run, overriding the profile: --set project=comafi.
    #[arg(long = "set", global = true, value_name = "NAME=VALUE")]
    pub sets: Vec<String>,
    /// Load checklists/ and assets/ from this directory instead of the built-in ones.
    #[arg(long, global = true, env = "PREFLIGHT_LIBRARY")]
    pub library: Option<PathBuf>,
    /// Print every AWS call, reads included, as it happens (on stderr).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Refuse what is otherwise a warning: a key in the profile's [inputs] that no input
    /// declares (exit 2); for verify, a manual step nobody confirmed fails.
    #[arg(long, global = true)]
    pub strict: bool,
    /// At most this many AWS calls in flight at once while probing (1: one at a time).
    #[arg(long, global = true, value_name = "N", default_value_t = crate::aws::shared::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "preflight.toml";

impl Global {
    /// The profile file: the one named, or ./preflight.toml.
    pub fn profile_path(&self) -> PathBuf {
        self.profile_file.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_PROFILE))
    }
}
