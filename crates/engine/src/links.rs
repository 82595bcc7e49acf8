//! Other judges' toolchain paths as links in every box
//! (`toolchain-links.toml`, shipped in the binary): Judge0's multi-file
//! programs call `/usr/local/gcc-9.2.0/bin/g++` and the like.

use flash_sandbox::Link;
use serde::Deserialize;
use std::path::Path;

/// The shipped table's text.
pub const SHIPPED: &str = include_str!("../toolchain-links.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    link: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    target: String,
}

/// The links of `text` whose target `exists` on this host; an error names
/// the entry that is malformed.
pub fn parse(text: &str, exists: impl Fn(&Path) -> bool) -> Result<Vec<Link>, String> {
    let table: Table = toml::from_str(text).map_err(|e| format!("toolchain links: {e}"))?;
    let mut out = Vec::new();
    for e in table.link {
        let under = e
            .path
            .strip_prefix("/usr/local/")
            .filter(|r| !r.is_empty() && !r.split('/').any(|c| c == ".." || c.is_empty()));
        if under.is_none() || !e.target.starts_with('/') {
            return Err(format!(
                "toolchain links: {} -> {}: the path must be under /usr/local/ and the target absolute",
                e.path, e.target
            ));
        }
        if exists(Path::new(&e.target)) {
            out.push(Link { path: e.path.into(), target: e.target.into() });
        }
    }
    Ok(out)
}

/// The shipped links whose targets exist on this host.
pub fn shipped() -> Vec<Link> {
    parse(SHIPPED, Path::exists).expect("the shipped toolchain links parse (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_has_judge0s_paths() {
        let all = parse(SHIPPED, |_| true).unwrap();
        let paths: Vec<_> = all.iter().map(|l| l.path.to_str().unwrap()).collect();
        for want in
            ["/usr/local/python-3.8.1/bin/python3", "/usr/local/openjdk13/bin/javac", "/usr/local/gcc-9.2.0/bin/g++"]
        {
            assert!(paths.contains(&want), "{want}");
        }
        assert!(parse(SHIPPED, |p| p != Path::new("/usr/bin/node")).unwrap().len() == all.len() - 1);
    }

    #[test]
    fn links_outside_usr_local_are_refused() {
        for bad in ["/usr/bin/x", "/usr/local/../etc/x", "/usr/local/"] {
            let text = format!("[[link]]\npath = \"{bad}\"\ntarget = \"/usr/bin/true\"\n");
            assert!(parse(&text, |_| true).unwrap_err().contains(bad), "{bad}");
        }
    }
}
