//! The workers: N tasks that lease jobs from the store, judge them on the
//! blocking pool (the engine blocks on the sandbox), store the result and
//! signal whoever waits. An idle worker waits inside the store
//! ([`crate::store::JobStore::lease_wait`]): on a notification that every
//! enqueue triggers (embedded) or in a blocking `XREADGROUP` (Redis), so there
//! is no polling. With a shared store, [`heartbeat`] tells the other
//! processes that this one's workers are alive and how busy they are.

use crate::job::{now_ms, DebugRefusal, JobKind, JobRecord, JobRequest, JobResult};
use crate::judge::Judge;
use crate::service::Service;
use crate::submission::to_submission;
use flash_engine::{StatusId, Submission};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Longest one wait for a job; the loop then looks again (for reclaimable
/// jobs, with Redis) and waits anew.
const LEASE_WAIT: Duration = Duration::from_secs(2);

/// Heartbeat period; a worker whose heartbeat is older than [`BEAT_TTL`] is gone.
pub const BEAT_EVERY: Duration = Duration::from_secs(2);

/// How long a heartbeat lives.
pub const BEAT_TTL: Duration = Duration::from_secs(10);

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
        // Shutdown may cancel a lease under way; the store's requeue_leased,
        // run once the workers stopped, puts such a job back.
        let leased = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            r = svc.store.lease_wait(LEASE_WAIT) => r,
        };
        match leased {
            Ok(Some(job)) => {
                svc.leased();
                // Registered at once, so a cancel from now on stops its runs.
                let cancel = svc.judging.start(&job.token);
                process(&svc, job, cancel).await;
            }
            Ok(None) => {}
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

/// Publishes this process's heartbeat every [`BEAT_EVERY`] until aborted
/// (nothing to do without a shared store).
pub async fn heartbeat(svc: Arc<Service>) {
    let Some(cluster) = svc.cluster.clone() else { return };
    let mut failing = false;
    loop {
        match cluster.heartbeat(&svc.beat(), BEAT_TTL).await {
            Ok(()) if failing => {
                tracing::info!("heartbeats reach Redis again");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!(error = %e, "cannot publish the heartbeat");
                failing = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(BEAT_EVERY).await;
    }
}

/// Judges one leased job and stores its result; `cancel` fires when the job
/// is not wanted any more (see [`crate::service::Judging`]).
async fn process(svc: &Arc<Service>, job: JobRecord, cancel: flash_sandbox::Cancel) {
    let key = job.request.key.as_deref().unwrap_or("");
    let span = tracing::info_span!("job", token = %job.token, key);
    async {
        let waited = (now_ms() - job.created_at_ms).max(0) as f64 / 1000.0;
        svc.metrics.queue_wait.observe(waited);
        let kind = job.request.kind();
        tracing::info!(language = job.request.language_id, kind = kind.name(), "job started");
        svc.running.fetch_add(1, Ordering::SeqCst);
        let start = Instant::now();
        let result = judge_job(svc, &job.request, cancel.clone()).await;
        svc.judging.end(&job.token);
        if cancel.is_cancelled() {
            tracing::info!("the job was cancelled or finished elsewhere while judged here; its runs were stopped");
        }
        svc.metrics.job.observe(start.elapsed().as_secs_f64());
        observe(svc, &result);
        svc.metrics.by_kind.judged(kind);
        match svc.store.finish(&job.token, &result, now_ms()).await {
            Ok(true) => {
                tracing::info!(status = result.run.status.id(), time = result.run.time.unwrap_or(0.0), "job finished")
            }
            Ok(false) => tracing::warn!("the job already had a result or was no longer leased; this one is dropped"),
            Err(e) => tracing::error!(
                error = %e,
                "cannot store the result; the job runs again (after a restart, or once reclaimed)"
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
        tracing::error!(message = r.run.message.as_deref().unwrap_or(""), "internal error");
    }
    if !r.compile_cached && r.compile_time > 0.0 {
        svc.metrics.compile.observe(r.compile_time);
    }
    if let Some(w) = r.run.wall_time {
        svc.metrics.run.observe(w);
    }
}

async fn judge_job(svc: &Arc<Service>, req: &JobRequest, cancel: flash_sandbox::Cancel) -> JobResult {
    match (req.kind(), req.debug.clone()) {
        (JobKind::Submission, _) => {}
        (JobKind::Debug, Some(d)) => {
            return debug_job(svc, flash_debugger::DebugRequest { cancel: Some(cancel), ..d }).await
        }
        (JobKind::Debug, None) => return JobResult::internal("a debug job without its debug request"),
        (JobKind::Unknown, _) => {
            return JobResult::internal(
                "this worker does not know the job's kind (a newer server queued it); it is not run",
            )
        }
    }
    let sub = match to_submission(svc, req) {
        Ok(s) => Submission { cancel: Some(cancel), ..s },
        Err(e) => return JobResult::internal(e),
    };
    if let Some(p) = &req.package {
        return package_job(svc, sub, p).await;
    }
    if let Some(session) = req.session.clone() {
        return session_job(svc, sub, session).await;
    }
    let judge = svc.judge.clone();
    let runs = req.number_of_runs.max(1);
    tokio::task::spawn_blocking(move || judge_runs(&*judge, &sub, runs)).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the judge panicked");
        JobResult::internal("the judge failed unexpectedly")
    })
}

/// Runs a job in the workspace it carries; the result carries the workspace back.
async fn session_job(svc: &Arc<Service>, sub: Submission, session: crate::job::SessionJob) -> JobResult {
    use crate::job::{WorkspaceFile, WorkspaceOutcome};
    let judge = svc.judge.clone();
    let files: Vec<flash_sandbox::BoxFile> = session
        .files
        .into_iter()
        .map(|f| flash_sandbox::BoxFile { path: f.path, mode: f.mode, data: f.data })
        .collect();
    let max = session.max_file_kb;
    let ran = tokio::task::spawn_blocking(move || judge.run_in_workspace(&sub, files, max)).await;
    let run = match ran {
        Ok(Ok(run)) => run,
        Ok(Err(e)) => return JobResult::internal(format!("cannot run in session {}: {e}", session.id)),
        Err(e) => {
            tracing::error!(error = %e, "the judge panicked");
            return JobResult::internal("the judge failed unexpectedly");
        }
    };
    let mut r = JobResult::from_judgement(&run.judgement);
    r.workspace = Some(WorkspaceOutcome {
        files: run
            .files
            .map(|fs| fs.into_iter().map(|f| WorkspaceFile { path: f.path, mode: f.mode, data: f.data }).collect()),
        refused: run.refused,
        truncated: run.truncated,
    });
    r
}

/// Judges a submission on a package: the package from this process's cache
/// (fetched from the store and unpacked the first time), then flash-judge.
async fn package_job(svc: &Arc<Service>, sub: Submission, p: &crate::job::PackageJob) -> JobResult {
    let pkg = match svc.packages.get(&*svc.store, &p.id).await {
        Ok(pkg) => pkg,
        Err(e) => return JobResult::internal(format!("cannot judge on package {}: {e}", p.id)),
    };
    let opts = flash_judge::Options {
        stop_on_failure: !p.all_tests,
        time_limit: p.time_limit,
        transcript: p.transcript,
        cancel: sub.cancel.clone(),
        ..Default::default()
    };
    let judge = svc.judge.clone();
    let judged = tokio::task::spawn_blocking(move || judge.judge_package(&pkg, &sub.language, sub.source, &opts)).await;
    match judged {
        Ok(Ok(report)) => crate::job::from_report(&report),
        Ok(Err(e)) => JobResult::internal(format!("cannot judge on package {}: {e}", p.id)),
        Err(e) => {
            tracing::error!(error = %e, "the judge panicked");
            JobResult::internal("the judge failed unexpectedly")
        }
    }
}

/// Records a debug job's trace; the result carries it as JSON, or the
/// debugger's refusal.
async fn debug_job(svc: &Arc<Service>, req: flash_debugger::DebugRequest) -> JobResult {
    let judge = svc.judge.clone();
    let traced = tokio::task::spawn_blocking(move || judge.debug(&req)).await;
    let mut r = JobResult::internal("");
    r.run.message = None;
    r.run.status = StatusId::Accepted;
    match traced {
        Ok(Ok(trace)) => match serde_json::to_value(&trace) {
            Ok(v) => r.trace = Some(v),
            Err(e) => return JobResult::internal(format!("cannot encode the trace: {e}")),
        },
        Ok(Err(e)) => r.debug_refusal = Some(DebugRefusal::of(&e)),
        Err(e) => {
            tracing::error!(error = %e, "the debugger panicked");
            return JobResult::internal("the debugger failed unexpectedly");
        }
    }
    r
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
        time += r.run.time.unwrap_or(0.0);
        wall += r.run.wall_time.unwrap_or(0.0);
        mem += r.run.memory.unwrap_or(0);
        n += 1;
        let stop = j.run.status != StatusId::Accepted;
        last = Some(r);
        if stop {
            break;
        }
    }
    let mut r = last.unwrap_or_else(|| JobResult::internal("no run was made"));
    if n > 1 && r.run.time.is_some() {
        r.run.time = Some(time / n as f64);
        r.run.wall_time = Some(wall / n as f64);
        r.run.memory = Some(mem / n as u64);
    }
    r
}
