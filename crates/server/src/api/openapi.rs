//! `GET /openapi.json`: the OpenAPI 3.0 description of both APIs and the
//! operations endpoints, built from the running configuration so every range
//! it states (maximum limits, batch size) is the one the server enforces. The
//! schema-driven fuzz test (schemathesis) reads it.

use crate::api::judge0::view::ALL_FIELDS;
use crate::config::ServerConfig;
use crate::service::Service;
use serde_json::{json, Value};

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn resp(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

fn q(name: &str, schema: Value, desc: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": desc})
}

fn errors() -> Value {
    json!({
        "400": resp("Bad request", r("Error")),
        "401": resp("Missing or wrong X-Auth-Token", r("Error")),
        "404": resp("Not found", r("Error")),
        "413": resp("Body too large", r("Error")),
        "422": resp("Invalid fields", r("FieldErrors")),
        "503": resp("Queue full or shutting down", r("Error")),
    })
}

fn with_errors(mut ok: Value) -> Value {
    let e = errors();
    for (k, v) in e.as_object().expect("object") {
        ok[k] = v.clone();
    }
    ok
}

/// The whole document.
pub fn spec(svc: &Service) -> Value {
    let cfg = &svc.cfg;
    let mut paths = json!({});
    for (p, item) in native_paths().into_iter().chain(judge0_paths(cfg)).chain(ops_paths()) {
        paths[p] = item;
    }
    for (p, item) in clients_paths(svc) {
        paths[p] = item;
    }
    if let Some(sessions) = &svc.sessions {
        for (p, item) in sessions_paths(&sessions.cfg) {
            paths[p] = item;
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Flash",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Flash's native API (/create, /check), a Judge0 CE 1.13.1-compatible API, \
                the Piston v2 API (/api/v2) and the Jobe REST API (/jobe/index.php/restapi). \
                When the server has an auth token, every endpoint but /health needs it in X-Auth-Token \
                (Jobe clients may send it, or the Jobe key, in X-API-KEY).",
        },
        "paths": paths,
        "components": {"schemas": schemas(svc)},
    })
}

fn token_param() -> Value {
    json!({"name": "token", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}})
}

fn native_paths() -> Vec<(&'static str, Value)> {
    let wait = q("wait", json!({"type": "boolean"}), "Answer 200 with the finished result");
    vec![
        (
            "/create",
            json!({"post": {
                "summary": "Submit a program (native API)",
                "parameters": [wait],
                "requestBody": body(r("NativeRequest")),
                "responses": with_errors(json!({
                    "200": resp("Finished (wait=true)", r("NativeResult")),
                    "201": resp("Accepted", r("Token")),
                })),
            }}),
        ),
        (
            "/check/{token}",
            json!({"get": {
                "summary": "A submission's state and result (native API)",
                "parameters": [token_param()],
                "responses": with_errors(json!({"200": resp("The submission", r("NativeResult"))})),
            }}),
        ),
        (
            "/packages",
            json!({"post": {
                "summary": "Upload a problem package (ICPC/Kattis format) once; submissions name it by id",
                "description": "The body is the archive: zip, tar or tar.gz, the package at its root or in one \
                    folder. Its id is the BLAKE3 hash of its content (entries sorted by path), so the same \
                    package uploaded again, in any of the formats, has the same id. A refused archive is a \
                    422 naming `archive` (an entry and why) or `package` (a file of the package and why).",
                "requestBody": {"required": true, "content": {
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                    "application/x-tar": {"schema": {"type": "string", "format": "binary"}},
                    "application/gzip": {"schema": {"type": "string", "format": "binary"}},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": with_errors(json!({"201": resp("Stored", r("Package"))})),
            }}),
        ),
        (
            "/packages/{id}",
            json!({"get": {
                "summary": "What Flash read in an uploaded package",
                "parameters": [{"name": "id", "in": "path", "required": true,
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
                "responses": with_errors(json!({"200": resp("The package", r("Package"))})),
            }}),
        ),
    ]
}

fn judge0_paths(cfg: &ServerConfig) -> Vec<(&'static str, Value)> {
    let b64 = q("base64_encoded", json!({"type": "boolean"}), "Text fields are base64");
    let wait = q("wait", json!({"type": "boolean"}), "Answer with the finished submission");
    let fields = q("fields", json!({"type": "string"}), "Comma-separated attributes, or *");
    let authz = json!({"name": "X-Auth-User", "in": "header", "required": false, "schema": {"type": "string"}});
    let batch = cfg.max_submission_batch_size;
    let json_list = |item: Value| json!({"type": "array", "items": item});
    vec![
        (
            "/submissions",
            json!({
                "post": {
                    "summary": "Create a submission",
                    "parameters": [b64, wait, fields],
                    "requestBody": body(r("Judge0Request")),
                    "responses": with_errors(json!({"201": resp("Token, or the submission with wait=true", r("Judge0Submission"))})),
                },
                "get": {
                    "summary": "List submissions (needs the authorization token)",
                    "parameters": [b64, fields, authz,
                        q("page", json!({"type": "integer", "minimum": 1}), "Page"),
                        q("per_page", json!({"type": "integer", "minimum": 1, "maximum": 1000}), "Page size")],
                    "responses": with_errors(json!({
                        "200": resp("A page", json!({"type": "object", "properties": {
                            "submissions": json_list(r("Judge0Submission")), "meta": {"type": "object"}}})),
                        "403": resp("Authorization required", r("Error")),
                    })),
                },
            }),
        ),
        (
            "/submissions/batch",
            json!({
                "post": {
                    "summary": "Create several submissions",
                    "parameters": [b64],
                    "requestBody": body(json!({"type": "object", "required": ["submissions"], "properties": {
                        "submissions": {"type": "array", "minItems": 1, "maxItems": batch, "items": r("Judge0Request")}}})),
                    "responses": with_errors(json!({"201": resp("A token or errors per submission", json_list(json!({"type": "object"})))})),
                },
                "get": {
                    "summary": "Get several submissions (unknown tokens are null)",
                    "parameters": [b64, fields, {"name": "tokens", "in": "query", "required": true,
                    "schema": {"type": "string", "minLength": 1}, "description": "Comma-separated tokens"}],
                    "responses": with_errors(json!({"200": resp("Submissions", json!({"type": "object", "properties": {
                        "submissions": json_list(json!({"nullable": true, "allOf": [r("Judge0Submission")]}))}}))})),
                },
            }),
        ),
        (
            "/submissions/{token}",
            json!({
                "get": {
                    "summary": "Get a submission",
                    "parameters": [token_param(), b64, fields],
                    "responses": with_errors(json!({"200": resp("The submission", r("Judge0Submission"))})),
                },
                "delete": {
                    "summary": "Delete a finished submission (when enabled; needs the authorization token)",
                    "parameters": [token_param(), fields, authz],
                    "responses": with_errors(json!({"200": resp("What was deleted", r("Judge0Submission")),
                        "403": resp("Authorization required", r("Error"))})),
                },
            }),
        ),
        ("/languages", simple_get("Active languages", json_list(r("Language")))),
        ("/languages/all", simple_get("All languages", json_list(r("Language")))),
        (
            "/languages/{id}",
            json!({"get": {
                "summary": "One language",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with_errors(json!({"200": resp("The language", r("Language"))})),
            }}),
        ),
        ("/statuses", simple_get("Statuses 1..14", json_list(r("Status")))),
        ("/config_info", simple_get("Judge0 configuration keys", json!({"type": "object"}))),
        ("/about", simple_get("Version 1.13.1 and project links", json!({"type": "object"}))),
        ("/system_info", simple_get("CPU and memory", json!({"type": "object"}))),
        ("/isolate", text_get("Which sandbox this is (Judge0: isolate --version)")),
        ("/license", text_get("The licence (text)")),
        ("/workers", simple_get("Queue and workers", json!({"type": "array", "items": {"type": "object"}}))),
        (
            "/version",
            json!({"get": {"summary": "Judge0 version (text)", "responses": {
            "200": {"description": "1.13.1", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}),
        ),
        (
            "/authenticate",
            json!({"post": {"summary": "200 when X-Auth-Token is accepted", "responses": {
            "200": {"description": "Authenticated"}, "401": resp("Not authenticated", r("Error"))}}}),
        ),
        (
            "/authorize",
            json!({"post": {"summary": "200 when X-Auth-User is accepted", "responses": {
            "200": {"description": "Authorized"}, "403": resp("Not authorized", r("Error"))}}}),
        ),
    ]
}

fn text_get(summary: &str) -> Value {
    json!({"get": {"summary": summary, "responses": {
        "200": {"description": summary, "content": {"text/plain": {"schema": {"type": "string"}}}},
        "401": resp("Not authenticated", r("Error"))}}})
}

/// Piston's and Jobe's endpoints (their own error shapes: `{message}` and a string).
fn clients_paths(svc: &Service) -> Vec<(String, Value)> {
    let l = &svc.cfg.limits;
    let piston_names: Vec<&str> = crate::api::piston::runtimes_of(svc).iter().map(|r| r.name).collect();
    let ms = |max: f64| json!({"type": "integer", "minimum": 1, "maximum": (max * 1000.0) as i64});
    let piston_req = json!({
        "type": "object", "required": ["language", "version", "files"],
        "properties": {
            "language": {"type": "string", "enum": piston_names},
            "version": {"type": "string", "example": "*"},
            "files": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "object", "required": ["content"],
                "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"}, "content": {"type": "string"},
                "encoding": {"type": "string", "enum": ["utf8", "base64", "hex"]}}}},
            "stdin": {"type": "string"},
            "args": {"type": "array", "maxItems": 256, "items": {"type": "string"}},
            "run_timeout": ms(l.max_wall_time_limit), "run_cpu_time": ms(l.max_cpu_time_limit),
            "compile_timeout": ms(20.0), "compile_cpu_time": ms(10.0),
            "run_memory_limit": {"type": "integer", "minimum": 2_097_152, "maximum": l.max_memory_limit * 1024},
            "compile_memory_limit": {"type": "integer", "minimum": -1},
        },
    });
    let message = json!({"type": "object", "properties": {"message": {"type": "string"}}});
    let piston_errors = |ok: Value| {
        let mut v = json!({"400": resp("Bad request", message.clone()), "503": resp("Queue full", message.clone())});
        v["200"] = ok;
        v
    };
    let jobe_langs: Vec<&str> = vec!["c", "cpp", "python3", "java", "nodejs", "php", "octave", "pascal"];
    let jobe_req = json!({"type": "object", "required": ["run_spec"], "properties": {"run_spec": {
    "type": "object", "required": ["language_id", "sourcecode"],
    "properties": {
        "language_id": {"type": "string", "enum": jobe_langs}, "sourcecode": {"type": "string"},
        "sourcefilename": {"type": "string", "pattern": "^[A-Za-z0-9_.]+$"}, "input": {"type": "string"},
        "file_list": {"type": "array", "maxItems": 100, "items": {"type": "array", "minItems": 2, "maxItems": 2,
            "items": {"type": "string", "pattern": "^[A-Za-z0-9_.]+$"}}},
        "parameters": {"type": "object", "properties": {
            "cputime": {"type": "number", "exclusiveMinimum": true, "minimum": 0},
            "memorylimit": {"type": "number", "minimum": 2},
            "numprocs": {"type": "integer", "minimum": 1},
            "compileargs": {"type": "array", "items": {"type": "string"}},
            "linkargs": {"type": "array", "items": {"type": "string"}},
            "interpreterargs": {"type": "array", "items": {"type": "string"}},
            "runargs": {"type": "array", "items": {"type": "string"}}}},
    }}}});
    let jobe_result = json!({"type": "object", "properties": {"run_id": {"nullable": true}, "outcome": {"type": "integer"},
        "cmpinfo": {"type": "string"}, "stdout": {"type": "string"}, "stderr": {"type": "string"}}});
    let text = json!({"type": "string"});
    let file_id = json!({"name": "id", "in": "path", "required": true,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$"}});
    let mut out = Vec::new();
    for prefix in ["/api/v2", "/api/v2/piston"] {
        out.push((
            format!("{prefix}/runtimes"),
            simple_get("Piston: the runtimes", json!({"type": "array", "items": {"type": "object"}})),
        ));
        out.push((format!("{prefix}/execute"), json!({"post": {
            "summary": "Piston: run a program and answer its result",
            "requestBody": body(piston_req.clone()),
            "responses": piston_errors(resp("compile (compiled languages) and run stages", json!({"type": "object"}))),
        }})));
    }
    let base = "/jobe/index.php/restapi";
    out.push((format!("{base}/languages"), simple_get("Jobe: [id, version] pairs", json!({"type": "array"}))));
    out.push((format!("{base}/runs"), json!({"post": {
        "summary": "Jobe: run a program",
        "requestBody": body(jobe_req),
        "responses": {"200": resp("The outcome", jobe_result), "400": resp("Bad run_spec", text.clone()),
            "403": resp("Wrong X-API-KEY", r("Error")), "404": resp("A file of file_list is unknown", text.clone())},
    }})));
    out.push((
        format!("{base}/files/{{id}}"),
        json!({
            "put": {"summary": "Jobe: keep a file for later runs", "parameters": [file_id.clone()],
                "requestBody": body(json!({"type": "object", "required": ["file_contents"],
                    "properties": {"file_contents": {"type": "string", "format": "byte"}}})),
                "responses": {"204": {"description": "Kept"}, "400": resp("Bad id or contents", text.clone())}},
            "head": {"summary": "Jobe: whether a file is kept", "parameters": [file_id],
                "responses": {"204": {"description": "Kept"}, "404": {"description": "Unknown"}}},
        }),
    ));
    out
}

fn simple_get(summary: &str, schema: Value) -> Value {
    json!({"get": {"summary": summary, "responses": {"200": resp(summary, schema), "401": resp("Not authenticated", r("Error"))}}})
}

/// The session endpoints (see [`crate::api::sessions`]).
fn sessions_paths(c: &crate::config::SessionsConfig) -> Vec<(&'static str, Value)> {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let path = json!({"name": "path", "in": "path", "required": true,
        "schema": {"type": "string", "pattern": "^[^/]+(/[^/]+)*$", "maxLength": 1024},
        "description": "A file's path in the workspace (relative, no '.' or '..')"});
    let conflict = |m: &str| resp(m, r("Error"));
    let session = r("Session");
    let secs = |max: u64| json!({"type": "integer", "minimum": 1, "maximum": max});
    let ok = |desc: &str, schema: Value| with_errors(json!({"200": resp(desc, schema)}));
    let mut files_ok = ok("The file's bytes", json!({}));
    files_ok["200"] = json!({"description": "The file's bytes",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}});
    let mut run_result = r("NativeResult");
    run_result = json!({"allOf": [run_result, {"type": "object", "properties": {
        "session": session.clone(),
        "workspace": {"type": "object", "properties": {"saved": {"type": "boolean"}, "note": {"type": "string", "nullable": true}}},
        "copy_out": {"type": "array", "items": {"type": "object"}}}}]});
    let mut run_ok = ok("The run, the workspace saved or why not, and the files copied out", run_result);
    run_ok["409"] = conflict("Another run of this session is under way");
    vec![
        (
            "/sessions",
            json!({
                "post": {
                    "summary": "Make a session: a workspace that lives across runs",
                    "requestBody": body(json!({"type": "object", "additionalProperties": false, "properties": {
                        "idle_timeout": secs(c.max_idle_timeout_secs), "max_age": secs(c.max_max_age_secs)}})),
                    "responses": with_errors(json!({"201": resp("The session", session.clone()),
                        "409": conflict("The key holds as many sessions as allowed")})),
                },
                "get": {"summary": "This key's sessions",
                    "responses": ok("The sessions", json!({"type": "object", "properties": {
                        "sessions": {"type": "array", "items": session.clone()}}}))},
            }),
        ),
        (
            "/sessions/{id}",
            json!({
                "get": {"summary": "One session", "parameters": [id.clone()], "responses": ok("The session", session.clone())},
                "delete": {"summary": "Delete a session and its files", "parameters": [id.clone()],
                    "responses": with_errors(json!({"204": {"description": "Deleted"}}))},
            }),
        ),
        (
            "/sessions/{id}/expire",
            json!({"post": {"summary": "Expire a session in `after` seconds (0: now)", "parameters": [id.clone()],
                "requestBody": body(json!({"type": "object", "additionalProperties": false, "properties": {
                    "after": {"type": "integer", "minimum": 0, "maximum": c.max_max_age_secs}}})),
                "responses": with_errors(json!({"200": resp("The session", session.clone()), "204": {"description": "Deleted"}}))}}),
        ),
        (
            "/sessions/{id}/run",
            json!({"post": {"summary": "Run a command (Bash) or a program in a fresh sandbox holding the workspace",
                "parameters": [id.clone()],
                "requestBody": body(json!({"type": "object", "properties": {
                    "command": {"type": "string"}, "language": {"type": "string"}, "code": {"type": "string"},
                    "input": {"type": "string"}, "args": {"type": "array", "items": {"type": "string"}},
                    "copy_out": {"type": "array", "maxItems": 64, "items": {"type": "string"}}}})),
                "responses": run_ok}}),
        ),
        (
            "/sessions/{id}/files",
            json!({"get": {"summary": "The workspace's files", "parameters": [id.clone()],
                "responses": ok("The files", json!({"type": "object", "properties": {"files": {"type": "array",
                    "items": {"type": "object", "properties": {"path": {"type": "string"}, "size": {"type": "integer"},
                        "executable": {"type": "boolean"}}}}}}))}}),
        ),
        (
            "/sessions/{id}/files/{path}",
            json!({
                "get": {"summary": "Download a file", "parameters": [id.clone(), path.clone()], "responses": files_ok},
                "put": {"summary": "Upload a file (the body is its bytes)",
                    "parameters": [id.clone(), path.clone(), q("executable", json!({"type": "boolean"}), "Mode 755")],
                    "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                    "responses": with_errors(json!({"201": resp("Stored", json!({"type": "object"})),
                        "409": conflict("Over a bound of the workspace")}))},
                "delete": {"summary": "Delete a file", "parameters": [id, path],
                    "responses": with_errors(json!({"204": {"description": "Deleted"}}))},
            }),
        ),
    ]
}

fn ops_paths() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/health",
            json!({"get": {"summary": "Liveness and queue counts (no auth)", "responses": {
            "200": resp("Healthy", json!({"type": "object", "properties": {
                "status": {"type": "string"}, "workers": {"type": "integer"}, "queued": {"type": "integer"},
                "processing": {"type": "integer"}, "languages": {"type": "integer"},
                "warming": {"type": "boolean", "description":
                    "Precompiled headers or warm-runtime archives are being built in the background: \
                     judging works, more slowly, until they are ready"}}})),
            "503": resp("Unhealthy", json!({"type": "object"}))}}}),
        ),
        (
            "/metrics",
            json!({"get": {"summary": "Prometheus metrics", "responses": {
            "200": {"description": "Text exposition", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}),
        ),
        ("/openapi.json", simple_get("This document", json!({"type": "object"}))),
    ]
}

fn schemas(svc: &Service) -> Value {
    let cfg: &ServerConfig = &svc.cfg;
    let l = &cfg.limits;
    let ids: Vec<u32> = svc.langs.all().iter().map(|l| l.id).collect();
    let mut names: Vec<String> = svc.langs.all().iter().filter(|l| !l.is_project).map(|l| l.id.to_string()).collect();
    names.extend(["c++", "cpp", "c", "python", "python3", "javascript", "js", "java", "sql", "bash"].map(String::from));
    let only_false = json!({"type": "boolean", "enum": [false], "nullable": true,
        "description": "Accepted for compatibility; this server refuses true"});
    // Network is there only for a caller whose key the operator allows it.
    let networked = !svc.keys.network_allowance(&cfg.network).is_empty();
    let (network, enable_network) = match networked {
        true => (
            json!({"description": "true: every host this key may reach; or a list of them (README \"Network\")",
                "oneOf": [{"type": "boolean"}, {"type": "array", "minItems": 1, "maxItems": 64, "items": {"type": "string"}}]}),
            json!({"type": "boolean", "nullable": true}),
        ),
        false => (
            json!({"type": "boolean", "enum": [false], "nullable": true,
                "description": "Network is not allowed for this key"}),
            only_false.clone(),
        ),
    };
    let code = json!({"type": "string", "minLength": 1, "pattern": "\\S"});
    let num = |min: f64, excl: bool, max: f64| json!({"type": "number", "minimum": min, "exclusiveMinimum": excl, "maximum": max, "nullable": true});
    let int = |min: u64, max: u64| json!({"type": "integer", "minimum": min, "maximum": max, "nullable": true});
    let text = json!({"type": "string", "nullable": true});
    let boolean = json!({"type": "boolean", "nullable": true});
    let mut sub_props = serde_json::Map::new();
    for f in ALL_FIELDS {
        sub_props.insert(f.into(), json!({"nullable": true}));
    }
    let mut judge0 = json!({
            "type": "object",
            "required": ["source_code", "language_id"],
            "properties": {
                "source_code": code.clone(),
                "language_id": {"type": "integer", "enum": ids,
                    "description": "GET /languages; 89 (multi-file) takes additional_files instead of source_code"},
                "compiler_options": {"type": "string", "maxLength": 512, "nullable": true,
                    "description": "Compiled languages only"},
                "command_line_arguments": {"type": "string", "maxLength": 512, "nullable": true},
                "stdin": text, "expected_output": text,
                "cpu_time_limit": num(0.0, true, l.max_cpu_time_limit),
                "cpu_extra_time": num(0.0, false, l.max_cpu_extra_time),
                "wall_time_limit": num(1.0, false, l.max_wall_time_limit),
                "memory_limit": num(2048.0, false, l.max_memory_limit as f64),
                "stack_limit": int(1, l.max_stack_limit),
                "max_processes_and_or_threads": int(1, l.max_max_processes_and_or_threads),
                "enable_per_process_and_thread_time_limit": only_false.clone(),
                "enable_per_process_and_thread_memory_limit": only_false.clone(),
                "max_file_size": int(1, l.max_max_file_size),
                "redirect_stderr_to_stdout": boolean, "enable_network": enable_network,
                "number_of_runs": int(1, l.max_number_of_runs.into()),
            },
    });
    // Only what this server accepts is described.
    if cfg.enable_additional_files {
        judge0["properties"]["additional_files"] = json!({"type": "string", "format": "byte", "nullable": true,
            "description": "A zip (base64): relative paths only, no symlinks"});
    }
    if cfg.enable_callbacks {
        judge0["properties"]["callback_url"] = json!({"type": "string", "nullable": true,
            "description": "http:// URL the finished submission is PUT to"});
    }
    let modes = ["trailing_whitespace", "exact", "tokens", "case_insensitive", "unordered_lines"];
    let compare = json!({
        "description": "How outputs are held against expected: a mode, or {mode, relative, absolute} (tolerances for float); default trailing_whitespace (Judge0's rule)",
        "oneOf": [
            {"type": "string", "enum": modes},
            {"type": "object", "additionalProperties": false, "required": ["mode"], "properties": {
                "mode": {"type": "string", "enum": modes}}},
            {"type": "object", "additionalProperties": false, "required": ["mode"], "minProperties": 2, "properties": {
                "mode": {"type": "string", "enum": ["float"]},
                "relative": {"type": "number", "minimum": 0, "maximum": 1e9},
                "absolute": {"type": "number", "minimum": 0, "maximum": 1e9}}},
        ],
    });
    json!({
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "FieldErrors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string", "format": "uuid"}}},
        "Session": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"},
            "created_at": {"type": "number"}, "last_used_at": {"type": "number"}, "expires_at": {"type": "number"},
            "idle_timeout": {"type": "integer"}, "max_age": {"type": "integer"},
            "files": {"type": "integer"}, "bytes": {"type": "integer"}}},
        "Status": {"type": "object", "properties": {"id": {"type": "integer"}, "description": {"type": "string"}}},
        "Language": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "Judge0Request": judge0,
        "Judge0Submission": {"type": "object", "properties": sub_props},
        "NativeRequest": {
            "type": "object",
            "required": ["code", "language"],
            "additionalProperties": false,
            "properties": {
                "code": code,
                "language": {"type": "string", "enum": names, "description": "Name, alias or id (GET /languages)"},
                "input": {"type": "string"}, "expected": text,
                "time_limit": num(0.0, true, l.max_cpu_time_limit),
                "wall_time_limit": num(0.0, true, l.max_wall_time_limit),
                "memory_limit": int(2048, l.max_memory_limit),
                "stack_limit": int(1, l.max_stack_limit),
                "max_processes": int(1, l.max_max_processes_and_or_threads),
                "output_limit": int(1, l.max_output_limit),
                "compiler_options": {"type": "string", "maxLength": 512},
                "args": {"type": "array", "maxItems": 256, "items": {"type": "string"}},
                "network": network,
                "compare": compare,
                "tests": {"type": "array", "maxItems": cfg.max_tests, "items": {
                    "type": "object", "additionalProperties": false,
                    "properties": {"input": {"type": "string"}, "expected": text}}},
                "package": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                    "description": "Judge on an uploaded package (POST /packages): its tests, checker and limits \
                        replace input, expected, tests and compare; time_limit, when given, overrides its time limit"},
                "all_tests": {"type": "boolean", "description": "With package: judge every test even after a failure"},
                "transcript": {"type": "boolean", "description": "With an interactive package: each test's result keeps \
                    what each side wrote (transcript: messages of {side, text} in order, at most 64 KiB a side, \
                    with solution_truncated and interactor_truncated)"},
            },
        },
        "Package": {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "format_version": {"type": "string", "enum": ["legacy", "2023-07"]},
            "type": {"type": "string", "enum": ["pass-fail", "scoring", "interactive", "interactive scoring"]},
            "interactive": {"type": "boolean"}, "scoring": {"type": "boolean"},
            "checker": {"type": "object", "nullable": true},
            "testlib_checker": {"type": "object", "nullable": true,
                "description": "A testlib checker run on a testlib interactor's output file"},
            "time_limit": {"type": "number", "nullable": true},
            "memory_limit_mib": {"type": "integer"}, "output_limit_mib": {"type": "integer"},
            "test_count": {"type": "integer"},
            "groups": {"type": "array", "items": {"type": "object", "properties": {
                "path": {"type": "string"}, "tests": {"type": "integer"}, "total_tests": {"type": "integer"},
                "aggregation": {"type": "string", "nullable": true}, "max_score": {"type": "number", "nullable": true}}}},
        }},
        "PackageReport": {"type": "object", "description": "flash-judge's report (docs/grading.md)", "properties": {
            "id": {"type": "string"},
            "verdict": {"type": "string", "enum": ["AC", "WA", "PE", "TLE", "MLE", "OLE", "RTE", "CE", "JE", "Skipped"]},
            "message": text, "score": {"type": "number", "nullable": true},
            "max_score": {"type": "number", "nullable": true}, "time_limit": {"type": "number"},
            "tests": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "group": {"type": "string"}, "verdict": {"type": "string"},
                "detail": text, "time": {"type": "number"}, "wall_time": {"type": "number"},
                "memory_kb": {"type": "integer"}, "message": text,
                "score": {"type": "number", "nullable": true}, "max_score": {"type": "number", "nullable": true}}}},
            "groups": {"type": "array", "items": {"type": "object", "properties": {
                "path": {"type": "string"}, "verdict": {"type": "string"},
                "score": {"type": "number", "nullable": true}, "max_score": {"type": "number", "nullable": true},
                "aggregation": {"type": "string"}}}},
        }},
        "NativeResult": {"type": "object", "properties": {
            "token": {"type": "string"}, "status": r("Status"), "stdout": text, "stderr": text,
            "compile_output": text, "message": text, "time": {"type": "number", "nullable": true},
            "wall_time": {"type": "number", "nullable": true}, "memory": {"type": "integer", "nullable": true},
            "exit_code": {"type": "integer", "nullable": true}, "exit_signal": {"type": "integer", "nullable": true},
            "created_at": {"type": "number"}, "started_at": {"type": "number", "nullable": true},
            "finished_at": {"type": "number", "nullable": true}, "language": {"type": "object"},
            "tests": {"type": "array", "items": {"type": "object"}},
            "package": r("PackageReport"),
        }},
    })
}
