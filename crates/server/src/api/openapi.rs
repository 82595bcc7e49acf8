//! `GET /openapi.json`: the OpenAPI 3.1 description of every HTTP endpoint.
//!
//! The operations are derived: each handler carries `#[utoipa::path]` and is
//! routed only through [`utoipa_axum`]'s `routes!` (see [`crate::api::router`]),
//! so a route cannot exist without its description. The bodies are
//! component schemas. Most are derived from the types the handlers really
//! parse and answer: `/debug`'s (`flash_debugger::DebugRequest`, `Trace`), the
//! native API's, the error bodies, `/health`, the session views, Piston's and
//! Jobe's answers, Judge0's language lists. The others (Judge0's submission
//! bodies, Piston's and Jobe's requests, packages, the session requests) are
//! still [`Configured`] placeholders that [`spec`] writes by hand at serve
//! time. Either way [`spec`] applies the running configuration, so every
//! range the document states (maximum limits, the batch size, the languages
//! offered) is the one the server enforces. The schema-driven fuzz (schemathesis,
//! `scripts/api-compat.sh`) reads the result.

use crate::api::judge0::view::ALL_FIELDS;
use crate::config::ServerConfig;
use crate::service::Service;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use utoipa::openapi::{Content, RefOr, Response, ResponseBuilder};

/// The description of a placeholder schema, replaced by [`spec`].
const PLACEHOLDER: &str = "filled from the configuration when served";

/// A body schema whose content depends on the configuration: a placeholder
/// in the derived document, written by [`configured_schemas`] when served.
macro_rules! configured {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new().description(Some(PLACEHOLDER)).into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }

        impl Configured for $name {}
    )*};
}

/// Marks a placeholder schema (see [`configured!`]).
pub trait Configured {}

configured!(
    /// `POST /sessions/{id}/run`.
    SessionRun,
    /// The run, the workspace saved or why not, and the files copied out.
    SessionRunResult,
    /// `POST /submissions`.
    Judge0Request,
    /// `POST /submissions/batch`.
    Judge0Batch,
    /// A submission (the fields asked).
    Judge0Submission,
    /// `GET /submissions`: a page.
    Judge0Page,
    /// `GET /submissions/batch`.
    Judge0Submissions,
    /// What Flash read in a problem package.
    Package,
    /// flash-judge's report on a submission judged on a package.
    PackageReport,
    /// `POST /api/v2/execute`.
    PistonRequest,
    /// `POST .../runs`.
    JobeRun,
    /// `PUT .../files/{id}`.
    JobeFile,
    /// Bytes (an archive, a file).
    Binary,
);

/// The schemas every API shares but no handler names: the refusals'
/// (referenced by [`Refusals`]).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(crate::api::error::ErrorBody, crate::api::error::FieldErrorsBody)))]
pub struct Shared;

/// The refusals every endpoint of the native, Judge0, package and session
/// APIs may answer (the statuses of [`crate::api::ApiError`]).
pub struct Refusals;

impl utoipa::IntoResponses for Refusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            ("400", "Bad request", "Error"),
            ("401", "Missing or wrong X-Auth-Token", "Error"),
            ("404", "Not found", "Error"),
            ("413", "Body too large", "Error"),
            ("422", "Invalid fields", "FieldErrors"),
            ("429", "Over an API key's limit", "Error"),
            ("503", "Queue full or shutting down", "Error"),
        ]
        .into_iter()
        .map(|(code, desc, schema)| (code.to_owned(), response(desc, schema)))
        .collect()
    }
}

/// A JSON response of a component schema.
fn response(desc: &str, schema: &str) -> RefOr<Response> {
    let schema = utoipa::openapi::Ref::from_schema_name(schema);
    ResponseBuilder::new().description(desc).content("application/json", Content::new(Some(schema))).build().into()
}

/// The whole document: the derived one with its [`Configured`] schemas
/// filled from `svc`'s configuration; without sessions, their paths are left
/// out (they answer 404).
pub fn spec(svc: &Service, derived: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(derived).unwrap_or_else(|_| json!({}));
    doc["info"] = json!({
        "title": "Flash",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Flash's native API (/create, /check), /debug, a Judge0 CE 1.13.1-compatible API, \
            the Piston v2 API (/api/v2), the Jobe REST API (/jobe/index.php/restapi, also /jobe/restapi), \
            problem packages and sessions. When the server has an auth token, every endpoint but /health \
            needs it in X-Auth-Token (Jobe clients may send it, or the Jobe key, in X-API-KEY).",
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        // axum's wildcard `{*path}` is OpenAPI's `{path}`.
        let renamed: Vec<(String, Value)> = std::mem::take(paths)
            .into_iter()
            .filter(|(p, _)| svc.sessions.is_some() || !p.starts_with("/sessions"))
            .map(|(p, item)| (p.replace("{*", "{"), item))
            .collect();
        paths.extend(renamed);
        // Operation ids are the handlers' names, which repeat across APIs
        // (`create`, `show`): the API's tag makes them unique.
        for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            if let (Some(tag), Some(id)) = (op["tags"][0].as_str(), op["operationId"].as_str()) {
                op["operationId"] = json!(format!("{tag}_{id}"));
            }
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    if let Value::Object(configured) = configured_schemas(svc) {
        for (name, schema) in configured {
            schemas[name] = to_openapi_31(schema);
        }
    }
    native_bounds(svc, &mut schemas["NativeRequest"]);
    schemas["NativeTest"]["additionalProperties"] = json!(false);
    debug_bounds(svc, &mut schemas["DebugRequest"]);
    session_bounds(svc, schemas);
    doc
}

/// The session requests within this server's maxima; unknown fields are refused.
fn session_bounds(svc: &Service, schemas: &mut Value) {
    let c = svc.sessions.as_ref().map(|s| s.cfg.clone()).unwrap_or_default();
    for (name, field, max) in [
        ("SessionCreate", "idle_timeout", c.max_idle_timeout_secs),
        ("SessionCreate", "max_age", c.max_max_age_secs),
        ("SessionExpire", "after", c.max_max_age_secs),
    ] {
        schemas[name]["additionalProperties"] = json!(false);
        schemas[name]["properties"][field]["maximum"] = json!(max);
    }
}

/// `POST /create`'s body within this server's bounds: the languages, the
/// maximum limits, the test count, network as the key allows it, the
/// comparison modes; unknown fields are refused.
fn native_bounds(svc: &Service, request: &mut Value) {
    let cfg = &svc.cfg;
    let l = &cfg.limits;
    let mut names: Vec<String> = svc.langs.all().iter().filter(|l| !l.is_project).map(|l| l.id.to_string()).collect();
    names.extend(["c++", "cpp", "c", "python", "python3", "javascript", "js", "java", "sql", "bash"].map(String::from));
    // Network is there only for a caller whose key the operator allows it.
    let network = if svc.keys.network_allowance(&cfg.network).is_empty() {
        json!({"type": ["boolean", "null"], "enum": [false, null], "description": "Network is not allowed for this key"})
    } else {
        json!({"description": "true: every host this key may reach; or a list of them (README \"Network\")",
            "oneOf": [{"type": "null"}, {"type": "boolean"},
                {"type": "array", "minItems": 1, "maxItems": 64, "items": {"type": "string"}}]})
    };
    let modes = ["trailing_whitespace", "exact", "tokens", "case_insensitive", "unordered_lines"];
    let compare = to_openapi_31(json!({
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
    }));
    request["additionalProperties"] = json!(false);
    let props = &mut request["properties"];
    props["language"]["enum"] = json!(names);
    for (field, max) in [
        ("time_limit", json!(l.max_cpu_time_limit)),
        ("wall_time_limit", json!(l.max_wall_time_limit)),
        ("memory_limit", json!(l.max_memory_limit)),
        ("stack_limit", json!(l.max_stack_limit)),
        ("max_processes", json!(l.max_max_processes_and_or_threads)),
        ("output_limit", json!(l.max_output_limit)),
    ] {
        props[field]["maximum"] = max;
    }
    props["network"] = network;
    props["compare"] = compare;
    props["tests"]["maxItems"] = json!(cfg.max_tests);
}

/// `/debug`'s request within what this server offers: the languages it can
/// trace (ids, as `GET /languages` lists them) and the step cap.
fn debug_bounds(svc: &Service, request: &mut Value) {
    let traced: Vec<String> = svc
        .langs
        .all()
        .iter()
        .filter(|l| !l.is_project)
        .filter(|l| {
            let engine = svc.langs.engine_language(l);
            engine.is_some_and(|e| flash_debugger::backend::for_language(&e.spec.name).is_some())
        })
        .map(|l| l.id.to_string())
        .collect();
    let props = &mut request["properties"];
    props["language"]["enum"] = json!(traced);
    props["max_steps"]["minimum"] = json!(1);
    props["max_steps"]["maximum"] = json!(flash_debugger::DebugLimits::default().max_steps_cap);
}

/// OpenAPI 3.0's `nullable` and boolean `exclusiveMinimum` (what the
/// configured schemas are written in) as 3.1's JSON Schema, the derived
/// document's dialect.
fn to_openapi_31(mut v: Value) -> Value {
    match &mut v {
        Value::Array(a) => a.iter_mut().for_each(|x| *x = to_openapi_31(std::mem::take(x))),
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k != "enum" && k != "required" {
                    *x = to_openapi_31(std::mem::take(x));
                }
            }
            if m.remove("exclusiveMinimum") == Some(Value::Bool(true)) {
                if let Some(min) = m.remove("minimum") {
                    m.insert("exclusiveMinimum".into(), min);
                }
            }
            if m.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::Array(e)) = m.get_mut("enum") {
                    e.push(Value::Null);
                }
                match m.remove("type") {
                    Some(Value::String(t)) => {
                        m.insert("type".into(), json!([t, "null"]));
                    }
                    Some(other) => {
                        m.insert("type".into(), other);
                    }
                    None if m.contains_key("allOf") || m.contains_key("oneOf") => {
                        let inner = Value::Object(std::mem::take(m));
                        return json!({"oneOf": [{"type": "null"}, inner]});
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    v
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The [`Configured`] schemas, from the running configuration.
fn configured_schemas(svc: &Service) -> Value {
    let mut all = core_schemas(svc);
    for extra in [judge0_schemas(&svc.cfg), clients_schemas(svc), sessions_schemas()] {
        if let (Some(all), Value::Object(extra)) = (all.as_object_mut(), extra) {
            all.extend(extra);
        }
    }
    all
}

/// Judge0's wrappers (the request and the submission are in [`core_schemas`]).
fn judge0_schemas(cfg: &ServerConfig) -> Value {
    let batch = cfg.max_submission_batch_size;
    json!({
        "Judge0Batch": {"type": "object", "required": ["submissions"], "properties": {
            "submissions": {"type": "array", "minItems": 1, "maxItems": batch, "items": r("Judge0Request")}}},
        "Judge0Page": {"type": "object", "properties": {
            "submissions": {"type": "array", "items": r("Judge0Submission")}, "meta": {"type": "object"}}},
        "Judge0Submissions": {"type": "object", "properties": {
            "submissions": {"type": "array", "items": {"nullable": true, "allOf": [r("Judge0Submission")]}}}},
    })
}

/// Piston's and Jobe's bodies (their own error shapes: `{message}` and a string).
fn clients_schemas(svc: &Service) -> Value {
    let l = &svc.cfg.limits;
    let piston_names: Vec<&str> = crate::api::piston::runtimes_of(svc).iter().map(|r| r.name).collect();
    let ms = |max: f64| json!({"type": "integer", "minimum": 1, "maximum": (max * 1000.0) as i64});
    let jobe_langs = ["c", "cpp", "python3", "java", "nodejs", "php", "octave", "pascal"];
    json!({
        "PistonRequest": {
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
        },
        "JobeRun": {"type": "object", "required": ["run_spec"], "properties": {"run_spec": {
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
            }}}},
        "JobeFile": {"type": "object", "required": ["file_contents"],
            "properties": {"file_contents": {"type": "string", "format": "byte"}}},
        "Binary": {"type": "string", "format": "binary"},
    })
}

/// The session bodies still written here (see [`crate::api::sessions`]; the
/// others are derived, bounded by [`session_bounds`]).
fn sessions_schemas() -> Value {
    json!({
        "SessionRun": {"type": "object", "properties": {
            "command": {"type": "string"}, "language": {"type": "string"}, "code": {"type": "string"},
            "input": {"type": "string"}, "args": {"type": "array", "items": {"type": "string"}},
            "copy_out": {"type": "array", "maxItems": 64, "items": {"type": "string"}}}},
        "SessionRunResult": {"allOf": [r("NativeResult"), {"type": "object", "properties": {
            "session": r("Session"),
            "workspace": {"type": "object", "properties": {"saved": {"type": "boolean"}, "note": {"type": "string", "nullable": true}}},
            "copy_out": {"type": "array", "items": {"type": "object"}},
            "files": {"type": "object", "description": "What the run created, modified and deleted in the workspace",
                "properties": {"created": {"type": "array", "items": {"type": "string"}},
                "modified": {"type": "array", "items": {"type": "string"}},
                "deleted": {"type": "array", "items": {"type": "string"}}}}}}]},
    })
}

/// The native, Judge0 and package schemas.
fn core_schemas(svc: &Service) -> Value {
    let cfg: &ServerConfig = &svc.cfg;
    let l = &cfg.limits;
    let ids: Vec<u32> = svc.langs.all().iter().map(|l| l.id).collect();
    let only_false = json!({"type": "boolean", "enum": [false], "nullable": true,
        "description": "Accepted for compatibility; this server refuses true"});
    // Network is there only for a caller whose key the operator allows it.
    let networked = !svc.keys.network_allowance(&cfg.network).is_empty();
    let enable_network = if networked { json!({"type": "boolean", "nullable": true}) } else { only_false.clone() };
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
    json!({
        "Judge0Request": judge0,
        "Judge0Submission": {"type": "object", "properties": sub_props},
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
    })
}
