//! Problem packages through the native API (`POST /packages`, `GET
//! /packages/{id}`, `package` in `POST /create`) over real HTTP with a fake
//! judge, using the packages of `tests/problems/`. In split mode
//! (`packages_split.rs`) the upload goes to the HTTP-only server and the
//! worker processes fetch the package from Redis.

mod common;

use common::{config, start};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

fn problem(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/problems").join(name)
}

/// Every file and symlink under `dir` (submissions left out, as a judge's
/// upload would), as (path relative to `dir`, Ok(bytes) | Err(link target)).
fn tree(dir: &Path) -> Vec<(String, Result<Vec<u8>, String>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Result<Vec<u8>, String>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                out.push((rel, Err(std::fs::read_link(&p).unwrap().to_string_lossy().into_owned())));
            } else if meta.is_dir() {
                if rel != "submissions" {
                    walk(root, &p, out);
                }
            } else {
                out.push((rel, Ok(std::fs::read(&p).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// A tar, names and link targets written as given (the tar crate's own
/// checks would refuse the hostile ones these tests need).
fn tar_of(files: &[(String, Result<Vec<u8>, String>)], prefix: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, what) in files {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        let path = format!("{prefix}{path}");
        h.as_ustar_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
        let data: &[u8] = match what {
            Ok(data) => data,
            Err(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.as_ustar_mut().unwrap().linkname[..target.len()].copy_from_slice(target.as_bytes());
                &[]
            }
        };
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip_of(files: &[(String, Result<Vec<u8>, String>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (path, what) in files {
        match what {
            Ok(data) => {
                w.start_file(path.as_str(), opts).unwrap();
                w.write_all(data).unwrap();
            }
            Err(target) => w.add_symlink(path.as_str(), target.as_str(), opts).unwrap(),
        }
    }
    w.finish().unwrap().into_inner()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn upload(s: &common::TestServer, archive: &[u8]) -> (u16, Value) {
    let r = s.req("POST", "/packages", &[("content-type", "application/octet-stream")], archive).await;
    (r.status, r.json())
}

#[tokio::test]
async fn a_package_zipped_or_tarred_has_one_id_and_its_metadata() {
    let s = start(config()).await;
    let files = tree(&problem("primecount"));
    assert!(files.iter().any(|(_, w)| w.is_err()), "primecount reuses a case through a symlink");
    let (status, first) = upload(&s, &zip_of(&files)).await;
    assert_eq!(status, 201, "{first}");
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64);
    for archive in [tar_of(&files, ""), gzip(&tar_of(&files, "primecount/")), zip_of(&files)] {
        let (status, v) = upload(&s, &archive).await;
        assert_eq!((status, v["id"].as_str()), (201, Some(id.as_str())), "{v}");
    }
    let v = s.get(&format!("/packages/{id}")).await.json();
    assert_eq!(v, first);
    assert_eq!(v["type"], "scoring");
    assert_eq!(v["format_version"], "2023-07");
    assert_eq!(v["test_count"], 11);
    let groups: Vec<&str> = v["groups"].as_array().unwrap().iter().map(|g| g["path"].as_str().unwrap()).collect();
    assert_eq!(groups, ["sample", "secret", "secret/1-small", "secret/2-medium", "secret/3-large"]);
    assert_eq!(v["checker"]["language"], "cpp");
    let (_, other) = upload(&s, &tar_of(&tree(&problem("hypot")), "")).await;
    assert_ne!(other["id"], v["id"]);
    assert_eq!(other["type"], "pass-fail");
    let unknown = "0".repeat(64);
    assert_eq!(s.get(&format!("/packages/{unknown}")).await.status, 404);
    assert_eq!(s.get("/packages/nope").await.status, 400);
    s.stop().await;
}

#[tokio::test]
async fn bad_archives_and_packages_are_refused_naming_the_entry() {
    let mut cfg = config();
    cfg.max_package_size = 64;
    let s = start(cfg).await;
    let ok = tree(&problem("hypot"));
    let with = |extra: (&str, Result<Vec<u8>, String>)| {
        let mut f = ok.clone();
        f.push((extra.0.to_owned(), extra.1));
        f
    };
    let no_secret: Vec<_> = ok.iter().filter(|(p, _)| !p.starts_with("data/secret")).cloned().collect();
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (b"not an archive at all".to_vec(), "archive", "not a zip, tar or tar.gz"),
        (Vec::new(), "archive", "zip, tar or tar.gz"),
        (tar_of(&with(("../escape.txt", Ok(b"x".to_vec()))), ""), "archive", "escape.txt"),
        (tar_of(&with(("data/secret/x.in", Err("/etc/passwd".into()))), ""), "archive", "data/secret/x.in"),
        (zip_of(&with(("data/secret/y.in", Err("../../../etc/passwd".into())))), "archive", "outside the package"),
        (tar_of(&no_secret, ""), "package", "data/secret"),
        (tar_of(&with(("problem.yaml", Ok(b"type: [".to_vec()))), ""), "archive", "comes twice"),
        (tar_of(&[("problem.yaml".into(), Ok(b"type: [".to_vec()))], ""), "package", "problem.yaml"),
    ];
    for (archive, field, says) in cases {
        let (status, v) = upload(&s, &archive).await;
        assert_eq!(status, 422, "{v}");
        let msg = v[field][0].as_str().unwrap_or_else(|| panic!("{field} in {v}"));
        assert!(msg.contains(says), "{msg:?} should say {says:?}");
        let dir = s.dir.path().to_string_lossy().into_owned();
        assert!(!msg.contains(&dir) && !msg.contains("/tmp"), "a host path in {msg:?}");
    }
    let big = vec![b'x'; 65 * 1024];
    let r = s.req("POST", "/packages", &[], &big).await;
    assert_eq!(r.status, 413);
    s.stop().await;
}

#[tokio::test]
async fn a_submission_by_package_id_gets_the_table_and_the_score() {
    let s = start(config()).await;
    let (_, v) = upload(&s, &tar_of(&tree(&problem("primecount")), "")).await;
    let id = v["id"].as_str().unwrap().to_owned();
    let calls = s.calls();
    let r = s.post("/create?wait=true", &json!({"code": "int main() {}", "language": "cpp", "package": id})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let v = r.json();
    assert_eq!(v["status"]["id"], 3, "{v}");
    let p = &v["package"];
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["verdict"], "AC");
    assert_eq!(p["score"], 100.0);
    assert_eq!(p["tests"].as_array().unwrap().len(), 11);
    assert_eq!(p["tests"][0]["name"], "sample/1");
    assert_eq!(p["groups"][0]["path"], "secret");
    assert_eq!(s.calls(), calls + 1);
    assert!(p["tests"][0].get("transcript").is_none(), "only when asked for");

    let body = json!({"code": "x", "language": "cpp", "package": id, "transcript": true});
    let v = s.post("/create?wait=true", &body).await.json();
    let said = &v["package"]["tests"][0]["transcript"];
    assert_eq!(said["messages"][0], json!({"side": "solution", "text": "5\n"}), "{v}");
    assert_eq!(said["interactor_truncated"], false);

    let body = json!({"code": "WA", "language": "cpp", "package": id, "all_tests": true, "time_limit": 2});
    let v = s.post("/create?wait=true", &body).await.json();
    assert_eq!(v["status"]["id"], 4, "{v}");
    assert_eq!(v["package"]["score"], 50.0);
    let wa = v["package"]["tests"].as_array().unwrap().iter().find(|t| t["verdict"] == "WA").unwrap();
    assert_eq!(wa["name"], "secret/1-small/01");
    assert!(v["message"].as_str().unwrap().contains("secret/1-small/01"), "{v}");
    // The token reads the same later.
    let token = s.post("/create", &body).await.json()["token"].as_str().unwrap().to_owned();
    let mut later = Value::Null;
    for _ in 0..200 {
        later = s.get(&format!("/check/{token}")).await.json();
        if later["status"]["id"].as_u64() > Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(later["package"]["tests"], v["package"]["tests"]);
    s.stop().await;
}

#[tokio::test]
async fn an_unknown_or_malformed_package_is_refused_naming_package() {
    let s = start(config()).await;
    let unknown = "ab".repeat(32);
    let r = s.post("/create", &json!({"code": "x", "language": "cpp", "package": unknown})).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["package"][0].as_str().unwrap().contains("unknown package"), "{:?}", r.json());
    let r = s.post("/create", &json!({"code": "x", "language": "cpp", "package": "../../etc"})).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["package"][0].as_str().unwrap().contains("64 hex digits"));
    let body = json!({"code": "x", "language": "cpp", "package": unknown, "tests": [{"input": "1"}]});
    let r = s.post("/create", &body).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["tests"][0].as_str().unwrap().contains("package"), "{:?}", r.json());
    let r = s.post("/create", &json!({"code": "x", "language": "cpp", "all_tests": true, "transcript": true})).await;
    assert_eq!(r.status, 422);
    assert!(r.json().get("all_tests").is_some() && r.json().get("transcript").is_some(), "{:?}", r.json());
    s.stop().await;
}
