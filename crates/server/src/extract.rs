//! Judge0's `additional_files`: a zip unpacked into the box before compiling.
//!
//! Zip-slip (`../../etc/cron.d/x`) and symlink entries were real Judge0
//! vulnerabilities, so every entry is checked here before anything reaches the
//! sandbox: relative paths only, no `..`, no symlinks or special files, no
//! encryption; and the count and the real (not the declared) unpacked size
//! are capped, so a zip bomb stops at the cap.

use flash_engine::ExtraFile;
use std::io::{Cursor, Read};

/// Caps on what one archive may unpack to.
#[derive(Debug, Clone, Copy)]
pub struct ExtractLimits {
    /// Total bytes of all files.
    pub max_bytes: u64,
    /// Number of entries (files and directories).
    pub max_files: usize,
}

/// Unpacks `zip` into files (path, executable bit, bytes), or says why it cannot.
pub fn extract(zip: &[u8], lim: ExtractLimits) -> Result<Vec<ExtraFile>, String> {
    let mut ar = zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| format!("is not a valid zip archive ({e})"))?;
    if ar.len() > lim.max_files {
        return Err(format!("has {} entries, more than the {} allowed", ar.len(), lim.max_files));
    }
    let mut out: Vec<ExtraFile> = Vec::new();
    let mut total: u64 = 0;
    for i in 0..ar.len() {
        let mut f = ar.by_index(i).map_err(|e| format!("entry {i} cannot be read ({e})"))?;
        let name = String::from_utf8_lossy(f.name_raw()).into_owned();
        if f.is_symlink() {
            return Err(format!("entry {name:?} is a symlink, which is not allowed"));
        }
        check_path(&name)?;
        if f.is_dir() {
            continue;
        }
        if f.encrypted() {
            return Err(format!("entry {name:?} is encrypted"));
        }
        let executable = f.unix_mode().is_some_and(|m| m & 0o111 != 0);
        if let Some(mode) = f.unix_mode() {
            let kind = mode & 0o170000;
            if kind != 0 && kind != 0o100000 {
                return Err(format!("entry {name:?} is not a regular file"));
            }
        }
        let room = lim.max_bytes - total;
        let mut data = Vec::new();
        (&mut f)
            .take(room + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("entry {name:?} cannot be unpacked ({e})"))?;
        if data.len() as u64 > room {
            return Err(format!("unpacks to more than {} KB, the server's max_extract_size", lim.max_bytes / 1024));
        }
        total += data.len() as u64;
        // `unzip -n` (Judge0) keeps the first of two entries with one name.
        if !out.iter().any(|f| f.path == name) {
            out.push(ExtraFile { path: name, executable, data });
        }
    }
    check_tree(&out)?;
    Ok(out)
}

/// No file may also be a directory of another (`a` and `a/b`): no
/// filesystem holds both, so such an archive cannot be unpacked.
fn check_tree(files: &[ExtraFile]) -> Result<(), String> {
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    if let Some((dir, path)) = flash_sandbox::spec::file_and_directory(&paths) {
        return Err(format!("entry {dir:?} is a file, but entry {path:?} needs it to be a directory"));
    }
    Ok(())
}

/// A path inside the box: relative, no `..`, no empty or odd components.
fn check_path(name: &str) -> Result<(), String> {
    let trimmed = name.trim_end_matches('/');
    if trimmed.is_empty() || name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err(format!("entry {name:?} has an absolute or invalid path"));
    }
    for c in trimmed.split('/') {
        if c == ".." {
            return Err(format!("entry {name:?} leaves the box ('..' is not allowed)"));
        }
        if c.is_empty() || c == "." {
            return Err(format!("entry {name:?} has an empty or '.' path component"));
        }
        if c.len() > flash_sandbox::spec::NAME_MAX {
            return Err(format!("entry {name:?} has a name longer than 255 bytes, which no Linux filesystem holds"));
        }
    }
    if trimmed.len() > 1024 {
        return Err(format!("entry {:?}... has a path longer than 1024 bytes", &trimmed[..64]));
    }
    // Flash's own files in the box (the multi-file tree, the debugger's
    // tracer) are named .flash*; an entry of that name would collide.
    if trimmed.starts_with(".flash") {
        return Err(format!("entry {name:?} uses a name reserved for Flash's own files (.flash*)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    const LIM: ExtractLimits = ExtractLimits { max_bytes: 1 << 20, max_files: 10 };

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            if let Some(dir) = name.strip_suffix('/') {
                w.add_directory(dir, SimpleFileOptions::default()).unwrap();
            } else {
                w.start_file(*name, SimpleFileOptions::default()).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn archives_no_filesystem_could_hold_are_refused_naming_the_entry() {
        let e = extract(&zip_of(&[("a", b"x"), ("a/b", b"y")]), LIM).unwrap_err();
        assert_eq!(e, "entry \"a\" is a file, but entry \"a/b\" needs it to be a directory");
        let e = extract(&zip_of(&[("d/a/b", b"y"), ("d/a", b"x")]), LIM).unwrap_err();
        assert!(e.contains("entry \"d/a\" is a file"), "{e}");
        let long = format!("dir/{}", "n".repeat(256));
        let e = extract(&zip_of(&[(long.as_str(), b"x")]), LIM).unwrap_err();
        assert!(e.contains("longer than 255 bytes"), "{e}");
        assert!(extract(&zip_of(&[(&"n".repeat(255)[..], b"x")]), LIM).is_ok());
        for name in [".flash-tree.tar", ".flash-debug/trace.jsonl"] {
            let e = extract(&zip_of(&[(name, b"x")]), LIM).unwrap_err();
            assert!(e.contains("reserved for Flash's own files"), "{e}");
        }
        // Directories and files that only share a prefix are fine.
        assert!(extract(&zip_of(&[("a", b"x"), ("ab/c", b"y"), ("a.d/e", b"z")]), LIM).is_ok());
    }

    #[test]
    fn plain_files_and_directories_unpack() {
        let z = zip_of(&[("run", b"echo hi"), ("lib/", b""), ("lib/a.h", b"int x;")]);
        let files = extract(&z, LIM).unwrap();
        let got: Vec<(&str, bool, &[u8])> =
            files.iter().map(|f| (f.path.as_str(), f.executable, &f.data[..])).collect();
        assert_eq!(got, vec![("run", false, &b"echo hi"[..]), ("lib/a.h", false, &b"int x;"[..])]);
    }

    #[test]
    fn the_executable_bit_comes_through() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, mode) in [("run", 0o755), ("data", 0o644)] {
            w.start_file(name, SimpleFileOptions::default().unix_permissions(mode)).unwrap();
            w.write_all(b"x").unwrap();
        }
        let z = w.finish().unwrap().into_inner();
        let got: Vec<(String, bool)> = extract(&z, LIM).unwrap().into_iter().map(|f| (f.path, f.executable)).collect();
        assert_eq!(got, [("run".to_string(), true), ("data".to_string(), false)]);
    }

    #[test]
    fn zip_slip_and_absolute_paths_are_refused() {
        for bad in ["../evil", "a/../../evil", "/etc/passwd", "a//b", "./x"] {
            let z = zip_of(&[(bad, b"x")]);
            let e = extract(&z, LIM).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn symlinks_are_refused() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.add_symlink("link", "/etc/passwd", SimpleFileOptions::default()).unwrap();
        let z = w.finish().unwrap().into_inner();
        assert!(extract(&z, LIM).unwrap_err().contains("symlink"));
    }

    #[test]
    fn bombs_and_crowds_stop_at_the_caps() {
        let big = vec![0u8; 3000];
        let z = zip_of(&[("a", &big)]);
        let lim = ExtractLimits { max_bytes: 2048, max_files: 10 };
        assert!(extract(&z, lim).unwrap_err().contains("more than 2 KB"));
        let many: Vec<(String, &[u8])> = (0..11).map(|i| (format!("f{i}"), &b""[..])).collect();
        let refs: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        assert!(extract(&zip_of(&refs), LIM).unwrap_err().contains("11 entries"));
        assert!(extract(b"not a zip", LIM).unwrap_err().contains("not a valid zip"));
    }
}
