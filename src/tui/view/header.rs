//! Who and where, always on screen; a warning colour when the account or
//! region is not what the profile expects.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::engine::text::shorten;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let h = &app.header;
    let width = usize::from(area.width);
    let context = if h.mismatch.is_some() { theme.warn() } else { theme.title() };
    let mut first = vec![
        Span::styled("preflight", theme.key()),
        Span::raw("  account "),
        Span::styled(h.account_id.clone(), context),
        Span::raw("  region "),
        Span::styled(h.region.clone(), context),
    ];
    // What does not fit is cut with `…`, never silently.
    let used: usize = first.iter().map(|s| s.content.chars().count()).sum();
    first.push(Span::styled(shorten(&format!("  {}", h.principal_arn), width.saturating_sub(used)), theme.dim()));
    let profile = shorten(&format!("profile {}", h.profile_file), width);
    let mut second = vec![Span::styled(profile.clone(), theme.dim())];
    if let Some(m) = &h.mismatch {
        let room = width.saturating_sub(profile.chars().count());
        second.push(Span::styled(shorten(&format!("  ⚠ {m}"), room), theme.warn()));
    }
    let first = Line::from(first);
    frame.render_widget(Paragraph::new(vec![first, Line::from(second)]), area);
}
