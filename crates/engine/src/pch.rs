//! Precompiled headers: `#include <bits/stdc++.h>`, the first line of most
//! competitive-programming C++ submissions, costs g++ about 0.9 s per
//! compile; from a precompiled header, about a third of that.
//!
//! For every GCC C++ language of the registry, one header is built per
//! toolchain version and flag set (the flags of its compile command before
//! `{options}`), once, on the host (the input is the system's own header and
//! our own flags, no user text), into `<dir>/<key>/bits/stdc++.h.gch`. The
//! directory is shown read-only in every box at [`BOX_DIR`], and a compile
//! whose source includes `bits/stdc++.h` gets `-I/.flash/pch/<key>` first.
//! g++ itself decides whether the header may be used: it checks that the
//! compiler, the flags and the macros defined before the include match the
//! ones it was built with, and reads the real header otherwise (GCC's
//! documented rules for precompiled headers). So a submission's own
//! options (another `-std`, `-D`, `-O0`) only make it compile plainly.
//!
//! Bounded on disk: one header per C++ language of the registry (about
//! 100 MB each); directories of other keys (an older compiler) are removed
//! when the engine starts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::registry::Registry;
use crate::Language;

/// Where the headers are in every box.
pub const BOX_DIR: &str = "/.flash/pch";

/// The header precompiled.
const HEADER: &str = "bits/stdc++.h";

/// One precompiled header: a compiler and the flags it was built with.
#[derive(Debug)]
struct Entry {
    /// The language it serves (its name).
    language: String,
    /// The compiler, as the compile command names it.
    compiler: String,
    /// The flags of the compile command before `{options}`.
    flags: Vec<String>,
    /// Directory name: a hash of the compiler's version and the flags.
    key: String,
    /// Built and in place.
    ready: AtomicBool,
}

/// The precompiled headers of an engine.
#[derive(Debug, Clone)]
pub struct Pch {
    host_dir: PathBuf,
    entries: Arc<Vec<Entry>>,
}

impl Pch {
    /// Plans one header per GCC C++ language of `registry`, kept in
    /// `host_dir` (created). Nothing is built yet: see [`Pch::build`].
    pub fn plan(registry: &Registry, host_dir: &Path) -> std::io::Result<Pch> {
        std::fs::create_dir_all(host_dir)?;
        let mut entries = Vec::new();
        for lang in registry.languages() {
            let Some(compile) = &lang.spec.compile else { continue };
            let Some(compiler) = compile.first() else { continue };
            if !compiler.ends_with("g++") {
                continue;
            }
            let flags: Vec<String> = compile[1..]
                .iter()
                .take_while(|a| a.as_str() != "{options}")
                .filter(|a| a.as_str() != "-pipe")
                .cloned()
                .collect();
            let mut parts: Vec<&[u8]> = vec![b"pch", compiler.as_bytes(), lang.version.as_bytes(), HEADER.as_bytes()];
            for f in &flags {
                parts.push(f.as_bytes());
            }
            let key: String = crate::cache::key(&parts)[..8].iter().map(|b| format!("{b:02x}")).collect();
            let ready = host_dir.join(&key).join(format!("{HEADER}.gch")).is_file();
            entries.push(Entry {
                language: lang.spec.name.clone(),
                compiler: compiler.clone(),
                flags,
                key,
                ready: AtomicBool::new(ready),
            });
        }
        Ok(Pch { host_dir: host_dir.to_path_buf(), entries: Arc::new(entries) })
    }

    /// The mount that shows the headers in every box.
    pub fn mount(&self) -> flash_sandbox::Mount {
        flash_sandbox::Mount { source: self.host_dir.clone(), target: BOX_DIR.into(), writable: false, optional: false }
    }

    /// Builds the headers not built yet and removes those of other keys.
    /// Blocks (a few seconds per header); returns what it did, per language.
    pub fn build(&self) -> Vec<(String, Result<(), String>)> {
        let keep: Vec<&str> = self.entries.iter().map(|e| e.key.as_str()).collect();
        if let Ok(rd) = std::fs::read_dir(&self.host_dir) {
            for d in rd.flatten() {
                if !d.file_name().to_str().is_some_and(|n| keep.contains(&n)) {
                    let _ = std::fs::remove_dir_all(d.path());
                }
            }
        }
        let mut done = Vec::new();
        for e in self.entries.iter().filter(|e| !e.ready.load(Ordering::Acquire)) {
            let r = self.build_one(e);
            if r.is_ok() {
                e.ready.store(true, Ordering::Release);
            }
            done.push((e.language.clone(), r));
        }
        done
    }

    fn build_one(&self, e: &Entry) -> Result<(), String> {
        let dir = self.host_dir.join(&e.key);
        let tmp = self.host_dir.join(format!(".tmp-{}-{}", e.key, std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("bits")).map_err(|err| err.to_string())?;
        // The header's text is just the include: when a program includes the
        // real header, g++ finds this .gch first on the -I path and takes it.
        let src = tmp.join("pch.h");
        std::fs::write(&src, format!("#include <{HEADER}>\n")).map_err(|err| err.to_string())?;
        let out = Command::new(&e.compiler)
            .args(&e.flags)
            .args(["-x", "c++-header"])
            .arg(&src)
            .arg("-o")
            .arg(tmp.join(format!("{HEADER}.gch")))
            .output()
            .map_err(|err| format!("{}: {err}", e.compiler))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(String::from_utf8_lossy(&out.stderr).chars().take(2000).collect());
        }
        let _ = std::fs::remove_file(&src);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).map_err(|err| err.to_string())
    }

    /// The argument that offers the header to a compile of `source` in
    /// `lang`, when there is a ready one and the source includes it.
    pub fn arg_for(&self, lang: &Language, source: &[u8]) -> Option<String> {
        let e = self.entries.iter().find(|e| e.language == lang.spec.name)?;
        if !e.ready.load(Ordering::Acquire) || !includes_header(source) {
            return None;
        }
        Some(format!("-I{BOX_DIR}/{}", e.key))
    }

    /// (language, flags, ready) of every planned header, for `flash check`
    /// and logs.
    pub fn describe(&self) -> Vec<(String, String, bool)> {
        self.entries.iter().map(|e| (e.language.clone(), e.flags.join(" "), e.ready.load(Ordering::Acquire))).collect()
    }
}

/// Whether a source has an `#include <bits/stdc++.h>` line (spaces allowed).
fn includes_header(source: &[u8]) -> bool {
    source.split(|&b| b == b'\n').any(|line| {
        let l = String::from_utf8_lossy(line);
        let l = l.trim_start();
        let Some(rest) = l.strip_prefix('#') else { return false };
        let Some(rest) = rest.trim_start().strip_prefix("include") else { return false };
        rest.trim_start().starts_with(&format!("<{HEADER}>"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_that_include_the_header_get_it() {
        assert!(includes_header(b"#include <bits/stdc++.h>\nint main(){}"));
        assert!(includes_header(b"// x\n  #  include   <bits/stdc++.h>\n"));
        assert!(!includes_header(b"#include <iostream>\n"));
        assert!(!includes_header(b"// #include <bits/stdc++.h> is slow\n"));
        assert!(!includes_header(b"#include \"bits/stdc++.h\"\n"));
    }
}
