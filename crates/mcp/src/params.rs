//! The tools' arguments. Their doc comments become the JSON schema's
//! descriptions, written for a model: what a field means, its unit, its
//! default and its limit.

use rmcp::schemars;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Limits a run may ask for; unset ones take the service's defaults.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Limits {
    /// CPU time limit in seconds (all processes together). Default 5, at most 15 (the
    /// service's settings may differ).
    pub time_limit: Option<f64>,
    /// Wall-clock limit in seconds. Default 10, at most 20.
    pub wall_time_limit: Option<f64>,
    /// Memory limit in kilobytes. Default 128000 (125 MB), at most 512000.
    pub memory_limit: Option<u64>,
}

impl Limits {
    /// Adds the limits that are set to a native request body.
    pub fn add_to(&self, m: &mut Map<String, Value>) {
        if let Some(t) = self.time_limit {
            m.insert("time_limit".into(), json!(t));
        }
        if let Some(t) = self.wall_time_limit {
            m.insert("wall_time_limit".into(), json!(t));
        }
        if let Some(k) = self.memory_limit {
            m.insert("memory_limit".into(), json!(k));
        }
    }
}

/// `run_code`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RunCode {
    /// The language: a name or alias ("python", "py", "cpp", "c++", "c", "javascript", "js",
    /// "java", "bash", "sql", ...) or a numeric id from list_languages (e.g. "71").
    pub language: String,
    /// The whole program's source text. C, C++ and Java need their usual entry point
    /// (main; in Java a public class Main).
    pub code: String,
    /// Text given to the program on standard input. Default: empty.
    pub stdin: Option<String>,
    /// Command-line arguments passed to the program (at most 256). Default: none.
    pub args: Option<Vec<String>>,
    /// Extra compiler flags for compiled languages, e.g. "-O2 -std=c++20". Default: the
    /// service's.
    pub compiler_options: Option<String>,
    /// Bytes of stdout (and, separately, of stderr) returned. Default 16384; longer
    /// output is cut and ends with "[truncated: N more bytes]".
    pub max_output_bytes: Option<usize>,
    #[serde(flatten)]
    pub limits: Limits,
}

/// One test case of `run_tests`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Case {
    /// Text given to the program on standard input.
    pub input: String,
    /// The output the program must print. Trailing spaces at line ends and trailing blank
    /// lines are ignored when comparing.
    pub expected_output: String,
}

/// `run_tests`' arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RunTests {
    /// The language: a name, alias or numeric id, as for run_code.
    pub language: String,
    /// The whole program's source text; it is compiled once and run on each case.
    pub code: String,
    /// The test cases, in order (at least 1, at most 100). The limits apply to each case.
    pub cases: Vec<Case>,
    /// Extra compiler flags for compiled languages. Default: the service's.
    pub compiler_options: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
}

/// `debug_trace`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DebugTrace {
    /// The language: Python, C, C++, JavaScript or Java (a name, alias or numeric id).
    pub language: String,
    /// The whole program's source text.
    pub code: String,
    /// Text given to the program on standard input. Default: empty.
    pub stdin: Option<String>,
    /// Steps to record before stopping (a step is one line about to run, a call, a return
    /// or an exception). Default 1000, at most 10000.
    pub max_steps: Option<u32>,
}

/// A session, by id.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SessionId {
    /// The session's id, as session_create returned it.
    pub session_id: String,
}

/// `session_create`'s arguments.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct SessionCreate {
    /// Seconds without any use after which the session and its files are deleted.
    /// Default: the service's (see the answer's idle_timeout).
    pub idle_timeout: Option<u64>,
    /// Seconds after creation after which the session is deleted, used or not.
    /// Default: the service's (see the answer's max_age).
    pub max_age: Option<u64>,
}

/// How a file's content is written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// The content is the file's text (UTF-8).
    #[default]
    Text,
    /// The content is base64 (standard alphabet, padding optional) of the file's bytes.
    Base64,
}

/// `session_write_file`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SessionWriteFile {
    /// The session's id.
    pub session_id: String,
    /// The file's path relative to the session's directory, e.g. "data/in.csv"
    /// (folders are created; no "..", no leading "/").
    pub path: String,
    /// The file's content: text, or base64 when encoding is "base64".
    pub content: String,
    /// "text" (default) or "base64" for binary files.
    pub encoding: Option<Encoding>,
}

/// `session_read_file`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SessionReadFile {
    /// The session's id.
    pub session_id: String,
    /// The file's path relative to the session's directory, e.g. "out/result.txt".
    pub path: String,
    /// Bytes returned at most. Default 65536, at most 1048576; a longer file is cut and
    /// the answer says how many bytes were left out.
    pub max_bytes: Option<usize>,
}

/// `session_run`'s arguments: a program (code and language) or a shell command.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SessionRun {
    /// The session's id.
    pub session_id: String,
    /// A program's source text to run in the session's directory (give language too),
    /// or leave it out and give command.
    pub code: Option<String>,
    /// The program's language (name, alias or numeric id), with code.
    pub language: Option<String>,
    /// A bash command line run in the session's directory, e.g. "ls -l && python3 main.py",
    /// instead of code.
    pub command: Option<String>,
    /// Text given on standard input. Default: empty.
    pub stdin: Option<String>,
    /// Command-line arguments for the program (with code only). Default: none.
    pub args: Option<Vec<String>>,
    /// Bytes of stdout (and, separately, of stderr) returned. Default 16384.
    pub max_output_bytes: Option<usize>,
    #[serde(flatten)]
    pub limits: Limits,
}
