//! From a sandbox measurement to a Judge0 status (outputs are compared by [`Comparison`]).

use crate::compare::Comparison;
use crate::types::StatusId;
use flash_sandbox::{Measurement, Status};

/// Markers a runtime prints when an allocation failed.
const OOM_MARKERS: &[&str] =
    &["java.lang.OutOfMemoryError", "std::bad_alloc", "MemoryError", "JavaScript heap out of memory"];

/// The status of one run. `expected` is compared only when the run itself was fine.
pub fn run_status(
    m: &Measurement,
    stdout: &[u8],
    stderr: &[u8],
    expected: Option<&[u8]>,
) -> (StatusId, Option<String>) {
    run_status_compared(m, stdout, stderr, expected, &Comparison::default())
}

/// [`run_status`] with the output held against `expected` by `compare`; a
/// wrong answer says where it differs, except under Judge0's own rule
/// (whose answers carry no message).
pub fn run_status_compared(
    m: &Measurement,
    stdout: &[u8],
    stderr: &[u8],
    expected: Option<&[u8]>,
    compare: &Comparison,
) -> (StatusId, Option<String>) {
    let sig = m.signal.unwrap_or(0);
    let oom_marker = || {
        let text = String::from_utf8_lossy(stderr);
        OOM_MARKERS.iter().find(|mk| text.contains(*mk)).copied()
    };
    match m.status {
        Status::Ok => match expected.map(|e| compare.check(stdout, e)) {
            Some(Err(_)) if *compare == Comparison::TrailingWhitespace => (StatusId::WrongAnswer, None),
            Some(Err(why)) => (StatusId::WrongAnswer, Some(why)),
            _ => (StatusId::Accepted, None),
        },
        Status::TimeLimit => (StatusId::TimeLimitExceeded, Some("CPU time limit exceeded".into())),
        Status::WallTimeLimit => (StatusId::TimeLimitExceeded, Some("wall time limit exceeded".into())),
        Status::MemoryLimit => {
            (StatusId::MemoryLimitExceeded, Some(m.message.clone().unwrap_or_else(|| "memory limit exceeded".into())))
        }
        Status::OutputLimit => (StatusId::OutputLimitExceeded, Some("output limit exceeded".into())),
        Status::FileSizeLimit => (StatusId::RuntimeSigxfsz, Some("file size limit exceeded".into())),
        // A failed allocation that the runtime turned into an exception or abort:
        // Memory Limit Exceeded when the cgroup saw the limit reached, or the
        // runtime said so itself (the JVM's heap is sized from the limit).
        Status::RuntimeError | Status::Signaled if m.memory_limit_hit || oom_marker().is_some() => {
            let why =
                oom_marker().map_or("memory limit reached".to_string(), |mk| format!("memory limit reached ({mk})"));
            (StatusId::MemoryLimitExceeded, Some(why))
        }
        Status::RuntimeError => {
            (StatusId::RuntimeNzec, Some(format!("exited with code {}", m.exit_code.unwrap_or(-1))))
        }
        Status::Signaled => {
            let id = match sig {
                libc_sig::SIGSEGV | libc_sig::SIGBUS => StatusId::RuntimeSigsegv,
                libc_sig::SIGXFSZ => StatusId::RuntimeSigxfsz,
                libc_sig::SIGFPE => StatusId::RuntimeSigfpe,
                libc_sig::SIGABRT => StatusId::RuntimeSigabrt,
                _ => StatusId::RuntimeOther,
            };
            (id, Some(format!("killed by signal {sig} ({})", signal_name(sig))))
        }
        Status::ExecFailed => match m.exec_errno {
            Some(libc_sig::ENOEXEC) | Some(libc_sig::EACCES) => (StatusId::ExecFormatError, m.message.clone()),
            _ => (StatusId::InternalError, m.message.clone()),
        },
        Status::InternalError => (StatusId::InternalError, m.message.clone()),
    }
}

/// Signal and errno numbers used above (x86_64 Linux), kept here so the engine
/// needs no libc dependency.
mod libc_sig {
    pub const SIGABRT: i32 = 6;
    pub const SIGBUS: i32 = 7;
    pub const SIGFPE: i32 = 8;
    pub const SIGSEGV: i32 = 11;
    pub const SIGXFSZ: i32 = 25;
    pub const ENOEXEC: i32 = 8;
    pub const EACCES: i32 = 13;
}

/// A signal's usual name.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => "signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meas(status: Status) -> Measurement {
        Measurement::new(status)
    }

    #[test]
    fn judge0_comparison_ignores_trailing_whitespace_only() {
        let outputs_match = |a: &[u8], e: &[u8]| Comparison::TrailingWhitespace.check(a, e).is_ok();
        assert!(outputs_match(b"1 2  \n3\n\n\n", b"1 2\n3"));
        assert!(outputs_match(b"a\r\nb\r\n", b"a\nb\n"));
        assert!(!outputs_match(b" a\n", b"a\n"), "leading whitespace counts");
        assert!(!outputs_match(b"a\n\nb", b"a\nb"), "inner blank lines count");
        assert!(outputs_match(b"", b"\n\n"));
    }

    #[test]
    fn statuses_map_to_judge0_ids() {
        let ok = meas(Status::Ok);
        assert_eq!(run_status(&ok, b"1\n", b"", Some(b"1")).0, StatusId::Accepted);
        assert_eq!(run_status(&ok, b"2\n", b"", Some(b"1")).0, StatusId::WrongAnswer);
        let mut sig = meas(Status::Signaled);
        for (s, want) in [
            (11, StatusId::RuntimeSigsegv),
            (8, StatusId::RuntimeSigfpe),
            (6, StatusId::RuntimeSigabrt),
            (25, StatusId::RuntimeSigxfsz),
            (31, StatusId::RuntimeOther),
        ] {
            sig.signal = Some(s);
            assert_eq!(run_status(&sig, b"", b"", None).0, want, "signal {s}");
        }
        assert_eq!(run_status(&meas(Status::RuntimeError), b"", b"", None).0, StatusId::RuntimeNzec);
        assert_eq!(run_status(&meas(Status::TimeLimit), b"", b"", None).0, StatusId::TimeLimitExceeded);
        assert_eq!(run_status(&meas(Status::WallTimeLimit), b"", b"", None).0, StatusId::TimeLimitExceeded);
        assert_eq!(run_status(&meas(Status::MemoryLimit), b"", b"", None).0, StatusId::MemoryLimitExceeded);
        assert_eq!(run_status(&meas(Status::OutputLimit), b"", b"", None).0, StatusId::OutputLimitExceeded);
        let mut enoexec = meas(Status::ExecFailed);
        enoexec.exec_errno = Some(8);
        assert_eq!(run_status(&enoexec, b"", b"", None).0, StatusId::ExecFormatError);
    }

    #[test]
    fn allocation_failures_at_the_limit_are_memory_limit_exceeded() {
        let mut abort = meas(Status::Signaled);
        abort.signal = Some(6);
        abort.memory_limit_hit = true;
        assert_eq!(
            run_status(&abort, b"", b"terminate called after throwing an instance of 'std::bad_alloc'", None).0,
            StatusId::MemoryLimitExceeded
        );
        let mut java = meas(Status::RuntimeError);
        java.exit_code = Some(1);
        let (id, msg) =
            run_status(&java, b"", b"Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space", None);
        assert_eq!(id, StatusId::MemoryLimitExceeded);
        assert!(msg.unwrap().contains("OutOfMemoryError"));
        // An ordinary exception stays a runtime error.
        assert_eq!(run_status(&java, b"", b"java.lang.ArithmeticException: / by zero", None).0, StatusId::RuntimeNzec);
    }

    #[test]
    fn statuses_15_and_16_fold_into_judge0s_table() {
        assert_eq!(StatusId::MemoryLimitExceeded.judge0_compatible(), StatusId::RuntimeOther);
        assert_eq!(StatusId::OutputLimitExceeded.judge0_compatible(), StatusId::RuntimeSigxfsz);
        assert_eq!(StatusId::from_id(3), Some(StatusId::Accepted));
        assert_eq!(StatusId::from_id(17), None);
        assert_eq!(StatusId::from_id(0), None);
    }
}
