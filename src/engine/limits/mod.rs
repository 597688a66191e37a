//! What AWS accepts of the values preflight puts in it, in one table: each row
//! says what it constrains, the rule, and where AWS documents it (the API
//! reference or developer guide page, and the member of the SDK's service model
//! that carries or documents it: tests/limits.rs reads botocore's models and
//! fails when a row and its model disagree).
//!
//! Inputs are checked against it when they are resolved ([`crate::engine::inputs::resolve`]):
//! an input that is a name itself (`cluster`, `task_role_name`, [`NAMED`]), the
//! names preflight derives from inputs (`{{project}}-tg` is the target group's),
//! and the pairs that only hold together (Fargate's CPU and memory): a value
//! AWS would refuse is an input error (exit 2) naming the input, where its value
//! came from and the fix, before any call. The profile's `[[secrets]]` and
//! `[[parameters]]` names are checked against their rows when the profile is
//! read. A rendered task definition's size is known only when it is rendered:
//! [`task_definition_size`] is its check.
//!
//! Its files: `table` (the rows), `names` (a name's rule and its check; the
//! names preflight gives resources), `fargate` (task sizes, the Spot guard),
//! `check` (resolved inputs against the table: the input errors),
//! `task_definition` (a rendered task definition's size).

mod check;
mod fargate;
mod names;
mod table;
mod task_definition;

pub use check::{OriginOf, check, how_to_change};
pub use fargate::{Memory, TaskSize, TaskSizeError, spot, task_size, task_sizes};
pub use names::{NAMED, NameRule, Named, for_input};
pub use table::{Model, Row, Rule, TABLE, row};
pub use task_definition::{TooLarge, task_definition_size};
