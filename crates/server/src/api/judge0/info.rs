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
    responses((status = 200, description = "The language", body = LanguageDetail),
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
        LanguageDetail {
            id: l.id,
            name: &l.name,
            is_archived: !l.listed,
            source_file: (!l.is_project).then_some(l.source_file.as_str()),
            compile_cmd,
            run_cmd,
        },
    ))
}

/// `GET /languages/{id}`: a language and how it is built and run.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0LanguageDetail)]
pub struct LanguageDetail<'a> {
    /// Its id (`language_id` of a submission).
    id: u32,
    /// Its name and version.
    name: &'a str,
    /// Whether `/languages` leaves it out (it still takes submissions).
    is_archived: bool,
    /// The file the source is written to (none for multi-file programs).
    source_file: Option<&'a str>,
    /// How it is compiled (compiled languages).
    compile_cmd: Option<String>,
    /// How it is run (none for multi-file programs: their `run` script).
    run_cmd: Option<String>,
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
    responses((status = 200, description = "Judge0 configuration keys", body = ConfigInfo),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn config_info(State(svc): AppState) -> Response {
    json(StatusCode::OK, config_json(&svc))
}

/// Judge0's `config_info`: every key, with what this server enforces.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0ConfigInfo)]
pub struct ConfigInfo {
    /// Always false.
    maintenance_mode: bool,
    /// `wait=true` is allowed.
    enable_wait_result: bool,
    /// `compiler_options` is allowed.
    enable_compiler_options: bool,
    /// Empty: every compiled language takes compiler options.
    allowed_languages_for_compile_options: Vec<String>,
    /// `command_line_arguments` is allowed.
    enable_command_line_arguments: bool,
    /// `DELETE /submissions/{token}` is allowed.
    enable_submission_delete: bool,
    /// `callback_url` is allowed.
    enable_callbacks: bool,
    /// Attempts to deliver a callback.
    callbacks_max_tries: u32,
    /// Seconds a callback attempt may take.
    callbacks_timeout: f64,
    /// `additional_files` is allowed.
    enable_additional_files: bool,
    /// Jobs the queue holds.
    max_queue_size: usize,
    /// Default CPU seconds.
    cpu_time_limit: f64,
    /// Most CPU seconds.
    max_cpu_time_limit: f64,
    /// Default extra CPU seconds.
    cpu_extra_time: f64,
    /// Most extra CPU seconds.
    max_cpu_extra_time: f64,
    /// Default wall seconds.
    wall_time_limit: f64,
    /// Most wall seconds.
    max_wall_time_limit: f64,
    /// Default KiB.
    memory_limit: u64,
    /// Most KiB.
    max_memory_limit: u64,
    /// Default stack KiB.
    stack_limit: u64,
    /// Most stack KiB.
    max_stack_limit: u64,
    /// Default processes and threads.
    max_processes_and_or_threads: u64,
    /// Most processes and threads.
    max_max_processes_and_or_threads: u64,
    /// Always false.
    enable_per_process_and_thread_time_limit: bool,
    /// Always false.
    allow_enable_per_process_and_thread_time_limit: bool,
    /// Always false.
    enable_per_process_and_thread_memory_limit: bool,
    /// Always false.
    allow_enable_per_process_and_thread_memory_limit: bool,
    /// Default KiB a file may reach.
    max_file_size: u64,
    /// Most KiB a file may reach.
    max_max_file_size: u64,
    /// Default runs.
    number_of_runs: u32,
    /// Most runs.
    max_number_of_runs: u32,
    /// Default: false.
    redirect_stderr_to_stdout: bool,
    /// KiB `additional_files` may unpack to.
    max_extract_size: u64,
    /// Always true.
    enable_batched_submissions: bool,
    /// Most submissions in a batch.
    max_submission_batch_size: usize,
    /// Always 0.
    submission_cache_duration: f64,
    /// Always false.
    use_docs_as_homepage: bool,
    /// Whether the API key may enable the network.
    allow_enable_network: bool,
    /// Default: false.
    enable_network: bool,
}

/// Judge0's `config_info`: every key, with what this server enforces.
pub fn config_json(svc: &Service) -> ConfigInfo {
    let c = &svc.cfg;
    let l = &c.limits;
    ConfigInfo {
        maintenance_mode: false,
        enable_wait_result: c.enable_wait_result,
        enable_compiler_options: c.enable_compiler_options,
        allowed_languages_for_compile_options: Vec::new(),
        enable_command_line_arguments: c.enable_command_line_arguments,
        enable_submission_delete: c.enable_submission_delete,
        enable_callbacks: c.enable_callbacks,
        callbacks_max_tries: c.callbacks_max_tries,
        callbacks_timeout: c.callbacks_timeout,
        enable_additional_files: c.enable_additional_files,
        max_queue_size: c.max_queue_size,
        cpu_time_limit: l.cpu_time_limit,
        max_cpu_time_limit: l.max_cpu_time_limit,
        cpu_extra_time: l.cpu_extra_time,
        max_cpu_extra_time: l.max_cpu_extra_time,
        wall_time_limit: l.wall_time_limit,
        max_wall_time_limit: l.max_wall_time_limit,
        memory_limit: l.memory_limit,
        max_memory_limit: l.max_memory_limit,
        stack_limit: l.stack_limit,
        max_stack_limit: l.max_stack_limit,
        max_processes_and_or_threads: l.max_processes_and_or_threads,
        max_max_processes_and_or_threads: l.max_max_processes_and_or_threads,
        enable_per_process_and_thread_time_limit: false,
        allow_enable_per_process_and_thread_time_limit: false,
        enable_per_process_and_thread_memory_limit: false,
        allow_enable_per_process_and_thread_memory_limit: false,
        max_file_size: l.max_file_size,
        max_max_file_size: l.max_max_file_size,
        number_of_runs: l.number_of_runs,
        max_number_of_runs: l.max_number_of_runs,
        redirect_stderr_to_stdout: false,
        max_extract_size: c.max_extract_size,
        enable_batched_submissions: true,
        max_submission_batch_size: c.max_submission_batch_size,
        submission_cache_duration: 0.0,
        use_docs_as_homepage: false,
        allow_enable_network: !svc.keys.network_allowance(&svc.cfg.network).is_empty(),
        enable_network: false,
    }
}

#[utoipa::path(get, path = "/about", tag = "judge0",
    responses((status = 200, description = "Version 1.13.1 and project links", body = About),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn about(State(svc): AppState) -> Response {
    json(
        StatusCode::OK,
        About {
            version: JUDGE0_VERSION,
            homepage: &svc.cfg.about_homepage,
            source_code: &svc.cfg.about_source_code,
            maintainer: "Flash (a Judge0-compatible server)",
        },
    )
}

/// `GET /about`.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0About)]
pub struct About<'a> {
    /// The Judge0 version this API is compatible with.
    version: &'a str,
    /// The project's home page.
    homepage: &'a str,
    /// Where its source is.
    source_code: &'a str,
    /// Who maintains it.
    maintainer: &'a str,
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
    responses((status = 200, description = "CPU and memory", body = SystemInfo),
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
        SystemInfo {
            architecture: std::env::consts::ARCH,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()).to_string(),
            model_name: model,
            mem: kb("MemTotal:"),
            swap: kb("SwapTotal:"),
        },
    )
}

/// `GET /system_info`: what `lscpu` and `free -h` say, in Judge0's keys.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0SystemInfo)]
pub struct SystemInfo {
    /// The CPU architecture.
    #[serde(rename = "Architecture")]
    architecture: &'static str,
    /// CPUs this process may use.
    #[serde(rename = "CPU(s)")]
    cpus: String,
    /// The CPU's model.
    #[serde(rename = "Model name")]
    model_name: Option<String>,
    /// Memory ("15.5Gi").
    #[serde(rename = "Mem")]
    mem: Option<String>,
    /// Swap ("2.0Gi").
    #[serde(rename = "Swap")]
    swap: Option<String>,
}

/// Judge0's shape (one entry per queue: size, available, idle, working,
/// paused, failed), over the live workers (from heartbeats with a shared
/// store); `workers` adds one entry per worker process.
#[utoipa::path(get, path = "/workers", tag = "judge0",
    responses((status = 200, description = "Queue and workers", body = Vec<Queue>),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn workers(State(svc): AppState) -> Result<Response, ApiError> {
    let live = svc.live_workers().await?;
    let size = svc.waiting().await?;
    let slots: u64 = live.iter().map(|w| w.slots).sum();
    let running: u64 = live.iter().map(|w| w.running.min(w.slots)).sum();
    let failed: u64 = live.iter().map(|w| w.failed).sum();
    let each: Vec<Worker> = live
        .iter()
        .map(|w| Worker {
            id: w.id.clone(),
            host: w.host.clone(),
            pid: w.pid,
            available: w.slots,
            working: w.running.min(w.slots),
            idle: w.slots.saturating_sub(w.running),
            finished: w.finished,
            failed: w.failed,
            started_at: w.started_at_ms as f64 / 1000.0,
            seen_at: w.seen_at_ms as f64 / 1000.0,
        })
        .collect();
    let queue = Queue {
        queue: JUDGE0_VERSION,
        size,
        available: slots,
        idle: slots.saturating_sub(running),
        working: running,
        paused: 0,
        failed,
        workers: each,
    };
    Ok(json(StatusCode::OK, [queue]))
}

/// A queue, as Judge0's `GET /workers` lists it, with its workers.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0Queue)]
pub struct Queue {
    /// The queue's name (Judge0's version, as Judge0 names it).
    queue: &'static str,
    /// Jobs waiting.
    size: u64,
    /// Jobs the live workers judge at once.
    available: u64,
    /// Of those, free.
    idle: u64,
    /// Of those, busy.
    working: u64,
    /// Always 0.
    paused: u64,
    /// Jobs that ended in Internal Error since the workers started.
    failed: u64,
    /// One per live worker process.
    workers: Vec<Worker>,
}

/// A live worker process.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0Worker)]
pub struct Worker {
    /// Unique per process: host, pid and a random suffix.
    id: String,
    /// Host name.
    host: String,
    /// Process id on that host.
    pid: u32,
    /// Jobs it judges at once.
    available: u64,
    /// Jobs it is judging now.
    working: u64,
    /// Its free slots.
    idle: u64,
    /// Jobs it finished since it started.
    finished: u64,
    /// Of those, how many ended in Internal Error.
    failed: u64,
    /// Unix seconds.
    started_at: f64,
    /// Unix seconds of its last heartbeat.
    seen_at: f64,
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
