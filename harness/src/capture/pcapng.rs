//! The pcapng file format (what tcpdump and Wireshark read): the interface's
//! name, the node and the lab/step travel inside the file.

use super::frame::Captured;
#[cfg(test)]
use super::frame::Frame;

/// The snap length every capture uses: MTU 1500 plus VXLAN's 50 and
/// Ethernet's 14, with room (65535 would make every ring slot 64 KiB).
pub const SNAPLEN_BYTES: u32 = 2048;
const SNAPLEN: u32 = SNAPLEN_BYTES;

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
    idb.extend_from_slice(&SNAPLEN.to_le_bytes());
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
mod tests {
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
