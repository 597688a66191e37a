//! Bottom: the live log of the current run, every API call with its duration.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::engine::outcome::Status;
use crate::tui::app::{App, LogKind};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let title = if app.log_scroll > 0 { format!(" Log (↑{}) ", app.log_scroll) } else { " Log ".to_string() };
    let block = Block::default().borders(Borders::TOP).border_style(theme.dim()).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let end = app.log.len().saturating_sub(app.log_scroll);
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = app.log[start..end]
        .iter()
        .map(|l| {
            let style = match l.kind {
                LogKind::Read => theme.dim(),
                LogKind::Change => theme.change(),
                LogKind::Failure => theme.status(Status::Fail),
                LogKind::Note => Default::default(),
                LogKind::Wait => theme.warn(),
                LogKind::Progress => theme.key(),
            };
            Line::styled(l.text.clone(), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
