//! IAM wildcard patterns (`*` = any run of characters, `?` = one character).
//!
//! Three questions are asked of them: does a pattern match a concrete string,
//! does one pattern cover everything another one can match (an Allow must
//! cover the whole required resource), and can two patterns match a common
//! string (a Deny on any part of a required resource defeats it).
//!
//! A pattern is a list of [`Tok`]s, so that a character that is only text
//! (a policy variable's value, or the escapes `${*}`, `${?}`, `${$}`) is never
//! taken for a wildcard.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// `*`: any run of characters, the empty one included.
    Any,
    /// `?`: exactly one character.
    One,
    /// Any run of characters without a colon: a wildcard within one ARN part.
    /// Never read from a policy; preflight uses it to describe values it knows the shape of.
    Part,
    /// A character that stands for itself.
    Lit(char),
}

/// A wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern(pub Vec<Tok>);

impl Pattern {
    /// `*` and `?` are wildcards, every other character is itself.
    pub fn glob(text: &str) -> Self {
        Self(
            text.chars()
                .map(|c| match c {
                    '*' => Tok::Any,
                    '?' => Tok::One,
                    c => Tok::Lit(c),
                })
                .collect(),
        )
    }

    /// Like [`Pattern::glob`], but `*` never stands for a colon: the values of
    /// an ARN shape whose parts are known (`arn:aws:ecs:REGION:ACCOUNT:*`).
    pub fn within_parts(text: &str) -> Self {
        Self(Self::glob(text).0.into_iter().map(|t| if t == Tok::Any { Tok::Part } else { t }).collect())
    }

    /// Every character is itself: the text as a request carries it.
    pub fn literal(text: &str) -> Self {
        Self(text.chars().map(Tok::Lit).collect())
    }

    /// True when this pattern matches every string that `required` can match.
    /// A literal `required` makes this an ordinary glob match.
    pub fn covers(&self, required: &Pattern, case_insensitive: bool) -> bool {
        let p = fold(&self.0, case_insensitive);
        let r = fold(&required.0, case_insensitive);
        // reach[j] = pattern prefix matched so far can end at required position j.
        let mut reach = vec![false; r.len() + 1];
        reach[0] = true;
        for &pt in &p {
            let mut next = vec![false; r.len() + 1];
            match pt {
                Tok::Any => {
                    // `*` swallows any run of the required pattern, wildcards included.
                    let mut on = false;
                    for j in 0..=r.len() {
                        on |= reach[j];
                        next[j] = on;
                    }
                }
                Tok::Part => {
                    // Like `*`, over a run of the required pattern that never holds a colon.
                    let mut on = false;
                    for j in 0..=r.len() {
                        if j > 0 && !no_colon(r[j - 1]) {
                            on = false;
                        }
                        on |= reach[j];
                        next[j] = on;
                    }
                }
                // `?` stands for one character: it covers a literal or a `?`, never a run.
                Tok::One => (0..r.len())
                    .filter(|&j| reach[j] && matches!(r[j], Tok::One | Tok::Lit(_)))
                    .for_each(|j| next[j + 1] = true),
                lit => (0..r.len()).filter(|&j| reach[j] && r[j] == lit).for_each(|j| next[j + 1] = true),
            }
            reach = next;
        }
        reach[r.len()]
    }

    /// True when some concrete string matches both patterns.
    pub fn overlaps(&self, other: &Pattern, case_insensitive: bool) -> bool {
        let a = fold(&self.0, case_insensitive);
        let b = fold(&other.0, case_insensitive);
        let mut memo = vec![vec![None; b.len() + 1]; a.len() + 1];
        overlap_from(&a, &b, 0, 0, &mut memo)
    }
}

impl std::fmt::Display for Pattern {
    /// The pattern as a policy would write it (`${*}` for a literal asterisk).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for t in &self.0 {
            match t {
                Tok::Any => f.write_str("*")?,
                Tok::One => f.write_str("?")?,
                Tok::Part => f.write_str("*")?,
                Tok::Lit('*') => f.write_str("${*}")?,
                Tok::Lit('?') => f.write_str("${?}")?,
                Tok::Lit(c) => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

fn fold(toks: &[Tok], case_insensitive: bool) -> Vec<Tok> {
    if !case_insensitive {
        return toks.to_vec();
    }
    toks.iter()
        .flat_map(|t| match t {
            Tok::Lit(c) => c.to_lowercase().map(Tok::Lit).collect::<Vec<_>>(),
            other => vec![*other],
        })
        .collect()
}

/// A token that only ever stands for characters other than a colon.
fn no_colon(t: Tok) -> bool {
    matches!(t, Tok::Part) || matches!(t, Tok::Lit(c) if c != ':')
}

fn overlap_from(a: &[Tok], b: &[Tok], i: usize, j: usize, memo: &mut [Vec<Option<bool>>]) -> bool {
    if let Some(v) = memo[i][j] {
        return v;
    }
    let v = match (a.get(i), b.get(j)) {
        (None, None) => true,
        (Some(Tok::Any), _) if overlap_from(a, b, i + 1, j, memo) => true,
        (_, Some(Tok::Any)) if overlap_from(a, b, i, j + 1, memo) => true,
        (Some(Tok::Any), Some(_)) => overlap_from(a, b, i, j + 1, memo),
        (Some(_), Some(Tok::Any)) => overlap_from(a, b, i + 1, j, memo),
        (Some(Tok::Part), _) if overlap_from(a, b, i + 1, j, memo) => true,
        (_, Some(Tok::Part)) if overlap_from(a, b, i, j + 1, memo) => true,
        // A run without colons goes on over a character that is not one (or a `?` taken as such).
        (Some(Tok::Part), Some(y)) => (no_colon(*y) || *y == Tok::One) && overlap_from(a, b, i, j + 1, memo),
        (Some(x), Some(Tok::Part)) => (no_colon(*x) || *x == Tok::One) && overlap_from(a, b, i + 1, j, memo),
        (Some(x), Some(y)) => (*x == Tok::One || *y == Tok::One || x == y) && overlap_from(a, b, i + 1, j + 1, memo),
        _ => false,
    };
    memo[i][j] = Some(v);
    v
}

/// True when `pattern` matches every string that `required` can match (both globs).
pub fn covers(pattern: &str, required: &str, case_insensitive: bool) -> bool {
    Pattern::glob(pattern).covers(&Pattern::glob(required), case_insensitive)
}

/// True when some concrete string matches both globs.
pub fn overlaps(a: &str, b: &str, case_insensitive: bool) -> bool {
    Pattern::glob(a).overlaps(&Pattern::glob(b), case_insensitive)
}

/// True when the glob `pattern` matches `text`, every character of which is itself.
pub fn matches(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    Pattern::glob(pattern).covers(&Pattern::literal(text), case_insensitive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_glob_matching() {
        assert!(covers("logs:*", "logs:StartQuery", false));
        assert!(covers("logs:Start*", "logs:StartQuery", false));
        assert!(!covers("logs:Stop*", "logs:StartQuery", false));
        assert!(covers("logs:?tartQuery", "logs:StartQuery", false));
        assert!(covers("*", "", false));
        assert!(!covers("a", "", false));
        assert!(covers("LOGS:startquery", "logs:StartQuery", true));
        assert!(!covers("LOGS:startquery", "logs:StartQuery", false));
    }

    #[test]
    fn a_pattern_covers_a_narrower_pattern_only() {
        let group = "arn:aws:logs:us-east-1:1:log-group:/comafi/*";
        assert!(covers("*", group, false));
        assert!(covers("arn:aws:logs:*:*:log-group:*", group, false));
        assert!(covers(group, group, false));
        assert!(!covers("arn:aws:logs:us-east-1:1:log-group:/comafi/audit/*", group, false));
        assert!(!covers("arn:aws:logs:us-east-1:1:log-group:/comafi/?", group, false));
        assert!(!covers("arn:aws:logs:us-east-1:1:log-group:/comafi/x", group, false));
    }

    #[test]
    fn overlap_of_two_patterns() {
        assert!(overlaps("a*", "*b", false));
        assert!(overlaps("/comafi/audit/*", "/comafi/*", false));
        assert!(!overlaps("/comafi/audit/*", "/other/*", false));
        assert!(overlaps("a?c", "abc", false));
        assert!(!overlaps("a?c", "abd", false));
        assert!(!overlaps("abc", "ab", false));
        assert!(overlaps("", "*", false));
        assert!(overlaps("LOGS:*", "logs:StartQuery", true));
    }

    #[test]
    fn literal_text_is_never_a_wildcard() {
        // The request's resource `*` (an action without resource-level permissions) is one character.
        assert!(matches("*", "*", false));
        assert!(matches("?", "*", false));
        assert!(!matches("arn:aws:logs:*", "*", false));
        assert!(!matches("arn:aws:logs:us-east-1:1:log-group:/other/*", "*", false));
        // A literal asterisk covers only itself; a wildcard covers it too.
        let star = Pattern::literal("a*");
        assert!(star.covers(&Pattern::literal("a*"), false));
        assert!(!star.covers(&Pattern::literal("ab"), false));
        assert!(Pattern::glob("a*").covers(&star, false));
        assert!(!star.covers(&Pattern::glob("a*"), false));
        assert!(star.overlaps(&Pattern::glob("a?"), false));
        assert!(!star.overlaps(&Pattern::literal("a?"), false));
        assert_eq!(Pattern(vec![Tok::Lit('a'), Tok::Lit('*'), Tok::Any]).to_string(), "a${*}*");
    }

    #[test]
    fn a_wildcard_within_arn_parts_never_stands_for_a_colon() {
        let ecs = Pattern::within_parts("arn:aws:ecs:us-east-1:1:*");
        assert!(ecs.covers(&Pattern::literal("arn:aws:ecs:us-east-1:1:task/c/x"), false));
        assert!(!ecs.covers(&Pattern::literal("arn:aws:ecs:us-east-1:1:a:b"), false));
        assert!(Pattern::glob("arn:aws:ecs:*").covers(&ecs, false));
        assert!(Pattern::within_parts("arn:aws:ecs:us-east-1:1:*").covers(&ecs, false));
        assert!(!Pattern::glob("arn:aws:ecs:us-east-1:1:task/*").covers(&ecs, false));
        assert!(!Pattern::glob("?").covers(&Pattern::within_parts("*"), false));
        assert!(ecs.overlaps(&Pattern::glob("arn:aws:ecs:us-east-1:1:task/*"), false));
        assert!(ecs.overlaps(&Pattern::glob("*:1:*"), false));
        // A `*` that spans colons cannot put another account after this one.
        assert!(!ecs.overlaps(&Pattern::glob("arn:aws:ecs:*:2:*"), false));
        assert!(!Pattern::glob("arn:aws:ecs:*:2:*").overlaps(&ecs, false));
        assert!(ecs.overlaps(&Pattern::glob("arn:aws:ecs:us-east-1:1:?"), false));
        assert!(!ecs.overlaps(&Pattern::literal("arn:aws:ecs:us-east-1:1:a:b"), false));
    }
}
