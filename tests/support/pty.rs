//! preflight in a real pseudo-terminal: util-linux `script` gives it a tty
//! (sized with stty), and its output is read two ways: as a stream (`expect`,
//! which consumes what it matched, for prompts that repeat) and as a screen
//! through a terminal emulator (`wait_for`, for the full-screen wizard).

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Sandbox;

pub struct Tty {
    child: Child,
    input: ChildStdin,
    stream: Arc<Mutex<String>>,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Tty {
    /// Runs `preflight ARGS` in a 100×30 terminal.
    pub fn open(sb: &Sandbox, args: &str) -> Self {
        let base = sb.command(&[]);
        let line = format!("stty rows 30 cols 100; exec {} {args}", env!("CARGO_BIN_EXE_preflight"));
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]).current_dir(&sb.dir).env_clear();
        for (k, v) in base.get_envs().filter_map(|(k, v)| Some((k, v?))) {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("util-linux `script` is needed for the terminal tests");
        let input = child.stdin.take().unwrap();
        let mut out = child.stdout.take().unwrap();
        let stream = Arc::new(Mutex::new(String::new()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(30, 100, 0)));
        let (s, p) = (stream.clone(), screen.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
                p.lock().unwrap().process(&buf[..n]);
            }
        });
        Self { child, input, stream, screen }
    }

    /// What the terminal shows now.
    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits (at most 30 s) until every text is on screen at once.
    pub fn wait_for(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let shown = self.contents();
            if texts.iter().all(|t| shown.contains(t)) {
                return shown;
            }
            assert!(Instant::now() < deadline, "never saw {texts:?} on screen:\n{shown}");
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (at most 30 s) until none of the texts is on screen.
    pub fn wait_gone(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let shown = self.contents();
            if !texts.iter().any(|t| shown.contains(t)) {
                return shown;
            }
            assert!(Instant::now() < deadline, "{texts:?} stayed on screen:\n{shown}");
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (at most 30 s) until `text` is printed after what the last `expect` matched.
    pub fn expect(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let mut stream = self.stream.lock().unwrap();
                if let Some(i) = stream.find(text) {
                    stream.drain(..i + text.len());
                    return;
                }
                assert!(Instant::now() < deadline, "never saw {text:?} in:\n{stream}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (at most 30 s) for `end` after what the last `expect` matched; returns what came before it.
    pub fn until(&self, end: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let mut stream = self.stream.lock().unwrap();
                if let Some(i) = stream.find(end) {
                    let before = stream[..i].to_string();
                    stream.drain(..i + end.len());
                    return before;
                }
                assert!(Instant::now() < deadline, "never saw {end:?} in:\n{stream}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn press(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    /// The exit code and what the terminal shows once the program has ended
    /// (the shell's screen, after the wizard left its alternate screen).
    pub fn exit(self) -> (i32, String) {
        let screen = self.screen.clone();
        let code = self.exit_code();
        // The reader thread ends when the pty closes; give it a moment to drain.
        std::thread::sleep(Duration::from_millis(200));
        let shown = screen.lock().unwrap().screen().contents();
        (code, shown)
    }

    pub fn exit_code(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "preflight did not exit:\n{}", self.contents());
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}
