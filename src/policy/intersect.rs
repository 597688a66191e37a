//! The strings two wildcard patterns both match, written as patterns.
//!
//! A required resource (`arn:aws:logs:R:A:log-group:/comafi/*`) and the shape
//! of the ARNs AWS checks for an action (`…:log-group:NAME:*`, where NAME holds
//! no colon) meet in the resources that matter: what an Allow must cover and a
//! Deny may touch. Each pattern is a chain of states with self-loops at its
//! wildcards, so every path through the two chains together is itself a
//! pattern, and the union of those paths is the meet. Two approximations, both
//! on the wide side: one character that must not be a colon is written `?`,
//! and a meet of more than [`LIMIT`] patterns is not computed (None).

use std::collections::HashMap;
use std::rc::Rc;

use super::pattern::{Pattern, Tok};

/// The most patterns a meet may take before the caller keeps a wider stand-in.
pub const LIMIT: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    All,
    NoColon,
    Char(char),
}

/// The characters a wildcard's self-loop takes.
fn loops(t: Tok) -> Option<Class> {
    match t {
        Tok::Any => Some(Class::All),
        Tok::Part => Some(Class::NoColon),
        _ => None,
    }
}

/// The character a single-step token takes.
fn steps(t: Tok) -> Option<Class> {
    match t {
        Tok::One => Some(Class::All),
        Tok::Lit(c) => Some(Class::Char(c)),
        _ => None,
    }
}

fn meet(a: Class, b: Class) -> Option<Class> {
    match (a, b) {
        (Class::All, x) | (x, Class::All) => Some(x),
        (Class::NoColon, Class::NoColon) => Some(Class::NoColon),
        (Class::NoColon, Class::Char(c)) | (Class::Char(c), Class::NoColon) => (c != ':').then_some(Class::Char(c)),
        (Class::Char(c), Class::Char(d)) => (c == d).then_some(Class::Char(c)),
    }
}

/// One character of a class, as a token (a non-colon character widens to `?`).
fn one(c: Class) -> Tok {
    match c {
        Class::Char(c) => Tok::Lit(c),
        Class::All | Class::NoColon => Tok::One,
    }
}

/// A run of characters of a class, as a token.
fn run(c: Class) -> Tok {
    if c == Class::NoColon { Tok::Part } else { Tok::Any }
}

type Paths = Option<Rc<Vec<Vec<Tok>>>>;

/// Adjacent runs merge: `**` is `*`, a run without colons next to any run is the any run.
fn tidy(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    for t in toks {
        match (out.last().copied(), t) {
            (Some(Tok::Any), Tok::Any | Tok::Part) => {}
            (Some(Tok::Part), Tok::Any) => *out.last_mut().expect("a last token") = Tok::Any,
            (Some(Tok::Part), Tok::Part) => {}
            _ => out.push(t),
        }
    }
    out
}

/// The patterns of every path from state (i, j) to the end of both chains.
fn from(a: &[Tok], b: &[Tok], i: usize, j: usize, memo: &mut HashMap<(usize, usize), Paths>) -> Paths {
    if let Some(known) = memo.get(&(i, j)) {
        return known.clone();
    }
    let (ta, tb) = (a.get(i).copied(), b.get(j).copied());
    let (la, lb) = (ta.and_then(loops), tb.and_then(loops));
    let (sa, sb) = (ta.and_then(steps), tb.and_then(steps));
    // Both at a wildcard: the pair loops on the characters both take.
    let head: Vec<Tok> = match (la, lb) {
        (Some(x), Some(y)) => meet(x, y).map(run).into_iter().collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<Vec<Tok>> = Vec::new();
    let mut add = |first: Option<Tok>, rest: &Paths| -> bool {
        let Some(rest) = rest else { return false };
        for tail in rest.iter() {
            let mut p = head.clone();
            p.extend(first);
            p.extend(tail.iter().copied());
            let p = tidy(p);
            if !out.contains(&p) {
                out.push(p);
            }
        }
        true
    };
    let mut whole = true;
    if i == a.len() && j == b.len() {
        whole &= add(None, &Some(Rc::new(vec![Vec::new()])));
    }
    if la.is_some() {
        let rest = from(a, b, i + 1, j, memo);
        whole &= add(None, &rest);
    }
    if lb.is_some() {
        let rest = from(a, b, i, j + 1, memo);
        whole &= add(None, &rest);
    }
    let moves = [
        (la, sb, (i, j + 1)), // a's wildcard takes b's character
        (sa, lb, (i + 1, j)), // b's wildcard takes a's character
        (sa, sb, (i + 1, j + 1)),
    ];
    for (x, y, (ni, nj)) in moves {
        if let (Some(x), Some(y)) = (x, y)
            && let Some(c) = meet(x, y)
        {
            let rest = from(a, b, ni, nj, memo);
            whole &= add(Some(one(c)), &rest);
        }
    }
    let result = (whole && out.len() <= LIMIT).then(|| Rc::new(narrowest(out)));
    memo.insert((i, j), result.clone());
    result
}

/// The patterns without those another one covers (the first of equals stays).
fn narrowest(list: Vec<Vec<Tok>>) -> Vec<Vec<Tok>> {
    let patterns: Vec<Pattern> = list.into_iter().map(Pattern).collect();
    let mut keep: Vec<Pattern> = Vec::new();
    for (n, p) in patterns.iter().enumerate() {
        let covered =
            patterns.iter().enumerate().any(|(m, q)| m != n && q.covers(p, false) && (!p.covers(q, false) || m < n));
        if !covered {
            keep.push(p.clone());
        }
    }
    keep.into_iter().map(|p| p.0).collect()
}

/// Every string both patterns match, as patterns whose union is exactly that
/// (but for the widening above); empty when they share none, None when more
/// than [`LIMIT`] patterns would be needed.
pub fn intersect(a: &Pattern, b: &Pattern) -> Option<Vec<Pattern>> {
    let mut memo = HashMap::new();
    let paths = from(&a.0, &b.0, 0, 0, &mut memo)?;
    Some(paths.iter().cloned().map(Pattern).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(list: Option<Vec<Pattern>>) -> Vec<String> {
        list.expect("within the limit").iter().map(|p| format!("{p}")).collect()
    }

    /// A shape's parts as the tests write them: `%` for a run without colons.
    fn shape(text: &str) -> Pattern {
        Pattern(
            text.chars()
                .map(|c| match c {
                    '%' => Tok::Part,
                    '*' => Tok::Lit('*'),
                    c => Tok::Lit(c),
                })
                .collect(),
        )
    }

    #[test]
    fn literals_meet_when_equal() {
        assert_eq!(shown(intersect(&Pattern::literal("abc"), &Pattern::literal("abc"))), ["abc"]);
        assert!(shown(intersect(&Pattern::literal("abc"), &Pattern::literal("abd"))).is_empty());
        assert_eq!(shown(intersect(&Pattern::glob("a?c"), &Pattern::glob("ab*"))), ["abc"]);
    }

    #[test]
    fn a_star_meets_anything_as_that_thing() {
        let p = shape("log-group:%:*");
        assert_eq!(intersect(&Pattern::glob("*"), &p).unwrap(), vec![p.clone()]);
        assert_eq!(intersect(&p, &Pattern::glob("*")).unwrap(), vec![p]);
    }

    #[test]
    fn a_log_group_prefix_meets_the_group_shape_and_the_stream_shape() {
        let group = shape("log-group:%:*");
        let stream = shape("log-group:%:log-stream:%");
        let prefix = Pattern::glob("log-group:/comafi/*");
        let got = intersect(&prefix, &group).unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].covers(&Pattern::literal("log-group:/comafi/audit:*"), false));
        assert!(!got[0].covers(&Pattern::literal("log-group:/comafi/a:b:*"), false), "a name holds no colon");
        assert!(!got[0].covers(&Pattern::literal("log-group:/comafi/audit"), false));
        let got = intersect(&prefix, &stream).unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].covers(&Pattern::literal("log-group:/comafi/a:log-stream:s"), false));
        // Streams of the prefix's groups are no log groups.
        assert!(intersect(&Pattern::glob("log-group:/comafi/*:log-stream:*"), &group).unwrap().is_empty());
        // An exact group name without `:*` is no request AWS makes.
        assert!(intersect(&Pattern::glob("log-group:/ecs/app"), &group).unwrap().is_empty());
        assert_eq!(intersect(&Pattern::glob("log-group:/ecs/app:*"), &group).unwrap().len(), 1);
    }

    #[test]
    fn runs_without_colons_meet_as_such() {
        let got = intersect(&Pattern::within_parts("a*b"), &Pattern::glob("a*")).unwrap();
        assert_eq!(got, vec![Pattern(vec![Tok::Lit('a'), Tok::Part, Tok::Lit('b')])]);
        assert!(intersect(&Pattern::within_parts("a*"), &Pattern::glob("a:b")).unwrap().is_empty());
    }

    #[test]
    fn the_meet_is_exact_on_samples() {
        let cases = [("a*b*c", "*b*"), ("x*:y*", "x%:%"), ("*", "%"), ("a?*", "*z"), ("ab*", "*bc")];
        let samples = ["abc", "abbc", "ac", "x:y", "xa:yb", "x::y", "az", "abz", "abcbc", "a:z", "bc", ""];
        for (a, b) in cases {
            let (pa, pb) = (Pattern::glob(a), shape(&b.replace('*', "\u{1}")));
            // `*` in b is a wildcard here; `%` the colon-free run.
            let pb = Pattern(pb.0.into_iter().map(|t| if t == Tok::Lit('\u{1}') { Tok::Any } else { t }).collect());
            let meet = intersect(&pa, &pb).unwrap();
            for s in samples {
                let lit = Pattern::literal(s);
                let both = pa.covers(&lit, false) && pb.covers(&lit, false);
                let any = meet.iter().any(|m| m.covers(&lit, false));
                assert_eq!(both, any, "{a} ∩ {b} on {s:?}: {meet:?}");
            }
        }
    }
}
