//! Snapshots built by hand for the rules' unit tests, under names,
//! addresses and MACs no lab uses.

use super::{Ns, Snapshot};
use crate::model::{Addr, Fdb, Link, Neigh, Route};
use std::net::Ipv4Addr;

pub const UP: u32 = libc::IFF_UP as u32 | (1 << 16);

/// A snapshot under construction.
#[derive(Default)]
pub struct FakeSnapshot(pub Snapshot);

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

impl FakeSnapshot {
    /// A namespace with `lo` (up) at index 1 and ip_forward 0; its index.
    pub fn ns(&mut self, label: &str) -> usize {
        let mut n = Ns {
            label: label.into(),
            ..Default::default()
        };
        n.links.push(Link {
            index: 1,
            name: "lo".into(),
            flags: UP | libc::IFF_LOOPBACK as u32,
            operstate: "UNKNOWN".into(),
            ..Default::default()
        });
        n.addrs.push(Addr {
            index: 1,
            ip: Ipv4Addr::LOCALHOST,
            prefix: 8,
            broadcast: None,
        });
        n.sysctls.insert("net.ipv4.ip_forward".into(), "0".into());
        n.sysctls
            .insert("net.ipv4.conf.all.proxy_arp".into(), "0".into());
        self.0.namespaces.push(n);
        self.0.namespaces.len() - 1
    }

    pub fn get(&mut self, ns: usize) -> &mut Ns {
        &mut self.0.namespaces[ns]
    }

    /// A device of `kind` ("" for none), up.
    pub fn link(&mut self, ns: usize, index: u32, name: &str, kind: &str) -> &mut Link {
        let l = Link {
            index,
            name: name.into(),
            kind: (!kind.is_empty()).then(|| kind.to_string()),
            mtu: 1500,
            mac: Some([0x02, 0x5e, 0, 0, ns as u8, index as u8]),
            flags: UP,
            operstate: "UP".into(),
            ..Default::default()
        };
        let n = &mut self.0.namespaces[ns];
        n.links.push(l);
        n.sysctls
            .insert(super::conf_key(name, "proxy_arp"), "0".into());
        n.links.last_mut().expect("just pushed")
    }

    /// A veth pair: `a` in namespace `na`, `b` in `nb` (ifindexes `ia`, `ib`).
    pub fn veth(&mut self, na: usize, ia: u32, a: &str, nb: usize, ib: u32, b: &str) {
        let other = na != nb;
        let l = self.link(na, ia, a, "veth");
        l.link = Some(ib);
        l.link_netnsid = other.then_some(0);
        let l = self.link(nb, ib, b, "veth");
        l.link = Some(ia);
        l.link_netnsid = other.then_some(0);
        if other {
            self.0.namespaces[na].peers.insert(ia, (nb, ib));
            self.0.namespaces[nb].peers.insert(ib, (na, ia));
        }
    }

    /// `ip addr add CIDR dev INDEX`, with the kernel's prefix route unless /32.
    pub fn addr(&mut self, ns: usize, index: u32, cidr: &str) {
        let (a, p) = cidr.split_once('/').expect("CIDR");
        let (a, p): (Ipv4Addr, u8) = (ip(a), p.parse().expect("prefix"));
        let n = &mut self.0.namespaces[ns];
        n.addrs.push(Addr {
            index,
            ip: a,
            prefix: p,
            broadcast: None,
        });
        if p < 32 {
            let net = Ipv4Addr::from(u32::from(a) & (u32::MAX << (32 - p)));
            n.routes.push(Route {
                dst: Some((net, p)),
                oif: Some(index),
                src: Some(a),
                ..Default::default()
            });
        }
    }

    /// `ip route add DST [via GW] dev INDEX` (DST `default` or `A/P` or `A`).
    pub fn route(&mut self, ns: usize, dst: &str, gw: Option<&str>, index: u32) {
        let dst = match dst {
            "default" => None,
            d => Some(match d.split_once('/') {
                Some((a, p)) => (ip(a), p.parse().expect("prefix")),
                None => (ip(d), 32),
            }),
        };
        self.0.namespaces[ns].routes.push(Route {
            dst,
            gw: gw.map(ip),
            oif: Some(index),
            ..Default::default()
        });
    }

    pub fn del_route(&mut self, ns: usize, dst: &str) {
        self.0.namespaces[ns].routes.retain(|r| match r.dst {
            None => dst != "default",
            Some((a, 32)) => a.to_string() != dst,
            Some((a, p)) => format!("{a}/{p}") != dst,
        });
    }

    pub fn sysctl(&mut self, ns: usize, key: &str, v: &str) {
        self.0.namespaces[ns].sysctls.insert(key.into(), v.into());
    }

    pub fn neigh(&mut self, ns: usize, index: u32, at: &str, mac: [u8; 6]) {
        self.0.namespaces[ns].neighbours.push(Neigh {
            index,
            ip: ip(at),
            lladdr: Some(mac),
            state: "PERMANENT".into(),
        });
    }

    pub fn fdb(&mut self, ns: usize, index: u32, mac: [u8; 6], dst: &str) {
        self.0.namespaces[ns].fdb.push(Fdb {
            index,
            mac,
            dst: Some(ip(dst)),
            master: None,
            permanent: true,
        });
    }

    /// `(id, netns, device)` of every finding.
    pub fn ids(&self) -> Vec<(String, String, String)> {
        super::diagnose(&self.0)
            .into_iter()
            .map(|f| (f.id.to_string(), f.netns, f.device))
            .collect()
    }
}
