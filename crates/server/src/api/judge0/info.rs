//! Judge0's information endpoints: languages, statuses, `config_info` (all
//! 38 keys, with the values this server enforces), `about` (version
//! "1.13.1", which the Judge0 Python SDK uses to pick its language-id table),
//! `version`, `system_info`, `workers`, and the auth checks.

use crate::api::error::ErrorBody;
use crate::api::native::StatusView;
use crate::api::{authorize, json, ApiError, AppState, Params};
use crate::service::Service;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flash_engine::StatusId;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The Judge0 version this API is compatible with.
pub const JUDGE0_VERSION: &str = "1.13.1";

/// The information routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(languages))
        .routes(routes!(languages_all))
        .routes(routes!(language))
        .routes(routes!(statuses))
        .routes(routes!(config_info))
        .routes(routes!(about))
        .routes(routes!(isolate))
        .routes(routes!(license))
        .routes(routes!(version))
        .routes(routes!(system_info))
        .routes(routes!(workers))
        .routes(routes!(authenticate))
        .routes(routes!(authorize_check))
}

/// Judge0's version (text).
#[utoipa::path(get, path = "/version", tag = "judge0",
    responses((status = 200, description = "1.13.1", body = String, content_type = "text/plain"),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn version() -> &'static str {
    JUDGE0_VERSION
}

/// 200 when X-Auth-Token is accepted (the check is the authentication layer's).
#[utoipa::path(post, path = "/authenticate", tag = "judge0",
    responses((status = 200, description = "Authenticated"), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn authenticate() -> StatusCode {
    StatusCode::OK
}

/// Each toolchain once, as Judge0 lists only its current (unarchived) languages
/// (under the id `judge0_listed_ids` names); the other ids are in
/// `/languages/all`, archived, and still take submissions.
#[utoipa::path(get, path = "/languages", tag = "judge0",
    responses((status = 200, description = "Active languages", body = Vec<Language>),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn languages(State(svc): AppState) -> Response {
    let v: Vec<Language> = svc
        .langs
        .all()
        .iter()
        .filter(|l| l.listed)
        .map(|l| Language { id: l.id, name: &l.name, is_archived: None })
        .collect();
    json(StatusCode::OK, v)
}

/// A language in a list.
#[derive(Serialize, ToSchema)]
pub struct Language<'a> {
    /// Its id (`language_id` of a submission).
    id: u32,
    /// Its name and version.
    name: &'a str,
    /// In `/languages/all`: whether `/languages` leaves it out (it still takes submissions).
    #[serde(skip_serializing_if = "Option::is_none")]
    is_archived: Option<bool>,
}

/// Every language, archived ones included.
#[utoipa::path(get, path = "/languages/all", tag = "judge0",
    responses((status = 200, description = "All languages", body = Vec<Language>),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn languages_all(State(svc): AppState) -> Response {
    let v: Vec<Language> =
        svc.langs.all().iter().map(|l| Language { id: l.id, name: &l.name, is_archived: Some(!l.listed) }).collect();
    json(StatusCode::OK, v)
}

/// One language.
#[utoipa::path(get, path = "/languages/{id}", tag = "judge0",
    params(("id" = u32, Path, description = "A language id (GET /languages)")),
    responses((status = 200, description = "The language", body = Language),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such language", body = ErrorBody)))]
async fn language(State(svc): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let l = id
        .parse::<u32>()
        .ok()
        .and_then(|id| svc.langs.by_id(id))
        .ok_or_else(|| ApiError::NotFound(format!("language with id {id:.40} doesn't exist")))?;
    let (compile_cmd, run_cmd) =
        if l.is_project { (None, None) } else { (l.compile_cmd.clone(), Some(l.run_cmd.clone())) };
    Ok(json(
        StatusCode::OK,
        json!({
            "id": l.id,
            "name": l.name,
            "is_archived": !l.listed,
            "source_file": (!l.is_project).then(|| l.source_file.clone()),
            "compile_cmd": compile_cmd,
            "run_cmd": run_cmd,
        }),
    ))
}

#[utoipa::path(get, path = "/statuses", tag = "judge0",
    responses((status = 200, description = "Statuses 1..14", body = Vec<StatusView>),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn statuses() -> Response {
    let v: Vec<Value> =
        StatusId::ALL[..14].iter().map(|s| json!({"id": s.id(), "description": s.description()})).collect();
    json(StatusCode::OK, v)
}

#[utoipa::path(get, path = "/config_info", tag = "judge0",
    responses((status = 200, description = "Judge0 configuration keys", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn config_info(State(svc): AppState) -> Response {
    json(StatusCode::OK, config_json(&svc))
}

/// Judge0's `config_info`: every key, with what this server enforces.
pub fn config_json(svc: &Service) -> Value {
    let c = &svc.cfg;
    let l = &c.limits;
    json!({
        "maintenance_mode": false,
        "enable_wait_result": c.enable_wait_result,
        "enable_compiler_options": c.enable_compiler_options,
        "allowed_languages_for_compile_options": [],
        "enable_command_line_arguments": c.enable_command_line_arguments,
        "enable_submission_delete": c.enable_submission_delete,
        "enable_callbacks": c.enable_callbacks,
        "callbacks_max_tries": c.callbacks_max_tries,
        "callbacks_timeout": c.callbacks_timeout,
        "enable_additional_files": c.enable_additional_files,
        "max_queue_size": c.max_queue_size,
        "cpu_time_limit": l.cpu_time_limit,
        "max_cpu_time_limit": l.max_cpu_time_limit,
        "cpu_extra_time": l.cpu_extra_time,
        "max_cpu_extra_time": l.max_cpu_extra_time,
        "wall_time_limit": l.wall_time_limit,
        "max_wall_time_limit": l.max_wall_time_limit,
        "memory_limit": l.memory_limit,
        "max_memory_limit": l.max_memory_limit,
        "stack_limit": l.stack_limit,
        "max_stack_limit": l.max_stack_limit,
        "max_processes_and_or_threads": l.max_processes_and_or_threads,
        "max_max_processes_and_or_threads": l.max_max_processes_and_or_threads,
        "enable_per_process_and_thread_time_limit": false,
        "allow_enable_per_process_and_thread_time_limit": false,
        "enable_per_process_and_thread_memory_limit": false,
        "allow_enable_per_process_and_thread_memory_limit": false,
        "max_file_size": l.max_file_size,
        "max_max_file_size": l.max_max_file_size,
        "number_of_runs": l.number_of_runs,
        "max_number_of_runs": l.max_number_of_runs,
        "redirect_stderr_to_stdout": false,
        "max_extract_size": c.max_extract_size,
        "enable_batched_submissions": true,
        "max_submission_batch_size": c.max_submission_batch_size,
        "submission_cache_duration": 0.0,
        "use_docs_as_homepage": false,
        "allow_enable_network": !svc.keys.network_allowance(&svc.cfg.network).is_empty(),
        "enable_network": false,
    })
}

#[utoipa::path(get, path = "/about", tag = "judge0",
    responses((status = 200, description = "Version 1.13.1 and project links", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn about(State(svc): AppState) -> Response {
    json(
        StatusCode::OK,
        json!({
            "version": JUDGE0_VERSION,
            "homepage": svc.cfg.about_homepage,
            "source_code": svc.cfg.about_source_code,
            "maintainer": "Flash (a Judge0-compatible server)",
        }),
    )
}

/// Judge0 answers the output of `isolate --version` as text; Flash's
/// sandbox is its own, so this says which one, in the same form.
#[utoipa::path(get, path = "/isolate", tag = "judge0",
    responses((status = 200, description = "Which sandbox this is", body = String, content_type = "text/plain"),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn isolate() -> Response {
    let text = format!(
        "Flash sandbox {} (namespaces, cgroups, seccomp; `flash run` takes isolate-like flags)\n\
         Compatible with the Judge0 {JUDGE0_VERSION} API; not isolate itself.\n",
        env!("CARGO_PKG_VERSION")
    );
    ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// Judge0 answers its licence text; this is Flash's.
#[utoipa::path(get, path = "/license", tag = "judge0",
    responses((status = 200, description = "The licence", body = String, content_type = "text/plain"),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn license() -> Response {
    let text = format!(
        "Flash {} is licensed under {}, at your option.\n\
         Licensed under the Apache License, Version 2.0 <http://www.apache.org/licenses/LICENSE-2.0>\n\
         or the MIT license <http://opensource.org/licenses/MIT>.\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_LICENSE")
    );
    ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

#[utoipa::path(get, path = "/system_info", tag = "judge0",
    responses((status = 200, description = "CPU and memory", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn system_info() -> Response {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned());
    let kb = |key: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|k| format!("{:.1}Gi", k as f64 / 1024.0 / 1024.0))
    };
    json(
        StatusCode::OK,
        json!({
            "Architecture": std::env::consts::ARCH,
            "CPU(s)": std::thread::available_parallelism().map_or(1, |n| n.get()).to_string(),
            "Model name": model,
            "Mem": kb("MemTotal:"),
            "Swap": kb("SwapTotal:"),
        }),
    )
}

/// Judge0's shape (one entry per queue: size, available, idle, working,
/// paused, failed), over the live workers (from heartbeats with a shared
/// store); `workers` adds one entry per worker process.
#[utoipa::path(get, path = "/workers", tag = "judge0",
    responses((status = 200, description = "Queue and workers", body = Vec<Object>),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn workers(State(svc): AppState) -> Result<Response, ApiError> {
    let live = svc.live_workers().await?;
    let size = svc.waiting().await?;
    let slots: u64 = live.iter().map(|w| w.slots).sum();
    let running: u64 = live.iter().map(|w| w.running.min(w.slots)).sum();
    let failed: u64 = live.iter().map(|w| w.failed).sum();
    let each: Vec<Value> = live
        .iter()
        .map(|w| {
            json!({
                "id": w.id, "host": w.host, "pid": w.pid, "available": w.slots,
                "working": w.running.min(w.slots), "idle": w.slots.saturating_sub(w.running),
                "finished": w.finished, "failed": w.failed,
                "started_at": w.started_at_ms as f64 / 1000.0, "seen_at": w.seen_at_ms as f64 / 1000.0,
            })
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        json!([{
            "queue": JUDGE0_VERSION,
            "size": size,
            "available": slots,
            "idle": slots.saturating_sub(running),
            "working": running,
            "paused": 0,
            "failed": failed,
            "workers": each,
        }]),
    ))
}

/// 200 when X-Auth-User is accepted.
#[utoipa::path(post, path = "/authorize", tag = "judge0",
    params(("X-Auth-User" = Option<String>, Header, description = "The authorization token")),
    responses((status = 200, description = "Authorized"), (status = 403, description = "Not authorized", body = ErrorBody)))]
async fn authorize_check(State(svc): AppState, headers: HeaderMap, q: Params) -> Response {
    match authorize(&svc, &headers, &q) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
