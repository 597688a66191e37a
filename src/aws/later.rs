//! Values known only once an earlier change is made: the id of a security
//! group a plan would create, the ARN of a load balancer, the revision a
//! task definition would get. In a plan such a value is a [`Later`], shown as
//! what makes it (`(the security group comafi-alb made by step network)`),
//! never replaced by a default: code that needs the value has to say what it
//! does with an unknown one, and the compiler finds every such place.
//!
//! A plan of several steps remembers what its earlier steps would make
//! ([`Planned`]), so that a later step plans against them instead of against
//! an account that does not have them yet.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// Something a planned change would make, not made yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// What it is: `security group comafi-alb`.
    pub what: String,
    /// The step whose change makes it.
    pub step: String,
}

/// Where a pending value stands in a request that a plan serializes but
/// never sends, and how it is shown: `(the WHAT made by step STEP)`.
impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(the {} made by step {})", self.what, self.step)
    }
}

/// Whether a text holds a pending value (a plan's placeholder): such a text
/// never goes on the wire in a run, and matches any value when a plan is
/// compared with what ran.
pub fn holds_pending(text: &str) -> bool {
    pending_spans(text).next().is_some()
}

/// The byte ranges of the pending values in a text.
pub fn pending_spans(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(start) = text[from..].find("(the ").map(|i| i + from) {
            let Some(end) = text[start..].find(')').map(|i| i + start + 1) else { break };
            from = end;
            let inner = &text[start..end];
            if inner.contains(" made by step ") && !inner[1..].contains('(') {
                return Some(start..end);
            }
        }
        None
    })
}

/// Whether `planned` (which may hold pending values) describes `made`: equal
/// text around the pending values, each of which stands for any text.
pub fn matches(planned: &str, made: &str) -> bool {
    let mut parts = Vec::new();
    let mut last = 0;
    for span in pending_spans(planned) {
        parts.push(&planned[last..span.start]);
        last = span.end;
    }
    if parts.is_empty() {
        return planned == made;
    }
    parts.push(&planned[last..]);
    let Some(rest) = made.strip_prefix(parts[0]) else { return false };
    let (middle, tail) = (&parts[1..parts.len() - 1], parts[parts.len() - 1]);
    let Some(mut rest) = rest.strip_suffix(tail) else { return false };
    for part in middle {
        if part.is_empty() {
            continue;
        }
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// A value that is known, or known only after an earlier change is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Later<T> {
    Known(T),
    After(Pending),
}

impl<T> Later<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Later::Known(v) => Some(v),
            Later::After(_) => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Later<U> {
        match self {
            Later::Known(v) => Later::Known(f(v)),
            Later::After(p) => Later::After(p),
        }
    }

    /// What a pending value is called (`security group comafi-alb`).
    pub fn named(self, what: impl Into<String>) -> Self {
        match self {
            Later::After(p) => Later::After(Pending { what: what.into(), ..p }),
            known => known,
        }
    }
}

impl<T> Later<Option<T>> {
    /// A made thing whose answer lacks the value: an error naming it.
    pub fn required(self, what: &str) -> Result<Later<T>, super::error::AwsError> {
        match self {
            Later::Known(Some(v)) => Ok(Later::Known(v)),
            Later::Known(None) => Err(super::error::AwsError::other(format!("AWS answered without the {what}"))),
            Later::After(p) => Ok(Later::After(p)),
        }
    }
}

impl Later<String> {
    /// The value as it goes into a request: the value, or in a plan (whose
    /// requests are serialized, never sent) the pending value's text, which
    /// the plan then shows as such. A run refuses to send a request holding it.
    pub fn wire(&self) -> String {
        self.to_string()
    }
}

impl<T: fmt::Display> fmt::Display for Later<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Later::Known(v) => v.fmt(f),
            Later::After(p) => p.fmt(f),
        }
    }
}

/// What the changes planned so far in this command would make, by a key the
/// kind that makes a thing and the kinds that look for it agree on (see each
/// kind's `…_key` function). Only a plan has one: a run makes the change
/// before the next step looks.
#[derive(Debug, Default)]
pub struct Planned(Mutex<BTreeMap<String, Later<String>>>);

impl Planned {
    pub fn remember(&self, key: &str, value: &Later<String>) {
        self.0.lock().expect("planned").insert(key.to_string(), value.clone());
    }

    pub fn get(&self, key: &str) -> Option<Later<String>> {
        self.0.lock().expect("planned").get(key).cloned()
    }

    pub fn clear(&self) {
        self.0.lock().expect("planned").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(what: &str) -> String {
        Pending { what: what.into(), step: "network".into() }.to_string()
    }

    #[test]
    fn a_pending_value_is_shown_as_what_makes_it_and_matches_any_value() {
        let sg = p("security group comafi-alb");
        assert_eq!(sg, "(the security group comafi-alb made by step network)");
        assert!(holds_pending(&format!("[\"{sg}\"]")));
        assert!(!holds_pending("(the group) made by step x"));
        assert!(matches(&sg, "sg-0123"));
        assert!(matches(&format!("arn:x:{sg}:DB_URL::"), "arn:x:secret-abc:DB_URL::"));
        assert!(!matches(&format!("arn:x:{sg}:DB_URL::"), "arn:y:secret-abc:DB_URL::"));
        assert!(matches(&format!("{sg},{}", p("other")), "sg-1,sg-2"));
        assert!(matches("plain", "plain") && !matches("plain", "other"));
    }

    #[test]
    fn later_values_keep_their_maker() {
        let l: Later<Option<String>> = Later::After(Pending { what: "x".into(), step: "s".into() });
        let named = l.required("group id").unwrap().named("security group a");
        assert_eq!(named.to_string(), "(the security group a made by step s)");
        assert!(Later::Known(None::<String>).required("group id").is_err());
        assert_eq!(Later::Known("sg-1".to_string()).wire(), "sg-1");
    }
}
