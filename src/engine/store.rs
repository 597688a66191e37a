//! `.preflight/` beside the profile: `state.json` written atomically, merged
//! under a short write lock; the job lock held by whatever changes the account;
//! the audit log.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::state::{RunState, SCHEMA, recover_interrupted};

pub const STATE_FILE: &str = "state.json";
/// The job lock: held while something changes the account.
pub const LOCK_FILE: &str = "lock";
/// The write lock: held for the milliseconds a write takes.
pub const WRITE_LOCK_FILE: &str = "state.lock";
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

/// The state file as it is. A missing file is an empty state.
fn read_raw(dir: &Path) -> Result<RunState, String> {
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
    serde_json::from_value(value)
        .map_err(|e| format!("{} does not have the expected shape ({e}); move it aside to start fresh", path.display()))
}

/// The state directory. Reading never waits: `state.json` is replaced
/// atomically. Each write re-reads the file under a short lock (`state.lock`,
/// held for milliseconds), changes only what it means to change, and writes
/// it back, so `verify` in one terminal and the wizard in another never lose
/// each other's results. Commands that change the account also hold the job
/// lock (`JobLock`) for as long as they run.
pub struct Store {
    dir: PathBuf,
}

/// How long a write waits for another write to finish before giving up.
const WRITE_WAIT: Duration = Duration::from_secs(10);

impl Store {
    pub fn open(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state as recorded; a step left `running` by a process that is gone
    /// (no job lock held) is shown as interrupted.
    pub fn load(&self) -> Result<RunState, String> {
        let mut state = read_raw(&self.dir)?;
        if !JobLock::held(&self.dir) {
            recover_interrupted(&mut state);
        }
        Ok(state)
    }

    /// Changes the recorded state: re-read, `change`, write, all under the
    /// write lock. Returns the state as written.
    pub fn update<T>(&self, change: impl FnOnce(&mut RunState) -> Result<T, String>) -> Result<T, String> {
        fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.dir.join(WRITE_LOCK_FILE);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let deadline = Instant::now() + WRITE_WAIT;
        while file.try_lock().is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "{} stayed locked for {} s: another preflight is writing the state and does not finish; check for a hung preflight process",
                    path.display(),
                    WRITE_WAIT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut state = read_raw(&self.dir)?;
        let out = change(&mut state)?;
        let path = self.dir.join(STATE_FILE);
        let mut bytes = serde_json::to_vec_pretty(&state).expect("state serializes");
        bytes.push(b'\n');
        write_atomic(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(out)
    }

    /// Takes the job lock for `what`, then marks the steps that a process
    /// which is gone left `running` as interrupted (on disk: whatever is
    /// running from now on is this job's).
    pub fn begin_job(&self, what: &str, since: &str) -> Result<JobLock, String> {
        let lock = JobLock::acquire(&self.dir, what, since)?;
        if self.dir.join(STATE_FILE).exists() {
            self.update(|st| Ok(recover_interrupted(st)))?;
        }
        Ok(lock)
    }

    /// The audit log's lines, oldest first (none when there is no log). A line
    /// a kill cut short is skipped: it recorded no finished change.
    pub fn audit_lines(&self) -> Result<Vec<serde_json::Value>, String> {
        let path = self.dir.join(AUDIT_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Appends one line to the audit log and flushes it (one write per line:
    /// appends from two processes do not interleave).
    pub fn append_audit(&self, line: &serde_json::Value) -> Result<(), String> {
        fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.dir.join(AUDIT_FILE);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        f.write_all(format!("{line}\n").as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// Held by whatever changes the account (`run`, `confirm`, `reset`, a run in
/// the wizard) for as long as it does: a second one is refused with the pid
/// and the command of the first. Readers never take it. The OS releases it
/// when the process ends, even on kill -9.
pub struct JobLock {
    _file: File,
}

impl JobLock {
    pub fn acquire(dir: &Path, what: &str, since: &str) -> Result<Self, String> {
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
            let holder: serde_json::Value = serde_json::from_str(holder.trim()).unwrap_or_default();
            let who = match (holder["pid"].as_u64(), holder["doing"].as_str(), holder["since"].as_str()) {
                (Some(pid), Some(doing), Some(since)) => format!("pid {pid} is running `{doing}` (since {since})"),
                (Some(pid), _, _) => format!("pid {pid} holds it"),
                _ => "another process holds it".into(),
            };
            return Err(format!(
                "another preflight is changing this account's state in {}: {who}; wait for it to finish, or stop it, then try again (verify, plan and status can run meanwhile)",
                dir.display()
            ));
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", serde_json::json!({ "pid": std::process::id(), "doing": what, "since": since }));
        let _ = file.flush();
        Ok(Self { _file: file })
    }

    /// Whether some process holds the job lock now.
    pub fn held(dir: &Path) -> bool {
        let Ok(file) = OpenOptions::new().read(true).write(true).open(dir.join(LOCK_FILE)) else { return false };
        match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        }
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
    fn updates_round_trip_and_leave_no_temp_files() {
        let dir = temp_dir("roundtrip");
        let store = Store::open(&dir);
        assert_eq!(store.load().unwrap(), RunState::default());
        let mut s = StepState::new("t0");
        apply(&mut s, Event::Skip { by: "arn:aws:iam::1:user/a".into(), reason: "r".into() }, "t1").unwrap();
        store.update(|st| Ok(st.steps_mut("1/r", "c").insert("s".into(), s.clone()))).unwrap();
        assert_eq!(store.load().unwrap().steps("1/r", "c").unwrap()["s"], s);
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_writers_merge_instead_of_overwriting_each_other() {
        let dir = temp_dir("merge");
        let (a, b) = (Store::open(&dir), Store::open(&dir));
        let threads: Vec<_> = [("a", a), ("b", b)]
            .into_iter()
            .map(|(name, store)| {
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let step = StepState::new(&format!("{name}{i}"));
                        store.update(|st| Ok(st.steps_mut("1/r", name).insert(format!("s{i}"), step))).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let state = Store::open(&dir).load().unwrap();
        assert_eq!(state.steps("1/r", "a").unwrap().len(), 25);
        assert_eq!(state.steps("1/r", "b").unwrap().len(), 25);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_job_is_refused_with_who_holds_it_and_readers_never_wait() {
        let dir = temp_dir("lock");
        let first = JobLock::acquire(&dir, "preflight run iam-policy", "t0").unwrap();
        let err = JobLock::acquire(&dir, "preflight run oidc-provider", "t1").err().unwrap();
        assert!(err.contains("another preflight is changing"), "{err}");
        assert!(
            err.contains(&format!("pid {} is running `preflight run iam-policy` (since t0)", std::process::id())),
            "{err}"
        );
        assert!(JobLock::held(&dir));
        // Reading and recording results go on while a job runs.
        let store = Store::open(&dir);
        store.update(|st| Ok(st.steps_mut("1/r", "c").insert("s".into(), StepState::new("t2")))).unwrap();
        assert!(store.load().is_ok());
        drop(first);
        assert!(!JobLock::held(&dir));
        assert!(JobLock::acquire(&dir, "preflight run iam-policy", "t3").is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_running_step_is_interrupted_only_when_nobody_runs() {
        let dir = temp_dir("interrupted");
        let store = Store::open(&dir);
        let mut s = StepState::new("t0");
        apply(&mut s, Event::Start, "t1").unwrap();
        store.update(|st| Ok(st.steps_mut("1/r", "c").insert("s".into(), s))).unwrap();
        let job = JobLock::acquire(&dir, "preflight run c", "t1").unwrap();
        assert_eq!(store.load().unwrap().steps("1/r", "c").unwrap()["s"].phase, crate::engine::state::Phase::Running);
        drop(job);
        assert_eq!(store.load().unwrap().steps("1/r", "c").unwrap()["s"].phase, crate::engine::state::Phase::Failed);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_or_newer_state_files_are_clear_errors() {
        let dir = temp_dir("bad");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(STATE_FILE), "{ not json").unwrap();
        assert!(Store::open(&dir).load().unwrap_err().contains("not valid JSON"));
        fs::write(dir.join(STATE_FILE), r#"{"schema": 9, "scopes": {}}"#).unwrap();
        assert!(Store::open(&dir).load().unwrap_err().contains("schema 9"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
