//! The workers: N tasks that lease jobs from the store, judge them on the
//! blocking pool (the engine blocks on the sandbox), store the result and
//! signal whoever waits. An idle worker sleeps on a [`tokio::sync::Notify`]
//! that every enqueue triggers: there is no polling.

use crate::extract::{extract, ExtractLimits};
use crate::job::{now_ms, JobRecord, JobRequest, JobResult};
use crate::judge::Judge;
use crate::service::Service;
use flash_engine::{StatusId, Submission, TestCase};
use flash_sandbox::Limits;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Starts `cfg.workers` worker tasks; each ends once shutdown began and it is idle.
pub fn spawn(svc: &Arc<Service>) -> Vec<JoinHandle<()>> {
    (0..svc.cfg.workers).map(|n| tokio::spawn(worker(svc.clone(), n))).collect()
}

async fn worker(svc: Arc<Service>, n: usize) {
    let mut stop = svc.shutdown_signal();
    loop {
        if *stop.borrow() {
            break;
        }
        // Register for a wake-up before looking at the queue, so an enqueue
        // between the look and the sleep is not missed.
        let notified = svc.work.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match svc.store.lease(now_ms()).await {
            Ok(Some(job)) => {
                svc.leased();
                process(&svc, job).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = notified => {}
                    _ = stop.changed() => {}
                }
            }
            Err(e) => {
                tracing::error!(worker = n, error = %e, "cannot lease a job; retrying in 1 s");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

/// Judges one leased job and stores its result.
async fn process(svc: &Arc<Service>, job: JobRecord) {
    let span = tracing::info_span!("job", token = %job.token);
    async {
        let waited = (now_ms() - job.created_at_ms).max(0) as f64 / 1000.0;
        svc.metrics.queue_wait.observe(waited);
        tracing::info!(language = job.request.language_id, "job started");
        svc.running.fetch_add(1, Ordering::SeqCst);
        let start = Instant::now();
        let result = judge_job(svc, &job.request).await;
        svc.metrics.job.observe(start.elapsed().as_secs_f64());
        observe(svc, &result);
        match svc.store.finish(&job.token, &result, now_ms()).await {
            Ok(true) => tracing::info!(status = result.status, time = result.time.unwrap_or(0.0), "job finished"),
            Ok(false) => tracing::warn!("the job was no longer leased; its result is dropped"),
            Err(e) => tracing::error!(
                error = %e,
                "cannot store the result; the job runs again after a restart"
            ),
        }
        svc.running.fetch_sub(1, Ordering::SeqCst);
        svc.waiters.finished(&job.token);
        if let Some(url) = job.request.callback_url.clone() {
            let svc = svc.clone();
            let token = job.token.clone();
            tokio::spawn(crate::callback::deliver(svc, token, url).in_current_span());
        }
    }
    .instrument(span)
    .await
}

fn observe(svc: &Service, r: &JobResult) {
    let status = r.status_id();
    svc.metrics.finished(status);
    if status == StatusId::InternalError {
        tracing::error!(message = r.message.as_deref().unwrap_or(""), "internal error");
    }
    if !r.compile_cached && r.compile_time > 0.0 {
        svc.metrics.compile.observe(r.compile_time);
    }
    if let Some(w) = r.wall_time {
        svc.metrics.run.observe(w);
    }
}

async fn judge_job(svc: &Arc<Service>, req: &JobRequest) -> JobResult {
    let sub = match to_submission(svc, req) {
        Ok(s) => s,
        Err(e) => return JobResult::internal(e),
    };
    let judge = svc.judge.clone();
    let runs = req.number_of_runs.max(1);
    tokio::task::spawn_blocking(move || judge_runs(&*judge, &sub, runs)).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the judge panicked");
        JobResult::internal("the judge failed unexpectedly")
    })
}

/// Judges `runs` times (stopping at the first non-Accepted run, like Judge0)
/// and averages time and memory over the runs made.
pub fn judge_runs(judge: &dyn Judge, sub: &Submission, runs: u32) -> JobResult {
    let mut last: Option<JobResult> = None;
    let (mut time, mut wall, mut mem, mut n) = (0.0, 0.0, 0u64, 0u32);
    for _ in 0..runs {
        let j = match judge.judge(sub) {
            Ok(j) => j,
            Err(e) => return JobResult::internal(format!("cannot judge: {e}")),
        };
        let r = JobResult::from_judgement(&j);
        time += r.time.unwrap_or(0.0);
        wall += r.wall_time.unwrap_or(0.0);
        mem += r.memory.unwrap_or(0);
        n += 1;
        let stop = j.status != StatusId::Accepted;
        last = Some(r);
        if stop {
            break;
        }
    }
    let mut r = last.unwrap_or_else(|| JobResult::internal("no run was made"));
    if n > 1 && r.time.is_some() {
        r.time = Some(time / n as f64);
        r.wall_time = Some(wall / n as f64);
        r.memory = Some(mem / n as u64);
    }
    r
}

/// Checks at submission time what the engine would refuse at run time, so a
/// request the parsers let through cannot end as an Internal Error.
pub fn preflight(svc: &Service, req: &JobRequest) -> Result<(), String> {
    let sub = to_submission(svc, req)?;
    sub.limits.validate()?;
    for (p, _) in &sub.extra_files {
        flash_sandbox::spec::check_box_path(p)?;
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
    if let Some(zip) = &req.additional_files {
        let lim = ExtractLimits { max_bytes: svc.cfg.max_extract_size * 1024, max_files: svc.cfg.max_extract_files };
        extra_files = extract(zip, lim).map_err(|e| format!("additional_files {e}"))?;
        // The source file wins over a zip entry of the same name (`unzip -n`).
        extra_files.retain(|(p, _)| *p != lang.source_file);
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
    })
}
