//! The wire protocol between the library and a slot's helper process.
//!
//! One stream socket (a `socketpair`), frames of `[kind: u8][len: u32 LE][payload]`.
//! A run is: the library sends `Request` (JSON), then one `File` frame per input
//! file, an optional `Stdin` frame, then `Go`. A run whose stdin and stdout are
//! descriptors (`Pool::run_piped`) sends them in an `Fds` frame right after
//! the `Request`. Then, for a request with binds or `collect_into`, `Fds`
//! frames (at most 128 descriptors each) carry a detached mount of each bind's
//! host file (`open_tree`, attached in the box by the helper) and last the
//! `collect_into` directory. The helper answers with any number
//! of `Stdout`/`Stderr` frames while the program runs, `File` frames for the
//! collected files (none with `collect_into`: those are written to the
//! directory and listed in the result), and exactly one `Result` (JSON
//! [`Measurement`]) or `Error` (UTF-8 message) to end the run. At start-up
//! the helper sends `Ready` or `Error`.
//!
//! A live run (`Stdin::Live`) has a pipe for stdin that the library feeds while
//! the program runs: `Stdin` frames after `Go` are written into it (an empty one
//! closes it), and a `Signal` frame (the number, i32 LE) is sent to the program.
//! Frames of a run that arrive after its `Result` are dropped by the helper.
//!
//! The helper's output is untrusted in spirit (the box could in theory confuse
//! it), so every length is checked against [`MAX_FRAME`].
//!
//! [`Measurement`]: crate::Measurement

use std::io::{self, Read, Write};

/// Largest frame accepted (256 MiB): bigger than any limit a run may have.
pub const MAX_FRAME: usize = 256 << 20;

/// Frame kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Ready = 1,
    Request = 2,
    File = 3,
    Stdin = 4,
    Go = 5,
    Stdout = 6,
    Stderr = 7,
    Result = 8,
    Error = 9,
    /// The slot's configuration, the helper's first frame (not its command
    /// line: every box's /proc/1/cmdline would show it).
    Config = 10,
    /// A signal for the program of a live run.
    Signal = 11,
    /// Empty, sent with the program's stdin and stdout descriptors attached
    /// (SCM_RIGHTS), right after a `Request` whose `stdio_fds` is set.
    Fds = 12,
    /// Empty, from the helper during a run with network, sent with a
    /// connection the program opened to the proxy attached (SCM_RIGHTS).
    Connection = 13,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Ready,
            2 => Kind::Request,
            3 => Kind::File,
            4 => Kind::Stdin,
            5 => Kind::Go,
            6 => Kind::Stdout,
            7 => Kind::Stderr,
            8 => Kind::Result,
            9 => Kind::Error,
            10 => Kind::Config,
            11 => Kind::Signal,
            12 => Kind::Fds,
            13 => Kind::Connection,
            _ => return None,
        })
    }
}

/// Writes one frame with a single `write_all` of header and payload.
/// An [`Kind::Error`] frame's payload: what failed, typed, so the library
/// tells a bad request (the slot is still good) from a broken helper without
/// reading the message.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum ErrorFrame {
    /// The request was unusable: [`crate::Error::Request`]'s words.
    Request(String),
    /// The helper failed: the whole error in words.
    Failed(String),
}

impl ErrorFrame {
    /// What the helper sends for `e`.
    pub fn of(e: &crate::Error) -> ErrorFrame {
        match e {
            crate::Error::Request(m) => ErrorFrame::Request(m.clone()),
            e => ErrorFrame::Failed(e.to_string()),
        }
    }

    /// The frame's payload.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an error frame serializes")
    }

    /// The library's error for a received payload.
    pub fn decode(payload: &[u8]) -> crate::Error {
        match serde_json::from_slice(payload) {
            Ok(ErrorFrame::Request(m)) => crate::Error::Request(m),
            Ok(ErrorFrame::Failed(m)) => crate::Error::Helper(m),
            Err(e) => crate::Error::Protocol(format!("bad error frame: {e}")),
        }
    }
}

pub fn write_frame(w: &mut impl Write, kind: Kind, payload: &[u8]) -> io::Result<()> {
    if payload.len() > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "frame too large"));
    }
    let mut head = [0u8; 5];
    head[0] = kind as u8;
    head[1..].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    w.write_all(&head)?;
    w.write_all(payload)
}

/// Reads one frame. EOF before a header is `UnexpectedEof`.
pub fn read_frame(r: &mut impl Read) -> io::Result<(Kind, Vec<u8>)> {
    let mut head = [0u8; 5];
    r.read_exact(&mut head)?;
    let kind = Kind::from_u8(head[0])
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("unknown frame kind {}", head[0])))?;
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    Ok((kind, buf))
}

/// Encodes a file frame payload: `[path len u32][path][mode u32][data]`.
pub fn encode_file(path: &str, mode: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + path.len() + data.len());
    out.extend_from_slice(&(path.len() as u32).to_le_bytes());
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(&mode.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Decodes a file frame payload (see [`encode_file`]).
pub fn decode_file(mut buf: Vec<u8>) -> io::Result<(String, u32, Vec<u8>)> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed file frame");
    if buf.len() < 8 {
        return Err(bad());
    }
    let plen = u32::from_le_bytes(buf[0..4].try_into().unwrap()) as usize;
    if buf.len() < 8 + plen {
        return Err(bad());
    }
    let path = std::str::from_utf8(&buf[4..4 + plen]).map_err(|_| bad())?.to_owned();
    let mode = u32::from_le_bytes(buf[4 + plen..8 + plen].try_into().unwrap());
    let data = buf.split_off(8 + plen);
    Ok((path, mode, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_frame_keeps_its_kind_and_words() {
        let bad = crate::Error::Request("empty argv".into());
        match ErrorFrame::decode(&ErrorFrame::of(&bad).encode()) {
            crate::Error::Request(m) => assert_eq!(m, "empty argv"),
            e => panic!("{e:?}"),
        }
        let broken = crate::Error::Setup("mount /box: EPERM".into());
        match ErrorFrame::decode(&ErrorFrame::of(&broken).encode()) {
            crate::Error::Helper(m) => assert_eq!(m, "sandbox set-up failed: mount /box: EPERM"),
            e => panic!("{e:?}"),
        }
        assert!(matches!(ErrorFrame::decode(b"invalid run request: x"), crate::Error::Protocol(_)));
    }

    #[test]
    fn frames_round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, Kind::Stdout, b"hello").unwrap();
        write_frame(&mut buf, Kind::Go, b"").unwrap();
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r).unwrap(), (Kind::Stdout, b"hello".to_vec()));
        assert_eq!(read_frame(&mut r).unwrap(), (Kind::Go, vec![]));
        assert_eq!(read_frame(&mut r).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn oversized_and_unknown_frames_are_refused() {
        let mut r: &[u8] = &[77, 0, 0, 0, 0];
        assert_eq!(read_frame(&mut r).unwrap_err().kind(), io::ErrorKind::InvalidData);
        let mut r: &[u8] = &[6, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(read_frame(&mut r).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn file_frames_round_trip() {
        let enc = encode_file("dir/a.out", 0o755, b"\x7fELF");
        assert_eq!(decode_file(enc).unwrap(), ("dir/a.out".into(), 0o755, b"\x7fELF".to_vec()));
        assert!(decode_file(vec![1, 2, 3]).is_err());
        assert!(decode_file(vec![200, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
