//! Sockets over NETLINK_SOCK_DIAG: how many listen in the calling thread's
//! network namespace (a socket is the namespace's it was made in).
//!
//! The request is written by hand: netlink-packet-sock-diag 0.5 (the one on
//! our netlink-packet-core) needs Rust 1.87, above the 1.85 the lab image's
//! Debian toolchain has, and a count needs no reply parsed past its header.

use rtnetlink::sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr};
use std::io;

/// `SOCK_DIAG_BY_FAMILY`: the request, and the type of each reply.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
/// `TCPF_LISTEN` and `TCPF_CLOSE` (an unconnected UDP socket's state).
const TCPF_LISTEN: u32 = 1 << 10;
const TCPF_CLOSE: u32 = 1 << 7;
/// At most this many replies to one dump.
const MAX_REPLIES: usize = 1 << 16;

/// Listening TCP sockets and bound, unconnected UDP sockets, IPv4 and IPv6,
/// in the calling thread's network namespace.
pub fn listening() -> io::Result<usize> {
    let mut n = 0;
    for family in [libc::AF_INET as u8, libc::AF_INET6 as u8] {
        n += count(family, libc::IPPROTO_TCP as u8, TCPF_LISTEN)?;
        n += count(family, libc::IPPROTO_UDP as u8, TCPF_CLOSE)?;
    }
    Ok(n)
}

/// `struct nlmsghdr` then `struct inet_diag_req_v2` (its socket id all
/// zeros: any address, any port, any interface).
fn request(family: u8, protocol: u8, states: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(72);
    m.extend_from_slice(&72u32.to_ne_bytes());
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes()); // sequence
    m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
    m.extend_from_slice(&[family, protocol, 0, 0]); // no extensions, pad
    m.extend_from_slice(&states.to_ne_bytes());
    m.resize(72, 0); // inet_diag_sockid: 48 bytes of zeros
    m
}

fn count(family: u8, protocol: u8, states: u32) -> io::Result<usize> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    socket.send(&request(family, protocol, states), 0)?;
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("sock_diag: {what}"));
    let mut n = 0;
    // Larger than any batch of replies the kernel sends (at most 32 KiB).
    let mut rx = Vec::with_capacity(1 << 16);
    loop {
        rx.clear();
        let size = socket.recv(&mut rx, 0)?;
        if size == 0 {
            return Ok(n);
        }
        let mut at = 0;
        while at + 16 <= size {
            let u32_at = |i: usize| u32::from_ne_bytes([rx[i], rx[i + 1], rx[i + 2], rx[i + 3]]);
            let len = u32_at(at) as usize;
            let kind = u16::from_ne_bytes([rx[at + 4], rx[at + 5]]);
            if len < 16 || at + len > size {
                return Err(bad("a reply's length runs past what was read"));
            }
            match kind {
                SOCK_DIAG_BY_FAMILY => n += 1,
                NLMSG_DONE => return Ok(n),
                NLMSG_ERROR if len >= 20 => {
                    let errno = -(u32_at(at + 16) as i32);
                    return Err(io::Error::from_raw_os_error(errno));
                }
                _ => return Err(bad("an unexpected reply")),
            }
            if n >= MAX_REPLIES {
                return Ok(n);
            }
            // Messages are 4-byte aligned.
            at += (len + 3) & !3;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_a_header_and_inet_diag_req_v2() {
        let m = request(libc::AF_INET6 as u8, libc::IPPROTO_TCP as u8, TCPF_LISTEN);
        assert_eq!(m.len(), 16 + 56);
        assert_eq!(&m[0..4], &72u32.to_ne_bytes());
        assert_eq!(&m[4..6], &20u16.to_ne_bytes());
        assert_eq!(&m[6..8], &0x301u16.to_ne_bytes());
        assert_eq!(&m[16..20], &[10, 6, 0, 0]);
        assert_eq!(&m[20..24], &(1u32 << 10).to_ne_bytes());
        assert!(m[24..].iter().all(|b| *b == 0));
    }
}
