//! Neighbours (`ip neigh`) and the bridge FDB (`bridge fdb`).

use super::{errno, nl_error};
use crate::error::Result;
use crate::model::addr::{neigh_state_name, Fdb, Neigh};
use crate::model::link::Mac;
use futures_util::TryStreamExt;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::Handle;
use std::net::{IpAddr, Ipv4Addr};

async fn neigh_msgs_of(h: &Handle, family: AddressFamily) -> Result<Vec<NeighbourMessage>> {
    h.neighbours()
        .get()
        .set_address_family(family)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)
}

/// The neighbour entries a datagram of RTM_NEWNEIGH / RTM_DELNEIGH
/// announcements names, ARP and NDP: (removed, entry). Bridge FDB entries
/// and anything unparsable are left out.
pub fn announced(buf: &[u8]) -> Vec<(bool, Neigh<IpAddr>)> {
    use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
    use rtnetlink::packet_route::RouteNetlinkMessage as M;
    let mut out = vec![];
    let mut at = 0;
    while at + 16 <= buf.len() {
        let len = u32::from_ne_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]) as usize;
        if len < 16 || at + len > buf.len() {
            break;
        }
        if let Ok(m) = NetlinkMessage::<M>::deserialize(&buf[at..at + len]) {
            let (gone, n) = match m.payload {
                NetlinkPayload::InnerMessage(M::NewNeighbour(n)) => (false, n),
                NetlinkPayload::InnerMessage(M::DelNeighbour(n)) => (true, n),
                _ => (false, NeighbourMessage::default()),
            };
            let ip = n.attributes.iter().find_map(|a| match a {
                NeighbourAttribute::Destination(NeighbourAddress::Inet(i)) => Some(IpAddr::V4(*i)),
                NeighbourAttribute::Destination(NeighbourAddress::Inet6(i)) => Some(IpAddr::V6(*i)),
                _ => None,
            });
            let ll = n.attributes.iter().find_map(|a| match a {
                NeighbourAttribute::LinkLayerAddress(l) => l.clone().try_into().ok(),
                _ => None,
            });
            if let Some(ip) = ip {
                out.push((
                    gone,
                    Neigh {
                        index: n.header.ifindex,
                        ip,
                        lladdr: ll,
                        state: neigh_state_name(n.header.state),
                    },
                ));
            }
        }
        at += (len + 3) & !3;
    }
    out
}

/// Every IPv4 neighbour (ARP) entry in the namespace (`ip neigh show`).
pub async fn neighbours(h: &Handle) -> Result<Vec<Neigh>> {
    neighbours_of(h, AddressFamily::Inet, |a| match a {
        NeighbourAddress::Inet(i) => Some(*i),
        _ => None,
    })
    .await
}

/// Every neighbour entry of `family`: ARP and NDP entries are read alike,
/// `ip_of` taking the address of that family out of NDA_DST.
pub(super) async fn neighbours_of<A>(
    h: &Handle,
    family: AddressFamily,
    ip_of: fn(&NeighbourAddress) -> Option<A>,
) -> Result<Vec<Neigh<A>>> {
    let msgs = neigh_msgs_of(h, family).await?;
    let mut out = vec![];
    for m in msgs {
        let mut ip = None;
        let mut ll = None;
        for a in &m.attributes {
            match a {
                NeighbourAttribute::Destination(d) => ip = ip_of(d).or(ip),
                NeighbourAttribute::LinkLayerAddress(l) if l.len() == 6 => {
                    ll = l.clone().try_into().ok()
                }
                _ => {}
            }
        }
        if let Some(ip) = ip {
            out.push(Neigh {
                index: m.header.ifindex,
                ip,
                lladdr: ll,
                state: neigh_state_name(m.header.state),
            });
        }
    }
    Ok(out)
}

/// Add or replace a neighbour entry `ip` -> `mac` on ifindex `index`, permanent or
/// reachable (`ip neigh replace ... nud permanent|reachable`).
pub async fn add_neigh(
    h: &Handle,
    index: u32,
    ip: Ipv4Addr,
    mac: Mac,
    permanent: bool,
) -> Result<()> {
    let state = if permanent {
        NeighbourState::Permanent
    } else {
        NeighbourState::Reachable
    };
    h.neighbours()
        .add(index, IpAddr::V4(ip))
        .link_layer_address(&mac)
        .state(state)
        .replace()
        .execute()
        .await
        .map_err(nl_error)
}

/// Delete the learnt neighbours of one device, ARP and NDP, as `ip neigh
/// flush dev` does.
pub async fn flush_neigh(h: &Handle, index: u32) -> Result<()> {
    flush_neigh_where(h, |i| i == index).await
}

/// Delete the learnt IPv4 and IPv6 neighbours of the devices `dev` accepts
/// (by ifindex). Never a dump of every family: that would hold the bridge
/// FDB too.
pub async fn flush_neigh_where(h: &Handle, dev: impl Fn(u32) -> bool) -> Result<()> {
    let mut msgs = neigh_msgs_of(h, AddressFamily::Inet).await?;
    msgs.extend(neigh_msgs_of(h, AddressFamily::Inet6).await?);
    for m in msgs {
        if dev(m.header.ifindex)
            && !matches!(
                m.header.state,
                NeighbourState::Permanent | NeighbourState::Noarp
            )
        {
            // Gone meanwhile (it expired): what was asked for.
            if let Err(e) = h.neighbours().del(m).execute().await {
                if errno(&e) != Some(libc::ENOENT) {
                    return Err(nl_error(e));
                }
            }
        }
    }
    Ok(())
}

/// `bridge fdb append MAC dev VXLAN dst IP self permanent`, as flanneld writes it.
pub async fn add_fdb(h: &Handle, index: u32, mac: Mac, dst: Ipv4Addr) -> Result<()> {
    h.neighbours()
        .add_bridge(index, &mac)
        .destination(IpAddr::V4(dst))
        .flags(NeighbourFlags::Own)
        .state(NeighbourState::Permanent)
        .replace()
        .execute()
        .await
        .map_err(nl_error)
}

/// Every bridge FDB entry of the namespace (`bridge fdb show`): on bridge
/// ports and on VXLAN devices (`self` entries with a remote `dst`).
pub async fn fdb(h: &Handle) -> Result<Vec<Fdb>> {
    let msgs: Vec<NeighbourMessage> = h
        .neighbours()
        .get()
        .set_address_family(AddressFamily::Bridge)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)?;
    let mut out = vec![];
    for m in msgs {
        let mut e = Fdb {
            index: m.header.ifindex,
            mac: [0; 6],
            dst: None,
            master: None,
            permanent: m.header.state == NeighbourState::Permanent,
        };
        let mut mac = None;
        for a in &m.attributes {
            match a {
                NeighbourAttribute::LinkLayerAddress(l) if l.len() == 6 => {
                    mac = l.as_slice().try_into().ok()
                }
                NeighbourAttribute::Destination(NeighbourAddress::Inet(i)) => e.dst = Some(*i),
                // In an AF_BRIDGE message the crate cannot tell the family of `dst`.
                NeighbourAttribute::Destination(NeighbourAddress::Other(v)) if v.len() == 4 => {
                    e.dst = Some(Ipv4Addr::new(v[0], v[1], v[2], v[3]))
                }
                NeighbourAttribute::Controller(c) => e.master = Some(*c),
                _ => {}
            }
        }
        if let Some(mac) = mac {
            e.mac = mac;
            out.push(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload};
    use rtnetlink::packet_route::RouteNetlinkMessage as M;

    fn bytes(m: M) -> Vec<u8> {
        let mut nl = NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::InnerMessage(m));
        nl.finalize();
        let mut b = vec![0; nl.buffer_len()];
        nl.serialize(&mut b);
        b
    }

    /// Two announcements in one datagram, as the kernel sends them: an ARP
    /// entry made, then removed in state FAILED; an FDB entry is left out.
    #[test]
    fn announcements_are_read_in_order_with_their_state() {
        let mut n = NeighbourMessage::default();
        n.header.family = AddressFamily::Inet;
        n.header.ifindex = 7;
        n.header.state = NeighbourState::Incomplete;
        n.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                "192.168.122.102".parse().unwrap(),
            )));
        let mut gone = n.clone();
        gone.header.state = NeighbourState::Failed;
        let mut fdb = NeighbourMessage::default();
        fdb.header.family = AddressFamily::Bridge;
        fdb.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 1]));
        let mut buf = bytes(M::NewNeighbour(n));
        buf.extend(bytes(M::DelNeighbour(gone)));
        buf.extend(bytes(M::NewNeighbour(fdb)));
        let got: Vec<(bool, u32, String, String)> = announced(&buf)
            .into_iter()
            .map(|(g, n)| (g, n.index, n.ip.to_string(), n.state))
            .collect();
        assert_eq!(
            got,
            vec![
                (false, 7, "192.168.122.102".into(), "INCOMPLETE".into()),
                (true, 7, "192.168.122.102".into(), "FAILED".into()),
            ]
        );
        // A cut datagram: what is whole is read, the rest left.
        assert_eq!(announced(&buf[..buf.len() / 2 + 3]).len(), 1);
    }
}
