//! Plain values shared by every layer: MACs, links, addresses, routes and
//! neighbours as the kernel reports them. No I/O.

pub mod addr;
pub mod link;
pub mod route;
pub mod route6;
pub mod state;

pub use addr::{link_local, Addr, Addr6, Fdb, Neigh, Neigh6};
pub use link::{fmt_mac, parse_mac, Link, LinkCommon, LinkKind, Mac};
pub use route::Route;
pub use route6::Route6;
pub use state::State;

#[cfg(test)]
mod tests;
