//! A Judge0 submission body turned into a [`JobRequest`], with Judge0 CE
//! 1.13.1's defaults, ranges and messages (see `app/models/submission.rb`
//! there). Unknown fields are ignored, as Rails' `permit` does.
//!
//! Deviations, all refusing rather than silently doing something else:
//! `cpu_time_limit`, `stack_limit` and `max_file_size` of 0 (isolate's
//! "unlimited") are refused, since a box here always has a finite limit;
//! per-process limits and the network cannot be enabled.

use crate::api::fields::{shell_words, Min, Reader};
use crate::api::FieldErrors;
use crate::extract::{extract, ExtractLimits};
use crate::job::{JobRequest, Origin, StoredFile};
use crate::judge::Lang;
use crate::service::Service;
use serde_json::Value;
use utoipa::ToSchema;

/// Every field [`parse`] reads (any other is ignored, as Judge0 does): its
/// [`Reader`] refuses to read one not listed (a panic in debug builds), and a
/// unit test holds [`RequestBody`]'s properties to this list.
pub const FIELDS: [&str; 20] = [
    "source_code",
    "language_id",
    "stdin",
    "expected_output",
    "compiler_options",
    "command_line_arguments",
    "additional_files",
    "callback_url",
    "cpu_time_limit",
    "cpu_extra_time",
    "wall_time_limit",
    "memory_limit",
    "stack_limit",
    "max_processes_and_or_threads",
    "max_file_size",
    "number_of_runs",
    "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit",
    "redirect_stderr_to_stdout",
    "enable_network",
];

/// A submission (`POST /submissions`, an entry of a batch). Text fields are
/// base64 with `base64_encoded=true`; null is the same as absent. The served
/// document adds this server's bounds: the language ids, the maximum limits,
/// and leaves out what it does not accept (`additional_files`,
/// `callback_url`, per-process limits, the network).
// [`parse`] reads the JSON field by field instead (every problem named in one
// 422, Judge0's wording), so this type is never built.
#[derive(ToSchema)]
#[schema(as = Judge0Request)]
#[allow(dead_code)] // Described, never built (see above).
pub struct RequestBody {
    /// The program (blank for language 89, multi-file, which takes additional_files instead).
    #[schema(min_length = 1, pattern = "\\S")]
    source_code: String,
    /// A language id (GET /languages).
    language_id: u32,
    /// stdin.
    stdin: Option<String>,
    /// What stdout must be for Accepted.
    expected_output: Option<String>,
    /// Compiled languages only.
    #[schema(max_length = 512)]
    compiler_options: Option<String>,
    /// The program's arguments, split as a shell would.
    #[schema(max_length = 512)]
    command_line_arguments: Option<String>,
    /// A zip (base64): relative paths only, no symlinks.
    #[schema(format = Byte)]
    additional_files: Option<String>,
    /// http:// URL the finished submission is PUT to.
    callback_url: Option<String>,
    /// CPU seconds.
    #[schema(exclusive_minimum = 0)]
    cpu_time_limit: Option<f64>,
    /// CPU seconds granted past the limit before the program is stopped.
    #[schema(minimum = 0)]
    cpu_extra_time: Option<f64>,
    /// Wall seconds.
    #[schema(minimum = 1)]
    wall_time_limit: Option<f64>,
    /// KiB.
    #[schema(minimum = 2048)]
    memory_limit: Option<u64>,
    /// KiB.
    #[schema(minimum = 1)]
    stack_limit: Option<u64>,
    /// Processes and threads.
    #[schema(minimum = 1)]
    max_processes_and_or_threads: Option<u64>,
    /// KiB a file (and stdout) may reach.
    #[schema(minimum = 1)]
    max_file_size: Option<u64>,
    /// Runs whose times and memory are averaged.
    #[schema(minimum = 1)]
    number_of_runs: Option<u64>,
    /// Accepted for compatibility; this server refuses true.
    enable_per_process_and_thread_time_limit: Option<bool>,
    /// Accepted for compatibility; this server refuses true.
    enable_per_process_and_thread_memory_limit: Option<bool>,
    /// stderr goes to stdout.
    redirect_stderr_to_stdout: Option<bool>,
    /// The hosts the API key may reach (README "Network").
    enable_network: Option<bool>,
}

/// `POST /submissions/batch`.
#[derive(ToSchema)]
#[schema(as = Judge0Batch)]
#[allow(dead_code)] // Described, never built: `batch_create` reads `submissions`.
pub struct BatchBody {
    /// The submissions (at most the server's batch size).
    #[schema(min_items = 1)]
    submissions: Vec<RequestBody>,
}

/// Parses one submission object; `Err` carries every problem found.
pub fn parse(svc: &Service, body: &Value, b64: bool) -> Result<JobRequest, FieldErrors> {
    let Some(map) = body.as_object() else {
        return Err([("submission".to_owned(), vec!["must be a JSON object".to_owned()])].into());
    };
    let mut r = Reader::listed(map, &FIELDS);
    let lang = language(svc, &mut r);
    let is_project = lang.is_some_and(|l| l.is_project);
    let source_code = r.bytes("source_code", b64);
    let blank = |b: &Option<Vec<u8>>| b.as_ref().is_none_or(|s| s.trim_ascii().is_empty());
    if is_project && !blank(&source_code) {
        r.err("source_code", "must be blank");
    } else if !is_project && blank(&source_code) && !r.errors.contains_key("source_code") {
        r.err("source_code", "can't be blank");
    }
    let stdin = r.bytes("stdin", b64);
    let expected_output = r.bytes("expected_output", b64);
    let compiler_options = compiler_options(svc, &mut r, lang);
    let (command_line_arguments, args) = arguments(svc, &mut r);
    let (additional_files, files) = additional_files(svc, &mut r, lang);
    let callback_url = callback_url(svc, &mut r);
    let req = limits(
        svc,
        &mut r,
        JobRequest {
            source_code: if is_project { None } else { source_code },
            stdin,
            expected_output,
            compiler_options,
            command_line_arguments,
            args,
            additional_files,
            files,
            callback_url,
            ..JobRequest::submission(Origin::Judge0, lang.map_or(0, |l| l.id), lang.map_or(0, |l| l.engine_id))
        },
    );
    if r.errors.is_empty() {
        if let Err(e) = crate::submission::preflight(svc, &req) {
            r.err("submission", e);
        }
    }
    if r.errors.is_empty() {
        Ok(req)
    } else {
        Err(r.errors)
    }
}

fn language<'s>(svc: &'s Service, r: &mut Reader<'_>) -> Option<&'s Lang> {
    if r.raw("language_id").is_none() {
        r.err("language_id", "can't be blank");
        return None;
    }
    let id = r.number("language_id")?;
    let found =
        (id.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&id)).then(|| svc.langs.by_id(id as u32)).flatten();
    if found.is_none() {
        // Judge0's words, unless the table knows the id: then why it is not offered.
        let known = (id.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&id))
            .then(|| svc.judge.refusal(id as u32))
            .flatten();
        r.err("language_id", known.unwrap_or_else(|| format!("language with id {id} doesn't exist")));
    }
    found
}

fn compiler_options(svc: &Service, r: &mut Reader<'_>, lang: Option<&Lang>) -> Option<String> {
    let opts = r.arg_string("compiler_options", 512)?;
    if opts.trim().is_empty() {
        return None;
    }
    if !svc.cfg.enable_compiler_options {
        r.err("compiler_options", "setting compiler options is not allowed");
    } else if lang.is_some_and(|l| !l.compiled) {
        r.err("compiler_options", "setting compiler options is only allowed for compiled languages");
    }
    Some(opts)
}

fn arguments(svc: &Service, r: &mut Reader<'_>) -> (Option<String>, Vec<String>) {
    let Some(line) = r.arg_string("command_line_arguments", 512) else {
        return (None, Vec::new());
    };
    if line.trim().is_empty() {
        return (Some(line), Vec::new());
    }
    if !svc.cfg.enable_command_line_arguments {
        r.err("command_line_arguments", "setting command line arguments is not allowed");
    }
    match shell_words(&line) {
        Ok(args) => (Some(line), args),
        Err(e) => {
            r.err("command_line_arguments", e);
            (Some(line), Vec::new())
        }
    }
}

/// `additional_files`: the zip as sent (kept to be shown) and its entries,
/// unpacked and checked here, once: the stored job carries them, so neither
/// the acceptance checks nor the worker unpack it again.
fn additional_files(svc: &Service, r: &mut Reader<'_>, lang: Option<&Lang>) -> (Option<Vec<u8>>, Vec<StoredFile>) {
    let is_project = lang.is_some_and(|l| l.is_project);
    let zip = r.bytes("additional_files", true).filter(|z| !z.is_empty());
    let mut files = Vec::new();
    match &zip {
        None if is_project && !r.errors.contains_key("additional_files") => {
            r.err("additional_files", "can't be blank");
        }
        Some(_) if !svc.cfg.enable_additional_files => {
            r.err("additional_files", "setting additional files is not allowed");
        }
        Some(z) => {
            let lim =
                ExtractLimits { max_bytes: svc.cfg.max_extract_size * 1024, max_files: svc.cfg.max_extract_files };
            match extract(z, lim) {
                Ok(unpacked) if is_project && !unpacked.iter().any(|f| f.path == "run") => {
                    r.err("additional_files", "must contain a `run` script at its root");
                }
                Ok(unpacked) => {
                    files = unpacked
                        .into_iter()
                        // The source file wins over a zip entry of the same name (`unzip -n`).
                        .filter(|f| lang.is_none_or(|l| f.path != l.source_file))
                        .map(|f| StoredFile { path: f.path, data: f.data, executable: f.executable })
                        .collect();
                }
                Err(e) => r.err("additional_files", e),
            }
        }
        None => {}
    }
    (zip, files)
}

fn callback_url(svc: &Service, r: &mut Reader<'_>) -> Option<String> {
    let url = r.string("callback_url").filter(|u| !u.trim().is_empty())?;
    if !svc.cfg.enable_callbacks {
        r.err("callback_url", "setting callback is not allowed");
    } else if let Err(e) = crate::callback::parse_url(&url, svc.cfg.allow_private_callbacks) {
        r.err("callback_url", e);
    }
    Some(url)
}

/// Reads every limit (defaulted and capped by configuration) into `req`.
fn limits(svc: &Service, r: &mut Reader<'_>, mut req: JobRequest) -> JobRequest {
    let c = &svc.cfg.limits;
    let (gt0, ge0) = (Min::Above(0.0), Min::AtLeast(0.0));
    req.cpu_time_limit = r.ranged("cpu_time_limit", c.cpu_time_limit, gt0, c.max_cpu_time_limit);
    req.cpu_extra_time = r.ranged("cpu_extra_time", c.cpu_extra_time, ge0, c.max_cpu_extra_time);
    req.wall_time_limit = r.ranged("wall_time_limit", c.wall_time_limit, Min::AtLeast(1.0), c.max_wall_time_limit);
    req.memory_limit = r.ranged_int("memory_limit", c.memory_limit, Min::AtLeast(2048.0), c.max_memory_limit);
    req.stack_limit = r.ranged_int("stack_limit", c.stack_limit, gt0, c.max_stack_limit);
    req.max_processes_and_or_threads = r.ranged_int(
        "max_processes_and_or_threads",
        c.max_processes_and_or_threads,
        gt0,
        c.max_max_processes_and_or_threads,
    );
    req.max_file_size = r.ranged_int("max_file_size", c.max_file_size, gt0, c.max_max_file_size);
    // isolate counts stdout as a file, so Judge0's output limit is max_file_size.
    req.output_limit = req.max_file_size;
    req.number_of_runs =
        r.ranged_int("number_of_runs", c.number_of_runs.into(), gt0, c.max_number_of_runs.into()) as u32;
    for f in ["enable_per_process_and_thread_time_limit", "enable_per_process_and_thread_memory_limit"] {
        if r.boolean(f) == Some(true) {
            r.err(f, "this option cannot be enabled");
        }
    }
    req.redirect_stderr_to_stdout = r.boolean("redirect_stderr_to_stdout").unwrap_or(false);
    // The hosts the key may reach, through the sandbox's proxy (README "Network").
    if r.boolean("enable_network") == Some(true) {
        match svc.keys.resolve_network(&svc.cfg.network, None) {
            Ok(hosts) => (req.enable_network, req.network) = (true, hosts),
            Err(e) => r.err("enable_network", e),
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The description and the parser name the same fields: one added to
    /// either alone fails here (the parser cannot read one not in [`FIELDS`]).
    #[test]
    fn the_description_lists_exactly_the_fields_the_parser_reads() {
        assert_eq!(crate::api::openapi::properties::<RequestBody>(), crate::api::openapi::sorted(&FIELDS));
    }
}
