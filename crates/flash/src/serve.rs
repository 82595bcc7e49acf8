//! `flash serve`: the HTTP service (native and Judge0-compatible APIs) and
//! its workers in one process, with the embedded queue and store, or with
//! Redis (`--redis URL`), which `flash server` and `flash worker` processes
//! can then share.
//!
//! Configuration comes from a TOML file (`--config`), then `FLASH_*`
//! environment variables, then flags; later sources win. `--print-config`
//! shows the result (and, with no file, every key with its default). The same
//! flags and file serve every role (`serve`, `server`, `worker`): each uses
//! the keys that concern it.

use anyhow::{bail, Context};
use clap::Args;
use flash_engine::{Engine, EngineConfig, Registry};
use flash_sandbox::{Pool, PoolConfig};
use flash_server::judge::{LanguageTable, MULTI_FILE_TOML};
use flash_server::store::redis::{redact, RedisStore};
use flash_server::store::sqlite::SqliteStore;
use flash_server::store::{Cluster, JobStore};
use flash_server::{ServerConfig, Service};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `flash serve` flags; each also reads the `FLASH_*` variable named in its help.
#[derive(Args, Debug, Default)]
#[command(after_help = "Every key of the configuration file, with its default, is shown by \
`flash serve --print-config`. Judge0 clients: the API listens where Judge0 does (port 2358) and \
answers /about with version 1.13.1.")]
pub struct ServeArgs {
    /// TOML configuration file (keys as printed by --print-config).
    #[arg(long, env = "FLASH_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:2358, Judge0's port].
    #[arg(long, env = "FLASH_LISTEN")]
    listen: Option<String>,
    /// Directory for the job database and the compile cache [default: $XDG_DATA_HOME/flash or ~/.local/share/flash].
    #[arg(long, env = "FLASH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Jobs judged at once, one sandbox slot each [default: number of cores].
    #[arg(long, env = "FLASH_WORKERS")]
    workers: Option<usize>,
    /// Jobs waiting before new ones get 503 "queue is full" [default: 1000].
    #[arg(long, env = "FLASH_MAX_QUEUE_SIZE")]
    max_queue_size: Option<usize>,
    /// Largest request body in bytes; larger ones get 413 [default: 4194304].
    #[arg(long, env = "FLASH_MAX_BODY_SIZE")]
    max_body_size: Option<usize>,
    /// Require this token in the X-Auth-Token header on every endpoint but /health.
    #[arg(long, env = "FLASH_AUTH_TOKEN")]
    auth_token: Option<String>,
    /// Judge0's authorization token (X-Auth-User), needed to list and delete submissions.
    #[arg(long, env = "FLASH_AUTHZ_TOKEN")]
    authz_token: Option<String>,
    /// Seconds finished results are kept; 0 keeps them forever [default: 604800].
    #[arg(long, env = "FLASH_RETENTION")]
    retention: Option<u64>,
    /// Most CPU seconds a client may ask for [default: 15].
    #[arg(long, env = "FLASH_MAX_CPU_TIME_LIMIT")]
    max_cpu_time_limit: Option<f64>,
    /// Most wall seconds a client may ask for [default: 20].
    #[arg(long, env = "FLASH_MAX_WALL_TIME_LIMIT")]
    max_wall_time_limit: Option<f64>,
    /// Most memory a client may ask for, KB [default: 512000].
    #[arg(long, env = "FLASH_MAX_MEMORY_LIMIT")]
    max_memory_limit: Option<u64>,
    /// Most stack a client may ask for, KB [default: 128000].
    #[arg(long, env = "FLASH_MAX_STACK_LIMIT")]
    max_stack_limit: Option<u64>,
    /// Most processes and threads a client may ask for [default: 120].
    #[arg(long, env = "FLASH_MAX_PROCESSES")]
    max_processes: Option<u64>,
    /// Largest file (Judge0: and output) a client may allow, KB [default: 4096].
    #[arg(long, env = "FLASH_MAX_FILE_SIZE")]
    max_file_size: Option<u64>,
    /// Largest output limit a native client may ask for, KB [default: 4096].
    #[arg(long, env = "FLASH_MAX_OUTPUT_LIMIT")]
    max_output_limit: Option<u64>,
    /// Most runs (number_of_runs) a client may ask for [default: 20].
    #[arg(long, env = "FLASH_MAX_NUMBER_OF_RUNS")]
    max_number_of_runs: Option<u32>,
    /// Most submissions in one batch request [default: 20].
    #[arg(long, env = "FLASH_MAX_BATCH_SIZE")]
    max_batch_size: Option<usize>,
    /// Accept Judge0's callback_url (the result is PUT there; http:// only) [default: false].
    #[arg(long, env = "FLASH_ENABLE_CALLBACKS", num_args = 0..=1, default_missing_value = "true")]
    enable_callbacks: Option<bool>,
    /// Let callbacks go to loopback and private addresses [default: false].
    #[arg(long, env = "FLASH_ALLOW_PRIVATE_CALLBACKS", num_args = 0..=1, default_missing_value = "true")]
    allow_private_callbacks: Option<bool>,
    /// Allow DELETE /submissions/{token} (with the authorization token) [default: false].
    #[arg(long, env = "FLASH_ENABLE_SUBMISSION_DELETE", num_args = 0..=1, default_missing_value = "true")]
    enable_submission_delete: Option<bool>,
    /// fsync every commit: results survive power loss, not only a crash [default: false].
    #[arg(long, env = "FLASH_FSYNC", num_args = 0..=1, default_missing_value = "true")]
    fsync: Option<bool>,
    /// Seconds running jobs may take to finish after SIGTERM before they are requeued [default: 30].
    #[arg(long, env = "FLASH_SHUTDOWN_GRACE")]
    shutdown_grace: Option<u64>,
    /// Language table replacing the shipped one (TOML, as crates/engine/languages.toml).
    #[arg(long, env = "FLASH_LANGUAGES")]
    languages: Option<PathBuf>,
    /// Keep the queue and results in Redis, shared with `flash server` and `flash worker` processes
    /// (redis://[:password@]host[:port][/db]) [default: the embedded SQLite store].
    #[arg(long = "redis", env = "FLASH_REDIS_URL", value_name = "URL")]
    pub(crate) redis: Option<String>,
    /// Redis: seconds after which the job of a worker that stopped is run again elsewhere [default: 30].
    #[arg(long, env = "FLASH_RECLAIM_IDLE")]
    reclaim_idle: Option<u64>,
    /// Redis: deliveries of a job (each ending with its worker's death) before it goes to the
    /// dead-letter stream as Internal Error [default: 3].
    #[arg(long, env = "FLASH_MAX_DELIVERIES")]
    max_deliveries: Option<u32>,
    /// Redis: prefix of every key [default: flash].
    #[arg(long, env = "FLASH_REDIS_PREFIX")]
    redis_prefix: Option<String>,
    /// Origins browser pages may call the API from (CORS), comma-separated, or * for any [default: *].
    #[arg(long, env = "FLASH_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Option<Vec<String>>,
    /// Piston API: refuse a `version` no installed toolchain matches, as Piston does
    /// [default: false: the installed version serves it].
    #[arg(long, env = "FLASH_PISTON_STRICT_VERSIONS", num_args = 0..=1, default_missing_value = "true")]
    piston_strict_versions: Option<bool>,
    /// Jobe API: the key clients send in X-API-KEY [default: none needed].
    #[arg(long, env = "FLASH_JOBE_API_KEY")]
    jobe_api_key: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "FLASH_LOG_FORMAT")]
    log_format: Option<String>,
    /// Log level: error, warn, info, debug or trace [default: info].
    #[arg(long, env = "FLASH_LOG_LEVEL")]
    log_level: Option<String>,
    /// Print the merged configuration as TOML and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
}

/// Runs the service until SIGTERM or Ctrl-C.
pub fn main(a: ServeArgs) -> anyhow::Result<i32> {
    let cfg = load(&a)?;
    if a.print_config {
        print!("{}", toml::to_string(&cfg).context("printing the configuration")?);
        return Ok(0);
    }
    init_logging(&cfg)?;
    let (engine, table) = engine(&cfg, "flash serve")?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let served = rt.block_on(serve(cfg, engine, table));
    // Jobs still in the sandbox after the grace period were requeued; do not wait for them.
    rt.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| 0)
}

/// The data directory, the language table and the engine over a sandbox
/// pool of `cfg.workers` slots (root needed); `who` names the command in errors.
pub(crate) fn engine(cfg: &ServerConfig, who: &str) -> anyhow::Result<(Arc<Engine>, LanguageTable)> {
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating the data directory {}", cfg.data_dir.display()))?;
    let text = registry_text(cfg.languages.as_deref())?;
    let registry = Registry::probed(&text)?;
    for (name, why) in registry.unavailable() {
        tracing::warn!(language = %name, reason = %why, "language not offered");
    }
    let table = LanguageTable::new(&text, &registry);
    // Precompiled headers live next to the compile cache and are shown in every box.
    let pch_dir = cfg.data_dir.join("pch");
    let pch =
        flash_engine::Pch::plan(&registry, &pch_dir).with_context(|| format!("creating {}", pch_dir.display()))?;
    // So do the JVM's class-data-sharing archives (warm runtimes).
    let warm_dir = cfg.data_dir.join("warm");
    let warm =
        flash_engine::Warm::plan(&registry, &warm_dir).with_context(|| format!("creating {}", warm_dir.display()))?;
    let mut pool_cfg = PoolConfig::new(cfg.workers)?;
    pool_cfg.mounts.push(pch.mount());
    pool_cfg.mounts.push(warm.mount());
    // Judge0's toolchain paths (/usr/local/gcc-9.2.0/bin/g++, ...) for its multi-file programs.
    pool_cfg.links = flash_engine::links::shipped();
    let pool = Pool::new(pool_cfg).with_context(|| {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let hint = if root { "" } else { "; it needs root" };
        format!("{who} cannot build the sandbox{hint} (`flash check` tells what this host lacks)")
    })?;
    let report = pool.cgroup_report();
    tracing::info!(
        cgroup = ?report.version,
        parent = %report.parents.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
        arranged = %report.arranged,
        memory = ?report.memory_method,
        "sandbox ready"
    );
    let mut engine_cfg = EngineConfig::new(cfg.data_dir.join("cache")).with_env().map_err(anyhow::Error::msg)?;
    engine_cfg.pch = Some(pch.clone());
    engine_cfg.warm = Some(warm.clone());
    let engine = Arc::new(Engine::new(Arc::new(pool), registry, engine_cfg)?);
    // Built once per toolchain and flag set, in the background: until then
    // compiles read the headers themselves and JVMs start without the archive
    // (`/health` says `warming`).
    engine.set_warming(true);
    let warming = engine.clone();
    std::thread::spawn(move || {
        for (language, result) in pch.build() {
            match result {
                Ok(()) => {
                    tracing::info!(%language, headers = %flash_engine::pch::HEADERS.join(" "), "precompiled headers ready")
                }
                Err(e) => tracing::warn!(%language, error = %e, "precompiled headers not built; compiling plainly"),
            }
        }
        flash_engine::warm::log_built(warm.build_eager());
        warming.set_warming(false);
    });
    Ok((engine, table))
}

async fn serve(cfg: ServerConfig, engine: Arc<Engine>, table: LanguageTable) -> anyhow::Result<()> {
    let (store, cluster): (Arc<dyn JobStore>, Option<Arc<dyn Cluster>>) = match connect(&cfg).await? {
        Some(redis) => {
            publish(&redis, &table).await?;
            (redis.clone(), Some(redis))
        }
        None => (Arc::new(SqliteStore::open(&cfg.data_dir.join("jobs.db"), cfg.fsync)?), None),
    };
    let listener =
        tokio::net::TcpListener::bind(&cfg.listen).await.with_context(|| format!("listening on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let workers = cfg.workers;
    let svc = Service::open_with(cfg, store, engine, cluster).await?;
    let stop = shutdown_signal();
    tracing::info!(%addr, workers, "flash serve is listening");
    // One line on stdout for scripts that start the server on port 0.
    println!("flash serve: listening on http://{addr}");
    flash_server::run(listener, stop, svc).await?;
    tracing::info!("flash serve stopped");
    Ok(())
}

/// The Redis store when `redis_url` is set: the URL is checked at once (a bad
/// one is an error), an unreachable Redis is waited for.
pub(crate) async fn connect(cfg: &ServerConfig) -> anyhow::Result<Option<Arc<RedisStore>>> {
    let Some(rc) = flash_server::redis_config(cfg) else { return Ok(None) };
    let url = redact(&rc.url);
    let store = RedisStore::connect_waiting(rc).await.with_context(|| format!("connecting to Redis at {url}"))?;
    tracing::info!(%url, id = store.id(), "connected to Redis");
    Ok(Some(Arc::new(store)))
}

/// Publishes the language table this process judges with, for `flash server`s.
pub(crate) async fn publish(redis: &RedisStore, table: &LanguageTable) -> anyhow::Result<()> {
    let json = serde_json::to_string(table)?;
    redis.publish_languages(&json).await.context("publishing the language table to Redis")
}

/// SIGTERM or SIGINT. The handlers are installed when this is called (inside
/// the runtime), not when the future is first polled, so a signal that comes
/// right after a role says it is ready is not lost.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// The shipped (or configured) language table plus Judge0's multi-file program.
#[cfg(test)]
fn registry(path: Option<&std::path::Path>) -> anyhow::Result<Registry> {
    Ok(Registry::probed(&registry_text(path)?)?)
}

/// The text of the language table: the shipped (or configured) one plus
/// Judge0's multi-file program.
fn registry_text(path: Option<&std::path::Path>) -> anyhow::Result<String> {
    let mut text = match path {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        None => flash_engine::registry::SHIPPED.to_owned(),
    };
    let has_89 = text.lines().any(|l| l.replace(' ', "") == "id=89");
    if !has_89 {
        text.push_str(MULTI_FILE_TOML);
    }
    Ok(text)
}

/// File, then environment and flags (clap has merged those two).
pub(crate) fn load(a: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let mut c = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            ServerConfig::from_toml(&text).map_err(anyhow::Error::msg).with_context(|| format!("in {}", p.display()))?
        }
        None => ServerConfig::default(),
    };
    fn set<T: Clone>(dst: &mut T, v: &Option<T>) {
        if let Some(v) = v {
            *dst = v.clone();
        }
    }
    set(&mut c.listen, &a.listen);
    set(&mut c.data_dir, &a.data_dir);
    set(&mut c.workers, &a.workers);
    set(&mut c.max_queue_size, &a.max_queue_size);
    set(&mut c.max_body_size, &a.max_body_size);
    set(&mut c.retention_secs, &a.retention);
    set(&mut c.limits.max_cpu_time_limit, &a.max_cpu_time_limit);
    set(&mut c.limits.max_wall_time_limit, &a.max_wall_time_limit);
    set(&mut c.limits.max_memory_limit, &a.max_memory_limit);
    set(&mut c.limits.max_stack_limit, &a.max_stack_limit);
    set(&mut c.limits.max_max_processes_and_or_threads, &a.max_processes);
    set(&mut c.limits.max_max_file_size, &a.max_file_size);
    set(&mut c.limits.max_output_limit, &a.max_output_limit);
    set(&mut c.limits.max_number_of_runs, &a.max_number_of_runs);
    set(&mut c.max_submission_batch_size, &a.max_batch_size);
    set(&mut c.enable_callbacks, &a.enable_callbacks);
    set(&mut c.allow_private_callbacks, &a.allow_private_callbacks);
    set(&mut c.enable_submission_delete, &a.enable_submission_delete);
    set(&mut c.fsync, &a.fsync);
    set(&mut c.shutdown_grace_secs, &a.shutdown_grace);
    set(&mut c.reclaim_idle_secs, &a.reclaim_idle);
    set(&mut c.max_deliveries, &a.max_deliveries);
    set(&mut c.redis_prefix, &a.redis_prefix);
    if a.redis.is_some() {
        c.redis_url = a.redis.clone().filter(|u| !u.is_empty());
    }
    if let Some(o) = &a.cors_origins {
        c.cors_allowed_origins = o.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    }
    set(&mut c.piston_strict_versions, &a.piston_strict_versions);
    if a.jobe_api_key.is_some() {
        c.jobe_api_key = a.jobe_api_key.clone();
    }
    set(&mut c.log_format, &a.log_format);
    set(&mut c.log_level, &a.log_level);
    if a.auth_token.is_some() {
        c.auth_token = a.auth_token.clone();
    }
    if a.authz_token.is_some() {
        c.authz_token = a.authz_token.clone();
    }
    if a.languages.is_some() {
        c.languages = a.languages.clone();
    }
    lower_defaults_to_caps(&mut c);
    c.validate().map_err(anyhow::Error::msg).context("invalid configuration")?;
    if let Some(url) = &c.redis_url {
        flash_server::store::redis::check_url(url)?;
    }
    Ok(c)
}

/// A maximum set below its default lowers the default with it, so
/// `--max-cpu-time-limit 2` alone is a valid configuration.
fn lower_defaults_to_caps(c: &mut ServerConfig) {
    let l = &mut c.limits;
    l.cpu_time_limit = l.cpu_time_limit.min(l.max_cpu_time_limit);
    l.wall_time_limit = l.wall_time_limit.min(l.max_wall_time_limit);
    l.cpu_extra_time = l.cpu_extra_time.min(l.max_cpu_extra_time);
    l.memory_limit = l.memory_limit.min(l.max_memory_limit);
    l.stack_limit = l.stack_limit.min(l.max_stack_limit);
    l.max_processes_and_or_threads = l.max_processes_and_or_threads.min(l.max_max_processes_and_or_threads);
    l.max_file_size = l.max_file_size.min(l.max_max_file_size);
    l.output_limit = l.output_limit.min(l.max_output_limit);
    l.number_of_runs = l.number_of_runs.min(l.max_number_of_runs);
}

pub(crate) fn init_logging(cfg: &ServerConfig) -> anyhow::Result<()> {
    let level: tracing::Level = match cfg.log_level.parse() {
        Ok(l) => l,
        Err(_) => bail!("invalid log_level {:?}: use error, warn, info, debug or trace", cfg.log_level),
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let done = if cfg.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
    done.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_lower_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flash.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:1\"\nworkers = 3\n[limits]\nmax_cpu_time_limit = 10.0\n").unwrap();
        let a = ServeArgs {
            config: Some(file),
            workers: Some(5),
            max_cpu_time_limit: Some(2.0),
            enable_callbacks: Some(true),
            ..ServeArgs::default()
        };
        let c = load(&a).unwrap();
        assert_eq!(c.listen, "0.0.0.0:1", "from the file");
        assert_eq!(c.workers, 5, "the flag wins");
        assert_eq!(c.limits.max_cpu_time_limit, 2.0);
        assert_eq!(c.limits.cpu_time_limit, 2.0, "the default follows the cap down");
        assert!(c.enable_callbacks);
        let bad = ServeArgs { workers: Some(0), ..ServeArgs::default() };
        assert!(format!("{:#}", load(&bad).unwrap_err()).contains("workers"));
    }

    #[test]
    fn redis_flags_are_checked_before_anything_starts() {
        let a = ServeArgs {
            redis: Some("redis://127.0.0.1:1/2".into()),
            reclaim_idle: Some(5),
            max_deliveries: Some(4),
            ..ServeArgs::default()
        };
        let c = load(&a).unwrap();
        assert_eq!(
            (c.redis_url.as_deref(), c.reclaim_idle_secs, c.max_deliveries),
            (Some("redis://127.0.0.1:1/2"), 5, 4)
        );
        let bad = ServeArgs { redis: Some("localhost:6379".into()), ..ServeArgs::default() };
        assert!(format!("{:#}", load(&bad).unwrap_err()).contains("invalid Redis URL"));
        let none = ServeArgs { redis: Some(String::new()), ..ServeArgs::default() };
        assert_eq!(load(&none).unwrap().redis_url, None, "an empty URL means the embedded store");
    }

    #[test]
    fn the_multi_file_language_is_added_once() {
        let r = registry(None).unwrap();
        let n = r.languages().iter().filter(|l| l.id() == 89).count()
            + r.unavailable().iter().filter(|(n, _)| n == "Multi-file program").count();
        assert_eq!(n, 1);
    }
}
