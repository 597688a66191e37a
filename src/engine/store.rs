//! `.preflight/` beside the profile: `state.json` written atomically, and a
//! lock file held for the whole run so that two runs cannot write at once.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::state::{RunState, SCHEMA, recover_interrupted};

pub const STATE_FILE: &str = "state.json";
pub const LOCK_FILE: &str = "lock";
pub const AUDIT_FILE: &str = "audit.jsonl";

/// Writes `bytes` to `path` so that a reader sees either the old or the new
/// file, never a torn one: temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The state directory that belongs to a profile file.
pub fn state_dir(profile: &Path) -> PathBuf {
    let parent = profile.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(".preflight")
}

/// Reads the state without taking the lock (for `status`). A missing file is an empty state.
pub fn read(dir: &Path) -> Result<RunState, String> {
    let path = dir.join(STATE_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RunState::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON ({e}); move it aside to start fresh", path.display()))?;
    let schema = value.get("schema").and_then(|s| s.as_u64()).unwrap_or(0);
    if schema != u64::from(SCHEMA) {
        return Err(format!(
            "{} has schema {schema}, this preflight reads schema {SCHEMA}; use the preflight that wrote it, or move the file aside to start fresh",
            path.display()
        ));
    }
    let mut state: RunState = serde_json::from_value(value).map_err(|e| {
        format!("{} does not have the expected shape ({e}); move it aside to start fresh", path.display())
    })?;
    recover_interrupted(&mut state);
    Ok(state)
}

/// The state directory, locked for writing for as long as this value lives.
/// The OS releases the lock when the process ends, even on kill -9.
pub struct Store {
    dir: PathBuf,
    _lock: File,
}

impl Store {
    pub fn lock(dir: &Path) -> Result<Self, String> {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if file.try_lock().is_err() {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
            return Err(format!(
                "another preflight run is using {}{who}; wait for it to finish, or stop it, then try again",
                dir.display()
            ));
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(Self { dir: dir.to_path_buf(), _lock: file })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn load(&self) -> Result<RunState, String> {
        read(&self.dir)
    }

    pub fn save(&self, state: &RunState) -> Result<(), String> {
        let path = self.dir.join(STATE_FILE);
        let mut bytes = serde_json::to_vec_pretty(state).expect("state serializes");
        bytes.push(b'\n');
        write_atomic(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Appends one line to the audit log and flushes it.
    pub fn append_audit(&self, line: &serde_json::Value) -> Result<(), String> {
        let path = self.dir.join(AUDIT_FILE);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        writeln!(f, "{line}").and_then(|_| f.sync_data()).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::state::{Event, StepState, apply};

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("preflight-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = temp_dir("roundtrip");
        let store = Store::lock(&dir).unwrap();
        assert_eq!(store.load().unwrap(), RunState::default());
        let mut state = RunState::default();
        let mut s = StepState::new("t0");
        apply(&mut s, Event::Skip, "t1").unwrap();
        state.steps_mut("1/r", "c").insert("s".into(), s);
        store.save(&state).unwrap();
        assert_eq!(store.load().unwrap(), state);
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = temp_dir("lock");
        let first = Store::lock(&dir).unwrap();
        let err = Store::lock(&dir).err().unwrap();
        assert!(err.contains("another preflight run"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        assert!(Store::lock(&dir).is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_or_newer_state_files_are_clear_errors() {
        let dir = temp_dir("bad");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(STATE_FILE), "{ not json").unwrap();
        assert!(read(&dir).unwrap_err().contains("not valid JSON"));
        fs::write(dir.join(STATE_FILE), r#"{"schema": 9, "scopes": {}}"#).unwrap();
        assert!(read(&dir).unwrap_err().contains("schema 9"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
