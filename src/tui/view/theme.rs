//! Colours, or none at all under NO_COLOR (emphasis then comes from bold and reverse video).

use ratatui::style::{Color, Modifier, Style};

use crate::engine::outcome::Status;

pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(&self, color: Color) -> Style {
        if self.color { Style::default().fg(color) } else { Style::default() }
    }
    pub fn status(&self, status: Status) -> Style {
        match status {
            Status::Pass => self.fg(Color::Green),
            Status::Fail | Status::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Manual => self.fg(Color::Yellow),
            Status::Blocked => self.fg(Color::Magenta),
            Status::Skipped | Status::Pending => self.dim(),
        }
    }
    pub fn dim(&self) -> Style {
        if self.color { Style::default().fg(Color::DarkGray) } else { Style::default() }
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn added(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn removed(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn change(&self) -> Style {
        self.fg(Color::Magenta)
    }
}
