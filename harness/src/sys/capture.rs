//! A libpcap capture on one interface inside one namespace: opened on the
//! namespace's thread, drained after the step's traffic, kept in memory and
//! optionally written as a .pcapng (node, lab and step inside) that tcpdump
//! and Wireshark read.

use crate::error::{Context, Result};
use crate::sys::netns::Netns;
use std::path::Path;

pub use crate::capture::frame::{Captured, Frame};

/// A running libpcap capture on one interface of one lab node.
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
    pub const SNAPLEN: i32 = crate::capture::pcapng::SNAPLEN_BYTES as i32;
    /// What a capture leaves out: MLD listener reports and dones (ICMPv6
    /// 131, 132, 143 behind the hop-by-hop router-alert header). A device
    /// that comes up reports its solicited-node groups a few times within
    /// jiffies, on the kernel's workqueue; no per-namespace sysctl stops
    /// that (IPv4's `igmp_link_local_mcast_reports` has no IPv6 twin, and
    /// `mld_qrv` is global), nor does any event say it is over. A step's
    /// traffic follows its commands by milliseconds, so these reports would
    /// land in its captures or not, by load: the articles' captures, taken
    /// long after bring-up, show none. Everything else IPv6 (neighbour
    /// discovery, echo) is kept.
    pub const FILTER: &'static str = "not (ip6 and ip6[6] = 0 and ip6[40] = 58 and ip6[41] = 0 \
         and (ip6[48] = 131 or ip6[48] = 132 or ip6[48] = 143))";

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
                    .and_then(|mut c| c.filter(Self::FILTER, true).map(|_| c))
            })?
            .context(|| format!("[{}] capture on {iface}", ns.name()))?;
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
                    return Err(e).context(|| format!("[{}] capture on {}", self.node, self.iface))
                }
            }
        }
        let st = self
            .cap
            .stats()
            .context(|| format!("[{}] capture stats on {}", self.node, self.iface))?;
        Ok(Captured {
            node: self.node,
            iface: self.iface,
            linktype: self.cap.get_datalink().0,
            frames,
            dropped: st.dropped + st.if_dropped,
        })
    }
}

/// Write a capture as pcapng: the interface's name and, in its description,
/// the node; the lab and step as the section's comment, so a file opened in
/// Wireshark says where it was captured. tcpdump reads it too.
pub fn write_pcapng(c: &Captured, path: &Path, comment: &str) -> Result<()> {
    let description = format!("{} in network namespace {}", c.iface, c.node);
    crate::sys::outputs::write(
        path,
        &crate::capture::pcapng::pcapng(c, comment, &description),
    )
}
