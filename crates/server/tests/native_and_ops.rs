//! The native API, Judge0's extras (additional files, multi-file programs,
//! callbacks), operations endpoints, shutdown and concurrency, over real HTTP
//! with a fake judge.

mod common;

use base64::Engine as _;
use common::{config, start, start_in};
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;

fn zip_of(entries: &[(&str, &[u8])]) -> String {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(w.finish().unwrap().into_inner())
}

#[tokio::test]
async fn native_create_with_tests_and_check() {
    let s = start(config()).await;
    let body = json!({
        "code": "x", "language": "cpp", "time_limit": 1.5, "memory_limit": 65536, "args": ["a"],
        "tests": [{"input": "1", "expected": "1"}, {"input": "2", "expected": "3"}, {"input": "4"}],
    });
    let r = s.post("/create?wait=true", &body).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let v = r.json();
    assert_eq!(v["status"], json!({"id": 4, "description": "Wrong Answer"}));
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    assert_eq!(tests[0]["status"]["id"], 3);
    assert_eq!(tests[1]["status"]["id"], 4);
    assert_eq!(tests[2]["stdout"], "4");
    assert!(
        v["time"].is_f64() && v["created_at"].is_f64() && v["started_at"].is_f64() && v["finished_at"].is_f64(),
        "{v}"
    );
    assert_eq!(v["language"]["id"], 54);
    let r = s.post("/create", &json!({"code": "x", "language": "Python", "input": "hi"})).await;
    assert_eq!(r.status, 201);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let mut v = Value::Null;
    for _ in 0..100 {
        v = s.get(&format!("/check/{token}")).await.json();
        if v["status"]["id"].as_u64() > Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(v["stdout"], "hi");
    assert!(v.get("tests").is_none(), "no tests, no tests field");
    assert_eq!(s.get("/check/nope").await.status, 400);
    assert_eq!(s.get("/check/d85cd024-1548-4165-96c7-7bc88673f194").await.status, 404);
    s.stop().await;
}

/// `compare` reaches the judge: the fake echoes its input, so what is
/// accepted depends on the comparison alone.
#[tokio::test]
async fn native_compare_chooses_how_outputs_are_held_against_the_answer() {
    let s = start(config()).await;
    let cases = [
        (json!(null), "0.3333333 x", "0.333333333 x", 4),
        (json!({"mode": "float", "absolute": 1e-6}), "0.3333333 x", "0.333333333 x", 3),
        (json!({"mode": "float", "relative": 1e-9}), "0.3333333 x", "0.333333333 x", 4),
        (json!("case_insensitive"), "YES  no", "yes no", 3),
        (json!("tokens"), "YES  no", "yes no", 4),
        (json!("unordered_lines"), "b\na\n", "a\nb", 3),
        (json!({"mode": "exact"}), "a\n", "a", 4),
    ];
    for (compare, input, expected, status) in cases {
        let mut body = json!({"code": "x", "language": "cpp", "input": input, "expected": expected});
        if !compare.is_null() {
            body["compare"] = compare.clone();
        }
        let r = s.post("/create?wait=true", &body).await;
        assert_eq!(r.status, 200, "{body}: {:?}", r.json());
        assert_eq!(r.json()["status"]["id"], status, "{body}: {:?}", r.json());
        if status == 4 && !compare.is_null() {
            assert!(r.json()["message"].is_string(), "a wrong answer says where: {:?}", r.json());
        }
    }
    // The tests of one submission share it.
    let body = json!({"code": "x", "language": "cpp", "compare": "case_insensitive",
        "tests": [{"input": "A", "expected": "a"}, {"input": "B", "expected": "c"}]});
    let v = s.post("/create?wait=true", &body).await.json();
    assert_eq!(v["tests"][0]["status"]["id"], 3, "{v}");
    assert_eq!(v["tests"][1]["status"]["id"], 4, "{v}");
    s.stop().await;
}

#[tokio::test]
async fn native_refuses_what_it_does_not_know() {
    let s = start(config()).await;
    let cases = [
        (json!({"language": "cpp"}), "code"),
        (json!({"code": "x"}), "language"),
        (json!({"code": "x", "language": "fsharp"}), "language"),
        (json!({"code": "x", "language": "cpp", "colour": 1}), "colour"),
        (json!({"code": "x", "language": "cpp", "time_limit": 16}), "time_limit"),
        (json!({"code": "x", "language": "cpp", "output_limit": -5}), "output_limit"),
        (json!({"code": "x", "language": "cpp", "args": "a b"}), "args"),
        // An argv cannot hold NUL: the schema fuzz found it as an Internal Error.
        (json!({"code": "x", "language": "cpp", "args": ["a\0b"]}), "args"),
        (json!({"code": "x", "language": "cpp", "tests": [{"input": 1}]}), "tests[0].input"),
        (json!({"code": "x", "language": "cpp", "tests": [{"inptu": "1"}]}), "tests[0].inptu"),
        (json!({"code": "x", "language": "python", "compiler_options": "-O2"}), "compiler_options"),
        (json!({"code": "x", "language": "cpp", "compare": "fuzzy"}), "compare"),
        (json!({"code": "x", "language": "cpp", "compare": 3}), "compare"),
        (json!({"code": "x", "language": "cpp", "compare": {"mode": "float"}}), "compare"),
        (json!({"code": "x", "language": "cpp", "compare": {"mode": "tokens", "relative": 1}}), "compare"),
        (json!({"code": "x", "language": "cpp", "compare": {"mode": "float", "absolute": -1}}), "compare"),
        (json!({"code": "x", "language": "cpp", "compare": {"mode": "exact", "colour": 1}}), "compare"),
    ];
    for (body, field) in cases {
        let r = s.post("/create", &body).await;
        assert_eq!(r.status, 422, "{body}");
        assert!(r.json()[field].is_array(), "{body}: {:?}", r.json());
    }
    let mut many = json!({"code": "x", "language": "cpp"});
    many["tests"] = json!(vec![json!({"input": ""}); 101]);
    assert_eq!(s.post("/create", &many).await.status, 422);
    s.stop().await;
}

#[tokio::test]
async fn additional_files_are_checked_and_unpacked() {
    let s = start(config()).await;
    let files = zip_of(&[("lib.h", b"int x;"), ("data/in.txt", b"1"), ("main.cpp", b"shadowed")]);
    let r = s
        .post("/submissions?wait=true", &json!({"source_code": "FILES", "language_id": 54, "additional_files": files}))
        .await;
    assert_eq!(r.json()["stdout"], "lib.h,data/in.txt", "{:?}", r.json());
    // Unpacked once, at acceptance: the stored job carries the entries (and
    // the zip, to be shown), so the worker unpacks nothing.
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let rec = s.svc.store.get(&token).await.unwrap().unwrap();
    let stored: Vec<&str> = rec.request.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(stored, ["lib.h", "data/in.txt"]);
    assert!(rec.request.additional_files.is_some());
    // A job stored before that (the zip and no files) is still unpacked by its worker.
    let mut legacy = rec.request.clone();
    legacy.files.clear();
    let old = uuid::Uuid::new_v4().to_string();
    let job =
        flash_server::store::NewJob { token: old.clone(), created_at_ms: flash_server::job::now_ms(), request: legacy };
    s.svc.store.enqueue(vec![job]).await.unwrap();
    assert_eq!(s.finished(&old).await["stdout"], "lib.h,data/in.txt");
    // The executable bit of an entry survives.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("tool.sh", zip::write::SimpleFileOptions::default().unix_permissions(0o755)).unwrap();
    w.write_all(b"#!/bin/sh\n").unwrap();
    let tool = base64::engine::general_purpose::STANDARD.encode(w.finish().unwrap().into_inner());
    let r = s.post("/submissions", &json!({"source_code": "x", "language_id": 54, "additional_files": tool})).await;
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let rec = s.svc.store.get(&token).await.unwrap().unwrap();
    assert!(rec.request.files[0].executable, "{:?}", rec.request.files);
    let slip = zip_of(&[("../../etc/cron.d/x", b"boom")]);
    let r = s.post("/submissions", &json!({"source_code": "x", "language_id": 54, "additional_files": slip})).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["additional_files"][0].as_str().unwrap().contains("leaves the box"));
    // Archives no filesystem holds, and Flash's own names: 422 naming the entry.
    let long = format!("d/{}", "n".repeat(256));
    for (zip, says) in [
        (zip_of(&[("a", b"x"), ("a/b", b"y")]), "entry \"a\" is a file"),
        (zip_of(&[(long.as_str(), b"x")]), "longer than 255 bytes"),
        (zip_of(&[(".flash-tree.tar", b"x")]), "reserved for Flash's own files"),
    ] {
        let r = s.post("/submissions", &json!({"source_code": "x", "language_id": 54, "additional_files": zip})).await;
        assert_eq!(r.status, 422);
        assert!(r.json()["additional_files"][0].as_str().unwrap().contains(says), "{:?}", r.json());
    }
    // Multi-file programs: scripts in the zip, no source_code.
    let project = zip_of(&[("run", b"FILES"), ("compile", b"true")]);
    let r = s.post("/submissions?wait=true", &json!({"language_id": 89, "additional_files": project})).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let r = s.post("/submissions", &json!({"language_id": 89, "source_code": "x", "additional_files": project})).await;
    assert_eq!(r.json()["source_code"], json!(["must be blank"]));
    let r = s.post("/submissions", &json!({"language_id": 89})).await;
    assert_eq!(r.json()["additional_files"], json!(["can't be blank"]));
    let no_run = zip_of(&[("compile", b"true")]);
    let r = s.post("/submissions", &json!({"language_id": 89, "additional_files": no_run})).await;
    assert!(r.json()["additional_files"][0].as_str().unwrap().contains("run"));
    s.stop().await;
}

#[tokio::test]
async fn callbacks_put_the_result_and_private_targets_are_refused() {
    let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", hook.local_addr().unwrap());
    let mut c = config();
    c.enable_callbacks = true;
    let s = start(c.clone()).await;
    let r = s.post("/submissions", &json!({"source_code": "x", "language_id": 71, "callback_url": url})).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["callback_url"][0].as_str().unwrap().contains("private"));
    s.stop().await;
    c.allow_private_callbacks = true;
    let s = start(c).await;
    let r = s
        .post("/submissions", &json!({"source_code": "x", "language_id": 71, "stdin": "cb", "callback_url": url}))
        .await;
    assert_eq!(r.status, 201);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(10), hook.accept()).await.unwrap().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        use tokio::io::AsyncReadExt;
        let n = conn.read(&mut buf).await.unwrap();
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some(i) = text.find("\r\n\r\n") {
            let len: usize = text
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap();
            if got.len() >= i + 4 + len {
                break;
            }
        }
    }
    use tokio::io::AsyncWriteExt;
    conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.unwrap();
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(text.starts_with("PUT /hook HTTP/1.1"), "{text}");
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["token"], token.as_str());
    assert_eq!(body["stdout"], "Y2I=", "base64, like Judge0's callbacks");
    s.stop().await;
}

#[tokio::test]
async fn many_concurrent_submissions_all_complete() {
    let mut c = config();
    c.max_queue_size = 500;
    let s = std::sync::Arc::new(start(c).await);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let r = s
                .post(
                    "/submissions?wait=true",
                    &json!({"source_code": "x", "language_id": 71, "stdin": format!("n{i}")}),
                )
                .await;
            assert_eq!(r.status, 201);
            assert_eq!(r.json()["stdout"], format!("n{i}"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let m = String::from_utf8(s.get("/metrics").await.body).unwrap();
    assert!(m.contains("flash_jobs_finished_total{status_id=\"3\",status=\"Accepted\"} 200"), "{m}");
    assert!(m.contains("flash_queue_depth 0"));
    if common::split() {
        // Latency histograms are per process and this server judges nothing;
        // the workers' own counts come from their heartbeats.
        assert_eq!(m.matches("flash_worker_jobs_finished_total{worker=").count(), 2, "{m}");
    } else {
        assert!(m.contains("flash_run_seconds_count 200"));
    }
}

#[tokio::test]
async fn shutdown_finishes_running_jobs_and_keeps_queued_ones() {
    let mut c = config();
    c.workers = 1;
    let s = start(c.clone()).await;
    let body = json!({"source_code": "SLEEP", "language_id": 71});
    let a = s.post("/submissions", &body).await.json()["token"].as_str().unwrap().to_owned();
    for _ in 0..100 {
        let v = s.get(&format!("/submissions/{a}?fields=status_id")).await.json();
        if v["status_id"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let b = s.post("/submissions", &body).await.json()["token"].as_str().unwrap().to_owned();
    let dir = s.stop().await;
    // Restart on the same data: the first finished before shutdown, the second runs now.
    let s = start_in(c, dir).await;
    let first = s.get(&format!("/submissions/{a}?fields=status_id,finished_at")).await.json();
    assert_eq!(first["status_id"], 3, "the running job finished during the grace period");
    s.finished(&b).await;
    assert_eq!(s.calls(), 1, "only the queued job ran after restart");
    s.stop().await;
}

#[tokio::test]
async fn a_panicking_judge_is_an_internal_error_not_a_500() {
    let s = start(config()).await;
    let r = s.post("/submissions?wait=true", &json!({"source_code": "PANIC", "language_id": 71})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["status"]["id"], 13);
    let m = String::from_utf8(s.get("/metrics").await.body).unwrap();
    assert!(m.contains("flash_sandbox_failures_total 1"));
    s.stop().await;
}

#[tokio::test]
async fn health_and_openapi_describe_the_service() {
    let s = start(config()).await;
    let h = s.get("/health").await;
    assert_eq!((h.status, h.json()["status"].as_str()), (200, Some("ok")));
    // Warming (precompiled headers, warm-runtime archives in the background)
    // is said, for probes and benchmarks that want a warm service. In split
    // mode this server has no engine: never warming.
    assert_eq!(h.json()["warming"], false);
    s.judge.warming.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(s.get("/health").await.json()["warming"], !common::split(), "healthy, and says it is warming");
    s.judge.warming.store(false, std::sync::atomic::Ordering::Relaxed);
    let spec = s.get("/openapi.json").await.json();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/create",
        "/check/{token}",
        "/packages",
        "/packages/{id}",
        "/submissions",
        "/submissions/{token}",
        "/submissions/batch",
        "/languages",
        "/languages/all",
        "/languages/{id}",
        "/statuses",
        "/config_info",
        "/about",
        "/version",
        "/system_info",
        "/workers",
        "/health",
        "/metrics",
        "/openapi.json",
        "/authenticate",
        "/authorize",
        "/isolate",
        "/license",
        "/api/v2/runtimes",
        "/api/v2/execute",
        "/api/v2/piston/runtimes",
        "/api/v2/piston/execute",
        "/jobe/index.php/restapi/languages",
        "/jobe/index.php/restapi/runs",
        "/jobe/index.php/restapi/files/{id}",
        "/sessions",
        "/sessions/{id}",
        "/sessions/{id}/expire",
        "/sessions/{id}/run",
        "/sessions/{id}/files",
        "/sessions/{id}/files/{path}",
    ] {
        assert!(paths.contains_key(p), "{p} is not described");
    }
    s.stop().await;
}

#[tokio::test]
async fn results_expire_after_the_retention_period() {
    let mut c = config();
    c.retention_secs = 1;
    let s = start(c).await;
    let r = s.post("/submissions?wait=true", &json!({"source_code": "x", "language_id": 71})).await;
    let token = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&format!("/submissions/{token}")).await.status, 200);
    let mut gone = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if s.get(&format!("/submissions/{token}")).await.status == 404 {
            gone = true;
            break;
        }
    }
    assert!(gone, "the result outlived its retention");
    s.stop().await;
}
