//! Traffic from inside a node: ping over a raw ICMP socket (with ttl per
//! reply and bind-to-device) and a small UDP exchange. Sockets are opened on
//! the node's thread and driven from the caller's; every wait ends on an
//! event (a reply, an ICMP error) or the deadline.

use crate::error::{Error, Result};
use crate::sys::netns::Netns;
use etherparse::{IcmpEchoHeader, Icmpv4Header, Icmpv4Type};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4, UdpSocket};

mod ping6;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// What to ping, and how.
#[derive(Debug, Clone)]
pub struct Ping {
    /// Destination address (IPv6: `ping -6`).
    pub dst: IpAddr,
    /// How many echo requests to send.
    pub count: u16,
    /// Interface to bind to (`ping -I`).
    pub dev: Option<String>,
    /// The whole budget: no reply after it is a loss.
    pub timeout: Duration,
}

/// One echo reply received.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Sequence number of the request it answers.
    pub seq: u16,
    /// TTL of the reply, as received.
    pub ttl: u8,
    /// The address that replied.
    pub from: IpAddr,
}

/// What a ping got back.
#[derive(Debug, Clone, Default)]
pub struct PingResult {
    /// Echo requests sent.
    pub sent: u16,
    /// Replies received, in order.
    pub replies: Vec<Reply>,
    /// What ping(8) would print instead of a reply, per failed request.
    pub errors: Vec<String>,
}

impl PingResult {
    /// ping(8)'s closing line (`N packets transmitted, ...`), with the first reply or error.
    pub fn summary(&self, dst: IpAddr) -> String {
        let mut s = format!(
            "{} packets transmitted, {} received, {}% packet loss",
            self.sent,
            self.replies.len(),
            if self.sent == 0 {
                100
            } else {
                100 - 100 * self.replies.len() as u32 / self.sent as u32
            }
        );
        if let Some(r) = self.replies.first() {
            // ping(8) says `hlim` for IPv6's hop limit.
            let ttl = if dst.is_ipv6() { "hlim" } else { "ttl" };
            s.push_str(&format!(
                " (64 bytes from {dst}: icmp_seq={} {ttl}={})",
                r.seq, r.ttl
            ));
        }
        if let Some(e) = self.errors.first() {
            s.push_str(&format!(" ({e})"));
        }
        s
    }
}

pub(super) fn next_id() -> u16 {
    static ID: AtomicU16 = AtomicU16::new(0);
    let base = (std::process::id() as u16).wrapping_mul(31);
    base.wrapping_add(ID.fetch_add(1, Ordering::Relaxed))
}

/// An echo request as ping(8) sends it: 8 bytes of header, 56 of payload
/// (0x10, 0x11, …), the checksum over both (etherparse computes it).
fn echo_request(id: u16, seq: u16) -> Vec<u8> {
    let payload: Vec<u8> = (0..56u8).map(|i| i.wrapping_add(0x10)).collect();
    let h = Icmpv4Header::with_checksum(
        Icmpv4Type::EchoRequest(IcmpEchoHeader { id, seq }),
        &payload,
    );
    let mut pkt = h.to_bytes().to_vec();
    pkt.extend_from_slice(&payload);
    pkt
}

fn raw_icmp_socket(dev: Option<String>) -> std::io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the fd is owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_ICMP,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Some(d) = dev {
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                d.as_ptr().cast(),
                d.len() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(fd)
}

/// Ping `p.dst` from `ns`, one request after the other (each waits for its
/// reply or error, like `ping -A`), and report what came back.
pub fn ping(ns: &Netns, p: &Ping) -> Result<PingResult> {
    let dst4 = match p.dst {
        IpAddr::V4(a) => a,
        IpAddr::V6(a) => return ping6::ping6(ns, p, a),
    };
    let dev = p.dev.clone();
    let fd = ns
        .run(move || raw_icmp_socket(dev))?
        .map_err(|e| Error::io(format!("[{}] raw ICMP socket", ns.name()), e))?;
    let deadline = Instant::now() + p.timeout;
    let dst = libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(dst4).to_be(),
        },
        sin_zero: [0; 8],
    };
    Ok(echo_each(
        &fd,
        &dst,
        p.count,
        deadline,
        echo_request,
        |id, seq| wait_reply(&fd, id, seq, dst4, deadline),
    ))
}

/// What `ping` and `ping -6` do alike: send request after request to `to`
/// (a `sockaddr_in` or `sockaddr_in6`), each built by `request` and awaited
/// by `wait` (its reply or error) until `deadline`.
fn echo_each<T>(
    fd: &OwnedFd,
    to: &T,
    count: u16,
    deadline: Instant,
    request: fn(u16, u16) -> Vec<u8>,
    wait: impl Fn(u16, u16) -> Result<Reply, String>,
) -> PingResult {
    let id = next_id();
    let mut res = PingResult::default();
    for seq in 1..=count {
        let pkt = request(id, seq);
        res.sent += 1;
        // SAFETY: buffer and sockaddr are valid for the call.
        let n = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                pkt.as_ptr().cast(),
                pkt.len(),
                0,
                (to as *const T).cast(),
                std::mem::size_of::<T>() as u32,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            res.errors.push(format!("ping: sendmsg: {e}"));
            continue;
        }
        match wait(id, seq) {
            Ok(r) => res.replies.push(r),
            Err(e) => res.errors.push(e),
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    res
}

/// Waits until `fd` has a datagram to read, or says ping's words for a
/// request `seq` that got no answer by `deadline`.
fn readable(fd: &OwnedFd, seq: u16, deadline: Instant) -> Result<(), String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no answer to icmp_seq={seq}"));
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) };
        if r > 0 {
            return Ok(());
        }
    }
}

fn wait_reply(
    fd: &OwnedFd,
    id: u16,
    seq: u16,
    dst: Ipv4Addr,
    deadline: Instant,
) -> Result<Reply, String> {
    let mut buf = [0u8; 2048];
    loop {
        readable(fd, seq, deadline)?;
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EHOSTUNREACH) => "Destination Host Unreachable".into(),
                Some(libc::ENETUNREACH) => "Destination Net Unreachable".into(),
                _ => format!("recv: {e}"),
            });
        }
        let b = &buf[..n as usize];
        if b.len() < 20 {
            continue;
        }
        let ihl = ((b[0] & 0x0f) as usize) * 4;
        let (ttl, src) = (b[8], Ipv4Addr::new(b[12], b[13], b[14], b[15]));
        let icmp = match b.get(ihl..) {
            Some(i) if i.len() >= 8 => i,
            _ => continue,
        };
        let (ty, code) = (icmp[0], icmp[1]);
        let rid = u16::from_be_bytes([icmp[4], icmp[5]]);
        let rseq = u16::from_be_bytes([icmp[6], icmp[7]]);
        if ty == 0 && rid == id && rseq == seq && src == dst {
            return Ok(Reply {
                seq,
                ttl,
                from: IpAddr::V4(src),
            });
        }
        if ty == 3 || ty == 11 {
            // The quoted original: our echo request?
            let inner = &icmp[8..];
            let ihl2 = inner
                .first()
                .map(|b| ((b & 0x0f) as usize) * 4)
                .unwrap_or(0);
            if let Some(q) = inner.get(ihl2..ihl2 + 8) {
                if q[0] == 8 && u16::from_be_bytes([q[4], q[5]]) == id {
                    return Err(match (ty, code) {
                        (3, 0) => format!("From {src} icmp_seq={seq} Destination Net Unreachable"),
                        (3, 1) => format!("From {src} icmp_seq={seq} Destination Host Unreachable"),
                        (11, _) => format!("From {src} icmp_seq={seq} Time to live exceeded"),
                        _ => format!(
                            "From {src} icmp_seq={seq} Destination Unreachable (code {code})"
                        ),
                    });
                }
            }
        }
    }
}

/// What a UDP exchange carried.
#[derive(Debug, Clone)]
pub struct UdpExchange {
    /// Where the reply came from (the server's address and port).
    pub reply_from: std::net::SocketAddr,
    /// The client's request text.
    pub request: String,
    /// The server's reply text (`echo: ` and the request).
    pub reply: String,
}

/// Bind a server socket. An earlier exchange's socket on the same port is
/// closed, but a child another thread is forking (a CNI plugin, BIRD) holds
/// a copy of every fd until its exec: EADDRINUSE then lasts microseconds.
/// The kernel announces no such release, so it is retried, briefly.
fn bind_udp(addr: SocketAddrV4) -> std::io::Result<UdpSocket> {
    let deadline = std::time::Instant::now() + Duration::from_millis(500);
    loop {
        match UdpSocket::bind(addr) {
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5))
            }
            r => return r,
        }
    }
}

/// Send one request from `client` to `to`, received by a server socket bound to `bind` in
/// `server`, which echoes it back; each wait ends after `timeout`.
pub fn udp_exchange(
    server: &Netns,
    bind: SocketAddrV4,
    client: &Netns,
    to: SocketAddrV4,
    timeout: Duration,
) -> Result<UdpExchange> {
    let srv = server
        .run(move || bind_udp(bind))?
        .map_err(|e| Error::io(format!("[{}] bind UDP {bind}", server.name()), e))?;
    let cli = client
        .run(|| UdpSocket::bind("0.0.0.0:0"))?
        .map_err(|e| Error::io(format!("[{}] UDP socket", client.name()), e))?;
    let io = |what: &str, e: std::io::Error| Error::io(what.to_string(), e);
    srv.set_read_timeout(Some(timeout))
        .map_err(|e| io("timeout", e))?;
    cli.set_read_timeout(Some(timeout))
        .map_err(|e| io("timeout", e))?;
    let request = format!("hello from {}", client.name());
    cli.send_to(request.as_bytes(), to)
        .map_err(|e| io(&format!("[{}] send to {to}", client.name()), e))?;
    let mut buf = [0u8; 1500];
    let (n, peer) = srv
        .recv_from(&mut buf)
        .map_err(|e| io(&format!("[{}] nothing arrived at {bind}", server.name()), e))?;
    let got = String::from_utf8_lossy(&buf[..n]).to_string();
    srv.send_to(format!("echo: {got}").as_bytes(), peer)
        .map_err(|e| io("reply", e))?;
    let (n, reply_from) = cli
        .recv_from(&mut buf)
        .map_err(|e| io(&format!("[{}] no reply from {to}", client.name()), e))?;
    Ok(UdpExchange {
        reply_from,
        request,
        reply: String::from_utf8_lossy(&buf[..n]).to_string(),
    })
}

#[cfg(test)]
mod tests {
    /// The echo request is what ping(8) sends, and its checksum is valid:
    /// the one's-complement sum over the whole message folds to 0xffff.
    #[test]
    fn echo_request_is_pings_and_checksums() {
        let p = super::echo_request(0x1234, 7);
        assert_eq!(p.len(), 64);
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
        assert_eq!(p[8], 0x10);
        let mut sum: u32 = p
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff);
    }
}
