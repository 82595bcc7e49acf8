//! Network for a run, when it is allowed: an HTTP proxy on the box's own
//! loopback, and nothing else.
//!
//! The box's network namespace has only `lo`, so no packet of the program
//! leaves it. For a run whose [`RunSpec::network`](crate::RunSpec::network)
//! allows hosts, the helper listens on [`PROXY_ADDR`] inside the box's
//! namespace and hands every accepted connection to the library (SCM_RIGHTS
//! on the control socket); the library, in the host's namespace, reads the
//! request (`CONNECT host:port` for TLS, or an absolute `http://` URI),
//! checks the host against the run's allow-list, resolves it here, and relays
//! bytes both ways. The program finds the proxy through the usual variables
//! (`HTTPS_PROXY`, `HTTP_PROXY` and their lower-case twins), which curl, pip,
//! requests, urllib, wget, git and most HTTP clients honour. Whatever does not
//! go through the proxy (raw sockets to an address, DNS, UDP) still reaches
//! nothing.
//!
//! Allow-list entries: `host`, `host:port`, `*.domain` (any subdomain), an IP
//! address, `ip:port` or `[v6]:port`. A name is resolved on the host, and an
//! address it resolves to that is loopback, private, link-local or otherwise
//! not global is refused (no DNS rebinding into the host's own network); such
//! an address is reachable only when the operator lists it as an address.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where the proxy listens inside the box.
pub const PROXY_ADDR: &str = "127.0.0.1:3128";

/// The proxy's URL, as the box's environment gives it.
pub const PROXY_URL: &str = "http://127.0.0.1:3128";

/// Connections open at once per run; more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 32;
/// Largest request head (request line and headers) read before relaying.
const MAX_HEAD: usize = 16 << 10;
/// How long the program has to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection to an allowed host may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment that points a program at the proxy.
pub fn proxy_env() -> Vec<(String, String)> {
    ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .map(|k| (k.to_string(), PROXY_URL.to_string()))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Name(String),
    /// `*.domain`: any name ending in `.domain`.
    Suffix(String),
    Addr(IpAddr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: Host,
    port: Option<u16>,
}

/// A run's allow-list, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allow {
    entries: Vec<Entry>,
}

/// Splits `host[:port]` or `[v6][:port]`.
fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    let bad_port = |p: &str| format!("{s:?}: {p:?} is not a port (1-65535)");
    let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad_port(p));
    if let Some(rest) = s.strip_prefix('[') {
        let (h, tail) = rest.split_once(']').ok_or_else(|| format!("{s:?}: unclosed '['"))?;
        return match tail {
            "" => Ok((h, None)),
            t => Ok((h, Some(port(t.strip_prefix(':').ok_or_else(|| format!("{s:?}: expected ':' after ']'"))?)?))),
        };
    }
    match s.rsplit_once(':') {
        // An IPv6 address without brackets has more than one colon.
        Some((h, _)) if h.contains(':') => Ok((s, None)),
        Some((h, p)) => Ok((h, Some(port(p)?))),
        None => Ok((s, None)),
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
        })
}

impl Allow {
    /// Parses an allow-list; an error names the bad entry.
    pub fn parse(list: &[String]) -> Result<Allow, String> {
        let mut entries = Vec::new();
        for raw in list {
            let s = raw.trim();
            let (h, port) = split_host_port(s)?;
            let host = if let Ok(a) = h.parse::<IpAddr>() {
                Host::Addr(a)
            } else if let Some(d) = h.strip_prefix("*.") {
                if !valid_name(d) {
                    return Err(format!("{raw:?} is not a host name, *.domain or address"));
                }
                Host::Suffix(d.to_ascii_lowercase())
            } else if valid_name(h) {
                Host::Name(h.to_ascii_lowercase())
            } else {
                return Err(format!("{raw:?} is not a host name, *.domain or address"));
            };
            entries.push(Entry { host, port });
        }
        Ok(Allow { entries })
    }

    /// True when nothing is allowed (the run has no network).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `host:port` may be reached, and whether addresses that are
    /// not global are acceptable for it (only when listed as an address).
    fn permits(&self, host: &str, port: u16) -> Option<bool> {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let addr = host.parse::<IpAddr>().ok();
        self.entries.iter().filter(|e| e.port.is_none_or(|p| p == port)).find_map(|e| match (&e.host, addr) {
            (Host::Addr(a), Some(b)) if *a == b => Some(true),
            (Host::Name(n), None) if *n == host => Some(false),
            (Host::Suffix(d), None) if host.strip_suffix(d.as_str()).is_some_and(|p| p.ends_with('.')) => Some(false),
            _ => None,
        })
    }

    /// Whether this allow-list is within `outer` (every entry of it is also
    /// allowed by an entry of `outer`): a request may narrow what its key
    /// allows, never widen it.
    pub fn within(&self, outer: &Allow) -> Result<(), String> {
        for e in &self.entries {
            let inside = outer.entries.iter().any(|o| {
                let port_ok = o.port.is_none() || o.port == e.port;
                let host_ok = match (&o.host, &e.host) {
                    (a, b) if a == b => true,
                    (Host::Suffix(d), Host::Name(n)) => n.strip_suffix(d.as_str()).is_some_and(|p| p.ends_with('.')),
                    (Host::Suffix(d), Host::Suffix(n)) => n.strip_suffix(d.as_str()).is_some_and(|p| p.ends_with('.')),
                    _ => false,
                };
                port_ok && host_ok
            });
            if !inside {
                return Err(format!("{} is not among the hosts this key may reach", e.describe()));
            }
        }
        Ok(())
    }
}

impl Entry {
    fn describe(&self) -> String {
        let h = match &self.host {
            Host::Name(n) => n.clone(),
            Host::Suffix(d) => format!("*.{d}"),
            Host::Addr(IpAddr::V6(a)) => format!("[{a}]"),
            Host::Addr(a) => a.to_string(),
        };
        match self.port {
            Some(p) => format!("{h}:{p}"),
            None => h,
        }
    }
}

/// Whether an address is on the public internet (not loopback, private,
/// link-local, CGNAT, unspecified, multicast, documentation or similar):
/// where a name may lead the proxy, and where the server's callbacks may go.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0xdb8)
        }
    }
}

/// The sockets of a run's connections, shut down when the run ends.
type Sockets = Arc<std::sync::Mutex<Vec<TcpStream>>>;

/// Relays the connections of one run. Dropped when the run ends: every
/// connection it relays is then shut down both ways, so no relay thread
/// outlives the run (an allowed host that never answers cannot keep one).
pub struct Proxy {
    allow: Arc<Allow>,
    open: Arc<AtomicUsize>,
    sockets: Sockets,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for s in self.sockets.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Keeps a handle on `s` for the run's end.
fn track(sockets: &Sockets, s: &TcpStream) {
    if let Ok(c) = s.try_clone() {
        sockets.lock().unwrap_or_else(|p| p.into_inner()).push(c);
    }
}

impl Proxy {
    pub fn new(allow: Allow) -> Proxy {
        Proxy { allow: Arc::new(allow), open: Arc::new(AtomicUsize::new(0)), sockets: Default::default() }
    }

    /// Serves one connection the program opened to the proxy, on a thread
    /// of its own. It ends when either side closes; the box's side closes at
    /// the latest when the run ends and its namespace dies.
    pub fn serve(&self, conn: std::os::fd::OwnedFd) {
        let client = TcpStream::from(conn);
        let open = self.open.clone();
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = answer(&client, 503, "too many connections open at once through the proxy");
            return;
        }
        let (allow, sockets) = (self.allow.clone(), self.sockets.clone());
        track(&sockets, &client);
        let spawned = std::thread::Builder::new().name("flash-proxy".into()).spawn(move || {
            let _ = relay(client, &allow, &sockets);
            open.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            self.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn answer(mut c: &TcpStream, code: u16, why: &str) -> io::Result<()> {
    let reason = match code {
        400 => "Bad Request",
        403 => "Forbidden",
        502 => "Bad Gateway",
        _ => "Service Unavailable",
    };
    let body = format!("flash: {why}\n");
    write!(
        c,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads up to the end of the request head; returns the head and any bytes after it.
fn read_head(c: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    c.set_read_timeout(Some(HEAD_TIMEOUT))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            c.set_read_timeout(None)?;
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too large"));
        }
        let n = c.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before a request"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// What the program asked for.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// `CONNECT host:port`: a tunnel.
    Tunnel { host: String, port: u16 },
    /// `METHOD http://host[:port]/path VERSION`: forwarded in origin form.
    Http { host: String, port: u16, line: String },
}

fn parse_request(head: &[u8]) -> Result<Target, String> {
    let text = std::str::from_utf8(head).map_err(|_| "the request is not text".to_string())?;
    let line = text.split("\r\n").next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line".into());
    };
    if method == "CONNECT" {
        let (h, p) = split_host_port(uri)?;
        let port = p.ok_or("CONNECT needs host:port")?;
        return Ok(Target::Tunnel { host: h.to_owned(), port });
    }
    let rest = uri.strip_prefix("http://").ok_or("only http:// URIs and CONNECT go through this proxy")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // Credentials in the URI (user:pass@host) are not the host.
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (h, p) = split_host_port(authority)?;
    Ok(Target::Http { host: h.to_owned(), port: p.unwrap_or(80), line: format!("{method} {path} {version}") })
}

fn relay(mut client: TcpStream, allow: &Allow, sockets: &Sockets) -> io::Result<()> {
    let (head, rest) = match read_head(&mut client) {
        Ok(h) => h,
        Err(e) => return answer(&client, 400, &format!("no request: {e}")),
    };
    let target = match parse_request(&head) {
        Ok(t) => t,
        Err(why) => return answer(&client, 400, &why),
    };
    let (host, port) = match &target {
        Target::Tunnel { host, port } | Target::Http { host, port, .. } => (host.clone(), *port),
    };
    let Some(any_address) = allow.permits(&host, port) else {
        return answer(&client, 403, &format!("network access to {host}:{port} is not allowed for this run"));
    };
    let addrs: Vec<SocketAddr> = match (host.trim_start_matches('[').trim_end_matches(']'), port).to_socket_addrs() {
        Ok(a) => a.filter(|a| any_address || is_public(a.ip())).collect(),
        Err(_) => return answer(&client, 502, &format!("{host} could not be resolved")),
    };
    if addrs.is_empty() {
        return answer(&client, 403, &format!("{host} resolves only to addresses that are not public"));
    }
    let Some(mut upstream) = addrs.iter().find_map(|a| TcpStream::connect_timeout(a, CONNECT_TIMEOUT).ok()) else {
        return answer(&client, 502, &format!("{host}:{port} did not accept a connection"));
    };
    track(sockets, &upstream);
    match &target {
        Target::Tunnel { .. } => client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?,
        Target::Http { line, .. } => {
            let headers = head.iter().position(|&b| b == b'\n').map_or(&head[..0], |i| &head[i + 1..]);
            upstream.write_all(format!("{line}\r\n").as_bytes())?;
            upstream.write_all(headers)?;
        }
    }
    upstream.write_all(&rest)?;
    let (mut up_r, mut cl_w) = (upstream.try_clone()?, client.try_clone()?);
    let down = std::thread::Builder::new().name("flash-proxy".into()).spawn(move || {
        let _ = io::copy(&mut up_r, &mut cl_w);
        let _ = cl_w.shutdown(Shutdown::Write);
    })?;
    let _ = io::copy(&mut client, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Write);
    let _ = down.join();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(list: &[&str]) -> Allow {
        Allow::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn entries_parse_and_bad_ones_are_named() {
        let a = allow(&["pypi.org", "*.pythonhosted.org:443", "127.0.0.1:8080", "[::1]:9000", "::1"]);
        assert_eq!(a.entries.len(), 5);
        for bad in ["", "a b", "host:0", "host:99999", "*.", "[::1", "-x.org", "host:http"] {
            let e = Allow::parse(&[bad.to_string()]).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn hosts_ports_and_subdomains_match_exactly() {
        let a = allow(&["pypi.org", "*.pythonhosted.org:443", "127.0.0.1:8080", "[::1]:9000"]);
        assert_eq!(a.permits("pypi.org", 443), Some(false));
        assert_eq!(a.permits("PyPI.org", 80), Some(false));
        assert_eq!(a.permits("evilpypi.org", 443), None);
        assert_eq!(a.permits("pypi.org.evil.com", 443), None);
        assert_eq!(a.permits("files.pythonhosted.org", 443), Some(false));
        assert_eq!(a.permits("files.pythonhosted.org", 80), None);
        assert_eq!(a.permits("pythonhosted.org", 443), None, "*.d is subdomains only");
        assert_eq!(a.permits("127.0.0.1", 8080), Some(true));
        assert_eq!(a.permits("127.0.0.1", 8081), None);
        assert_eq!(a.permits("localhost", 8080), None, "a name is not its address");
        assert_eq!(a.permits("[::1]", 9000), Some(true));
    }

    #[test]
    fn a_request_may_narrow_its_keys_list_never_widen_it() {
        let key = allow(&["*.example.com", "pypi.org", "10.0.0.1:80"]);
        assert!(allow(&["api.example.com:443", "pypi.org:443"]).within(&key).is_ok());
        assert!(allow(&["*.a.example.com"]).within(&key).is_ok());
        let e = allow(&["example.com"]).within(&key).unwrap_err();
        assert!(e.contains("example.com"), "{e}");
        assert!(allow(&["10.0.0.1:81"]).within(&key).is_err());
        assert!(allow(&["10.0.0.1"]).within(&key).is_err(), "any port is wider than port 80");
    }

    #[test]
    fn names_never_reach_addresses_that_are_not_global() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["151.101.0.223", "2a04:4e42::223"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn requests_parse() {
        assert_eq!(
            parse_request(b"CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org\r\n\r\n"),
            Ok(Target::Tunnel { host: "pypi.org".into(), port: 443 })
        );
        assert_eq!(
            parse_request(b"GET http://127.0.0.1:8080/x?y HTTP/1.1\r\n\r\n"),
            Ok(Target::Http { host: "127.0.0.1".into(), port: 8080, line: "GET /x?y HTTP/1.1".into() })
        );
        assert_eq!(
            parse_request(b"GET http://example.com HTTP/1.0\r\n\r\n"),
            Ok(Target::Http { host: "example.com".into(), port: 80, line: "GET / HTTP/1.0".into() })
        );
        assert_eq!(
            parse_request(b"GET http://u:p@evil.com@pypi.org/ HTTP/1.1\r\n\r\n"),
            Ok(Target::Http { host: "pypi.org".into(), port: 80, line: "GET / HTTP/1.1".into() })
        );
        assert!(parse_request(b"GET /local HTTP/1.1\r\n\r\n").is_err());
        assert!(parse_request(b"CONNECT pypi.org HTTP/1.1\r\n\r\n").is_err());
        assert!(parse_request(b"garbage\r\n\r\n").is_err());
    }
}
