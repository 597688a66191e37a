//! The table of what AWS accepts (src/engine/limits/), checked against what
//! it stands on: the AWS SDK's service models (botocore's service-2.json.gz in
//! the venv scripts/setup-moto.sh makes: each row's member, its length, its
//! pattern, or the documentation that states the rule where the shape does
//! not), the input catalog (an input that is a name agrees with its row), and
//! the code that makes the names the table derives (`{{project}}-tg`).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use preflight::engine::inputs::validate;
use preflight::engine::library::Library;
use preflight::engine::limits::{self, Memory, Model, NAMED, NameRule, Row, Rule, TABLE};
use preflight::engine::loader::load_all;
use preflight::engine::model::{Checklists, InputKind};
use preflight::kinds::registry::Registry;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// botocore's data directory in the venv.
fn botocore() -> PathBuf {
    let lib = root().join(".venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|dir| {
        dir.flatten()
            .map(|e| e.path().join("site-packages/botocore/data"))
            .find(|p| p.file_name().is_some() && p.is_dir())
    });
    found.unwrap_or_else(|| {
        panic!(
            "the AWS SDK's service models (botocore) are not in {}/python3*/site-packages/botocore/data: run `bash scripts/setup-moto.sh` (as .ci/run does) first",
            lib.display()
        )
    })
}

/// The newest service model of a service, e.g. `elbv2`.
fn model(service: &str) -> Value {
    let dir = botocore().join(service);
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `bash scripts/setup-moto.sh`)", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("service-2.json.gz").exists())
        .collect();
    versions.sort();
    let file = versions
        .last()
        .unwrap_or_else(|| panic!("no service-2.json.gz under {}", dir.display()))
        .join("service-2.json.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap()).read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Documentation as text: tags removed, entities read, spaces collapsed.
fn text(html: &str) -> String {
    let tags = regex_lite::Regex::new(r"<[^>]*>").unwrap();
    let plain = tags.replace_all(html, "");
    let plain = plain.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"");
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a row's model says: the target shape's constraints and all the documentation around it.
struct Said {
    min: Option<usize>,
    max: Option<usize>,
    pattern: Option<String>,
    docs: String,
}

fn said(m: &Model) -> Said {
    let doc = model(m.service);
    let shapes = &doc["shapes"];
    let structure = &shapes[m.shape];
    assert!(structure.is_object(), "{}: no shape {} in the model", m.service, m.shape);
    let mut docs = vec![structure["documentation"].as_str().unwrap_or("").to_string()];
    // The operation whose input this is: its documentation may state the rule (CreateLogGroup's does).
    for op in doc["operations"].as_object().unwrap().values() {
        if op["input"]["shape"] == m.shape {
            docs.push(op["documentation"].as_str().unwrap_or("").to_string());
        }
    }
    if m.member.is_empty() {
        return Said { min: None, max: None, pattern: None, docs: text(&docs.join(" ")) };
    }
    let member = &structure["members"][m.member];
    assert!(member.is_object(), "{}: {} has no member {}", m.service, m.shape, m.member);
    let target = &shapes[member["shape"].as_str().unwrap()];
    docs.push(member["documentation"].as_str().unwrap_or("").to_string());
    docs.push(target["documentation"].as_str().unwrap_or("").to_string());
    Said {
        min: target["min"].as_u64().map(|n| n as usize),
        max: target["max"].as_u64().map(|n| n as usize),
        pattern: target["pattern"].as_str().map(str::to_string),
        docs: text(&docs.join(" ")),
    }
}

fn whole(re: &str) -> regex_lite::Regex {
    regex_lite::Regex::new(&format!("^(?:{re})$")).unwrap_or_else(|e| panic!("{re}: {e}"))
}

/// Names to try a rule on: every printable ASCII character inside, at the start
/// and at the end of `base`, doubled, and a few forms (paths, runs of separators).
fn shapes_of(prefix: &str, base: &str) -> Vec<String> {
    let mut out = vec![base.to_string()];
    for c in ' '..='~' {
        let (head, tail) = base.split_at(base.len() / 2);
        out.extend([
            format!("{head}{c}{tail}"),
            format!("{c}{base}"),
            format!("{base}{c}"),
            format!("{head}{c}{c}{tail}"),
            format!("{head}{c}{c}{c}{tail}"),
        ]);
    }
    out.extend(["a/b/c", "a//b", "/a/b", "a--b", "a__b", "a___b", "a._b", "A1", "1a", "a.b-c_d"].map(str::to_string));
    out.into_iter().map(|s| format!("{prefix}{s}")).collect()
}

/// Names of lengths around the rule's bounds, of an allowed character.
fn lengths_of(prefix: &str, rule: &NameRule) -> Vec<String> {
    let n = |len: usize| format!("{prefix}{}", "a".repeat(len.saturating_sub(prefix.len())));
    vec![n(rule.min.saturating_sub(1)), n(rule.min), n(rule.min + 1), n(rule.max - 1), n(rule.max), n(rule.max + 1)]
}

fn name_rule(row: &Row) -> &NameRule {
    match &row.rule {
        Rule::Name(n) => n,
        _ => panic!("{} is not a name", row.id),
    }
}

/// Whether a name is one the row's prefixes or levels refuse (the model's pattern does not say those).
fn beyond_pattern(rule: &NameRule, name: &str) -> bool {
    let bare = name.trim_start_matches('/').to_lowercase();
    rule.not_prefixes.iter().any(|p| name.starts_with(p))
        || rule.not_prefixes_any_case.iter().any(|p| bare.starts_with(p))
        || rule.max_levels.is_some_and(|m| name.matches('/').count() > m)
}

#[test]
fn every_name_row_agrees_with_the_sdk_model_of_its_member() {
    for row in TABLE.iter().filter(|r| matches!(r.rule, Rule::Name(_))) {
        let rule = name_rule(row);
        assert!(!row.models.is_empty(), "{}: a name row names the member of the API that takes it", row.id);
        for m in row.models {
            let s = said(m);
            let at = format!("{} ({} {}.{})", row.id, m.service, m.shape, m.member);
            for phrase in m.says {
                assert!(
                    s.docs.contains(phrase),
                    "{at}: the model's documentation no longer says \"{phrase}\":\n{}",
                    s.docs
                );
            }
            if let Some(min) = s.min {
                assert_eq!(rule.min, min, "{at}: the model's least length");
            }
            match s.max {
                Some(max) if max != rule.max => assert!(
                    rule.max < max && m.says.iter().any(|p| p.contains(&rule.max.to_string())),
                    "{at}: the model says at most {max} characters, the row {}, and no documented phrase says why",
                    rule.max
                ),
                _ => {}
            }
            match &s.pattern {
                Some(pattern) => {
                    // The model's pattern is a Java regex; these ones read the same in regex-lite.
                    let re = whole(pattern);
                    let within = |n: &str| {
                        let len = n.chars().count();
                        s.min.is_none_or(|m| len >= m)
                            && s.max.is_none_or(|m| len <= m)
                            && len >= rule.min
                            && len <= rule.max
                    };
                    for name in shapes_of("", "abc").iter().chain(&lengths_of("", rule)) {
                        if beyond_pattern(rule, name) {
                            continue;
                        }
                        let model_says = within(name) && re.is_match(name);
                        assert_eq!(
                            row.check_name(name).is_ok(),
                            model_says,
                            "{at}: {name:?}: the row says {:?}, the model's pattern {pattern} (and length) {model_says}",
                            row.check_name(name)
                        );
                    }
                }
                None if s.min.is_none() && s.max.is_none() => {
                    // The shape is a plain string: the rule is only in the documentation.
                    assert!(
                        !m.says.is_empty(),
                        "{at}: the model carries no constraint; name the phrases of its documentation that state it"
                    );
                    assert!(
                        row.note.contains("only in"),
                        "{at}: say in the row's note that the model lacks it: {}",
                        row.note
                    );
                }
                None => {}
            }
        }
    }
}

/// Rules whose characters the model lists only in its documentation: the row's
/// character class must hold exactly letters, digits and those.
#[test]
fn characters_listed_only_in_the_documentation_are_the_rows() {
    // (row, the text just before the list, what else the documentation allows)
    let cases = [
        ("ec2.security_group_name", "Valid characters: a-z, A-Z, 0-9, spaces, and ", " "),
        ("secretsmanager.secret_name", "numbers, and the following characters: ", ""),
        ("ssm.parameter_name", "the following symbols and letters: a-zA-Z0-9", "/"),
        ("elb.load_balancer_name", "must contain only alphanumeric characters or hyphens", "-"),
        ("elb.target_group_name", "must contain only alphanumeric characters or hyphens", "-"),
        ("ecs.cluster_name", "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens", "_-"),
        ("ecs.container_name", "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens", "_-"),
    ];
    for (id, before, extra) in cases {
        let row = limits::row(id);
        let docs = said(&row.models[0]).docs;
        let at =
            docs.find(before).unwrap_or_else(|| panic!("{id}: the documentation no longer says \"{before}\": {docs}"));
        let listed: String = docs[at + before.len()..].chars().take_while(|c| !c.is_whitespace()).collect();
        let listed = listed.trim_end_matches(['.', ',']);
        let mut allowed: BTreeSet<char> = listed.chars().filter(|c| c.is_ascii_punctuation()).collect();
        allowed.extend(extra.chars());
        let class = whole(name_rule(row).chars);
        for c in ' '..='~' {
            let documented = c.is_ascii_alphanumeric() || allowed.contains(&c);
            assert_eq!(
                class.is_match(&c.to_string()),
                documented,
                "{id}: {c:?} (the documentation allows {allowed:?})"
            );
        }
    }
}

/// The pairs of the model's documentation of RegisterTaskDefinition's memory:
/// (cpu, memory values, the platform version it needs).
fn documented_task_sizes() -> Vec<(u32, Vec<u32>, Option<String>)> {
    let row = limits::row("fargate.task_size");
    let m = &row.models[0];
    let doc = model(m.service);
    let html = doc["shapes"][m.shape]["members"][m.member]["documentation"].as_str().unwrap().to_string();
    let number = regex_lite::Regex::new(r"\d+").unwrap();
    let parens = regex_lite::Regex::new(r"\([^)]*\)").unwrap();
    let platform = regex_lite::Regex::new(r"requires Linux platform ([0-9.]+) or later").unwrap();
    let mut out = Vec::new();
    for item in html.split("<li>").skip(1) {
        let item = text(item.split("</li>").next().unwrap());
        let Some((memory, cpu)) = item.split_once(" - Available cpu values: ") else { continue };
        let cpu: u32 = number.find(cpu).unwrap().as_str().parse().unwrap();
        let bare = parens.replace_all(memory, "").to_string();
        let nums: Vec<u32> = number.find_iter(&bare).map(|n| n.as_str().parse().unwrap()).collect();
        let values = if bare.starts_with("Between") {
            let unit = if bare.contains("GB") { 1024 } else { 1 };
            let [min, max, step] = nums[..] else { panic!("cannot read {item:?}") };
            (min * unit..=max * unit).step_by((step * unit) as usize).collect()
        } else {
            nums
        };
        out.push((cpu, values, platform.captures(&item).map(|c| c[1].to_string())));
    }
    assert!(out.len() >= 7, "the memory documentation no longer lists the pairs as expected: {html}");
    out
}

#[test]
fn fargate_task_sizes_are_the_ones_the_sdk_model_documents() {
    let documented = documented_task_sizes();
    let table: Vec<(u32, Vec<u32>, Option<String>)> =
        limits::task_sizes().iter().map(|s| (s.cpu, s.memory.values(), s.platform.map(str::to_string))).collect();
    assert_eq!(table, documented, "the table's Fargate task sizes and the ECS model's documentation differ");
    // The input catalog offers what the table holds.
    let lists = catalog();
    let cpu = lists.input("task_cpu").unwrap();
    let InputKind::Choice(choices) = &cpu.kind else { panic!("task_cpu is a choice") };
    assert_eq!(choices, &table.iter().map(|t| t.0.to_string()).collect::<Vec<_>>(), "task_cpu's choices");
    let memory = lists.input("task_memory").unwrap();
    let all: Vec<u32> = table.iter().flat_map(|t| t.1.clone()).collect();
    let (least, most) = (*all.iter().min().unwrap() as i64, *all.iter().max().unwrap() as i64);
    assert_eq!(memory.kind, InputKind::Number { min: Some(least), max: Some(most) }, "task_memory's range");
    assert!(matches!(limits::task_sizes()[0].memory, Memory::Listed(_)));
}

#[test]
fn fargate_spot_is_as_the_ecs_model_documents_and_preflight_does_not_choose_it() {
    let row = limits::row("fargate.spot_architecture");
    let Rule::Spot(archs) = &row.rule else { panic!("a Spot row") };
    let s = said(&row.models[0]);
    let re = regex_lite::Regex::new(
        r"FARGATE_SPOT supports Linux tasks with the (\w+) architecture on platform version ([0-9.]+) or later",
    )
    .unwrap();
    let documented: Vec<(String, String)> =
        re.captures_iter(&s.docs).map(|c| (c[1].to_string(), c[2].to_string())).collect();
    let table: Vec<(String, String)> = archs.iter().map(|(a, p)| (a.to_string(), p.to_string())).collect();
    assert_eq!(table, documented, "{}", s.docs);
    // The row is a guard: the service runs with launchType FARGATE, never a capacity provider strategy.
    let service = std::fs::read_to_string(root().join("src/kinds/ecs/service.rs")).unwrap();
    assert!(
        service.contains("LaunchType::Fargate") && !service.contains("capacity_provider_strategy"),
        "src/kinds/ecs/service.rs now chooses a capacity provider: check cpu_architecture and platform_version with engine::limits::spot where it is chosen"
    );
}

#[test]
fn the_task_definition_size_is_a_quota_no_model_carries() {
    let row = limits::row("ecs.task_definition_size");
    assert!(row.models.is_empty() && row.note.contains("quota"), "{row:?}");
    assert!(matches!(row.rule, Rule::Bytes(65_536)));
}

fn catalog() -> Checklists {
    load_all(&Library::builtin(), &Registry).unwrap_or_else(|e| panic!("{e:?}"))
}

/// An input that is a name (`cluster`) agrees with its row: its pattern takes
/// exactly the names the row takes (preflight's own convention aside: a log
/// group starts with /), and its rule says the row's length.
#[test]
fn inputs_that_are_names_agree_with_the_table() {
    let lists = catalog();
    for named in NAMED {
        let Some(input) = named.input() else { continue };
        let def =
            lists.input(input).unwrap_or_else(|| panic!("NAMED names the input {input}, which no checklist declares"));
        let row = limits::row(named.row);
        let rule = name_rule(row);
        let convention = if input == "log_group" { "/" } else { "" };
        let pattern = whole(def.pattern.as_deref().unwrap_or_else(|| panic!("{input} has no pattern")));
        for name in shapes_of(convention, "abc") {
            assert_eq!(
                pattern.is_match(&name),
                row.check_name(&name).is_ok(),
                "{input}: {name:?}: its pattern {} and the row {} disagree ({:?})",
                pattern.as_str(),
                row.id,
                row.check_name(&name)
            );
        }
        for name in lengths_of(convention, rule) {
            assert_eq!(
                validate(def, &name).is_ok(),
                row.check_name(&name).is_ok(),
                "{input}: a name of {} characters: the input says {:?}, the row {:?}",
                name.len(),
                validate(def, &name),
                row.check_name(&name)
            );
        }
        let said = def.rule.as_deref().unwrap_or_default();
        assert!(
            said.contains(&rule.max.to_string()),
            "{input}: its rule should say at most {} characters: {said}",
            rule.max
        );
    }
}

/// The names the table derives are the ones the checklists and kinds make.
#[test]
fn derived_names_are_made_as_the_table_says() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let elb = read("src/kinds/elb/mod.rs");
    let ec2 = read("src/kinds/ec2/network.rs");
    let secrets = read("checklists/secrets.toml");
    for named in NAMED.iter().filter(|n| n.input().is_none()) {
        let made = match (named.name, named.row) {
            ("{{project}}-alb", "elb.load_balancer_name") => preflight::kinds::elb::alb_name("p") == "p-alb",
            ("{{project}}-tg", "elb.target_group_name") => elb.contains("format!(\"{project}-tg\")"),
            ("{{project}}-alb", "ec2.security_group_name") => ec2.contains("format!(\"{}-alb\", p.project)"),
            ("{{project}}-ecs", "ec2.security_group_name") => ec2.contains("format!(\"{}-ecs\", p.project)"),
            ("{{project}}-secrets-read", "iam.policy_name") => {
                secrets.contains("policy_name = \"{{project}}-secrets-read\"")
            }
            other => panic!("{other:?}: say in this test where preflight makes this name"),
        };
        assert!(made, "{} ({}) is no longer made so: update engine::limits::NAMED", named.name, named.made);
    }
}
