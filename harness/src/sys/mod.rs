//! Everything that touches the kernel or the host: the sandbox, network
//! namespaces and their workers, netlink, live capture, ethtool, scratch
//! directories, kernel features, CNI plugins, output files.

pub mod bird;
pub mod capture;
pub mod cni;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
pub mod ethtool;
#[doc(hidden)]
pub mod fault;
pub mod kernel;
#[allow(unsafe_code)] // pivot_root(2), with its SAFETY comment
mod minroot;
pub mod netlink;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
pub mod netns;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
pub mod outputs;
mod pool;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
mod privilege;
#[allow(unsafe_code)] // statvfs(3), with its SAFETY comment
mod remount;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
pub mod sandbox;
pub mod scratch;
mod spare;
pub mod trace;
