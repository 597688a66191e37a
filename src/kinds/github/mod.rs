//! GitHub: the Actions secret the workflow reads (`github.secret`, through the
//! gh CLI), and the workflow itself (`github.workflow`, `github.write_workflow`:
//! the repository's .github/workflows read and judged, one written when none deploys).

pub mod secret;
pub mod workflow;
