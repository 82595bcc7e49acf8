//! `GET /openapi.json` against the router it describes: every operation the
//! document lists is answered by a route (not the 404 fallback, not 405), the
//! operations once missing from the hand-written document are there (`/debug`,
//! the WebSockets, Jobe's second base), every reference resolves, every body
//! has a real schema, and every property a request describes is read by its
//! parser (the other way round, a parser cannot read a field its list lacks,
//! and unit tests hold the described types to those lists). The converse
//! (every route is described) holds by construction: routes are registered
//! only through `utoipa_axum::routes!`.

mod common;

use common::{config, start};
use serde_json::{json, Value};

const METHODS: [&str; 6] = ["get", "put", "post", "delete", "head", "patch"];

/// A concrete path for a templated one.
fn concrete(path: &str) -> String {
    path.replace("{token}", "d85cd024-1548-4165-96c7-7bc88673f194").replace("{id}", "1").replace("{path}", "a.txt")
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let s = start(config()).await;
    let doc = s.get("/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let body: &[u8] = if matches!(*method, "post" | "put") { b"{}" } else { b"" };
            let r = s
                .req(&method.to_ascii_uppercase(), &concrete(path), &[("Content-Type", "application/json")], body)
                .await;
            let text = String::from_utf8_lossy(&r.body);
            assert_ne!(r.status, 405, "{method} {path} is documented but not routed for that method");
            assert!(
                !(r.status == 404 && text.contains("no such endpoint")),
                "{method} {path} is documented but falls through to the 404 fallback"
            );
            operations += 1;
        }
    }
    assert!(operations >= 50, "only {operations} operations");
    s.stop().await;
}

#[tokio::test]
async fn debug_websockets_and_both_jobe_bases_are_described() {
    let s = start(config()).await;
    let doc = s.get("/openapi.json").await.json();
    let paths = &doc["paths"];
    let debug = &paths["/debug"]["post"];
    assert_eq!(
        debug["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/DebugRequest"
    );
    assert_eq!(
        debug["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Trace"
    );
    for ws in ["/live", "/api/v2/connect", "/api/v2/piston/connect"] {
        assert!(paths[ws]["get"]["responses"]["101"].is_object(), "{ws}");
    }
    for base in ["/jobe/index.php/restapi", "/jobe/restapi"] {
        for p in ["languages", "runs", "files/{id}"] {
            assert!(paths[format!("{base}/{p}")].is_object(), "{base}/{p}");
        }
    }
    // /debug's languages are the ones this server can trace (Python is 71).
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let langs = &schemas["DebugRequest"]["properties"]["language"]["enum"];
    assert!(langs.as_array().unwrap().contains(&Value::from("71")), "{langs}");
    // The derived native request carries the bounds this server enforces.
    let limits = config().limits;
    let native = &schemas["NativeRequest"];
    assert_eq!(native["properties"]["time_limit"]["maximum"], limits.max_cpu_time_limit);
    assert_eq!(native["properties"]["memory_limit"]["maximum"], limits.max_memory_limit);
    assert_eq!(native["properties"]["tests"]["maxItems"], config().max_tests);
    assert_eq!(native["additionalProperties"], false);
    // Operation ids stay unique across the two prefixes.
    let mut ids: Vec<&str> = paths
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| METHODS.iter().filter_map(|m| item[*m]["operationId"].as_str()))
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operation ids");
    // Every reference resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &r[..r.find('"').unwrap()];
        assert!(schemas.contains_key(name), "{name} is referenced but not in components");
    }
    for (name, schema) in schemas {
        let desc = schema["description"].as_str().unwrap_or("");
        assert!(!desc.contains("filled from the configuration"), "{name} was not filled");
    }
    s.stop().await;
}

/// Whether `s` is an object schema that says nothing of its content.
fn bare_object(s: &Value) -> bool {
    let Some(m) = s.as_object() else { return false };
    let says = ["properties", "additionalProperties", "oneOf", "anyOf", "allOf", "items", "enum", "$ref"];
    m.get("type") == Some(&json!("object")) && !says.iter().any(|k| m.contains_key(*k))
}

/// Every bare object reachable from `s`, by path (components are walked once, under their own name).
fn bare_objects(doc: &Value, s: &Value, at: &str, seen: &mut Vec<String>, out: &mut Vec<String>) {
    if let Some(name) = s["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        if !seen.iter().any(|n| n == name) {
            seen.push(name.to_owned());
            bare_objects(doc, &doc["components"]["schemas"][name], name, seen, out);
        }
        return;
    }
    if bare_object(s) {
        out.push(at.to_owned());
    }
    if let Some(props) = s["properties"].as_object() {
        for (k, v) in props {
            bare_objects(doc, v, &format!("{at}.{k}"), seen, out);
        }
    }
    for key in ["items", "additionalProperties"] {
        if s[key].is_object() {
            bare_objects(doc, &s[key], &format!("{at}[]"), seen, out);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for (i, v) in s[key].as_array().into_iter().flatten().enumerate() {
            bare_objects(doc, v, &format!("{at}/{key}{i}"), seen, out);
        }
    }
}

/// Every request and response body has a schema that says what it holds: no
/// placeholder, no `{"type": "object"}` alone (but the free-form values
/// listed), and every reference resolves.
#[tokio::test]
async fn every_body_has_a_real_schema() {
    let s = start(config()).await;
    let doc = s.get("/openapi.json").await.json();
    s.stop().await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let desc = schema["description"].as_str().unwrap_or("");
        assert!(!desc.contains("filled from the configuration"), "{name} is a placeholder");
    }
    let text = doc.to_string();
    // Descriptions come from doc comments: rustdoc's links read badly there.
    if let Some(link) = text.split("[`").nth(1) {
        panic!("a description holds a rustdoc link: [`{}", link.chars().take(60).collect::<String>());
    }
    for r in text.split("\"$ref\":\"").skip(1) {
        let target = &r[..r.find('"').unwrap()];
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target} is not a schema"));
        assert!(schemas.contains_key(name), "{name} is referenced but not in components");
    }
    let mut bodies = 0;
    let mut bare = Vec::new();
    let mut seen = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let op = &item[*method];
            let request = op["requestBody"]["content"].as_object().into_iter().flatten();
            let responses = op["responses"].as_object().unwrap().iter().flat_map(|(code, r)| {
                r["content"].as_object().into_iter().flatten().map(move |(t, c)| (format!("{code} {t}"), c))
            });
            for (what, content) in request.map(|(t, c)| (format!("request {t}"), c)).chain(responses) {
                let schema = &content["schema"];
                assert!(schema.is_object(), "{method} {path} {what} has no schema");
                bare_objects(&doc, schema, &format!("{method} {path} {what}"), &mut seen, &mut bare);
                bodies += 1;
            }
        }
    }
    assert!(bodies >= 100, "only {bodies} bodies");
    bare.sort_unstable();
    // Free-form on purpose: the OpenAPI document itself.
    let free_form = ["get /openapi.json 200 application/json"];
    assert_eq!(bare, free_form, "objects whose schema says nothing of their content");
}

/// The description property of a request's schema.
fn described(doc: &Value, name: &str) -> Vec<String> {
    let props = doc["components"]["schemas"][name]["properties"].as_object();
    props.unwrap_or_else(|| panic!("{name} has no properties")).keys().cloned().collect()
}

/// Every property the document gives Judge0's submission is read: each of
/// them of the wrong type is refused naming it. (A field the parser read but
/// did not list would panic here: see `Reader::listed`.)
#[tokio::test]
async fn judge0_reads_every_described_field() {
    let s = start(config()).await;
    let doc = s.get("/openapi.json").await.json();
    let props = described(&doc, "Judge0Request");
    let body: serde_json::Map<String, Value> = props.iter().map(|p| (p.clone(), json!({}))).collect();
    let r = s.post("/submissions", &Value::Object(body)).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let errors = r.json();
    for p in &props {
        assert!(errors.get(p).is_some(), "{p} is described but not read: {errors}");
    }
    s.stop().await;
}

/// A wrong value for each of `props` in turn, in `base` at `at`: each is
/// refused with a message naming `{prefix}{property}`.
async fn each_refused(s: &common::TestServer, path: &str, base: &Value, at: &[&str], props: &[String], prefix: &str) {
    for p in props {
        let mut body = base.clone();
        let mut target = &mut body;
        for step in at {
            target = match step.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*step],
            };
        }
        // A value no field takes (but an object where one would be accepted empty).
        target[p.as_str()] = match p.as_str() {
            "parameters" | "run_spec" => json!(7),
            "encoding" => json!("no such encoding"),
            _ => json!({}),
        };
        let r = s.post(path, &body).await;
        let text = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 400, "{path} {prefix}{p}: {text}");
        assert!(text.contains(&format!("{prefix}{p}")), "{path}: {prefix}{p} is described but not read: {text}");
    }
}

/// Every property the document gives Piston's and Jobe's requests is read:
/// each of them of the wrong type is refused naming it.
#[tokio::test]
async fn piston_and_jobe_read_every_described_field() {
    let s = start(config()).await;
    let doc = s.get("/openapi.json").await.json();
    let piston = json!({"language": "python", "version": "*",
        "files": [{"content": "print(1)"}, {"name": "b.txt", "content": "x"}]});
    each_refused(&s, "/api/v2/execute", &piston, &[], &described(&doc, "PistonRequest"), "").await;
    each_refused(&s, "/api/v2/execute", &piston, &["files", "1"], &described(&doc, "PistonFile"), "files[1].").await;
    let base = "/jobe/index.php/restapi";
    let jobe = json!({"run_spec": {"language_id": "python3", "sourcecode": "print(1)", "parameters": {"cputime": 1}}});
    let runs = format!("{base}/runs");
    each_refused(&s, &runs, &jobe, &[], &described(&doc, "JobeRun"), "").await;
    each_refused(&s, &runs, &jobe, &["run_spec"], &described(&doc, "JobeRunSpec"), "run_spec.").await;
    let params = described(&doc, "JobeParameters");
    each_refused(&s, &runs, &jobe, &["run_spec", "parameters"], &params, "run_spec.parameters.").await;
    let r = s
        .req("PUT", &format!("{base}/files/a1"), &[("Content-Type", "application/json")], b"{\"file_contents\": 7}")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(described(&doc, "JobeFile"), ["file_contents"]);
    assert!(String::from_utf8_lossy(&r.body).contains("file_contents"));
    s.stop().await;
}

/// A batch whose every submission is refused answers 422 with their errors
/// in order, and the document says so (as well as the body's own refusal).
#[tokio::test]
async fn an_all_refused_batch_answers_what_the_document_says() {
    let s = start(config()).await;
    let doc = s.get("/openapi.json").await.json();
    let r = s.post("/submissions/batch", &json!({"submissions": [{"language_id": 71}, {}]})).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let answer = r.json();
    assert_eq!(answer.as_array().map(Vec::len), Some(2), "{answer}");
    let schema =
        &doc["paths"]["/submissions/batch"]["post"]["responses"]["422"]["content"]["application/json"]["schema"];
    let either = schema["oneOf"].as_array().unwrap_or_else(|| panic!("{schema}"));
    assert!(either.iter().any(|s| s["$ref"] == "#/components/schemas/FieldErrors"), "{schema}");
    let array = either.iter().find(|s| s["type"] == "array").unwrap_or_else(|| panic!("{schema}"));
    assert_eq!(array["items"]["$ref"], "#/components/schemas/Judge0BatchEntry", "{schema}");
    let r = s.post("/submissions/batch", &json!({"submissions": 3})).await;
    assert_eq!(r.status, 422);
    assert!(r.json().get("submissions").is_some(), "the body's own refusal is a FieldErrors");
    s.stop().await;
}
