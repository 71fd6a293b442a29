//! Addresses and neighbour entries as `ip addr` and `ip neigh` show them.

use super::link::Mac;
use rtnetlink::packet_route::neighbour::NeighbourState;
use std::net::Ipv4Addr;

/// An IPv4 address on an interface, as `ip addr` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Addr {
    /// The ifindex of the interface holding it.
    pub index: u32,
    /// The IPv4 address.
    pub ip: Ipv4Addr,
    /// Prefix length (`/24`).
    pub prefix: u8,
    /// IFA_BROADCAST: `brd` of `ip addr`, `broadcast` of `ifconfig`.
    pub broadcast: Option<Ipv4Addr>,
}

/// A neighbour (ARP) entry, as `ip neigh` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Neigh {
    /// The ifindex of the interface it is on.
    pub index: u32,
    /// The neighbour's IPv4 address.
    pub ip: Ipv4Addr,
    /// Its link-layer address, once resolved.
    pub lladdr: Option<Mac>,
    /// NUD state as `ip neigh` prints it (`REACHABLE`, `STALE`, `PERMANENT`, ...).
    pub state: String,
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
