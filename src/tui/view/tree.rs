//! Left: the checklists and their steps, each with its mark, and a progress
//! gauge per checklist.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, LineGauge, Paragraph};

use super::Theme;
use crate::engine::outcome::Status;
use crate::tui::app::{App, Row};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

enum Visual {
    Row(usize, Row),
    Gauge(usize),
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::default().borders(Borders::RIGHT).border_style(theme.dim());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut visual = Vec::new();
    for (i, row) in app.rows().into_iter().enumerate() {
        visual.push(Visual::Row(i, row));
        if let Row::List(l) = row {
            visual.push(Visual::Gauge(l));
        }
    }
    let height = inner.height as usize;
    let at = visual.iter().position(|v| matches!(v, Visual::Row(i, _) if *i == app.selected)).unwrap_or(0);
    let offset = at.saturating_sub(height.saturating_sub(1));
    for (y, v) in visual.iter().skip(offset).take(height).enumerate() {
        let rect = Rect::new(inner.x, inner.y + y as u16, inner.width, 1);
        match v {
            Visual::Gauge(l) => {
                let list = &app.lists[*l];
                // Only what was verified in this session counts; recorded marks are counted apart.
                let (done, total, recorded) = (list.verified(), list.reports.len().max(1), list.recorded());
                let label = match recorded {
                    0 => format!("  {done}/{total}"),
                    n => format!("  {done}/{total} ~{n}"),
                };
                let gauge = LineGauge::default()
                    .ratio(done as f64 / total as f64)
                    .label(label)
                    .filled_style(theme.status(Status::Pass))
                    .unfilled_style(theme.dim());
                frame.render_widget(gauge, rect);
            }
            Visual::Row(i, row) => {
                let line = match *row {
                    Row::List(l) => Line::from(Span::styled(app.lists[l].checklist.id.clone(), theme.title())),
                    Row::Step(l, s) => {
                        let list = &app.lists[l];
                        let step = &list.checklist.steps[s];
                        let running =
                            app.running.as_ref().is_some_and(|(c, id)| *c == list.checklist.id && *id == step.id);
                        let status = list.reports[s].status;
                        let mark = if running { SPINNER[app.tick % SPINNER.len()] } else { status.mark() };
                        // A recorded result is marked `~` and dimmed: it was not verified now.
                        let (lead, style) = match (running, list.is_recorded(s)) {
                            (true, _) => ("  ", theme.key()),
                            (false, true) => (" ~", theme.dim()),
                            (false, false) => ("  ", theme.status(status)),
                        };
                        Line::from(vec![
                            Span::styled(lead, theme.dim()),
                            Span::styled(mark, style),
                            Span::raw(format!(" {}", step.id)),
                        ])
                    }
                };
                let style = if *i == app.selected { theme.selected() } else { Default::default() };
                frame.render_widget(Paragraph::new(line).style(style), rect);
            }
        }
    }
}
