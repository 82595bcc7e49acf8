//! Sessions over HTTP (issue 17): a workspace that lives across runs, with
//! its bounds, owned by the key that made it, kept across a restart. The fake
//! judge runs a small file script against the workspace (see
//! `FakeJudge::run_in_workspace`); the real sandbox's side is in the engine's
//! `workspace` tests. `sessions_split.rs` runs these again in split mode, where
//! the workspace travels to worker processes through Redis.

mod common;

use base64::Engine as _;
use common::{config, start, start_in, TestServer};
use flash_server::config::ApiKey;
use serde_json::{json, Value};

const ALICE: &str = "alice-secret-0123456789";
const BOB: &str = "bob-secret-0123456789ab";

async fn send(s: &TestServer, key: Option<&str>, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut h = vec![("Content-Type", "application/json")];
    if let Some(k) = key {
        h.push(("X-Auth-Token", k));
    }
    let r = s.req(method, path, &h, body).await;
    (r.status, r.body.clone())
}

async fn call(s: &TestServer, key: Option<&str>, method: &str, path: &str, body: Value) -> (u16, Value) {
    let b = if body.is_null() { Vec::new() } else { serde_json::to_vec(&body).unwrap() };
    let (status, out) = send(s, key, method, path, &b).await;
    (status, serde_json::from_slice(&out).unwrap_or(Value::Null))
}

async fn new_session(s: &TestServer, key: Option<&str>, body: Value) -> String {
    let (st, v) = call(s, key, "POST", "/sessions", body).await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_session_keeps_files_across_runs_and_copies_out_by_name() {
    let s = start(config()).await;
    let id = new_session(&s, None, json!({})).await;
    let (st, v) = call(&s, None, "PUT", &format!("/sessions/{id}/files/data/in.txt"), Value::Null).await;
    assert_eq!(st, 201, "an empty file is a file: {v}");
    let (st, _) = send(&s, None, "PUT", &format!("/sessions/{id}/files/data/in.txt"), b"hello csv").await;
    assert_eq!(st, 201);

    // A run reads the uploaded file and writes another; copy_out returns it.
    let run = json!({"command": "upper data/in.txt out/result.txt\nls", "copy_out": ["out/result.txt", "nope.txt"]});
    let (st, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), run).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"]["id"], 3, "{v}");
    assert_eq!(v["stdout"], "data/in.txt\nout/result.txt\n");
    assert_eq!(v["workspace"]["saved"], true, "{v}");
    let got = base64::engine::general_purpose::STANDARD.decode(v["copy_out"][0]["content_base64"].as_str().unwrap());
    assert_eq!(got.unwrap(), b"HELLO CSV");
    assert!(v["copy_out"][1]["error"].as_str().unwrap().contains("no such file"), "{v}");

    // The next run (a fresh sandbox) sees what the last one wrote, and may delete.
    let run = json!({"language": "bash", "code": "cat out/result.txt\nrm data/in.txt"});
    let (st, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), run).await;
    assert_eq!((st, v["stdout"].as_str()), (200, Some("HELLO CSV")), "{v}");
    let (st, files) = call(&s, None, "GET", &format!("/sessions/{id}/files"), Value::Null).await;
    assert_eq!(st, 200);
    assert_eq!(files["files"], json!([{"path": "out/result.txt", "size": 9, "executable": false}]));
    let (st, body) = send(&s, None, "GET", &format!("/sessions/{id}/files/out/result.txt"), b"").await;
    assert_eq!((st, body.as_slice()), (200, &b"HELLO CSV"[..]));

    // Deleting a file, then the session.
    let (st, _) = send(&s, None, "DELETE", &format!("/sessions/{id}/files/out/result.txt"), b"").await;
    assert_eq!(st, 204);
    let (st, _) = send(&s, None, "GET", &format!("/sessions/{id}/files/out/result.txt"), b"").await;
    assert_eq!(st, 404);
    let (st, _) = send(&s, None, "DELETE", &format!("/sessions/{id}"), b"").await;
    assert_eq!(st, 204);
    let (st, v) = call(&s, None, "GET", &format!("/sessions/{id}"), Value::Null).await;
    assert_eq!(st, 404, "{v}");
}

#[tokio::test]
async fn a_run_that_did_not_happen_or_broke_a_limit_leaves_the_workspace_unchanged() {
    let mut cfg = config();
    cfg.sessions.max_file_kb = 1;
    let s = start(cfg).await;
    let id = new_session(&s, None, json!({})).await;
    send(&s, None, "PUT", &format!("/sessions/{id}/files/keep.txt"), b"v1").await;
    let run = json!({"command": "write keep.txt v2\nbig huge.bin 5000", "copy_out": ["keep.txt"]});
    let (st, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), run).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["workspace"]["saved"], false);
    let note = v["workspace"]["note"].as_str().unwrap();
    assert!(note.contains("huge.bin") && note.contains("1 KiB"), "{note}");
    assert!(v["copy_out"][0]["error"].as_str().unwrap().contains("not saved"), "{v}");
    let run = json!({"command": "COMPILE_ERROR\nwrite keep.txt v3"});
    let (_, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), run).await;
    assert_eq!((v["status"]["id"].as_u64(), &v["workspace"]["saved"]), (Some(6), &json!(false)), "{v}");
    let (_, body) = send(&s, None, "GET", &format!("/sessions/{id}/files/keep.txt"), b"").await;
    assert_eq!(body, b"v1");
    // A run judges nothing: no test cases, no package (its job would leave the workspace aside).
    let package = "0".repeat(64);
    for run in [json!({"command": "ls", "tests": []}), json!({"command": "ls", "package": package})] {
        let (st, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), run).await;
        assert_eq!(st, 422, "{v}");
        assert!(v.to_string().contains("is not taken by a session run"), "{v}");
    }
}

#[tokio::test]
async fn uploads_are_bounded_in_size_count_and_path() {
    let mut cfg = config();
    cfg.sessions.max_files = 2;
    cfg.sessions.max_file_kb = 1;
    cfg.sessions.max_size_kb = 1;
    cfg.sessions.max_per_key = 1;
    let s = start(cfg).await;
    let id = new_session(&s, None, json!({})).await;
    let (st, v) = call(&s, None, "POST", "/sessions", json!({})).await;
    assert_eq!(st, 409, "one session per key here: {v}");
    assert!(v["error"].as_str().unwrap().contains("limit is 1"));
    let (st, body) = send(&s, None, "PUT", &format!("/sessions/{id}/files/big"), &[b'x'; 1025]).await;
    assert_eq!(st, 409, "{}", String::from_utf8_lossy(&body));
    assert_eq!(send(&s, None, "PUT", &format!("/sessions/{id}/files/a"), &[b'x'; 1000]).await.0, 201);
    let (st, _) = send(&s, None, "PUT", &format!("/sessions/{id}/files/b"), &[b'x'; 100]).await;
    assert_eq!(st, 409, "over the workspace's total");
    assert_eq!(send(&s, None, "PUT", &format!("/sessions/{id}/files/b"), b"1").await.0, 201);
    assert_eq!(send(&s, None, "PUT", &format!("/sessions/{id}/files/c"), b"1").await.0, 409, "over the file count");
    let (st, body) = send(&s, None, "PUT", &format!("/sessions/{id}/files/a/b"), b"1").await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(st, 422, "{v}");
    assert!(v["path"][0].as_str().unwrap().contains("both a file and a directory"), "{v}");
    let (st, body) = send(&s, None, "PUT", &format!("/sessions/{id}/files/x/%2E%2E/y"), b"1").await;
    assert_eq!(st, 422, "{}", String::from_utf8_lossy(&body));
    let (st, v) = call(&s, None, "POST", "/sessions", json!({"idle_timeout": 0, "max_age": "x", "color": 1})).await;
    assert_eq!(st, 422);
    for f in ["idle_timeout", "max_age", "color"] {
        assert!(v.get(f).is_some(), "{f} named in {v}");
    }
    let (st, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), json!({"command": 1, "tests": []})).await;
    assert_eq!(st, 422);
    assert!(v.get("command").is_some() && v.get("tests").is_some(), "{v}");
}

#[tokio::test]
async fn an_idle_session_is_gone() {
    let s = start(config()).await;
    let id = new_session(&s, None, json!({"idle_timeout": 1})).await;
    let long = new_session(&s, None, json!({"idle_timeout": 3600, "max_age": 7200})).await;
    let (_, v) = call(&s, None, "GET", &format!("/sessions/{long}"), Value::Null).await;
    assert_eq!(v["expires_at"].as_f64().unwrap() - v["created_at"].as_f64().unwrap(), 3600.0, "{v}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (st, _) = call(&s, None, "GET", &format!("/sessions/{id}"), Value::Null).await;
    assert_eq!(st, 404);
    let (_, v) = call(&s, None, "GET", "/sessions", Value::Null).await;
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1, "{v}");
    // Expiring now deletes it.
    let (st, _) = call(&s, None, "POST", &format!("/sessions/{long}/expire"), json!({})).await;
    assert_eq!(st, 204);
    let (st, _) = call(&s, None, "GET", &format!("/sessions/{long}"), Value::Null).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn one_key_cannot_see_or_touch_another_keys_session() {
    let mut cfg = config();
    cfg.api_keys = vec![
        ApiKey { name: "alice".into(), key: ALICE.into(), requests_per_minute: 0, max_concurrent: 0, network: vec![] },
        ApiKey { name: "bob".into(), key: BOB.into(), requests_per_minute: 0, max_concurrent: 0, network: vec![] },
    ];
    let s = start(cfg).await;
    assert_eq!(call(&s, None, "POST", "/sessions", json!({})).await.0, 401);
    let id = new_session(&s, Some(ALICE), json!({})).await;
    send(&s, Some(ALICE), "PUT", &format!("/sessions/{id}/files/secret.txt"), b"alice's").await;
    let (_, v) = call(&s, Some(BOB), "GET", "/sessions", Value::Null).await;
    assert_eq!(v["sessions"], json!([]));
    let p = format!("/sessions/{id}");
    for (method, path, body) in [
        ("GET", p.clone(), Value::Null),
        ("GET", format!("{p}/files"), Value::Null),
        ("GET", format!("{p}/files/secret.txt"), Value::Null),
        ("PUT", format!("{p}/files/x.txt"), Value::Null),
        ("DELETE", format!("{p}/files/secret.txt"), Value::Null),
        ("POST", format!("{p}/run"), json!({"command": "cat secret.txt"})),
        ("POST", format!("{p}/expire"), json!({})),
        ("DELETE", p.clone(), Value::Null),
    ] {
        let (st, v) = call(&s, Some(BOB), method, &path, body).await;
        assert_eq!(st, 404, "bob {method} {path}: {v}");
    }
    let (st, body) = send(&s, Some(ALICE), "GET", &format!("{p}/files/secret.txt"), b"").await;
    assert_eq!((st, body.as_slice()), (200, &b"alice's"[..]));
}

#[tokio::test]
async fn a_sessions_files_survive_a_restart() {
    let s = start(config()).await;
    let id = new_session(&s, None, json!({})).await;
    send(&s, None, "PUT", &format!("/sessions/{id}/files/notes.txt"), b"before").await;
    let data = s.stop().await;
    let s = start_in(config(), data).await;
    let run = json!({"command": "upper notes.txt after.txt", "copy_out": ["after.txt"]});
    let (st, v) = call(&s, None, "POST", &format!("/sessions/{id}/run"), run).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["copy_out"][0]["content_base64"], "QkVGT1JF", "{v}");
}
