//! The report as Markdown, as GitHub renders it: a heading per checklist, a
//! table of its steps, then what is left and what preflight changed.

use super::{Report, word};

/// A table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(r: &Report) -> String {
    let mut out = format!(
        "# preflight report\n\naccount {} · region {} · made {} by `{}` · profile `{}`\n\n",
        r.account, r.region, r.generated_at, r.caller, r.profile
    );
    if let Some(url) = super::service_address(r) {
        out.push_str(&format!("The service's load balancer: {url}\n\n"));
    }
    let total: usize = r.checklists.iter().map(|c| c.steps.len()).sum();
    let passing = r.checklists.iter().flat_map(|c| &c.steps).filter(|s| word(s.status) == "pass").count();
    out.push_str(&format!("{passing} of {total} steps pass; {} left to do.\n", r.left.len()));
    for c in &r.checklists {
        out.push_str(&format!("\n## {} — {}\n\n", c.id, cell(&c.title)));
        out.push_str("| | step | verified | outputs | notes |\n|---|---|---|---|---|\n");
        for s in &c.steps {
            let when = match (&s.at, s.verified_now) {
                (Some(at), true) => format!("now ({at}) by `{}`", s.by.as_deref().unwrap_or("?")),
                (Some(at), false) => format!("recorded only ({at}): not verified now"),
                (None, _) => "never".into(),
            };
            let outputs: Vec<String> = s.outputs.iter().map(|(k, v)| format!("{k}: `{}`", cell(v))).collect();
            let mut notes = Vec::new();
            if let Some(k) = &s.skipped {
                notes.push(format!("skipped by `{}` at {}: {}", k.by, k.at, cell(&k.reason)));
            }
            if let Some(c) = &s.confirmed {
                notes.push(format!("confirmed at {} by `{}`", c.at, c.by.as_deref().unwrap_or("(not recorded)")));
            }
            if let Some(p) = &s.problem {
                notes.push(cell(p));
            }
            out.push_str(&format!(
                "| {} {} | **{}** {} | {} | {} | {} |\n",
                s.status.mark(),
                word(s.status),
                s.id,
                cell(&s.title),
                when,
                outputs.join("<br>"),
                notes.join("<br>")
            ));
        }
    }
    out.push_str("\n## Left to do\n\n");
    if r.left.is_empty() {
        out.push_str("Nothing: every step passes or was skipped on purpose.\n");
    }
    for l in &r.left {
        out.push_str(&format!("- **{}** ({}): {}\n", l.step, word(l.status), cell(&l.problem)));
        if let Some(fix) = &l.fix {
            // As a block: fixes run to several lines (commands, a policy).
            let fence = if fix.contains("```") { "~~~" } else { "```" };
            let body: Vec<String> = fix.lines().map(|line| format!("  {line}")).collect();
            out.push_str(&format!("\n  fix:\n\n  {fence}text\n{}\n  {fence}\n\n", body.join("\n")));
        }
    }
    out.push_str("\n## Changes made through preflight in this account and region\n\n");
    if r.changes.is_empty() {
        out.push_str("None recorded.\n");
    } else {
        out.push_str("| time | caller | step | call | target | outcome |\n|---|---|---|---|---|---|\n");
        for c in &r.changes {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | `{}` | {} |\n",
                c.time,
                c.caller,
                c.step,
                c.call,
                cell(&c.target),
                c.outcome
            ));
        }
    }
    out
}
