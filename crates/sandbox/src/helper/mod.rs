//! The slot helper: the `flash` binary re-executed as a hidden subcommand, one
//! per box slot, single-threaded, root, and the only process that forks
//! untrusted code.
//!
//! - [`setup`]: builds the slot's box once (namespaces, root, cgroup).
//! - [`run`]: one run: files in, program started, watched, measured, files out.
//! - [`child`]: the allocation-free code on the far side of `clone`.
//!
//! It talks to the library over the socket on its stdin (see [`crate::protocol`]).

mod child;
mod run;
mod setup;

use crate::config::SlotConfig;
use crate::protocol::{read_frame, write_frame, ErrorFrame, Kind};
use crate::spec::RunSpec;
use crate::Error;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::OpenOptionsExt;

/// A built box, ready for runs.
pub struct Slot {
    /// Every run gets a cgroup of its own below the slot's.
    run_cgroups: bool,
    /// The cgroup of the next run, made after the last one (off the run's path).
    next_run: std::cell::RefCell<Option<flash_cgroup::RunCgroup>>,
    /// Runs started, naming their cgroups.
    runs: std::cell::Cell<u64>,
    box_size_kb: u64,
    tmp_size_kb: u64,
    uid: u32,
    gid: u32,
    cgroup: flash_cgroup::Controls,
    seccomp_default: flash_seccomp::Program,
    seccomp_debugger: flash_seccomp::Program,
    /// The host's /proc, opened before the box's root replaced it: where a
    /// live run's program is found to be signalled.
    host_proc: File,
    /// The helper's resident set when the slot was built, bytes.
    resident: u64,
}

/// Entry point of `flash __sandbox-helper`; the configuration comes as the
/// first frame on the control socket. Returns the exit code.
pub fn main() -> i32 {
    // SAFETY: fd 0 is the control socket the library gave us; we take ownership.
    let mut ctl = unsafe { File::from_raw_fd(0) };
    let slot = match read_frame(&mut ctl) {
        Ok((Kind::Config, json)) => {
            serde_json::from_slice::<SlotConfig>(&json).map_err(|e| Error::Setup(format!("bad slot config: {e}")))
        }
        Ok((k, _)) => Err(Error::Protocol(format!("expected the slot config, got {k:?}"))),
        Err(e) => Err(Error::Io("control socket".into(), e)),
    }
    .and_then(setup::prepare);
    let slot = match slot {
        Ok(s) => s,
        Err(e) => {
            let _ = write_frame(&mut ctl, Kind::Error, &ErrorFrame::of(&e).encode());
            return 1;
        }
    };
    if write_frame(&mut ctl, Kind::Ready, b"{}").is_err() {
        return 1;
    }
    loop {
        match serve_one(&slot, &mut ctl) {
            Ok(true) => {}
            Ok(false) => return 0,
            Err(e) => {
                let _ = write_frame(&mut ctl, Kind::Error, &ErrorFrame::of(&e).encode());
                // Only a bad request leaves the slot as good as new (its frames were all read
                // and the box was reset); anything else: stop, and the library respawns us.
                if !matches!(e, Error::Request(_)) {
                    return 1;
                }
            }
        }
    }
}

/// Serves one request. `Ok(false)` when the library closed the socket.
fn serve_one(slot: &Slot, ctl: &mut File) -> Result<bool, Error> {
    let (kind, payload) = loop {
        match read_frame(ctl) {
            // Input for a live run that ended before it arrived.
            Ok((Kind::Stdin | Kind::Signal, _)) => continue,
            Ok(f) => break f,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(Error::Io("control socket".into(), e)),
        }
    };
    if kind != Kind::Request {
        return Err(Error::Protocol(format!("expected a request, got {kind:?}")));
    }
    let spec: RunSpec = serde_json::from_slice(&payload).map_err(|e| Error::Request(format!("bad request: {e}")))?;
    let mut input = run::Input::Null;
    let mut output = None;
    if spec.stdio_fds {
        let mut head = [0u8; 5];
        let mut fds = crate::sys::recv_fds(ctl.as_raw_fd(), &mut head, 2).map_err(Error::io("control socket"))?;
        if head != [Kind::Fds as u8, 0, 0, 0, 0] {
            return Err(Error::Protocol("expected an Fds frame after a piped request".into()));
        }
        output = fds.pop();
        input = run::Input::Fd(fds.pop().expect("two descriptors"));
    }
    let mut mounts = Vec::new();
    let mut left = crate::pool::mount_fds(&spec);
    while left > 0 {
        let n = left.min(crate::pool::FDS_PER_FRAME);
        let mut head = [0u8; 5];
        let fds = crate::sys::recv_fds(ctl.as_raw_fd(), &mut head, n).map_err(Error::io("control socket"))?;
        if head != [Kind::Fds as u8, 0, 0, 0, 0] {
            return Err(Error::Protocol("expected an Fds frame of mounts".into()));
        }
        mounts.extend(fds);
        left -= n;
    }
    let collect_dir = if spec.collect_into.is_some() { mounts.pop() } else { None };
    loop {
        let (kind, payload) = read_frame(ctl).map_err(Error::io("control socket"))?;
        match kind {
            Kind::Stdin => {
                let fd = crate::sys::memfd_with(c"stdin", &payload).map_err(Error::io("memfd"))?;
                input = run::Input::Fd(fd);
            }
            Kind::Go => break,
            k => return Err(Error::Protocol(format!("unexpected {k:?} frame before Go"))),
        }
    }
    let private = match &spec.private_output {
        Some(_) => Some(private_output(slot)?),
        None => None,
    };
    let private_fd = private.as_ref().map_or(-1, |f| f.as_raw_fd());
    let result = run::place_binds(&spec.binds, &mounts, slot.uid)
        .and_then(|()| box_stdin(&spec, input))
        .and_then(|input| slot.run(&spec, input, output, private_fd, ctl));
    // The binds hold their own references now; the descriptors are not needed.
    drop(mounts);
    let ran = std::time::Instant::now();
    let meas = match result {
        Ok(m) => m,
        Err(e) => {
            slot.reset_writable()?;
            return Err(e);
        }
    };
    let box_bytes = slot.box_size_kb * 1024;
    let cap = match spec.collect_max_kb {
        0 => box_bytes,
        kb => box_bytes.min(kb.saturating_mul(1024)),
    };
    let mut meas = meas;
    for (i, path) in spec.collect.iter().flat_map(|p| run::expand_pattern(p)).enumerate() {
        let name = i.to_string();
        let got = match &collect_dir {
            Some(dir) => run::store_file(&path, cap, dir, &name)?,
            None => run::collect_file(&path, cap),
        };
        match got {
            Some(run::Collected::File(mode, data)) => {
                let frame = crate::protocol::encode_file(&path, mode, &data);
                write_frame(ctl, Kind::File, &frame).map_err(Error::io("control socket"))?;
            }
            Some(run::Collected::Stored(mode, size)) => {
                meas.stored.push(crate::spec::StoredFile { path, mode, size, name });
            }
            Some(run::Collected::TooLarge(len)) => meas.collect_refused.push((path, len)),
            None => {}
        }
    }
    if let (Some(name), Some(f)) = (&spec.private_output, &private) {
        let (mode, data) = run::read_private(f, cap).map_err(Error::io("private output"))?;
        let frame = crate::protocol::encode_file(name, mode, &data);
        write_frame(ctl, Kind::File, &frame).map_err(Error::io("control socket"))?;
    }
    slot.reset_writable()?;
    if !meas.phases.is_empty() {
        meas.phases.push(("files collected, /box and /tmp reset".into(), ran.elapsed().as_secs_f64() * 1e6));
    }
    // With a cgroup per run, nothing charged to the slot loosens the next limit.
    meas.slot_leftover_kb = match slot.run_cgroups {
        true => 0,
        false => slot.cgroup.memory_usage().map_err(|e| Error::Cgroup(e.to_string()))? / 1024,
    };
    let json = serde_json::to_vec(&meas).expect("a measurement always serializes");
    write_frame(ctl, Kind::Result, &json).map_err(Error::io("control socket"))?;
    if slot.run_cgroups {
        slot.prepare_next_run()?;
    }
    Ok(true)
}

impl Slot {
    /// Makes the cgroup the next run will be born into.
    fn prepare_next_run(&self) -> Result<(), Error> {
        if self.next_run.borrow().is_none() {
            let seq = self.runs.get();
            self.runs.set(seq + 1);
            let run = self.cgroup.create_run(seq).map_err(|e| Error::Cgroup(e.to_string()))?;
            *self.next_run.borrow_mut() = Some(run);
        }
        Ok(())
    }
}

/// The run's private output file: unnamed in the box's tmpfs (so charged to
/// the box, and gone with it), owned by the box's user.
fn private_output(slot: &Slot) -> Result<File, Error> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open("/box")
        .map_err(Error::io("private output file"))?;
    std::os::unix::fs::fchown(&f, Some(slot.uid), Some(slot.gid)).map_err(Error::io("private output file"))?;
    Ok(f)
}

/// Opens a stdin file that lives in the box (opened by root, read by the program).
fn box_stdin(spec: &RunSpec, input: run::Input) -> Result<run::Input, Error> {
    let p = match &spec.stdin {
        crate::spec::Stdin::BoxPath(p) => p,
        crate::spec::Stdin::Live => {
            let (r, w) = crate::sys::pipe().map_err(Error::io("pipe"))?;
            return Ok(run::Input::Live(r, w));
        }
        _ => return Ok(input),
    };
    crate::spec::check_box_path(p).map_err(Error::Request)?;
    let f = run::open_box_file(p).ok_or_else(|| Error::Request(format!("stdin file {p} not found in the box")))?;
    Ok(run::Input::Fd(f.into()))
}
