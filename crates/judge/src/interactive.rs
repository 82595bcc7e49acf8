//! Interactive problems: the solution and the interactor (the Kattis
//! interactive output validator, or a testlib interactor) run at the same time
//! in two boxes of the pool, the solution's stdout being the interactor's stdin
//! and the other way round. Each has its own limits and its own time
//! accounting; the solution's wall-time limit bounds how long it may sit idle.
//!
//! Verdict precedence (as the format's reference tools apply it):
//! 1. the interactor failed (crash, limit, an exit code outside its protocol): JE;
//! 2. the solution ran out of time: TLE;
//! 3. the interactor exited first and rejected: WA (or PE), whatever the
//!    solution did after (a broken pipe is the interactor's doing);
//! 4. the solution crashed or hit a limit: RTE, MLE or OLE;
//! 5. otherwise the interactor's verdict.
//!
//! On request ([`run`]'s `transcript`), two relay threads stand between the
//! boxes and keep what each side wrote, in order, at most
//! [`TRANSCRIPT_LIMIT`] bytes a side ([`Transcript`]); without it the boxes
//! share the pipes directly (a relay costs a thread wake-up per message).

use crate::checker::{self, CheckOutcome, CheckScore, CheckVerdict, Protocol};
use crate::verdict::Verdict;
use flash_engine::{Engine, Program, RunExtra, RunOutcome};
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Mutex;

/// Bytes of a side's writing a transcript keeps.
pub const TRANSCRIPT_LIMIT: usize = 64 * 1024;

/// What each side of an interactive test wrote, in the order it was read.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Transcript {
    /// Each side's writing, in the order it was read.
    pub messages: Vec<Message>,
    /// The solution wrote more than 64 KiB (`TRANSCRIPT_LIMIT`); the rest is not kept.
    pub solution_truncated: bool,
    /// The interactor wrote more than 64 KiB (`TRANSCRIPT_LIMIT`).
    pub interactor_truncated: bool,
}

/// One stretch of writing by one side.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = TranscriptMessage))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Message {
    /// `solution` or `interactor`.
    pub side: &'static str,
    /// What it wrote (invalid UTF-8 replaced).
    pub text: String,
}

/// The transcript being recorded: bytes per message, and bytes kept per side.
#[derive(Default)]
struct Log {
    chunks: Vec<(&'static str, Vec<u8>)>,
    kept: [usize; 2],
    truncated: [bool; 2],
}

impl Log {
    fn record(&mut self, side: &'static str, data: &[u8]) {
        let i = usize::from(side == "interactor");
        let room = TRANSCRIPT_LIMIT - self.kept[i];
        if data.len() > room {
            self.truncated[i] = true;
        }
        let keep = &data[..data.len().min(room)];
        if keep.is_empty() {
            return;
        }
        self.kept[i] += keep.len();
        match self.chunks.last_mut() {
            Some((s, bytes)) if *s == side => bytes.extend_from_slice(keep),
            _ => self.chunks.push((side, keep.to_vec())),
        }
    }

    fn finish(self) -> Transcript {
        Transcript {
            messages: self
                .chunks
                .into_iter()
                .map(|(side, b)| Message { side, text: String::from_utf8_lossy(&b).into_owned() })
                .collect(),
            solution_truncated: self.truncated[0],
            interactor_truncated: self.truncated[1],
        }
    }
}

/// Copies `from` to `to`, logging it, until either end is closed; then
/// closes both, so each side sees what it would have seen on a direct pipe.
fn relay(from: OwnedFd, to: OwnedFd, side: &'static str, log: &Mutex<Log>) {
    let (mut r, mut w) = (std::fs::File::from(from), std::fs::File::from(to));
    let mut buf = [0u8; 4096];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        log.lock().unwrap_or_else(|p| p.into_inner()).record(side, &buf[..n]);
        if w.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// What one interactive test gave.
pub struct Interaction {
    pub verdict: Verdict,
    pub detail: Option<String>,
    pub message: Option<String>,
    pub score: Option<CheckScore>,
    /// The solution's CPU seconds, wall seconds and peak memory (KiB).
    pub solution_time: f64,
    pub solution_wall: f64,
    pub solution_memory: u64,
    /// The interactor's CPU seconds.
    pub interactor_time: f64,
    /// Wall seconds from when both programs were running to the solution's end.
    pub dialogue_wall: f64,
    /// A testlib interactor's output file (what a testlib checker then reads).
    pub interactor_output: Option<Vec<u8>>,
    /// What each side wrote, when asked for.
    pub transcript: Option<Transcript>,
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A CPU for the next interactive pair: the CPUs this process may use, in
/// turn, so concurrent pairs spread over them. None if they cannot be read.
fn turn_cpu() -> Option<u32> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    // SAFETY: a zeroed cpu_set_t is a valid empty set, filled by the kernel.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t of the size given.
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return None;
    }
    // SAFETY: CPU_ISSET reads the set within CPU_SETSIZE.
    let cpus: Vec<u32> =
        (0..libc::CPU_SETSIZE as u32).filter(|&c| unsafe { libc::CPU_ISSET(c as usize, &set) }).collect();
    if cpus.is_empty() {
        return None;
    }
    Some(cpus[NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % cpus.len()])
}

/// One interactive test as the interactor gets it.
pub struct Test<'a> {
    pub input: &'a [u8],
    pub answer: &'a [u8],
    /// The interactor's arguments after the protocol's own.
    pub flags: &'a [String],
    /// Keep what each side wrote ([`Interaction::transcript`]).
    pub transcript: bool,
}

/// Runs one interactive test.
pub fn run(engine: &Engine, solution: &Program, interactor: &Program, protocol: Protocol, test: &Test) -> Interaction {
    let Test { input, answer, flags, transcript } = *test;
    let call = checker::call(protocol, input, answer, b"", flags);
    let mut call_files = call.files;
    let mut collect = call.collect;
    if protocol == Protocol::Testlib {
        // The interactor writes its own output file; it must not exist yet.
        call_files.retain(|f| f.path != checker::OUTPUT);
        collect.push(checker::OUTPUT.to_string());
    }
    // The two take turns: on one CPU each wakes the other without crossing
    // CPUs (on this project's 2-core reference machine a dialogue of 1000
    // rounds took 2.3 times as long as over plain pipes across two CPUs).
    let cpu = turn_cpu();
    let extra = RunExtra { stdin: Vec::new(), args: call.args, files: call_files, collect, cpu };
    let pipes = pipe().and_then(|a| Ok((a, pipe()?)));
    let ((to_interactor_r, to_interactor_w), (to_solution_r, to_solution_w)) = match pipes {
        Ok(p) => p,
        Err(e) => return failed(format!("cannot make pipes: {e}")),
    };
    // With a transcript, each side writes into a pipe of its own that a relay empties.
    let relays = match transcript {
        false => None,
        true => match pipe().and_then(|a| Ok((a, pipe()?))) {
            Ok(p) => Some(p),
            Err(e) => return failed(format!("cannot make pipes: {e}")),
        },
    };
    let log = Mutex::new(Log::default());
    let (sol, inter) = std::thread::scope(|s| {
        let (sol_out, inter_out) = match relays {
            None => (to_interactor_w, to_solution_w),
            Some(((sol_r, sol_w), (inter_r, inter_w))) => {
                let log = &log;
                s.spawn(move || relay(sol_r, to_interactor_w, "solution", log));
                s.spawn(move || relay(inter_r, to_solution_w, "interactor", log));
                (sol_w, inter_w)
            }
        };
        let inter = s.spawn(|| engine.run_program_piped(interactor, extra, to_interactor_r, inter_out));
        let sol = engine.run_program_piped(solution, RunExtra { cpu, ..RunExtra::default() }, to_solution_r, sol_out);
        (sol, inter.join())
    });
    let transcript = transcript.then(|| log.into_inner().unwrap_or_else(|p| p.into_inner()).finish());
    let (sol, inter) = match (sol, inter) {
        (Ok(s), Ok(Ok(i))) => (s, i),
        (Err(e), _) | (_, Ok(Err(e))) => return failed(format!("the sandbox failed: {e}")),
        (_, Err(_)) => return failed("the interactor's thread panicked".into()),
    };
    let (status, message) = flash_engine::verdict::run_status(&sol.meas, &[], &sol.stderr, None);
    let outcome = RunOutcome {
        status,
        message,
        exit_code: sol.meas.exit_code,
        exit_signal: sol.meas.signal,
        time: sol.meas.cpu_time,
        wall_time: sol.meas.wall_time,
        memory: sol.meas.memory_kb,
        stdout: Vec::new(),
        stderr: Vec::new(),
        interleave: Vec::new(),
    };
    let (sol_verdict, detail) = Verdict::of_run(&outcome);
    let checked = checker::interpret(protocol, &inter.meas, &inter.stdout, &inter.stderr, &inter.files);
    // Which ended first is told by the pipe, not by the clocks: the two
    // boxes' inits stamp their ends only when scheduled, and on a loaded
    // host a solution that died of the interactor's hang-up was once stamped
    // first. The solution's init looks, as its program ends, whether its
    // stdin (the interactor's output) still had a writer. That init too may
    // look late on a loaded host; the error is then on the side of the
    // interactor's verdict (a WA for a solution that crashed just before the
    // interactor gave up), never a crash blamed for the interactor's hang-up.
    let interactor_first = sol.meas.stdin_hung_up;
    let (verdict, detail) = precedence(sol_verdict, detail, &checked, interactor_first);
    let keep_score = verdict == Verdict::AC;
    let started = |m: &flash_sandbox::Measurement| m.ended_monotonic - m.wall_time;
    let dialogue_wall = (sol.meas.ended_monotonic - started(&sol.meas).max(started(&inter.meas))).max(0.0);
    Interaction {
        verdict,
        detail,
        message: checked.message,
        score: if keep_score { checked.score } else { None },
        solution_time: sol.meas.cpu_time,
        solution_wall: sol.meas.wall_time,
        solution_memory: sol.meas.memory_kb,
        interactor_time: inter.meas.cpu_time,
        dialogue_wall,
        interactor_output: inter.files.into_iter().find(|f| f.path == checker::OUTPUT).map(|f| f.data),
        transcript,
    }
}

/// The verdict of a test from the solution's run and the interactor's (see
/// the module docs).
pub fn precedence(
    solution: Verdict,
    detail: Option<String>,
    interactor: &CheckOutcome,
    interactor_first: bool,
) -> (Verdict, Option<String>) {
    let judged = match interactor.verdict {
        CheckVerdict::JudgeError => return (Verdict::JE, None),
        CheckVerdict::Accepted => Verdict::AC,
        CheckVerdict::WrongAnswer => Verdict::WA,
        CheckVerdict::PresentationError => Verdict::PE,
    };
    if solution == Verdict::TLE {
        return (Verdict::TLE, detail);
    }
    if interactor_first && judged != Verdict::AC {
        return (judged, None);
    }
    if solution != Verdict::AC {
        return (solution, detail);
    }
    (judged, None)
}

fn failed(why: String) -> Interaction {
    Interaction {
        verdict: Verdict::JE,
        detail: None,
        message: Some(why),
        score: None,
        solution_time: 0.0,
        solution_wall: 0.0,
        solution_memory: 0,
        interactor_time: 0.0,
        dialogue_wall: 0.0,
        interactor_output: None,
        transcript: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(v: CheckVerdict) -> CheckOutcome {
        CheckOutcome { verdict: v, score: None, message: None }
    }

    #[test]
    fn a_transcript_keeps_the_order_and_at_most_its_limit_a_side() {
        let mut log = Log::default();
        log.record("solution", b"5\n");
        log.record("solution", b"7\n");
        log.record("interactor", b"<\n");
        log.record("interactor", &vec![b'x'; TRANSCRIPT_LIMIT]);
        let t = log.finish();
        assert_eq!(t.messages.len(), 2);
        assert_eq!((t.messages[0].side, t.messages[0].text.as_str()), ("solution", "5\n7\n"));
        assert_eq!(t.messages[1].text.len(), TRANSCRIPT_LIMIT);
        assert!(t.interactor_truncated && !t.solution_truncated);
    }

    #[test]
    fn verdict_precedence() {
        use CheckVerdict::*;
        use Verdict::{AC, JE, RTE, TLE, WA};
        let p = |sol, inter, first| precedence(sol, None, &said(inter), first).0;
        assert_eq!(p(AC, Accepted, false), AC);
        assert_eq!(p(AC, WrongAnswer, false), WA);
        assert_eq!(p(TLE, WrongAnswer, true), TLE, "the solution's time limit first");
        assert_eq!(p(RTE, WrongAnswer, true), WA, "the interactor rejected first: a broken pipe after is no crash");
        assert_eq!(p(RTE, WrongAnswer, false), RTE, "the solution crashed first");
        assert_eq!(p(RTE, Accepted, true), RTE);
        assert_eq!(p(AC, JudgeError, false), JE);
        assert_eq!(p(TLE, JudgeError, false), JE, "a broken interactor is never the contestant's fault");
    }
}
