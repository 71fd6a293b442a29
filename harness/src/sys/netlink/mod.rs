//! Typed operations over rtnetlink, and dumps of what the kernel holds. Nothing
//! here knows about labs; every function works on one namespace's handle.
//! Split by object: `link` (devices), `addr_route` (addresses and routes),
//! `neigh` (neighbours and the bridge FDB).

mod addr_route;
mod inet6;
mod link;
mod neigh;
mod ntable;
mod sockets;

pub use addr_route::{add_addr, add_route, addrs, del_addr, del_route, routes};
pub use inet6::{add_addr6, addrs6, del_addr6, neighbours6, route6, routes6, Route6Op};
pub use link::{add_link, del_link, link_by_name, links, set_link, LinkSet};
pub use neigh::{
    add_fdb, add_neigh, announced as neigh_announced, fdb, flush_neigh, flush_neigh_where,
    neighbours,
};
pub use ntable::{neigh_key, neigh_param, set_neigh_param};
pub use sockets::listening;

use crate::error::{Error, Result};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use rtnetlink::packet_route::link::InfoKind;
use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::Handle;
use std::os::fd::RawFd;

pub use crate::model::addr::{neigh_state_name, Addr, Addr6, Fdb, Neigh, Neigh6};
pub use crate::model::link::{fmt_mac, parse_mac, Link, LinkCommon, LinkKind, Mac};
pub use crate::model::route::{parse_proto, proto_name, Route};
pub use crate::model::route6::Route6;

/// The kernel's answer, worded like iproute2's so learners recognise it.
pub fn nl_error(e: rtnetlink::Error) -> Error {
    match errno(&e) {
        Some(n) => Error::Netlink {
            errno: Some(n),
            msg: format!(
                "RTNETLINK answers: {}",
                std::io::Error::from_raw_os_error(n)
                    .to_string()
                    .replace(&format!(" (os error {n})"), "")
            ),
        },
        None => Error::Netlink {
            errno: None,
            msg: format!("netlink: {e}"),
        },
    }
}

/// The errno a netlink error carries (e.g. `libc::ENODEV`), if the kernel sent one.
pub fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}

/// The id under which namespace `fd` is known in `h`'s namespace (what
/// IFLA_LINK_NETNSID carries), if one is assigned.
pub async fn nsid_of(h: &Handle, fd: RawFd) -> Result<Option<i32>> {
    let mut msg = NsidMessage::default();
    msg.attributes.push(NsidAttribute::Fd(fd as u32));
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNsId(msg));
    req.header.flags = NLM_F_REQUEST;
    let mut h = h.clone();
    let mut resp = h.request(req).map_err(nl_error)?;
    use futures_util::StreamExt;
    while let Some(m) = resp.next().await {
        match m.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNsId(n)) => {
                for a in n.attributes {
                    if let NsidAttribute::Id(id) = a {
                        return Ok((id >= 0).then_some(id));
                    }
                }
            }
            NetlinkPayload::Error(e) if e.code.is_some() => {
                return Err(nl_error(rtnetlink::Error::NetlinkError(e)))
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Read or write `/proc/sys/...` for `key` in dotted form. Interface names
/// with dots (flannel.1) are written with `/` by sysctl(8); both are accepted.
pub fn sysctl_path(key: &str) -> String {
    // sysctl(8): '/' in a key stands for '.' inside a path component.
    let parts: Vec<String> = key.split('.').map(|p| p.replace('/', ".")).collect();
    format!("/proc/sys/{}", parts.join("/"))
}

/// Whether `l`'s kind (IFLA_INFO_KIND) is `k`.
pub fn is_kind(l: &Link, k: InfoKind) -> bool {
    l.kind.as_deref() == Some(&k.to_string())
}
