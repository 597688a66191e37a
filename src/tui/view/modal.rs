//! Overlays: the help (generated from the key table), consent to a change
//! (with its plan and diffs), and quitting while a run is in progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use super::wrap::wrap;
use crate::aws::exec::Change;
use crate::tui::app::{App, Modal};
use crate::tui::keys::BINDINGS;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(area);
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(h);
    v
}

fn boxed(frame: &mut Frame, area: Rect, title: &str, keys: &str, lines: Vec<Line<'static>>, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.key())
        .title(format!(" {title} "))
        .title_bottom(Line::styled(format!(" {keys} "), theme.key()));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

/// A dialog showing the part of its (already laid out) lines that fits: no wrapping here.
fn scrolled(
    frame: &mut Frame,
    area: Rect,
    (title, border): (&str, Style),
    keys: &str,
    shown: Vec<Line<'static>>,
    theme: &Theme,
) {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(format!(" {title} "))
        .title_bottom(Line::styled(format!(" {keys} "), theme.key()));
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// The consent dialog laid out on a screen: where it goes, its content
/// wrapped to its width, and how many content lines fit. `update` uses it
/// to know when the whole plan has been shown.
pub struct ConsentGeometry {
    pub area: Rect,
    pub lines: Vec<Line<'static>>,
    pub visible: usize,
}

/// `whose`: `up` (every change of the run), `destroy` (every removal), else a step's checklist.
pub fn consent_geometry(
    screen: Rect,
    account: &str,
    changes: &[Change],
    whose: &str,
    theme: &Theme,
) -> ConsentGeometry {
    let width = screen.width.saturating_sub(4).min(100);
    let inner = usize::from(width.saturating_sub(2)).max(10);
    let mut text: Vec<(Style, String, usize)> = vec![(
        Style::default(),
        match whose {
            "up" => format!(" This run changes the account {account}:"),
            "destroy" => format!(" This removes what preflight made from the account {account}, newest first:"),
            _ => format!(" This step changes the account {account}:"),
        },
        1,
    )];
    for (n, c) in changes.iter().enumerate() {
        text.push((Style::default(), String::new(), 0));
        text.push((theme.title(), format!(" Change {} of {}:", n + 1, changes.len()), 1));
        // The plan's own text of the change (what `plan` prints), wrapped to the dialog.
        for (tag, line) in c.text(true) {
            let indent = line.chars().take_while(|c| *c == ' ').count() + 3;
            text.push((super::detail::style_of(tag, theme), format!(" {line}"), indent));
        }
    }
    let lines: Vec<Line<'static>> = text
        .into_iter()
        .flat_map(|(style, t, indent)| wrap(&t, inner, indent).into_iter().map(move |l| Line::styled(l, style)))
        .collect();
    let height = (lines.len() as u16 + 2).min(screen.height.saturating_sub(2)).max(3);
    let area = centered(screen, width, height);
    ConsentGeometry { visible: usize::from(height - 2), area, lines }
}

/// The permissions dialog laid out on a screen: what is missing, then the
/// policy, each line of it whole on a line of its own (copyable with the mouse
/// too); `update` scrolls by it.
pub struct PermissionsGeometry {
    pub area: Rect,
    pub lines: Vec<String>,
    pub visible: usize,
}

pub fn permissions_geometry(screen: Rect, missing: &[String], policy: &str) -> PermissionsGeometry {
    let width = screen.width.saturating_sub(4).min(110);
    let inner = usize::from(width.saturating_sub(2)).max(10);
    let mut lines = vec![" Nothing was changed: the caller lacks what this run needs.".to_string(), String::new()];
    for m in missing {
        lines.extend(wrap(&format!(" {m}"), inner, 3));
    }
    lines.push(String::new());
    lines.push(" Grant exactly this, e.g. as a policy attached to the caller:".into());
    lines.extend(policy.lines().map(|l| format!(" {l}")));
    let height = (lines.len() as u16 + 2).min(screen.height.saturating_sub(2)).max(3);
    PermissionsGeometry { area: centered(screen, width, height), visible: usize::from(height - 2), lines }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.modal {
        None => {}
        Some(Modal::Help) => {
            let width = BINDINGS.iter().map(|b| b.keys.chars().count()).max().unwrap_or(0);
            let mut lines: Vec<Line> = BINDINGS
                .iter()
                .map(|b| {
                    Line::from(vec![Span::styled(format!(" {:<width$}  ", b.keys), theme.key()), Span::raw(b.help)])
                })
                .collect();
            // No blank line: the whole table fits 80×24.
            lines.push(Line::styled(" Ctrl-C quits at once; the state is saved after every step.", theme.dim()));
            let height = lines.len() as u16 + 2;
            boxed(frame, centered(area, 78, height), "Keys", "any key closes this help", lines, theme);
        }
        Some(Modal::Consent { checklist, step, changes, scroll, seen_end, .. }) => {
            let g = consent_geometry(area, &app.header.account_id, changes, checklist, theme);
            let top = (*scroll).min(g.lines.len().saturating_sub(g.visible));
            let shown: Vec<Line<'static>> = g.lines.iter().skip(top).take(g.visible).cloned().collect();
            let last = (top + g.visible).min(g.lines.len());
            let title = format!(
                "{checklist} / {step}: apply {} change{}?",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            );
            let keys = if *seen_end {
                format!("y apply · n/q/Esc no · ↑↓ PgUp PgDn scroll · lines {}–{last} of {}", top + 1, g.lines.len())
            } else {
                format!(
                    "↓ PgDn End: read to the end, then y · n/q/Esc no · lines {}–{last} of {}",
                    top + 1,
                    g.lines.len()
                )
            };
            scrolled(frame, g.area, (&title, theme.key()), &keys, shown, theme);
        }
        Some(Modal::Permissions { checklist, lines, policy, scroll }) => {
            let g = permissions_geometry(area, lines, policy);
            let top = (*scroll).min(g.lines.len().saturating_sub(g.visible));
            let last = (top + g.visible).min(g.lines.len());
            let shown: Vec<Line<'static>> =
                g.lines.iter().skip(top).take(g.visible).map(|l| Line::raw(l.clone())).collect();
            let keys = format!(
                "c copy the policy · ↑↓ PgUp PgDn scroll · Esc close · lines {}–{last} of {}",
                top + 1,
                g.lines.len()
            );
            let title = format!("{checklist}: permissions missing");
            scrolled(frame, g.area, (&title, theme.warn()), &keys, shown, theme);
        }
        Some(Modal::QuitWhileRunning) => {
            let lines = vec![
                Line::raw(" A run is in progress. Quit now?"),
                Line::styled(
                    " The state is saved; the interrupted step is probed and finished next time.",
                    theme.dim(),
                ),
            ];
            boxed(frame, centered(area, 70, 5), "Quit?", "y quit · n keep running", lines, theme);
        }
    }
}
