//! The Judge0-compatible API over real HTTP against a server on port 0 with a
//! fake judge (no root needed): fields, defaults, ranges, base64, batches,
//! paging, auth, statuses, errors.

mod common;

use base64::Engine as _;
use common::{config, start};
use serde_json::{json, Value};

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn is_iso_ms(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && s.ends_with('Z')
}

#[tokio::test]
async fn create_then_get_with_judge0_shapes() {
    let s = start(config()).await;
    let r = s.post("/submissions", &json!({"source_code": "x", "language_id": 71, "stdin": "hello"})).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let u = uuid::Uuid::parse_str(&token).unwrap();
    assert_eq!(u.get_version_num(), 4);
    assert_eq!(r.json().as_object().unwrap().len(), 1, "only the token");
    let v = s.finished(&token).await;
    assert_eq!(v["stdout"], "hello");
    assert_eq!(v["status"], json!({"id": 3, "description": "Accepted"}));
    assert_eq!(v["time"], "0.01", "decimals are strings");
    assert_eq!(v["memory"], 1000);
    assert_eq!(v["cpu_time_limit"], "5.0");
    assert_eq!(v["memory_limit"], 128000);
    assert_eq!(v["wall_time_limit"], "10.0");
    assert_eq!(v["number_of_runs"], 1);
    assert_eq!(v["stderr"], Value::Null, "empty output is null");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["language"]["id"], 71);
    assert!(is_iso_ms(v["created_at"].as_str().unwrap()), "{}", v["created_at"]);
    assert!(is_iso_ms(v["finished_at"].as_str().unwrap()));
    assert_eq!(v.as_object().unwrap().len(), 35);
    let d = s.get(&format!("/submissions/{token}")).await.json();
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["compile_output", "memory", "message", "status", "stderr", "stdout", "time", "token"]);
    s.stop().await;
}

#[tokio::test]
async fn wait_answers_201_with_the_result_and_base64_both_ways() {
    let s = start(config()).await;
    let body =
        json!({"source_code": b64(b"code"), "language_id": "71", "stdin": b64(b"in\n"), "expected_output": b64(b"in")});
    let r = s.post("/submissions?base64_encoded=true&wait=true", &body).await;
    assert_eq!(r.status, 201);
    let v = r.json();
    assert_eq!(v["stdout"], b64(b"in\n"));
    assert_eq!(v["status"]["id"], 3, "trailing whitespace is ignored");
    let bad = json!({"source_code": "%%%", "language_id": 71});
    let r = s.post("/submissions?base64_encoded=true", &bad).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json(), json!({"source_code": ["is not valid base64"]}));
    let r = s.post("/submissions?wait=maybe", &json!({})).await;
    assert_eq!(r.status, 400);
    s.stop().await;
}

#[tokio::test]
async fn invalid_fields_name_the_field_and_the_reason() {
    let s = start(config()).await;
    let cases = [
        (json!({"source_code": "x"}), "language_id", "can't be blank"),
        (json!({"language_id": 71}), "source_code", "can't be blank"),
        (json!({"source_code": " ", "language_id": 71}), "source_code", "can't be blank"),
        (json!({"source_code": "x", "language_id": 150000}), "language_id", "language with id 150000 doesn't exist"),
        (
            json!({"source_code": "x", "language_id": 83}),
            "language_id",
            "Swift (5.2.3) (id 83) is not available: Debian 12 has no Swift toolchain package",
        ),
        (json!({"source_code": "x", "language_id": "abc"}), "language_id", "is not a number"),
        (json!({"source_code": 5, "language_id": 71}), "source_code", "must be a string"),
        (
            json!({"source_code": "x", "language_id": 71, "cpu_time_limit": 100}),
            "cpu_time_limit",
            "must be less than or equal to 15",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "cpu_time_limit": -1}),
            "cpu_time_limit",
            "must be greater than 0",
        ),
        (json!({"source_code": "x", "language_id": 71, "cpu_time_limit": "NaN"}), "cpu_time_limit", "is not a number"),
        (
            json!({"source_code": "x", "language_id": 71, "wall_time_limit": 0.5}),
            "wall_time_limit",
            "must be greater than or equal to 1",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "memory_limit": 1000}),
            "memory_limit",
            "must be greater than or equal to 2048",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "memory_limit": 10000000}),
            "memory_limit",
            "must be less than or equal to 512000",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "number_of_runs": 0}),
            "number_of_runs",
            "must be greater than 0",
        ),
        // Found by the fuzz: 0.5 passed "> 0" and became a zero limit; a NUL
        // cannot be in an argument. Both ended as Internal Errors.
        (json!({"source_code": "x", "language_id": 71, "stack_limit": 0.5}), "stack_limit", "must be greater than 0"),
        (
            json!({"source_code": "x", "language_id": 54, "compiler_options": "-O2\0"}),
            "compiler_options",
            "must not contain NUL characters",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "max_processes_and_or_threads": 121}),
            "max_processes_and_or_threads",
            "must be less than or equal to 120",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "enable_network": true}),
            "enable_network",
            "network is not allowed for this key (an operator allows it per API key: README \"Network\")",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "enable_per_process_and_thread_time_limit": true}),
            "enable_per_process_and_thread_time_limit",
            "this option cannot be enabled",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "redirect_stderr_to_stdout": "maybe"}),
            "redirect_stderr_to_stdout",
            "must be true or false",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "callback_url": "http://example.com/"}),
            "callback_url",
            "setting callback is not allowed",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "compiler_options": "-O2"}),
            "compiler_options",
            "setting compiler options is only allowed for compiled languages",
        ),
        (
            json!({"source_code": "x", "language_id": 54, "compiler_options": "x".repeat(513)}),
            "compiler_options",
            "is too long (maximum is 512 characters)",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "command_line_arguments": "'open"}),
            "command_line_arguments",
            "has an unterminated single quote",
        ),
        (
            json!({"source_code": "x", "language_id": 71, "additional_files": "!!"}),
            "additional_files",
            "is not valid base64",
        ),
    ];
    for (body, field, msg) in cases {
        let r = s.post("/submissions", &body).await;
        assert_eq!(r.status, 422, "{body}: {:?}", r.json());
        assert_eq!(r.json()[field], json!([msg]), "{body}: {:?}", r.json());
    }
    // Several problems are reported at once.
    let r = s.post("/submissions", &json!({"cpu_time_limit": 99})).await;
    let v = r.json();
    assert!(v["language_id"].is_array() && v["source_code"].is_array() && v["cpu_time_limit"].is_array(), "{v}");
    s.stop().await;
}

#[tokio::test]
async fn bad_requests_are_4xx_never_5xx() {
    let mut c = config();
    c.max_body_size = 2048;
    let s = start(c).await;
    let r = s.req("POST", "/submissions", &[], b"{not json").await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("malformed JSON"));
    let r = s.post("/submissions", &json!([1, 2])).await;
    assert_eq!(r.status, 422);
    let big = json!({"source_code": "x".repeat(5000), "language_id": 71});
    let r = s.post("/submissions", &big).await;
    assert_eq!(r.status, 413, "{:?}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["error"].as_str().unwrap().contains("2048"));
    let r = s.get("/submissions/not-a-token").await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("invalid token"));
    let r = s.get("/submissions/d85cd024-1548-4165-96c7-7bc88673f194").await;
    assert_eq!(r.status, 404);
    let r = s.get("/submissions/d85cd024-1548-4165-96c7-7bc88673f194?fields=stdout,nope").await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid fields: [nope]")));
    let r = s.get("/no/such/thing").await;
    assert_eq!(r.status, 404);
    let r = s.get("/submissions/batch?tokens=").await;
    assert_eq!(r.status, 400);
    s.stop().await;
}

#[tokio::test]
async fn batches_mix_tokens_and_errors_and_unknown_tokens_are_null() {
    let s = start(config()).await;
    let body = json!({"submissions": [
        {"source_code": "x", "language_id": 71, "stdin": "a"},
        {"source_code": "x"},
        {"source_code": "x", "language_id": 63, "stdin": "b"},
    ]});
    let r = s.post("/submissions/batch", &body).await;
    assert_eq!(r.status, 201);
    let v = r.json();
    let t0 = v[0]["token"].as_str().unwrap().to_owned();
    assert_eq!(v[1], json!({"language_id": ["can't be blank"]}));
    let t2 = v[2]["token"].as_str().unwrap().to_owned();
    s.finished(&t0).await;
    s.finished(&t2).await;
    let unknown = "d85cd024-1548-4165-96c7-7bc88673f194";
    let r = s.get(&format!("/submissions/batch?tokens={t0},{unknown},{t2}&fields=stdout,status_id")).await;
    assert_eq!(r.status, 200);
    let subs = r.json()["submissions"].clone();
    assert_eq!(subs[0], json!({"stdout": "a", "status_id": 3}));
    assert_eq!(subs[1], Value::Null);
    assert_eq!(subs[2]["stdout"], "b");
    let all_bad = json!({"submissions": [{"language_id": 71}]});
    assert_eq!(s.post("/submissions/batch", &all_bad).await.status, 422);
    let too_many = json!({"submissions": vec![json!({"source_code": "x", "language_id": 71}); 21]});
    let r = s.post("/submissions/batch", &too_many).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "number of submissions in a batch should be less than or equal to 20");
    assert_eq!(s.post("/submissions/batch", &json!({"submissions": []})).await.status, 400);
    s.stop().await;
}

#[tokio::test]
async fn extra_statuses_fold_into_judge0s_table_with_the_reason() {
    let s = start(config()).await;
    let r = s.post("/submissions?wait=true", &json!({"source_code": "MLE", "language_id": 71})).await;
    let v = r.json();
    assert_eq!(v["status"], json!({"id": 12, "description": "Runtime Error (Other)"}));
    assert!(v["message"].as_str().unwrap().contains("emory limit"), "{v}");
    let token = v["token"].as_str().unwrap();
    let n = s.get(&format!("/check/{token}")).await.json();
    assert_eq!(n["status"]["id"], 15, "the native API keeps 15");
    let statuses = s.get("/statuses").await.json();
    assert_eq!(statuses.as_array().unwrap().len(), 14);
    s.stop().await;
}

#[tokio::test]
async fn non_utf8_output_needs_base64() {
    let s = start(config()).await;
    let r = s.post("/submissions?wait=true", &json!({"source_code": "BINARY", "language_id": 71})).await;
    assert_eq!(r.status, 201);
    let v = r.json();
    assert!(v["error"].as_str().unwrap().contains("base64_encoded=true"), "{v}");
    let token = v["token"].as_str().unwrap();
    let r = s.get(&format!("/submissions/{token}")).await;
    assert_eq!(r.status, 400);
    let r = s.get(&format!("/submissions/{token}?base64_encoded=true")).await;
    assert_eq!(r.json()["stdout"], b64(&[0xff, 0xfe, b'\n']));
    s.stop().await;
}

#[tokio::test]
async fn a_full_queue_answers_503() {
    let mut c = config();
    c.workers = 1;
    c.max_queue_size = 2;
    let s = start(c).await;
    // The only worker is busy with this one while the queue fills up.
    let busy = s.post("/submissions", &json!({"source_code": "SLEEP_LONG", "language_id": 71})).await;
    let token = busy.json()["token"].as_str().unwrap().to_owned();
    for _ in 0..100 {
        let v = s.get(&format!("/submissions/{token}?fields=status_id")).await.json();
        if v["status_id"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let body = json!({"source_code": "x", "language_id": 71});
    assert_eq!(s.post("/submissions", &body).await.status, 201);
    assert_eq!(s.post("/submissions", &body).await.status, 201);
    let full = s.post("/submissions", &body).await;
    assert_eq!((full.status, full.json()), (503, json!({"error": "queue is full"})));
    let batch = json!({"submissions": [body.clone(), body]});
    assert_eq!(s.post("/submissions/batch", &batch).await.status, 503);
    let m = String::from_utf8(s.get("/metrics").await.body).unwrap();
    assert!(m.contains("flash_queue_depth 2\n") && m.contains("flash_queue_full_total 2\n"), "{m}");
    s.stop().await;
}

#[tokio::test]
async fn auth_tokens_guard_everything_but_health() {
    let mut c = config();
    c.auth_token = Some("s3cret".into());
    c.authz_token = Some("admin".into());
    c.enable_submission_delete = true;
    let s = start(c).await;
    assert_eq!(s.get("/languages").await.status, 401);
    assert_eq!(s.get("/health").await.status, 200);
    let auth = [("X-Auth-Token", "s3cret")];
    assert_eq!(s.req("GET", "/languages", &auth, b"").await.status, 200);
    assert_eq!(s.get("/languages?X-Auth-Token=s3cret").await.status, 200);
    assert_eq!(s.req("GET", "/languages", &[("X-Auth-Token", "wrong")], b"").await.status, 401);
    let body = serde_json::to_vec(&json!({"source_code": "x", "language_id": 71})).unwrap();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let r = s.req("POST", "/submissions?wait=true", &auth, &body).await;
        tokens.push(r.json()["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(s.req("GET", "/submissions", &auth, b"").await.status, 403);
    let admin = [("X-Auth-Token", "s3cret"), ("X-Auth-User", "admin")];
    let r = s.req("GET", "/submissions?page=2&per_page=2", &admin, b"").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        v["meta"],
        json!({"current_page": 2, "next_page": null, "prev_page": 1, "total_pages": 2, "total_count": 3})
    );
    assert_eq!(v["submissions"][0]["token"], tokens[0].as_str(), "newest first");
    assert_eq!(s.req("GET", "/submissions?page=0", &admin, b"").await.status, 400);
    let r = s.req("DELETE", &format!("/submissions/{}?fields=stdout", tokens[1]), &admin, b"").await;
    assert_eq!((r.status, r.json()), (200, json!({"stdout": null})));
    let r = s.req("GET", &format!("/submissions/{}", tokens[1]), &auth, b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(s.req("POST", "/authorize", &admin, b"").await.status, 200);
    assert_eq!(s.req("POST", "/authorize", &auth, b"").await.status, 403);
    s.stop().await;
}

#[tokio::test]
async fn delete_is_off_by_default() {
    let mut c = config();
    c.authz_token = Some("admin".into());
    let s = start(c).await;
    let r =
        s.req("DELETE", "/submissions/d85cd024-1548-4165-96c7-7bc88673f194", &[("X-Auth-User", "admin")], b"").await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("delete not allowed")));
    s.stop().await;
}

#[tokio::test]
async fn information_endpoints_match_judge0() {
    let s = start(config()).await;
    let langs = s.get("/languages").await.json();
    let ids: Vec<u64> = langs.as_array().unwrap().iter().map(|l| l["id"].as_u64().unwrap()).collect();
    for want in [46, 50, 52, 62, 63, 71, 82, 89] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }
    // Each toolchain once; C++ as 52, the id the official Judge0 SDK submits.
    for gone in [48, 49, 53, 54] {
        assert!(!ids.contains(&gone), "each toolchain once: {ids:?}");
    }
    let cpp = s.get("/languages/52").await.json();
    assert_eq!(cpp["name"], "C++ (GCC 1.0)");
    assert_eq!(cpp["source_file"], "main.cpp");
    assert_eq!(s.get("/languages/9999").await.status, 404);
    assert_eq!(s.get("/languages/abc").await.status, 404);
    let all = s.get("/languages/all").await.json();
    let archived = |id: u64| all.as_array().unwrap().iter().find(|l| l["id"] == id).unwrap()["is_archived"].clone();
    assert_eq!((archived(54), archived(52), archived(53)), (json!(true), json!(false), json!(true)));
    assert_eq!((archived(50), archived(48)), (json!(false), json!(true)));
    assert_eq!(cpp["is_archived"], false, "52 is the listed C++");
    assert_eq!(s.get("/languages/54").await.json()["is_archived"], true, "54 still answers");
    let about = s.get("/about").await.json();
    assert_eq!(about["version"], "1.13.1");
    assert!(about["homepage"].is_string() && about["source_code"].is_string(), "{about}");
    for p in ["/isolate", "/license"] {
        let r = s.get(p).await;
        assert_eq!(r.status, 200, "{p}");
        assert!(!r.body.is_empty() && r.header("content-type").unwrap().starts_with("text/plain"), "{p}");
    }
    assert_eq!(String::from_utf8(s.get("/version").await.body).unwrap(), "1.13.1");
    let cfg = s.get("/config_info").await.json();
    let keys = [
        "maintenance_mode",
        "enable_wait_result",
        "enable_compiler_options",
        "allowed_languages_for_compile_options",
        "enable_command_line_arguments",
        "enable_submission_delete",
        "enable_callbacks",
        "callbacks_max_tries",
        "callbacks_timeout",
        "enable_additional_files",
        "max_queue_size",
        "cpu_time_limit",
        "max_cpu_time_limit",
        "cpu_extra_time",
        "max_cpu_extra_time",
        "wall_time_limit",
        "max_wall_time_limit",
        "memory_limit",
        "max_memory_limit",
        "stack_limit",
        "max_stack_limit",
        "max_processes_and_or_threads",
        "max_max_processes_and_or_threads",
        "enable_per_process_and_thread_time_limit",
        "allow_enable_per_process_and_thread_time_limit",
        "enable_per_process_and_thread_memory_limit",
        "allow_enable_per_process_and_thread_memory_limit",
        "max_file_size",
        "max_max_file_size",
        "number_of_runs",
        "max_number_of_runs",
        "redirect_stderr_to_stdout",
        "max_extract_size",
        "enable_batched_submissions",
        "max_submission_batch_size",
        "submission_cache_duration",
        "use_docs_as_homepage",
        "allow_enable_network",
        "enable_network",
    ];
    assert_eq!(cfg.as_object().unwrap().len(), keys.len());
    for k in keys {
        assert!(cfg.get(k).is_some(), "{k}");
    }
    assert_eq!(cfg["max_cpu_time_limit"], 15.0);
    let w = s.get("/workers").await.json();
    assert_eq!(w[0]["available"], 2);
    assert!(s.get("/system_info").await.json()["CPU(s)"].is_string());
    s.stop().await;
}

#[tokio::test]
async fn runs_arguments_and_redirect_reach_the_judge() {
    let s = start(config()).await;
    let r = s
        .post(
            "/submissions?wait=true",
            &json!({
                "source_code": "ARGS", "language_id": 54, "command_line_arguments": "a 'b c' $(x)", "number_of_runs": 3,
                "compiler_options": "-O0", "redirect_stderr_to_stdout": true,
            }),
        )
        .await;
    let v = r.json();
    assert_eq!(v["stdout"], "a|b c|(x)", "{v}");
    assert_eq!(s.calls(), 3, "number_of_runs");
    s.stop().await;
}

/// Polls are answered from memory where the service can (finished results,
/// and with the embedded store the states of unfinished jobs): each answer
/// must equal the one read from the store, and a deleted submission must not
/// come back from memory.
#[tokio::test]
async fn polls_answered_from_memory_equal_the_stored_answers_and_deletes_are_seen() {
    let mut c = config();
    c.workers = 1;
    c.authz_token = Some("admin".into());
    c.enable_submission_delete = true;
    let s = start(c).await;
    let body = json!({"submissions": [
        {"source_code": "SLEEP", "language_id": 71},
        {"source_code": "x", "language_id": 71, "stdin": "second"},
    ]});
    let tokens: Vec<String> = s
        .post("/submissions/batch", &body)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["token"].as_str().unwrap().to_owned())
        .collect();
    let batch = |fields: &str| format!("/submissions/batch?tokens={}&fields={fields}", tokens.join(","));
    // Unfinished: the states alone (from memory), then with a field only the
    // stored record has (from the store): the same where they overlap.
    let light = s.get(&batch("token,status,stdout,time,message")).await.json();
    let full = s.get(&batch("token,status,stdout,time,message,source_code")).await.json();
    for (l, f) in light["submissions"].as_array().unwrap().iter().zip(full["submissions"].as_array().unwrap()) {
        let mut f = f.clone();
        f.as_object_mut().unwrap().remove("source_code");
        // A job may move on between the two polls, never back.
        assert!(l["status"]["id"].as_u64() <= f["status"]["id"].as_u64(), "{l} then {f}");
        if l["status"] == f["status"] {
            assert_eq!(*l, f);
        }
    }
    for t in &tokens {
        s.finished(t).await;
    }
    // Finished: read once from the store, then from memory; the same each time.
    let first = s.get(&batch("*")).await.json();
    assert_eq!(s.get(&batch("*")).await.json(), first);
    let one = s.get(&format!("/submissions/{}?fields=*", tokens[1])).await.json();
    assert_eq!(first["submissions"][1], one);
    assert_eq!(one["stdout"], "second");
    let admin = [("X-Auth-User", "admin")];
    assert_eq!(s.req("DELETE", &format!("/submissions/{}", tokens[1]), &admin, b"").await.status, 200);
    let after = s.get(&batch("token")).await.json();
    assert_eq!(after["submissions"], json!([{"token": tokens[0]}, null]));
    assert_eq!(s.get(&format!("/submissions/{}", tokens[1])).await.status, 404);
    s.stop().await;
}
