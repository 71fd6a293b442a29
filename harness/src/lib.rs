#![warn(missing_docs)]
// Only the modules marked `#[allow(unsafe_code)]` (all in the system half)
// may use `unsafe`; the pure half cannot.
#![deny(unsafe_code)]
//! vethlab: rebuilds container-network topologies from field notes in
//! throwaway network namespaces and asserts what the notes observed.
//!
//! The crate is in two halves. The top half is pure: it never imports the
//! bottom half, so it is unit-tested without privileges.
//!
//! - [`model`]: plain values (MACs, links, addresses, routes, neighbours).
//! - [`iproute`]: the iproute2 syntax labs use, parsed into typed commands.
//! - [`lab`]: the lab file: model, loader, fixtures, the catalog of built-in labs.
//! - [`capture`]: decoding captured frames into tcpdump-style lines.
//! - [`check`]: judging kernel state and captures against expectations.
//! - [`report`]: the report model and its text, JSON, JUnit and HTML writers.
//!
//! The bottom half touches the kernel:
//!
//! - [`sys`]: the sandbox, namespaces, netlink, live capture, ethtool, kernel features.
//! - [`topo`]: applying typed commands to namespaces.
//! - [`traffic`]: ping and UDP from inside a namespace.
//! - [`run`]: running a step: given state, actions, capture, checks, report.
//! - [`tools`]: `peers`, the learner shell, the benchmark.
//!
//! Data flows one way: lab file → topology → traffic → captures → checks → report.

pub mod capture;
pub mod check;
pub mod error;
pub mod iproute;
pub mod lab;
pub mod model;
pub mod report;
pub mod run;
pub mod sys;
pub mod tools;
pub mod topo;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
pub mod traffic;
