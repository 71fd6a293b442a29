//! ICMPv6 messages into `Icmp6`: what each type needs of its body, read by
//! hand so that a message cut short is `Truncated`, never a guessed value.

use super::decode6::{Icmp6, Icmp6Msg};
use crate::model::Mac;
use std::net::Ipv6Addr;

fn addr(p: &[u8], at: usize) -> Option<Ipv6Addr> {
    let b: [u8; 16] = p.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(b))
}

fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

fn be32(p: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(at..at + 4)?.try_into().ok()?))
}

/// An ICMPv6 message of `claimed` bytes, of which `p` were captured.
pub(super) fn icmp6(p: &[u8], claimed: usize) -> Icmp6 {
    let ty = p.first().copied().unwrap_or(0);
    let code = p.get(1).copied().unwrap_or(0);
    let msg = if p.len() < 2 {
        None
    } else {
        message(ty, code, p, claimed)
    };
    Icmp6 {
        ty,
        code,
        len: claimed,
        msg: msg.unwrap_or(Icmp6Msg::Truncated),
        raw: p.to_vec(),
    }
}

fn message(ty: u8, code: u8, p: &[u8], claimed: usize) -> Option<Icmp6Msg> {
    Some(match ty {
        128 | 129 => Icmp6Msg::Echo {
            reply: ty == 129,
            id: be16(p, 4)?,
            seq: be16(p, 6)?,
        },
        1 => unreach(code, p)?,
        2 => Icmp6Msg::TooBig { mtu: be32(p, 4)? },
        3 if be32(p, 4).is_some() => Icmp6Msg::TimeExceeded {
            dst: match code {
                0 => Some(addr(p, 8 + 24)?),
                _ => None,
            },
        },
        3 => return None,
        4 => Icmp6Msg::ParamProblem {
            pointer: be32(p, 4)?,
        },
        133 => Icmp6Msg::RouterSol {
            sll: option_mac(p.get(8..), 1),
        },
        134 => router_adv(p),
        135 => Icmp6Msg::NeighSol {
            target: addr(p, 8)?,
            sll: option_mac(p.get(24..), 1),
        },
        136 => Icmp6Msg::NeighAdv {
            target: addr(p, 8)?,
            router: p[4] & 0x80 != 0,
            solicited: p[4] & 0x40 != 0,
            override_: p[4] & 0x20 != 0,
            tll: option_mac(p.get(24..), 2),
        },
        137 => Icmp6Msg::Redirect {
            target: addr(p, 8)?,
            dst: addr(p, 24)?,
        },
        130 if claimed >= 28 => Icmp6Msg::MldQuery2 {
            group: addr(p, 8)?,
            sources: be16(p, 26)?,
        },
        130..=132 => Icmp6Msg::Mld1 {
            delay: be16(p, 4)?,
            group: addr(p, 8)?,
        },
        143 if claimed < 8 => Icmp6Msg::Plain,
        143 => Icmp6Msg::MldReport2 {
            records: be16(p, 6)?,
        },
        144 | 146 => Icmp6Msg::WithId { id: be16(p, 4)? },
        _ => Icmp6Msg::Plain,
    })
}

/// Destination unreachable: codes 0-4 need the quoted IPv6 header, code 4
/// also the quoted UDP/TCP ports (tcpdump prints `[|icmp6]` otherwise).
fn unreach(code: u8, p: &[u8]) -> Option<Icmp6Msg> {
    if code > 4 {
        return Some(Icmp6Msg::Plain);
    }
    let q = p.get(8..)?;
    let (src, dst) = (addr(q, 8)?, addr(q, 24)?);
    let port = match code {
        4 => {
            let nh = q[6];
            if nh != 6 && nh != 17 {
                return None;
            }
            Some((nh, be16(q, 42)?))
        }
        _ => None,
    };
    Some(Icmp6Msg::Unreach { src, dst, port })
}

fn router_adv(p: &[u8]) -> Icmp6Msg {
    let (mut sll, mut mtu, mut prefixes) = (None, None, vec![]);
    let mut opts = p.get(16..).unwrap_or_default();
    while opts.len() >= 2 && opts[1] != 0 {
        let n = usize::from(opts[1]) * 8;
        let Some(o) = opts.get(..n) else { break };
        match o[0] {
            1 => sll = option_mac(Some(o), 1),
            5 => mtu = be32(o, 4),
            3 => prefixes.extend(addr(o, 16).map(|a| (a, o[2]))),
            _ => {}
        }
        opts = &opts[n..];
    }
    Icmp6Msg::RouterAdv {
        hop_limit: p.get(4).copied().unwrap_or(0),
        flags: p.get(5).copied().unwrap_or(0),
        lifetime: be16(p, 6).unwrap_or(0),
        sll,
        mtu,
        prefixes,
    }
}

/// The MAC of the first NDP option of `kind` (1 source, 2 target link-layer address).
fn option_mac(opts: Option<&[u8]>, kind: u8) -> Option<Mac> {
    let mut opts = opts?;
    while opts.len() >= 2 && opts[1] != 0 {
        let n = usize::from(opts[1]) * 8;
        let o = opts.get(..n)?;
        if o[0] == kind {
            return o.get(2..8)?.try_into().ok();
        }
        opts = &opts[n..];
    }
    None
}
