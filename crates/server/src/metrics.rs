//! Prometheus metrics, kept in atomics and rendered as text by hand.
//!
//! The `metrics` + `metrics-exporter-prometheus` pair would add a registry,
//! a recorder and a dozen crates for the handful of series below; the text
//! format is simple enough to write directly (and tested against its rules).

use crate::job::JobKind;
use crate::judge::JudgeStats;
use crate::store::WorkerBeat;
use flash_engine::StatusId;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bucket bounds, seconds: from a cached hello world to a slow compile.
const BOUNDS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// A latency histogram.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation, seconds.
    pub fn observe(&self, secs: f64) {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        for (b, bound) in self.buckets.iter().zip(BOUNDS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, bound) in self.buckets.iter().zip(BOUNDS) {
            let n = b.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Every counter and histogram of the service.
#[derive(Default)]
pub struct Metrics {
    /// Finished jobs by status id (index = id).
    pub jobs: [AtomicU64; 17],
    /// Jobs accepted.
    pub accepted: AtomicU64,
    /// Requests refused because the queue was full.
    pub queue_full: AtomicU64,
    /// Jobs that ended in Internal Error (the sandbox or Flash failed).
    pub sandbox_failures: AtomicU64,
    /// Callbacks that failed every attempt.
    pub callback_failures: AtomicU64,
    /// Real compiles (cache misses), seconds.
    pub compile: Histogram,
    /// Runs, wall seconds (largest over tests, average over runs).
    pub run: Histogram,
    /// From lease to stored result, seconds.
    pub job: Histogram,
    /// From creation to lease, seconds.
    pub queue_wait: Histogram,
    /// Jobs by kind: accepted and cancelled here, judged by this process's workers.
    pub by_kind: ByKind,
}

/// Counters per [`JobKind`].
#[derive(Default)]
pub struct ByKind {
    accepted: [AtomicU64; 3],
    cancelled: [AtomicU64; 3],
    judged: [AtomicU64; 3],
}

fn slot(k: JobKind) -> usize {
    JobKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

impl ByKind {
    /// A job of kind `k` was accepted.
    pub fn accepted(&self, k: JobKind) {
        self.accepted[slot(k)].fetch_add(1, Ordering::Relaxed);
    }

    /// A job of kind `k` was cancelled (its client went away).
    pub fn cancelled(&self, k: JobKind) {
        self.cancelled[slot(k)].fetch_add(1, Ordering::Relaxed);
    }

    /// A worker here finished a job of kind `k`.
    pub fn judged(&self, k: JobKind) {
        self.judged[slot(k)].fetch_add(1, Ordering::Relaxed);
    }

    /// Cancelled jobs of kind `k` so far.
    pub fn cancelled_count(&self, k: JobKind) -> u64 {
        self.cancelled[slot(k)].load(Ordering::Relaxed)
    }

    fn render(&self, o: &mut String) {
        type Series = (&'static str, &'static str, fn(&ByKind) -> &[AtomicU64; 3]);
        let series: [Series; 3] = [
            ("flash_jobs_accepted_by_kind_total", "Jobs accepted by this process, by kind.", |b| &b.accepted),
            ("flash_jobs_cancelled_total", "Jobs cancelled because their client went away, by kind.", |b| &b.cancelled),
            ("flash_jobs_judged_by_kind_total", "Jobs this process's workers finished, by kind.", |b| &b.judged),
        ];
        for (name, help, values) in series {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter");
            for (k, v) in JobKind::ALL.iter().zip(values(self)) {
                let _ = writeln!(o, "{name}{{kind=\"{}\"}} {}", k.name(), v.load(Ordering::Relaxed));
            }
        }
    }
}

/// Values read at scrape time.
pub struct Gauges {
    /// Jobs waiting.
    pub queued: u64,
    /// Jobs running.
    pub running: u64,
    /// Worker slots (of every live worker, with a shared store).
    pub workers: u64,
    /// Engine counters.
    pub judge: JudgeStats,
    /// With a shared store: finished jobs by status over the cluster, shown
    /// instead of this process's counts.
    pub cluster_finished: Option<BTreeMap<u8, u64>>,
    /// With a shared store: jobs in the dead-letter stream.
    pub dead_letters: Option<u64>,
    /// With a shared store: every live worker, for the per-worker series.
    pub per_worker: Vec<WorkerBeat>,
    /// Debug traces being recorded here.
    pub debug_running: u64,
    /// Debug requests waiting for a turn here.
    pub debug_waiting: u64,
    /// Debug requests refused here.
    pub debug_refused: u64,
}

impl Metrics {
    /// Counts a finished job.
    pub fn finished(&self, status: StatusId) {
        if let Some(c) = self.jobs.get(status.id() as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        if status == StatusId::InternalError {
            self.sandbox_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, g: &Gauges, keys: &crate::keys::Keys) -> String {
        let mut o = String::with_capacity(4096);
        let gauge = |o: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        let counter = |o: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        gauge(&mut o, "flash_queue_depth", "Jobs waiting for a worker.", g.queued);
        gauge(&mut o, "flash_jobs_running", "Jobs being judged.", g.running);
        gauge(&mut o, "flash_workers", "Worker tasks.", g.workers);
        let _ = writeln!(
            o,
            "# HELP flash_jobs_finished_total Finished jobs by status.\n# TYPE flash_jobs_finished_total counter"
        );
        for s in StatusId::ALL.iter().skip(2) {
            let n = match &g.cluster_finished {
                Some(m) => m.get(&s.id()).copied().unwrap_or(0),
                None => self.jobs[s.id() as usize].load(Ordering::Relaxed),
            };
            let _ =
                writeln!(o, "flash_jobs_finished_total{{status_id=\"{}\",status=\"{}\"}} {n}", s.id(), s.description());
        }
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(&mut o, "flash_jobs_accepted_total", "Jobs accepted.", load(&self.accepted));
        self.by_kind.render(&mut o);
        counter(&mut o, "flash_queue_full_total", "Submissions refused: queue full.", load(&self.queue_full));
        let failures = match &g.cluster_finished {
            Some(m) => m.get(&StatusId::InternalError.id()).copied().unwrap_or(0),
            None => load(&self.sandbox_failures),
        };
        counter(&mut o, "flash_sandbox_failures_total", "Jobs ended in Internal Error.", failures);
        if let Some(d) = g.dead_letters {
            gauge(&mut o, "flash_dead_letters", "Jobs in the dead-letter stream (their workers kept dying).", d);
        }
        render_workers(&mut o, &g.per_worker);
        counter(
            &mut o,
            "flash_callback_failures_total",
            "Callbacks that failed every attempt.",
            load(&self.callback_failures),
        );
        counter(&mut o, "flash_compiles_total", "Compiles run (cache misses).", g.judge.compiles);
        gauge(&mut o, "flash_compile_cache_bytes", "Compile cache size.", g.judge.cache_bytes);
        gauge(&mut o, "flash_compile_cache_entries", "Compile cache entries.", g.judge.cache_entries);
        render_keys(&mut o, keys);
        gauge(
            &mut o,
            "flash_debug_running",
            "Debug requests of this process in flight (queued or traced).",
            g.debug_running,
        );
        gauge(&mut o, "flash_debug_waiting", "Debug requests waiting for a turn in this process.", g.debug_waiting);
        counter(&mut o, "flash_debug_refused_total", "Debug requests refused (503): no turn.", g.debug_refused);
        self.compile.render(&mut o, "flash_compile_seconds", "Compile time of cache misses.");
        self.run.render(&mut o, "flash_run_seconds", "Run wall time.");
        self.job.render(&mut o, "flash_job_seconds", "Time from lease to stored result.");
        self.queue_wait.render(&mut o, "flash_queue_wait_seconds", "Time from submission to lease.");
        o
    }
}

/// Per-key series, one label per API key name.
fn render_keys(o: &mut String, keys: &crate::keys::Keys) {
    if keys.all().is_empty() {
        return;
    }
    type Series = (&'static str, &'static str, &'static str, fn(&crate::keys::Key) -> u64);
    let series: [Series; 4] = [
        ("flash_key_requests_total", "counter", "Requests admitted, by API key.", |k| {
            k.requests.load(Ordering::Relaxed)
        }),
        ("flash_key_limited_total", "counter", "Requests refused by the key's limits (429).", |k| {
            k.limited.load(Ordering::Relaxed)
        }),
        ("flash_key_jobs_accepted_total", "counter", "Jobs accepted, by API key.", |k| k.jobs.load(Ordering::Relaxed)),
        ("flash_key_in_flight", "gauge", "Requests in flight, by API key.", |k| k.in_flight() as u64),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for k in keys.all() {
            let _ = writeln!(o, "{name}{{key=\"{}\"}} {}", k.cfg.name, value(k));
        }
    }
}

/// Per-worker series from the heartbeats, one label per worker id.
fn render_workers(o: &mut String, workers: &[WorkerBeat]) {
    if workers.is_empty() {
        return;
    }
    type Series = (&'static str, &'static str, &'static str, fn(&WorkerBeat) -> u64);
    let series: [Series; 4] = [
        ("flash_worker_slots", "gauge", "Jobs a live worker judges at once.", |w| w.slots),
        ("flash_worker_jobs_running", "gauge", "Jobs a live worker is judging.", |w| w.running),
        ("flash_worker_jobs_finished_total", "counter", "Jobs a live worker finished since it started.", |w| {
            w.finished
        }),
        ("flash_worker_jobs_failed_total", "counter", "Jobs a live worker ended in Internal Error.", |w| w.failed),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for w in workers {
            let id: String = w.id.chars().filter(|c| !matches!(c, '"' | '\\' | '\n')).collect();
            let _ = writeln!(o, "{name}{{worker=\"{id}\"}} {}", value(w));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_is_well_formed() {
        let m = Metrics::default();
        m.compile.observe(0.2);
        m.compile.observe(f64::NAN);
        m.finished(StatusId::InternalError);
        let beat = WorkerBeat {
            id: "h-1-abc".into(),
            host: "h".into(),
            pid: 1,
            slots: 2,
            running: 1,
            finished: 7,
            failed: 0,
            started_at_ms: 0,
            seen_at_ms: 0,
        };
        let text = m.render(
            &Gauges {
                queued: 3,
                running: 1,
                workers: 2,
                judge: JudgeStats::default(),
                cluster_finished: None,
                dead_letters: Some(0),
                per_worker: vec![beat],
                debug_running: 1,
                debug_waiting: 0,
                debug_refused: 4,
            },
            &crate::keys::Keys::default(),
        );
        assert!(text.contains("flash_debug_refused_total 4\n"), "{text}");
        assert!(text.contains("flash_worker_jobs_finished_total{worker=\"h-1-abc\"} 7\n"), "{text}");
        assert!(text.contains("flash_queue_depth 3\n"));
        assert!(text.contains("flash_sandbox_failures_total 1\n"));
        assert!(text.contains("flash_compile_seconds_bucket{le=\"0.25\"} 2\n"));
        assert!(text.contains("flash_compile_seconds_bucket{le=\"0.1\"} 1\n"));
        assert!(text.contains("flash_compile_seconds_count 2\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(!name.is_empty() && value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
