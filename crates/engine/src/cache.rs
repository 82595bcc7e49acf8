//! The content-addressed compile cache.
//!
//! Key: blake3 of everything that decides a compile's result (language, the
//! toolchain's version, the exact compile command, the source and extra files).
//! Value: an [`Artifact`]: the compiler's output and a list of files, each
//! kept as a file of its own (a "blob") in `<dir>/blobs/`, never in memory.
//! The list is one file `<key>.art` in the cache directory: `FLASHART2`
//! magic, the blake3 of the payload, the payload (the blobs' names and sizes,
//! not their bytes). Entries are written to a temporary name and renamed, so a
//! crash never leaves a half-written entry under a real name; a corrupt entry
//! (bad magic, checksum or length, a blob missing or of the wrong size) is
//! deleted and compiled again.
//!
//! A compile box writes its artifacts straight to disk: the helper copies them
//! into a staging directory `<dir>/blobs/incoming/<name>/` ([`RunSpec::collect_into`]),
//! and the cache renames them to their blob names (`<key>-<stamp>.<n>`,
//! read-only, executable when the box's file was) when it keeps them. Run
//! boxes get them bound read-only ([`Artifact::binds`]).
//!
//! Identical submissions arriving together compile once: the first caller for
//! a key compiles while the others wait on its "flight" and share the result.
//! The total size (entries and their blobs) is bounded; the least recently
//! used entries go first. An evicted entry's blobs outlive it while an
//! [`Artifact`] that names them is still held (a run may be about to bind
//! them): the last holder removes them.
//!
//! [`RunSpec::collect_into`]: flash_sandbox::RunSpec::collect_into

use flash_sandbox::Bind;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};

const MAGIC: &[u8; 9] = b"FLASHART2";

/// The blobs' directory, below the cache's.
const BLOBS: &str = "blobs";

/// The staging directories, below the blobs'.
const INCOMING: &str = "incoming";

/// A cache key (blake3 digest).
pub type Key = [u8; 32];

/// One file of an artifact, kept on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactFile {
    /// Its path in a box, relative to `/box`.
    pub path: String,
    /// Its permission bits in the compile box.
    pub mode: u32,
    /// Its size, bytes.
    pub size: u64,
    /// The host file holding its bytes (a blob of the cache, or a file of the
    /// staging directory while the compile is being kept).
    pub blob: PathBuf,
}

/// The result of a compile worth keeping.
#[derive(Debug, Clone, Default)]
pub struct Artifact {
    /// Whether the compile succeeded.
    pub ok: bool,
    /// The compiler's output (stdout and stderr).
    pub output: Vec<u8>,
    /// The files to put in every run box (bound read-only: [`Artifact::binds`]).
    pub files: Vec<ArtifactFile>,
    /// How long the compile took, seconds (for reporting).
    pub compile_time: f64,
    /// Keeps the blobs on disk while this artifact is held.
    hold: Option<Arc<Hold>>,
}

impl PartialEq for Artifact {
    fn eq(&self, o: &Artifact) -> bool {
        (self.ok, &self.output, &self.files, self.compile_time) == (o.ok, &o.output, &o.files, o.compile_time)
    }
}

impl Artifact {
    /// An artifact of these files (no blobs held: a compile's result before
    /// the cache keeps it, or one without files).
    pub fn new(ok: bool, output: Vec<u8>, files: Vec<ArtifactFile>, compile_time: f64) -> Artifact {
        Artifact { ok, output, files, compile_time, hold: None }
    }

    /// The files as read-only binds into a box, each under `prefix` (`""`: at
    /// its own path; `"dir"`: at `dir/<path>`).
    pub fn binds(&self, prefix: &str) -> Vec<Bind> {
        let at = |p: &str| if prefix.is_empty() { p.to_owned() } else { format!("{prefix}/{p}") };
        self.files.iter().map(|f| Bind { path: at(&f.path), source: f.blob.clone() }).collect()
    }

    /// The bytes of one file, for the few callers that need them (small
    /// files only: they are read whole).
    pub fn read(&self, f: &ArtifactFile) -> std::io::Result<Vec<u8>> {
        std::fs::read(&f.blob)
    }
}

/// An artifact's blobs, removed with the last holder once the cache has let
/// go of them (evicted, or never kept).
#[derive(Debug)]
struct Hold {
    blobs: Vec<PathBuf>,
    evicted: AtomicBool,
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.evicted.load(Ordering::Relaxed) {
            for b in &self.blobs {
                let _ = std::fs::remove_file(b);
            }
        }
    }
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

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

/// Serializes an artifact (without the header); its files by blob name.
fn encode(a: &Artifact) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(u8::from(a.ok));
    out.extend_from_slice(&a.compile_time.to_le_bytes());
    put_bytes(&mut out, &a.output);
    out.extend_from_slice(&(a.files.len() as u64).to_le_bytes());
    for f in &a.files {
        put_bytes(&mut out, f.path.as_bytes());
        out.extend_from_slice(&f.mode.to_le_bytes());
        out.extend_from_slice(&f.size.to_le_bytes());
        let name = f.blob.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        put_bytes(&mut out, name.as_bytes());
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

/// Whether `name` could be a blob's name (a plain file name of ours).
fn blob_name_ok(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'.')
}

fn decode(payload: &[u8], blobs: &Path) -> Option<Artifact> {
    let mut r = Reader(payload);
    let ok = r.take(1)?[0] == 1;
    let compile_time = f64::from_le_bytes(r.take(8)?.try_into().ok()?);
    let output = r.bytes()?;
    let n = r.u64()?;
    let mut files = Vec::new();
    for _ in 0..n {
        let path = String::from_utf8(r.bytes()?).ok()?;
        let mode = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let size = r.u64()?;
        let name = String::from_utf8(r.bytes()?).ok().filter(|n| blob_name_ok(n))?;
        files.push(ArtifactFile { path, mode, size, blob: blobs.join(name) });
    }
    r.0.is_empty().then_some(Artifact::new(ok, output, files, compile_time))
}

/// Reads and checks an entry file: its artifact, or `None` when corrupt.
/// Every blob must be there with its recorded size.
fn load(path: &Path, blobs: &Path) -> Option<Artifact> {
    let b = std::fs::read(path).ok()?;
    let rest = b.strip_prefix(MAGIC.as_slice())?;
    let (sum, payload) = (rest.get(..32)?, rest.get(32..)?);
    let a = (blake3::hash(payload).as_bytes() == sum).then(|| decode(payload, blobs))??;
    let whole = a.files.iter().all(|f| std::fs::metadata(&f.blob).is_ok_and(|m| m.is_file() && m.len() == f.size));
    whole.then_some(a)
}

/// One compile in progress; waiters sleep on it.
#[derive(Default)]
struct Flight {
    done: Mutex<Option<Result<Arc<Artifact>, String>>>,
    cv: Condvar,
}

/// An entry as the index knows it.
struct Entry {
    /// The entry file and its blobs, bytes.
    size: u64,
    last_use: u64,
    blobs: Vec<PathBuf>,
}

#[derive(Default)]
struct Index {
    entries: HashMap<Key, Entry>,
    total: u64,
    clock: u64,
    /// The blobs of entries whose artifacts are held now.
    live: HashMap<Key, Weak<Hold>>,
}

impl Index {
    /// Drops an entry: its file (when given) now, its blobs now or with
    /// their last holder.
    fn remove(&mut self, k: &Key, entry_file: Option<&Path>) {
        let Some(e) = self.entries.remove(k) else { return };
        self.total -= e.size;
        if let Some(f) = entry_file {
            let _ = std::fs::remove_file(f);
        }
        match self.live.remove(k).and_then(|w| w.upgrade()) {
            Some(h) => h.evicted.store(true, Ordering::Relaxed),
            None => e.blobs.iter().for_each(|b| drop(std::fs::remove_file(b))),
        }
    }
}

/// The cache. Cheap to share (`&self` everywhere).
pub struct CompileCache {
    dir: PathBuf,
    blobs: PathBuf,
    max_bytes: u64,
    index: Mutex<Index>,
    flights: Mutex<HashMap<Key, Arc<Flight>>>,
    /// Makes blob and staging names unique within this process.
    seq: AtomicU64,
}

impl CompileCache {
    /// Opens (creating) a cache in `dir`, indexing what a previous run left:
    /// corrupt entries, blobs no entry names and staging directories go.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<CompileCache> {
        use std::os::unix::fs::PermissionsExt;
        let blobs = dir.join(BLOBS);
        std::fs::create_dir_all(&blobs)?;
        // Only Flash reads the blobs by name; boxes get them bound.
        std::fs::set_permissions(&blobs, std::fs::Permissions::from_mode(0o700))?;
        let _ = std::fs::remove_dir_all(blobs.join(INCOMING));
        let mut found: Vec<(std::time::SystemTime, Key, Entry)> = Vec::new();
        let mut named = HashSet::new();
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
            let (Some(a), Ok(m)) = (load(&e.path(), &blobs), e.metadata()) else {
                let _ = std::fs::remove_file(e.path());
                continue;
            };
            let size = m.len() + a.files.iter().map(|f| f.size).sum::<u64>();
            let files: Vec<PathBuf> = a.files.into_iter().map(|f| f.blob).collect();
            named.extend(files.iter().cloned());
            let used = m.modified().unwrap_or(std::time::UNIX_EPOCH);
            found.push((used, k, Entry { size, last_use: 0, blobs: files }));
        }
        for e in std::fs::read_dir(&blobs)?.flatten() {
            if !named.contains(&e.path()) && e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        found.sort_by_key(|f| f.0);
        let mut index = Index::default();
        for (_, k, mut entry) in found {
            index.clock += 1;
            entry.last_use = index.clock;
            index.total += entry.size;
            index.entries.insert(k, entry);
        }
        let cache = CompileCache {
            dir: dir.to_owned(),
            blobs,
            max_bytes,
            index: Mutex::new(index),
            flights: Mutex::default(),
            seq: AtomicU64::new(0),
        };
        cache.evict();
        Ok(cache)
    }

    fn path(&self, k: &Key) -> PathBuf {
        self.dir.join(format!("{}.art", hex(k)))
    }

    /// A name no other blob or staging directory of this cache has had.
    fn stamp(&self, k: &Key) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        format!("{}-{:x}{:x}{n:x}", hex(k), t as u64, std::process::id())
    }

    /// Total bytes stored (entries and their blobs).
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
    /// Under the index's lock (entry files are small), so an eviction
    /// cannot remove the blobs between the check and the hold.
    pub fn get(&self, k: &Key) -> Option<Arc<Artifact>> {
        let mut idx = self.index.lock().unwrap();
        idx.clock += 1;
        let now = idx.clock;
        idx.entries.get_mut(k)?.last_use = now;
        let path = self.path(k);
        let Some(mut art) = load(&path, &self.blobs) else {
            idx.remove(k, Some(&path));
            return None;
        };
        let hold = match idx.live.get(k).and_then(Weak::upgrade) {
            Some(h) => h,
            None => {
                let blobs = art.files.iter().map(|f| f.blob.clone()).collect();
                let h = Arc::new(Hold { blobs, evicted: AtomicBool::new(false) });
                idx.live.insert(*k, Arc::downgrade(&h));
                h
            }
        };
        art.hold = Some(hold);
        Some(Arc::new(art))
    }

    /// Keeps a compile's result: its files (in the staging directory) become
    /// blobs, and, when `cacheable`, the entry is stored (atomically: temp
    /// file, then rename) and the cache evicts. An artifact not stored still
    /// gets its blobs, removed when its last holder lets go.
    fn keep(&self, k: &Key, mut a: Artifact, cacheable: bool) -> std::io::Result<Artifact> {
        use std::os::unix::fs::PermissionsExt;
        let stamp = self.stamp(k);
        for (i, f) in a.files.iter_mut().enumerate() {
            let blob = self.blobs.join(format!("{stamp}.{i}"));
            // Readable by the box's user (a bind shows the blob's own mode and
            // owner), executable when it was in the compile box, never writable.
            let mode = if f.mode & 0o111 != 0 { 0o555 } else { 0o444 };
            std::fs::set_permissions(&f.blob, std::fs::Permissions::from_mode(mode))?;
            std::fs::rename(&f.blob, &blob)?;
            f.blob = blob;
        }
        let blobs: Vec<PathBuf> = a.files.iter().map(|f| f.blob.clone()).collect();
        let hold = Arc::new(Hold { blobs: blobs.clone(), evicted: AtomicBool::new(true) });
        a.hold = Some(hold.clone());
        let payload = encode(&a);
        let mut bytes = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(blake3::hash(&payload).as_bytes());
        bytes.extend_from_slice(&payload);
        let size = bytes.len() as u64 + a.files.iter().map(|f| f.size).sum::<u64>();
        // Larger than the whole cache: not worth keeping.
        if !cacheable || size > self.max_bytes {
            return Ok(a);
        }
        let tmp = self.dir.join(format!("{}.{}.tmp", hex(k), std::process::id()));
        if let Err(e) = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, self.path(k))) {
            // This compile's runs still have their blobs; the next one compiles again.
            eprintln!("flash: compile cache: cannot store {}: {e}", hex(k));
            let _ = std::fs::remove_file(&tmp);
            return Ok(a);
        }
        {
            let mut idx = self.index.lock().unwrap();
            idx.clock += 1;
            let last_use = idx.clock;
            // A key kept again (its entry had been found corrupt): the new file is in place.
            idx.remove(k, None);
            hold.evicted.store(false, Ordering::Relaxed);
            idx.live.insert(*k, Arc::downgrade(&hold));
            idx.entries.insert(*k, Entry { size, last_use, blobs });
            idx.total += size;
        }
        self.evict();
        Ok(a)
    }

    /// Removes least recently used entries until the total fits.
    fn evict(&self) {
        let mut idx = self.index.lock().unwrap();
        while idx.total > self.max_bytes {
            let Some((&k, _)) = idx.entries.iter().min_by_key(|(_, e)| e.last_use) else {
                break;
            };
            idx.remove(&k, Some(&self.path(&k)));
        }
    }

    /// Returns the cached artifact for `k`, or runs `compile` exactly once for
    /// all concurrent callers with this key. The bool says whether it was a hit.
    /// `compile` is given an empty staging directory for the compile box's
    /// files (its `collect_into`), and returns the artifact (its files in that
    /// directory) and whether it may be cached.
    pub fn get_or_compile(
        &self,
        k: &Key,
        compile: impl FnOnce(&Path) -> Result<(Artifact, bool), String>,
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
            None => self.compile_staged(k, compile),
        };
        lead.finish(result.clone());
        (result, false)
    }

    /// Runs `compile` with a fresh staging directory, keeps what it made,
    /// and removes the directory (with anything left in it) in any case.
    fn compile_staged(
        &self,
        k: &Key,
        compile: impl FnOnce(&Path) -> Result<(Artifact, bool), String>,
    ) -> Result<Arc<Artifact>, String> {
        use std::os::unix::fs::DirBuilderExt;
        let staging = Staging(self.blobs.join(INCOMING).join(self.stamp(k)));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&staging.0)
            .map_err(|e| format!("compile cache: {}: {e}", staging.0.display()))?;
        let (art, cacheable) = compile(&staging.0)?;
        let kept = self.keep(k, art, cacheable).map_err(|e| format!("compile cache: keeping {}: {e}", hex(k)))?;
        Ok(Arc::new(kept))
    }
}

/// A staging directory, removed with whatever is left in it when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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

    /// A compile that leaves an `n`-byte `main` in its staging directory.
    fn art_in(staging: &Path, n: usize) -> Artifact {
        let blob = staging.join("0");
        std::fs::write(&blob, vec![7; n]).unwrap();
        let file = ArtifactFile { path: "main".into(), mode: 0o755, size: n as u64, blob };
        Artifact::new(true, b"warning: x".to_vec(), vec![file], 0.25)
    }

    /// Keeps an `n`-byte artifact under `k`.
    fn put(c: &CompileCache, k: &Key, n: usize) -> Arc<Artifact> {
        let (r, hit) = c.get_or_compile(k, |s| Ok((art_in(s, n), true)));
        assert!(!hit);
        r.unwrap()
    }

    /// The artifact's bytes as a run box would see them.
    fn bytes(a: &Artifact) -> Vec<u8> {
        a.read(&a.files[0]).unwrap()
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
                c.get_or_compile(&k, |_| {
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
                let r = c.get_or_compile(&k, |_| panic!("a waiter never compiles"));
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
        let (r, cached) = c.get_or_compile(&k, |s| Ok((art_in(s, 10), true)));
        assert!(r.is_ok() && !cached, "the next request compiles anew");
    }

    #[test]
    fn entries_round_trip_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(&[b"cpp", b"int main(){}"]);
        {
            let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
            let a = put(&c, &k, 100);
            assert_eq!(bytes(&a), vec![7; 100]);
            assert_eq!(*c.get(&k).unwrap(), *a);
            let mode =
                std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&a.files[0].blob).unwrap().permissions());
            assert_eq!(mode & 0o777, 0o555, "a blob is read-only, executable as it was in the box");
        }
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(c.len(), 1);
        let a = c.get(&k).unwrap();
        assert_eq!(bytes(&a), vec![7; 100]);
        assert_eq!(a.binds("").len(), 1);
        assert_eq!(a.binds("d")[0].path, "d/main");
        assert!(c.total_bytes() > 100, "the size counts the blobs");
    }

    #[test]
    fn a_restart_removes_blobs_no_entry_names_and_staging_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join(BLOBS);
        {
            let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
            put(&c, &key(&[b"kept"]), 10);
        }
        std::fs::write(blobs.join("abcd-1.0"), b"orphan").unwrap();
        std::fs::create_dir_all(blobs.join(INCOMING).join("x")).unwrap();
        std::fs::write(blobs.join(INCOMING).join("x/0"), b"half").unwrap();
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        assert!(!blobs.join("abcd-1.0").exists() && !blobs.join(INCOMING).exists());
        assert_eq!(bytes(&c.get(&key(&[b"kept"])).unwrap()), vec![7; 10]);
    }

    #[test]
    fn a_corrupt_entry_is_detected_removed_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        let k = key(&[b"x"]);
        put(&c, &k, 100);
        let p = c.path(&k);
        let mut b = std::fs::read(&p).unwrap();
        let last = b.len() - 1;
        b[last] ^= 0xff;
        std::fs::write(&p, b).unwrap();
        assert!(c.get(&k).is_none());
        assert!(!p.exists());
        let (r, hit) = c.get_or_compile(&k, |s| Ok((art_in(s, 100), true)));
        assert!(!hit);
        assert_eq!(bytes(&r.unwrap()), vec![7; 100]);
        // A blob gone or cut short makes the entry corrupt too.
        let a = c.get(&k).unwrap();
        std::fs::write(&a.files[0].blob, b"short").unwrap();
        assert!(c.get(&k).is_none());
        // Truncated files and stray temporary files are handled too.
        std::fs::write(&p, b"FLASHART2short").unwrap();
        assert!(c.get(&k).is_none());
    }

    #[test]
    fn the_size_bound_evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let c = CompileCache::open(dir.path(), 2500).unwrap();
        let (a, b, d) = (key(&[b"a"]), key(&[b"b"]), key(&[b"d"]));
        drop(put(&c, &a, 1000));
        let held_b = put(&c, &b, 1000);
        assert!(c.get(&a).is_some()); // a is now more recent than b
        drop(put(&c, &d, 1000));
        assert!(c.get(&b).is_none(), "least recently used goes first");
        assert!(c.get(&a).is_some() && c.get(&d).is_some());
        assert!(c.total_bytes() <= 2500);
        // An evicted artifact still held keeps its blob until let go.
        let blob = held_b.files[0].blob.clone();
        assert!(blob.exists(), "a run may still bind it");
        drop(held_b);
        assert!(!blob.exists(), "the last holder removes it");
        let blobs = std::fs::read_dir(dir.path().join(BLOBS)).unwrap().flatten();
        let blobs = blobs.filter(|e| e.file_type().unwrap().is_file()).count();
        assert_eq!(blobs, 2, "the two entries' blobs, nothing else");
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
                    let (r, _) = c.get_or_compile(&k, |s| {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        Ok((art_in(s, 10), true))
                    });
                    bytes(&r.unwrap())
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), vec![7; 10]);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn uncacheable_results_are_shared_but_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = CompileCache::open(dir.path(), 1 << 20).unwrap();
        let k = key(&[b"tle"]);
        let (r, _) = c.get_or_compile(&k, |s| Ok((art_in(s, 1), false)));
        let a = r.unwrap();
        assert!(c.get(&k).is_none());
        let blob = a.files[0].blob.clone();
        assert!(blob.exists(), "its runs bind it");
        drop(a);
        assert!(!blob.exists(), "and it goes with them");
        let (r, _) = c.get_or_compile(&k, |_| Err("sandbox down".into()));
        assert_eq!(r.unwrap_err(), "sandbox down");
        let left = std::fs::read_dir(dir.path().join(BLOBS).join(INCOMING)).unwrap().count();
        assert_eq!(left, 0, "no staging directory outlives its compile");
    }
}
