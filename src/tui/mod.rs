//! The TUI: a ratatui front end in the Elm style. One `App` state, `Msg`s in,
//! a pure `update` that returns `Effect`s, render functions under `view/`.
//! AWS work runs in tokio tasks (`worker`) that report back as messages; the
//! draw loop never awaits AWS.

pub mod app;
mod destroy;
pub mod keys;
mod report;
mod runtime;
mod terminal;
mod up;
pub mod update;
pub mod view;
mod worker;

pub use runtime::run;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod texts_tests;
