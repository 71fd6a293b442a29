//! Addresses and routes of the main table, as `ip addr` and `ip route` do them.

use super::nl_error;
use crate::error::{Error, Result};
use crate::model::addr::Addr;
use crate::model::route::Route;
use futures_util::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{Handle, RouteMessageBuilder};
use std::net::{IpAddr, Ipv4Addr};

/// Every IPv4 address in the namespace.
pub async fn addrs(h: &Handle) -> Result<Vec<Addr>> {
    let msgs = address_msgs(h).await?;
    let mut out = vec![];
    for m in msgs {
        if m.header.family != AddressFamily::Inet {
            continue;
        }
        let broadcast = m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Broadcast(b) => Some(*b),
            _ => None,
        });
        for a in &m.attributes {
            if let AddressAttribute::Local(IpAddr::V4(ip)) = a {
                out.push(Addr {
                    index: m.header.index,
                    ip: *ip,
                    prefix: m.header.prefix_len,
                    broadcast,
                });
            }
        }
    }
    Ok(out)
}

/// Every address message of the namespace, of every family (the kernel
/// dumps them all; `addrs` and `addrs6` keep their own).
pub(super) async fn address_msgs(h: &Handle) -> Result<Vec<AddressMessage>> {
    h.address()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)
}

/// `ip addr add`: a broadcast address only when one is given (rtnetlink's
/// builder adds one by itself, iproute2 does not), and `noprefixroute`.
pub async fn add_addr(
    h: &Handle,
    index: u32,
    ip: Ipv4Addr,
    prefix: u8,
    brd: Option<Ipv4Addr>,
    noprefixroute: bool,
) -> Result<()> {
    use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
    let mut req = h.address().add(index, IpAddr::V4(ip), prefix);
    let attrs = &mut req.message_mut().attributes;
    attrs.retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
    if let Some(b) = brd {
        attrs.push(AddressAttribute::Broadcast(b));
    }
    if noprefixroute {
        attrs.push(AddressAttribute::Flags(AddressFlags::Noprefixroute));
    }
    req.execute().await.map_err(nl_error)
}

/// Remove address `ip/prefix` from the interface with ifindex `index` (`ip addr del`).
pub async fn del_addr(h: &Handle, index: u32, ip: Ipv4Addr, prefix: u8) -> Result<()> {
    let Some(m) = addr_msg(h, index, IpAddr::V4(ip), prefix).await? else {
        return Err(Error::Netlink {
            errno: Some(libc::EADDRNOTAVAIL),
            msg: "RTNETLINK answers: Cannot assign requested address".into(),
        });
    };
    h.address().del(m).execute().await.map_err(nl_error)
}

/// The message of address `ip/prefix` on ifindex `index`, if it holds it:
/// what `ip addr del` hands back to the kernel.
pub(super) async fn addr_msg(
    h: &Handle,
    index: u32,
    ip: IpAddr,
    prefix: u8,
) -> Result<Option<AddressMessage>> {
    let msgs: Vec<_> = h
        .address()
        .get()
        .set_link_index_filter(index)
        .set_address_filter(ip)
        .set_prefix_length_filter(prefix)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)?;
    Ok(msgs.into_iter().next())
}

/// Every IPv4 route in the namespace, of every table.
pub async fn routes(h: &Handle) -> Result<Vec<Route>> {
    let msgs = route_msgs(h, RouteMessageBuilder::<Ipv4Addr>::new().build()).await?;
    let mut out = vec![];
    for m in msgs {
        let mut table = m.header.table as u32;
        let mut r = Route {
            kind: Some(m.header.kind),
            proto: Some(m.header.protocol),
            scope: Some(m.header.scope),
            onlink: m.header.flags.contains(RouteFlags::Onlink),
            linkdown: m.header.flags.contains(RouteFlags::Linkdown),
            ..Default::default()
        };
        if m.header.destination_prefix_length == 0 {
            r.dst = None;
        }
        for a in &m.attributes {
            match a {
                RouteAttribute::Destination(RouteAddress::Inet(ip)) => {
                    r.dst = Some((*ip, m.header.destination_prefix_length))
                }
                RouteAttribute::Gateway(RouteAddress::Inet(ip)) => r.gw = Some(*ip),
                RouteAttribute::PrefSource(RouteAddress::Inet(ip)) => r.src = Some(*ip),
                RouteAttribute::Oif(i) => r.oif = Some(*i),
                RouteAttribute::Priority(p) => r.metric = Some(*p),
                RouteAttribute::Table(t) => table = *t,
                _ => {}
            }
        }
        if table == 254 {
            out.push(r);
        }
    }
    Ok(out)
}

/// Every route message the dump request `req` (of one family) answers.
pub(super) async fn route_msgs(h: &Handle, req: RouteMessage) -> Result<Vec<RouteMessage>> {
    h.route()
        .get(req)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)
}

/// What names a route in both `add` and `del`: destination, gateway, device.
fn route_key(mut b: RouteMessageBuilder<Ipv4Addr>, r: &Route) -> RouteMessageBuilder<Ipv4Addr> {
    if let Some((ip, p)) = r.dst {
        b = b.destination_prefix(ip, p);
    }
    if let Some(g) = r.gw {
        b = b.gateway(g);
    }
    if let Some(o) = r.oif {
        b = b.output_interface(o);
    }
    b
}

/// Add a route (`ip route add`), or with `replace` add or replace it (`ip route replace`).
pub async fn add_route(h: &Handle, r: &Route, replace: bool) -> Result<()> {
    let mut b = route_key(RouteMessageBuilder::<Ipv4Addr>::new(), r);
    // `ip route add` says proto boot unless told otherwise (rtnetlink says static).
    b = b.protocol(r.proto.unwrap_or(RouteProtocol::Boot));
    if let Some(s) = r.scope {
        b = b.scope(s);
    }
    if let Some(k) = r.kind {
        b = b.kind(k);
    }
    if let Some(s) = r.src {
        b = b.pref_source(s);
    }
    if let Some(m) = r.metric {
        b = b.priority(m);
    }
    if r.onlink {
        b = b.onlink();
    }
    let req = h.route().add(b.build());
    let req = if replace { req.replace() } else { req };
    req.execute().await.map_err(nl_error)
}

/// Remove a route (`ip route del`): any scope, protocol and type unless `r` names them.
pub async fn del_route(h: &Handle, r: &Route) -> Result<()> {
    // As `ip route del`: match any scope, protocol and type unless given.
    let mut b = RouteMessageBuilder::<Ipv4Addr>::new()
        .scope(r.scope.unwrap_or(RouteScope::NoWhere))
        .protocol(r.proto.unwrap_or(RouteProtocol::Unspec))
        .kind(r.kind.unwrap_or(RouteType::Unspec));
    b = route_key(b, r);
    h.route().del(b.build()).execute().await.map_err(nl_error)
}
