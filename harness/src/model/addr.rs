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
