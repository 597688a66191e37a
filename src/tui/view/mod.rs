//! Render functions, one per screen area. Each reads the App and draws; none
//! changes anything.

mod detail;
mod header;
pub mod hints;
mod log;
pub mod modal;
mod theme;
mod tree;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Row};
use super::keys::BINDINGS;
use crate::engine::outcome::Status;
pub use theme::Theme;

pub struct Areas {
    pub header: Rect,
    pub tree: Rect,
    pub detail: Rect,
    pub log: Rect,
    pub footer: Rect,
}

/// Where everything goes; `update` uses it too, to know what the mouse is over.
pub fn areas(area: Rect) -> Areas {
    let log_height = (area.height / 4).clamp(5, 12);
    let [header, body, log, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(5),
        Constraint::Length(log_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let tree_width = (area.width * 35 / 100).clamp(28, 44);
    let [tree, detail] = Layout::horizontal([Constraint::Length(tree_width), Constraint::Min(20)]).areas(body);
    Areas { header, tree, detail, log, footer }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let a = areas(frame.area());
    header::draw(frame, a.header, app, &theme);
    tree::draw(frame, a.tree, app, &theme);
    detail::draw(frame, a.detail, app, &theme);
    log::draw(frame, a.log, app, &theme);
    footer(frame, a.footer, app, &theme);
    modal::draw(frame, frame.area(), app, &theme);
}

fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = match &app.notice {
        Some(text) => Line::from(Span::styled(text.clone(), theme.warn())),
        None => {
            // The full hints when they fit; else tighter; else without the least needed ones.
            // c and i are offered where they apply: a manual step; a step with a probe not run.
            let selected = match app.selected_row() {
                Row::Step(l, s) => Some(&app.lists[l].reports[s]),
                Row::List(_) => None,
            };
            let manual = selected.is_some_and(|r| r.status == Status::Manual);
            let opt_in = selected.is_some_and(|r| r.probes.iter().any(|p| p.status == Status::Skipped));
            let mut hints: Vec<(&str, &str)> = BINDINGS
                .iter()
                .filter(|b| match b.keys {
                    "c" => manual,
                    "i" => opt_in,
                    _ => true,
                })
                .filter_map(|b| Some((b.keys, b.short?)))
                .collect();
            let width = |hints: &[(&str, &str)], sep: usize| -> usize {
                hints.iter().map(|(k, s)| k.chars().count() + 1 + s.chars().count() + sep).sum::<usize>() - sep
            };
            let room = area.width as usize;
            // What a key on the screen says (e edit, c confirm) goes last.
            for drop in ["V", "p", "r", "s", "e"] {
                if width(&hints, 1) <= room {
                    break;
                }
                hints.retain(|(k, _)| *k != drop);
            }
            let sep = if width(&hints, 3) <= room { " · " } else { " " };
            let mut spans = Vec::new();
            for (k, short) in hints {
                if !spans.is_empty() {
                    spans.push(Span::styled(sep, theme.dim()));
                }
                spans.push(Span::styled(k.to_string(), theme.key()));
                spans.push(Span::raw(format!(" {short}")));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}
