//! Links as `ip link` shows them, and what `ip link add` makes.

use std::net::Ipv4Addr;

/// A MAC address.
pub type Mac = [u8; 6];

pub fn fmt_mac(m: &[u8]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn parse_mac(s: &str) -> Option<Mac> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        // Hex digits only: `from_str_radix` would also take a sign (`+e`).
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        m[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}

/// A link as `ip link` shows it.
#[derive(Debug, Clone, Default)]
pub struct Link {
    pub index: u32,
    pub name: String,
    pub kind: Option<String>,
    pub mtu: u32,
    pub mac: Option<Mac>,
    pub flags: u32,
    pub operstate: String,
    pub master: Option<u32>,
    /// IFLA_LINK: the peer's ifindex (veth), or the lower device.
    pub link: Option<u32>,
    /// IFLA_LINK_NETNSID: where the peer lives, as an id of this namespace.
    pub link_netnsid: Option<i32>,
    pub stp: Option<u32>,
}

impl Link {
    pub fn up(&self) -> bool {
        self.flags & libc::IFF_UP as u32 != 0
    }
    pub fn lower_up(&self) -> bool {
        self.flags & (1 << 16) != 0
    }
    /// `<BROADCAST,MULTICAST,UP,LOWER_UP>` as iproute2 prints it.
    pub fn flag_names(&self) -> String {
        let f = self.flags;
        let mut v = vec![];
        if f & libc::IFF_UP as u32 != 0 && f & (1 << 16) == 0 && f & libc::IFF_LOOPBACK as u32 == 0
        {
            v.push("NO-CARRIER");
        }
        for (bit, n) in [
            (libc::IFF_LOOPBACK, "LOOPBACK"),
            (libc::IFF_BROADCAST, "BROADCAST"),
            (libc::IFF_POINTOPOINT, "POINTOPOINT"),
            (libc::IFF_MULTICAST, "MULTICAST"),
            (libc::IFF_NOARP, "NOARP"),
            (libc::IFF_UP, "UP"),
        ] {
            if f & bit as u32 != 0 {
                v.push(n);
            }
        }
        if f & (1 << 16) != 0 {
            v.push("LOWER_UP");
        }
        format!("<{}>", v.join(","))
    }
}

/// Attributes shared by every `ip link add`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkCommon {
    pub name: String,
    pub index: Option<u32>,
    pub mac: Option<Mac>,
    pub mtu: Option<u32>,
    pub txqueuelen: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkKind {
    /// The peer is created directly in `peer_ns` (an fd) when given, so the
    /// pair is never half-placed.
    Veth {
        peer: LinkCommon,
    },
    Bridge,
    Vxlan {
        vni: u32,
        port: Option<u16>,
        local: Option<Ipv4Addr>,
        dev: Option<String>,
        learning: bool,
    },
    IpIp {
        local: Option<Ipv4Addr>,
        remote: Option<Ipv4Addr>,
    },
}

impl LinkKind {
    pub fn name(&self) -> &'static str {
        match self {
            LinkKind::Veth { .. } => "veth",
            LinkKind::Bridge => "bridge",
            LinkKind::Vxlan { .. } => "vxlan",
            LinkKind::IpIp { .. } => "ipip",
        }
    }
}

/// Link kinds beyond veth and bridge, each with the module that provides
/// it: a lab step that makes one needs it, and says so.
pub const OPTIONAL_KINDS: &[(&str, &str)] = &[
    ("ipip", "ipip"),
    ("gre", "ip_gre"),
    ("vxlan", "vxlan"),
    ("dummy", "dummy"),
    ("vrf", "vrf"),
    ("sit", "sit"),
    ("geneve", "geneve"),
];
