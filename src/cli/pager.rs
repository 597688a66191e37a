//! Long texts shown before a question (a consent's documents and diffs) go
//! through a pager, as git does, so that their first lines are read and not
//! scrolled away: `$PREFLIGHT_PAGER`, else `$PAGER`, else `less -R`; without
//! one, or when the text fits the terminal, it is printed on stderr.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a pager has the terminal now (its Ctrl-C is its own, not the command's).
static SHOWING: AtomicBool = AtomicBool::new(false);

pub fn showing() -> bool {
    SHOWING.load(Ordering::SeqCst)
}

/// Shows `lines` on the terminal; paged when they do not fit with `reserve`
/// lines left for what follows (the question). Returns whether a pager showed them.
pub fn show(lines: &[String], reserve: usize) -> bool {
    let (cols, rows) =
        ratatui::crossterm::terminal::size().map(|(c, r)| (c.max(1) as usize, r as usize)).unwrap_or((80, usize::MAX));
    // The rows the text takes on this terminal: a long line wraps (colour codes take none).
    let taken: usize = lines.iter().map(|l| visible_width(l).div_ceil(cols).max(1)).sum();
    if taken + reserve <= rows || !page(lines) {
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

/// The characters of `line` a terminal shows (ANSI colour sequences left out).
fn visible_width(line: &str) -> usize {
    let mut width = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ … final byte in @–~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

fn page(lines: &[String]) -> bool {
    let Some(command) = pager() else { return false };
    // The text is the change's own (secret values are already hidden in it); it goes on the
    // pager's stdin, never on a command line.
    let child =
        Command::new("sh").arg("-c").arg(&command).stdin(Stdio::piped()).stdout(Stdio::from(std::io::stderr())).spawn();
    let Ok(mut child) = child else { return false };
    SHOWING.store(true, Ordering::SeqCst);
    if let Some(mut stdin) = child.stdin.take() {
        let text = lines.join("\n") + "\n";
        // A pager quit before reading everything closes the pipe: that is not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    let shown = child.wait().is_ok_and(|s| s.success());
    SHOWING.store(false, Ordering::SeqCst);
    shown
}

#[cfg(test)]
mod tests {
    #[test]
    fn colour_codes_take_no_room() {
        assert_eq!(super::visible_width("\u{1b}[32m  + {\u{1b}[0m"), 5);
        assert_eq!(super::visible_width("plain"), 5);
    }
}
