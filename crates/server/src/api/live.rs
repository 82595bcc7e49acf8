//! Live runs over a WebSocket: output while the program runs, stdin and
//! signals sent to it. Two doors, one protocol:
//!
//! - `GET /api/v2/connect` (and `/api/v2/piston/connect`): Piston's. The first
//!   message is `{"type": "init", ...}` with the fields of `POST /api/v2/execute`,
//!   within a second; then the server sends `runtime`, `stage` (`compile`,
//!   `run`), `data` (`stream` stdout or stderr, `data` text) and `exit` (`stage`,
//!   `code`, `signal`, and Flash's `status`, `message`, times and memory) per
//!   stage, and closes with 4999 "Job Completed". The client sends `data` with
//!   `stream: "stdin"` and `signal` with a signal's name. Mistakes close the
//!   socket with Piston's codes: 4000 initialized twice, 4001 no init within a
//!   second, 4002 an error (told first in an `error` message), 4003 data or
//!   signal before init, 4004 a stream other than stdin, 4005 an unknown signal.
//! - `GET /live`: the native API's. The same, but `init` carries a native
//!   submission (the body of `POST /submissions`), `runtime` names the
//!   language by its native id, and a last `result` message holds the
//!   submission as `GET /submissions/{token}` would show it.
//!
//! A live run takes a sandbox slot for its whole length (at most the wall
//! limit): at most `workers` run at once, the next is refused (4002, "busy");
//! it also counts against its API key's requests in flight, and compiles in
//! the key's cache scope when the cache is scoped per key.
//! A client that leaves ends its run at once. Input is held to
//! [`MAX_STDIN`] bytes a run. Live runs need a sandbox in the serving process
//! (`flash serve`); a `flash server` without one refuses them (4002).

use crate::api::{native, piston};
use crate::job::{JobRecord, JobRequest, JobResult, JobState};
use crate::keys::{InFlight, Place};
use crate::service::Service;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use flash_engine::{LiveEvent, LiveInput, Stage, Stream};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Time a client has to send `init` (Piston's: one second).
const INIT_WAIT: Duration = Duration::from_secs(1);

/// Stdin a client may send to one run, in bytes.
pub const MAX_STDIN: usize = 16 << 20;

/// Largest message a client may send.
const MAX_MESSAGE: usize = 4 << 20;

/// The live routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    let mut r = OpenApiRouter::new().routes(routes!(native_ws));
    for prefix in piston::PREFIXES {
        r = r.routes(crate::api::under(prefix, routes!(piston_ws)));
    }
    r
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Door {
    Piston,
    Native,
}

/// Piston: a live run over a WebSocket.
///
/// The first message is `{"type": "init", ...}` with the fields of `POST
/// /api/v2/execute`, within a second; the server then sends `runtime`,
/// `stage`, `data` (stdout, stderr) and `exit` per stage and closes with 4999;
/// the client may send `data` (stdin) and `signal`. See the module docs of
/// `api/live.rs` for the close codes. Not plain HTTP: left out of the schema fuzz.
#[utoipa::path(get, path = "/connect", tag = "piston",
    responses((status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request")))]
async fn piston_ws(State(svc): State<Arc<Service>>, place: Option<Extension<Place>>, ws: WebSocketUpgrade) -> Response {
    upgrade(svc, place, ws, Door::Piston)
}

/// A live run over a WebSocket (native API).
///
/// Piston's protocol (see `/api/v2/connect`), but `init` carries a native
/// submission, `runtime` names the language by its native id, and a last
/// `result` message holds the submission as `GET /submissions/{token}` shows
/// it. Not plain HTTP: left out of the schema fuzz.
#[utoipa::path(get, path = "/live", tag = "native",
    responses((status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request")))]
async fn native_ws(State(svc): State<Arc<Service>>, place: Option<Extension<Place>>, ws: WebSocketUpgrade) -> Response {
    upgrade(svc, place, ws, Door::Native)
}

/// The session runs in a task of its own: it takes the request's key (its
/// name, and its place in flight, held until the run ends) along.
fn upgrade(svc: Arc<Service>, place: Option<Extension<Place>>, ws: WebSocketUpgrade, door: Door) -> Response {
    let key = Key { name: crate::keys::current(), held: place.and_then(|p| p.take()) };
    ws.max_message_size(MAX_MESSAGE).on_upgrade(move |s| session(svc, s, door, key))
}

/// The API key a live run came with.
struct Key {
    name: Option<String>,
    held: Option<InFlight>,
}

/// What the judging thread tells the session.
enum Event {
    Stage(Stage),
    Data(Stream, Vec<u8>),
    Done(Result<flash_engine::Judgement, flash_engine::Error>),
}

/// A run accepted from `init`: the job and the `runtime` message to answer.
struct Accepted {
    request: JobRequest,
    runtime: Value,
}

async fn send(ws: &mut WebSocket, v: Value) -> bool {
    ws.send(Message::Text(v.to_string().into())).await.is_ok()
}

/// How long a close waits for the client's own Close.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Sends the Close, then reads until the client's Close comes back (RFC 6455
/// 7.1.1), at most [`CLOSE_WAIT`]. Dropping the connection at once left
/// what the client had sent meanwhile (an `eof` after the run ended) unread,
/// and the kernel answers a close with unread data with a reset: the client
/// then lost the `exit` and the Close it had not read yet. The run's slot is
/// already free here.
async fn close(mut ws: WebSocket, code: u16, reason: &'static str) {
    if ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(m)) = ws.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Tells the client what went wrong, then closes with 4002 (Piston's way: a
/// close reason holds only 123 bytes).
async fn notify(mut ws: WebSocket, message: impl Into<String>) {
    send(&mut ws, json!({"type": "error", "message": message.into()})).await;
    close(ws, 4002, "Notified Error").await;
}

/// A text message as a JSON object with a `type`.
fn parse_message(m: &Message) -> Result<(String, Value), String> {
    let Message::Text(t) = m else {
        return Err("messages are JSON text".into());
    };
    let v: Value = serde_json::from_str(t.as_str()).map_err(|e| format!("the message is not JSON: {e}"))?;
    match v.get("type").and_then(Value::as_str) {
        Some(t) => Ok((t.to_owned(), v)),
        None => Err("a message needs a \"type\"".into()),
    }
}

fn accept(svc: &Service, door: Door, mut init: Value) -> Result<Accepted, String> {
    match door {
        Door::Piston => {
            let ex = piston::parse(svc, &init).map_err(|e| e.1)?;
            Ok(Accepted {
                runtime: json!({"type": "runtime", "language": ex.runtime.name, "version": ex.runtime.version}),
                request: ex.request,
            })
        }
        Door::Native => {
            if let Some(m) = init.as_object_mut() {
                m.remove("type");
            }
            let request = native::parse(svc, &init).map_err(|e| json!({ "errors": e }).to_string())?;
            let lang = svc.langs.by_id(request.language_id).ok_or("the language is not available")?;
            Ok(Accepted { runtime: json!({"type": "runtime", "language": lang.id, "name": lang.name}), request })
        }
    }
}

/// Piston's signal names (those a program may be sent).
fn signal_number(name: &str) -> Option<i32> {
    (1..=31).find(|&n| piston::signal_name(n) == name)
}

/// Splits a byte stream into text without breaking a character across two
/// messages: the tail of an incomplete one waits for the next chunk.
#[derive(Default)]
struct Utf8Carry(Vec<u8>);

impl Utf8Carry {
    fn text(&mut self, chunk: &[u8]) -> String {
        self.0.extend_from_slice(chunk);
        let cut = match std::str::from_utf8(&self.0) {
            Ok(_) => self.0.len(),
            // Only an incomplete sequence at the very end is kept back.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.0.len(),
        };
        let rest = self.0.split_off(cut);
        let out = String::from_utf8_lossy(&self.0).into_owned();
        self.0 = rest;
        out
    }

    fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.0).into_owned();
        self.0.clear();
        out
    }
}

async fn session(svc: Arc<Service>, mut ws: WebSocket, door: Door, key: Key) {
    let first = match tokio::time::timeout(INIT_WAIT, ws.recv()).await {
        Err(_) => return close(ws, 4001, "Initialization Timeout").await,
        Ok(None | Some(Err(_))) => return,
        Ok(Some(Ok(m))) => m,
    };
    let init = match parse_message(&first) {
        Ok((t, v)) if t == "init" => v,
        Ok((t, _)) if t == "data" || t == "signal" => return close(ws, 4003, "Not yet Initialized").await,
        Ok((t, _)) => return notify(ws, format!("the first message must be an init, not {t:?}")).await,
        Err(e) => return notify(ws, e).await,
    };
    let mut run = match accept(&svc, door, init) {
        Ok(r) => r,
        Err(e) => return notify(ws, e).await,
    };
    run.request.key = key.name;
    let held = key.held;
    if !svc.judge.can_stream() {
        return notify(ws, "live runs need a sandbox in the serving process (flash serve); this one has none").await;
    }
    let Ok(permit) = svc.live.clone().try_acquire_owned() else {
        return notify(ws, "busy: every live slot is taken; try again shortly").await;
    };
    let sub = match crate::submission::to_submission(&svc, &run.request) {
        Ok(s) => s,
        Err(e) => return notify(ws, e).await,
    };
    if !send(&mut ws, run.runtime).await {
        return;
    }
    let (input, input_rx) = std::sync::mpsc::channel();
    let mut sent = run.request.stdin.as_ref().map_or(0, Vec::len);
    if let Some(s) = run.request.stdin.clone().filter(|s| !s.is_empty()) {
        let _ = input.send(LiveInput::Stdin(s));
    }
    let (events, mut events_rx) = mpsc::unbounded_channel();
    let judge = svc.judge.clone();
    let started = crate::job::now_ms();
    // A thread of its own, not the async runtime's blocking pool: it may wait
    // for a sandbox slot, and the service's other work must not wait behind it.
    let spawned = std::thread::Builder::new().name("flash-live".into()).spawn(move || {
        let _permit = permit;
        let _held = held;
        let out = events.clone();
        let mut on = move |e: LiveEvent<'_>| {
            let _ = out.send(match e {
                LiveEvent::Stage(s) => Event::Stage(s),
                LiveEvent::Output(s, d) => Event::Data(s, d.to_vec()),
            });
        };
        let r = judge.judge_live(&sub, input_rx, &mut on);
        let _ = events.send(Event::Done(r));
    });
    if spawned.is_err() {
        return notify(ws, "the service cannot start a live run now").await;
    }
    let mut input = Some(input);
    let mut carry = [Utf8Carry::default(), Utf8Carry::default()];
    let mut stage = None;
    loop {
        tokio::select! {
            ev = events_rx.recv() => match ev {
                Some(Event::Stage(s)) => {
                    if s == Stage::Run && stage == Some(Stage::Compile) {
                        send(&mut ws, json!({"type": "exit", "stage": "compile", "code": 0, "signal": null})).await;
                    }
                    stage = Some(s);
                    send(&mut ws, json!({"type": "stage", "stage": stage_name(s)})).await;
                }
                Some(Event::Data(s, d)) => {
                    let (i, name) = match s { Stream::Stdout => (0, "stdout"), Stream::Stderr => (1, "stderr") };
                    let text = carry[i].text(&d);
                    if !text.is_empty() {
                        send(&mut ws, json!({"type": "data", "stream": name, "data": text})).await;
                    }
                }
                Some(Event::Done(r)) => {
                    for (i, name) in [(0, "stdout"), (1, "stderr")] {
                        let text = carry[i].finish();
                        if !text.is_empty() {
                            send(&mut ws, json!({"type": "data", "stream": name, "data": text})).await;
                        }
                    }
                    return finish(svc, ws, door, run.request, started, r).await;
                }
                // The thread is gone without a word: it cannot be, but never hang.
                None => return notify(ws, "the live run ended unexpectedly").await,
            },
            m = ws.recv() => {
                let Some(Ok(m)) = m else {
                    // The client left: end its run now.
                    if let Some(i) = input.take() {
                        let _ = i.send(LiveInput::Cancel);
                    }
                    return;
                };
                let (kind, v) = match &m {
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Close(_) => {
                        if let Some(i) = input.take() {
                            let _ = i.send(LiveInput::Cancel);
                        }
                        return;
                    }
                    m => match parse_message(m) {
                        Ok(p) => p,
                        Err(e) => {
                            cancel(&mut input);
                            return notify(ws, e).await;
                        }
                    },
                };
                match kind.as_str() {
                    "init" => {
                        cancel(&mut input);
                        return close(ws, 4000, "Already Initialized").await;
                    }
                    "data" => {
                        if v.get("stream").and_then(Value::as_str) != Some("stdin") {
                            cancel(&mut input);
                            return close(ws, 4004, "Can only write to stdin").await;
                        }
                        let Some(data) = v.get("data").and_then(Value::as_str) else {
                            cancel(&mut input);
                            return notify(ws, "data needs \"data\" as a string").await;
                        };
                        sent += data.len();
                        if sent > MAX_STDIN {
                            cancel(&mut input);
                            return notify(ws, format!("stdin is limited to {MAX_STDIN} bytes a run")).await;
                        }
                        if let Some(i) = &input {
                            let _ = i.send(LiveInput::Stdin(data.as_bytes().to_vec()));
                        }
                    }
                    "signal" => {
                        let n = v.get("signal").and_then(Value::as_str).and_then(signal_number);
                        let Some(n) = n else {
                            cancel(&mut input);
                            return close(ws, 4005, "Invalid signal").await;
                        };
                        if let Some(i) = &input {
                            let _ = i.send(LiveInput::Signal(n));
                        }
                    }
                    // Flash's own: the end of stdin (a program reading to EOF ends).
                    "eof" => {
                        if let Some(i) = input.take() {
                            let _ = i.send(LiveInput::CloseStdin);
                        }
                    }
                    t => {
                        cancel(&mut input);
                        return notify(ws, format!("unknown message type {t:?}")).await;
                    }
                }
            }
        }
    }
}

/// Ends a run whose client broke the protocol.
fn cancel(input: &mut Option<std::sync::mpsc::Sender<LiveInput>>) {
    if let Some(i) = input.take() {
        let _ = i.send(LiveInput::Cancel);
    }
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Compile => "compile",
        Stage::Run => "run",
    }
}

/// The last messages: the stage's exit, the native result, and the close.
async fn finish(
    svc: Arc<Service>,
    mut ws: WebSocket,
    door: Door,
    request: JobRequest,
    started: i64,
    r: Result<flash_engine::Judgement, flash_engine::Error>,
) {
    let result = match r {
        Ok(j) => JobResult::from_judgement(&j),
        Err(e) => return notify(ws, e.to_string()).await,
    };
    let status = result.status_id();
    let compile_failed = status == flash_engine::StatusId::CompilationError;
    let mut exit = serde_json::to_value(piston::stage(&result)).unwrap_or_default();
    if compile_failed {
        exit = json!({"code": 1, "signal": null, "status": "RE", "message": "compilation failed"});
    }
    let mut msg = json!({"type": "exit", "stage": if compile_failed { "compile" } else { "run" }});
    for k in ["code", "signal", "status", "message", "cpu_time", "wall_time", "memory"] {
        if let Some(v) = exit.get(k) {
            msg[k] = v.clone();
        }
    }
    send(&mut ws, msg).await;
    if door == Door::Native {
        let now = crate::job::now_ms();
        let rec = JobRecord {
            token: uuid::Uuid::new_v4().to_string(),
            state: JobState::Done,
            created_at_ms: started,
            started_at_ms: Some(started),
            finished_at_ms: Some(now),
            request,
            result: Some(result),
        };
        send(&mut ws, json!({"type": "result", "result": native::view(&svc, &rec)})).await;
    }
    close(ws, 4999, "Job Completed").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_never_splits_a_character_and_keeps_invalid_bytes_visible() {
        let mut c = Utf8Carry::default();
        let s = "é€😀".as_bytes();
        let mut out = String::new();
        for b in s {
            out += &c.text(&[*b]);
        }
        out += &c.finish();
        assert_eq!(out, "é€😀");
        assert_eq!(c.text(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(c.text(b"x\xe2\x82"), "x");
        assert_eq!(c.finish(), "\u{fffd}");
    }

    #[test]
    fn signals_by_piston_name() {
        assert_eq!(signal_number("SIGKILL"), Some(9));
        assert_eq!(signal_number("SIGTERM"), Some(15));
        assert_eq!(signal_number("SIGNOPE"), None);
        assert_eq!(signal_number(""), None);
    }
}
