//! Addresses and neighbour entries as `ip addr` and `ip neigh` show them.

use super::link::Mac;
use rtnetlink::packet_route::neighbour::NeighbourState;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An address on an interface, as `ip addr` shows it: IPv4 (`inet`) unless
/// written `Addr<Ipv6Addr>` ([`Addr6`], `inet6`).
#[derive(Debug, Clone, PartialEq)]
pub struct Addr<A = Ipv4Addr> {
    /// The ifindex of the interface holding it.
    pub index: u32,
    /// The address.
    pub ip: A,
    /// Prefix length (`/24`).
    pub prefix: u8,
}

/// A neighbour entry, as `ip neigh` shows it: ARP unless written
/// `Neigh<Ipv6Addr>` ([`Neigh6`], NDP).
#[derive(Debug, Clone, PartialEq)]
pub struct Neigh<A = Ipv4Addr> {
    /// The ifindex of the interface it is on.
    pub index: u32,
    /// The neighbour's address.
    pub ip: A,
    /// Its link-layer address, once resolved.
    pub lladdr: Option<Mac>,
    /// NUD state as `ip neigh` prints it (`REACHABLE`, `STALE`, `PERMANENT`, ...).
    pub state: String,
}

/// An IPv6 address on an interface (`ip -6 addr`).
pub type Addr6 = Addr<Ipv6Addr>;
/// An IPv6 neighbour (NDP) entry (`ip -6 neigh`).
pub type Neigh6 = Neigh<Ipv6Addr>;

/// The link-local address the kernel derives from a MAC (EUI-64, RFC 4291
/// appendix A): `fe80::` and the MAC with `ff:fe` in its middle and the
/// universal/local bit flipped, as seed 004's `fe80::3c78:e0ff:fe5b:4a85`
/// from veth0's `3e:78:e0:5b:4a:85`.
pub fn link_local(mac: &Mac) -> Ipv6Addr {
    let m = mac;
    let b = [
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        m[0] ^ 2,
        m[1],
        m[2],
        0xff,
        0xfe,
        m[3],
        m[4],
        m[5],
    ];
    Ipv6Addr::from(b)
}

/// One bridge FDB entry (`bridge fdb show`): a MAC on a port or on a
/// VXLAN device, with the remote VTEP it is sent to.
#[derive(Debug, Clone, PartialEq)]
pub struct Fdb {
    /// The device (bridge port or VXLAN device) it is on.
    pub index: u32,
    /// The MAC.
    pub mac: Mac,
    /// `dst`: the remote VTEP's address (VXLAN).
    pub dst: Option<Ipv4Addr>,
    /// `master`: the bridge whose table holds it (None for `self` entries).
    pub master: Option<u32>,
    /// `permanent` (configured, not learnt).
    pub permanent: bool,
}

/// A NUD state's name as `ip neigh` prints it (`NONE` for any other).
pub fn neigh_state_name(s: NeighbourState) -> String {
    match s {
        NeighbourState::Incomplete => "INCOMPLETE",
        NeighbourState::Reachable => "REACHABLE",
        NeighbourState::Stale => "STALE",
        NeighbourState::Delay => "DELAY",
        NeighbourState::Probe => "PROBE",
        NeighbourState::Failed => "FAILED",
        NeighbourState::Noarp => "NOARP",
        NeighbourState::Permanent => "PERMANENT",
        _ => "NONE",
    }
    .to_string()
}
