//! Problem packages uploaded once and judged by id (`POST /packages`, then
//! `package` in a native submission).
//!
//! - [`archive`]: the upload read and checked in memory, and its content id.
//! - [`PackageCache`]: where a process keeps packages unpacked and loaded
//!   ([`flash_judge::Package`]), one directory per id under
//!   `<data_dir>/packages`, bounded in bytes (least recently used first out).
//!
//! The archive itself is kept in the job store ([`crate::store::JobStore::put_file`],
//! under `package:<id>`), so every worker in split mode can fetch it: a
//! process that lacks a package fetches the archive, checks that its content
//! still hashes to the id, unpacks and loads it once, and reuses it after.
//! Stored packages expire like results (`retention_secs` after their last
//! upload); uploading the same package again renews it.

pub mod archive;

use archive::{ArchiveError, ArchiveLimits, Unpacked};
use flash_judge::Package;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use utoipa::ToSchema;

/// The store's file id of a package's archive.
pub fn store_id(id: &str) -> String {
    format!("package:{id}")
}

/// Whether `id` has the form of a package id (64 lowercase hex digits).
pub fn is_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a package cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PackageFailure {
    /// The archive is refused (the client's fault).
    #[error("archive {0}")]
    Archive(#[from] ArchiveError),
    /// The archive unpacks, but is not a package Flash can judge (the client's fault).
    #[error("{0}")]
    Invalid(String),
    /// No package has this id in the store (never uploaded, or expired).
    #[error("no package {0} is stored (upload it with POST /packages)")]
    Unknown(String),
    /// Flash failed (disk, store): logged, never the client's fault.
    #[error("{0}")]
    Internal(String),
}

/// A package unpacked in this process's cache.
struct Cached {
    pkg: Arc<Package>,
    bytes: u64,
    last_use: u64,
}

/// Packages unpacked and loaded by this process (see the module's docs).
pub struct PackageCache {
    dir: PathBuf,
    max_bytes: u64,
    lim: ArchiveLimits,
    /// One unpacking at a time: two jobs of a new package unpack it once.
    inner: tokio::sync::Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Cached>,
    clock: u64,
}

impl PackageCache {
    /// A cache of at most `max_bytes` unpacked, in `<parent>/<pid>` (several
    /// processes may share a data directory). What an earlier process with
    /// this pid, or one no longer running, left there is removed.
    pub fn new(parent: PathBuf, max_bytes: u64, lim: ArchiveLimits) -> PackageCache {
        for e in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            let pid = e.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|p| p == std::process::id() || !std::path::Path::new(&format!("/proc/{p}")).exists()) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = parent.join(std::process::id().to_string());
        PackageCache { dir, max_bytes, lim, inner: Default::default() }
    }

    /// The caps on one archive.
    pub fn limits(&self) -> ArchiveLimits {
        self.lim
    }

    /// Reads an upload, checks it is a package, and keeps it here; returns its
    /// id and package. Blocking work runs on the blocking pool.
    pub async fn add(&self, archive: Vec<u8>) -> Result<(String, Arc<Package>), PackageFailure> {
        let lim = self.lim;
        let unpacked = tokio::task::spawn_blocking(move || Unpacked::read(&archive, lim))
            .await
            .map_err(|e| PackageFailure::Internal(format!("unpacking failed: {e}")))??;
        let id = unpacked.id();
        let pkg = self.insert(&id, unpacked).await?;
        Ok((id, pkg))
    }

    /// The package `id`, from this cache or else fetched from the store.
    pub async fn get(&self, store: &dyn crate::store::JobStore, id: &str) -> Result<Arc<Package>, PackageFailure> {
        if let Some(p) = self.touch(id).await {
            return Ok(p);
        }
        let archive = store
            .get_file(&store_id(id))
            .await
            .map_err(|e| PackageFailure::Internal(format!("cannot fetch package {id}: {e}")))?
            .ok_or_else(|| PackageFailure::Unknown(id.to_owned()))?;
        let lim = self.lim;
        let unpacked = tokio::task::spawn_blocking(move || Unpacked::read(&archive, lim))
            .await
            .map_err(|e| PackageFailure::Internal(format!("unpacking failed: {e}")))?
            .map_err(|e| PackageFailure::Internal(format!("the stored package {id} does not unpack: {e}")))?;
        if unpacked.id() != id {
            return Err(PackageFailure::Internal(format!("the stored package {id} does not hash to its id")));
        }
        self.insert(id, unpacked).await
    }

    async fn touch(&self, id: &str) -> Option<Arc<Package>> {
        let mut inner = self.inner.lock().await;
        inner.clock += 1;
        let now = inner.clock;
        let c = inner.map.get_mut(id)?;
        c.last_use = now;
        Some(c.pkg.clone())
    }

    /// Writes the package under `<dir>/<id>/`, loads it, and makes room.
    async fn insert(&self, id: &str, unpacked: Unpacked) -> Result<Arc<Package>, PackageFailure> {
        let mut inner = self.inner.lock().await;
        inner.clock += 1;
        let now = inner.clock;
        if let Some(c) = inner.map.get_mut(id) {
            c.last_use = now;
            return Ok(c.pkg.clone());
        }
        let bytes = unpacked.size();
        let root = self.dir.join(id);
        let load_root = root.clone();
        let loaded = tokio::task::spawn_blocking(move || load(&load_root, &unpacked))
            .await
            .map_err(|e| PackageFailure::Internal(format!("loading the package failed: {e}")))?;
        let pkg = match loaded {
            Ok(p) => Arc::new(p),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&root);
                return Err(e);
            }
        };
        inner.map.insert(id.to_owned(), Cached { pkg: pkg.clone(), bytes, last_use: now });
        self.make_room(&mut inner);
        Ok(pkg)
    }

    /// Drops the least recently used packages no job holds until the cache
    /// fits (the newest always stays).
    fn make_room(&self, inner: &mut Inner) {
        loop {
            let total: u64 = inner.map.values().map(|c| c.bytes).sum();
            if total <= self.max_bytes {
                return;
            }
            let newest = inner.clock;
            let victim = inner
                .map
                .iter()
                .filter(|(_, c)| c.last_use != newest && Arc::strong_count(&c.pkg) == 1)
                .min_by_key(|(_, c)| c.last_use)
                .map(|(id, _)| id.clone());
            let Some(victim) = victim else { return };
            inner.map.remove(&victim);
            if let Err(e) = std::fs::remove_dir_all(self.dir.join(&victim)) {
                tracing::warn!(package = %victim, error = %e, "cannot remove an evicted package");
            }
        }
    }
}

/// Writes and loads a package (blocking); a package error names the file in
/// the package, never a host path.
fn load(root: &std::path::Path, unpacked: &Unpacked) -> Result<Package, PackageFailure> {
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root)
        .and_then(|()| unpacked.write_to(root))
        .map_err(|e| PackageFailure::Internal(format!("cannot unpack into {}: {e}", root.display())))?;
    let mut pkg = Package::load(root).map_err(|e| {
        let host = root.display().to_string();
        PackageFailure::Invalid(e.to_string().replace(&host, "<package>"))
    })?;
    pkg.name = display_name(unpacked).unwrap_or_else(|| "package".into());
    Ok(pkg)
}

/// The package's `name` from `problem.yaml` (a string, or the English one of a map).
fn display_name(u: &Unpacked) -> Option<String> {
    let Some(archive::Entry::File(yaml)) = u.entries.get("problem.yaml") else { return None };
    let v: serde_json::Value = serde_norway::from_slice(yaml).ok()?;
    let name = match v.get("name")? {
        Value::String(s) => s.clone(),
        Value::Object(m) => m.get("en").or_else(|| m.values().next())?.as_str()?.to_owned(),
        _ => return None,
    };
    Some(name.chars().take(200).collect())
}

/// What `POST /packages` and `GET /packages/{id}` answer: the package as
/// Flash reads it.
#[derive(Serialize, ToSchema)]
#[schema(as = Package)]
pub struct PackageView {
    /// Its id (the BLAKE3 hash of its content).
    id: String,
    /// Its short name.
    name: String,
    /// Its format version.
    format_version: flash_judge::package::Version,
    /// Its problem type.
    #[serde(rename = "type")]
    kind: PackageKind,
    /// An interactive problem.
    interactive: bool,
    /// A scoring problem (else pass-fail).
    scoring: bool,
    /// The custom output validator, if any.
    checker: Option<CheckerView>,
    /// A testlib checker run on a testlib interactor's output file.
    testlib_checker: Option<TestlibCheckerView>,
    /// CPU seconds per test, if the package says.
    time_limit: Option<f64>,
    /// Memory per run, MiB.
    memory_limit_mib: u64,
    /// Output per run, MiB.
    output_limit_mib: u64,
    /// Test cases in all.
    test_count: usize,
    /// Every test data group below `data/`, depth first.
    groups: Vec<GroupView>,
}

/// A package's problem type.
#[derive(Serialize, ToSchema)]
pub enum PackageKind {
    /// Pass-fail.
    #[serde(rename = "pass-fail")]
    PassFail,
    /// Scoring.
    #[serde(rename = "scoring")]
    Scoring,
    /// Interactive, pass-fail.
    #[serde(rename = "interactive")]
    Interactive,
    /// Interactive and scoring.
    #[serde(rename = "interactive scoring")]
    InteractiveScoring,
}

/// A package's custom output validator.
#[derive(Serialize, ToSchema)]
#[schema(as = PackageChecker)]
pub struct CheckerView {
    /// Its name (file or directory base name).
    name: String,
    /// Its main source file's extension, which tells the language.
    language: String,
    /// How it is called.
    protocol: flash_judge::checker::Protocol,
}

/// A package's testlib checker.
#[derive(Serialize, ToSchema)]
#[schema(as = PackageTestlibChecker)]
pub struct TestlibCheckerView {
    /// Its main source file's extension, which tells the language.
    language: String,
}

/// A test data group of a package.
#[derive(Serialize, ToSchema)]
#[schema(as = PackageGroup)]
pub struct GroupView {
    /// Path relative to `data/` (e.g. `secret/group1`).
    path: String,
    /// Test cases directly in it.
    tests: usize,
    /// Test cases in it and its subgroups.
    total_tests: usize,
    /// How its score is aggregated (2023-07 `scoring.aggregation`).
    aggregation: Option<String>,
    /// Its maximum score, when bounded.
    max_score: Option<f64>,
}

/// What `GET /packages/{id}` answers: the package as Flash reads it.
pub fn metadata(id: &str, pkg: &Package) -> PackageView {
    let kind = match (pkg.interactive, pkg.scoring) {
        (true, true) => PackageKind::InteractiveScoring,
        (true, false) => PackageKind::Interactive,
        (false, true) => PackageKind::Scoring,
        (false, false) => PackageKind::PassFail,
    };
    let mut groups = Vec::new();
    collect_groups(&pkg.data, &mut groups);
    PackageView {
        id: id.to_owned(),
        name: pkg.name.clone(),
        format_version: pkg.version,
        kind,
        interactive: pkg.interactive,
        scoring: pkg.scoring,
        checker: pkg.checker.as_ref().map(|c| CheckerView {
            name: c.name.clone(),
            language: c.extension.clone(),
            protocol: pkg.protocol,
        }),
        testlib_checker: pkg.testlib_checker.as_ref().map(|c| TestlibCheckerView { language: c.extension.clone() }),
        time_limit: pkg.limits.time_limit,
        memory_limit_mib: pkg.limits.memory_mib,
        output_limit_mib: pkg.limits.output_mib,
        test_count: pkg.data.cases().len(),
        groups,
    }
}

fn collect_groups(g: &flash_judge::package::Group, out: &mut Vec<GroupView>) {
    use flash_judge::package::Item;
    if !g.path.is_empty() {
        let direct = g.items.iter().filter(|i| matches!(i, Item::Case(_))).count();
        out.push(GroupView {
            path: g.path.clone(),
            tests: direct,
            total_tests: g.cases().len(),
            aggregation: g.settings.aggregation.clone(),
            max_score: g.settings.max_score.flatten(),
        });
    }
    for i in &g.items {
        if let Item::Group(sub) = i {
            collect_groups(sub, out);
        }
    }
}
