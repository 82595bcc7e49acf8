//! An uploaded package archive (zip, tar or tar.gz) read into memory,
//! checked entry by entry, and named by a hash of its content.
//!
//! What an archive may hold: regular files and directories at relative paths
//! (no `..`, no absolute paths), and symlinks to files of the same archive
//! (packages reuse a test case in several groups that way). Everything else
//! (a link that leaves the package or points at a directory, a hard link, a
//! device, a fifo) is refused, and so is a path under a symlink, since writing
//! it would follow the link. The count of entries and the real (not the
//! declared) unpacked size are capped, so a bomb stops at the cap.
//!
//! The id is the BLAKE3 hash of a canonical form, not of the archive's bytes:
//! the entries sorted by path, each a kind byte, its path and its bytes (a
//! link's target), with lengths. The same package zipped or tarred, with or
//! without one top-level folder, with other timestamps or permission bits,
//! has one id.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Caps on one archive.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Total bytes of the files once unpacked.
    pub max_unpacked_bytes: u64,
    /// Entries (files, links and directories).
    pub max_entries: usize,
}

/// One entry of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file's bytes.
    File(Vec<u8>),
    /// A symlink's target as written (relative).
    Link(String),
}

/// A package archive read and checked: path -> entry, paths relative.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unpacked {
    pub entries: BTreeMap<String, Entry>,
}

/// Why an archive is refused: the entry at fault (if one is) and why. Never a
/// host path: the message goes to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{why}", entry.as_deref().map(|e| format!("entry {e:?}: ")).unwrap_or_default())]
pub struct ArchiveError {
    /// The entry's path in the archive.
    pub entry: Option<String>,
    /// What is wrong.
    pub why: String,
}

fn whole(why: impl Into<String>) -> ArchiveError {
    ArchiveError { entry: None, why: why.into() }
}

fn at(entry: &str, why: impl Into<String>) -> ArchiveError {
    ArchiveError { entry: Some(entry.chars().take(200).collect()), why: why.into() }
}

/// Longest path accepted, bytes.
const MAX_PATH: usize = 1024;

impl Unpacked {
    /// Reads a zip, a tar or a gzip-compressed tar (told by their first bytes).
    pub fn read(archive: &[u8], lim: ArchiveLimits) -> Result<Unpacked, ArchiveError> {
        let mut raw = RawEntries::new(lim);
        if archive.starts_with(b"PK\x03\x04") || archive.starts_with(b"PK\x05\x06") {
            read_zip(archive, &mut raw)?;
        } else if archive.starts_with(&[0x1f, 0x8b]) {
            read_tar(flate2::read::GzDecoder::new(archive), &mut raw)?;
        } else if archive.len() >= 512 && &archive[257..262] == b"ustar" {
            read_tar(archive, &mut raw)?;
        } else {
            return Err(whole("is not a zip, tar or tar.gz archive"));
        }
        let mut u = Unpacked { entries: raw.entries };
        u.strip_top_folder();
        u.check_links()?;
        Ok(u)
    }

    /// The content id: 64 hex digits (see the module's docs).
    pub fn id(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"flash-package-v1\0");
        for (path, e) in &self.entries {
            let (kind, data) = match e {
                Entry::File(d) => (b'F', d.as_slice()),
                Entry::Link(t) => (b'L', t.as_bytes()),
            };
            h.update(&[kind]);
            h.update(&(path.len() as u64).to_le_bytes());
            h.update(path.as_bytes());
            h.update(&(data.len() as u64).to_le_bytes());
            h.update(data);
        }
        h.finalize().to_hex().to_string()
    }

    /// Total bytes of the files.
    pub fn size(&self) -> u64 {
        self.entries.values().map(|e| if let Entry::File(d) = e { d.len() as u64 } else { 0 }).sum()
    }

    /// Writes the tree under `dir` (which must exist and be empty).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (path, e) in &self.entries {
            let p = dir.join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            match e {
                Entry::File(d) => std::fs::write(&p, d)?,
                Entry::Link(t) => std::os::unix::fs::symlink(t, &p)?,
            }
        }
        Ok(())
    }

    /// An archive made with one top-level folder (`tar cf p.tar problem/`)
    /// holds the package in that folder (it has `problem.yaml` or `data/`):
    /// the folder is dropped from the paths.
    fn strip_top_folder(&mut self) {
        let mut tops = self.entries.keys().map(|p| p.split_once('/').map(|(top, _)| top));
        let Some(Some(top)) = tops.next() else { return };
        if !tops.all(|t| t == Some(top)) {
            return;
        }
        let prefix = format!("{top}/");
        let package_inside = self.entries.keys().any(|p| {
            let rest = &p[prefix.len()..];
            rest == "problem.yaml" || rest.starts_with("data/")
        });
        if !package_inside {
            return;
        }
        self.entries =
            std::mem::take(&mut self.entries).into_iter().map(|(p, e)| (p[prefix.len()..].to_owned(), e)).collect();
    }

    /// Every link points at a file of the archive, and no entry lies under a link.
    fn check_links(&self) -> Result<(), ArchiveError> {
        for (path, e) in &self.entries {
            let mut parent = String::new();
            for part in path.split('/').take(path.split('/').count() - 1) {
                if !parent.is_empty() {
                    parent.push('/');
                }
                parent.push_str(part);
                match self.entries.get(&parent) {
                    Some(Entry::Link(_)) => return Err(at(path, format!("lies under the symlink {parent:?}"))),
                    Some(Entry::File(_)) => return Err(at(path, format!("lies under the file {parent:?}"))),
                    None => {}
                }
            }
            let Entry::Link(target) = e else { continue };
            let resolved = resolve(path, target).ok_or_else(|| at(path, "a symlink that leads outside the package"))?;
            if !matches!(self.entries.get(&resolved), Some(Entry::File(_))) {
                return Err(at(path, format!("a symlink to {target:?}, which is not a file of the package")));
            }
        }
        Ok(())
    }
}

/// `target` seen from the link at `link`, as a package path; `None` when it
/// is absolute or climbs out.
fn resolve(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The entries gathered while reading, with the caps applied.
struct RawEntries {
    entries: BTreeMap<String, Entry>,
    lim: ArchiveLimits,
    count: usize,
    bytes: u64,
}

impl RawEntries {
    fn new(lim: ArchiveLimits) -> RawEntries {
        RawEntries { entries: BTreeMap::new(), lim, count: 0, bytes: 0 }
    }

    /// Counts an entry; the path made canonical (`./` and a trailing `/` dropped).
    fn admit(&mut self, name: &str) -> Result<String, ArchiveError> {
        self.count += 1;
        if self.count > self.lim.max_entries {
            return Err(whole(format!("has more than {} entries", self.lim.max_entries)));
        }
        clean_path(name)
    }

    /// Reads a file's bytes, at most what is left of the size cap.
    fn file(&mut self, path: String, r: impl Read) -> Result<(), ArchiveError> {
        let room = self.lim.max_unpacked_bytes - self.bytes;
        let mut data = Vec::new();
        r.take(room + 1).read_to_end(&mut data).map_err(|e| at(&path, format!("cannot be unpacked ({e})")))?;
        if data.len() as u64 > room {
            return Err(whole(format!("unpacks to more than {} KiB", self.lim.max_unpacked_bytes / 1024)));
        }
        self.bytes += data.len() as u64;
        self.add(path, Entry::File(data))
    }

    fn add(&mut self, path: String, e: Entry) -> Result<(), ArchiveError> {
        if path.is_empty() {
            return Ok(());
        }
        if self.entries.insert(path.clone(), e).is_some() {
            return Err(at(&path, "comes twice"));
        }
        Ok(())
    }
}

/// A relative path without `.`/`..` components, NUL or backslashes.
fn clean_path(name: &str) -> Result<String, ArchiveError> {
    if name.starts_with('/') {
        return Err(at(name, "an absolute path"));
    }
    if name.len() > MAX_PATH || name.contains('\0') || name.contains('\\') {
        return Err(at(name, "not a plain relative path"));
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(at(name, "a path that climbs out with \"..\"")),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

fn read_zip(archive: &[u8], raw: &mut RawEntries) -> Result<(), ArchiveError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive))
        .map_err(|e| whole(format!("is not a valid zip archive ({e})")))?;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| whole(format!("entry {i} cannot be read ({e})")))?;
        let name = String::from_utf8(f.name_raw().to_vec()).map_err(|_| whole(format!("entry {i}: not UTF-8")))?;
        let path = raw.admit(&name)?;
        if f.encrypted() {
            return Err(at(&name, "encrypted"));
        }
        let kind = f.unix_mode().map_or(0, |m| m & 0o170000);
        if f.is_dir() {
            continue;
        } else if f.is_symlink() {
            let mut target = String::new();
            (&mut f).take(MAX_PATH as u64 + 1).read_to_string(&mut target).map_err(|_| at(&name, "a bad symlink"))?;
            raw.add(path, Entry::Link(target))?;
        } else if kind == 0 || kind == 0o100000 {
            raw.file(path, &mut f)?;
        } else {
            return Err(at(&name, "not a regular file, a directory or a symlink"));
        }
    }
    Ok(())
}

fn read_tar(r: impl Read, raw: &mut RawEntries) -> Result<(), ArchiveError> {
    let mut tar = tar::Archive::new(r);
    let entries = tar.entries().map_err(|e| whole(format!("is not a valid tar archive ({e})")))?;
    for e in entries {
        let mut e = e.map_err(|e| whole(format!("is not a valid tar archive ({e})")))?;
        let name = String::from_utf8(e.path_bytes().into_owned()).map_err(|_| whole("an entry name is not UTF-8"))?;
        use tar::EntryType as T;
        let kind = e.header().entry_type();
        // Extended headers carry metadata of the next entry, not entries.
        if matches!(kind, T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink) {
            continue;
        }
        let path = raw.admit(&name)?;
        match kind {
            T::Directory => {}
            T::Regular | T::Continuous => raw.file(path, &mut e)?,
            T::Symlink => {
                let target = e.link_name_bytes().map(|t| String::from_utf8_lossy(&t).into_owned()).unwrap_or_default();
                raw.add(path, Entry::Link(target))?;
            }
            _ => return Err(at(&name, "not a regular file, a directory or a symlink")),
        }
    }
    if raw.entries.is_empty() {
        return Err(whole("holds no files"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: ArchiveLimits = ArchiveLimits { max_unpacked_bytes: 1 << 20, max_entries: 100 };

    /// Names and targets written as given (the tar crate refuses the hostile ones).
    fn tar_of(entries: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, link, data) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_mode(0o644);
            h.as_ustar_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
            let data: &[u8] = match link {
                Some(t) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.as_ustar_mut().unwrap().linkname[..t.len()].copy_from_slice(t.as_bytes());
                    &[]
                }
                None => data,
            };
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append(&h, data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn one_package_zipped_or_tarred_with_or_without_a_folder_has_one_id() {
        let files: [(&str, &[u8]); 2] = [("problem.yaml", b"name: x\n"), ("data/secret/1.in", b"1\n")];
        let zip = Unpacked::read(&zip_of(&files), LIM).unwrap();
        let tar = Unpacked::read(&tar_of(&files.map(|(n, d)| (n, None, d))), LIM).unwrap();
        let folder: Vec<(String, &[u8])> = files.iter().map(|(n, d)| (format!("./p/{n}"), *d)).collect();
        let folder: Vec<(&str, Option<&str>, &[u8])> = folder.iter().map(|(n, d)| (n.as_str(), None, *d)).collect();
        let folder = Unpacked::read(&tar_of(&folder), LIM).unwrap();
        assert_eq!(zip.id(), tar.id());
        assert_eq!(zip.id(), folder.id());
        assert_eq!(zip.id().len(), 64);
        let other = Unpacked::read(&zip_of(&[("problem.yaml", b"name: y\n")]), LIM).unwrap();
        assert_ne!(zip.id(), other.id());
    }

    #[test]
    fn links_inside_the_package_are_kept_and_others_refused() {
        let ok = tar_of(&[("data/a.in", None, b"1"), ("data/secret/b.in", Some("../a.in"), b"")]);
        let u = Unpacked::read(&ok, LIM).unwrap();
        assert_eq!(u.entries["data/secret/b.in"], Entry::Link("../a.in".into()));
        let cases = [
            (tar_of(&[("a", None, b"1"), ("b", Some("../../etc/passwd"), b"")]), "leads outside"),
            (tar_of(&[("a", None, b"1"), ("b", Some("/etc/passwd"), b"")]), "leads outside"),
            (tar_of(&[("d/a", None, b"1"), ("b", Some("d"), b"")]), "not a file"),
            (tar_of(&[("a", None, b"1"), ("l", Some("a"), b""), ("l/x", None, b"2")]), "under the symlink"),
        ];
        for (archive, why) in cases {
            let e = Unpacked::read(&archive, LIM).unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
            assert!(e.entry.is_some(), "{e}");
        }
    }

    #[test]
    fn traversal_bombs_and_junk_are_refused_naming_the_entry() {
        let e = Unpacked::read(&zip_of(&[("../evil", b"x")]), LIM).unwrap_err();
        assert_eq!(e.entry.as_deref(), Some("../evil"));
        let e = Unpacked::read(&tar_of(&[("a/../../evil", None, b"x")]), LIM).unwrap_err();
        assert!(e.why.contains(".."), "{e}");
        let big = vec![0u8; 2 << 20];
        let e = Unpacked::read(&zip_of(&[("big", &big)]), LIM).unwrap_err();
        assert!(e.why.contains("more than 1024 KiB"), "{e}");
        let many: Vec<(String, &[u8])> = (0..101).map(|i| (format!("f{i}"), &b"x"[..])).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        assert!(Unpacked::read(&zip_of(&many), LIM).unwrap_err().why.contains("more than 100 entries"));
        assert!(Unpacked::read(b"hello", LIM).unwrap_err().why.contains("not a zip, tar"));
        let e = Unpacked::read(&[0x1f, 0x8b, 0, 0], LIM).unwrap_err();
        assert!(e.entry.is_none() && e.why.contains("tar"), "{e}");
    }
}
