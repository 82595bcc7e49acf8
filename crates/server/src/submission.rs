//! From a stored job to the engine's [`Submission`]: the one conversion
//! ([`to_submission`]) a worker makes before judging, and the checks the
//! APIs make when they accept a job ([`preflight`]), so that a job they let
//! through cannot end as an Internal Error. The APIs call this module, the
//! workers call it too; neither calls the other.

use crate::extract::{extract, ExtractLimits};
use crate::job::JobRequest;
use crate::service::Service;
use flash_engine::{Submission, TestCase};
use flash_sandbox::Limits;

/// Checks at submission time what the engine would refuse at run time, so a
/// request the parsers let through cannot end as an Internal Error.
pub fn preflight(svc: &Service, req: &JobRequest) -> Result<(), String> {
    // An argv cannot hold NUL (every API's parser says so by field; this
    // catches one that does not).
    if req.compiler_options.as_deref().is_some_and(|o| o.contains('\0')) {
        return Err("compiler options must not contain NUL characters".into());
    }
    if req.args.iter().any(|a| a.contains('\0')) {
        return Err("program arguments must not contain NUL characters".into());
    }
    let sub = to_submission(svc, req)?;
    sub.limits.validate()?;
    // Every file lands in one box: a name may come once, and not as the
    // source's or a file the language itself puts there.
    let lang = svc.langs.by_id(req.language_id).and_then(|l| svc.langs.engine_language(l));
    let mut taken: std::collections::HashSet<&str> = lang
        .map(|l| {
            std::iter::once(l.spec.source.as_str()).chain(l.spec.support.iter().map(|f| f.path.as_str())).collect()
        })
        .unwrap_or_default();
    for f in &sub.extra_files {
        flash_sandbox::spec::check_box_path(&f.path)?;
        if !taken.insert(f.path.as_str()) {
            return Err(format!("file {} is given twice (or is a name this language uses itself)", f.path));
        }
    }
    Ok(())
}

/// The engine's submission for a stored request.
pub fn to_submission(svc: &Service, req: &JobRequest) -> Result<Submission, String> {
    let lang = svc
        .langs
        .by_id(req.language_id)
        .ok_or_else(|| format!("language {} is no longer available", req.language_id))?;
    let mut extra_files = Vec::new();
    // Only a job stored before zips were unpacked at acceptance has its zip
    // and no files (the Judge0 parser unpacks into `files`; no other API
    // takes a zip).
    if let (Some(zip), true) = (&req.additional_files, req.files.is_empty()) {
        let lim = ExtractLimits { max_bytes: svc.cfg.max_extract_size * 1024, max_files: svc.cfg.max_extract_files };
        extra_files = extract(zip, lim).map_err(|e| format!("additional_files {e}"))?;
        extra_files.retain(|f| f.path != lang.source_file);
    }
    for f in &req.files {
        extra_files.push(flash_engine::ExtraFile {
            path: f.path.clone(),
            executable: f.executable,
            data: f.data.clone(),
        });
    }
    Ok(Submission {
        language: lang.engine_id.to_string(),
        source: req.source_code.clone().unwrap_or_default(),
        stdin: req.stdin.clone().unwrap_or_default(),
        expected: req.expected_output.clone(),
        tests: req.tests.iter().map(|t| TestCase { input: t.input.clone(), expected: t.expected.clone() }).collect(),
        limits: Limits {
            cpu_time: req.cpu_time_limit,
            wall_time: req.wall_time_limit,
            memory_kb: req.memory_limit,
            stack_kb: req.stack_limit,
            processes: req.max_processes_and_or_threads,
            file_size_kb: req.max_file_size,
            output_kb: req.output_limit,
            ..Limits::default()
        },
        compiler_options: req.compiler_options.clone(),
        args: req.args.clone(),
        stop_on_first_failure: false,
        redirect_stderr_to_stdout: req.redirect_stderr_to_stdout,
        extra_files,
        compile_limits: req.compile_limits,
        network: req.network.clone(),
        comparison: req.comparison.clone(),
        cache_scope: match svc.cfg.compile_cache_scope.as_str() {
            "key" => req.key.clone().unwrap_or_default(),
            _ => String::new(),
        },
        cancel: None,
    })
}
