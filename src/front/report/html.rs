//! The report as one self-contained HTML file: inline style, no script, no
//! external asset, so that a browser opens it offline; everything escaped.

use super::{Report, word};

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}\
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f6f8fa}code{font:12px ui-monospace,monospace;word-break:break-all}\
.pass{color:#1a7f37}.fail,.error,.blocked{color:#cf222e}.manual,.pending,.skipped{color:#9a6700}\
.recorded{color:#6e7781;font-style:italic}";

pub fn render(r: &Report) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>preflight report {}</title><style>{STYLE}</style></head><body>\n",
        esc(&r.account)
    );
    out.push_str(&format!(
        "<h1>preflight report</h1>\n<p>account {} · region {} · made {} by <code>{}</code> · profile <code>{}</code></p>\n",
        esc(&r.account),
        esc(&r.region),
        esc(&r.generated_at),
        esc(&r.caller),
        esc(&r.profile)
    ));
    if let Some(url) = super::service_address(r) {
        out.push_str(&format!("<p>The service's load balancer: <code>{}</code></p>\n", esc(&url)));
    }
    for c in &r.checklists {
        out.push_str(&format!(
            "<h2>{} — {}</h2>\n<table><tr><th></th><th>step</th><th>verified</th><th>outputs</th><th>notes</th></tr>\n",
            esc(&c.id),
            esc(&c.title)
        ));
        for s in &c.steps {
            let class = word(s.status);
            let when = match (&s.at, s.verified_now) {
                (Some(at), true) => {
                    format!("now ({}) by <code>{}</code>", esc(at), esc(s.by.as_deref().unwrap_or("?")))
                }
                (Some(at), false) => {
                    format!("<span class=\"recorded\">recorded only ({}): not verified now</span>", esc(at))
                }
                (None, _) => "never".into(),
            };
            let outputs: Vec<String> =
                s.outputs.iter().map(|(k, v)| format!("{}: <code>{}</code>", esc(k), esc(v))).collect();
            let mut notes = Vec::new();
            if let Some(k) = &s.skipped {
                notes.push(format!("skipped by <code>{}</code> at {}: {}", esc(&k.by), esc(&k.at), esc(&k.reason)));
            }
            if let Some(c) = &s.confirmed {
                notes.push(format!(
                    "confirmed at {} by <code>{}</code>",
                    esc(&c.at),
                    esc(c.by.as_deref().unwrap_or("(not recorded)"))
                ));
            }
            if let Some(p) = &s.problem {
                notes.push(esc(p));
            }
            out.push_str(&format!(
                "<tr><td class=\"{class}\">{} {class}</td><td><b>{}</b> {}</td><td>{when}</td><td>{}</td><td>{}</td></tr>\n",
                s.status.mark(),
                esc(&s.id),
                esc(&s.title),
                outputs.join("<br>"),
                notes.join("<br>")
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("<h2>Left to do</h2>\n");
    if r.left.is_empty() {
        out.push_str("<p>Nothing: every step passes or was skipped on purpose.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for l in &r.left {
            let fix = l
                .fix
                .as_deref()
                .map(|f| format!("<br>fix: <code>{}</code>", esc(f).replace('\n', "<br>")))
                .unwrap_or_default();
            out.push_str(&format!("<li><b>{}</b> ({}): {}{fix}</li>\n", esc(&l.step), word(l.status), esc(&l.problem)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Changes made through preflight in this account and region</h2>\n");
    if r.changes.is_empty() {
        out.push_str("<p>None recorded.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>time</th><th>caller</th><th>step</th><th>call</th><th>target</th><th>outcome</th></tr>\n",
        );
        for c in &r.changes {
            out.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                esc(&c.time),
                esc(&c.caller),
                esc(&c.step),
                esc(&c.call),
                esc(&c.target),
                esc(&c.outcome)
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
