//! Addresses and neighbour entries as `ip addr` and `ip neigh` show them.

use super::link::Mac;
use rtnetlink::packet_route::neighbour::NeighbourState;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq)]
pub struct Addr {
    pub index: u32,
    pub ip: Ipv4Addr,
    pub prefix: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Neigh {
    pub index: u32,
    pub ip: Ipv4Addr,
    pub lladdr: Option<Mac>,
    pub state: String,
}

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
