//! Precompiled headers: `#include <bits/stdc++.h>`, the first line of most
//! competitive-programming C++ submissions, costs g++ about 0.9 s per
//! compile; from a precompiled header, about a third of that. The other
//! usual first lines cost less but are most of a small program's compile:
//! `<iostream>` 0.26 s of CPU plainly, 0.09 s precompiled.
//!
//! For every GCC C++ language of the registry, each header of [`HEADERS`]
//! is built per toolchain version and flag set (the flags of its compile
//! command before `{options}`), once, on the host (the input is the
//! system's own header and our own flags, no user text), into
//! `<dir>/<key>/<header>.gch`. The directory is shown read-only in every box
//! at [`BOX_DIR`], and a compile whose first `#include` is one of them gets
//! `-I/.flash/pch/<key>` first. g++ itself decides whether a header may be
//! used: only for the first include, and only when the compiler, the flags
//! and the macros defined before the include match the ones it was built
//! with; otherwise it reads the real header (GCC's documented rules for
//! precompiled headers; beside each `.gch` the directory holds a header of
//! one line, `#include_next <header>`, which hands over to the system's). So
//! a submission's own options (another `-std`, `-D`, `-O0`) only make it
//! compile plainly, and a header precompiled holds exactly what the include
//! names: nothing more is declared. The one visible difference: a compile
//! error inside a library header lists the one-line header too among the
//! files it was included from.
//!
//! Bounded on disk: one set per g++ language of the registry (about 210 MB:
//! `bits/stdc++.h` 100 MB, the others 10-23 MB each); directories of other
//! keys (an older compiler, another set) are removed when the engine starts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::registry::Registry;
use crate::Language;

/// Where the headers are in every box.
pub const BOX_DIR: &str = "/.flash/pch";

/// The headers precompiled: the first includes of most C++ submissions
/// whose plain parse costs more than a few hundredths of a second (`<cstdio>`
/// and `<cstring>` cost 0.03 s; precompiling saves nothing).
pub const HEADERS: [&str; 9] =
    ["bits/stdc++.h", "iostream", "string", "vector", "algorithm", "cmath", "map", "set", "queue"];

/// One precompiled header: a compiler and the flags it was built with.
#[derive(Debug)]
struct Entry {
    /// The language it serves (its name).
    language: String,
    /// The compiler, as the compile command names it.
    compiler: String,
    /// The flags of the compile command before `{options}`.
    flags: Vec<String>,
    /// Directory name: a hash of the compiler's version, the flags and [`HEADERS`].
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
            if !is_gxx(compiler) {
                continue;
            }
            let flags: Vec<String> = compile[1..]
                .iter()
                .take_while(|a| a.as_str() != "{options}")
                .filter(|a| a.as_str() != "-pipe")
                .cloned()
                .collect();
            let mut parts: Vec<&[u8]> = vec![b"pch", compiler.as_bytes(), lang.version.as_bytes()];
            parts.extend(HEADERS.iter().map(|h| h.as_bytes()));
            parts.push(b"flags");
            parts.extend(flags.iter().map(|f| f.as_bytes()));
            let key: String = crate::cache::key(&parts)[..8].iter().map(|b| format!("{b:02x}")).collect();
            let ready = HEADERS.iter().all(|h| host_dir.join(&key).join(format!("{h}.gch")).is_file());
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
    /// Blocks (about 6 s of CPU per language); returns what it did, per language.
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
        let built = HEADERS.iter().try_for_each(|h| self.build_header(e, &tmp, h));
        if let Err(err) = built {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(err);
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).map_err(|err| err.to_string())
    }

    /// Builds `<tmp>/<header>.gch`.
    fn build_header(&self, e: &Entry, tmp: &Path, header: &str) -> Result<(), String> {
        let gch = tmp.join(format!("{header}.gch"));
        std::fs::create_dir_all(gch.parent().unwrap_or(tmp)).map_err(|err| err.to_string())?;
        // The header's text is just the include: when a program includes the
        // real header, g++ finds this .gch first on the -I path and takes it.
        let src = tmp.join("pch.h");
        std::fs::write(&src, format!("#include <{header}>\n")).map_err(|err| err.to_string())?;
        let out = Command::new(&e.compiler)
            .args(&e.flags)
            .args(["-x", "c++-header"])
            .arg(&src)
            .arg("-o")
            .arg(&gch)
            .output()
            .map_err(|err| format!("{}: {err}", e.compiler))?;
        let _ = std::fs::remove_file(&src);
        if !out.status.success() {
            let said: String = String::from_utf8_lossy(&out.stderr).chars().take(2000).collect();
            return Err(format!("<{header}>: {said}"));
        }
        // Beside it, a header that hands over to the system's: once g++ has
        // taken the precompiled one it takes this directory's name for the
        // header, and a later include of it (the library includes <string>
        // from many headers; a program may include its header twice) must
        // find a file there. The system's header then skips itself (its
        // include guard); where the precompiled one was refused, it is read.
        std::fs::write(tmp.join(header), format!("#include_next <{header}>\n")).map_err(|err| err.to_string())
    }

    /// The argument that offers the headers to a compile of `source` in
    /// `lang`, when they are ready and the source's first include is one.
    pub fn arg_for(&self, lang: &Language, source: &[u8]) -> Option<String> {
        let e = self.entries.iter().find(|e| e.language == lang.spec.name)?;
        if !e.ready.load(Ordering::Acquire) || first_include(source).is_none() {
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

/// Whether a compile command's program is GCC's C++ compiler (`g++`,
/// `g++-12`, `x86_64-linux-gnu-g++`). Not `clang++`, whose name also ends
/// in `g++`: Clang takes a precompiled header only when told to
/// (`-include-pch`), never from an include path.
fn is_gxx(compiler: &str) -> bool {
    let name = Path::new(compiler).file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "g++" || name.starts_with("g++-") || name.ends_with("-g++")
}

/// The header of [`HEADERS`] that a source's first `#include <...>` line
/// names (spaces allowed), if it is one: g++ takes a precompiled header only
/// for the first include. What comes before it is g++'s to judge (a macro
/// the header uses makes it read the header plainly).
pub fn first_include(source: &[u8]) -> Option<&'static str> {
    let named = source.split(|&b| b == b'\n').find_map(|line| {
        let l = String::from_utf8_lossy(line);
        let rest = l.trim_start().strip_prefix('#')?.trim_start().strip_prefix("include")?;
        let rest = rest.trim_start();
        Some(rest.strip_prefix('<').and_then(|r| r.split_once('>')).map(|(name, _)| name.trim().to_owned()))
    })??;
    HEADERS.iter().find(|h| **h == named).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gccs_cxx_compiler_gets_the_headers() {
        for gxx in ["/usr/bin/g++", "g++-12", "/usr/bin/x86_64-linux-gnu-g++"] {
            assert!(is_gxx(gxx), "{gxx}");
        }
        for other in ["/usr/bin/clang++", "clang++-14", "/usr/bin/gcc", "/usr/bin/g++wrapper"] {
            assert!(!is_gxx(other), "{other}");
        }
    }

    #[test]
    fn only_sources_whose_first_include_is_precompiled_get_the_headers() {
        assert_eq!(first_include(b"#include <bits/stdc++.h>\nint main(){}"), Some("bits/stdc++.h"));
        assert_eq!(first_include(b"// x\n  #  include   <bits/stdc++.h>\n"), Some("bits/stdc++.h"));
        assert_eq!(first_include(b"#include<iostream>\n#include <vector>\n"), Some("iostream"));
        assert_eq!(first_include(b"#define N 5\n#include <vector>\n"), Some("vector"));
        assert_eq!(first_include(b"#include <cstdio>\n#include <iostream>\n"), None, "not the first");
        assert_eq!(first_include(b"#include \"bits/stdc++.h\"\n"), None);
        assert_eq!(first_include(b"// #include <bits/stdc++.h> is slow\nint main(){}\n"), None);
        assert_eq!(first_include(b"#include <iostream.h>\n"), None);
        assert_eq!(first_include(b"#include <iostream\n"), None);
        assert_eq!(first_include(b"int main(){}\n"), None);
    }
}
