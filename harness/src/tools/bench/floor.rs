//! The floor: the same pods over raw netlink with the fewest messages.

use super::churn::pod_ip;
use super::wait_no_veth;
use crate::error::{Context, Error, Result};

use crate::sys::netns::Netns;
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{InfoData, InfoVeth, LinkMessage};
use rtnetlink::packet_route::route::RouteScope;
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder};
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// A raw NETLINK_ROUTE socket in the calling thread's namespace.
fn nl_socket() -> std::io::Result<OwnedFd> {
    // SAFETY: socket(2); the fd is owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by socket(2).
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

/// Send requests in one sendmsg each and read all their acks; any error fails.
fn nl_exchange(sock: &OwnedFd, msgs: Vec<RouteNetlinkMessage>) -> Result<()> {
    let n = msgs.len();
    let mut buf = vec![];
    for (seq, m) in msgs.into_iter().enumerate() {
        let mut req = NetlinkMessage::from(m);
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        req.header.sequence_number = seq as u32 + 1;
        req.finalize();
        let at = buf.len();
        buf.resize(at + req.buffer_len(), 0);
        req.serialize(&mut buf[at..]);
    }
    // All requests in one datagram to the kernel: it processes them in order.
    // SAFETY: sendto(2) of an initialised buffer; sockaddr_nl zeroed = the kernel.
    let r = unsafe {
        let mut to: libc::sockaddr_nl = std::mem::zeroed();
        to.nl_family = libc::AF_NETLINK as u16;
        libc::sendto(
            sock.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            0,
            (&to as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if r < 0 {
        return Err(Error::io("netlink send", std::io::Error::last_os_error()));
    }
    let mut acks = 0;
    let mut rbuf = vec![0u8; 16384];
    while acks < n {
        // SAFETY: recv(2) into our buffer.
        let r = unsafe { libc::recv(sock.as_raw_fd(), rbuf.as_mut_ptr().cast(), rbuf.len(), 0) };
        if r < 0 {
            return Err(Error::io("netlink recv", std::io::Error::last_os_error()));
        }
        let mut off = 0;
        while off < r as usize {
            let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rbuf[off..r as usize])
                .map_err(|e| Error::parse("a netlink answer", e))?;
            off += m.header.length as usize;
            match m.payload {
                NetlinkPayload::Error(e) if e.code.is_some() => {
                    return Err(Error::Netlink {
                        errno: e.code.map(|c| -c.get()),
                        msg: format!("netlink request {} of {n}: {e}", m.header.sequence_number),
                    })
                }
                NetlinkPayload::Error(_) => acks += 1,
                _ => {}
            }
            if m.header.length == 0 {
                break;
            }
        }
    }
    Ok(())
}

/// The floor: per pod one unshare + open + socket + setns, one datagram of
/// two requests in the node (the veth, up, with its peer in the pod at
/// ifindex 2; the /32 route) and one of four in the pod (eth0 up, address,
/// gateway, default), each answered by acks. Teardown is closing two fds.
pub fn churn_floor(n: usize) -> Result<Duration> {
    let node = Netns::new("node")?;
    let node_fd = nix::unistd::dup(node.fd()).context(|| "dup".into())?;
    let t0 = Instant::now();
    let r = node.run(move || -> Result<()> {
        let node_sock = nl_socket().map_err(|e| Error::io("netlink socket", e))?;
        let mut held: Vec<(OwnedFd, OwnedFd)> = Vec::with_capacity(n);
        for i in 0..n {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .context(|| "unshare".into())?;
            let pod: OwnedFd = File::open("/proc/thread-self/ns/net")
                .map_err(|e| Error::io("open ns", e))?
                .into();
            let pod_sock = nl_socket().map_err(|e| Error::io("netlink socket", e))?;
            nix::sched::setns(&node_fd, nix::sched::CloneFlags::CLONE_NEWNET)
                .context(|| "setns".into())?;
            nl_exchange(&node_sock, node_requests(i, &pod))?;
            nl_exchange(&pod_sock, pod_requests(i))?;
            held.push((pod, pod_sock));
        }
        drop(held);
        Ok(())
    });
    r??;
    wait_no_veth(&node)?;
    Ok(t0.elapsed())
}

/// Pod `i`'s requests in the node: its veth, up, with the peer `eth0` in
/// `pod` at ifindex 2; the /32 route to it.
fn node_requests(i: usize, pod: &OwnedFd) -> Vec<RouteNetlinkMessage> {
    let host_idx = 100 + i as u32;
    let peer = LinkMessageBuilder::<LinkUnspec>::new()
        .name("eth0".to_string())
        .index(2)
        .setns_by_fd(pod.as_raw_fd())
        .build();
    let veth: LinkMessage = LinkVeth::new(&format!("veth{i}"), "eth0")
        .index(host_idx)
        .up()
        .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
        .build();
    let host_route = RouteMessageBuilder::<Ipv4Addr>::new()
        .destination_prefix(pod_ip(i), 32)
        .output_interface(host_idx)
        .scope(RouteScope::Link)
        .build();
    vec![
        RouteNetlinkMessage::NewLink(veth),
        RouteNetlinkMessage::NewRoute(host_route),
    ]
}

/// Pod `i`'s requests in the pod: eth0 up, its /32, the link-scope
/// gateway, the default route through it.
fn pod_requests(i: usize) -> Vec<RouteNetlinkMessage> {
    let ip = pod_ip(i);
    let mut addr = AddressMessage::default();
    addr.header.family = AddressFamily::Inet;
    addr.header.prefix_len = 32;
    addr.header.index = 2;
    addr.attributes
        .push(AddressAttribute::Local(IpAddr::V4(ip)));
    addr.attributes
        .push(AddressAttribute::Address(IpAddr::V4(ip)));
    let gw = Ipv4Addr::new(169, 254, 1, 1);
    let gw_route = RouteMessageBuilder::<Ipv4Addr>::new()
        .destination_prefix(gw, 32)
        .output_interface(2)
        .scope(RouteScope::Link)
        .build();
    let default = RouteMessageBuilder::<Ipv4Addr>::new()
        .gateway(gw)
        .output_interface(2)
        .build();
    // The kernel refuses IFF_UP on a peer created in another namespace
    // (ENOTCONN), so the pod's first request brings it up.
    let up = LinkMessageBuilder::<LinkUnspec>::new()
        .index(2)
        .up()
        .build();
    vec![
        RouteNetlinkMessage::SetLink(up),
        RouteNetlinkMessage::NewAddress(addr),
        RouteNetlinkMessage::NewRoute(gw_route),
        RouteNetlinkMessage::NewRoute(default),
    ]
}
