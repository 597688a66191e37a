//! Long texts shown before a question (a consent's documents and diffs) go
//! through a pager, as git does, so that their first lines are read and not
//! scrolled away: `$PREFLIGHT_PAGER`, else `$PAGER`, else `less -R`; without
//! one, or when the text fits the terminal, it is printed on stderr.

use std::io::Write;
use std::process::{Command, Stdio};

/// Shows `lines` on the terminal; paged when they do not fit with `reserve`
/// lines left for what follows (the question). Returns whether a pager showed them.
pub fn show(lines: &[String], reserve: usize) -> bool {
    let rows = ratatui::crossterm::terminal::size().map(|(_, r)| r as usize).unwrap_or(usize::MAX);
    if lines.len() + reserve <= rows || !page(lines) {
        for line in lines {
            eprintln!("{line}");
        }
        return false;
    }
    true
}

/// The pager's command line, when one is configured or `less` is there.
fn pager() -> Option<String> {
    let set = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    set("PREFLIGHT_PAGER").or_else(|| set("PAGER")).or_else(|| Some("less -R".into())).filter(|p| p.trim() != "cat")
}

fn page(lines: &[String]) -> bool {
    let Some(command) = pager() else { return false };
    // The text is the change's own (secret values are already hidden in it); it goes on the
    // pager's stdin, never on a command line.
    let child =
        Command::new("sh").arg("-c").arg(&command).stdin(Stdio::piped()).stdout(Stdio::from(std::io::stderr())).spawn();
    let Ok(mut child) = child else { return false };
    if let Some(mut stdin) = child.stdin.take() {
        let text = lines.join("\n") + "\n";
        // A pager quit before reading everything closes the pipe: that is not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait().is_ok_and(|s| s.success())
}
