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
