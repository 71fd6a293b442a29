//! Sockets over NETLINK_SOCK_DIAG: how many listen in the calling thread's
//! network namespace (a socket is the namespace's it was made in).

use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_packet_sock_diag::SockDiagMessage;
use rtnetlink::packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST,
};
use rtnetlink::sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr};
use std::io;

/// At most this many replies to one dump (a namespace with more listeners
/// than this is counted as having this many).
const MAX_REPLIES: usize = 1 << 16;

/// Listening TCP sockets and bound, unconnected UDP sockets, IPv4 and IPv6,
/// in the calling thread's network namespace.
pub fn listening() -> io::Result<usize> {
    let mut n = 0;
    for family in [AF_INET, AF_INET6] {
        n += count(family, IPPROTO_TCP, StateFlags::LISTEN)?;
        n += count(family, IPPROTO_UDP, StateFlags::CLOSE)?;
    }
    Ok(n)
}

fn count(family: u8, protocol: u8, states: StateFlags) -> io::Result<usize> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let socket_id = match family {
        AF_INET => SocketId::new_v4(),
        _ => SocketId::new_v6(),
    };
    let mut req = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol,
            extensions: ExtensionFlags::empty(),
            states,
            socket_id,
        })
        .into(),
    );
    req.finalize();
    let mut buf = vec![0; req.buffer_len()];
    req.serialize(&mut buf);
    socket.send(&buf, 0)?;
    let bad = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let mut n = 0;
    // Larger than any dump message the kernel batches (at most 32 KiB).
    let mut rx = Vec::with_capacity(1 << 16);
    loop {
        rx.clear();
        let size = socket.recv(&mut rx, 0)?;
        let mut at = 0;
        while at < size {
            let m = NetlinkMessage::<SockDiagMessage>::deserialize(&rx[at..size])
                .map_err(|e| bad(e.to_string()))?;
            match m.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(_)) => n += 1,
                NetlinkPayload::Done(_) => return Ok(n),
                NetlinkPayload::Error(e) => return Err(bad(format!("sock_diag: {e:?}"))),
                _ => {}
            }
            if m.header.length == 0 || n >= MAX_REPLIES {
                return Ok(n);
            }
            at += m.header.length as usize;
        }
        if size == 0 {
            return Ok(n);
        }
    }
}
