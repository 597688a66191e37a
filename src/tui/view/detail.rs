//! Right: the selected step (what it does and why, its inputs, its plan with
//! document diffs, its last probe results) or the selected checklist.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::hints;
use crate::aws::change::Tag;
use crate::aws::exec::{Change, Table};
use crate::engine::model::InputDef;
use crate::engine::outcome::Status;
use crate::engine::render;
use crate::engine::text::progress_line;
use crate::tui::app::{App, Row};

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::styled(text.to_string(), theme.title())
}

/// A template filled with what may be shown (an unset value as what it is),
/// reflowed: the line breaks of the checklist file go, blank lines stay, so the
/// text wraps to the pane.
fn fill(text: &str, defs: &[InputDef], app: &App) -> Vec<Line<'static>> {
    let text = render::text(text, defs, &|n| app.shown.get(n).cloned());
    let mut out = Vec::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
        out.push(Line::raw(para.split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    out
}

fn inputs(lines: &mut Vec<Line<'static>>, names: &[String], defs: &[InputDef], app: &App, theme: &Theme) {
    if names.is_empty() {
        return;
    }
    lines.push(Line::raw(""));
    lines.push(heading("Inputs", theme));
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for name in names {
        if let Some(why) = app.invalid.get(name) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {name:<width$}  "), theme.dim()),
                Span::styled(format!("✘ {why} (e edits it)"), theme.status(Status::Fail)),
            ]));
            continue;
        }
        let value = match app.shown.get(name) {
            Some(v) if v.trim().is_empty() => Span::styled(render::unset(name, defs), theme.dim()),
            Some(v) => Span::raw(v.clone()),
            None => Span::styled("not set: asked for when the step runs", theme.warn()),
        };
        lines.push(Line::from(vec![Span::styled(format!("  {name:<width$}  "), theme.dim()), value]));
    }
}

/// Changes as the plan prints them (`Change::text`), styled: the same text a consent shows.
pub fn change_lines(lines: &mut Vec<Line<'static>>, changes: &[Change], theme: &Theme, diffs: bool) {
    for c in changes {
        for (tag, text) in c.text(diffs) {
            lines.push(Line::styled(format!("  {text}"), style_of(tag, theme)));
        }
    }
}

/// How a line of a change's text is styled.
pub fn style_of(tag: Tag, theme: &Theme) -> ratatui::style::Style {
    match tag {
        Tag::Head => theme.change(),
        Tag::Param | Tag::Same | Tag::Gap => theme.dim(),
        Tag::Added => theme.added(),
        Tag::Removed => theme.removed(),
    }
}

/// A table in aligned columns, its header dimmed.
fn table_lines(lines: &mut Vec<Line<'static>>, table: &Table, theme: &Theme) {
    lines.push(Line::raw(""));
    lines.push(heading(&table.title, theme));
    let columns = table.header.len();
    let width = |i: usize| {
        std::iter::once(&table.header)
            .chain(&table.rows)
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..columns).map(width).collect();
    let row = |cells: &Vec<String>| {
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect();
        format!("  {}", text.join("  ").trim_end())
    };
    lines.push(Line::styled(row(&table.header), theme.dim()));
    lines.extend(table.rows.iter().map(|r| Line::raw(row(r))));
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(1), ..area };
    let mut lines: Vec<Line<'static>> = Vec::new();
    match app.selected_row() {
        Row::List(l) => {
            let list = &app.lists[l];
            let c = &list.checklist;
            lines.push(Line::from(vec![
                Span::styled(c.id.clone(), theme.title()),
                Span::raw(format!(" — {}", c.title)),
            ]));
            lines.push(Line::styled(
                match list.recorded() {
                    0 => format!("{}/{} steps verified now", list.verified(), c.steps.len()),
                    n => format!(
                        "{}/{} steps verified now · {n} shown as recorded (~), not verified now (V verifies)",
                        list.verified(),
                        c.steps.len()
                    ),
                },
                theme.dim(),
            ));
            // An input this checklist uses that is not valid is its problem, said first.
            let mut bad: Vec<&String> = list.inputs.iter().flatten().filter(|n| app.invalid.contains_key(*n)).collect();
            bad.sort();
            bad.dedup();
            for name in bad {
                lines.push(Line::styled(
                    format!("✘ input `{name}` is not valid: {} (e edits it)", app.invalid[name]),
                    theme.status(Status::Fail),
                ));
            }
            lines.push(Line::raw(""));
            lines.extend(fill(&c.summary, &c.inputs, app));
            lines.push(Line::raw(""));
            lines.push(heading("Steps", theme));
            for &s in &list.order {
                let r = &list.reports[s];
                let (lead, style) =
                    if list.is_recorded(s) { (" ~", theme.dim()) } else { ("  ", theme.status(r.status)) };
                lines.push(Line::from(vec![
                    Span::styled(format!("{lead}{} ", r.status.mark()), style),
                    Span::raw(format!("{} — {}", c.steps[s].id, c.steps[s].title)),
                ]));
            }
            let names: Vec<String> = c.inputs.iter().map(|i| i.name.clone()).collect();
            inputs(&mut lines, &names, &c.inputs, app, theme);
        }
        Row::Step(l, s) => {
            let list = &app.lists[l];
            let step = &list.checklist.steps[s];
            let report = &list.reports[s];
            lines.push(Line::from(vec![
                Span::styled(step.id.clone(), theme.title()),
                Span::raw(format!(" — {}", step.title)),
            ]));
            let running = app.running.as_ref().is_some_and(|(c, id)| *c == list.checklist.id && *id == step.id);
            let recorded = list.is_recorded(s);
            let mut status = if running {
                vec![Span::styled("running…".to_string(), theme.key())]
            } else if recorded {
                vec![Span::styled(format!("~{} {:?}", report.status.mark(), report.status).to_lowercase(), theme.dim())]
            } else {
                vec![Span::styled(
                    format!("{} {:?}", report.status.mark(), report.status).to_lowercase(),
                    theme.status(report.status),
                )]
            };
            match (&report.updated_at, recorded) {
                (Some(t), true) => {
                    status.push(Span::styled(format!(" · recorded {t}, not verified now (v verifies)"), theme.warn()))
                }
                (Some(t), false) => status.push(Span::styled(format!(" · probed {t}"), theme.dim())),
                _ => {}
            }
            if !step.needs.is_empty() {
                status.push(Span::styled(format!(" · needs {}", step.needs.join(", ")), theme.dim()));
            }
            if step.action.is_none() {
                status
                    .push(Span::styled(" · no action: done by hand or by another checklist".to_string(), theme.warn()));
            }
            lines.push(Line::from(status));
            if let Some(skip) = report.skip.as_ref().filter(|_| report.status == Status::Skipped) {
                lines.push(Line::styled(format!("{} · s unskips", skip.text()), theme.warn()));
            }
            if running && !app.transfers.is_empty() {
                lines.push(Line::raw(""));
                lines.push(heading("Transfers", theme));
                for (what, done, total) in &app.transfers {
                    lines.push(Line::raw(format!("  {}", progress_line(what, *done, *total))));
                }
            }
            if let Some((_, _, table)) =
                app.table.as_ref().filter(|(c, id, _)| *c == list.checklist.id && *id == step.id)
            {
                table_lines(&mut lines, table, theme);
            }
            if !report.probes.is_empty() {
                lines.push(Line::raw(""));
                lines.push(heading("Probes", theme));
                // The CLI's commands in these texts are said as the wizard's keys.
                let keys = |t: &str| hints::as_keys(t, &list.checklist.id, &step.id);
                for p in &report.probes {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {} ", p.status.mark()), theme.status(p.status)),
                        Span::styled(format!("{}: ", p.id), theme.title()),
                        Span::raw(keys(&p.message)),
                    ]));
                    if let Some(fix) = p.fix.as_ref().filter(|_| p.status != Status::Pass) {
                        lines.push(Line::styled("    fix:".to_string(), theme.warn()));
                        lines.extend(keys(fix).lines().map(|l| Line::raw(format!("      {l}"))));
                    }
                }
            }
            let keys = |t: &str| hints::as_keys(t, &list.checklist.id, &step.id);
            // An error is said as it is (it may quote a command another process runs).
            if let Some(e) = &report.error {
                lines.push(Line::raw(""));
                lines.push(Line::styled(e.clone(), theme.status(Status::Fail)));
            }
            if let Some(fix) = &report.fix {
                lines.push(Line::styled("fix:".to_string(), theme.warn()));
                lines.extend(keys(fix).lines().map(|l| Line::raw(format!("  {l}"))));
            }
            if !report.changes.is_empty() {
                lines.push(Line::raw(""));
                lines.push(heading(if report.applied { "Changed" } else { "Plan" }, theme));
                change_lines(&mut lines, &report.changes, theme, !report.applied);
            }
            lines.push(Line::raw(""));
            lines.push(heading("What and why", theme));
            lines.extend(fill(&step.explain, &list.checklist.inputs, app));
            inputs(&mut lines, &list.inputs[s], &list.checklist.inputs, app, theme);
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.detail_scroll, 0)), area);
}
