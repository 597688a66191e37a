//! What the calls of one command share: a bound on the calls in flight
//! (`--concurrency`), and the reads made once and reused by every probe that
//! asks the same question (single flight: a second asker waits for the first
//! answer instead of asking again). Any change made through `Exec` forgets
//! every shared read, so nothing read before a change is reused after it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

use super::error::Op;

type Answer = Arc<dyn Any + Send + Sync>;

/// The default bound on AWS calls in flight.
pub const DEFAULT_CONCURRENCY: u16 = 16;

pub struct Shared {
    /// `PREFLIGHT_CALL_LOG=FILE`: every call as a JSON line (for scripts/bench-verify.sh).
    calls: Option<Mutex<std::fs::File>>,
    started: std::time::Instant,
    limit: Semaphore,
    concurrency: usize,
    reads: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
    /// Bumped by every forget: an answer read before it is never stored after it.
    generation: AtomicU64,
    /// Every call made (or answered from a shared read) in this command, once each.
    seen: Mutex<Vec<Op>>,
}

impl Default for Shared {
    fn default() -> Self {
        Self::new(DEFAULT_CONCURRENCY)
    }
}

impl Shared {
    pub fn new(concurrency: u16) -> Self {
        let concurrency = usize::from(concurrency.max(1));
        let calls = std::env::var_os("PREFLIGHT_CALL_LOG")
            .and_then(|path| std::fs::OpenOptions::new().create(true).append(true).open(path).ok())
            .map(Mutex::new);
        Self {
            calls,
            started: std::time::Instant::now(),
            limit: Semaphore::new(concurrency),
            concurrency,
            reads: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// A place among the calls in flight (held for one call).
    pub async fn permit(&self) -> SemaphorePermit<'_> {
        self.limit.acquire().await.expect("the semaphore is never closed")
    }

    /// The answer to `key`: the one already given (or being given) in this
    /// command, else `read`'s, which is then kept. Returns whether it was reused.
    pub async fn read<T, F>(&self, key: String, read: F) -> (T, bool)
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = T>,
    {
        let generation = self.generation.load(Ordering::SeqCst);
        let cell = self.reads.lock().expect("reads").entry(key.clone()).or_default().clone();
        let mut asked = false;
        let answer = cell
            .get_or_init(|| {
                asked = true;
                // Boxed: the read is a deep SDK future, kept off the stack.
                let read = Box::pin(read);
                async move { Arc::new(read.await) as Answer }
            })
            .await
            .clone();
        // A change made while this read was in flight: what it read may be stale,
        // so it is not kept for those who ask after the change.
        if asked && self.generation.load(Ordering::SeqCst) != generation {
            let mut reads = self.reads.lock().expect("reads");
            if reads.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                reads.remove(&key);
            }
        }
        let value = answer.downcast_ref::<T>().expect("one answer type per key (the key names the operation)").clone();
        (value, !asked)
    }

    /// Appends one call to the call log, when there is one: what made it
    /// (checklist, step, probe), the operation, and when it started and ended
    /// (ms since the command began). Resources only, never values.
    pub fn log_call(&self, mut line: serde_json::Value, millis: u128) {
        let Some(file) = &self.calls else { return };
        let end = self.started.elapsed().as_millis();
        line["start_ms"] = (end.saturating_sub(millis) as u64).into();
        line["end_ms"] = (end as u64).into();
        let mut text = line.to_string();
        text.push('\n');
        use std::io::Write;
        let _ = file.lock().expect("call log").write_all(text.as_bytes());
    }

    /// Records a call of this command (each distinct one once).
    pub fn saw(&self, op: &Op) {
        let mut seen = self.seen.lock().expect("seen");
        if !seen.contains(op) {
            seen.push(op.clone());
        }
    }

    /// The calls made so far in this command.
    pub fn calls_seen(&self) -> Vec<Op> {
        self.seen.lock().expect("seen").clone()
    }

    /// Forgets every shared read (after a change, or before probing again).
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.reads.lock().expect("reads").clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_read_is_made_once_even_when_asked_twice_at_once_and_forgotten_after_a_change() {
        let shared = Arc::new(Shared::new(4));
        let made = Arc::new(AtomicUsize::new(0));
        let ask = |shared: Arc<Shared>, made: Arc<AtomicUsize>| async move {
            shared
                .read("iam:GetRole role/a".into(), async {
                    made.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok::<_, String>(7)
                })
                .await
        };
        let (a, b) = tokio::join!(ask(shared.clone(), made.clone()), ask(shared.clone(), made.clone()));
        assert_eq!(made.load(Ordering::SeqCst), 1, "single flight");
        assert_eq!((a.0.clone(), b.0.clone()), (Ok(7), Ok(7)));
        assert!(a.1 != b.1, "one asked, the other reused: {a:?} {b:?}");
        // Another key is another question.
        shared.read("iam:GetRole role/b".into(), async { made.fetch_add(1, Ordering::SeqCst) }).await;
        assert_eq!(made.load(Ordering::SeqCst), 2);
        shared.forget();
        let again = ask(shared.clone(), made.clone()).await;
        assert_eq!((made.load(Ordering::SeqCst), again.1), (3, false), "asked again after a change");
    }

    #[tokio::test]
    async fn a_read_in_flight_during_a_change_is_not_kept() {
        let shared = Arc::new(Shared::new(4));
        let s = shared.clone();
        let slow = tokio::spawn(async move {
            s.read("k".into(), async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                1
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        shared.forget();
        assert_eq!(slow.await.unwrap(), (1, false));
        let (v, reused) = shared.read("k".into(), async { 2 }).await;
        assert_eq!((v, reused), (2, false), "read again: the first answer predates the change");
    }

    #[tokio::test]
    async fn at_most_the_bound_are_in_flight() {
        let shared = Arc::new(Shared::new(2));
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (shared, now, peak) = (shared.clone(), now.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _p = shared.permit().await;
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                now.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
