//! Live runs against the real sandbox (root only: `#[ignore]`d, and
//! scripts/test.sh, as root, runs them with the ignored tests): output arrives while
//! the program runs, stdin sent after the start reaches it, a signal ends it,
//! and input that comes too late never reaches the next run of the slot.

use flash_sandbox::{Limits, LiveInput, Pool, PoolConfig, RunSpec, Status, Stdin, Stream};
use flash_testkit::require_root;
use std::path::PathBuf;
use std::sync::mpsc;

fn pool() -> Pool {
    let mut c = PoolConfig::new(1).unwrap();
    c.helper_exe = PathBuf::from(env!("CARGO_BIN_EXE_flash"));
    Pool::new(c).expect("building the pool")
}

fn sh(script: &str, wall: f64) -> RunSpec {
    RunSpec {
        argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
        env: flash_sandbox::default_env(),
        limits: Limits { cpu_time: 5.0, wall_time: wall, ..Limits::default() },
        stdin: Stdin::Live,
        ..RunSpec::default()
    }
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn output_streams_before_the_end_and_stdin_reaches_the_running_program() {
    require_root();
    let pool = pool();
    let (tx, rx) = mpsc::channel();
    let mut seen = Vec::new();
    // The program prints, then blocks on stdin: the line can only be sent once
    // "ready" has arrived, so both directions work while it runs.
    let spec = sh("echo ready; read line; echo \"got $line\"; echo err >&2; read more; echo \"then $more\"", 20.0);
    let r = pool
        .run_live(&spec, rx, &mut |s, d| {
            seen.push((s, String::from_utf8_lossy(d).into_owned()));
            if d.starts_with(b"ready") {
                tx.send(LiveInput::Stdin(b"hello\n".to_vec())).unwrap();
                tx.send(LiveInput::Stdin(b"wor".to_vec())).unwrap();
                tx.send(LiveInput::Stdin(b"ld".to_vec())).unwrap();
                tx.send(LiveInput::CloseStdin).unwrap();
            }
        })
        .unwrap();
    assert_eq!(r.meas.status, Status::Ok, "{:?}", r.meas);
    assert_eq!(String::from_utf8_lossy(&r.stdout), "ready\ngot hello\nthen world\n");
    assert_eq!(String::from_utf8_lossy(&r.stderr), "err\n");
    assert_eq!(seen.first(), Some(&(Stream::Stdout, "ready\n".to_string())));
    assert!(seen.iter().any(|(s, d)| *s == Stream::Stderr && d == "err\n"), "{seen:?}");
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn a_signal_ends_the_program_and_dropping_the_sender_closes_stdin() {
    require_root();
    let pool = pool();
    let (tx, rx) = mpsc::channel();
    let spec = sh("echo ready; exec sleep 60", 30.0);
    let r = pool
        .run_live(&spec, rx, &mut |_, d| {
            if d.starts_with(b"ready") {
                tx.send(LiveInput::Signal(libc::SIGTERM)).unwrap();
            }
        })
        .unwrap();
    assert_eq!((r.meas.status, r.meas.signal), (Status::Signaled, Some(libc::SIGTERM)), "{:?}", r.meas);

    // No sender left: the program reads EOF at once (cat ends, not the wall limit).
    let (tx, rx) = mpsc::channel::<LiveInput>();
    drop(tx);
    let r = pool.run_live(&sh("cat; echo eof", 30.0), rx, &mut |_, _| {}).unwrap();
    assert_eq!((r.meas.status, String::from_utf8_lossy(&r.stdout).as_ref()), (Status::Ok, "eof\n"));

    // Through `run`, a live stdin is closed at once too.
    let r = pool.run(&sh("cat; echo eof", 30.0)).unwrap();
    assert_eq!((r.meas.status, String::from_utf8_lossy(&r.stdout).as_ref()), (Status::Ok, "eof\n"));
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn input_after_the_end_never_reaches_the_next_run() {
    require_root();
    let pool = pool();
    let (tx, rx) = mpsc::channel();
    // The program ends at once; the caller keeps sending (signals and input)
    // as the run ends: all of it is dropped, and the slot stays in step.
    let r = pool
        .run_live(&sh("echo bye", 10.0), rx, &mut |_, _| {
            for _ in 0..200 {
                tx.send(LiveInput::Stdin(vec![b'x'; 4096])).unwrap();
                tx.send(LiveInput::Signal(libc::SIGKILL)).unwrap();
            }
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout), "bye\n");
    for _ in 0..3 {
        let r = pool.run(&RunSpec { argv: vec!["/bin/echo".into(), "alive".into()], ..RunSpec::default() }).unwrap();
        assert_eq!((r.meas.status, String::from_utf8_lossy(&r.stdout).as_ref()), (Status::Ok, "alive\n"));
    }
    // A signal outside 1..=31 is ignored, not a failure of the slot.
    let (tx, rx) = mpsc::channel();
    tx.send(LiveInput::Signal(99)).unwrap();
    tx.send(LiveInput::Stdin(b"in\n".to_vec())).unwrap();
    drop(tx);
    let r = pool.run_live(&sh("cat", 10.0), rx, &mut |_, _| {}).unwrap();
    assert_eq!((r.meas.status, String::from_utf8_lossy(&r.stdout).as_ref()), (Status::Ok, "in\n"));
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn cancel_ends_a_run_even_while_its_input_is_stuck() {
    require_root();
    let pool = pool();
    let (tx, rx) = mpsc::channel();
    // The program never reads: 4 MiB of input fills the pipe, the helper's
    // buffer and the socket, so the feeder waits in a write when the cancel
    // comes. Without it the run would last its whole minute and be Ok.
    let r = pool.run_live(&sh("echo ready; exec sleep 60", 60.0), rx, &mut |_, d| {
        if d.starts_with(b"ready") {
            for _ in 0..64 {
                tx.send(LiveInput::Stdin(vec![b'x'; 64 << 10])).unwrap();
            }
            tx.send(LiveInput::Cancel).unwrap();
        }
    });
    assert!(r.is_err(), "a cancelled run is an error: {:?}", r.map(|r| r.meas));
    // The slot is rebuilt and serves the next run.
    let r = pool.run(&RunSpec { argv: vec!["/bin/echo".into(), "alive".into()], ..RunSpec::default() }).unwrap();
    assert_eq!((r.meas.status, String::from_utf8_lossy(&r.stdout).as_ref()), (Status::Ok, "alive\n"));
}

/// A run pinned to a CPU runs there, children included; an unpinned one
/// may use every CPU this process may; a CPU beyond the host's is ignored.
#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn a_pinned_run_stays_on_its_cpu() {
    require_root();
    let pool = pool();
    let allowed = |cpu: Option<u32>| {
        let spec = RunSpec {
            argv: vec!["/bin/sh".into(), "-c".into(), "sh -c 'grep Cpus_allowed_list /proc/self/status'".into()],
            cpu,
            ..RunSpec::default()
        };
        let r = pool.run(&spec).unwrap();
        assert_eq!(r.meas.status, Status::Ok, "{r:?}");
        String::from_utf8_lossy(&r.stdout).split_whitespace().last().unwrap_or_default().to_owned()
    };
    let all = allowed(None);
    let last: u32 = all.rsplit([',', '-']).next().unwrap().parse().unwrap();
    assert_eq!(allowed(Some(last)), last.to_string());
    assert_eq!(allowed(Some(0)), "0");
    assert_eq!(allowed(Some(100_000)), all, "an impossible CPU leaves the run unpinned");
}
