//! The content-addressed compile cache.
//!
//! Key: blake3 of everything that decides a compile's result (language, the
//! toolchain's version, the exact compile command, the source and extra files).
//! Value: an [`Artifact`], stored as one file `<key>.art` in the cache
//! directory: `FLASHART1` magic, the blake3 of the payload, the payload.
//! Entries are written to a temporary name and renamed, so a crash never
//! leaves a half-written entry under a real name; a corrupt entry (bad magic,
//! checksum or length) is deleted and compiled again.
//!
//! Identical submissions arriving together compile once: the first caller for
//! a key compiles while the others wait on its "flight" and share the result.
//! The total size is bounded; the least recently used entries go first.

use flash_sandbox::BoxFile;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

const MAGIC: &[u8; 9] = b"FLASHART1";

/// A cache key (blake3 digest).
pub type Key = [u8; 32];

/// The result of a compile worth keeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// Whether the compile succeeded.
    pub ok: bool,
    /// The compiler's output (stdout and stderr).
    pub output: Vec<u8>,
    /// The files to put in every run box.
    pub files: Vec<BoxFile>,
    /// How long the compile took, seconds (for reporting).
    pub compile_time: f64,
}

/// Builds a key from labelled parts (lengths included, so parts cannot run together).
pub fn key(parts: &[&[u8]]) -> Key {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    *h.finalize().as_bytes()
}

fn hex(k: &Key) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serializes an artifact (without the header).
fn encode(a: &Artifact) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(u8::from(a.ok));
    out.extend_from_slice(&a.compile_time.to_le_bytes());
    out.extend_from_slice(&(a.output.len() as u64).to_le_bytes());
    out.extend_from_slice(&a.output);
    out.extend_from_slice(&(a.files.len() as u64).to_le_bytes());
    for f in &a.files {
        out.extend_from_slice(&(f.path.len() as u64).to_le_bytes());
        out.extend_from_slice(f.path.as_bytes());
        out.extend_from_slice(&f.mode.to_le_bytes());
        out.extend_from_slice(&(f.data.len() as u64).to_le_bytes());
        out.extend_from_slice(&f.data);
    }
    out
}

/// A cursor that fails instead of panicking on short input.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = usize::try_from(self.u64()?).ok()?;
        Some(self.take(n)?.to_vec())
    }
}

fn decode(payload: &[u8]) -> Option<Artifact> {
    let mut r = Reader(payload);
    let ok = r.take(1)?[0] == 1;
    let compile_time = f64::from_le_bytes(r.take(8)?.try_into().ok()?);
    let output = r.bytes()?;
    let n = r.u64()?;
    let mut files = Vec::new();
    for _ in 0..n {
        let path = String::from_utf8(r.bytes()?).ok()?;
        let mode = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let data = r.bytes()?;
        files.push(BoxFile { path, mode, data });
    }
    r.0.is_empty().then_some(Artifact { ok, output, files, compile_time })
}

/// One compile in progress; waiters sleep on it.
#[derive(Default)]
struct Flight {
    done: Mutex<Option<Result<Arc<Artifact>, String>>>,
    cv: Condvar,
}

#[derive(Default)]
struct Index {
    /// key -> (size on disk, last use)
    entries: HashMap<Key, (u64, u64)>,
    total: u64,
    clock: u64,
}

/// The cache. Cheap to share (`&self` everywhere).
pub struct CompileCache {
    dir: PathBuf,
    max_bytes: u64,
    index: Mutex<Index>,
    flights: Mutex<HashMap<Key, Arc<Flight>>>,
}

impl CompileCache {
    /// Opens (creating) a cache in `dir`, indexing what a previous run left.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<CompileCache> {
        std::fs::create_dir_all(dir)?;
        let mut found: Vec<(std::time::SystemTime, Key, u64)> = Vec::new();
        for e in std::fs::read_dir(dir)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".art") else {
                // Leftover temporary files of a crashed write.
                if name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(e.path());
                }
                continue;
            };
            let Some(k) = parse_hex(stem) else { continue };
            if let Ok(m) = e.metadata() {
                found.push((m.modified().unwrap_or(std::time::UNIX_EPOCH), k, m.len()));
            }
        }
        found.sort_by_key(|f| f.0);
        let mut index = Index::default();
        for (_, k, size) in found {
            index.clock += 1;
            index.entries.insert(k, (size, index.clock));
            index.total += size;
        }
        let cache =
            CompileCache { dir: dir.to_owned(), max_bytes, index: Mutex::new(index), flights: Mutex::default() };
        cache.evict();
        Ok(cache)
    }

    fn path(&self, k: &Key) -> PathBuf {
        self.dir.join(format!("{}.art", hex(k)))
    }

    /// Total bytes stored.
    pub fn total_bytes(&self) -> u64 {
        self.index.lock().unwrap().total
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.index.lock().unwrap().entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads an entry; a corrupt one is removed and reported as absent.
    pub fn get(&self, k: &Key) -> Option<Arc<Artifact>> {
        {
            let mut idx = self.index.lock().unwrap();
            idx.clock += 1;
            let now = idx.clock;
            idx.entries.get_mut(k)?.1 = now;
        }
        let path = self.path(k);
        let bytes = std::fs::read(&path).ok();
        let art = bytes.as_deref().and_then(|b| {
            let rest = b.strip_prefix(MAGIC.as_slice())?;
            let (sum, payload) = (rest.get(..32)?, rest.get(32..)?);
            (blake3::hash(payload).as_bytes() == sum).then(|| decode(payload))?
        });
        if art.is_none() {
            self.forget(k);
            let _ = std::fs::remove_file(&path);
        }
        art.map(Arc::new)
    }

    fn forget(&self, k: &Key) {
        let mut idx = self.index.lock().unwrap();
        if let Some((size, _)) = idx.entries.remove(k) {
            idx.total -= size;
        }
    }

    /// Stores an entry (atomically: temp file, then rename), then evicts.
    pub fn put(&self, k: &Key, a: &Artifact) -> std::io::Result<()> {
        let payload = encode(a);
        let mut bytes = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(blake3::hash(&payload).as_bytes());
        bytes.extend_from_slice(&payload);
        let size = bytes.len() as u64;
        if size > self.max_bytes {
            return Ok(()); // Larger than the whole cache: not worth keeping.
        }
        let tmp = self.dir.join(format!("{}.{}.tmp", hex(k), std::process::id()));
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, self.path(k))?;
        {
            let mut idx = self.index.lock().unwrap();
            idx.clock += 1;
            let now = idx.clock;
            if let Some((old, _)) = idx.entries.insert(*k, (size, now)) {
                idx.total -= old;
            }
            idx.total += size;
        }
        self.evict();
        Ok(())
    }

    /// Removes least recently used entries until the total fits.
    fn evict(&self) {
        let mut idx = self.index.lock().unwrap();
        while idx.total > self.max_bytes {
            let Some((&k, &(size, _))) = idx.entries.iter().min_by_key(|(_, (_, used))| *used) else {
                break;
            };
            idx.entries.remove(&k);
            idx.total -= size;
            let _ = std::fs::remove_file(self.path(&k));
        }
    }

    /// Returns the cached artifact for `k`, or runs `compile` exactly once for
    /// all concurrent callers with this key. The bool says whether it was a hit.
    /// `compile` returns the artifact and whether it may be cached.
    pub fn get_or_compile(
        &self,
        k: &Key,
        compile: impl FnOnce() -> Result<(Artifact, bool), String>,
    ) -> (Result<Arc<Artifact>, String>, bool) {
        if let Some(a) = self.get(k) {
            return (Ok(a), true);
        }
        let (flight, leader) = {
            let mut flights = self.flights.lock().unwrap();
            match flights.get(k) {
                Some(f) => (f.clone(), false),
                None => {
                    let f = Arc::new(Flight::default());
                    flights.insert(*k, f.clone());
                    (f, true)
                }
            }
        };
        if !leader {
            let mut done = flight.done.lock().unwrap_or_else(|e| e.into_inner());
            while done.is_none() {
                done = flight.cv.wait(done).unwrap_or_else(|e| e.into_inner());
            }
            return (done.clone().expect("checked"), true);
        }
        // Whatever happens below, even a panic in `compile`, the guard
        // answers the waiters and ends the flight.
        let lead = Lead { flights: &self.flights, key: *k, flight };
        // A flight that finished between our `get` and taking the lead left its result on disk.
        let result = match self.get(k) {
            Some(a) => Ok(a),
            None => compile().map(|(art, keep)| {
                if keep {
                    if let Err(e) = self.put(k, &art) {
                        eprintln!("flash: compile cache: cannot store {}: {e}", hex(k));
                    }
                }
                Arc::new(art)
            }),
        };
        lead.finish(result.clone());
        (result, false)
    }
}

/// What the waiters of a flight get when its compile panicked.
const COMPILE_PANICKED: &str = "internal error: the compile step failed unexpectedly";

/// The leader's duty to a flight: publish its result to the waiters and
/// remove it, on [`Lead::finish`] or, if the compile panicked, on drop (with
/// [`COMPILE_PANICKED`]), so no identical submission ever waits forever.
struct Lead<'a> {
    flights: &'a Mutex<HashMap<Key, Arc<Flight>>>,
    key: Key,
    flight: Arc<Flight>,
}

impl Lead<'_> {
    fn finish(self, result: Result<Arc<Artifact>, String>) {
        *self.flight.done.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        {
            let mut done = self.flight.done.lock().unwrap_or_else(|e| e.into_inner());
            if done.is_none() {
                *done = Some(Err(COMPILE_PANICKED.into()));
            }
        }
        self.flight.cv.notify_all();
        self.flights.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
    }
}

fn parse_hex(s: &str) -> Option<Key> {
    if s.len() != 64 {
        return None;
    }
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn art(n: usize) -> Artifact {
        Artifact {
            ok: true,
            output: b"warning: x".to_vec(),
            files: vec![BoxFile { path: "main".into(), mode: 0o755, data: vec![7; n] }],
            compile_time: 0.25,
        }
    }

    /// A compile that panics answers its waiters with an internal error and
    /// leaves no flight behind: the next identical request compiles again.
    #[test]
    fn a_panicking_compile_releases_its_waiters() {
        let dir = tempfile::tempdir().unwrap();
        let c = Arc::new(CompileCache::open(dir.path(), 1 << 20).unwrap());
        let k = key(&[b"cpp", b"panics"]);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let leader = {
            let c = c.clone();
            std::thread::spawn(move || {
                c.get_or_compile(&k, || {
                    started_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                    panic!("the compiler wrapper panicked")
                })
            })
        };
        started_rx.recv().unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let waiter = {
            let c = c.clone();
            std::thread::spawn(move || {
                let r = c.get_or_compile(&k, || panic!("a waiter never compiles"));
                done_tx.send(r.0.map(|_| ())).unwrap();
            })
        };
        // Once the waiter holds the flight (map + leader + waiter), let the leader panic.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while c.flights.lock().unwrap().get(&k).map(Arc::strong_count) != Some(3) {
            assert!(std::time::Instant::now() < deadline, "the waiter never joined the flight");
            std::thread::sleep(Duration::from_millis(1));
        }
        go_tx.send(()).unwrap();
        assert!(leader.join().is_err(), "the leader's panic propagates to its own caller");
        let got = done_rx.recv_timeout(Duration::from_secs(10)).expect("the waiter was released");
        assert_eq!(got.unwrap_err(), COMPILE_PANICKED);
        waiter.join().unwrap();
        let (r, cached) = c.get_or_compile(&k, || Ok((art(10), true)));
        assert!(r.is_ok() && !cached, "the next request compiles anew");
    }

    #[test]
    fn entries_round_trip_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(&[b"cpp", b"int main(){}"]);
        {
            let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
            c.put(&k, &art(100)).unwrap();
            assert_eq!(*c.get(&k).unwrap(), art(100));
        }
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(*c.get(&k).unwrap(), art(100));
    }

    #[test]
    fn a_corrupt_entry_is_detected_removed_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        let k = key(&[b"x"]);
        c.put(&k, &art(100)).unwrap();
        let p = c.path(&k);
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&p, bytes).unwrap();
        assert!(c.get(&k).is_none());
        assert!(!p.exists());
        let (r, hit) = c.get_or_compile(&k, || Ok((art(100), true)));
        assert!(!hit);
        assert_eq!(*r.unwrap(), art(100));
        assert_eq!(*c.get(&k).unwrap(), art(100));
        // Truncated files and stray temporary files are handled too.
        std::fs::write(&p, b"FLASHART1short").unwrap();
        assert!(c.get(&k).is_none());
    }

    #[test]
    fn the_size_bound_evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let c = CompileCache::open(dir.path(), 2500).unwrap();
        let (a, b, d) = (key(&[b"a"]), key(&[b"b"]), key(&[b"d"]));
        c.put(&a, &art(1000)).unwrap();
        c.put(&b, &art(1000)).unwrap();
        assert!(c.get(&a).is_some()); // a is now more recent than b
        c.put(&d, &art(1000)).unwrap();
        assert!(c.get(&b).is_none(), "least recently used goes first");
        assert!(c.get(&a).is_some() && c.get(&d).is_some());
        assert!(c.total_bytes() <= 2500);
    }

    #[test]
    fn concurrent_identical_compiles_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let c = Arc::new(CompileCache::open(dir.path(), 1 << 20).unwrap());
        let runs = Arc::new(AtomicUsize::new(0));
        let k = key(&[b"same"]);
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (c, runs) = (c.clone(), runs.clone());
                std::thread::spawn(move || {
                    let (r, _) = c.get_or_compile(&k, || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        Ok((art(10), true))
                    });
                    r.unwrap()
                })
            })
            .collect();
        for t in threads {
            assert_eq!(*t.join().unwrap(), art(10));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn uncacheable_results_are_shared_but_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        let k = key(&[b"tle"]);
        let (r, _) = c.get_or_compile(&k, || Ok((art(1), false)));
        assert!(r.is_ok());
        assert!(c.get(&k).is_none());
        let (r, _) = c.get_or_compile(&k, || Err("sandbox down".into()));
        assert_eq!(r.unwrap_err(), "sandbox down");
    }
}
