//! Everything that touches the kernel or the host: the sandbox, network
//! namespaces and their workers, netlink, live capture, ethtool, scratch
//! directories, kernel features, CNI plugins, output files.

pub mod bird;
pub mod capture;
pub mod cni;
pub mod ethtool;
#[doc(hidden)]
pub mod fault;
pub mod kernel;
mod minroot;
pub mod netlink;
pub mod netns;
pub mod outputs;
mod pool;
mod privilege;
mod remount;
pub mod sandbox;
pub mod scratch;
pub mod trace;
