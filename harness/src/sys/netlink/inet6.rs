//! IPv6 addresses, routes of the main table and neighbours (NDP), as
//! `ip -6 addr`, `ip -6 route` and `ip -6 neigh` read them; and the
//! `ip -6 addr`/`ip -6 route` changes a lab makes.

use super::addr_route::{addr_msg, address_msgs, route_msgs};
use super::neigh::neighbours_of;
use super::nl_error;
use crate::error::{Error, Result};
pub use crate::iproute::inet6::Route6Op;
use crate::model::addr::{Addr6, Neigh6};
use crate::model::route6::Route6;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags};
use rtnetlink::packet_route::neighbour::NeighbourAddress;
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteFlags, RouteProtocol};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{Handle, RouteMessageBuilder};
use std::net::{IpAddr, Ipv6Addr};

/// Every IPv6 address in the namespace, link-local ones included, but not
/// those still `tentative`: a new address is tentative until the kernel's
/// address work has run (at once without DAD, a second or more with it),
/// and the kernel will not send from it until then (a ping in between goes
/// from the link-local address). Left out, an expectation naming it waits
/// for the RTM_NEWADDR that announces it usable, and traffic after it finds
/// the address a source.
pub async fn addrs6(h: &Handle) -> Result<Vec<Addr6>> {
    let msgs = address_msgs(h).await?;
    let mut out = vec![];
    for m in msgs
        .iter()
        .filter(|m| m.header.family == AddressFamily::Inet6)
    {
        let tentative = m.header.flags.contains(AddressHeaderFlags::Tentative)
            || m.attributes.iter().any(
                |a| matches!(a, AddressAttribute::Flags(f) if f.contains(AddressFlags::Tentative)),
            );
        if tentative {
            continue;
        }
        // IPv6 puts the address in IFA_ADDRESS (IFA_LOCAL only on
        // point-to-point links, where it is the local end).
        let local = m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Local(IpAddr::V6(ip)) => Some(*ip),
            _ => None,
        });
        let addr = m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(IpAddr::V6(ip)) => Some(*ip),
            _ => None,
        });
        if let Some(ip) = local.or(addr) {
            out.push(Addr6 {
                index: m.header.index,
                ip,
                prefix: m.header.prefix_len,
                broadcast: None,
            });
        }
    }
    Ok(out)
}

/// `ip -6 addr add IP/PREFIX dev DEV [nodad]`.
pub async fn add_addr6(
    h: &Handle,
    index: u32,
    ip: Ipv6Addr,
    prefix: u8,
    nodad: bool,
) -> Result<()> {
    let mut req = h.address().add(index, IpAddr::V6(ip), prefix);
    if nodad {
        let attrs = &mut req.message_mut().attributes;
        attrs.push(AddressAttribute::Flags(AddressFlags::Nodad));
    }
    req.execute().await.map_err(nl_error)
}

/// `ip -6 addr del IP/PREFIX dev DEV`.
pub async fn del_addr6(h: &Handle, index: u32, ip: Ipv6Addr, prefix: u8) -> Result<()> {
    let Some(m) = addr_msg(h, index, IpAddr::V6(ip), prefix).await? else {
        return Err(Error::Other(
            "RTNETLINK answers: Cannot assign requested address".into(),
        ));
    };
    h.address().del(m).execute().await.map_err(nl_error)
}

/// Every IPv6 route of the main table (what `ip -6 route` lists).
pub async fn routes6(h: &Handle) -> Result<Vec<Route6>> {
    let msgs = route_msgs(h, RouteMessageBuilder::<Ipv6Addr>::new().build()).await?;
    let mut out = vec![];
    for m in msgs {
        let mut table = m.header.table as u32;
        let mut r = Route6 {
            kind: Some(m.header.kind),
            proto: Some(m.header.protocol),
            scope: Some(m.header.scope),
            onlink: m.header.flags.contains(RouteFlags::Onlink),
            linkdown: m.header.flags.contains(RouteFlags::Linkdown),
            ..Default::default()
        };
        for a in &m.attributes {
            match a {
                RouteAttribute::Destination(RouteAddress::Inet6(ip)) => {
                    r.dst = Some((*ip, m.header.destination_prefix_length))
                }
                RouteAttribute::Gateway(RouteAddress::Inet6(ip)) => r.gw = Some(*ip),
                RouteAttribute::PrefSource(RouteAddress::Inet6(ip)) => r.src = Some(*ip),
                RouteAttribute::Oif(i) => r.oif = Some(*i),
                RouteAttribute::Priority(p) => r.metric = Some(*p),
                RouteAttribute::Preference(p) => r.pref = Some(*p),
                RouteAttribute::Table(t) => table = *t,
                _ => {}
            }
        }
        if m.header.destination_prefix_length == 0 {
            r.dst = None;
        }
        if table == 254 {
            out.push(r);
        }
    }
    Ok(out)
}

/// `ip -6 route add|replace|del`: destination, gateway, device, metric.
pub async fn route6(h: &Handle, r: &Route6, op: Route6Op) -> Result<()> {
    let mut b = RouteMessageBuilder::<Ipv6Addr>::new();
    if let Some((ip, p)) = r.dst {
        b = b.destination_prefix(ip, p);
    }
    if let Some(g) = r.gw {
        b = b.gateway(g);
    }
    if let Some(o) = r.oif {
        b = b.output_interface(o);
    }
    if let Some(m) = r.metric {
        b = b.priority(m);
    }
    if let Some(k) = r.kind {
        b = b.kind(k);
    }
    match op {
        Route6Op::Del => {
            let b = b.protocol(r.proto.unwrap_or(RouteProtocol::Unspec));
            h.route().del(b.build()).execute().await.map_err(nl_error)
        }
        Route6Op::Add | Route6Op::Replace => {
            // `ip route add` says proto boot unless told otherwise.
            let b = b.protocol(r.proto.unwrap_or(RouteProtocol::Boot));
            let req = h.route().add(b.build());
            let req = if op == Route6Op::Replace {
                req.replace()
            } else {
                req
            };
            req.execute().await.map_err(nl_error)
        }
    }
}

/// Every IPv6 neighbour (NDP) entry in the namespace (`ip -6 neigh show`).
pub async fn neighbours6(h: &Handle) -> Result<Vec<Neigh6>> {
    neighbours_of(h, AddressFamily::Inet6, |a| match a {
        NeighbourAddress::Inet6(i) => Some(*i),
        _ => None,
    })
    .await
}
