//! The service's configuration: one serde struct read from a TOML file, then
//! overridden by environment variables and flags (the binary does the
//! merging; this module holds the types, the defaults and the checks).
//!
//! Names follow Judge0's `config_info` keys where Judge0 has the same knob, so
//! an operator who knows Judge0 knows these.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Everything `flash serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Where the job database and the compile cache live.
    pub data_dir: PathBuf,
    /// Jobs judged at once (and sandbox slots).
    pub workers: usize,
    /// Jobs waiting (not yet running) before new ones are refused with 503.
    pub max_queue_size: usize,
    /// Debug traces (`POST /debug`) recorded at once by a `flash serve`; 0:
    /// `workers`. Each holds a blocking thread and then a sandbox slot.
    pub max_debug_concurrency: usize,
    /// Debug requests that may wait for a turn beyond those; more are refused
    /// at once with 503 and `Retry-After`. Waiting holds no thread.
    pub max_debug_waiting: usize,
    /// Longest a debug request waits for its turn, seconds; then 503 and `Retry-After`.
    pub debug_wait_secs: u64,
    /// Largest request body, bytes (413 above it).
    pub max_body_size: usize,
    /// When set, every request but `/health` needs this in `X-Auth-Token`.
    pub auth_token: Option<String>,
    /// Named API keys, each with its own limits (see [`crate::keys`]); with
    /// any, every request but `/health` needs a key or `auth_token`.
    pub api_keys: Vec<ApiKey>,
    /// Hosts the runs of requests without an API key (no auth, or
    /// `auth_token`) may reach when they ask for network; each key has its
    /// own list. Empty, the default: no network.
    pub network: Vec<String>,
    /// Whose compiles share the compile cache: `"shared"` (everyone's; a
    /// cache hit is fast, so a client can tell by timing whether anyone
    /// compiled the same source before) or `"key"` (each API key's apart, so
    /// timing tells a client only about its own key's submissions).
    pub compile_cache_scope: String,
    /// When set, listing and deleting submissions need it in `X-Auth-User`
    /// (Judge0's authorization token); without it those endpoints answer 403.
    pub authz_token: Option<String>,
    /// Finished jobs are deleted this many seconds after they finished (0 keeps them).
    pub retention_secs: u64,
    /// Default and maximum limits a client may ask for.
    pub limits: LimitsConfig,
    /// Most submissions in one batch request.
    pub max_submission_batch_size: usize,
    /// Most test cases in one native submission.
    pub max_tests: usize,
    /// Whether `wait=true` is honoured.
    pub enable_wait_result: bool,
    /// Longest a `wait=true` request blocks, seconds; then it answers with the job as it is.
    pub max_wait_secs: u64,
    /// Whether clients may pass compiler options.
    pub enable_compiler_options: bool,
    /// Whether clients may pass command-line arguments.
    pub enable_command_line_arguments: bool,
    /// Whether `DELETE /submissions/{token}` is allowed (Judge0's default: no).
    pub enable_submission_delete: bool,
    /// Whether Judge0's `additional_files` (a zip) is accepted.
    pub enable_additional_files: bool,
    /// Total size of the files unpacked from `additional_files`, KB.
    pub max_extract_size: u64,
    /// Most files in `additional_files`.
    pub max_extract_files: usize,
    /// Largest problem package archive `POST /packages` takes, KiB.
    pub max_package_size: u64,
    /// Total size of the files a package archive may unpack to, KiB.
    pub max_package_unpacked_size: u64,
    /// Most entries (files, links, folders) in a package archive.
    pub max_package_entries: usize,
    /// Disk this process may fill with unpacked packages, KiB (least
    /// recently used first out; a package in use stays).
    pub package_cache_size: u64,
    /// Whether `callback_url` is accepted (off by default: it makes the server send requests).
    pub enable_callbacks: bool,
    /// Callbacks may go to loopback and private addresses (off: such URLs are refused).
    pub allow_private_callbacks: bool,
    /// Attempts per callback.
    pub callbacks_max_tries: u32,
    /// Timeout of one callback attempt, seconds.
    pub callbacks_timeout: f64,
    /// Seconds a running job may take to finish after SIGTERM before it is requeued.
    pub shutdown_grace_secs: u64,
    /// fsync every commit (SQLite `synchronous=FULL`): survives power loss, not
    /// only a crash of the process, at some cost per job.
    pub fsync: bool,
    /// Language table replacing the shipped one.
    pub languages: Option<PathBuf>,
    /// Extra Judge0 language ids served by one of ours, `"52" = 54` (Judge0
    /// 1.13.1 had several compiler versions per language, and clients hard-code ids).
    pub judge0_language_aliases: BTreeMap<String, u32>,
    /// The id under which Judge0's `/languages` lists a toolchain, when not
    /// its own: `"54" = 52` lists C++ once, as 52, the id the official Judge0
    /// Python SDK submits C++ with (it refuses a language `/languages` lacks).
    /// Every other id of the toolchain is archived and still takes submissions.
    pub judge0_listed_ids: BTreeMap<String, u32>,
    /// Redis URL (`redis://[:password@]host[:port][/db]`): the queue and the
    /// results live in Redis, shared by every `flash serve`, `flash server` and
    /// `flash worker` given the same URL. Unset: the embedded SQLite store.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (several deployments can share one Redis).
    pub redis_prefix: String,
    /// Redis: a job whose worker stopped (died, lost the network) is run again
    /// by another worker after this many seconds; a running job's worker
    /// refreshes it every third of this, so long jobs are never taken over.
    pub reclaim_idle_secs: u64,
    /// Redis: a job delivered this many times without a stored result (its
    /// workers kept dying) goes to the dead-letter stream as Internal Error.
    pub max_deliveries: u32,
    /// Origins a browser page may call the API from (CORS): `"*"` (any, as
    /// Judge0 allows) or a list of origins such as `"https://judge.example"`.
    pub cors_allowed_origins: Vec<String>,
    /// What Judge0's `/about` answers as `homepage`.
    pub about_homepage: String,
    /// What Judge0's `/about` answers as `source_code`.
    pub about_source_code: String,
    /// Piston API: a `version` that matches no installed toolchain is refused
    /// (Piston's own behaviour) instead of served by the installed version.
    pub piston_strict_versions: bool,
    /// Jobe API: when set, requests to `/jobe/...` need it in `X-API-KEY`
    /// (the server's `auth_token` is accepted there too).
    pub jobe_api_key: Option<String>,
    /// Sessions: workspaces that live across runs (see [`crate::sessions`]).
    pub sessions: SessionsConfig,
    /// Log format: "text" or "json".
    pub log_format: String,
    /// Least severe log level shown: error, warn, info, debug, trace.
    pub log_level: String,
}

/// One named API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// Shown on log lines and metrics (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// The secret, presented in `X-Auth-Token` (or Jobe's `X-API-KEY`).
    pub key: String,
    /// Requests per minute; 0: no limit.
    #[serde(default)]
    pub requests_per_minute: u32,
    /// Requests in flight at once (a `wait=true` or `/debug` request is in
    /// flight until answered); 0: no limit.
    #[serde(default)]
    pub max_concurrent: u32,
    /// Hosts this key's runs may reach when a request asks for network
    /// (`host`, `host:port`, `*.domain`, an address; see the README's
    /// "Network"); empty, the default: no network.
    #[serde(default)]
    pub network: Vec<String>,
}

/// Sessions' bounds. A session's files live on the disk of the server that
/// serves its API (`dir`); several `flash server`s behind one address must
/// share that directory (shared storage such as NFS). Workers need no access
/// to it: the workspace travels with each job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionsConfig {
    /// Whether the session endpoints are served.
    pub enabled: bool,
    /// Where workspaces are kept; default `<data_dir>/sessions`.
    pub dir: Option<PathBuf>,
    /// Sessions one key may hold at once.
    pub max_per_key: usize,
    /// A workspace's total size, KiB.
    pub max_size_kb: u64,
    /// Files in a workspace.
    pub max_files: usize,
    /// One file's size, KiB (uploads, and what a run may leave).
    pub max_file_kb: u64,
    /// A session unused for this long is deleted, seconds (the default; a
    /// session may ask for less or up to `max_idle_timeout_secs`).
    pub idle_timeout_secs: u64,
    /// See `idle_timeout_secs`.
    pub max_idle_timeout_secs: u64,
    /// A session is deleted this long after it was made, however used, seconds.
    pub max_age_secs: u64,
    /// See `max_age_secs`.
    pub max_max_age_secs: u64,
    /// Largest file a run's `copy_out` returns inline, KiB (the rest are downloaded).
    pub max_copy_out_kb: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            enabled: true,
            dir: None,
            max_per_key: 16,
            max_size_kb: 16 * 1024,
            max_files: 256,
            max_file_kb: 4 * 1024,
            idle_timeout_secs: 30 * 60,
            max_idle_timeout_secs: 24 * 3600,
            max_age_secs: 24 * 3600,
            max_max_age_secs: 7 * 24 * 3600,
            max_copy_out_kb: 1024,
        }
    }
}

impl SessionsConfig {
    /// Checks the bounds; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let pairs = [
            ("idle_timeout_secs", self.idle_timeout_secs, self.max_idle_timeout_secs),
            ("max_age_secs", self.max_age_secs, self.max_max_age_secs),
            ("max_file_kb", self.max_file_kb, self.max_size_kb),
        ];
        for (name, v, max) in pairs {
            if v == 0 || v > max {
                return Err(format!("sessions.{name} ({v}) must be at least 1 and at most its maximum ({max})"));
            }
        }
        if self.max_files == 0 || self.max_per_key == 0 {
            return Err("sessions.max_files and sessions.max_per_key must be at least 1".into());
        }
        Ok(())
    }
}

/// Defaults and maxima of the limits a client may set (Judge0's names and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// CPU seconds.
    pub cpu_time_limit: f64,
    /// See `cpu_time_limit`.
    pub max_cpu_time_limit: f64,
    /// Accepted and shown for Judge0 clients; the box's CPU limit is `cpu_time_limit`.
    pub cpu_extra_time: f64,
    /// See `cpu_extra_time`.
    pub max_cpu_extra_time: f64,
    /// Wall seconds.
    pub wall_time_limit: f64,
    /// See `wall_time_limit`.
    pub max_wall_time_limit: f64,
    /// KB.
    pub memory_limit: u64,
    /// See `memory_limit`.
    pub max_memory_limit: u64,
    /// KB.
    pub stack_limit: u64,
    /// See `stack_limit`.
    pub max_stack_limit: u64,
    /// Processes and threads at once.
    pub max_processes_and_or_threads: u64,
    /// See `max_processes_and_or_threads`.
    pub max_max_processes_and_or_threads: u64,
    /// Largest file (and, for Judge0 clients, output) the program may write, KB.
    pub max_file_size: u64,
    /// See `max_file_size`.
    pub max_max_file_size: u64,
    /// stdout + stderr of a native submission, KB.
    pub output_limit: u64,
    /// See `output_limit`.
    pub max_output_limit: u64,
    /// Runs of each Judge0 submission (time and memory are averaged).
    pub number_of_runs: u32,
    /// See `number_of_runs`.
    pub max_number_of_runs: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            cpu_time_limit: 5.0,
            max_cpu_time_limit: 15.0,
            cpu_extra_time: 1.0,
            max_cpu_extra_time: 5.0,
            wall_time_limit: 10.0,
            max_wall_time_limit: 20.0,
            memory_limit: 128_000,
            max_memory_limit: 512_000,
            stack_limit: 64_000,
            max_stack_limit: 128_000,
            max_processes_and_or_threads: 60,
            max_max_processes_and_or_threads: 120,
            max_file_size: 1024,
            max_max_file_size: 4096,
            output_limit: 1024,
            max_output_limit: 4096,
            number_of_runs: 1,
            max_number_of_runs: 20,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:2358".into(),
            data_dir: default_data_dir(),
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_queue_size: 1000,
            max_debug_concurrency: 0,
            max_debug_waiting: 16,
            debug_wait_secs: 10,
            max_body_size: 4 << 20,
            auth_token: None,
            authz_token: None,
            api_keys: Vec::new(),
            network: Vec::new(),
            compile_cache_scope: "shared".into(),
            retention_secs: 7 * 24 * 3600,
            limits: LimitsConfig::default(),
            max_submission_batch_size: 20,
            max_tests: 100,
            enable_wait_result: true,
            max_wait_secs: 300,
            enable_compiler_options: true,
            enable_command_line_arguments: true,
            enable_submission_delete: false,
            enable_additional_files: true,
            max_extract_size: 10240,
            max_extract_files: 100,
            max_package_size: 32 * 1024,
            max_package_unpacked_size: 256 * 1024,
            max_package_entries: 25_000,
            package_cache_size: 1024 * 1024,
            enable_callbacks: false,
            allow_private_callbacks: false,
            callbacks_max_tries: 3,
            callbacks_timeout: 5.0,
            shutdown_grace_secs: 30,
            fsync: false,
            languages: None,
            judge0_language_aliases: [("48", 50), ("49", 50), ("52", 54), ("53", 54)]
                .map(|(a, b)| (a.to_owned(), b))
                .into(),
            judge0_listed_ids: [("54".to_owned(), 52)].into(),
            redis_url: None,
            redis_prefix: "flash".into(),
            reclaim_idle_secs: 30,
            max_deliveries: 3,
            cors_allowed_origins: vec!["*".into()],
            about_homepage: "/".into(),
            about_source_code: "Flash, MIT OR Apache-2.0 (see /license)".into(),
            piston_strict_versions: false,
            jobe_api_key: None,
            sessions: SessionsConfig::default(),
            log_format: "text".into(),
            log_level: "info".into(),
        }
    }
}

/// `$XDG_DATA_HOME/flash`, else `~/.local/share/flash`, else `./flash-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("flash");
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/flash"),
        None => PathBuf::from("flash-data"),
    }
}

impl ServerConfig {
    /// Parses a TOML configuration file's text.
    pub fn from_toml(text: &str) -> Result<ServerConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Checks that the numbers make sense together; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for k in &self.api_keys {
            let ok = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
            if k.name.is_empty() || k.name.len() > 64 || !k.name.chars().all(ok) || k.name == "token" {
                return Err(format!(
                    "api_keys: name {:?} must be 1 to 64 letters, digits, '-', '_' or '.' (and not \"token\", the name of auth_token)",
                    k.name
                ));
            }
            if k.key.len() < 16 {
                return Err(format!("api_keys: the key of {} must be at least 16 characters", k.name));
            }
            if !seen.insert(k.name.as_str()) || !seen.insert(k.key.as_str()) {
                return Err(format!("api_keys: {} is given twice (names and keys must be unique)", k.name));
            }
            if self.auth_token.as_deref() == Some(k.key.as_str()) {
                return Err(format!("api_keys: the key of {} is the auth_token", k.name));
            }
            flash_sandbox::proxy::Allow::parse(&k.network)
                .map_err(|e| format!("api_keys: network of {}: {e}", k.name))?;
        }
        flash_sandbox::proxy::Allow::parse(&self.network).map_err(|e| format!("network: {e}"))?;
        self.sessions.validate()?;
        if !["shared", "key"].contains(&self.compile_cache_scope.as_str()) {
            return Err(format!(
                "compile_cache_scope must be \"shared\" or \"key\", got {:?}",
                self.compile_cache_scope
            ));
        }
        let l = &self.limits;
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a positive number, got {v}"))
            }
        };
        for (name, v) in [
            ("limits.cpu_time_limit", l.cpu_time_limit),
            ("limits.max_cpu_time_limit", l.max_cpu_time_limit),
            ("limits.wall_time_limit", l.wall_time_limit),
            ("limits.max_wall_time_limit", l.max_wall_time_limit),
            ("callbacks_timeout", self.callbacks_timeout),
        ] {
            pos(name, v)?;
        }
        if !(l.cpu_extra_time >= 0.0 && l.cpu_extra_time <= l.max_cpu_extra_time) {
            return Err("limits.cpu_extra_time must be in [0, max_cpu_extra_time]".into());
        }
        let pairs: [(&str, f64, f64); 9] = [
            ("cpu_time_limit", l.cpu_time_limit, l.max_cpu_time_limit),
            ("wall_time_limit", l.wall_time_limit, l.max_wall_time_limit),
            ("memory_limit", l.memory_limit as f64, l.max_memory_limit as f64),
            ("stack_limit", l.stack_limit as f64, l.max_stack_limit as f64),
            (
                "max_processes_and_or_threads",
                l.max_processes_and_or_threads as f64,
                l.max_max_processes_and_or_threads as f64,
            ),
            ("max_file_size", l.max_file_size as f64, l.max_max_file_size as f64),
            ("output_limit", l.output_limit as f64, l.max_output_limit as f64),
            ("number_of_runs", l.number_of_runs as f64, l.max_number_of_runs as f64),
            ("memory_limit (at least 2048)", 2048.0, l.memory_limit as f64),
        ];
        for (name, default, max) in pairs {
            if default < 1.0 || default > max {
                return Err(format!(
                    "limits.{name}: the default ({default}) must be at least 1 and at most the maximum ({max})"
                ));
            }
        }
        if self.workers == 0 || self.workers > 1000 {
            return Err(format!("workers must be in 1..=1000, got {}", self.workers));
        }
        if self.max_queue_size == 0 || self.max_submission_batch_size == 0 {
            return Err("max_queue_size and max_submission_batch_size must be positive".into());
        }
        if self.max_body_size < 1024 {
            return Err("max_body_size must be at least 1024 bytes".into());
        }
        if !["text", "json"].contains(&self.log_format.as_str()) {
            return Err(format!("log_format must be \"text\" or \"json\", got {:?}", self.log_format));
        }
        if let Some(k) = self.judge0_listed_ids.keys().find(|k| k.parse::<u32>().is_err()) {
            return Err(format!("judge0_listed_ids: key {k:?} is not a language id"));
        }
        if let Some(k) = self.judge0_language_aliases.keys().find(|k| k.parse::<u32>().is_err()) {
            return Err(format!("judge0_language_aliases: key {k:?} is not a language id"));
        }
        if self.reclaim_idle_secs == 0 || self.max_deliveries == 0 {
            return Err("reclaim_idle_secs and max_deliveries must be positive".into());
        }
        let bad_prefix =
            |p: &str| p.is_empty() || p.len() > 64 || p.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad_prefix(&self.redis_prefix) {
            return Err(format!("redis_prefix must be 1 to 64 characters without spaces, got {:?}", self.redis_prefix));
        }
        if self.auth_token.as_deref().is_some_and(str::is_empty)
            || self.authz_token.as_deref().is_some_and(str::is_empty)
        {
            return Err("auth_token and authz_token must not be empty when set".into());
        }
        for o in &self.cors_allowed_origins {
            let ok = o == "*"
                || ((o.starts_with("http://") || o.starts_with("https://"))
                    && o.bytes().all(|b| b.is_ascii_graphic())
                    && !o.ends_with('/'));
            if !ok {
                return Err(format!(
                    "cors_allowed_origins: {o:?} is not \"*\" nor an origin like \"https://judge.example\" (scheme and host, no path)"
                ));
            }
        }
        if self.jobe_api_key.as_deref().is_some_and(str::is_empty) {
            return Err("jobe_api_key must not be empty when set".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_match_judge0() {
        let c = ServerConfig::default();
        c.validate().unwrap();
        assert_eq!(c.listen, "127.0.0.1:2358");
        assert_eq!(c.limits.max_cpu_time_limit, 15.0);
        assert_eq!(c.limits.memory_limit, 128_000);
    }

    #[test]
    fn inconsistent_limits_name_the_key() {
        let mut c = ServerConfig::default();
        c.limits.memory_limit = 600_000;
        let e = c.validate().unwrap_err();
        assert!(e.contains("memory_limit"), "{e}");
        let mut c = ServerConfig::default();
        c.limits.cpu_time_limit = f64::NAN;
        assert!(c.validate().unwrap_err().contains("cpu_time_limit"));
    }

    #[test]
    fn cors_origins_are_checked() {
        let mut c = ServerConfig::default();
        assert_eq!(c.cors_allowed_origins, ["*"], "Judge0 allows any origin");
        c.cors_allowed_origins = vec!["https://a.example".into(), "http://127.0.0.1:8080".into()];
        c.validate().unwrap();
        c.cors_allowed_origins = vec!["a.example/x".into()];
        assert!(c.validate().unwrap_err().contains("cors_allowed_origins"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = ServerConfig::from_toml("listne = \"x\"\n").unwrap_err();
        assert!(e.contains("listne"), "{e}");
    }
}
