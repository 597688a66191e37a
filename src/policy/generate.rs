//! The least-privilege identity policy for a set of needs: every (action,
//! resource) pair once, a resource dropped where another one of the same
//! action covers it, actions that need the same resources in one statement,
//! and the statements split over several documents when one would exceed
//! IAM's size limit for a managed policy.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::actions::{Cond, Need, condition_json};
use super::pattern::covers;

/// IAM's limit on a managed policy's size, in characters without whitespace.
pub const MANAGED_POLICY_LIMIT: usize = 6144;

#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// One document, or several when the statements do not fit in one.
    pub documents: Vec<Value>,
    /// The actions granted on `*` without a condition (no resource-level permissions).
    pub on_any_resource: Vec<String>,
}

/// A document's size as IAM counts it: its characters, whitespace not counted.
pub fn size(doc: &Value) -> usize {
    doc.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

/// Each action (under each condition it is needed with) and the resources it
/// needs, covered resources dropped.
fn per_action(needs: &[Need]) -> BTreeMap<(String, Vec<Cond>), BTreeSet<String>> {
    let mut map: BTreeMap<(String, Vec<Cond>), BTreeSet<String>> = BTreeMap::new();
    for n in needs {
        map.entry((n.action.clone(), n.condition.clone())).or_default().insert(n.resource.clone());
    }
    for resources in map.values_mut() {
        let all: Vec<String> = resources.iter().cloned().collect();
        resources.retain(|r| !all.iter().any(|other| other != r && covers(other, r, false)));
    }
    map
}

fn pascal(text: &str) -> String {
    text.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The resource type of an ARN: `role` of `arn:aws:iam::1:role/app`, `log-group` of `…:log-group:/x`.
fn resource_type(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.split(['/', ':']).next().filter(|t| !t.is_empty() && !t.contains('*'))
}

/// A statement id from the services of its actions and the type of its
/// resources: `IamRole`, `EcrRepository`, `EcsIamRole`, `NoResourceLevelPermissions`.
fn sid(actions: &[String], resources: &[String], taken: &mut BTreeSet<String>) -> String {
    let base = if resources == ["*"] {
        "NoResourceLevelPermissions".to_string()
    } else {
        let services: BTreeSet<String> = actions.iter().map(|a| pascal(a.split(':').next().unwrap_or(""))).collect();
        let types: BTreeSet<&str> = resources.iter().filter_map(|r| resource_type(r)).collect();
        let kind = if types.len() == 1 { pascal(types.into_iter().next().unwrap_or_default()) } else { String::new() };
        services.into_iter().collect::<Vec<_>>().join("") + &kind
    };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

fn statement(sid: &str, actions: &[String], resources: &[String], condition: &[Cond]) -> Value {
    let one_or_list = |v: &[String]| if v.len() == 1 { json!(v[0]) } else { json!(v) };
    let mut st =
        json!({ "Sid": sid, "Effect": "Allow", "Action": one_or_list(actions), "Resource": one_or_list(resources) });
    if let Some(block) = condition_json(condition) {
        st["Condition"] = block;
    }
    st
}

fn document(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// What a statement grants on: its resources, under its condition.
type Scope = (Vec<String>, Vec<Cond>);

/// The statements for the needs: actions with the same resources (and condition) together.
pub fn statements(needs: &[Need]) -> Vec<Value> {
    let mut by_resources: BTreeMap<Scope, Vec<String>> = BTreeMap::new();
    for ((action, condition), resources) in per_action(needs) {
        by_resources.entry((resources.into_iter().collect(), condition)).or_default().push(action);
    }
    let mut taken = BTreeSet::new();
    // Statements on `*` last: the scoped ones are what a reader checks first.
    let mut groups: Vec<(Scope, Vec<String>)> = by_resources.into_iter().collect();
    groups.sort_by_key(|((resources, condition), actions)| {
        (resources == &["*"] && condition.is_empty(), actions.first().cloned(), resources.clone())
    });
    groups
        .into_iter()
        .map(|((resources, condition), actions)| {
            // On `*` under a condition: named for its services and its condition keys (`EcsCluster`).
            let name = match condition.first() {
                Some(c) if resources == ["*"] => {
                    let key = c.key.split(':').next_back().unwrap_or(c.key).to_string();
                    sid(&actions, &[format!("arn:aws:x:::{key}")], &mut taken)
                }
                _ => sid(&actions, &resources, &mut taken),
            };
            statement(&name, &actions, &resources, &condition)
        })
        .collect()
}

/// A statement cut into parts that each fit in `limit` (by its actions, then its resources).
fn fit(st: Value, limit: usize) -> Vec<Value> {
    if size(&document(vec![st.clone()])) <= limit {
        return vec![st];
    }
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let (sid, actions, resources) =
        (st["Sid"].as_str().unwrap_or("").to_string(), list(&st["Action"]), list(&st["Resource"]));
    let condition = st.get("Condition").cloned();
    let (halves, by_actions) = if actions.len() > 1 {
        (actions.split_at(actions.len() / 2), true)
    } else if resources.len() > 1 {
        (resources.split_at(resources.len() / 2), false)
    } else {
        return vec![st];
    };
    let (a, b) = halves;
    let part = |half: &[String], n: usize| {
        let name = format!("{sid}Part{n}");
        let mut part =
            if by_actions { statement(&name, half, &resources, &[]) } else { statement(&name, &actions, half, &[]) };
        if let Some(c) = &condition {
            part["Condition"] = c.clone();
        }
        part
    };
    let (a, b) = (part(a, 1), part(b, 2));
    let mut out = fit(a, limit);
    out.extend(fit(b, limit));
    // Part names stay unique after nested cuts.
    for (i, st) in out.iter_mut().enumerate() {
        st["Sid"] = json!(format!("{sid}Part{}", i + 1));
    }
    out
}

/// The least-privilege documents for `needs`, each within `limit` characters.
pub fn generate(needs: &[Need], limit: usize) -> Generated {
    let mut on_any_resource: Vec<String> = per_action(needs)
        .into_iter()
        .filter(|((_, c), r)| c.is_empty() && r.contains("*"))
        .map(|((a, _), _)| a)
        .collect();
    on_any_resource.dedup();
    let mut documents: Vec<Vec<Value>> = Vec::new();
    for st in statements(needs).into_iter().flat_map(|st| fit(st, limit)) {
        match documents.iter_mut().find(|d| {
            let mut with = (*d).clone();
            with.push(st.clone());
            size(&document(with)) <= limit
        }) {
            Some(d) => d.push(st),
            None => documents.push(vec![st]),
        }
    }
    if documents.is_empty() {
        documents.push(Vec::new());
    }
    Generated { documents: documents.into_iter().map(document).collect(), on_any_resource }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(action: &str, resource: &str) -> Need {
        Need::new(action, resource)
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/app";
    const POLICY: &str = "arn:aws:iam::123456789012:policy/app";

    #[test]
    fn actions_on_the_same_resources_share_a_statement_and_duplicates_go() {
        let needs = [
            need("iam:GetRole", ROLE),
            need("iam:CreateRole", ROLE),
            need("iam:GetRole", ROLE),
            need("iam:GetPolicy", POLICY),
            need("ecr:GetAuthorizationToken", "*"),
            need("ec2:DescribeVpcs", "*"),
        ];
        let g = generate(&needs, MANAGED_POLICY_LIMIT);
        assert_eq!(g.documents.len(), 1);
        assert_eq!(
            g.documents[0],
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "IamRole", "Effect": "Allow", "Action": ["iam:CreateRole", "iam:GetRole"], "Resource": ROLE},
                {"Sid": "IamPolicy", "Effect": "Allow", "Action": "iam:GetPolicy", "Resource": POLICY},
                {"Sid": "NoResourceLevelPermissions", "Effect": "Allow",
                 "Action": ["ec2:DescribeVpcs", "ecr:GetAuthorizationToken"], "Resource": "*"},
            ]})
        );
        assert_eq!(g.on_any_resource, ["ec2:DescribeVpcs", "ecr:GetAuthorizationToken"]);
    }

    #[test]
    fn resources_are_grouped_per_action_and_a_covered_resource_is_dropped() {
        let needs = [
            need("iam:GetPolicy", POLICY),
            need("iam:GetPolicy", "arn:aws:iam::123456789012:policy/*"),
            need("iam:GetPolicy", "arn:aws:iam::aws:policy/*"),
            need("iam:GetPolicyVersion", "arn:aws:iam::123456789012:policy/*"),
            need("iam:GetPolicyVersion", "arn:aws:iam::aws:policy/*"),
        ];
        let st = &generate(&needs, MANAGED_POLICY_LIMIT).documents[0]["Statement"];
        assert_eq!(st.as_array().unwrap().len(), 1, "{st}");
        assert_eq!(st[0]["Action"], json!(["iam:GetPolicy", "iam:GetPolicyVersion"]));
        assert_eq!(st[0]["Resource"], json!(["arn:aws:iam::123456789012:policy/*", "arn:aws:iam::aws:policy/*"]));
    }

    #[test]
    fn statements_of_mixed_services_are_named_for_all_of_them() {
        let needs =
            [need("ecs:CreateService", ROLE), need("iam:PassRole", ROLE), need("aws-marketplace:Subscribe", POLICY)];
        let st = generate(&needs, MANAGED_POLICY_LIMIT).documents[0]["Statement"].clone();
        assert_eq!(st[0]["Sid"], "AwsMarketplacePolicy");
        assert_eq!(st[1]["Sid"], "EcsIamRole");
    }

    #[test]
    fn a_large_set_is_split_into_documents_that_each_fit() {
        let needs: Vec<Need> = (0..400)
            .map(|i| need(&format!("iam:GetRole{}", i % 7), &format!("arn:aws:iam::123456789012:role/app-{i:03}")))
            .collect();
        let whole = generate(&needs, usize::MAX);
        assert_eq!(whole.documents.len(), 1);
        assert!(size(&whole.documents[0]) > MANAGED_POLICY_LIMIT);
        let split = generate(&needs, MANAGED_POLICY_LIMIT);
        assert!(split.documents.len() > 1, "{} documents", split.documents.len());
        for d in &split.documents {
            assert!(size(d) <= MANAGED_POLICY_LIMIT, "{} > limit", size(d));
        }
        // Nothing lost: every pair is granted by some document.
        let granted: BTreeSet<(String, String)> = split
            .documents
            .iter()
            .flat_map(|d| d["Statement"].as_array().unwrap().clone())
            .flat_map(|st| {
                let list = |v: &Value| match v {
                    Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect::<Vec<_>>(),
                    v => vec![v.as_str().unwrap().to_string()],
                };
                let (actions, resources) = (list(&st["Action"]), list(&st["Resource"]));
                actions.into_iter().flat_map(move |a| resources.clone().into_iter().map(move |r| (a.clone(), r)))
            })
            .collect();
        for n in &needs {
            assert!(granted.contains(&(n.action.clone(), n.resource.clone())), "{n:?} lost");
        }
        let sids: Vec<String> = split
            .documents
            .iter()
            .flat_map(|d| d["Statement"].as_array().unwrap().iter().map(|s| s["Sid"].as_str().unwrap().to_string()))
            .collect();
        let unique: BTreeSet<&String> = sids.iter().collect();
        assert_eq!(unique.len(), sids.len(), "statement ids stay unique: {sids:?}");
    }

    #[test]
    fn one_statement_too_large_for_a_document_is_cut() {
        let needs: Vec<Need> = (0..300)
            .map(|i| need("iam:GetRole", &format!("arn:aws:iam::123456789012:role/a-long-role-name-{i:04}")))
            .collect();
        let split = generate(&needs, 2000);
        assert!(split.documents.len() >= 6);
        assert!(split.documents.iter().all(|d| size(d) <= 2000));
    }

    #[test]
    fn the_size_ignores_whitespace() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(size(&doc), r#"{"Version":"2012-10-17","Statement":[]}"#.len());
    }

    #[test]
    fn nothing_needed_is_an_empty_document() {
        let g = generate(&[], MANAGED_POLICY_LIMIT);
        assert_eq!(g.documents, vec![json!({"Version": "2012-10-17", "Statement": []})]);
    }
}
