//! `ping -6` over a raw ICMPv6 socket: the echo request ping(8) sends (the
//! kernel fills the ICMPv6 checksum, RFC 3542 §3.1), each reply's hop limit
//! from its IPV6_HOPLIMIT control message, and ICMPv6 errors quoting our
//! request worded as ping(8) words them.

use super::{echo_each, readable, PingResult, Reply};
use crate::error::{Error, Result};
use crate::sys::netns::Netns;
use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

/// An ICMPv6 echo request: type 128, the checksum left 0 for the kernel,
/// 56 bytes of payload (0x10, 0x11, …) as the IPv4 one.
pub(super) fn echo_request6(id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![128, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..56u8).map(|i| i.wrapping_add(0x10)));
    p
}

fn setopt(fd: &OwnedFd, level: i32, name: i32, val: &[u8]) -> std::io::Result<()> {
    // SAFETY: val is valid for its length during the call.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            val.as_ptr().cast(),
            val.len() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The socket, bound to `dev` when given, asking for each packet's hop
/// limit; and `dev`'s ifindex (a link-local destination's scope).
fn raw_icmp6_socket(dev: Option<String>) -> std::io::Result<(OwnedFd, u32)> {
    // SAFETY: plain socket(2); the fd is owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET6,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_ICMPV6,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    setopt(
        &fd,
        libc::IPPROTO_IPV6,
        libc::IPV6_RECVHOPLIMIT,
        &1i32.to_ne_bytes(),
    )?;
    let mut scope = 0;
    if let Some(d) = dev {
        setopt(&fd, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, d.as_bytes())?;
        let c = std::ffi::CString::new(d).map_err(std::io::Error::other)?;
        // SAFETY: c is a valid C string.
        scope = unsafe { libc::if_nametoindex(c.as_ptr()) };
    }
    Ok((fd, scope))
}

/// Ping IPv6 `dst` from `ns`, one request after the other, as `ping` does.
pub fn ping6(ns: &Netns, p: &super::Ping, dst: Ipv6Addr) -> Result<PingResult> {
    let dev = p.dev.clone();
    let (fd, scope) = ns
        .run(move || raw_icmp6_socket(dev))?
        .map_err(|e| Error::io(format!("[{}] raw ICMPv6 socket", ns.name()), e))?;
    let deadline = Instant::now() + p.timeout;
    let to = libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as u16,
        sin6_port: 0,
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr {
            s6_addr: dst.octets(),
        },
        sin6_scope_id: scope,
    };
    Ok(echo_each(
        &fd,
        &to,
        p.count,
        deadline,
        echo_request6,
        |id, seq| wait_reply6(&fd, id, seq, dst, deadline),
    ))
}

/// One datagram: its bytes, its source and the hop limit it arrived with.
fn recv6(fd: &OwnedFd, buf: &mut [u8]) -> std::io::Result<(usize, Ipv6Addr, u8)> {
    // SAFETY: zeroed plain-old-data structs, filled by recvmsg below.
    let mut from: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let mut cbuf = [0u64; 16];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut from as *mut libc::sockaddr_in6).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as u32;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&cbuf);
    // SAFETY: every pointer in msg is valid for the call.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut hops = 0u8;
    // SAFETY: walking the control buffer recvmsg filled, by its own macros.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::IPPROTO_IPV6 && (*c).cmsg_type == libc::IPV6_HOPLIMIT {
                hops = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<i32>()) as u8;
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, Ipv6Addr::from(from.sin6_addr.s6_addr), hops))
}

fn wait_reply6(
    fd: &OwnedFd,
    id: u16,
    seq: u16,
    dst: Ipv6Addr,
    deadline: Instant,
) -> Result<Reply, String> {
    let mut buf = [0u8; 2048];
    loop {
        readable(fd, seq, deadline)?;
        let (n, src, hops) = recv6(fd, &mut buf).map_err(|e| format!("recv: {e}"))?;
        let b = &buf[..n];
        if b.len() < 8 {
            continue;
        }
        let rid = u16::from_be_bytes([b[4], b[5]]);
        let rseq = u16::from_be_bytes([b[6], b[7]]);
        if b[0] == 129 && rid == id && rseq == seq && src == dst {
            return Ok(Reply {
                seq,
                ttl: hops,
                from: IpAddr::V6(src),
            });
        }
        if let Some(e) = quoted_error(b, id, seq, src) {
            return Err(e);
        }
    }
}

/// An ICMPv6 error (destination unreachable, time exceeded) quoting our
/// echo request (its IPv6 header is 40 bytes), as ping(8) prints it.
fn quoted_error(b: &[u8], id: u16, seq: u16, src: Ipv6Addr) -> Option<String> {
    let (ty, code) = (b[0], b[1]);
    if ty != 1 && ty != 3 {
        return None;
    }
    let q = b.get(8 + 40..8 + 40 + 8)?;
    if q[0] != 128 || u16::from_be_bytes([q[4], q[5]]) != id {
        return None;
    }
    let what = match (ty, code) {
        (1, 0) => "Destination unreachable: No route".to_string(),
        (1, 1) => "Destination unreachable: Administratively prohibited".to_string(),
        (1, 3) => "Destination unreachable: Address unreachable".to_string(),
        (1, 4) => "Destination unreachable: Port unreachable".to_string(),
        (3, _) => "Time exceeded: Hop limit".to_string(),
        _ => format!("Destination unreachable: Unknown code {code}"),
    };
    Some(format!("From {src} icmp_seq={seq} {what}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn echo_request_is_ping6s() {
        let p = super::echo_request6(0x1234, 7);
        assert_eq!(p.len(), 64);
        assert_eq!(&p[..8], &[128, 0, 0, 0, 0x12, 0x34, 0, 7]);
        assert_eq!(p[8], 0x10);
    }

    #[test]
    fn errors_quoting_our_request_are_worded_as_ping() {
        let mut b = vec![1, 3, 0, 0, 0, 0, 0, 0];
        b.extend([0u8; 40]);
        b.extend(super::echo_request6(9, 2));
        let src = "2001:db8::1".parse().unwrap();
        assert_eq!(
            super::quoted_error(&b, 9, 2, src).as_deref(),
            Some("From 2001:db8::1 icmp_seq=2 Destination unreachable: Address unreachable")
        );
        assert_eq!(super::quoted_error(&b, 8, 2, src), None, "another ping's");
    }
}
