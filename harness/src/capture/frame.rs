//! Captured frames as values, as libpcap hands them over.

/// One frame as captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Microseconds since the epoch, from the kernel's timestamp.
    pub ts_us: i64,
    pub data: Vec<u8>,
    /// Length on the wire (data may be cut at the snap length).
    pub len: u32,
}

/// Everything one capture point saw during a step.
#[derive(Debug, Clone)]
pub struct Captured {
    pub node: String,
    pub iface: String,
    /// DLT: 1 Ethernet, 12/101 raw IP, 113 Linux cooked.
    pub linktype: i32,
    pub frames: Vec<Frame>,
    pub dropped: u32,
}
