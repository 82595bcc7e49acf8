//! Sessions: a workspace that lives across runs, for agents and notebooks.
//!
//! A session is a directory on the serving process's disk,
//! `<dir>/<id>/{meta.json, files/...}`, owned by the API key that made it
//! (another key neither sees nor reaches it: it is "not found" to them). Each
//! run in a session is a fresh sandbox holding the workspace's files; what
//! the box holds afterwards becomes the workspace (files persist; processes,
//! memory and `/tmp` do not). The workspace travels with the job
//! ([`crate::job::SessionJob`]), so in split mode any worker serves it; the
//! servers need `dir` itself, on shared storage when there are several.
//!
//! Bounds ([`SessionsConfig`]): sessions per key, files and bytes per
//! workspace, bytes per file, and two clocks: a session unused for its idle
//! timeout, or older than its maximum age, is gone: refused at once when
//! looked up, and deleted by [`Sessions::sweep`], which the server runs now
//! and then. Everything is on disk, so sessions survive a restart.
//!
//! The methods block (file system calls): the API calls them on the blocking pool.

use crate::config::SessionsConfig;
use crate::job::WorkspaceFile;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a session operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No such session for this key (or it expired).
    #[error("session not found (or expired)")]
    NotFound,
    /// No such file in the workspace.
    #[error("file {0} not found in the session")]
    NoFile(String),
    /// A path a workspace cannot hold.
    #[error("invalid path {0:?}: {1}")]
    BadPath(String, String),
    /// A bound of the configuration.
    #[error("{0}")]
    Limit(String),
    /// The file system failed (the path stays in the log, not in answers).
    #[error("session storage {path}: {source}")]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SessionError + '_ {
    move |source| SessionError::Io { path: path.to_path_buf(), source }
}

/// A session's record (`meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// UUID v4.
    pub id: String,
    /// The name of the key that made it ("" when the server has no keys).
    pub owner: String,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds of the last use (a run or a file operation).
    pub last_used_at_ms: i64,
    /// Deleted after this long unused, seconds.
    pub idle_timeout_secs: u64,
    /// Deleted this long after creation, seconds.
    pub max_age_secs: u64,
}

impl Meta {
    /// When it expires if left alone, unix milliseconds.
    pub fn expires_at_ms(&self) -> i64 {
        let idle = self.last_used_at_ms.saturating_add(self.idle_timeout_secs as i64 * 1000);
        let age = self.created_at_ms.saturating_add(self.max_age_secs as i64 * 1000);
        idle.min(age)
    }

    /// Whether it has expired at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms()
    }
}

/// One file of a workspace, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FileInfo {
    /// Path in the workspace.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Whether it is executable.
    pub executable: bool,
}

/// The session store: see the module documentation.
pub struct Sessions {
    root: PathBuf,
    /// The bounds.
    pub cfg: SessionsConfig,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Sessions {
    /// The store in `root` (made if missing).
    pub fn open(root: PathBuf, cfg: SessionsConfig) -> Result<Sessions, SessionError> {
        std::fs::create_dir_all(&root).map_err(io(&root))?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).map_err(io(&root))?;
        Ok(Sessions { root, cfg, locks: Mutex::new(HashMap::new()) })
    }

    /// The lock a session's runs and file changes take, so a run's workspace
    /// is not changed under it.
    pub fn lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, l| Arc::strong_count(l) > 1);
        m.entry(id.to_owned()).or_default().clone()
    }

    fn dir(&self, id: &str) -> Result<PathBuf, SessionError> {
        uuid::Uuid::try_parse(id).map_err(|_| SessionError::NotFound)?;
        Ok(self.root.join(id))
    }

    /// Makes a session for `owner`; `None` timeouts take the configured defaults.
    pub fn create(&self, owner: &str, idle: Option<u64>, age: Option<u64>, now_ms: i64) -> Result<Meta, SessionError> {
        let held = self.list(owner, now_ms)?.len();
        if held >= self.cfg.max_per_key {
            return Err(SessionError::Limit(format!(
                "this key already holds {held} sessions (the limit is {}); delete one first",
                self.cfg.max_per_key
            )));
        }
        let meta = Meta {
            id: uuid::Uuid::new_v4().to_string(),
            owner: owner.to_owned(),
            created_at_ms: now_ms,
            last_used_at_ms: now_ms,
            idle_timeout_secs: idle.unwrap_or(self.cfg.idle_timeout_secs),
            max_age_secs: age.unwrap_or(self.cfg.max_age_secs),
        };
        let dir = self.root.join(&meta.id);
        std::fs::create_dir_all(dir.join("files")).map_err(io(&dir))?;
        self.write_meta(&meta)?;
        Ok(meta)
    }

    fn write_meta(&self, meta: &Meta) -> Result<(), SessionError> {
        let dir = self.root.join(&meta.id);
        let tmp = dir.join("meta.json.tmp");
        let json = serde_json::to_vec(meta).expect("a session record serializes");
        std::fs::write(&tmp, json).map_err(io(&tmp))?;
        std::fs::rename(&tmp, dir.join("meta.json")).map_err(io(&tmp))
    }

    fn read_meta(&self, id: &str) -> Result<Option<Meta>, SessionError> {
        let path = self.dir(id)?.join("meta.json");
        match std::fs::read(&path) {
            Ok(b) => Ok(serde_json::from_slice(&b).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SessionError::Io { path, source: e }),
        }
    }

    /// `owner`'s session `id`, if it exists and has not expired (an expired
    /// one is deleted on the way).
    pub fn get(&self, owner: &str, id: &str, now_ms: i64) -> Result<Meta, SessionError> {
        let meta = self.read_meta(id)?.filter(|m| m.owner == owner).ok_or(SessionError::NotFound)?;
        if meta.expired(now_ms) {
            self.remove(id)?;
            return Err(SessionError::NotFound);
        }
        self.recover(id)?;
        Ok(meta)
    }

    /// Finishes a [`Sessions::replace`] that a crash cut between its two
    /// renames: the old workspace is put back (the run's result is lost).
    fn recover(&self, id: &str) -> Result<(), SessionError> {
        let dir = self.dir(id)?;
        let cur = dir.join("files");
        if cur.exists() {
            return Ok(());
        }
        let old = dir.join("files.old");
        match old.exists() {
            true => std::fs::rename(&old, &cur).map_err(io(&old)),
            false => std::fs::create_dir(&cur).map_err(io(&cur)),
        }
    }

    /// Marks a session used now (its idle clock starts again).
    pub fn touch(&self, mut meta: Meta, now_ms: i64) -> Result<Meta, SessionError> {
        meta.last_used_at_ms = now_ms;
        self.write_meta(&meta)?;
        Ok(meta)
    }

    /// Makes `owner`'s session expire `after_secs` from now (0: deleted now),
    /// never later than its configured maximum age allows.
    pub fn expire(&self, owner: &str, id: &str, after_secs: u64, now_ms: i64) -> Result<Option<Meta>, SessionError> {
        let mut meta = self.get(owner, id, now_ms)?;
        if after_secs == 0 {
            self.remove(id)?;
            return Ok(None);
        }
        let lived = ((now_ms - meta.created_at_ms).max(0) as u64).div_ceil(1000);
        meta.max_age_secs = lived.saturating_add(after_secs).min(self.cfg.max_max_age_secs);
        meta.idle_timeout_secs = meta.idle_timeout_secs.max(after_secs).min(self.cfg.max_idle_timeout_secs);
        meta.last_used_at_ms = now_ms;
        self.write_meta(&meta)?;
        Ok(Some(meta))
    }

    /// Deletes `owner`'s session.
    pub fn delete(&self, owner: &str, id: &str, now_ms: i64) -> Result<(), SessionError> {
        self.get(owner, id, now_ms)?;
        self.remove(id)
    }

    fn remove(&self, id: &str) -> Result<(), SessionError> {
        let dir = self.dir(id)?;
        // The record goes first: a half-deleted session is never served.
        match std::fs::remove_file(dir.join("meta.json")) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SessionError::Io { path: dir, source: e }),
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SessionError::Io { path: dir, source: e }),
        }
    }

    /// `owner`'s live sessions, oldest first.
    pub fn list(&self, owner: &str, now_ms: i64) -> Result<Vec<Meta>, SessionError> {
        let mut out: Vec<Meta> = self.all()?.into_iter().filter(|m| m.owner == owner && !m.expired(now_ms)).collect();
        out.sort_by_key(|m| m.created_at_ms);
        Ok(out)
    }

    fn all(&self) -> Result<Vec<Meta>, SessionError> {
        let rd = std::fs::read_dir(&self.root).map_err(io(&self.root))?;
        let mut out = Vec::new();
        for e in rd.flatten() {
            let Ok(name) = e.file_name().into_string() else { continue };
            if let Ok(Some(m)) = self.read_meta(&name) {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Deletes every expired session (and any directory left without a
    /// record by a crash); returns how many sessions it deleted.
    pub fn sweep(&self, now_ms: i64) -> Result<u64, SessionError> {
        let rd = std::fs::read_dir(&self.root).map_err(io(&self.root))?;
        let mut n = 0;
        for e in rd.flatten() {
            let Ok(name) = e.file_name().into_string() else { continue };
            if uuid::Uuid::try_parse(&name).is_err() {
                continue;
            }
            match self.read_meta(&name)? {
                Some(m) if !m.expired(now_ms) => {}
                Some(_) => {
                    self.remove(&name)?;
                    n += 1;
                }
                None => self.remove(&name)?,
            }
        }
        Ok(n)
    }

    fn files_dir(&self, id: &str) -> Result<PathBuf, SessionError> {
        Ok(self.dir(id)?.join("files"))
    }

    /// The workspace's files (sorted by path).
    pub fn list_files(&self, id: &str) -> Result<Vec<FileInfo>, SessionError> {
        let mut out = Vec::new();
        walk(&self.files_dir(id)?, "", &mut |path, full| {
            let m = std::fs::symlink_metadata(full).map_err(io(full))?;
            out.push(FileInfo {
                path: path.to_owned(),
                size: m.len(),
                executable: m.permissions().mode() & 0o111 != 0,
            });
            Ok(())
        })?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Every file with its bytes (what a run gets).
    pub fn snapshot(&self, id: &str) -> Result<Vec<WorkspaceFile>, SessionError> {
        let mut out = Vec::new();
        walk(&self.files_dir(id)?, "", &mut |path, full| {
            let m = std::fs::symlink_metadata(full).map_err(io(full))?;
            let data = std::fs::read(full).map_err(io(full))?;
            out.push(WorkspaceFile { path: path.to_owned(), mode: m.permissions().mode() & 0o777, data });
            Ok(())
        })?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// One file's bytes.
    pub fn read_file(&self, id: &str, path: &str) -> Result<Vec<u8>, SessionError> {
        check_path(path)?;
        let full = self.files_dir(id)?.join(path);
        match std::fs::symlink_metadata(&full) {
            Ok(m) if m.is_file() => std::fs::read(&full).map_err(io(&full)),
            Ok(_) => Err(SessionError::NoFile(path.to_owned())),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
                Err(SessionError::NoFile(path.to_owned()))
            }
            Err(e) => Err(SessionError::Io { path: full, source: e }),
        }
    }

    /// Writes (or replaces) one file, within the workspace's bounds.
    pub fn put_file(&self, id: &str, path: &str, data: &[u8], executable: bool) -> Result<(), SessionError> {
        check_path(path)?;
        let mut files = self.list_files(id)?;
        files.retain(|f| f.path != path);
        if let Some(f) = files.iter().find(|f| under(path, &f.path) || under(&f.path, path)) {
            return Err(SessionError::BadPath(
                path.to_owned(),
                format!("the workspace has {}: a path cannot be both a file and a directory", f.path),
            ));
        }
        let sizes: Vec<u64> = files.iter().map(|f| f.size).chain(std::iter::once(data.len() as u64)).collect();
        self.check_bounds(&sizes)?;
        let root = self.files_dir(id)?;
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        write_file(&full, data, if executable { 0o755 } else { 0o644 })
    }

    /// Deletes one file (and the directories it leaves empty).
    pub fn delete_file(&self, id: &str, path: &str) -> Result<(), SessionError> {
        check_path(path)?;
        let root = self.files_dir(id)?;
        let full = root.join(path);
        match std::fs::symlink_metadata(&full) {
            Ok(m) if m.is_file() => std::fs::remove_file(&full).map_err(io(&full))?,
            Ok(_) => return Err(SessionError::NoFile(path.to_owned())),
            Err(_) => return Err(SessionError::NoFile(path.to_owned())),
        }
        let mut dir = full.parent();
        while let Some(d) = dir.filter(|d| *d != root) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// Paths and content digests of a workspace's files (see [`changes`]).
    pub fn digests(files: &[WorkspaceFile]) -> Vec<(String, u64)> {
        files.iter().map(|f| (f.path.clone(), digest(f))).collect()
    }

    /// Replaces the whole workspace with what a run left, if it fits the
    /// bounds (else the workspace stays as it was and the error says why).
    pub fn replace(&self, id: &str, files: &[WorkspaceFile]) -> Result<(), SessionError> {
        for f in files {
            check_path(&f.path)?;
        }
        let sizes: Vec<u64> = files.iter().map(|f| f.data.len() as u64).collect();
        self.check_bounds(&sizes)?;
        let dir = self.dir(id)?;
        let (new, old, cur) = (dir.join("files.new"), dir.join("files.old"), dir.join("files"));
        for d in [&new, &old] {
            if d.exists() {
                std::fs::remove_dir_all(d).map_err(io(d))?;
            }
        }
        std::fs::create_dir(&new).map_err(io(&new))?;
        for f in files {
            let full = new.join(&f.path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            write_file(&full, &f.data, f.mode & 0o755 | 0o600)?;
        }
        std::fs::rename(&cur, &old).map_err(io(&cur))?;
        std::fs::rename(&new, &cur).map_err(io(&new))?;
        std::fs::remove_dir_all(&old).map_err(io(&old))
    }

    fn check_bounds(&self, sizes: &[u64]) -> Result<(), SessionError> {
        let c = &self.cfg;
        if let Some(big) = sizes.iter().find(|s| **s > c.max_file_kb * 1024) {
            return Err(SessionError::Limit(format!(
                "a file of {big} bytes is over the limit of {} KiB per file",
                c.max_file_kb
            )));
        }
        if sizes.len() > c.max_files {
            return Err(SessionError::Limit(format!(
                "the workspace would hold {} files, over the limit of {}",
                sizes.len(),
                c.max_files
            )));
        }
        let total: u64 = sizes.iter().sum();
        if total > c.max_size_kb * 1024 {
            return Err(SessionError::Limit(format!(
                "the workspace would hold {total} bytes, over the limit of {} KiB",
                c.max_size_kb
            )));
        }
        Ok(())
    }
}

/// Whether `path` lies below the directory `dir`.
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// A workspace path: relative, `/`-separated, no empty, `.` or `..`
/// component, no NUL, each name at most 255 bytes, at most 1024 bytes in all.
pub fn check_path(path: &str) -> Result<(), SessionError> {
    let bad = |why: &str| Err(SessionError::BadPath(path.chars().take(200).collect(), why.to_owned()));
    if path.is_empty() || path.len() > 1024 {
        return bad("must be 1 to 1024 bytes long");
    }
    if path.starts_with('/') {
        return bad("must be relative to the workspace");
    }
    if path.contains('\0') {
        return bad("must not contain NUL");
    }
    for c in path.split('/') {
        if c.is_empty() || c == "." || c == ".." {
            return bad("must not have empty, '.' or '..' components");
        }
        if c.len() > flash_sandbox::spec::NAME_MAX {
            return bad("a name is longer than 255 bytes");
        }
    }
    Ok(())
}

/// Calls `f(relative path, full path)` for each regular file under `dir`;
/// symlinks (which Flash never makes there) are skipped, not followed.
fn walk(dir: &Path, rel: &str, f: &mut dyn FnMut(&str, &Path) -> Result<(), SessionError>) -> Result<(), SessionError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if rel.is_empty() && e.kind() == std::io::ErrorKind::NotFound => return Err(SessionError::NotFound),
        Err(e) => return Err(SessionError::Io { path: dir.to_path_buf(), source: e }),
    };
    for e in rd.flatten() {
        let Ok(name) = e.file_name().into_string() else { continue };
        let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&e.path(), &path, f)?,
            Ok(t) if t.is_file() => f(&path, &e.path())?,
            _ => {}
        }
    }
    Ok(())
}

/// Writes a file through a temporary name, so a reader sees old or new whole.
fn write_file(full: &Path, data: &[u8], mode: u32) -> Result<(), SessionError> {
    let name = full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = full.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(data).map_err(io(&tmp))?;
    f.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, full).map_err(io(full))
}

#[cfg(test)]
mod tests;

/// A file's content and mode, hashed (to tell a modified file from one left alone).
fn digest(f: &WorkspaceFile) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (f.mode & 0o111 != 0, &f.data).hash(&mut h);
    h.finish()
}

/// What a run did to a workspace: paths created, modified and deleted,
/// each sorted, from the digests before ([`Sessions::digests`]) and the files after.
pub fn changes(before: &[(String, u64)], after: &[WorkspaceFile]) -> [Vec<String>; 3] {
    let old: std::collections::HashMap<&str, u64> = before.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    let mut out: [Vec<String>; 3] = Default::default();
    for f in after {
        match old.get(f.path.as_str()) {
            None => out[0].push(f.path.clone()),
            Some(d) if *d != digest(f) => out[1].push(f.path.clone()),
            Some(_) => {}
        }
    }
    let new: std::collections::HashSet<&str> = after.iter().map(|f| f.path.as_str()).collect();
    out[2] = before.iter().filter(|(p, _)| !new.contains(p.as_str())).map(|(p, _)| p.clone()).collect();
    out.iter_mut().for_each(|v| v.sort());
    out
}
