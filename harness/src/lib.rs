//! vethlab: rebuilds container-network topologies from field notes in
//! throwaway network namespaces and asserts what the notes observed.
//!
//! Data flows one way: lab.json (`lab`) → topology in namespaces (`topo`,
//! `netns`, `ops`, `ipcmd`) → traffic (`traffic`) → captures (`capture`) →
//! decoded lines (`decode`) → compared with fixtures (`expect`) → `report`.

pub mod bench;
pub mod bless;
pub mod capture;
pub mod cni;
pub mod decode;
pub mod devices;
pub mod error;
pub mod ethtool;
pub mod expect;
#[doc(hidden)]
pub mod fault;
pub mod html;
pub mod input;
pub mod ipcmd;
pub mod junit;
pub mod kernel;
pub mod lab;
pub mod labs;
pub mod learner;
pub mod netns;
pub mod ops;
pub mod out;
pub mod outputs;
pub mod peers;
pub mod report;
pub mod sandbox;
pub mod scratch;
pub mod spans;
pub mod topo;
pub mod trace;
pub mod traffic;
pub mod transcript;
pub mod validate;
