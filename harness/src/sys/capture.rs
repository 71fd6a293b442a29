//! A libpcap capture on one interface inside one namespace: opened on the
//! namespace's thread, drained after the step's traffic, kept in memory and
//! optionally written as a .pcapng (node, lab and step inside) that tcpdump
//! and Wireshark read.

use crate::error::{Error, Result};
use crate::sys::netns::Netns;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Microseconds since the epoch, from the kernel's timestamp.
    pub ts_us: i64,
    pub data: Vec<u8>,
    /// Length on the wire (data may be cut at the snap length).
    pub len: u32,
}

#[derive(Debug, Clone)]
pub struct Captured {
    pub node: String,
    pub iface: String,
    /// DLT: 1 Ethernet, 12/101 raw IP, 113 Linux cooked.
    pub linktype: i32,
    pub frames: Vec<Frame>,
    pub dropped: u32,
}

pub struct Capture {
    node: String,
    iface: String,
    cap: pcap::Capture<pcap::Active>,
}

impl Capture {
    /// The kernel buffer a capture gets unless told otherwise: frames are
    /// drained only after a step's traffic, so it must hold a whole step.
    /// In immediate mode libpcap uses TPACKET_V2, one fixed slot of about
    /// SNAPLEN per frame: 2 MiB holds ~950 frames (a step has dozens).
    pub const BUFFER: i32 = 2 << 20;
    /// Enough for any lab frame: MTU 1500 plus VXLAN's 50 and Ethernet's 14.
    /// (65535 would make every ring slot 64 KiB: 32 frames per 2 MiB.)
    pub const SNAPLEN: i32 = 2048;

    /// Start capturing on `iface` in `ns` with a kernel buffer of `buffer`
    /// bytes. Every frame after this returns is kept, or counted as dropped.
    pub fn start(ns: &Netns, iface: &str, buffer: i32) -> Result<Capture> {
        let dev = iface.to_string();
        let cap = ns
            .run(move || {
                pcap::Capture::from_device(dev.as_str())?
                    .immediate_mode(true)
                    // As tcpdump does by default: a bridge then shows forwarded unicast too.
                    .promisc(true)
                    .snaplen(Self::SNAPLEN)
                    .buffer_size(buffer)
                    .timeout(1)
                    .open()?
                    .setnonblock()
            })?
            .map_err(|e| Error::other(format!("[{}] capture on {iface}: {e}", ns.name())))?;
        Ok(Capture {
            node: ns.name().to_string(),
            iface: iface.to_string(),
            cap,
        })
    }

    /// Take every frame captured so far and close the capture.
    pub fn finish(mut self) -> Result<Captured> {
        let mut frames = vec![];
        loop {
            match self.cap.next_packet() {
                Ok(p) => frames.push(Frame {
                    ts_us: p.header.ts.tv_sec * 1_000_000 + p.header.ts.tv_usec,
                    data: p.data.to_vec(),
                    len: p.header.len,
                }),
                Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => break,
                Err(e) => {
                    return Err(Error::other(format!(
                        "[{}] capture on {}: {e}",
                        self.node, self.iface
                    )))
                }
            }
        }
        let st = self.cap.stats().map_err(|e| {
            Error::other(format!(
                "[{}] capture stats on {}: {e}",
                self.node, self.iface
            ))
        })?;
        Ok(Captured {
            node: self.node,
            iface: self.iface,
            linktype: self.cap.get_datalink().0,
            frames,
            dropped: st.dropped + st.if_dropped,
        })
    }
}

impl Captured {
    /// Write a classic pcap file (what `tcpdump -r` reads).
    pub fn write_pcap(&self, path: &Path) -> Result<()> {
        let mut out =
            Vec::with_capacity(24 + self.frames.iter().map(|f| 16 + f.data.len()).sum::<usize>());
        out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(Capture::SNAPLEN as u32).to_le_bytes());
        out.extend_from_slice(&(self.linktype as u32).to_le_bytes());
        for f in &self.frames {
            out.extend_from_slice(&((f.ts_us / 1_000_000) as u32).to_le_bytes());
            out.extend_from_slice(&((f.ts_us % 1_000_000) as u32).to_le_bytes());
            out.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&f.len.to_le_bytes());
            out.extend_from_slice(&f.data);
        }
        crate::sys::outputs::write(path, &out)
    }

    /// Write a pcapng file: the interface's name and, in its description,
    /// the node; the lab and step as the section's comment, so a file
    /// opened in Wireshark says where it was captured. tcpdump reads it too.
    pub fn write_pcapng(&self, path: &Path, comment: &str) -> Result<()> {
        let description = format!("{} in network namespace {}", self.iface, self.node);
        crate::sys::outputs::write(path, &pcapng(self, comment, &description))
    }

    /// Read a pcap file written by us or by tcpdump (fixtures, tests).
    pub fn read_pcap(path: &Path) -> Result<Captured> {
        let mut cap = pcap::Capture::from_file(path)
            .map_err(|e| Error::other(format!("{}: {e}", path.display())))?;
        let linktype = cap.get_datalink().0;
        let mut frames = vec![];
        while let Ok(p) = cap.next_packet() {
            frames.push(Frame {
                ts_us: p.header.ts.tv_sec * 1_000_000 + p.header.ts.tv_usec,
                data: p.data.to_vec(),
                len: p.header.len,
            });
        }
        Ok(Captured {
            node: String::new(),
            iface: String::new(),
            linktype,
            frames,
            dropped: 0,
        })
    }
}

/// One pcapng option: code, length, value padded to 32 bits.
fn ng_option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// A pcapng block: type, total length, body, total length again.
fn ng_block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let len = (12 + body.len()) as u32;
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&len.to_le_bytes());
}

/// The pcapng bytes of a capture: a section header (with `comment` and the
/// application), one interface (name, `description`, microsecond stamps),
/// an enhanced packet block per frame.
pub fn pcapng(c: &Captured, comment: &str, description: &str) -> Vec<u8> {
    let mut out = vec![];
    let mut shb = vec![];
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    ng_option(&mut shb, 1, comment.as_bytes());
    ng_option(
        &mut shb,
        4,
        concat!("vethlab ", env!("CARGO_PKG_VERSION")).as_bytes(),
    );
    ng_option(&mut shb, 0, &[]);
    ng_block(&mut out, 0x0A0D_0D0A, &shb);
    let mut idb = vec![];
    idb.extend_from_slice(&(c.linktype as u16).to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&(Capture::SNAPLEN as u32).to_le_bytes());
    ng_option(&mut idb, 2, c.iface.as_bytes());
    ng_option(&mut idb, 3, description.as_bytes());
    ng_option(&mut idb, 9, &[6]);
    ng_option(&mut idb, 0, &[]);
    ng_block(&mut out, 1, &idb);
    for f in &c.frames {
        let ts = f.ts_us as u64;
        let mut epb = Vec::with_capacity(20 + f.data.len() + 3);
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&f.len.to_le_bytes());
        epb.extend_from_slice(&f.data);
        epb.resize(epb.len().next_multiple_of(4), 0);
        ng_block(&mut out, 6, &epb);
    }
    out
}

#[cfg(test)]
mod pcapng_tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_and_framed() {
        let c = Captured {
            node: "song".into(),
            iface: "veth1".into(),
            linktype: 1,
            frames: vec![Frame {
                ts_us: 1_700_000_000_123_456,
                data: vec![0xff; 42],
                len: 42,
            }],
            dropped: 0,
        };
        let b = pcapng(
            &c,
            "bridge-arp/veth-in-bridge",
            "veth1 in network namespace song",
        );
        assert_eq!(b.len() % 4, 0);
        // Walk the blocks: each one's two length fields agree.
        let mut i = 0;
        let mut kinds = vec![];
        while i < b.len() {
            let kind = u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
            let len = u32::from_le_bytes(b[i + 4..i + 8].try_into().unwrap_or_default()) as usize;
            let tail = u32::from_le_bytes(b[i + len - 4..i + len].try_into().unwrap_or_default());
            assert_eq!(len as u32, tail);
            kinds.push(kind);
            i += len;
        }
        assert_eq!(kinds, vec![0x0A0D_0D0A, 1, 6]);
        let text = String::from_utf8_lossy(&b);
        assert!(text.contains("bridge-arp/veth-in-bridge"));
        assert!(text.contains("veth1 in network namespace song"));
    }
}
