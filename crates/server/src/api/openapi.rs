//! `GET /openapi.json`: the OpenAPI 3.1 description of every HTTP endpoint.
//!
//! The operations are derived: each handler carries `#[utoipa::path]` and is
//! routed only through [`utoipa_axum`]'s `routes!` (see [`crate::api::router`]),
//! so a route cannot exist without its description. The bodies are
//! component schemas derived from types too: the types the handlers answer
//! (serialized as they are), and for the requests that are read field by
//! field (to name every refused field, or in the words of the API copied)
//! a description type whose properties a unit test holds to the parser's
//! list of fields (`FIELDS` and the like), a list the parser cannot read
//! outside of ([`crate::api::fields::Reader::listed`],
//! [`crate::api::fields::listed`]). [`spec`] then applies the running
//! configuration: every range the document states (maximum limits, the
//! batch size, the languages offered, what is turned off) is the one the
//! server enforces. The schema-driven fuzz (schemathesis,
//! `scripts/api-compat.sh`) reads the result.

use crate::service::Service;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Content, RefOr, Response, ResponseBuilder};

/// Bytes (an archive, a file): a body that is not JSON.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        let format = SchemaFormat::KnownFormat(KnownFormat::Binary);
        ObjectBuilder::new().schema_type(Type::String).format(Some(format)).into()
    }
}

impl utoipa::ToSchema for Binary {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Binary")
    }
}

/// The schemas every API shares but no handler names: the refusals'
/// (referenced by [`Refusals`], [`PistonRefusals`] and [`JobeRefusals`]).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    crate::api::error::ErrorBody,
    crate::api::error::FieldErrorsBody,
    crate::api::piston::PistonMessage
)))]
pub struct Shared;

/// The refusals every endpoint of the native, Judge0, package and session
/// APIs may answer (the statuses of [`crate::api::ApiError`]).
pub struct Refusals;

impl utoipa::IntoResponses for Refusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "Bad request", Some("Error")),
            ("401", "Missing or wrong X-Auth-Token", Some("Error")),
            ("404", "Not found", Some("Error")),
            ("413", "Body too large", Some("Error")),
            ("422", "Invalid fields", Some("FieldErrors")),
            ("429", "Over an API key's limit", Some("Error")),
            ("503", "Queue full or shutting down", Some("Error")),
        ])
    }
}

/// [`Refusals`] of `POST /submissions/batch`: there a 422 is either a
/// refusal of the body (`FieldErrors`) or, when every submission is refused,
/// the per-submission errors in order.
pub struct BatchRefusals;

impl utoipa::IntoResponses for BatchRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder};
        let mut all = Refusals::responses();
        let either = OneOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name("FieldErrors"))
            .item(ArrayBuilder::new().items(utoipa::openapi::Ref::from_schema_name("Judge0BatchEntry")));
        let desc = "Invalid fields, or every submission refused (each one's errors, in order)";
        let r = ResponseBuilder::new().description(desc).content("application/json", Content::new(Some(either)));
        all.insert("422".into(), r.build().into());
        all
    }
}

/// The refusals of Piston's endpoints: its own `{message}`, but the
/// authentication's and the API keys' in the server's shape.
pub struct PistonRefusals;

impl utoipa::IntoResponses for PistonRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "Bad request", Some("PistonMessage")),
            ("401", "Missing or wrong X-Auth-Token", Some("Error")),
            ("413", "Body too large", Some("PistonMessage")),
            ("429", "Over an API key's limit", Some("Error")),
            ("503", "Queue full or shutting down", Some("PistonMessage")),
        ])
    }
}

/// The refusals of Jobe's endpoints: Jobe's (a JSON string), but the
/// authentication's and the API keys' in the server's shape.
pub struct JobeRefusals;

impl utoipa::IntoResponses for JobeRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "Bad request", None),
            ("403", "Wrong X-API-KEY", Some("Error")),
            ("413", "Body too large", None),
            ("429", "Over an API key's limit", Some("Error")),
            ("503", "Busy or shutting down", None),
        ])
    }
}

/// JSON responses by status: a description and a component schema (`None`: a string).
fn responses(list: &[(&str, &str, Option<&str>)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter().map(|(code, desc, schema)| ((*code).to_owned(), response(desc, *schema))).collect()
}

/// A JSON response of a component schema (`None`: a JSON string).
fn response(desc: &str, schema: Option<&str>) -> RefOr<Response> {
    let schema: RefOr<utoipa::openapi::schema::Schema> = match schema {
        Some(name) => utoipa::openapi::Ref::from_schema_name(name).into(),
        None => ObjectBuilder::new().schema_type(Type::String).into(),
    };
    ResponseBuilder::new().description(desc).content("application/json", Content::new(Some(schema))).build().into()
}

/// The whole document: the derived one within `svc`'s configuration;
/// without sessions, their paths are left out (they answer 404).
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
    native_bounds(svc, &mut schemas["NativeRequest"]);
    schemas["NativeTest"]["additionalProperties"] = json!(false);
    debug_bounds(svc, &mut schemas["DebugRequest"]);
    session_bounds(svc, schemas);
    judge0_bounds(svc, schemas);
    piston_bounds(svc, &mut schemas["PistonRequest"]);
    let jobe = &mut schemas["JobeRunSpec"]["properties"];
    jobe["language_id"]["enum"] = json!(crate::api::jobe::language_ids(svc));
    // What the pair type cannot state: both halves are there.
    jobe["file_list"]["items"]["minItems"] = json!(2);
    doc
}

/// The session requests within this server's maxima (a run's as the native
/// API's); unknown fields are refused.
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
    let run = &mut schemas["SessionRun"];
    run["additionalProperties"] = json!(false);
    // The parser's rule that the properties cannot state: command, or language and code.
    run["oneOf"] = json!([
        {"required": ["command"], "not": {"anyOf": [{"required": ["language"]}, {"required": ["code"]}]}},
        {"required": ["language", "code"], "not": {"required": ["command"]}},
    ]);
    run_bounds(svc, &mut run["properties"]);
}

/// Judge0's submission within this server's bounds: the language ids, the
/// maximum limits, the batch size; what it turns off is left out, or
/// described as refused.
fn judge0_bounds(svc: &Service, schemas: &mut Value) {
    let cfg = &svc.cfg;
    let l = &cfg.limits;
    schemas["Judge0Batch"]["properties"]["submissions"]["maxItems"] = json!(cfg.max_submission_batch_size);
    let props = &mut schemas["Judge0Request"]["properties"];
    let ids: Vec<u32> = svc.langs.all().iter().map(|l| l.id).collect();
    props["language_id"]["enum"] = json!(ids);
    for (field, max) in [
        ("cpu_time_limit", json!(l.max_cpu_time_limit)),
        ("cpu_extra_time", json!(l.max_cpu_extra_time)),
        ("wall_time_limit", json!(l.max_wall_time_limit)),
        ("memory_limit", json!(l.max_memory_limit)),
        ("stack_limit", json!(l.max_stack_limit)),
        ("max_processes_and_or_threads", json!(l.max_max_processes_and_or_threads)),
        ("max_file_size", json!(l.max_max_file_size)),
        ("number_of_runs", json!(l.max_number_of_runs)),
    ] {
        props[field]["maximum"] = max;
    }
    let refused = |why: &str| json!({"type": ["boolean", "null"], "enum": [false, null], "description": why});
    let compat = "Accepted for compatibility; this server refuses true";
    props["enable_per_process_and_thread_time_limit"] = refused(compat);
    props["enable_per_process_and_thread_memory_limit"] = refused(compat);
    if svc.keys.network_allowance(&cfg.network).is_empty() {
        props["enable_network"] = refused("Network is not allowed for this key");
    }
    let blank = |why: &str| json!({"type": ["string", "null"], "pattern": "^\\s*$", "description": why});
    if !cfg.enable_compiler_options {
        props["compiler_options"] = blank("Setting compiler options is not allowed here");
    }
    if !cfg.enable_command_line_arguments {
        props["command_line_arguments"] = blank("Setting command line arguments is not allowed here");
    }
    // Only what this server accepts is described.
    if let Some(props) = props.as_object_mut() {
        for (field, on) in [("additional_files", cfg.enable_additional_files), ("callback_url", cfg.enable_callbacks)] {
            if !on {
                props.remove(field);
            }
        }
    }
}

/// Piston's request within this server's bounds: its runtimes, the maximum limits.
fn piston_bounds(svc: &Service, request: &mut Value) {
    use crate::api::piston::{runtimes_of, MAX_COMPILE_CPU_MS, MAX_COMPILE_TIMEOUT_MS};
    let l = &svc.cfg.limits;
    let props = &mut request["properties"];
    let names: Vec<&str> = runtimes_of(svc).iter().map(|r| r.name).collect();
    props["language"]["enum"] = json!(names);
    let ms = |secs: f64| json!((secs * 1000.0) as i64);
    props["run_timeout"]["maximum"] = ms(l.max_wall_time_limit);
    props["run_cpu_time"]["maximum"] = ms(l.max_cpu_time_limit);
    props["compile_timeout"]["maximum"] = json!(MAX_COMPILE_TIMEOUT_MS);
    props["compile_cpu_time"]["maximum"] = json!(MAX_COMPILE_CPU_MS);
    props["run_memory_limit"]["maximum"] = json!(l.max_memory_limit * 1024);
}

/// `POST /create`'s body within this server's bounds: the languages, the
/// maximum limits, the test count, network as the key allows it, the
/// comparison modes; unknown fields are refused.
fn native_bounds(svc: &Service, request: &mut Value) {
    request["additionalProperties"] = json!(false);
    run_bounds(svc, &mut request["properties"]);
    request["properties"]["tests"]["maxItems"] = json!(svc.cfg.max_tests);
}

/// A native program's properties (`POST /create`, a session run) within this
/// server's bounds: the languages, the maximum limits, network as the key
/// allows it, the comparison modes.
fn run_bounds(svc: &Service, props: &mut Value) {
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
    let compare = json!({
        "description": "How outputs are held against expected: a mode, or {mode, relative, absolute} (tolerances for float); default trailing_whitespace (Judge0's rule)",
        "oneOf": [
            {"type": "null"},
            {"type": "string", "enum": modes},
            {"type": "object", "additionalProperties": false, "required": ["mode"], "properties": {
                "mode": {"type": "string", "enum": modes}}},
            {"type": "object", "additionalProperties": false, "required": ["mode"], "minProperties": 2, "properties": {
                "mode": {"type": "string", "enum": ["float"]},
                "relative": {"type": "number", "minimum": 0, "maximum": 1e9},
                "absolute": {"type": "number", "minimum": 0, "maximum": 1e9}}},
        ],
    });
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

/// The names of `T`'s properties, sorted (for the tests that hold a
/// description to its parser's list of fields).
#[cfg(test)]
pub fn properties<T: utoipa::PartialSchema>() -> Vec<String> {
    let schema = serde_json::to_value(T::schema()).unwrap();
    let mut names: Vec<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
    names.sort_unstable();
    names
}

/// `fields`, sorted.
#[cfg(test)]
pub fn sorted(fields: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    v.sort_unstable();
    v
}
