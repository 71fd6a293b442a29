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
