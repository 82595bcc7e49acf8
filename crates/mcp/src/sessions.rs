//! Session tools: a workspace whose files persist across runs, through the
//! native sessions API (`/sessions`, `/sessions/{id}/files/{path}`,
//! `/sessions/{id}/run`). Each run is a fresh sandbox with the session's
//! files mounted; processes and memory do not carry over.

use crate::format::{self, truncate};
use crate::params::{Encoding, SessionCreate, SessionId, SessionReadFile, SessionRun, SessionWriteFile};
use crate::server::{attempt, fail, ok, output_bound, program, FlashMcp, ToolResult};
use axum::http::Method;
use base64::Engine as _;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

/// Bytes of a file returned by default, and at most.
const READ_DEFAULT: usize = 64 * 1024;
const READ_CAP: usize = 1 << 20;

/// `s` percent-encoded for a URL path, keeping `/` between segments when
/// `keep_slash`: every byte but unreserved characters is escaped.
pub fn encode_path(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A session's path, or the tool error for a blank id.
fn session_path(id: &str) -> Result<String, rmcp::model::CallToolResult> {
    let id = id.trim();
    if id.is_empty() {
        return Err(rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(
            "session_id is empty: call session_create first and pass the id it returns.",
        )]));
    }
    Ok(format!("/sessions/{}", encode_path(id, false)))
}

/// A file path for the API, or the tool error explaining what is wrong.
fn file_path(path: &str) -> Result<String, rmcp::model::CallToolResult> {
    let p = path.trim().trim_start_matches("./");
    let err = |m: &str| Err(rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(m.to_owned())]));
    if p.is_empty() {
        return err("path is empty: give a path relative to the session's directory, e.g. \"data/in.csv\".");
    }
    if p.starts_with('/') {
        return err("path must be relative to the session's directory (no leading \"/\"), e.g. \"data/in.csv\".");
    }
    if p.split('/').any(|s| s == "..") {
        return err("path must stay inside the session's directory (no \"..\").");
    }
    Ok(encode_path(p, true))
}

/// A session record as a few lines.
fn describe(s: &Value) -> String {
    let mut out = String::new();
    for k in ["id", "created_at", "expires_at", "idle_timeout", "max_age", "files", "max_files", "bytes", "max_bytes"] {
        if let Some(v) = s.get(k).filter(|v| !v.is_null()) {
            let _ = writeln!(out, "{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        }
    }
    out
}

#[tool_router(router = session_tools, vis = "pub(crate)")]
impl FlashMcp {
    /// A new session.
    #[tool(description = "Create a session: a private workspace directory whose files persist across \
        session_run calls (each run is a fresh sandbox with the files mounted read-write; processes, \
        memory and installed state do not persist). Bounded in total bytes and file count, deleted \
        after idle_timeout seconds without use or max_age seconds in all. Returns the session id to \
        pass to the other session_ tools, and its limits.")]
    async fn session_create(&self, Parameters(p): Parameters<SessionCreate>) -> ToolResult {
        let mut body = Map::new();
        if let Some(t) = p.idle_timeout {
            body.insert("idle_timeout".into(), json!(t));
        }
        if let Some(t) = p.max_age {
            body.insert("max_age".into(), json!(t));
        }
        let reply = attempt!(self.send(Method::POST, "/sessions", Some(&Value::Object(body))).await);
        let s = attempt!(Self::expect(&reply, "session_create"));
        ok(format!("session created\n{}", describe(&s)))
    }

    /// Writes a file.
    #[tool(description = "Write (create or replace) a file in a session's directory. content is text, or \
        base64 of the bytes when encoding is \"base64\". Folders in the path are created. Fails when \
        the session's byte or file-count limit would be passed.")]
    async fn session_write_file(&self, Parameters(p): Parameters<SessionWriteFile>) -> ToolResult {
        let base = attempt!(session_path(&p.session_id));
        let path = attempt!(file_path(&p.path));
        let bytes = match p.encoding.unwrap_or_default() {
            Encoding::Text => p.content.into_bytes(),
            Encoding::Base64 => {
                let clean: String = p.content.chars().filter(|c| !c.is_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean.trim_end_matches('=')) {
                    Ok(b) => b,
                    Err(e) => {
                        return fail(format!("content is not valid base64 ({e}); send text with encoding \"text\"."))
                    }
                }
            }
        };
        let reply = attempt!(self.send_bytes(Method::PUT, &format!("{base}/files/{path}"), bytes).await);
        let v = attempt!(Self::expect(&reply, "session_write_file"));
        ok(format!("wrote {} ({} bytes)", v["path"].as_str().unwrap_or(&p.path), v["size"]))
    }

    /// Reads a file.
    #[tool(description = "Read a file from a session's directory (e.g. one a run produced). Text files come \
        back as text; binary files (not UTF-8) as base64, said so in the first line. At most max_bytes \
        (default 65536, at most 1048576) are returned; a longer file is cut and the answer says how \
        many bytes were left out.")]
    async fn session_read_file(&self, Parameters(p): Parameters<SessionReadFile>) -> ToolResult {
        let base = attempt!(session_path(&p.session_id));
        let path = attempt!(file_path(&p.path));
        let reply = attempt!(self.send(Method::GET, &format!("{base}/files/{path}"), None).await);
        if !reply.status.is_success() {
            attempt!(Self::expect(&reply, "session_read_file"));
        }
        let max = p.max_bytes.unwrap_or(READ_DEFAULT).clamp(1, READ_CAP);
        let total = reply.body.len();
        match std::str::from_utf8(&reply.body) {
            Ok(text) => ok(format!("{} ({total} bytes, text):\n{}", p.path, truncate(text, max))),
            Err(_) => {
                let shown = &reply.body[..total.min(max)];
                let mut out = format!(
                    "{} ({total} bytes, binary, base64 below):\n{}",
                    p.path,
                    base64::engine::general_purpose::STANDARD.encode(shown)
                );
                if total > shown.len() {
                    let _ = write!(out, "\n[truncated: {} more bytes]", total - shown.len());
                }
                ok(out)
            }
        }
    }

    /// Lists files.
    #[tool(description = "List the files in a session's directory: path, size in bytes, modification time \
        (unix seconds).")]
    async fn session_list_files(&self, Parameters(p): Parameters<SessionId>) -> ToolResult {
        let base = attempt!(session_path(&p.session_id));
        let reply = attempt!(self.send(Method::GET, &format!("{base}/files"), None).await);
        let v = attempt!(Self::expect(&reply, "session_list_files"));
        let files = v["files"].as_array().cloned().unwrap_or_default();
        if files.is_empty() {
            return ok("the session has no files".into());
        }
        let mut out = format!("{} files\npath | bytes | modified (unix s)\n", files.len());
        for f in &files {
            let _ = writeln!(out, "{} | {} | {}", f["path"].as_str().unwrap_or("?"), f["size"], f["modified"]);
        }
        ok(out)
    }

    /// Runs in a session.
    #[tool(description = "Run a program (code and language) or a bash command line (command) in a fresh \
        sandbox whose working directory is the session's directory, so it reads and writes the \
        session's files. Returns the verdict, exit code, time, memory, stdout, stderr, and the files \
        the run created, modified and deleted. No network. Limits as in run_code.")]
    async fn session_run(&self, Parameters(p): Parameters<SessionRun>) -> ToolResult {
        let base = attempt!(session_path(&p.session_id));
        let mut body = match (&p.command, &p.code, &p.language) {
            (Some(cmd), None, None) => {
                let mut m = Map::new();
                m.insert("command".into(), json!(cmd));
                if let Some(s) = &p.stdin {
                    m.insert("input".into(), json!(s));
                }
                m
            }
            (None, Some(code), Some(lang)) => program(lang, code, p.stdin.as_deref(), p.args.as_deref()),
            (None, Some(_), None) => return fail("session_run with code needs language too."),
            (None, None, _) => {
                return fail("session_run needs either command (a bash command line) or code and language.")
            }
            (Some(_), _, _) => return fail("give either command or code and language to session_run, not both."),
        };
        p.limits.add_to(&mut body);
        let reply = attempt!(self.send(Method::POST, &format!("{base}/run"), Some(&Value::Object(body))).await);
        let v = attempt!(Self::expect(&reply, "session_run"));
        let mut report = format::run_report(&v, output_bound(p.max_output_bytes));
        for k in ["created", "modified", "deleted"] {
            let list: Vec<&str> = v["files"][k].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let _ = writeln!(report, "files {k}: {}", if list.is_empty() { "none".into() } else { list.join(", ") });
        }
        let (id, _) = format::verdict(&v);
        if format::is_failure(id) {
            fail(report)
        } else {
            ok(report)
        }
    }

    /// Deletes a session.
    #[tool(description = "Delete a session and all its files now (otherwise it expires by itself).")]
    async fn session_delete(&self, Parameters(p): Parameters<SessionId>) -> ToolResult {
        let base = attempt!(session_path(&p.session_id));
        let reply = attempt!(self.send(Method::DELETE, &base, None).await);
        attempt!(Self::expect(&reply, "session_delete"));
        ok(format!("session {} deleted", p.session_id.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_escaped_for_urls_and_kept_inside_the_session() {
        assert_eq!(encode_path("data/in put.csv", true), "data/in%20put.csv");
        assert_eq!(encode_path("a/b?c#d", false), "a%2Fb%3Fc%23d");
        assert_eq!(encode_path("é", true), "%C3%A9");
        assert_eq!(file_path("./out/x.txt").unwrap(), "out/x.txt");
        for bad in ["", "/etc/passwd", "a/../../b"] {
            assert!(file_path(bad).is_err(), "{bad}");
        }
        assert!(session_path("  ").is_err());
        assert_eq!(session_path("abc/def").unwrap(), "/sessions/abc%2Fdef");
    }
}

#[cfg(test)]
#[path = "sessions_contract.rs"]
mod contract;
