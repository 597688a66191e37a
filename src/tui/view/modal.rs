//! Overlays: the help (generated from the key table), consent to a change
//! (with its plan and diffs), and quitting while a run is in progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use super::detail::change_lines;
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
            lines.push(Line::raw(""));
            lines.push(Line::styled(" Ctrl-C quits at once; the state is saved after every step.", theme.dim()));
            let height = lines.len() as u16 + 2;
            boxed(frame, centered(area, 78, height), "Keys", "any key closes this help", lines, theme);
        }
        Some(Modal::Consent { checklist, step, changes, .. }) => {
            let mut lines = vec![Line::from(vec![
                Span::raw(" This step changes the account "),
                Span::styled(app.header.account_id.clone(), theme.title()),
                Span::raw(":"),
            ])];
            change_lines(&mut lines, changes, theme, true);
            let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
            let title = format!(
                "{checklist} / {step}: apply {} change{}?",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            );
            let area = centered(area, area.width.saturating_sub(4).min(100), height);
            boxed(frame, area, &title, "y apply · n do not apply (the run stops here)", lines, theme);
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
