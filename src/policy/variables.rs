//! IAM policy variables in Resource patterns: `${aws:username}`,
//! `${aws:PrincipalTag/team, 'default'}`, and the escapes `${*}`, `${?}`,
//! `${$}` (a literal asterisk, question mark, dollar). Values come from what
//! preflight read about the principal; anything else stays unknown.

use std::collections::BTreeMap;

use super::pattern::{Pattern, Tok};

/// What is known of the request context of one principal's calls. Keys are
/// lower-cased (IAM compares context keys case-insensitively).
#[derive(Debug, Clone, Default)]
pub struct Variables {
    known: BTreeMap<String, String>,
    absent: Vec<String>,
    /// The principal's tags, when they were read and no session can add others.
    tags: Option<BTreeMap<String, String>>,
}

/// The value of one context key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Value(String),
    /// The key is not in the request context (`aws:username` for a role).
    Absent,
    Unknown,
}

fn tag_map<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    tags.into_iter().map(|(k, v)| (k.to_lowercase(), v.to_string())).collect()
}

impl Variables {
    /// An IAM user: its name, unique id (AIDA…), ARN, account and tags.
    pub fn user<'a>(
        account: &str,
        arn: &str,
        name: &str,
        id: Option<&str>,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut known = BTreeMap::from([
            ("aws:username".to_string(), name.to_string()),
            ("aws:principaltype".into(), "User".into()),
            ("aws:principalaccount".into(), account.into()),
            ("aws:principalarn".into(), arn.into()),
        ]);
        if let Some(id) = id {
            known.insert("aws:userid".into(), id.into());
        }
        Self { known, absent: Vec::new(), tags: Some(tag_map(tags)) }
    }

    /// The sessions of an IAM role: `aws:username` is absent, `aws:userid` names
    /// the session (unknown here), `aws:PrincipalArn` is the role's ARN. The
    /// role's tags are the principal's tags unless a session adds its own:
    /// give `None` when it may (the caller's SSO session, say).
    pub fn role<'a>(account: &str, arn: &str, tags: Option<impl IntoIterator<Item = (&'a str, &'a str)>>) -> Self {
        let known = BTreeMap::from([
            ("aws:principaltype".to_string(), "AssumedRole".to_string()),
            ("aws:principalaccount".into(), account.into()),
            ("aws:principalarn".into(), arn.into()),
        ]);
        Self { known, absent: vec!["aws:username".into()], tags: tags.map(tag_map) }
    }

    /// The principal's tags cannot be known: a session (the caller's SSO role, say) may carry its own.
    pub fn without_principal_tags(mut self) -> Self {
        self.tags = None;
        self
    }

    pub fn lookup(&self, key: &str) -> Lookup {
        let key = key.to_lowercase();
        if let Some(v) = self.known.get(&key) {
            return Lookup::Value(v.clone());
        }
        if self.absent.contains(&key) {
            return Lookup::Absent;
        }
        match (key.strip_prefix("aws:principaltag/"), &self.tags) {
            (Some(tag), Some(tags)) => tags.get(tag).map_or(Lookup::Absent, |v| Lookup::Value(v.clone())),
            _ => Lookup::Unknown,
        }
    }
}

/// A Resource entry with its variables substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expanded {
    Pattern(Pattern),
    /// A variable has no value and no default: IAM matches the entry with no resource.
    NoValue {
        variable: String,
    },
    /// Variables preflight cannot know; `widest` stands for every value they could take.
    Unknown {
        variables: Vec<String>,
        widest: Pattern,
    },
}

/// `${key}` or `${key, 'default'}` (a quote inside the default is doubled), from
/// just after `${`: the key, the default, and how many characters it took.
fn parse(rest: &[char]) -> Option<(String, Option<String>, usize)> {
    let mut i = 0;
    let skip = |i: &mut usize| {
        while rest.get(*i).is_some_and(|c| c.is_whitespace()) {
            *i += 1;
        }
    };
    skip(&mut i);
    let start = i;
    while rest.get(i).is_some_and(|c| !c.is_whitespace() && *c != ',' && *c != '}') {
        i += 1;
    }
    let key: String = rest[start..i].iter().collect();
    if key.is_empty() {
        return None;
    }
    skip(&mut i);
    let mut default = None;
    if rest.get(i) == Some(&',') {
        i += 1;
        skip(&mut i);
        if rest.get(i) != Some(&'\'') {
            return None;
        }
        i += 1;
        let mut value = String::new();
        loop {
            match (rest.get(i), rest.get(i + 1)) {
                (Some('\''), Some('\'')) => {
                    value.push('\'');
                    i += 2;
                }
                (Some('\''), _) => {
                    i += 1;
                    break;
                }
                (Some(c), _) => {
                    value.push(*c);
                    i += 1;
                }
                (None, _) => return None,
            }
        }
        default = Some(value);
        skip(&mut i);
    }
    (rest.get(i) == Some(&'}')).then(|| (key, default, i + 1))
}

/// Substitutes the variables of one Resource entry. Text that does not parse
/// as a variable stays text.
pub fn expand(text: &str, vars: &Variables) -> Expanded {
    let chars: Vec<char> = text.chars().collect();
    let (mut toks, mut unknown, mut i, mut colons) = (Vec::new(), Vec::new(), 0, 0);
    while i < chars.len() {
        let var = if chars[i] == '$' && chars.get(i + 1) == Some(&'{') { parse(&chars[i + 2..]) } else { None };
        let Some((key, default, used)) = var else {
            colons += usize::from(chars[i] == ':');
            toks.extend(Pattern::glob(&chars[i].to_string()).0);
            i += 1;
            continue;
        };
        let written: String = chars[i..i + 2 + used].iter().collect();
        i += 2 + used;
        match (key.as_str(), &default) {
            ("*" | "?" | "$", None) => toks.push(Tok::Lit(key.chars().next().expect("one character"))),
            // IAM substitutes variables only in an ARN's resource part, after its fifth colon
            // (IAM user guide, "Policy variables": "Where you can use policy variables"):
            // what one stands for before it is not known.
            _ if colons < 5 && text.starts_with("arn:") => {
                toks.push(Tok::Any);
                unknown.push(format!("{written} (before the ARN's resource part, where IAM substitutes no variable)"));
            }
            _ => match vars.lookup(&key) {
                Lookup::Value(v) => toks.extend(Pattern::literal(&v).0),
                Lookup::Absent => match default {
                    Some(d) => toks.extend(Pattern::literal(&d).0),
                    None => return Expanded::NoValue { variable: written },
                },
                Lookup::Unknown => {
                    toks.push(Tok::Any);
                    unknown.push(written);
                }
            },
        }
    }
    if unknown.is_empty() {
        Expanded::Pattern(Pattern(toks))
    } else {
        Expanded::Unknown { variables: unknown, widest: Pattern(toks) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Variables {
        Variables::user(
            "123456789012",
            "arn:aws:iam::123456789012:user/ana",
            "ana",
            Some("AIDAEXAMPLE"),
            [("Team", "ai")],
        )
    }

    fn pattern(e: Expanded) -> String {
        match e {
            Expanded::Pattern(p) => p.to_string(),
            other => panic!("not resolved: {other:?}"),
        }
    }

    #[test]
    fn known_values_are_substituted_as_text() {
        let v = user();
        assert_eq!(pattern(expand("arn:aws:s3:::home/${aws:username}/*", &v)), "arn:aws:s3:::home/ana/*");
        assert_eq!(pattern(expand("x/${AWS:UserName}", &v)), "x/ana");
        assert_eq!(pattern(expand("${aws:PrincipalTag/team}-${aws:userid}", &v)), "ai-AIDAEXAMPLE");
        assert_eq!(
            pattern(expand("arn:aws:logs:*:*:log-group:${aws:PrincipalAccount}", &v)),
            "arn:aws:logs:*:*:log-group:123456789012"
        );
        // Before an ARN's resource part IAM substitutes nothing: not known, whatever the value.
        match expand("arn:aws:logs:*:${aws:PrincipalAccount}:*", &v) {
            Expanded::Unknown { variables, widest } => {
                assert!(variables[0].starts_with("${aws:PrincipalAccount} (before the ARN's resource part"));
                assert_eq!(widest.to_string(), "arn:aws:logs:*:*:*");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pattern(expand("${ aws:username , 'x' }", &v)), "ana");
    }

    #[test]
    fn escapes_are_literal_characters() {
        let e = expand("a${*}b${?}c${$}d*", &Variables::default());
        assert_eq!(
            e,
            Expanded::Pattern(Pattern(vec![
                Tok::Lit('a'),
                Tok::Lit('*'),
                Tok::Lit('b'),
                Tok::Lit('?'),
                Tok::Lit('c'),
                Tok::Lit('$'),
                Tok::Lit('d'),
                Tok::Any
            ]))
        );
        // Malformed variables stay text.
        assert_eq!(pattern(expand("a${b", &user())), "a${b");
        assert_eq!(pattern(expand("a${}", &user())), "a${}");
        assert_eq!(pattern(expand("a${b, c}", &user())), "a${b, c}");
    }

    #[test]
    fn absent_keys_take_the_default_or_match_nothing() {
        let v = user();
        assert_eq!(pattern(expand("b-${aws:PrincipalTag/cost, 'company-wide'}", &v)), "b-company-wide");
        assert_eq!(pattern(expand("${aws:PrincipalTag/cost, 'it''s'}", &v)), "it's");
        assert_eq!(
            expand("b-${aws:PrincipalTag/cost}", &v),
            Expanded::NoValue { variable: "${aws:PrincipalTag/cost}".into() }
        );
        let role = Variables::role("1", "arn:aws:iam::1:role/r", Some([("team", "ai")]));
        assert_eq!(expand("${aws:username}", &role), Expanded::NoValue { variable: "${aws:username}".into() });
        assert_eq!(pattern(expand("${aws:PrincipalTag/Team}", &role)), "ai");
    }

    #[test]
    fn unknown_keys_stand_for_any_value() {
        let v = user();
        match expand("arn:aws:logs:us-east-1:1:log-group:${aws:RequestedRegion}", &v) {
            Expanded::Unknown { variables, widest } => {
                assert_eq!(variables, vec!["${aws:RequestedRegion}"]);
                assert_eq!(widest.to_string(), "arn:aws:logs:us-east-1:1:log-group:*");
            }
            other => panic!("{other:?}"),
        }
        // A role whose sessions may carry their own tags: its tags are unknown, even with a default.
        let role = Variables::role("1", "arn:aws:iam::1:role/r", None::<[(&str, &str); 0]>);
        assert!(matches!(expand("${aws:PrincipalTag/team, 'x'}", &role), Expanded::Unknown { .. }));
        assert!(matches!(expand("${aws:userid}", &role), Expanded::Unknown { .. }));
    }
}
