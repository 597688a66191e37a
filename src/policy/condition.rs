//! The Condition block of a statement, evaluated against what is known of a
//! request: a key's one value, or only a pattern its values follow (an ECS
//! task's `aws:SourceArn` is some ECS ARN of the account), or nothing.
//! Operators: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals,
//! Arn(Not)Like, Null, with `IfExists` and the `ForAnyValue:`/`ForAllValues:`
//! set qualifiers (the keys known here are single-valued and present, so both
//! reduce to the plain operator). Anything else cannot be decided.

use serde_json::Value;

use super::pattern::Pattern;

/// One test of a Condition block: `"ArnLike": {"aws:SourceArn": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

impl std::fmt::Display for Test {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vec<String> = self.values.iter().map(|v| format!("{v:?}")).collect();
        write!(f, "{} {} {}", self.operator, self.key, values.join(", "))
    }
}

/// Every test of a Condition block, in order.
pub fn tests(condition: Option<&Value>) -> Vec<Test> {
    let Some(Value::Object(ops)) = condition else { return Vec::new() };
    let mut out = Vec::new();
    for (op, keys) in ops {
        let Value::Object(keys) = keys else { continue };
        for (key, v) in keys {
            let one = |v: &Value| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let values = match v {
                Value::Array(items) => items.iter().map(one).collect(),
                other => vec![one(other)],
            };
            out.push(Test { operator: op.clone(), key: key.clone(), values });
        }
    }
    out
}

/// What the request carries for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Exactly this value.
    Exact(String),
    /// Some value matching this glob, whose `*` never stands for a colon (an ARN
    /// of a known shape, `arn:aws:ecs:REGION:ACCOUNT:*`); which one is not known.
    Within(String),
    /// Nothing preflight can know: why.
    Unknown(String),
}

/// Whether a test holds for the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holds {
    Always,
    /// For some of the values the request may carry, not all.
    Sometimes,
    Never,
    Unknown(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Base {
    Equals { ignore_case: bool },
    Like,
    Arn,
    Null,
}

/// The operator without its qualifiers: (base, negated), or None when not handled.
fn operator(name: &str) -> Option<(Base, bool)> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_prefix("foranyvalue:").or_else(|| lower.strip_prefix("forallvalues:")).unwrap_or(&lower);
    let lower = lower.strip_suffix("ifexists").unwrap_or(lower);
    Some(match lower {
        "stringequals" => (Base::Equals { ignore_case: false }, false),
        "stringnotequals" => (Base::Equals { ignore_case: false }, true),
        "stringequalsignorecase" => (Base::Equals { ignore_case: true }, false),
        "stringnotequalsignorecase" => (Base::Equals { ignore_case: true }, true),
        "stringlike" => (Base::Like, false),
        "stringnotlike" => (Base::Like, true),
        "arnequals" | "arnlike" => (Base::Arn, false),
        "arnnotequals" | "arnnotlike" => (Base::Arn, true),
        "null" => (Base::Null, false),
        _ => return None,
    })
}

/// How much of the request's possible values one policy value matches.
#[derive(Clone, Copy, PartialEq)]
enum Share {
    All,
    Some,
    None,
}

fn share(covers: bool, overlaps: bool) -> Share {
    if covers {
        Share::All
    } else if overlaps {
        Share::Some
    } else {
        Share::None
    }
}

/// The six parts of an ARN (the last one keeps its colons); None when there are fewer.
fn arn_parts(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    (parts.len() == 6).then_some(parts)
}

/// None when preflight cannot tell (an ARN pattern with fewer than six parts).
fn value_share(base: Base, value: &str, known: &Known) -> Option<Share> {
    Some(match (base, known) {
        (Base::Equals { ignore_case }, Known::Exact(x)) => {
            share(if ignore_case { value.eq_ignore_ascii_case(x) } else { value == x }, false)
        }
        // A value under StringEquals is text: it is one of the possible values, or none.
        (Base::Equals { ignore_case }, Known::Within(w)) => {
            share(false, Pattern::within_parts(w).covers(&Pattern::literal(value), ignore_case))
        }
        (Base::Like, Known::Exact(x)) => share(Pattern::glob(value).covers(&Pattern::literal(x), false), false),
        (Base::Like, Known::Within(w)) => {
            let (v, w) = (Pattern::glob(value), Pattern::within_parts(w));
            share(v.covers(&w, false), v.overlaps(&w, false))
        }
        // ARN operators compare part by part: a wildcard never reaches into the next part.
        (Base::Arn, Known::Exact(x) | Known::Within(x)) => {
            let v = arn_parts(value)?;
            // A request value that is no ARN matches no ARN pattern.
            let Some(r) = arn_parts(x) else { return Some(Share::None) };
            let exact = matches!(known, Known::Exact(_));
            let pairs = || {
                v.iter().zip(&r).map(|(v, r)| {
                    (Pattern::glob(v), if exact { Pattern::literal(r) } else { Pattern::within_parts(r) })
                })
            };
            share(pairs().all(|(v, r)| v.covers(&r, false)), pairs().all(|(v, r)| v.overlaps(&r, false)))
        }
        _ => Share::None,
    })
}

/// Whether one test holds for a request carrying `known` under its key.
pub fn holds(test: &Test, known: &Known) -> Holds {
    let Some((base, negated)) = operator(&test.operator) else {
        return Holds::Unknown(format!("preflight does not evaluate the operator {}", test.operator));
    };
    if let Known::Unknown(why) = known {
        return Holds::Unknown(why.clone());
    }
    if base == Base::Null {
        // The keys known here are always present.
        return match test.values.as_slice() {
            [v] if v == "false" => Holds::Always,
            [v] if v == "true" => Holds::Never,
            _ => Holds::Unknown(format!("Null takes \"true\" or \"false\", not {:?}", test.values)),
        };
    }
    if test.values.iter().any(|v| v.contains("${")) {
        return Holds::Unknown("its values use policy variables".into());
    }
    let Some(shares) = test.values.iter().map(|v| value_share(base, v, known)).collect::<Option<Vec<Share>>>() else {
        return Holds::Unknown(format!(
            "{} needs whole ARNs (six colon-separated parts); preflight cannot tell how IAM matches a shorter one",
            test.operator
        ));
    };
    let all = shares.contains(&Share::All);
    let some = shares.iter().filter(|s| **s == Share::Some).count();
    match (negated, all, some) {
        (false, true, _) => Holds::Always,
        (false, false, 0) => Holds::Never,
        (false, false, _) => Holds::Sometimes,
        (true, true, _) => Holds::Never,
        (true, false, 0) => Holds::Always,
        // Text values cannot together exclude every value of a pattern.
        (true, false, _) if matches!(base, Base::Equals { .. }) => Holds::Sometimes,
        (true, false, 1) => Holds::Sometimes,
        (true, false, _) => Holds::Unknown(format!(
            "preflight cannot tell whether {} together exclude every value the request may carry",
            test.values.join(", ")
        )),
    }
}

/// Whether a whole Condition block (every test must hold) holds, given what is
/// known per key: `Never` and `Unknown` name the test that decides it.
pub fn all_hold(tests: &[Test], known: impl Fn(&str) -> Known) -> (Holds, Option<Test>) {
    let results: Vec<(Holds, &Test)> = tests.iter().map(|t| (holds(t, &known(&t.key)), t)).collect();
    if let Some((h, t)) = results.iter().find(|(h, _)| *h == Holds::Never) {
        return (h.clone(), Some((*t).clone()));
    }
    if let Some((h, t)) = results.iter().find(|(h, _)| matches!(h, Holds::Unknown(_))) {
        return (h.clone(), Some((*t).clone()));
    }
    let partial: Vec<&Test> = results.iter().filter(|(h, _)| *h == Holds::Sometimes).map(|(_, t)| *t).collect();
    // Two partial tests of one key may exclude each other.
    if let Some(t) = partial.iter().find(|t| partial.iter().filter(|o| o.key.eq_ignore_ascii_case(&t.key)).count() > 1)
    {
        return (
            Holds::Unknown(format!("preflight cannot tell whether the tests of {} can hold together", t.key)),
            Some((*t).clone()),
        );
    }
    match partial.first() {
        Some(t) => (Holds::Sometimes, Some((*t).clone())),
        None => (Holds::Always, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: &str = "123456789012";
    const ECS: &str = "arn:aws:ecs:us-east-1:123456789012:*";

    fn test(op: &str, key: &str, values: &[&str]) -> Test {
        Test { operator: op.into(), key: key.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    fn account(op: &str, values: &[&str]) -> Holds {
        holds(&test(op, "aws:SourceAccount", values), &Known::Exact(ACCOUNT.into()))
    }

    fn arn(op: &str, values: &[&str]) -> Holds {
        holds(&test(op, "aws:SourceArn", values), &Known::Within(ECS.into()))
    }

    #[test]
    fn reads_every_test_of_a_block() {
        let c = json!({"StringEquals": {"aws:SourceAccount": 123456789012u64, "k": ["a", "b"]}, "Null": {"x": "true"}});
        let t = tests(Some(&c));
        assert_eq!(t[0], test("StringEquals", "aws:SourceAccount", &["123456789012"]));
        assert_eq!(t[1].values, vec!["a", "b"]);
        assert_eq!(t[2].to_string(), "Null x \"true\"");
        assert!(tests(None).is_empty());
    }

    #[test]
    fn an_exact_value() {
        assert_eq!(account("StringEquals", &["111111111111", ACCOUNT]), Holds::Always);
        assert_eq!(account("StringEquals", &["111111111111"]), Holds::Never);
        assert_eq!(account("StringEqualsIfExists", &[ACCOUNT]), Holds::Always);
        assert_eq!(account("ForAnyValue:StringEquals", &[ACCOUNT]), Holds::Always);
        assert_eq!(account("StringNotEquals", &[ACCOUNT]), Holds::Never);
        assert_eq!(account("StringNotEquals", &["111111111111"]), Holds::Always);
        assert_eq!(account("StringLike", &["1234*"]), Holds::Always);
        assert_eq!(account("StringNotLike", &["1234*"]), Holds::Never);
        assert_eq!(account("StringEquals", &["1234*"]), Holds::Never, "no wildcards under StringEquals");
        assert_eq!(account("Null", &["false"]), Holds::Always);
        assert_eq!(account("Null", &["true"]), Holds::Never);
        assert!(matches!(account("NumericEquals", &[ACCOUNT]), Holds::Unknown(_)));
        assert!(matches!(account("StringEquals", &["${aws:PrincipalAccount}"]), Holds::Unknown(_)));
    }

    #[test]
    fn a_value_known_only_by_its_pattern() {
        assert_eq!(arn("ArnLike", &[ECS]), Holds::Always);
        assert_eq!(arn("ArnEquals", &["arn:aws:ecs:*:123456789012:*"]), Holds::Always);
        assert_eq!(arn("ArnLike", &["arn:aws:ecs:us-east-1:123456789012:task/comafi/*"]), Holds::Sometimes);
        assert_eq!(arn("ArnLike", &["arn:aws:ecs:us-east-1:111111111111:*"]), Holds::Never);
        assert_eq!(arn("ArnLike", &["arn:aws:ecs:eu-west-1:123456789012:*"]), Holds::Never);
        // Part by part: `*` in the region does not swallow the account.
        assert_eq!(arn("ArnLike", &["arn:aws:ecs:*:111111111111:*"]), Holds::Never);
        assert!(matches!(arn("ArnLike", &["arn:aws:ecs:*"]), Holds::Unknown(_)), "not a whole ARN");
        assert_eq!(account("ArnLike", &["arn:aws:ecs:*:*:*:*"]), Holds::Never, "an account id is no ARN");
        // Under StringLike `*` may span colons, but an ECS ARN has no colon after its account.
        assert_eq!(arn("StringLike", &["arn:aws:ecs:*:111111111111:*"]), Holds::Never);
        assert_eq!(arn("StringLike", &["arn:aws:ecs:*"]), Holds::Always);
        assert_eq!(arn("StringLike", &["*:123456789012:*"]), Holds::Always);
        assert_eq!(arn("StringEquals", &["arn:aws:ecs:us-east-1:123456789012:task/c/1"]), Holds::Sometimes);
        assert_eq!(arn("StringEquals", &["arn:aws:ecs:us-east-1:111111111111:task/c/1"]), Holds::Never);
        assert_eq!(arn("ArnNotLike", &["arn:aws:ecs:*:123456789012:*"]), Holds::Never);
        assert_eq!(arn("ArnNotLikeIfExists", &["arn:aws:ecs:*:111111111111:*"]), Holds::Always);
        assert_eq!(arn("ArnNotLike", &["arn:aws:ecs:us-east-1:123456789012:task/other/*"]), Holds::Sometimes);
        assert!(matches!(
            arn("ArnNotLike", &["arn:aws:ecs:us-east-1:123456789012:a*", "arn:aws:ecs:us-east-1:123456789012:b*"]),
            Holds::Unknown(_)
        ));
    }

    #[test]
    fn a_block_holds_when_every_test_does() {
        let known = |k: &str| match k.to_ascii_lowercase().as_str() {
            "aws:sourceaccount" => Known::Exact(ACCOUNT.into()),
            "aws:sourcearn" => Known::Within(ECS.into()),
            _ => Known::Unknown("unknown key".into()),
        };
        let sa = test("StringEquals", "aws:SourceAccount", &[ACCOUNT]);
        let narrow = test("ArnLike", "aws:SourceArn", &["arn:aws:ecs:us-east-1:123456789012:task/a/*"]);
        let other = test("ArnLike", "aws:SourceArn", &["arn:aws:ecs:us-east-1:111111111111:*"]);
        let unknown = test("StringEquals", "ecs:cluster", &["x"]);
        assert_eq!(all_hold(&[], known), (Holds::Always, None));
        assert_eq!(all_hold(std::slice::from_ref(&sa), known), (Holds::Always, None));
        assert_eq!(all_hold(&[sa.clone(), narrow.clone()], known), (Holds::Sometimes, Some(narrow.clone())));
        assert_eq!(all_hold(&[unknown.clone(), other.clone()], known), (Holds::Never, Some(other)));
        assert_eq!(all_hold(&[sa, unknown.clone()], known).1, Some(unknown));
        let not_narrow = test("ArnNotLike", "aws:SourceArn", &["arn:aws:ecs:us-east-1:123456789012:task/a/*"]);
        assert!(matches!(all_hold(&[narrow, not_narrow], known).0, Holds::Unknown(_)));
    }
}
