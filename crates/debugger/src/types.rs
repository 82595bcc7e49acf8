//! What a caller asks ([`DebugRequest`], [`DebugLimits`]) and gets ([`Trace`]).
//!
//! The trace is plain serde data whose field names are the HTTP API's
//! (`POST /debug`). Values are rendered by the tracer inside the box and
//! bounded again here (see [`crate::parse`]): every integer is a string, so
//! 64-bit values survive JSON.
//!
//! With the `openapi` feature the request and the trace describe themselves
//! (`utoipa::ToSchema`): the server's OpenAPI document is derived from them.

use serde::{Deserialize, Serialize};

/// One debug request: the same inputs as a run, plus a step budget.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DebugRequest {
    /// The program's source text.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub code: String,
    /// Language name, alias or Judge0 id (as the registry knows it).
    pub language: String,
    /// stdin for the program.
    #[serde(default)]
    pub input: String,
    /// Steps to record before stopping: the server's default when absent, at
    /// most the server's cap (the limits' `max_steps_default` and `max_steps_cap`).
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// Fired when the trace is not wanted any more (its client left): the
    /// traced run ends at once and the trace answers `internal_error`.
    #[serde(skip)]
    pub cancel: Option<flash_sandbox::Cancel>,
}

/// The bounds of every debug run (the server's configuration; requests choose
/// only `max_steps`, within `max_steps_cap`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DebugLimits {
    /// Steps recorded when the request names none.
    pub max_steps_default: u32,
    /// The most steps a request may ask for.
    pub max_steps_cap: u32,
    /// Bytes of trace (the tracer's JSON lines) before it stops with `trace_size_limit`.
    pub trace_bytes: u64,
    /// CPU seconds of the debug run (tracer and program together).
    pub cpu_time: f64,
    /// Wall seconds of the debug run.
    pub wall_time: f64,
    /// Memory of the debug run (tracer and program together), KiB; backends
    /// may need more (see the backend table).
    pub memory_kb: u64,
    /// Processes and threads; backends may need more.
    pub processes: u64,
    /// stdout and stderr together, KiB.
    pub output_kb: u64,
    /// Largest file a process may write, KiB. The trace file is one of them,
    /// so this also bounds what the library reads back.
    pub file_size_kb: u64,
    /// Limits of the compile step (C, C++, Java).
    pub compile: flash_sandbox::Limits,
}

impl Default for DebugLimits {
    fn default() -> Self {
        DebugLimits {
            max_steps_default: 1000,
            max_steps_cap: 10_000,
            trace_bytes: 4 << 20,
            cpu_time: 10.0,
            wall_time: 15.0,
            memory_kb: 512 * 1024,
            processes: 64,
            output_kb: 1024,
            file_size_kb: 16 * 1024,
            compile: flash_sandbox::Limits {
                cpu_time: 10.0,
                wall_time: 20.0,
                memory_kb: 512 * 1024,
                stack_kb: 64 * 1024,
                processes: 64,
                file_size_kb: 256 * 1024,
                open_files: 512,
                output_kb: 1024,
                address_space_kb: None,
            },
        }
    }
}

impl DebugLimits {
    /// Checks that the limits can be used for a run.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_steps_default == 0 || self.max_steps_default > self.max_steps_cap {
            return Err("max_steps_default must be in 1..=max_steps_cap".into());
        }
        if self.trace_bytes < 4096 {
            return Err("trace_bytes must be at least 4096".into());
        }
        if self.file_size_kb * 1024 < self.trace_bytes + 65536 {
            return Err("file_size_kb must leave room for trace_bytes".into());
        }
        self.compile.validate()?;
        self.run_limits(0, 0).validate()
    }

    /// The sandbox limits of a debug run, raised to a backend's minimums.
    pub fn run_limits(&self, min_memory_kb: u64, min_processes: u64) -> flash_sandbox::Limits {
        flash_sandbox::Limits {
            cpu_time: self.cpu_time,
            wall_time: self.wall_time,
            memory_kb: self.memory_kb.max(min_memory_kb),
            processes: self.processes.max(min_processes),
            output_kb: self.output_kb,
            file_size_kb: self.file_size_kb,
            ..flash_sandbox::Limits::default()
        }
    }
}

/// Why a trace ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TraceStatus {
    /// The program ran to its end with exit code 0.
    Ok,
    /// `max_steps` steps were recorded and the program had more.
    StepLimit,
    /// The CPU or wall time limit ended the run.
    TimeLimit,
    /// stdout and stderr together passed the output limit.
    OutputLimit,
    /// The trace reached its byte limit.
    TraceSizeLimit,
    /// The program did not compile (or, for Python and JavaScript, parse).
    CompileError,
    /// The program ended with a non-zero exit code, a signal, an uncaught
    /// exception, or by reaching the memory limit.
    RuntimeError,
    /// Flash itself failed (sandbox or tracer); see `message`.
    InternalError,
}

/// The limits a trace was recorded under.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsedLimits {
    /// Steps allowed.
    pub max_steps: u32,
    /// Trace bytes allowed.
    pub trace_bytes: u64,
    /// CPU seconds.
    pub cpu_time: f64,
    /// Wall seconds.
    pub wall_time: f64,
    /// Memory, KiB.
    pub memory_kb: u64,
    /// stdout + stderr, KiB.
    pub output_kb: u64,
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trace {
    /// Why it ended.
    pub status: TraceStatus,
    /// Details for limits and failures.
    pub message: Option<String>,
    /// The program's whole stdout (as in a normal run; `stdout_len` of a step is a byte offset into it).
    pub stdout: String,
    /// The program's whole stderr.
    pub stderr: String,
    /// Exit code, when the program ended by itself.
    pub exit: Option<i32>,
    /// Signal that ended the program, if any.
    pub signal: Option<i32>,
    /// Compiler (or parser) diagnostics.
    pub compile_output: String,
    /// The limits in force.
    pub limits: UsedLimits,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// What happened at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A function of the user's file was entered (`line` is its first line).
    Call,
    /// A line is about to run.
    Line,
    /// A function returns (`return_value` is set unless it returns nothing).
    Return,
    /// An exception was raised (and, in Python, passes through this frame).
    Exception,
    /// An exception nobody caught (C/C++: a fatal signal) ends the program.
    UncaughtException,
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    /// What happened.
    pub event: Event,
    /// Line in the user's file (1-based).
    pub line: u32,
    /// Function the step is in.
    pub func: String,
    /// The user's frames, innermost first.
    #[serde(default)]
    pub frames: Vec<Frame>,
    /// The value returned, on `return` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_value: Option<Rendering>,
    /// The exception (type, message), on `exception` and `uncaught_exception` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<Rendering>,
    /// Bytes of stdout written before this step.
    #[serde(default)]
    pub stdout_len: u64,
}

/// One frame of the user's code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Frame {
    /// Function name.
    pub func: String,
    /// Current line of this frame.
    pub line: u32,
    /// Arguments and local variables, in order.
    #[serde(default)]
    pub locals: Vec<Var>,
}

/// A named value: a local variable or an object's field. In JSON its name
/// sits next to the value's own members: `{"name": "n", "type": "int", "value": "5"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "FlatVar")]
pub struct Var {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// A [`Var`]'s JSON shape (its own [`Serialize`]): a [`Value`] with a `name`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Var {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
        let name = ObjectBuilder::new()
            .property("name", ObjectBuilder::new().schema_type(Type::String).description(Some("Its name")))
            .required("name");
        AllOfBuilder::new().item(name).item(utoipa::openapi::Ref::from_schema_name("Value")).into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Var {}

/// The JSON shape of a [`Var`]. (Written out, not `#[serde(flatten)]`: flatten
/// buffers every object it reads, which made parsing a trace several times slower.)
#[derive(Deserialize)]
struct FlatVar {
    #[serde(default)]
    name: String,
    #[serde(rename = "type", default)]
    ty: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    items: Option<Vec<Value>>,
    #[serde(default)]
    entries: Option<Vec<Entry>>,
    #[serde(default)]
    fields: Option<Vec<Var>>,
    #[serde(default)]
    len: Option<u64>,
}

impl From<FlatVar> for Var {
    fn from(f: FlatVar) -> Var {
        Var {
            name: f.name,
            value: Value { ty: f.ty, value: f.value, items: f.items, entries: f.entries, fields: f.fields, len: f.len },
        }
    }
}

impl Serialize for Var {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let v = &self.value;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("type", &v.ty)?;
        if let Some(x) = &v.value {
            m.serialize_entry("value", x)?;
        }
        if let Some(x) = &v.items {
            m.serialize_entry("items", x)?;
        }
        if let Some(x) = &v.entries {
            m.serialize_entry("entries", x)?;
        }
        if let Some(x) = &v.fields {
            m.serialize_entry("fields", x)?;
        }
        if let Some(x) = &v.len {
            m.serialize_entry("len", x)?;
        }
        m.end()
    }
}

/// [`Value`] by another name, for the fields that hold one: utoipa takes any
/// type named `Value` for `serde_json::Value` (any JSON) and would describe
/// them as such.
type Rendering = Value;

/// A bounded rendering of a value.
///
/// Scalars have `value` (integers as decimal strings); sequences and sets
/// have `items`, maps `entries`, objects and structs `fields`. `len` is the
/// true length when the rendering was cut (string characters, items,
/// entries or fields). Past the depth limit a container is `"..."`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Value {
    /// The language's name for the type, e.g. `int`, `list`, `std::vector<int>`.
    #[serde(rename = "type", default)]
    pub ty: String,
    /// The rendering of a scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Elements of a sequence or set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub items: Option<Vec<Rendering>>,
    /// Entries of a map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<Entry>>,
    /// Fields of an object or struct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Var>>,
    /// The true length when cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
}

/// One entry of a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    /// The key.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub key: Rendering,
    /// The value.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub value: Rendering,
}
