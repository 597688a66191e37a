//! The real terminal: raw mode, alternate screen and mouse capture on the way
//! in; everything restored on the way out, on a panic, and while the TUI is
//! suspended for an inquire prompt. Input events are read on a thread of
//! their own, which can be parked so that a prompt gets the keystrokes.

use std::io::{self, stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::cursor::{MoveTo, Show};
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use tokio::sync::mpsc::UnboundedSender;

use super::app::Msg;

fn raw_on() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)
}

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

pub fn enter() -> io::Result<DefaultTerminal> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    raw_on()?;
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))
}

/// Lends the screen to a prompt: raw mode and mouse capture off, an empty
/// screen with the cursor at the top, but still the alternate screen, so that
/// nothing of the prompt is left on the shell's screen after the wizard quits ...
pub fn suspend() {
    let _ = execute!(stdout(), DisableMouseCapture, Clear(ClearType::All), MoveTo(0, 0), Show);
    let _ = disable_raw_mode();
}

/// ... and takes it back. A new Terminal has an empty previous buffer, so the
/// next draw repaints everything (`Terminal::clear` would ask the terminal for
/// the cursor position, which not every terminal answers).
pub fn resume(terminal: &mut DefaultTerminal) -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnableMouseCapture, Clear(ClearType::All))?;
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))?;
    Ok(())
}

pub struct Events {
    paused: Arc<AtomicBool>,
    parked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Events {
    pub fn spawn(tx: UnboundedSender<Msg>) -> Self {
        let (paused, parked, stop) =
            (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (p, k, s) = (paused.clone(), parked.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                if p.load(Ordering::SeqCst) {
                    k.store(true, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                k.store(false, Ordering::SeqCst);
                if !event::poll(Duration::from_millis(50)).unwrap_or(false) {
                    continue;
                }
                let msg = match event::read() {
                    Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                    Ok(Event::Mouse(m)) => Msg::Mouse(m),
                    Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                    _ => continue,
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Self { paused, parked, stop }
    }

    /// Stops reading input (bounded wait until the thread is parked).
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(2);
        while !self.parked.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Puts `text` on the clipboard of the terminal (and of the machine the
/// operator sits at, over SSH too) with the OSC 52 escape.
pub fn copy(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout();
    write!(out, "\x1b]52;c;{}\x07", aws_smithy_types::base64::encode(text.as_bytes()))?;
    out.flush()
}
