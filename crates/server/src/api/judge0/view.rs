//! A job as Judge0 CE 1.13.1 shows a submission: its 35 attributes, the
//! `fields` selection (`*` for all, unknown names refused), base64 rules,
//! decimals as strings ("0.002"), ISO-8601 timestamps with milliseconds and
//! `Z`, and statuses 1..=14 only (15 shows as 12 and 16 as 8, the reason in `message`).

use crate::api::ApiError;
use crate::job::{JobRecord, JobResult, JobState};
use crate::service::Service;
use base64::Engine as _;
use flash_engine::StatusId;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// Every attribute, in Judge0's column order, plus `status` and `language`.
pub const ALL_FIELDS: [&str; 35] = [
    "source_code",
    "language_id",
    "stdin",
    "expected_output",
    "stdout",
    "status_id",
    "created_at",
    "finished_at",
    "time",
    "memory",
    "stderr",
    "token",
    "number_of_runs",
    "cpu_time_limit",
    "cpu_extra_time",
    "wall_time_limit",
    "memory_limit",
    "stack_limit",
    "max_processes_and_or_threads",
    "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit",
    "max_file_size",
    "compile_output",
    "exit_code",
    "exit_signal",
    "message",
    "wall_time",
    "compiler_options",
    "command_line_arguments",
    "redirect_stderr_to_stdout",
    "callback_url",
    "additional_files",
    "enable_network",
    "status",
    "language",
];

/// A submission as Judge0 shows it: the attributes asked for in `fields`
/// (the default ones without it).
// Each property is one of [`ALL_FIELDS`]. [`render`] builds the object attribute by attribute, so this type is never
// built; a unit test holds its properties to [`ALL_FIELDS`].
#[derive(ToSchema)]
#[schema(as = Judge0Submission)]
#[allow(dead_code)] // Described, never built (see above).
pub struct SubmissionView {
    /// The program (base64 with `base64_encoded=true`, as every text attribute).
    source_code: Option<String>,
    /// Its language id.
    #[schema(required = false)]
    language_id: u32,
    /// stdin.
    stdin: Option<String>,
    /// The expected output.
    expected_output: Option<String>,
    /// What the program wrote; null when empty.
    stdout: Option<String>,
    /// Judge0's status id (1..=14).
    #[schema(required = false)]
    status_id: u8,
    /// ISO 8601, with milliseconds.
    #[schema(required = false)]
    created_at: String,
    /// ISO 8601, with milliseconds.
    finished_at: Option<String>,
    /// CPU seconds, a decimal string ("0.002").
    time: Option<String>,
    /// Peak memory, KiB.
    memory: Option<u64>,
    /// What the program wrote to stderr; null when empty.
    stderr: Option<String>,
    /// Its token.
    #[schema(required = false)]
    token: String,
    /// Runs.
    #[schema(required = false)]
    number_of_runs: u32,
    /// CPU seconds, a decimal string.
    #[schema(required = false)]
    cpu_time_limit: String,
    /// CPU seconds, a decimal string.
    #[schema(required = false)]
    cpu_extra_time: String,
    /// Wall seconds, a decimal string.
    #[schema(required = false)]
    wall_time_limit: String,
    /// KiB.
    #[schema(required = false)]
    memory_limit: u64,
    /// KiB.
    #[schema(required = false)]
    stack_limit: u64,
    /// Processes and threads.
    #[schema(required = false)]
    max_processes_and_or_threads: u64,
    /// Always false here.
    #[schema(required = false)]
    enable_per_process_and_thread_time_limit: bool,
    /// Always false here.
    #[schema(required = false)]
    enable_per_process_and_thread_memory_limit: bool,
    /// KiB.
    #[schema(required = false)]
    max_file_size: u64,
    /// The compiler's output; null when empty.
    compile_output: Option<String>,
    /// Exit code.
    exit_code: Option<i32>,
    /// Signal that ended the program.
    exit_signal: Option<i32>,
    /// Details of the status.
    message: Option<String>,
    /// Wall seconds, a decimal string.
    wall_time: Option<String>,
    /// As sent.
    compiler_options: Option<String>,
    /// As sent.
    command_line_arguments: Option<String>,
    /// As sent.
    #[schema(required = false)]
    redirect_stderr_to_stdout: bool,
    /// As sent.
    callback_url: Option<String>,
    /// The zip sent, always base64.
    additional_files: Option<String>,
    /// Whether it had the network.
    #[schema(required = false)]
    enable_network: bool,
    /// Its status.
    #[schema(required = false)]
    status: crate::api::native::StatusView,
    /// Its language.
    #[schema(required = false)]
    language: crate::api::native::NativeLanguage,
}

/// What a GET answers without `fields`.
pub const DEFAULT_FIELDS: [&str; 8] =
    ["token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status"];

/// Parses `fields`: `*` is everything, empty is the default, unknown names are a 400.
pub fn parse_fields(q: Option<&str>) -> Result<Vec<&'static str>, ApiError> {
    let asked: Vec<&str> = q.unwrap_or("").split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    let bad: Vec<&str> = asked.iter().copied().filter(|f| *f != "*" && !ALL_FIELDS.contains(f)).collect();
    if !bad.is_empty() {
        return Err(ApiError::BadRequest(format!("invalid fields: [{}]", bad.join(", "))));
    }
    if asked.contains(&"*") {
        return Ok(ALL_FIELDS.to_vec());
    }
    let mut out: Vec<&'static str> = Vec::new();
    for f in asked {
        let known = ALL_FIELDS.iter().find(|k| **k == f).copied();
        if let Some(k) = known.filter(|k| !out.contains(k)) {
            out.push(k);
        }
    }
    Ok(if out.is_empty() { DEFAULT_FIELDS.to_vec() } else { out })
}

/// The fields a job without a result shows without its stored record: its
/// token and status, and the result's fields (all null until it has one).
const WITHOUT_RECORD: [&str; 13] = [
    "token",
    "status",
    "status_id",
    "stdout",
    "stderr",
    "compile_output",
    "time",
    "wall_time",
    "memory",
    "exit_code",
    "exit_signal",
    "message",
    "finished_at",
];

/// Whether rendering `fields` of an unfinished job needs its stored record.
pub fn needs_record(fields: &[&str]) -> bool {
    fields.iter().any(|f| !WITHOUT_RECORD.contains(f))
}

/// The object for an unfinished job known only by its state: what [`render`]
/// gives for its record when `!needs_record(fields)`.
pub fn render_unfinished(token: &str, state: JobState, fields: &[&str]) -> Value {
    let status = if state == JobState::Processing { StatusId::Processing } else { StatusId::InQueue };
    let mut m = Map::new();
    for f in fields {
        let v = match *f {
            "token" => json!(token),
            "status" => json!({"id": status.id(), "description": status.description()}),
            "status_id" => json!(status.id()),
            _ => Value::Null,
        };
        m.insert((*f).to_owned(), v);
    }
    Value::Object(m)
}

/// A field that is not valid UTF-8 and was asked for without base64.
#[derive(Debug)]
pub struct NotUtf8;

/// The JSON object for `rec` with only `fields`.
pub fn render(svc: &Service, rec: &JobRecord, fields: &[&str], b64: bool) -> Result<Value, NotUtf8> {
    let mut m = Map::new();
    for f in fields {
        let v = match *f {
            "language" => {
                let id = rec.request.language_id;
                json!({"id": id, "name": svc.langs.by_id(id).map(|l| l.name.clone())})
            }
            _ => field(rec, f, b64)?,
        };
        m.insert((*f).to_owned(), v);
    }
    Ok(Value::Object(m))
}

/// What a callback receives: default fields, base64-encoded.
pub fn callback_body(svc: &Service, rec: &JobRecord) -> Vec<u8> {
    let v = render(svc, rec, &DEFAULT_FIELDS, true).unwrap_or(Value::Null);
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The message "some attributes ... cannot be converted to UTF-8".
pub const NOT_UTF8: &str =
    "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter";

fn text(b: Option<&[u8]>, b64: bool) -> Result<Value, NotUtf8> {
    match b {
        None => Ok(Value::Null),
        Some(b) if b64 => Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(b))),
        Some(b) => std::str::from_utf8(b).map(|s| Value::String(s.to_owned())).map_err(|_| NotUtf8),
    }
}

/// Output fields are null when empty, as Judge0 stores them.
fn output(b: &[u8]) -> Option<&[u8]> {
    (!b.is_empty()).then_some(b)
}

/// One attribute (all but `language`, which needs the language table).
fn field(rec: &JobRecord, f: &str, b64: bool) -> Result<Value, NotUtf8> {
    let q = &rec.request;
    let r: Option<&JobResult> = rec.result.as_ref();
    let status = rec.status().judge0_compatible();
    Ok(match f {
        "source_code" => text(q.source_code.as_deref(), b64)?,
        "language_id" => json!(q.language_id),
        "stdin" => text(q.stdin.as_deref(), b64)?,
        "expected_output" => text(q.expected_output.as_deref(), b64)?,
        "stdout" => text(r.and_then(|r| output(&r.run.stdout)), b64)?,
        "stderr" => text(r.and_then(|r| output(&r.run.stderr)), b64)?,
        "compile_output" => text(r.and_then(|r| output(&r.compile_output)), b64)?,
        "status_id" => json!(status.id()),
        "created_at" => json!(iso8601(rec.created_at_ms)),
        "finished_at" => json!(rec.finished_at_ms.map(iso8601)),
        "time" => json!(r.and_then(|r| r.run.time).map(decimal)),
        "wall_time" => json!(r.and_then(|r| r.run.wall_time).map(decimal)),
        "memory" => json!(r.and_then(|r| r.run.memory)),
        "token" => json!(rec.token),
        "number_of_runs" => json!(q.number_of_runs),
        "cpu_time_limit" => json!(decimal(q.cpu_time_limit)),
        "cpu_extra_time" => json!(decimal(q.cpu_extra_time)),
        "wall_time_limit" => json!(decimal(q.wall_time_limit)),
        "memory_limit" => json!(q.memory_limit),
        "stack_limit" => json!(q.stack_limit),
        "max_processes_and_or_threads" => json!(q.max_processes_and_or_threads),
        "enable_per_process_and_thread_time_limit" => {
            json!(q.enable_per_process_and_thread_time_limit)
        }
        "enable_per_process_and_thread_memory_limit" => {
            json!(q.enable_per_process_and_thread_memory_limit)
        }
        "max_file_size" => json!(q.max_file_size),
        "exit_code" => json!(r.and_then(exit_code)),
        "exit_signal" => json!(r.and_then(|r| r.run.exit_signal)),
        "message" => text(message(rec).as_deref().map(str::as_bytes), b64)?,
        "compiler_options" => json!(q.compiler_options),
        "command_line_arguments" => json!(q.command_line_arguments),
        "redirect_stderr_to_stdout" => json!(q.redirect_stderr_to_stdout),
        "callback_url" => json!(q.callback_url),
        "additional_files" => text(q.additional_files.as_deref(), true)?,
        "enable_network" => json!(q.enable_network),
        "status" => json!({"id": status.id(), "description": status.description()}),
        _ => Value::Null,
    })
}

/// Judge0 reports exit code 0 for a program that ran and was not given one
/// (killed by a signal); nothing when it did not run.
fn exit_code(r: &JobResult) -> Option<i32> {
    match r.status_id() {
        StatusId::CompilationError | StatusId::InternalError => r.run.exit_code,
        _ => Some(r.run.exit_code.unwrap_or(0)),
    }
}

/// The message, with the real verdict when the status was folded into Judge0's table.
pub fn message(rec: &JobRecord) -> Option<String> {
    let r = rec.result.as_ref()?;
    let s = r.status_id();
    if s.judge0_compatible() == s {
        return r.run.message.clone();
    }
    let why = s.description();
    Some(match &r.run.message {
        Some(m) if m.to_ascii_lowercase().contains(&why.to_ascii_lowercase()) => m.clone(),
        Some(m) => format!("{why}: {m}"),
        None => why.to_owned(),
    })
}

/// Seconds as Rails shows a decimal: "0.002", "5.0".
pub fn decimal(v: f64) -> String {
    let s = format!("{:.3}", v.max(0.0));
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_owned()
    }
}

/// Unix milliseconds as `2024-05-01T12:00:00.123Z`.
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z", tod / 3600, tod % 3600 / 60, tod % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_decimals_look_like_judge0s() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_714_564_800_007), "2024-05-01T12:00:00.007Z");
        assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
        assert_eq!(decimal(0.0021), "0.002");
        assert_eq!(decimal(5.0), "5.0");
        assert_eq!(decimal(0.01), "0.01");
        assert_eq!(decimal(12.5), "12.5");
    }

    /// A job as stored before it has a result.
    fn unfinished(state: JobState) -> JobRecord {
        let request: crate::job::JobRequest = serde_json::from_value(json!({
            "origin": "judge0", "language_id": 71, "engine_language": 71, "source_code": "eA==",
            "cpu_time_limit": 5.0, "cpu_extra_time": 1.0, "wall_time_limit": 10.0, "memory_limit": 128000,
            "stack_limit": 64000, "max_processes_and_or_threads": 60,
            "enable_per_process_and_thread_time_limit": false,
            "enable_per_process_and_thread_memory_limit": false, "max_file_size": 1024, "output_limit": 1024,
            "number_of_runs": 1, "compiler_options": null, "command_line_arguments": null,
            "redirect_stderr_to_stdout": false, "enable_network": false, "additional_files": null,
            "callback_url": null,
        }))
        .unwrap();
        JobRecord {
            token: "t".into(),
            state,
            created_at_ms: 1,
            started_at_ms: (state == JobState::Processing).then_some(2),
            finished_at_ms: None,
            request,
            result: None,
        }
    }

    #[test]
    fn an_unfinished_job_renders_the_same_without_its_record() {
        for state in [JobState::Queued, JobState::Processing] {
            let rec = unfinished(state);
            let fields: Vec<&str> = WITHOUT_RECORD.to_vec();
            assert!(!needs_record(&fields) && !needs_record(&DEFAULT_FIELDS));
            assert!(needs_record(&["status", "source_code"]) && needs_record(&ALL_FIELDS));
            for b64 in [false, true] {
                for f in &fields {
                    let stored = field(&rec, f, b64).unwrap();
                    assert_eq!(render_unfinished(&rec.token, state, &[f])[*f], stored, "{f} of a {state:?} job");
                }
            }
        }
    }

    /// One property per attribute: one added to either alone fails here.
    #[test]
    fn the_description_has_every_attribute() {
        let described = crate::api::openapi::properties::<SubmissionView>();
        assert_eq!(described, crate::api::openapi::sorted(&ALL_FIELDS));
    }

    #[test]
    fn fields_select_star_default_and_refuse_unknown() {
        assert_eq!(parse_fields(None).unwrap(), DEFAULT_FIELDS);
        assert_eq!(parse_fields(Some("*")).unwrap().len(), 35);
        assert_eq!(parse_fields(Some("status_id,stdout,stdout")).unwrap(), ["status_id", "stdout"]);
        let e = parse_fields(Some("stdout,foo,bar")).unwrap_err();
        assert!(matches!(e, ApiError::BadRequest(m) if m == "invalid fields: [foo, bar]"));
    }
}
