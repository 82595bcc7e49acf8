//! The MCP server: tools that run, test and trace code through Flash's native
//! API ([`crate::backend`]), and the kept traces as resources. Session tools
//! are in [`crate::sessions`].
//!
//! Every failure a model can act on (a bad argument, an unknown language, a
//! compile error, a limit, the service unreachable) is a tool result with
//! `isError: true` and a sentence saying what to change, never a protocol error.

use crate::backend::{Backend, Reply};
use crate::format::{self, api_error, OUTPUT_SHOWN};
use crate::params::{DebugTrace, RunCode, RunTests};
use crate::summary::summarize;
use crate::traces::{Bounds, Traces, PREFIX};
use axum::http::Method;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a run is waited for, in all.
const SETTLE_LIMIT: Duration = Duration::from_secs(600);

/// Most bytes of stdout/stderr a tool returns, whatever it asks.
pub const OUTPUT_CAP: usize = 1 << 20;

/// What a tool answers.
pub type ToolResult = Result<CallToolResult, ErrorData>;

/// The server: one per MCP connection, all sharing the backend and the traces.
#[derive(Clone)]
pub struct FlashMcp {
    pub(crate) backend: Backend,
    traces: Arc<Traces>,
    tool_router: ToolRouter<FlashMcp>,
}

/// A tool's answer text.
pub fn ok(text: String) -> ToolResult {
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
}

/// A tool error a model can act on.
pub fn fail(text: impl Into<String>) -> ToolResult {
    Ok(CallToolResult::error(vec![ContentBlock::text(text.into())]))
}

impl FlashMcp {
    /// A server over `backend`.
    pub fn new(backend: Backend) -> FlashMcp {
        FlashMcp::with_traces(backend, Arc::new(Traces::new(Bounds::default())))
    }

    /// A server over `backend` sharing `traces` (Streamable HTTP makes one
    /// server per connection).
    pub fn with_traces(backend: Backend, traces: Arc<Traces>) -> FlashMcp {
        FlashMcp { backend, traces, tool_router: Self::run_tools() + Self::session_tools() }
    }

    /// Sends a request with a JSON body (or none); on no answer, the tool error says so.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply, CallToolResult> {
        let sent = match body {
            Some(b) => self.backend.json(method, path, b).await,
            None => self.backend.call(method, path, None).await,
        };
        sent.map_err(unreachable)
    }

    /// Sends raw bytes.
    pub(crate) async fn send_bytes(&self, method: Method, path: &str, bytes: Vec<u8>) -> Result<Reply, CallToolResult> {
        self.backend.call(method, path, Some((bytes, "application/octet-stream"))).await.map_err(unreachable)
    }

    /// A run that is answered before it finished (the service's
    /// `max_wait_secs` passed: status In Queue or Processing) is looked up
    /// with `GET /check/{token}` until it has, backing off up to a second.
    pub(crate) async fn settle(&self, mut v: Value) -> Result<Value, CallToolResult> {
        let deadline = Instant::now() + SETTLE_LIMIT;
        let mut pause = Duration::from_millis(20);
        while matches!(format::verdict(&v).0, format::status::IN_QUEUE | format::status::PROCESSING) {
            let Some(token) = v["token"].as_str().map(str::to_owned) else { break };
            if Instant::now() > deadline {
                return Err(CallToolResult::error(vec![ContentBlock::text(format!(
                    "the run has not finished after {} s (the service is busy); its token is {token}",
                    SETTLE_LIMIT.as_secs()
                ))]));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
            let path = format!("/check/{}", crate::sessions::encode_path(&token, false));
            let reply = self.send(Method::GET, &path, None).await?;
            v = Self::expect(&reply, "checking on the run")?;
        }
        Ok(v)
    }

    /// The body of a successful answer, or the tool error saying why not.
    pub(crate) fn expect(reply: &Reply, what: &str) -> Result<Value, CallToolResult> {
        let v = reply.json();
        if reply.status.is_success() {
            return Ok(v);
        }
        let mut msg = format!("{what} failed: {}", api_error(reply.status.as_u16(), &v, &reply.body));
        if reply.status.as_u16() == 422 && v.get("language").is_some() {
            msg.push_str(". Call list_languages for the names and ids this service accepts.");
        }
        if reply.status.as_u16() == 401 {
            msg.push_str(". The service needs a token: start flash mcp with --token.");
        }
        Err(CallToolResult::error(vec![ContentBlock::text(msg)]))
    }
}

fn unreachable(e: crate::backend::BackendError) -> CallToolResult {
    let hint = match e {
        crate::backend::BackendError::Unreachable { .. } | crate::backend::BackendError::Timeout { .. } => {
            " Check that the Flash service is running at that address, then retry."
        }
        _ => "",
    };
    CallToolResult::error(vec![ContentBlock::text(format!("{e}.{hint}"))])
}

/// Unwraps a `Result<_, CallToolResult>` inside a tool.
macro_rules! attempt {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return Ok(r),
        }
    };
}
pub(crate) use attempt;

/// The native body of a program run: language, code and the common fields.
pub(crate) fn program(language: &str, code: &str, stdin: Option<&str>, args: Option<&[String]>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("language".into(), json!(language.trim()));
    m.insert("code".into(), json!(code));
    if let Some(s) = stdin {
        m.insert("input".into(), json!(s));
    }
    if let Some(a) = args.filter(|a| !a.is_empty()) {
        m.insert("args".into(), json!(a));
    }
    m
}

/// The output bound a tool asked for, within [`OUTPUT_CAP`].
pub(crate) fn output_bound(asked: Option<usize>) -> usize {
    asked.unwrap_or(OUTPUT_SHOWN).clamp(1, OUTPUT_CAP)
}

#[tool_router(router = run_tools)]
impl FlashMcp {
    /// The languages of the service.
    #[tool(description = "List the programming languages this Flash service runs: each one's numeric id and \
        display name with the toolchain version (e.g. 71 Python (3.11.2)), then the short names and \
        aliases the other tools accept as `language` (python, py, cpp, c++, js, ...). Takes no arguments.")]
    async fn list_languages(&self) -> ToolResult {
        let reply = attempt!(self.send(Method::GET, "/languages", None).await);
        let langs = attempt!(Self::expect(&reply, "listing the languages"));
        let mut out = String::from("id | name (version)\n");
        for l in langs.as_array().into_iter().flatten() {
            out.push_str(&format!("{} | {}\n", l["id"], l["name"].as_str().unwrap_or("?")));
        }
        // Piston's runtime list has the short names and aliases.
        if let Ok(reply) = self.send(Method::GET, "/api/v2/runtimes", None).await {
            if let Ok(rts) = Self::expect(&reply, "listing the runtimes") {
                out.push_str("\nnames and aliases accepted as `language` (name [aliases] version):\n");
                for r in rts.as_array().into_iter().flatten() {
                    let aliases: Vec<&str> =
                        r["aliases"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    out.push_str(&format!(
                        "{} [{}] {}\n",
                        r["language"].as_str().unwrap_or("?"),
                        aliases.join(", "),
                        r["version"].as_str().unwrap_or("")
                    ));
                }
            }
        }
        ok(out)
    }

    /// One run of a program.
    #[tool(description = "Run a program in Flash's sandbox (no network, a fresh box each run, nothing \
        kept afterwards) and return its verdict, exit code or signal, CPU and wall time (seconds), \
        peak memory (MB), stdout and stderr. Compiled languages are compiled first (compiles are \
        cached). isError is true when the program could not run as asked: unknown language, bad \
        argument, compile error, a time/memory/output limit hit, or the service unreachable; a \
        non-zero exit code is reported, not an error. Outputs longer than max_output_bytes end with \
        \"[truncated: N more bytes]\".")]
    async fn run_code(&self, Parameters(p): Parameters<RunCode>) -> ToolResult {
        let mut body = program(&p.language, &p.code, p.stdin.as_deref(), p.args.as_deref());
        if let Some(o) = &p.compiler_options {
            body.insert("compiler_options".into(), json!(o));
        }
        p.limits.add_to(&mut body);
        let reply = attempt!(self.send(Method::POST, "/create?wait=true", Some(&Value::Object(body))).await);
        let v = attempt!(Self::expect(&reply, "run_code"));
        let v = attempt!(self.settle(v).await);
        let report = format::run_report(&v, output_bound(p.max_output_bytes));
        let (id, _) = format::verdict(&v);
        if format::is_failure(id) {
            fail(report)
        } else {
            ok(report)
        }
    }

    /// A program against test cases.
    #[tool(description = "Compile a program once and run it on each test case (stdin -> expected stdout), \
        like an online judge. Returns the overall verdict and a table with each case's verdict \
        (Accepted, Wrong Answer, Time Limit Exceeded, Runtime Error, ...), CPU time (seconds) and \
        memory (MB); for each failing case, the first line that differs from the expected output, its \
        input and what the program printed. isError is true only when nothing could be judged \
        (bad argument, unknown language, compile error, service unreachable).")]
    async fn run_tests(&self, Parameters(p): Parameters<RunTests>) -> ToolResult {
        if p.cases.is_empty() {
            return fail("run_tests needs at least one case in `cases` ({input, expected_output}).");
        }
        let mut body = program(&p.language, &p.code, None, None);
        if let Some(o) = &p.compiler_options {
            body.insert("compiler_options".into(), json!(o));
        }
        p.limits.add_to(&mut body);
        let tests: Vec<Value> =
            p.cases.iter().map(|c| json!({"input": c.input, "expected": c.expected_output})).collect();
        body.insert("tests".into(), Value::Array(tests));
        let reply = attempt!(self.send(Method::POST, "/create?wait=true", Some(&Value::Object(body))).await);
        let v = attempt!(Self::expect(&reply, "run_tests"));
        let v = attempt!(self.settle(v).await);
        let cases: Vec<(String, String)> = p.cases.into_iter().map(|c| (c.input, c.expected_output)).collect();
        let report = format::tests_report(&v, &cases, OUTPUT_SHOWN);
        let (id, _) = format::verdict(&v);
        if id == format::status::COMPILATION_ERROR || id == format::status::INTERNAL_ERROR {
            fail(report)
        } else {
            ok(report)
        }
    }

    /// A step-by-step trace, summarised.
    #[tool(description = "Run a program under Flash's step debugger (Python, C, C++, JavaScript, Java) and \
        return a summary: the lines executed in order with loops folded (\"(3 4)x5\" = lines 3,4 five \
        times), the calls with their arguments and return values, which variables changed after which \
        line, the final values of every frame's variables, and stdout/stderr. The full trace (every \
        step with every variable) is kept for an hour as the resource flash://trace/{id} named at the \
        end (read it with resources/read). isError is true for an unsupported language, bad argument, \
        compile error or unreachable service.")]
    async fn debug_trace(&self, Parameters(p): Parameters<DebugTrace>) -> ToolResult {
        let mut body = Map::new();
        body.insert("language".into(), json!(p.language.trim()));
        body.insert("code".into(), json!(p.code));
        if let Some(s) = &p.stdin {
            body.insert("input".into(), json!(s));
        }
        if let Some(n) = p.max_steps {
            body.insert("max_steps".into(), json!(n));
        }
        let reply = attempt!(self.send(Method::POST, "/debug", Some(&Value::Object(body))).await);
        let trace = attempt!(Self::expect(&reply, "debug_trace"));
        let steps = trace["steps"].as_array().map_or(0, Vec::len);
        let title = format!("{} trace, {steps} steps", p.language.trim());
        let json = String::from_utf8_lossy(&reply.body).into_owned();
        let uri = self.traces.put(title, json).unwrap_or_else(|| "(too large to keep)".into());
        let summary = summarize(&trace, &uri);
        match trace["status"].as_str() {
            Some("compile_error" | "internal_error") => fail(summary),
            _ => ok(summary),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for FlashMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("flash", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Flash runs code in a Linux sandbox under hard limits, in about a millisecond per run. \
                 run_code runs one program; run_tests judges one against test cases; debug_trace \
                 records a step-by-step trace; list_languages names the languages. For work that \
                 spans runs, session_create makes a workspace whose files persist between \
                 session_run calls (processes and memory do not). Runs have no network.",
            )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let list = self
            .traces
            .list()
            .into_iter()
            .map(|k| {
                Resource::new(format!("{PREFIX}{}", k.id), k.title)
                    .with_mime_type("application/json")
                    .with_size(k.json.len() as u64)
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let t = ResourceTemplate::new(format!("{PREFIX}{{id}}"), "debug trace")
            .with_description(
                "The full step trace of a debug_trace call (JSON, as Flash's POST /debug answers), kept for an hour.",
            )
            .with_mime_type("application/json");
        Ok(ListResourceTemplatesResult::with_all_items(vec![t]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let Some(kept) = self.traces.get(&request.uri) else {
            return Err(ErrorData::resource_not_found(
                format!("no trace {} (traces are kept for an hour, 32 at most; run debug_trace again)", request.uri),
                None,
            ));
        };
        let contents = ResourceContents::TextResourceContents {
            uri: request.uri,
            mime_type: Some("application/json".into()),
            text: kept.json.as_str().to_owned(),
            meta: None,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}
