//! Text for people: cut to a width with `…`, sizes, transfer progress.

/// `text` on one line, cut to `max` characters and then ending in `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let line = text.replace('\n', " ");
    if line.chars().count() <= max {
        return line;
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = line.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// A size for people: `512 B`, `12.3 kB`, `45.6 MB`, `1.2 GB` (powers of 1000, as registries show).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `what: 12.3 of 45.6 MB (27%)`, or `what: 45.6 MB sent` at the end.
pub fn progress_line(what: &str, done: u64, total: u64) -> String {
    if done >= total {
        return format!("{what}: {} sent", bytes(total));
    }
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    format!("{what}: {} of {} ({percent}%)", bytes(done), bytes(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_with_an_ellipsis_and_sizes_read_well() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("a\nb", 10), "a b");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(progress_line("layer x", 5_000_000, 10_000_000), "layer x: 5.0 MB of 10.0 MB (50%)");
        assert_eq!(progress_line("layer x", 10, 10), "layer x: 10 B sent");
    }
}

/// A word as a shell reads it: as it is when it needs no quotes, else in single quotes.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A fix whose `preflight …` commands repeat `args` (the run's own
/// `--profile-file` and `--set`), so that they act on the same profile and
/// values: each command runs to the end of its clause (`,`, `;`, a parenthesis, a line's end).
pub fn with_args(fix: &str, args: &str) -> String {
    if args.is_empty() {
        return fix.to_string();
    }
    let mut out = String::with_capacity(fix.len() + args.len());
    let mut rest = fix;
    while let Some(at) = rest.find("preflight ") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        // A command ends at the first clause mark, closing backtick or line end after it.
        let end = from.find(['\n', ',', ';', '(', ')', '`']).unwrap_or(from.len());
        let command = from[..end].trim_end();
        out.push_str(command);
        if !command.contains(args.trim()) {
            out.push_str(args);
        }
        rest = &from[command.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod args_tests {
    use super::*;

    #[test]
    fn a_fix_repeats_the_runs_own_profile_and_values() {
        let args = " --profile-file p.toml --set image_tag=v2";
        assert_eq!(
            with_args("push it: preflight run ecr-push", args),
            "push it: preflight run ecr-push --profile-file p.toml --set image_tag=v2"
        );
        assert_eq!(
            with_args("preflight run ecs-service --step load-balancer, or set health_url", args),
            "preflight run ecs-service --step load-balancer --profile-file p.toml --set image_tag=v2, or set health_url"
        );
        assert_eq!(with_args("aws ecs update-service", args), "aws ecs update-service");
        assert_eq!(
            with_args("or run `preflight run iam-policy`):", args),
            "or run `preflight run iam-policy --profile-file p.toml --set image_tag=v2`):"
        );
        assert_eq!(with_args("preflight run x", ""), "preflight run x");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("image_tag=v2"), "image_tag=v2");
    }
}
