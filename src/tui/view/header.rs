//! Who and where, always on screen; a warning colour when the account or
//! region is not what the profile expects.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let h = &app.header;
    let context = if h.mismatch.is_some() { theme.warn() } else { theme.title() };
    let first = Line::from(vec![
        Span::styled("preflight", theme.key()),
        Span::raw("  account "),
        Span::styled(h.account_id.clone(), context),
        Span::raw("  region "),
        Span::styled(h.region.clone(), context),
        Span::styled(format!("  {}", h.principal_arn), theme.dim()),
    ]);
    let mut second = vec![Span::styled(format!("profile {}", h.profile_file), theme.dim())];
    if let Some(m) = &h.mismatch {
        second.push(Span::styled(format!("  ⚠ {m}"), theme.warn()));
    }
    frame.render_widget(Paragraph::new(vec![first, Line::from(second)]), area);
}
