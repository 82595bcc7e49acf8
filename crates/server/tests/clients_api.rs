//! Existing clients work unchanged (issue #14), over real HTTP with the fake
//! judge: CORS and path normalisation in front of every API, the Piston v2
//! API, the Jobe API with its file cache. The real-sandbox versions (real
//! client libraries, a browser, real programs) are in scripts/clients-compat.sh.

mod common;

use common::{config, start};
use serde_json::{json, Value};

#[tokio::test]
async fn cors_preflight_and_origin_header_on_every_answer() {
    let s = start(config()).await;
    let pre = s
        .req(
            "OPTIONS",
            "/submissions?wait=true",
            &[
                ("Origin", "http://127.0.0.1:9"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,x-auth-token"),
            ],
            b"",
        )
        .await;
    assert!(pre.status == 200 || pre.status == 204, "{}", pre.status);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert!(pre.header("access-control-allow-methods").is_some());
    assert!(pre.header("access-control-allow-headers").is_some());
    for (method, path) in [("GET", "/languages"), ("GET", "/no/such/thing"), ("POST", "/api/v2/execute")] {
        let r = s.req(method, path, &[("Origin", "http://127.0.0.1:9")], b"").await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{method} {path}: {}", r.status);
    }
    s.stop().await;
}

#[tokio::test]
async fn cors_origins_are_configurable() {
    let mut cfg = config();
    cfg.cors_allowed_origins = vec!["http://good.example".into()];
    cfg.auth_token = Some("tok".into());
    let s = start(cfg).await;
    let pre = |origin: &'static str| {
        let s = &s;
        async move {
            s.req("OPTIONS", "/submissions", &[("Origin", origin), ("Access-Control-Request-Method", "POST")], b"")
                .await
        }
    };
    let good = pre("http://good.example").await;
    assert_eq!(good.header("access-control-allow-origin"), Some("http://good.example"));
    assert!(good.status < 300, "a preflight needs no token: {}", good.status);
    let bad = pre("http://evil.example").await;
    assert_eq!(bad.header("access-control-allow-origin"), None);
    let denied = s.req("GET", "/languages", &[("Origin", "http://good.example")], b"").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("access-control-allow-origin"), Some("http://good.example"), "errors carry it too");
    s.stop().await;
}

#[tokio::test]
async fn extra_slashes_route_like_judge0() {
    let s = start(config()).await;
    for p in ["/languages/", "//languages", "/languages//", "/about/", "/languages/71/"] {
        assert_eq!(s.get(p).await.status, 200, "{p}");
    }
    let r = s.post("/submissions/?wait=true", &json!({"source_code": "hi", "language_id": 71, "stdin": "x"})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let v = s.get(&format!("//submissions//{token}/?fields=stdout")).await;
    assert_eq!(v.json()["stdout"], "x");
    assert_eq!(s.post("//submissions", &json!({"source_code": "hi", "language_id": 71})).await.status, 201);
    s.stop().await;
}

#[tokio::test]
async fn piston_runtimes_and_execute() {
    let s = start(config()).await;
    for prefix in ["/api/v2", "/api/v2/piston"] {
        let rts = s.get(&format!("{prefix}/runtimes")).await.json();
        let rts = rts.as_array().unwrap();
        let py = rts.iter().find(|r| r["language"] == "python").unwrap();
        assert_eq!(py["version"], "1.0.0");
        assert!(py["aliases"].as_array().unwrap().contains(&json!("py")));
        let js = rts.iter().find(|r| r["language"] == "javascript").unwrap();
        assert_eq!(js["runtime"], "node");
        assert!(rts.iter().all(|r| r["language"] != "Multi-file program"));
    }
    // An old exact version and an alias: served by the installed version.
    let body =
        json!({"language": "py", "version": "3.10.0", "files": [{"name": "x.py", "content": "hi"}], "stdin": "in"});
    let r = s.post("/api/v2/execute", &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!((v["language"].as_str(), v["version"].as_str()), (Some("python"), Some("1.0.0")));
    assert_eq!(v["run"]["stdout"], "in");
    assert_eq!(v["run"]["output"], "in");
    assert_eq!(v["run"]["code"], 0);
    assert_eq!(v["run"]["signal"], Value::Null);
    assert!(v.get("compile").is_none(), "an interpreted language has no compile stage");
    // A compiled language: a compile stage; further files next to the program.
    let body = json!({"language": "c++", "version": "*", "files": [
        {"name": "a.cpp", "content": "FILEDATA"}, {"name": "lib.h", "content": "NDI=", "encoding": "base64"},
        {"content": "4869", "encoding": "hex"}]});
    let v = s.post("/api/v2/piston/execute", &body).await.json();
    assert_eq!(v["compile"]["code"], 0, "{v}");
    assert_eq!(v["run"]["stdout"], "lib.h=42;file2.code=Hi");
    // A compile error: the compile stage, no run stage.
    let v = s
        .post(
            "/api/v2/execute",
            &json!({"language": "cpp", "version": "10.2.0", "files": [{"content": "COMPILE_ERROR"}]}),
        )
        .await
        .json();
    assert_eq!(v["compile"]["code"], 1);
    assert!(v["compile"]["output"].as_str().unwrap().contains("error"));
    assert!(v.get("run").is_none(), "{v}");
    // Limits in milliseconds and bytes.
    let body = json!({"language": "bash", "version": "x", "files": [{"content": "LIMITS"}],
        "run_timeout": 2500, "run_cpu_time": 1500, "run_memory_limit": 64_000_000});
    let v = s.post("/api/v2/execute", &body).await.json();
    assert_eq!(v["run"]["stdout"], "cpu=1.5 wall=2.5 mem=62500 procs=60", "{v}");
    s.stop().await;
}

#[tokio::test]
async fn piston_statuses() {
    let s = start(config()).await;
    for (src, code, status, signal) in [
        ("NZEC", json!(3), json!("RE"), json!(null)),
        ("SEGV", json!(null), json!("SG"), json!("SIGSEGV")),
        ("TLE", json!(null), json!("TO"), json!("SIGKILL")),
        ("OLE", json!(null), json!("OL"), json!(null)),
        ("INTERNAL", json!(null), json!("XX"), json!(null)),
    ] {
        let v = s
            .post("/api/v2/execute", &json!({"language": "python", "version": "*", "files": [{"content": src}]}))
            .await
            .json();
        let run = &v["run"];
        assert_eq!((&run["code"], &run["status"], &run["signal"]), (&code, &status, &signal), "{src}: {v}");
        assert_eq!(run["stderr"], format!("{src} on stderr"));
        assert!(run["cpu_time"].is_u64() && run["wall_time"].is_u64() && run["memory"].is_number(), "{v}");
    }
    s.stop().await;
}

#[tokio::test]
async fn piston_bad_input_is_a_400_naming_the_field() {
    let mut cfg = config();
    cfg.piston_strict_versions = true;
    let s = start(cfg).await;
    let file = json!([{"content": "x"}]);
    for (body, words) in [
        (json!({"version": "*", "files": file}), "language"),
        (json!({"language": "fsharp", "version": "*", "files": file}), "fsharp-* runtime is unknown"),
        (json!({"language": "python", "version": "3.10.0", "files": file}), "python-3.10.0 runtime is unknown"),
        (json!({"language": "python", "version": "*"}), "files is required"),
        (json!({"language": "python", "version": "*", "files": []}), "files"),
        (json!({"language": "python", "version": "*", "files": [{"name": "a"}]}), "files[0].content"),
        (json!({"language": "python", "version": "*", "files": [{"content": "x", "encoding": "rot13"}]}), "encoding"),
        (json!({"language": "python", "version": "*", "files": [{"content": "zz", "encoding": "hex"}]}), "hex"),
        (json!({"language": "c", "version": "*", "files": file, "args": ["3\0"]}), "args must not contain NUL"),
        (
            json!({"language": "python", "version": "*", "files": [{"content": "x"}, {"name": "../x", "content": ""}]}),
            "files[1].name",
        ),
        (
            json!({"language": "python", "version": "*", "files": [{"content": "x"}, {"name": "0", "content": ""}, {"name": "0", "content": ""}]}),
            "given twice",
        ),
        (
            json!({"language": "js", "version": "*", "files": [{"content": "x"}, {"name": ".flash-stdio.js", "content": ""}]}),
            "given twice",
        ),
        (json!({"language": "python", "version": "*", "files": file, "run_timeout": 99_999_999}), "run_timeout"),
        (json!({"language": "python", "version": "*", "files": file, "run_memory_limit": "lots"}), "run_memory_limit"),
        (json!({"language": "python", "version": "*", "files": file, "args": [{}]}), "args"),
        (json!({"language": "python", "version": "*", "files": file, "stdin": 5}), "stdin"),
        (json!([1, 2]), "object"),
    ] {
        let r = s.post("/api/v2/execute", &body).await;
        let v = r.json();
        assert_eq!(r.status, 400, "{body}: {v}");
        assert!(v["message"].as_str().unwrap().contains(words), "{body}: {v}");
    }
    // A form-encoded body (the pistonapi library's): files are contents.
    let form = b"language=python&version=*&files=print%281%29&stdin=hi&timeout=10000";
    let r = s.req("POST", "/api/v2/execute", &[("Content-Type", "application/x-www-form-urlencoded")], form).await;
    assert_eq!((r.status, &r.json()["run"]["stdout"]), (200, &json!("hi")), "{}", String::from_utf8_lossy(&r.body));
    let r = s.req("POST", "/api/v2/execute", &[("Content-Type", "application/json")], b"{oops").await;
    assert_eq!((r.status, r.json()["message"].is_string()), (400, true));
    s.stop().await;
}

fn run_spec(lang: &str, src: &str, extra: Value) -> Value {
    let mut spec = json!({"language_id": lang, "sourcecode": src, "input": "stdin!"});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    json!({ "run_spec": spec })
}

#[tokio::test]
async fn jobe_languages_runs_and_outcomes() {
    let s = start(config()).await;
    for base in ["/jobe/index.php/restapi", "/jobe/restapi"] {
        let langs = s.get(&format!("{base}/languages")).await.json();
        let names: Vec<&str> = langs.as_array().unwrap().iter().map(|p| p[0].as_str().unwrap()).collect();
        assert_eq!(names, ["c", "cpp", "java", "nodejs", "octave", "php", "pascal", "python3"], "{langs}");
        assert_eq!(langs[0][1], "1.0.0");
    }
    let runs = "/jobe/index.php/restapi/runs";
    let v = s
        .post(runs, &run_spec("python3", "print(input())", json!({"sourcefilename": "__tester__.python3"})))
        .await
        .json();
    assert_eq!(v, json!({"run_id": null, "outcome": 15, "cmpinfo": "", "stdout": "stdin!", "stderr": ""}));
    for (src, outcome) in
        [("COMPILE_ERROR", 11), ("NZEC", 12), ("SEGV", 12), ("TLE", 13), ("MLE", 17), ("SIGSYS", 19), ("INTERNAL", 20)]
    {
        let v = s.post(runs, &run_spec("cpp", src, json!({}))).await.json();
        assert_eq!(v["outcome"], outcome, "{src}: {v}");
        if outcome == 11 {
            assert!(v["cmpinfo"].as_str().unwrap().contains("error"), "{v}");
        }
    }
    // Parameters: seconds, MB, capped by the server; unknown keys ignored.
    let params = json!({"parameters": {"cputime": 2, "memorylimit": 100, "numprocs": 5, "frobnicate": 1, "runargs": ["a", "b"]}});
    let v = s.post(runs, &run_spec("c", "LIMITS", params)).await.json();
    assert_eq!(v["stdout"], "cpu=2 wall=4 mem=102400 procs=5", "{v}");
    let v = s.post(runs, &run_spec("c", "ARGS", json!({"parameters": {"runargs": ["a", "b"]}}))).await.json();
    assert_eq!(v["stdout"], "a|b");
    let v = s.post(runs, &run_spec("c", "LIMITS", json!({"parameters": {"cputime": 500}}))).await.json();
    assert!(v["stdout"].as_str().unwrap().starts_with("cpu=15 "), "capped: {v}");
    // Java: the class named by the file name is run through a Main launcher.
    // (The fake judge sees the launcher, which names the class: FILEDATA.main(a).)
    let v =
        s.post(runs, &run_spec("java", "class FILEDATA {}", json!({"sourcefilename": "FILEDATA.java"}))).await.json();
    assert_eq!(v["stdout"], "FILEDATA.java=class FILEDATA {}", "{v}");
    s.stop().await;
}

#[tokio::test]
async fn jobe_file_cache_and_errors() {
    let mut cfg = config();
    cfg.jobe_api_key = Some("k3y".into());
    let s = start(cfg).await;
    let key = [("X-API-KEY", "k3y"), ("Content-Type", "application/json")];
    let base = "/jobe/index.php/restapi";
    let id = "0cc175b9c0f1b6a831c399e269772661"; // md5("a"), as CodeRunner names files
    assert_eq!(s.req("HEAD", &format!("{base}/files/{id}"), &key, b"").await.status, 404);
    assert_eq!(s.req("GET", &format!("{base}/languages"), &[], b"").await.status, 403, "the key is needed");
    let put = json!({"file_contents": "YQ=="}).to_string();
    assert_eq!(s.req("PUT", &format!("{base}/files/{id}"), &key, put.as_bytes()).await.status, 204);
    assert_eq!(s.req("HEAD", &format!("{base}/files/{id}"), &key, b"").await.status, 204);
    let spec = run_spec("python3", "FILEDATA", json!({"file_list": [[id, "data.txt"]]})).to_string();
    let r = s.req("POST", &format!("{base}/runs"), &key, spec.as_bytes()).await;
    assert_eq!(r.json()["stdout"], "data.txt=a", "{}", String::from_utf8_lossy(&r.body));
    let missing = run_spec("python3", "x", json!({"file_list": [["ffff", "x"]]})).to_string();
    let r = s.req("POST", &format!("{base}/runs"), &key, missing.as_bytes()).await;
    assert_eq!(r.status, 404);
    for (body, words) in [
        (json!({}), "run_spec"),
        (json!({"run_spec": {"sourcecode": "x"}}), "language_id"),
        (json!({"run_spec": {"language_id": "fsharp", "sourcecode": "x"}}), "fsharp"),
        (json!({"run_spec": {"language_id": "c"}}), "sourcecode"),
        (run_spec("c", "x", json!({"parameters": {"cputime": "fast"}})), "cputime"),
        (run_spec("c", "x", json!({"file_list": [["id"]]})), "file_list[0]"),
        (run_spec("c", "x", json!({"sourcefilename": "/etc/passwd"})), "sourcefilename"),
        // An argv cannot hold NUL: found by the schema fuzz as an Internal Error.
        (run_spec("c", "x", json!({"parameters": {"compileargs": ["-O2\0"]}})), "compileargs"),
        (run_spec("c", "x", json!({"parameters": {"runargs": "a\0b"}})), "runargs"),
    ] {
        let r = s.req("POST", &format!("{base}/runs"), &key, body.to_string().as_bytes()).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json().as_str().unwrap().contains(words), "{body}: {}", r.json());
    }
    let r = s.req("PUT", &format!("{base}/files/{id}"), &key, br#"{"file_contents": "%%%"}"#).await;
    assert_eq!(r.status, 400);
    let r = s.req("PUT", &format!("{base}/files/a..b"), &key, put.as_bytes()).await;
    assert_eq!(r.status, 400);
    s.stop().await;
}
