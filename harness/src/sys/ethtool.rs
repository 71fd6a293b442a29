//! `ethtool -S DEV`'s `peer_ifindex`: only the SIOCETHTOOL ioctl gives driver
//! statistics. Must run on a thread in the device's namespace.

use std::io;

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GSTATS: u32 = 0x1d;
const ETHTOOL_GSSET_INFO: u32 = 0x37;
const ETH_SS_STATS: u32 = 1;
const ETH_GSTRING_LEN: usize = 32;

#[repr(C)]
struct IfReq {
    name: [u8; 16],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

fn ioctl(sock: i32, dev: &str, buf: &mut [u64]) -> io::Result<()> {
    let mut req = IfReq {
        name: [0; 16],
        data: buf.as_mut_ptr().cast(),
        _pad: [0; 16],
    };
    let n = dev.len().min(15);
    req.name[..n].copy_from_slice(&dev.as_bytes()[..n]);
    // SAFETY: req points at a live, 8-byte aligned buffer sized for the command.
    if unsafe { libc::ioctl(sock, SIOCETHTOOL as _, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Every `ethtool -S` statistic of `dev`, by name.
pub fn stats(dev: &str) -> io::Result<Vec<(String, u64)>> {
    // SAFETY: plain socket(2), closed below.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if sock < 0 {
        return Err(io::Error::last_os_error());
    }
    let r = (|| {
        // struct ethtool_sset_info { u32 cmd; u32 reserved; u64 sset_mask; u32 data[]; }
        let mut info = [0u64; 3];
        info[0] = ETHTOOL_GSSET_INFO as u64;
        info[1] = 1 << ETH_SS_STATS;
        ioctl(sock, dev, &mut info)?;
        let n = if info[1] & (1 << ETH_SS_STATS) != 0 {
            (info[2] & 0xffff_ffff) as usize
        } else {
            0
        };
        // struct ethtool_gstrings { u32 cmd; u32 string_set; u32 len; u8 data[]; }
        let mut strings = vec![0u64; (12 + n * ETH_GSTRING_LEN).div_ceil(8)];
        strings[0] = ETHTOOL_GSTRINGS as u64 | ((ETH_SS_STATS as u64) << 32);
        strings[1] = n as u64;
        ioctl(sock, dev, &mut strings)?;
        // struct ethtool_stats { u32 cmd; u32 n_stats; u64 data[]; }
        let mut st = vec![0u64; 1 + n];
        st[0] = ETHTOOL_GSTATS as u64 | ((n as u64) << 32);
        ioctl(sock, dev, &mut st)?;
        // SAFETY: viewing the u64 buffer as bytes.
        let bytes =
            unsafe { std::slice::from_raw_parts(strings.as_ptr().cast::<u8>(), strings.len() * 8) };
        Ok((0..n)
            .map(|i| {
                let s = &bytes[12 + i * ETH_GSTRING_LEN..12 + (i + 1) * ETH_GSTRING_LEN];
                let end = s.iter().position(|b| *b == 0).unwrap_or(s.len());
                (String::from_utf8_lossy(&s[..end]).to_string(), st[1 + i])
            })
            .collect())
    })();
    // SAFETY: closing our own socket.
    unsafe { libc::close(sock) };
    r
}

/// A veth's peer ifindex, from its `peer_ifindex` statistic (`ethtool -S`).
pub fn peer_ifindex(dev: &str) -> io::Result<u32> {
    stats(dev)?
        .into_iter()
        .find(|(k, _)| k == "peer_ifindex")
        .map(|(_, v)| v as u32)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{dev} has no peer_ifindex statistic (not a veth?)"),
            )
        })
}
