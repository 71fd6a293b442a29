//! The decoder never panics, whatever the wire brings: a million inputs per
//! run (VETHLAB_FUZZ_ITERS to change it), from random bytes and from real
//! captured frames (tests/decode-corpus) truncated, bit-flipped, spliced and
//! nested, under every link type the decoder knows and some it does not.
//! Deterministic (a fixed-seed xorshift), so a failure reproduces exactly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use vethlab::capture::decode;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<(i32, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decode-corpus");
    let mut v = vec![];
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/decode-corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for p in paths {
        let t = std::fs::read_to_string(&p).expect("corpus file");
        let mut lines = t.lines().filter(|l| !l.starts_with('#'));
        let lt: i32 = lines
            .next()
            .and_then(|l| l.parse().ok())
            .expect("link type line");
        let hex = lines.next().expect("hex line");
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        v.push((lt, bytes));
    }
    // Derived seeds: the same packets without Ethernet (raw IP link types),
    // wrapped in IP-in-IP, and VXLAN on the IANA port.
    let mut more = vec![];
    for (lt, f) in &v {
        if *lt == decode::DLT_EN10MB && f.len() > 14 && f[12..14] == [0x08, 0x00] {
            more.push((decode::DLT_RAW, f[14..].to_vec()));
            let mut outer = f[..34].to_vec();
            outer[23] = 4;
            outer.extend_from_slice(&f[14..]);
            more.push((decode::DLT_EN10MB, outer));
            if f.len() > 38 && f[23] == 17 {
                let mut g = f.clone();
                g[36..38].copy_from_slice(&decode::IANA_VXLAN_PORT.to_be_bytes());
                more.push((decode::DLT_EN10MB, g));
            }
        }
    }
    v.extend(more);
    v
}

const LINKTYPES: &[i32] = &[
    decode::DLT_EN10MB,
    decode::DLT_RAW,
    decode::DLT_RAW_BSD,
    decode::DLT_IPV4,
    decode::LINKTYPE_RAW,
    decode::DLT_LINUX_SLL,
    0,
    -1,
];

fn mutate(rng: &mut Rng, seeds: &[(i32, Vec<u8>)]) -> (i32, Vec<u8>) {
    let (mut lt, mut d) = seeds[rng.below(seeds.len())].clone();
    match rng.below(6) {
        0 => {
            let n = rng.below(256);
            d = (0..n).map(|_| rng.next() as u8).collect();
        }
        1 => d.truncate(rng.below(d.len() + 1)),
        2 => {
            for _ in 0..1 + rng.below(8) {
                if !d.is_empty() {
                    let i = rng.below(d.len());
                    d[i] ^= 1 << rng.below(8);
                }
            }
        }
        3 => {
            for _ in 0..1 + rng.below(4) {
                if !d.is_empty() {
                    let i = rng.below(d.len());
                    d[i] = [0, 0xff, 0x7f, 0x80, 4, 17, 5, 0x45][rng.below(8)];
                }
            }
        }
        4 => {
            // Splice: the head of one frame, the tail of another.
            let (_, other) = &seeds[rng.below(seeds.len())];
            let a = rng.below(d.len() + 1);
            let b = rng.below(other.len() + 1);
            d.truncate(a);
            d.extend_from_slice(&other[b..]);
        }
        _ => lt = LINKTYPES[rng.below(LINKTYPES.len())],
    }
    (lt, d)
}

#[test]
fn decoder_never_panics() {
    let iters: usize = std::env::var("VETHLAB_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seeds = corpus();
    assert!(seeds.len() >= 3, "the corpus has {} frames", seeds.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // The seeds themselves decode to something tcpdump-like, not an error.
    for (lt, d) in &seeds {
        let line = decode::render(&decode::decode(*lt, d));
        assert!(!line.is_empty(), "seed renders empty");
    }
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..iters {
        let (lt, d) = mutate(&mut rng, &seeds);
        let r = catch_unwind(AssertUnwindSafe(|| decode::render(&decode::decode(lt, &d))));
        if r.is_err() {
            let _ = std::panic::take_hook();
            let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
            panic!("input {i} (link type {lt}) made the decoder panic: {hex}");
        }
    }
    let _ = std::panic::take_hook();
}
