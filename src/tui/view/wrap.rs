//! Hard wrapping to a width, so that what a dialog shows can be counted
//! exactly (and `update` knows when the end of a plan has been seen). Long
//! words, such as ARNs, are broken; continuation lines are indented.

/// `text` cut into lines of at most `width` characters: at a space when
/// there is one past the indentation, else in the middle of a word.
/// Continuation lines start with `indent` spaces.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 8);
    let mut out = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    let mut first = true;
    loop {
        let lead = if first { 0 } else { indent };
        let room = width - lead;
        if rest.len() <= room {
            out.push(format!("{}{}", " ".repeat(lead), rest.iter().collect::<String>()));
            return out;
        }
        // The last space within the room, not within the line's own leading spaces.
        let leading = rest.iter().take_while(|c| **c == ' ').count();
        let cut = rest[..=room].iter().rposition(|c| *c == ' ').filter(|&i| i > leading).unwrap_or(room);
        let line: String = rest[..cut].iter().collect();
        out.push(format!("{}{}", " ".repeat(lead), line.trim_end()));
        rest = rest[cut..].iter().copied().skip_while(|c| *c == ' ').collect();
        first = false;
        if rest.is_empty() {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn words_wrap_at_spaces_and_long_arns_are_broken() {
        assert_eq!(wrap("short", 20, 2), vec!["short"]);
        assert_eq!(wrap("one two three four", 10, 2), vec!["one two", "  three", "  four"]);
        let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
        let lines = wrap(&format!("    {arn}"), 40, 4);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), arn);
        assert!(lines[1].starts_with("    "), "{lines:?}");
    }
}
