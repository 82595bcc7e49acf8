//! Flash's step-by-step debugger (`POST /debug`, `flash debug FILE`): runs a
//! program under a tracer inside the sandbox and answers a recorded trace.
//!
//! Layout:
//! - [`types`]: the request, the limits and the [`Trace`] (serde; the HTTP API's field names).
//! - [`backend`]: per language, the debug build and the tracer command, as data with reasons.
//! - [`run`]: one request: compile (through the engine and its cache), run the
//!   tracer in a box of the engine's sandbox, read the trace, decide the status.
//! - [`parse`]: the tracer's output is untrusted: JSON lines read within byte
//!   and step budgets, every value bounded again.
//! - [`jdi`]: the Java tracer's classes, compiled once per process.
//! - `tracers/`: the tracers themselves, put into the box next to the user's file:
//!   `tracer.py` (sys.settrace), `tracer_gdb.py` (gdb's Python API, C and C++),
//!   `tracer.js` (Node's in-process inspector), `Tracer.java` (JDI).
//!
//! Every tracer runs inside the box with the program, under the same kind of
//! limits as a normal run, and traces only the user's file. It writes one JSON
//! line per step, and a last line saying why it stopped, to a descriptor the
//! sandbox opened for it alone (`RunSpec::private_output`: an unnamed file of
//! the box, handed back after the run). The program never inherits it. gdb
//! and the Java tracer's JVM make themselves non-dumpable, so the program
//! cannot reach their descriptors or memory through `/proc` either: with C,
//! C++ and Java the trace is the tracer's alone. The Python and JavaScript
//! tracers share the program's process, so there the program can write into
//! its own trace (as into its own output); the parser bounds what any trace
//! costs (bytes, steps, values).
//!
//! What a step means, per backend:
//! - Python: `sys.settrace` events as they are (`call` on the `def` line,
//!   `exception` in each frame the exception passes through).
//! - C, C++: one `line` step per line-table line reached (a `for` header once
//!   per iteration), `call` at the function's first line once its arguments
//!   are set, `return` right after it returns (value from a finish breakpoint),
//!   `exception` where a C++ exception is thrown, `uncaught_exception` for a
//!   fatal signal (SIGSEGV, SIGABRT after an uncaught throw, ...).
//! - JavaScript: one step per line reached (several breakable locations on a
//!   line are one step), `return` at the return point with its value,
//!   `exception` for throws in the user's code, `uncaught_exception` as V8 predicts it.
//! - Java: one step per line (a loop's closing brace is not a step, its header
//!   is, once per iteration), method entry and exit events for call and return.
//!
//! `stdout_len` counts bytes of the program's raw stdout. It is exact at the
//! file-descriptor level for C, C++ and Java; Python counts what goes through
//! `sys.stdout` and JavaScript what goes through `process.stdout.write` (a raw
//! `os.write(1, ...)` or `fs.writeSync(1, ...)` is not counted).
//!
//! ```no_run
//! # fn demo(engine: &flash_engine::Engine) -> Result<(), flash_debugger::Error> {
//! let req = flash_debugger::DebugRequest {
//!     code: "print(6 * 7)\n".into(),
//!     language: "python".into(),
//!     ..Default::default()
//! };
//! let trace = flash_debugger::debug(engine, &req, &flash_debugger::DebugLimits::default())?;
//! println!("{}", serde_json::to_string(&trace).unwrap());
//! # Ok(()) }
//! ```

pub mod backend;
pub mod jdi;
pub mod parse;
pub mod run;
pub mod types;

pub use run::debug;
pub use types::{DebugLimits, DebugRequest, Entry, Event, Frame, Step, Trace, TraceStatus, UsedLimits, Value, Var};

/// Why a request cannot be traced at all. Anything that goes wrong once it
/// runs is a [`TraceStatus`] instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No language by that name, alias or id.
    #[error("unknown language {0:?}")]
    UnknownLanguage(String),
    /// The language exists but has no debugger.
    #[error("{0} cannot be debugged (the debugger supports C, C++, Python, JavaScript and Java)")]
    Unsupported(String),
    /// `max_steps` out of range, or unusable limits.
    #[error("invalid debug request: {0}")]
    Invalid(String),
}
