//! IAM wildcard patterns (`*` = any run of characters, `?` = one character).
//!
//! Three questions are asked of them: does a pattern match a concrete string,
//! does one pattern cover everything another one can match (an Allow must
//! cover the whole required resource), and can two patterns match a common
//! string (a Deny on any part of a required resource defeats it).

fn fold(s: &str, case_insensitive: bool) -> Vec<char> {
    if case_insensitive { s.chars().flat_map(char::to_lowercase).collect() } else { s.chars().collect() }
}

/// True when `pattern` matches every string that `required` can match.
/// A concrete `required` (no wildcards) makes this an ordinary glob match.
pub fn covers(pattern: &str, required: &str, case_insensitive: bool) -> bool {
    let p = fold(pattern, case_insensitive);
    let r = fold(required, case_insensitive);
    // reach[j] = pattern prefix matched so far can end at required position j.
    let mut reach = vec![false; r.len() + 1];
    reach[0] = true;
    for &pc in &p {
        let mut next = vec![false; r.len() + 1];
        match pc {
            '*' => {
                // `*` swallows any run of the required pattern, wildcards included.
                let mut on = false;
                for j in 0..=r.len() {
                    on |= reach[j];
                    next[j] = on;
                }
            }
            '?' => {
                for j in 0..r.len() {
                    // `?` stands for one character: it covers a literal or a `?`, never a `*`.
                    if reach[j] && r[j] != '*' {
                        next[j + 1] = true;
                    }
                }
            }
            c => {
                for j in 0..r.len() {
                    if reach[j] && r[j] == c {
                        next[j + 1] = true;
                    }
                }
            }
        }
        reach = next;
    }
    reach[r.len()]
}

/// True when some concrete string matches both patterns.
pub fn overlaps(a: &str, b: &str, case_insensitive: bool) -> bool {
    let a = fold(a, case_insensitive);
    let b = fold(b, case_insensitive);
    let mut memo = vec![vec![None; b.len() + 1]; a.len() + 1];
    overlap_from(&a, &b, 0, 0, &mut memo)
}

fn overlap_from(a: &[char], b: &[char], i: usize, j: usize, memo: &mut [Vec<Option<bool>>]) -> bool {
    if let Some(v) = memo[i][j] {
        return v;
    }
    let v = match (a.get(i), b.get(j)) {
        (None, None) => true,
        (Some('*'), _) if overlap_from(a, b, i + 1, j, memo) => true,
        (_, Some('*')) if overlap_from(a, b, i, j + 1, memo) => true,
        (Some('*'), Some(_)) => overlap_from(a, b, i, j + 1, memo),
        (Some(_), Some('*')) => overlap_from(a, b, i + 1, j, memo),
        (Some(x), Some(y)) => (*x == '?' || *y == '?' || x == y) && overlap_from(a, b, i + 1, j + 1, memo),
        _ => false,
    };
    memo[i][j] = Some(v);
    v
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
}
