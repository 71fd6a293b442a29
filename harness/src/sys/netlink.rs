//! Typed operations over rtnetlink, and dumps of what the kernel holds. Nothing
//! here knows about labs; every function works on one namespace's handle.

use crate::error::{Error, Result};
use futures::TryStreamExt;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use rtnetlink::packet_route::address::AddressAttribute;
use rtnetlink::packet_route::link::{
    InfoBridge, InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteProtocol, RouteScope, RouteType,
};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{
    Handle, LinkBridge, LinkIpIp, LinkMessageBuilder, LinkUnspec, LinkVeth, LinkVxlan,
    RouteMessageBuilder,
};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::RawFd;

pub use crate::model::addr::{neigh_state_name, Addr, Neigh};
pub use crate::model::link::{fmt_mac, parse_mac, Link, LinkCommon, LinkKind, Mac};
pub use crate::model::route::{parse_proto, proto_name, Route};

/// The kernel's answer, worded like iproute2's so learners recognise it.
pub fn nl_error(e: rtnetlink::Error) -> Error {
    match errno(&e) {
        Some(n) => Error::Other(format!(
            "RTNETLINK answers: {}",
            std::io::Error::from_raw_os_error(n)
                .to_string()
                .replace(&format!(" (os error {n})"), "")
        )),
        None => Error::Other(format!("netlink: {e}")),
    }
}

pub fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}

fn link_from_msg(m: LinkMessage) -> Link {
    let mut l = Link {
        index: m.header.index,
        flags: m.header.flags.bits(),
        ..Default::default()
    };
    for a in m.attributes {
        match a {
            LinkAttribute::IfName(n) => l.name = n,
            LinkAttribute::Mtu(v) => l.mtu = v,
            LinkAttribute::Address(a) if a.len() == 6 => l.mac = a.try_into().ok(),
            LinkAttribute::Controller(v) => l.master = Some(v),
            LinkAttribute::Link(v) => l.link = Some(v),
            LinkAttribute::LinkNetNsId(v) => l.link_netnsid = Some(v),
            LinkAttribute::OperState(s) => l.operstate = format!("{s:?}").to_uppercase(),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(k) => l.kind = Some(k.to_string()),
                        LinkInfo::Data(InfoData::Bridge(bs)) => {
                            for b in bs {
                                if let InfoBridge::StpState(s) = b {
                                    l.stp = Some(u32::from(s));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    l
}

pub async fn links(h: &Handle) -> Result<Vec<Link>> {
    let msgs: Vec<LinkMessage> = h
        .link()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)?;
    Ok(msgs.into_iter().map(link_from_msg).collect())
}

pub async fn link_by_name(h: &Handle, name: &str) -> Result<Link> {
    let mut s = h.link().get().match_name(name.to_string()).execute();
    match s.try_next().await {
        Ok(Some(m)) => Ok(link_from_msg(m)),
        Ok(None) => Err(Error::Other(format!("Cannot find device \"{name}\""))),
        Err(e) if errno(&e) == Some(libc::ENODEV) => {
            Err(Error::Other(format!("Cannot find device \"{name}\"")))
        }
        Err(e) => Err(nl_error(e)),
    }
}

fn common<T>(mut b: LinkMessageBuilder<T>, c: &LinkCommon) -> LinkMessageBuilder<T> {
    if let Some(i) = c.index {
        b = b.index(i);
    }
    if let Some(m) = c.mac {
        b = b.address(m.to_vec());
    }
    if let Some(m) = c.mtu {
        b = b.mtu(m);
    }
    if let Some(q) = c.txqueuelen {
        b = b.txqueuelen(q);
    }
    b
}

pub async fn add_link(
    h: &Handle,
    c: &LinkCommon,
    kind: &LinkKind,
    peer_ns: Option<RawFd>,
    dev_index: Option<u32>,
) -> Result<()> {
    let msg = match kind {
        LinkKind::Veth { peer } => {
            let mut p = common(
                LinkMessageBuilder::<LinkUnspec>::new().name(peer.name.clone()),
                peer,
            );
            if let Some(fd) = peer_ns {
                p = p.setns_by_fd(fd);
            }
            common(LinkVeth::new(&c.name, &peer.name), c)
                .set_info_data(InfoData::Veth(InfoVeth::Peer(p.build())))
                .build()
        }
        // Not `LinkBridge::new`: that one also sets the bridge UP, where `ip link
        // add … type bridge` (and brctl addbr) leave it DOWN, as the articles show.
        LinkKind::Bridge => common(LinkMessageBuilder::<LinkBridge>::new(&c.name), c).build(),
        LinkKind::Vxlan {
            vni,
            port,
            local,
            learning,
            ..
        } => {
            let mut b = LinkVxlan::new(&c.name, *vni).learning(*learning);
            if let Some(p) = port {
                b = b.port(*p);
            }
            if let Some(l) = local {
                b = b.local(*l);
            }
            if let Some(d) = dev_index {
                b = b.dev(d);
            }
            common(b, c).build()
        }
        LinkKind::IpIp { local, remote } => {
            let mut b = LinkIpIp::new(&c.name);
            if let Some(l) = local {
                b = b.local(*l);
            }
            if let Some(r) = remote {
                b = b.remote(*r);
            }
            common(b, c).build()
        }
    };
    h.link().add(msg).execute().await.map_err(|e| {
        if errno(&e) == Some(libc::EOPNOTSUPP) {
            Error::Unsupported(format!(
                "this kernel has no `{}` devices (RTNETLINK answers: Operation not supported; iproute2 says \"Unknown device type\")",
                kind.name()
            ))
        } else {
            nl_error(e)
        }
    })
}

/// What `ip link set` may change, all in one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkSet {
    pub txqueuelen: Option<u32>,
    pub up: Option<bool>,
    pub mtu: Option<u32>,
    pub mac: Option<Mac>,
    /// Some(0) means nomaster.
    pub master: Option<u32>,
    pub name: Option<String>,
    pub netns: Option<RawFd>,
}

pub async fn set_link(h: &Handle, index: u32, s: &LinkSet) -> Result<()> {
    let mut b = LinkUnspec::new_with_index(index);
    if let Some(up) = s.up {
        b = if up { b.up() } else { b.down() };
    }
    if let Some(m) = s.mtu {
        b = b.mtu(m);
    }
    if let Some(q) = s.txqueuelen {
        b = b.txqueuelen(q);
    }
    if let Some(m) = s.mac {
        b = b.address(m.to_vec());
    }
    if let Some(m) = s.master {
        b = if m == 0 {
            b.nocontroller()
        } else {
            b.controller(m)
        };
    }
    if let Some(n) = &s.name {
        b = b.name(n.clone());
    }
    if let Some(fd) = s.netns {
        b = b.setns_by_fd(fd);
    }
    h.link().set(b.build()).execute().await.map_err(nl_error)
}

pub async fn del_link(h: &Handle, index: u32) -> Result<()> {
    h.link().del(index).execute().await.map_err(nl_error)
}

pub async fn addrs(h: &Handle) -> Result<Vec<Addr>> {
    let msgs: Vec<_> = h
        .address()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)?;
    let mut out = vec![];
    for m in msgs {
        if m.header.family != AddressFamily::Inet {
            continue;
        }
        for a in &m.attributes {
            if let AddressAttribute::Local(IpAddr::V4(ip)) = a {
                out.push(Addr {
                    index: m.header.index,
                    ip: *ip,
                    prefix: m.header.prefix_len,
                });
            }
        }
    }
    Ok(out)
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

pub async fn del_addr(h: &Handle, index: u32, ip: Ipv4Addr, prefix: u8) -> Result<()> {
    let msgs: Vec<_> = h
        .address()
        .get()
        .set_link_index_filter(index)
        .set_address_filter(IpAddr::V4(ip))
        .set_prefix_length_filter(prefix)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)?;
    let Some(m) = msgs.into_iter().next() else {
        return Err(Error::Other(
            "RTNETLINK answers: Cannot assign requested address".into(),
        ));
    };
    h.address().del(m).execute().await.map_err(nl_error)
}

pub async fn routes(h: &Handle) -> Result<Vec<Route>> {
    let req = RouteMessageBuilder::<Ipv4Addr>::new().build();
    let msgs: Vec<_> = h
        .route()
        .get(req)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)?;
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

pub async fn add_route(h: &Handle, r: &Route, replace: bool) -> Result<()> {
    let mut b = RouteMessageBuilder::<Ipv4Addr>::new();
    if let Some((ip, p)) = r.dst {
        b = b.destination_prefix(ip, p);
    }
    if let Some(g) = r.gw {
        b = b.gateway(g);
    }
    if let Some(o) = r.oif {
        b = b.output_interface(o);
    }
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

pub async fn del_route(h: &Handle, r: &Route) -> Result<()> {
    // As `ip route del`: match any scope, protocol and type unless given.
    let mut b = RouteMessageBuilder::<Ipv4Addr>::new()
        .scope(r.scope.unwrap_or(RouteScope::NoWhere))
        .protocol(r.proto.unwrap_or(RouteProtocol::Unspec))
        .kind(r.kind.unwrap_or(RouteType::Unspec));
    if let Some((ip, p)) = r.dst {
        b = b.destination_prefix(ip, p);
    }
    if let Some(o) = r.oif {
        b = b.output_interface(o);
    }
    if let Some(g) = r.gw {
        b = b.gateway(g);
    }
    h.route().del(b.build()).execute().await.map_err(nl_error)
}

async fn neigh_msgs(h: &Handle) -> Result<Vec<NeighbourMessage>> {
    h.neighbours()
        .get()
        .set_address_family(AddressFamily::Inet)
        .execute()
        .try_collect()
        .await
        .map_err(nl_error)
}

pub async fn neighbours(h: &Handle) -> Result<Vec<Neigh>> {
    let msgs = neigh_msgs(h).await?;
    let mut out = vec![];
    for m in msgs {
        let mut ip = None;
        let mut ll = None;
        for a in &m.attributes {
            match a {
                NeighbourAttribute::Destination(NeighbourAddress::Inet(i)) => ip = Some(*i),
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

/// Delete the learnt IPv4 neighbours of one device, as `ip neigh flush dev` does.
pub async fn flush_neigh(h: &Handle, index: u32) -> Result<()> {
    for m in neigh_msgs(h).await? {
        if m.header.ifindex == index
            && !matches!(
                m.header.state,
                NeighbourState::Permanent | NeighbourState::Noarp
            )
        {
            h.neighbours().del(m).execute().await.map_err(nl_error)?;
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

/// The id under which namespace `fd` is known in `h`'s namespace (what
/// IFLA_LINK_NETNSID carries), if one is assigned.
pub async fn nsid_of(h: &Handle, fd: RawFd) -> Result<Option<i32>> {
    let mut msg = NsidMessage::default();
    msg.attributes.push(NsidAttribute::Fd(fd as u32));
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNsId(msg));
    req.header.flags = NLM_F_REQUEST;
    let mut h = h.clone();
    let mut resp = h.request(req).map_err(nl_error)?;
    use futures::StreamExt;
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

pub fn is_kind(l: &Link, k: InfoKind) -> bool {
    l.kind.as_deref() == Some(&k.to_string())
}
