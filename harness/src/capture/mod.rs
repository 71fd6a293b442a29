//! Captured frames as values: decoding (etherparse) into tcpdump-style lines.
//! Live capture (libpcap in a namespace) lives in `sys::capture`.

pub mod decode;
pub mod decode6;
pub mod frame;
mod icmp6;
pub mod pcapng;
pub mod render;
pub mod render6;

#[cfg(test)]
mod decode6_tests;
#[cfg(test)]
mod decode_props;
#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod pcapng_tests;
