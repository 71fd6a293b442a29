//! The pcapng bytes, block by block, as a reader walks them.

use crate::capture::frame::{Captured, Frame};
use crate::capture::pcapng::{pcapng, SNAPLEN_BYTES};

fn le32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}
fn le16(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes(b[i..i + 2].try_into().unwrap())
}

/// (type, body) of every block; checks both length fields agree.
fn blocks(b: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let len = le32(b, i + 4) as usize;
        assert_eq!(len % 4, 0, "block at {i} is 32-bit aligned");
        assert_eq!(le32(b, i + len - 4) as usize, len, "trailing length at {i}");
        out.push((le32(b, i), b[i + 8..i + len - 4].to_vec()));
        i += len;
    }
    assert_eq!(i, b.len());
    out
}

/// Options from `off` in a block body: (code, value) until opt_endofopt.
fn options(body: &[u8], mut off: usize) -> Vec<(u16, Vec<u8>)> {
    let mut v = vec![];
    loop {
        let (code, len) = (le16(body, off), le16(body, off + 2) as usize);
        if code == 0 {
            assert_eq!(len, 0);
            return v;
        }
        v.push((code, body[off + 4..off + 4 + len].to_vec()));
        off += 4 + len.next_multiple_of(4);
    }
}

fn cap(linktype: i32, frames: Vec<Frame>) -> Captured {
    Captured {
        node: "song".into(),
        iface: "veth1".into(),
        linktype,
        frames,
        dropped: 0,
    }
}

#[test]
fn section_header_with_comment_and_application() {
    let b = pcapng(&cap(1, vec![]), "lab/step", "veth1 in song");
    let bl = blocks(&b);
    assert_eq!(bl.len(), 2, "no frames: only the headers");
    let (kind, shb) = &bl[0];
    assert_eq!(*kind, 0x0A0D_0D0A);
    assert_eq!(le32(shb, 0), 0x1A2B_3C4D, "byte-order magic");
    assert_eq!((le16(shb, 4), le16(shb, 6)), (1, 0), "version 1.0");
    assert_eq!(&shb[8..16], &[0xff; 8], "section length unknown");
    let o = options(shb, 16);
    assert_eq!(o[0], (1, b"lab/step".to_vec()));
    assert_eq!(o[1].0, 4);
    assert!(String::from_utf8_lossy(&o[1].1).starts_with("vethlab "));
}

#[test]
fn interface_block_says_link_type_snaplen_name_and_microseconds() {
    let b = pcapng(&cap(12, vec![]), "c", "veth1 in network namespace song");
    let (kind, idb) = &blocks(&b)[1];
    assert_eq!(*kind, 1);
    assert_eq!(le16(idb, 0), 12);
    assert_eq!(le32(idb, 4), SNAPLEN_BYTES);
    assert_eq!(
        options(idb, 8),
        vec![
            (2, b"veth1".to_vec()),
            (3, b"veth1 in network namespace song".to_vec()),
            (9, vec![6])
        ]
    );
}

#[test]
fn enhanced_packets_carry_time_lengths_and_padded_data() {
    let ts: i64 = 1_700_000_000_123_456;
    let frames = vec![
        Frame {
            ts_us: ts,
            data: vec![1, 2, 3, 4, 5],
            len: 5,
        },
        Frame {
            ts_us: ts + 1,
            data: vec![9; 8],
            len: 1500,
        },
    ];
    let b = pcapng(&cap(1, frames), "c", "d");
    let bl = blocks(&b);
    assert_eq!(
        bl.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![0x0A0D_0D0A, 1, 6, 6]
    );
    let e = &bl[2].1;
    assert_eq!(le32(e, 0), 0, "interface 0");
    let t = ((le32(e, 4) as u64) << 32) | le32(e, 8) as u64;
    assert_eq!(t, ts as u64);
    assert_eq!((le32(e, 12), le32(e, 16)), (5, 5));
    assert_eq!(&e[20..25], &[1, 2, 3, 4, 5]);
    assert_eq!(e.len(), 28, "5 data bytes padded to 8");
    assert_eq!(&e[25..], &[0, 0, 0]);
    // Cut at the snap length: captured 8, on the wire 1500.
    let e = &bl[3].1;
    assert_eq!((le32(e, 12), le32(e, 16)), (8, 1500));
    assert_eq!(le32(e, 8) as u64, (ts + 1) as u64 & 0xffff_ffff);
}

#[test]
fn odd_length_options_are_padded() {
    for n in 0..9 {
        let comment = "x".repeat(n);
        let b = pcapng(&cap(1, vec![]), &comment, "d");
        let bl = blocks(&b);
        assert_eq!(
            options(&bl[0].1, 16)[0],
            (1, comment.clone().into_bytes()),
            "comment of {n}"
        );
    }
}
