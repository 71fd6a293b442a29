//! Captured frames as values, as libpcap hands them over.

/// One frame as captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Microseconds since the epoch, from the kernel's timestamp.
    pub ts_us: i64,
    /// The captured bytes (at most the snap length), as `linktype` frames them.
    pub data: Vec<u8>,
    /// Length on the wire (data may be cut at the snap length).
    pub len: u32,
}

/// Everything one capture point saw during a step.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The lab node (network namespace) the capture ran in.
    pub node: String,
    /// The interface captured on, as the lab names it.
    pub iface: String,
    /// DLT: 1 Ethernet, 12/101 raw IP, 113 Linux cooked.
    pub linktype: i32,
    /// The frames in the order libpcap delivered them.
    pub frames: Vec<Frame>,
    /// Frames lost by the kernel or the interface (libpcap's `ps_drop` + `ps_ifdrop`).
    pub dropped: u32,
}

/// Whether two ends of a link saw the same Ethernet frames, byte for byte:
/// each sender's frames (by source MAC) in the same order at both ends, and
/// at least one frame. Not one order over all: two frames that cross, one
/// each way at the same moment, may be captured in either order at either
/// end (seen under load on a one-CPU VM), and the wire altered nothing.
pub fn same_per_sender<'a>(
    a: impl IntoIterator<Item = &'a [u8]>,
    b: impl IntoIterator<Item = &'a [u8]>,
) -> bool {
    type BySender<'a> = std::collections::BTreeMap<&'a [u8], Vec<&'a [u8]>>;
    let group = |frames: &mut dyn Iterator<Item = &'a [u8]>| -> BySender<'a> {
        let mut m = BySender::new();
        for f in frames {
            m.entry(f.get(6..12).unwrap_or(f)).or_default().push(f);
        }
        m
    };
    let (x, y) = (group(&mut a.into_iter()), group(&mut b.into_iter()));
    !x.is_empty() && x == y
}

#[cfg(test)]
mod same_tests {
    use super::same_per_sender;

    fn eth(src: u8, byte: u8) -> Vec<u8> {
        let mut f = vec![0u8; 20];
        f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, src]);
        f[19] = byte;
        f
    }

    #[test]
    fn crossing_frames_in_either_order_are_the_same() {
        let (a1, a2, b1) = (eth(1, 1), eth(1, 2), eth(2, 9));
        let one = [&a1[..], &b1[..], &a2[..]];
        let other = [&a1[..], &a2[..], &b1[..]];
        assert!(same_per_sender(one, other));
    }

    #[test]
    fn a_sender_reordered_altered_or_missing_is_not() {
        let (a1, a2, b1) = (eth(1, 1), eth(1, 2), eth(2, 9));
        let base = [&a1[..], &a2[..], &b1[..]];
        assert!(!same_per_sender(base, [&a2[..], &a1[..], &b1[..]]));
        let altered = eth(2, 8);
        assert!(!same_per_sender(base, [&a1[..], &a2[..], &altered[..]]));
        assert!(!same_per_sender(base, [&a1[..], &a2[..]]));
        assert!(!same_per_sender([], []));
    }
}
