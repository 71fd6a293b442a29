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
