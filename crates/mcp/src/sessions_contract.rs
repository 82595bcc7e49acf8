//! The session tools against an in-memory fake of the sessions contract
//! (the native API's `/sessions` endpoints, as docs/mcp.md and the issue
//! define them): the requests the tools make and how they read the answers,
//! without a sandbox. The real API is checked end to end by
//! `scripts/mcp-check.sh --sessions`.

use super::*;
use crate::backend::{Backend, LocalService};
use crate::params::{Encoding, Limits};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rmcp::model::CallToolResult;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Session id -> (path -> bytes).
type Store = Arc<Mutex<BTreeMap<String, BTreeMap<String, Vec<u8>>>>>;

fn json_reply(status: StatusCode, v: Value) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn not_found() -> Response {
    json_reply(StatusCode::NOT_FOUND, json!({"error": "session not found"}))
}

fn fake() -> Backend {
    let store: Store = Arc::default();
    let router = axum::Router::new()
        .route(
            "/sessions",
            post(|State(s): State<Store>| async move {
                let mut g = s.lock().unwrap();
                let id = format!("s{}", g.len() + 1);
                g.insert(id.clone(), BTreeMap::new());
                json_reply(
                    StatusCode::CREATED,
                    json!({"id": id, "created_at": 1.0, "last_used_at": 1.0, "expires_at": 601.0, "idle_timeout": 600,
                           "max_age": 3600, "bytes": 0, "files": 0, "max_bytes": 1_000_000, "max_files": 100}),
                )
            }),
        )
        .route(
            "/sessions/{id}",
            axum::routing::delete(|State(s): State<Store>, Path(id): Path<String>| async move {
                match s.lock().unwrap().remove(&id) {
                    Some(_) => StatusCode::NO_CONTENT.into_response(),
                    None => not_found(),
                }
            }),
        )
        .route(
            "/sessions/{id}/files",
            get(|State(s): State<Store>, Path(id): Path<String>| async move {
                let g = s.lock().unwrap();
                let Some(files) = g.get(&id) else { return not_found() };
                let list: Vec<Value> =
                    files.iter().map(|(p, b)| json!({"path": p, "size": b.len(), "modified": 1.5})).collect();
                json_reply(StatusCode::OK, json!({ "files": list }))
            }),
        )
        .route(
            "/sessions/{id}/files/{*path}",
            get(|State(s): State<Store>, Path((id, path)): Path<(String, String)>| async move {
                let g = s.lock().unwrap();
                let Some(files) = g.get(&id) else { return not_found() };
                match files.get(&path) {
                    Some(b) => b.clone().into_response(),
                    None => json_reply(StatusCode::NOT_FOUND, json!({"error": "file not found"})),
                }
            })
            .put(
                |State(s): State<Store>, Path((id, path)): Path<(String, String)>, body: Bytes| async move {
                    let mut g = s.lock().unwrap();
                    let Some(files) = g.get_mut(&id) else { return not_found() };
                    files.insert(path.clone(), body.to_vec());
                    json_reply(StatusCode::CREATED, json!({"path": path, "size": body.len()}))
                },
            ),
        )
        .route(
            "/sessions/{id}/run",
            post(|State(s): State<Store>, Path(id): Path<String>, body: Bytes| async move {
                let req: Value = serde_json::from_slice(&body).unwrap();
                let mut g = s.lock().unwrap();
                let Some(files) = g.get_mut(&id) else { return not_found() };
                // The fake "runs" by copying in.txt to out.txt and echoing what it was asked.
                let copied = files.get("in.txt").cloned().unwrap_or_default();
                files.insert("out.txt".into(), copied);
                let asked = req.get("command").or(req.get("code")).cloned().unwrap_or(Value::Null);
                json_reply(
                    StatusCode::OK,
                    json!({"status": {"id": 3, "description": "Accepted"}, "stdout": format!("ran {asked}\n"),
                           "stderr": "", "compile_output": "", "exit_code": 0, "time": 0.001, "wall_time": 0.002,
                           "memory": 1024, "language": {"id": 71, "name": "Python (3.11.2)"},
                           "echo": req, "files": {"created": ["out.txt"], "modified": [], "deleted": []}}),
                )
            }),
        )
        .with_state(store);
    Backend::Local(LocalService::new(router))
}

fn text(r: &CallToolResult) -> String {
    r.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

#[tokio::test]
async fn a_session_walk_through_the_contract() {
    let mcp = FlashMcp::new(fake());
    let r = mcp.session_create(Parameters(SessionCreate { idle_timeout: Some(600), max_age: None })).await.unwrap();
    let t = text(&r);
    assert!(!is_error(&r) && t.contains("\nid: s1\n") && t.contains("max_files: 100"), "{t}");

    let write = |path: &str, content: &str, encoding| SessionWriteFile {
        session_id: "s1".into(),
        path: path.into(),
        content: content.into(),
        encoding,
    };
    let r = mcp.session_write_file(Parameters(write("in.txt", "3\n4\n", None))).await.unwrap();
    assert_eq!(text(&r), "wrote in.txt (4 bytes)");
    // A space and a folder survive the URL; base64 is decoded before it is sent.
    let r = mcp.session_write_file(Parameters(write("img/a b.bin", "AP8=", Some(Encoding::Base64)))).await.unwrap();
    assert_eq!(text(&r), "wrote img/a b.bin (2 bytes)");
    let r = mcp.session_write_file(Parameters(write("x", "not base64!", Some(Encoding::Base64)))).await.unwrap();
    assert!(is_error(&r) && text(&r).contains("not valid base64"), "{}", text(&r));

    let run = |command: Option<&str>, code: Option<&str>, language: Option<&str>| SessionRun {
        session_id: "s1".into(),
        code: code.map(Into::into),
        language: language.map(Into::into),
        command: command.map(Into::into),
        stdin: None,
        args: None,
        max_output_bytes: None,
        limits: Limits { time_limit: Some(2.0), ..Limits::default() },
    };
    let r = mcp.session_run(Parameters(run(None, Some("print(1)"), Some("python")))).await.unwrap();
    let t = text(&r);
    assert!(!is_error(&r) && t.starts_with("verdict: Accepted (exit code 0)"), "{t}");
    assert!(t.contains("ran \"print(1)\"") && t.contains("files created: out.txt\nfiles modified: none\n"), "{t}");
    let r = mcp.session_run(Parameters(run(Some("cp in.txt out.txt"), None, None))).await.unwrap();
    assert!(text(&r).contains("ran \"cp in.txt out.txt\""), "{}", text(&r));
    for (bad, why) in [
        (run(Some("ls"), Some("x"), Some("python")), "not both"),
        (run(None, Some("x"), None), "needs language"),
        (run(None, None, None), "either command"),
    ] {
        let r = mcp.session_run(Parameters(bad)).await.unwrap();
        assert!(is_error(&r) && text(&r).contains(why), "{}", text(&r));
    }

    let read = |path: &str, max_bytes| SessionReadFile { session_id: "s1".into(), path: path.into(), max_bytes };
    let r = mcp.session_read_file(Parameters(read("out.txt", None))).await.unwrap();
    assert_eq!(text(&r), "out.txt (4 bytes, text):\n3\n4\n");
    let r = mcp.session_read_file(Parameters(read("out.txt", Some(2)))).await.unwrap();
    assert_eq!(text(&r), "out.txt (4 bytes, text):\n3\n[truncated: 2 more bytes]");
    let r = mcp.session_read_file(Parameters(read("img/a b.bin", None))).await.unwrap();
    assert_eq!(text(&r), "img/a b.bin (2 bytes, binary, base64 below):\nAP8=");
    let r = mcp.session_read_file(Parameters(read("missing", None))).await.unwrap();
    assert!(is_error(&r) && text(&r).contains("file not found (HTTP 404)"), "{}", text(&r));

    let r = mcp.session_list_files(Parameters(SessionId { session_id: "s1".into() })).await.unwrap();
    let t = text(&r);
    assert!(t.starts_with("3 files\n") && t.contains("img/a b.bin | 2 | 1.5") && t.contains("out.txt | 4"), "{t}");

    let r = mcp.session_delete(Parameters(SessionId { session_id: "s1".into() })).await.unwrap();
    assert_eq!(text(&r), "session s1 deleted");
    let r = mcp.session_list_files(Parameters(SessionId { session_id: "s1".into() })).await.unwrap();
    assert!(is_error(&r) && text(&r) == "session_list_files failed: session not found (HTTP 404)", "{}", text(&r));
}
