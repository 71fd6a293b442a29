//! The iproute2 / brctl / sysctl / ifconfig syntax labs are written in: parsed
//! into typed commands, and the devices each command makes or needs.

mod addr;
pub mod cmd;
pub mod devices;
pub mod inet6;
mod link;

#[cfg(test)]
mod cmd_link_tests;
#[cfg(test)]
mod cmd_tests;
#[cfg(test)]
mod devices_tests;
