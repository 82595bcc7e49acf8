//! Full traces kept in memory for a while, so a model that read a summary can
//! fetch the whole trace as the resource `flash://trace/{id}`. Bounded three
//! ways: a number of traces, their total bytes, and an age; the oldest go first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The URI prefix of a trace resource.
pub const PREFIX: &str = "flash://trace/";

/// How many traces, bytes and seconds are kept.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Traces kept.
    pub max_traces: usize,
    /// Bytes of JSON kept, all traces together.
    pub max_bytes: usize,
    /// How long one is kept.
    pub max_age: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { max_traces: 32, max_bytes: 64 << 20, max_age: Duration::from_secs(3600) }
    }
}

/// One kept trace.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Its id (the last part of its URI).
    pub id: String,
    /// What was traced, for the resource list ("python, 42 steps").
    pub title: String,
    /// The trace as JSON text.
    pub json: Arc<String>,
    at: Instant,
}

/// The store.
#[derive(Debug)]
pub struct Traces {
    bounds: Bounds,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    kept: VecDeque<Kept>,
    bytes: usize,
}

impl Traces {
    /// An empty store.
    pub fn new(bounds: Bounds) -> Traces {
        Traces { bounds, inner: Mutex::new(Inner::default()) }
    }

    /// Keeps `json` and returns its URI. A trace larger than the whole
    /// byte budget is not kept (`None`).
    pub fn put(&self, title: String, json: String) -> Option<String> {
        if json.len() > self.bounds.max_bytes {
            return None;
        }
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Random: over HTTP several clients share this store, and one must
        // not read another's trace by counting.
        let id = uuid::Uuid::new_v4().simple().to_string();
        g.bytes += json.len();
        g.kept.push_back(Kept { id: id.clone(), title, json: Arc::new(json), at: Instant::now() });
        Self::trim(&mut g, &self.bounds, Instant::now());
        Some(format!("{PREFIX}{id}"))
    }

    /// The trace a URI names, if still kept.
    pub fn get(&self, uri: &str) -> Option<Kept> {
        let id = uri.strip_prefix(PREFIX)?;
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Self::trim(&mut g, &self.bounds, Instant::now());
        g.kept.iter().find(|k| k.id == id).cloned()
    }

    /// Every kept trace, oldest first.
    pub fn list(&self) -> Vec<Kept> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Self::trim(&mut g, &self.bounds, Instant::now());
        g.kept.iter().cloned().collect()
    }

    fn trim(g: &mut Inner, b: &Bounds, now: Instant) {
        while let Some(first) = g.kept.front() {
            let old = now.duration_since(first.at) > b.max_age;
            if !(old || g.kept.len() > b.max_traces || g.bytes > b.max_bytes) {
                break;
            }
            let gone = g.kept.pop_front().expect("front exists");
            g.bytes -= gone.json.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_traces_go_when_count_or_bytes_are_over() {
        let t = Traces::new(Bounds { max_traces: 2, max_bytes: 10, max_age: Duration::from_secs(60) });
        let a = t.put("a".into(), "aaaa".into()).unwrap();
        let b = t.put("b".into(), "bbbb".into()).unwrap();
        assert!(a.starts_with(PREFIX) && a != b);
        assert_eq!(t.get(&a).unwrap().json.as_str(), "aaaa");
        let c = t.put("c".into(), "cccc".into()).unwrap();
        assert!(t.get(&a).is_none(), "three traces over a bound of two");
        let d = t.put("d".into(), "dddddddd".into()).unwrap();
        assert!(t.get(&b).is_none() && t.get(&c).is_none(), "12 bytes over a bound of 10");
        assert_eq!(t.list().iter().map(|k| k.title.as_str()).collect::<Vec<_>>(), ["d"]);
        assert_eq!(t.get(&d).unwrap().json.len(), 8);
        assert!(t.put("e".into(), "x".repeat(11)).is_none(), "larger than the whole budget");
        assert!(t.get("flash://other/1").is_none());
    }

    #[test]
    fn traces_older_than_the_age_bound_are_gone() {
        let t = Traces::new(Bounds { max_traces: 5, max_bytes: 100, max_age: Duration::ZERO });
        let a = t.put("a".into(), "{}".into());
        std::thread::sleep(Duration::from_millis(2));
        assert!(t.get(&a.unwrap()).is_none());
        assert!(t.list().is_empty());
    }
}
