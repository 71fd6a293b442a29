//! Devices: dump, look up, add (veth, bridge, VXLAN, IP-in-IP), set, delete.

use super::{errno, nl_error};
use crate::error::{Error, Result};
use crate::model::link::{Link, LinkCommon, LinkKind, Mac};
use futures_util::TryStreamExt;
use rtnetlink::packet_route::link::{
    InfoBridge, InfoData, InfoIpTunnel, InfoVeth, InfoVxlan, LinkAttribute, LinkInfo, LinkMessage,
};
use rtnetlink::{
    Handle, LinkBridge, LinkIpIp, LinkMessageBuilder, LinkUnspec, LinkVeth, LinkVxlan,
};
use std::os::fd::RawFd;

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
            LinkAttribute::TxQueueLen(v) => l.txqueuelen = Some(v),
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
                                match b {
                                    InfoBridge::StpState(s) => l.stp = Some(u32::from(s)),
                                    InfoBridge::BridgeId(id) => {
                                        l.bridge_id = Some(crate::model::link::fmt_bridge_id(
                                            id.priority,
                                            &id.address,
                                        ))
                                    }
                                    _ => {}
                                }
                            }
                        }
                        // A tunnel's underlay device (`dev eth0`); 0 is none.
                        LinkInfo::Data(InfoData::Vxlan(xs)) => {
                            l.underlay = xs.iter().find_map(|x| match x {
                                InfoVxlan::Link(i) if *i != 0 => Some(*i),
                                _ => None,
                            });
                        }
                        LinkInfo::Data(InfoData::IpTunnel(xs)) => {
                            l.underlay = xs.iter().find_map(|x| match x {
                                InfoIpTunnel::Link(i) if *i != 0 => Some(*i),
                                _ => None,
                            });
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

/// Every interface in the namespace (`ip link show`).
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

/// The interface named `name`, or iproute2's `Cannot find device` error.
pub async fn link_by_name(h: &Handle, name: &str) -> Result<Link> {
    let mut s = h.link().get().match_name(name.to_string()).execute();
    match s.try_next().await {
        Ok(Some(m)) => Ok(link_from_msg(m)),
        Ok(None) => Err(Error::NotFound(format!("Cannot find device \"{name}\""))),
        Err(e) if errno(&e) == Some(libc::ENODEV) => {
            Err(Error::NotFound(format!("Cannot find device \"{name}\"")))
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

/// `ip link add`.
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
    /// Transmit queue length (`txqueuelen`).
    pub txqueuelen: Option<u32>,
    /// Administratively up (`up`) or down (`down`).
    pub up: Option<bool>,
    /// MTU, in bytes.
    pub mtu: Option<u32>,
    /// Hardware address (`address`).
    pub mac: Option<Mac>,
    /// Some(0) means nomaster.
    pub master: Option<u32>,
    /// New name (`name`).
    pub name: Option<String>,
    /// Move to the network namespace of this fd (`netns`).
    pub netns: Option<RawFd>,
}

/// Apply `s` to the interface with ifindex `index` (`ip link set`), in one message.
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

/// Delete the interface with ifindex `index` (`ip link del`).
pub async fn del_link(h: &Handle, index: u32) -> Result<()> {
    h.link().del(index).execute().await.map_err(nl_error)
}
