//! Links as `ip link` shows them, and what `ip link add` makes.

use std::net::Ipv4Addr;

/// A MAC address.
pub type Mac = [u8; 6];

/// A MAC as `ip link` prints it: lower-case hex, colon-separated.
pub fn fmt_mac(m: &[u8]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A bridge id as `brctl show` prints it: the priority in four hex digits,
/// a dot, the MAC without colons (`8000.0242dfd605c0`).
pub fn fmt_bridge_id(priority: u16, mac: &[u8]) -> String {
    format!("{priority:04x}.{}", fmt_mac(mac).replace(':', ""))
}

/// Parses `aa:bb:cc:dd:ee:ff` (one or two hex digits per byte).
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
    /// ifindex in its namespace (the `7:` of `7: eth0@if8`).
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// IFLA_INFO_KIND (`veth`, `bridge`, `vxlan`, ...); `None` for `lo` and plain devices.
    pub kind: Option<String>,
    /// MTU in bytes, as `ip link` prints it.
    pub mtu: u32,
    /// The link-layer address, if the device has one.
    pub mac: Option<Mac>,
    /// `IFF_*` flag bits (see [`Link::flag_names`]).
    pub flags: u32,
    /// Operational state as `ip link` prints it (`UP`, `DOWN`, `UNKNOWN`, ...).
    pub operstate: String,
    /// ifindex of the bridge it is enslaved to (`master br0`).
    pub master: Option<u32>,
    /// IFLA_LINK: the peer's ifindex (veth), or the lower device.
    pub link: Option<u32>,
    /// IFLA_LINK_NETNSID: where the peer lives, as an id of this namespace.
    pub link_netnsid: Option<i32>,
    /// A bridge's STP state (IFLA_BR_STP_STATE): 0 off, else on.
    pub stp: Option<u32>,
    /// A tunnel's underlay device, by ifindex in this namespace
    /// (IFLA_VXLAN_LINK, IFLA_IPTUN_LINK: `dev eth0` when it was made).
    pub underlay: Option<u32>,
    /// IFLA_TXQLEN: `qlen` of `ip link`, `txqueuelen` of `ifconfig`.
    pub txqueuelen: Option<u32>,
    /// A bridge's id as `brctl show` prints it (`8000.0242dfd605c0`), from
    /// IFLA_BR_BRIDGE_ID: its priority, then the MAC it was given.
    pub bridge_id: Option<String>,
}

impl Link {
    /// `UP`: administratively up (`ip link set DEV up`).
    pub fn up(&self) -> bool {
        self.flags & libc::IFF_UP as u32 != 0
    }
    /// `LOWER_UP`: the carrier is on (for a veth: its peer is up too).
    pub fn lower_up(&self) -> bool {
        self.flags & (1 << 16) != 0
    }
    /// Whether the kernel has yet to take in a change of this link: its flags
    /// (set at once by the command) and its operstate (set later by the
    /// kernel's linkwatch work, up to a second or more on a busy machine)
    /// disagree. A link that is up with its carrier leaves DOWN (a veth,
    /// UNKNOWN too); one that is down, or up without carrier, leaves UP (a
    /// veth or bridge without carrier, UNKNOWN too).
    /// Other kinds may stay UNKNOWN for good: a tunnel, and a bridge that
    /// never had a port (calico's docker0 reads `UP,LOWER_UP … UNKNOWN`).
    pub fn settling(&self) -> bool {
        match (self.up(), self.lower_up()) {
            (true, true) => match self.operstate.as_str() {
                "DOWN" | "LOWERLAYERDOWN" => true,
                "UNKNOWN" => self.kind.as_deref() == Some("veth"),
                _ => false,
            },
            // Up without carrier: a veth or bridge reads UNKNOWN only until the
            // carrier loss queued for linkwatch is taken in (then DOWN).
            (true, false) => match self.operstate.as_str() {
                "UP" => true,
                "UNKNOWN" => matches!(self.kind.as_deref(), Some("veth" | "bridge")),
                _ => false,
            },
            (false, _) => self.operstate == "UP",
        }
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
    /// The device name.
    pub name: String,
    /// `index N`: the ifindex to ask for (the articles' own).
    pub index: Option<u32>,
    /// `address MAC`.
    pub mac: Option<Mac>,
    /// `mtu N`, in bytes.
    pub mtu: Option<u32>,
    /// `txqueuelen N`, in packets.
    pub txqueuelen: Option<u32>,
}

/// What kind of link `ip link add … type KIND` makes, with its options.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkKind {
    /// The peer is created directly in `peer_ns` (an fd) when given, so the
    /// pair is never half-placed.
    Veth {
        /// The other end: `peer name NAME` and its attributes.
        peer: LinkCommon,
    },
    /// `type bridge` (also `brctl addbr`).
    Bridge,
    /// `type vxlan id VNI …`.
    Vxlan {
        /// `id VNI`: the VXLAN network identifier.
        vni: u32,
        /// `dstport N`: the UDP port (flannel uses 8472).
        port: Option<u16>,
        /// `local IP`: the source address of the outer packets.
        local: Option<Ipv4Addr>,
        /// `dev DEV`: the underlay interface.
        dev: Option<String>,
        /// Learn remote MACs from received packets (`nolearning` turns it off).
        learning: bool,
    },
    /// `type ipip …`: IPv4 in IPv4 (Calico's tunnel).
    IpIp {
        /// `local IP`: the outer source address.
        local: Option<Ipv4Addr>,
        /// `remote IP`: the outer destination; `None` takes any (as `tunl0`).
        remote: Option<Ipv4Addr>,
    },
}

impl LinkKind {
    /// The kind as `type KIND` names it.
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
