//! `GET /openapi.json` against the router it describes: every operation the
//! document lists is answered by a route (not the 404 fallback, not 405), the
//! operations once missing from the hand-written document are there (`/debug`,
//! the WebSockets, Jobe's second base), and no placeholder schema is left
//! unfilled. The converse (every route is described) holds by construction:
//! routes are registered only through `utoipa_axum::routes!`.

mod common;

use common::{config, start};
use serde_json::Value;

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
