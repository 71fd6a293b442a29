//! A device's neighbour-table parameters (`ip ntable`), over netlink:
//! RTM_SETNEIGHTBL and RTM_GETNEIGHTBL for the `arp_cache` table. In a
//! network namespace owned by a user namespace, Linux before 5.17 (and its
//! stable backports) does not export `net.ipv4.neigh.DEV.*` as sysctl files;
//! netlink sets and reads the same values on every kernel.

use super::nl_error;
use crate::error::{Error, Result};
use futures_util::StreamExt;
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use rtnetlink::packet_route::neighbour_table::{
    NeighbourTableAttribute as A, NeighbourTableMessage, NeighbourTableParameter as P,
};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::Handle;

/// The unit of a sysctl value; netlink carries times in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Ms,
    /// USER_HZ ticks (1/100 s), as `proxy_delay` is.
    Ticks,
    Secs,
    Count,
}

impl Unit {
    fn to_nl(self, v: u64) -> u64 {
        match self {
            Unit::Ms | Unit::Count => v,
            Unit::Ticks => v.saturating_mul(10),
            Unit::Secs => v.saturating_mul(1000),
        }
    }
    fn of_nl(self, v: u64) -> u64 {
        match self {
            Unit::Ms | Unit::Count => v,
            Unit::Ticks => v / 10,
            Unit::Secs => v / 1000,
        }
    }
}

/// Makes the netlink parameter from its value.
type MakeParam = fn(u64) -> P;

/// A count as netlink carries it (u32), saturating.
fn c(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The netlink parameter and unit of sysctl `net.ipv4.neigh.DEV.<name>`.
fn param(name: &str) -> Option<(MakeParam, Unit)> {
    Some(match name {
        "retrans_time_ms" => (P::RetransTime, Unit::Ms),
        "retrans_time" => (P::RetransTime, Unit::Ticks),
        "base_reachable_time_ms" => (P::BaseReachableTime, Unit::Ms),
        "base_reachable_time" => (P::BaseReachableTime, Unit::Secs),
        "delay_first_probe_time" => (P::DelayProbeTime, Unit::Secs),
        "gc_stale_time" => (P::GcStaletime, Unit::Secs),
        "proxy_delay" => (P::ProxyDelay, Unit::Ticks),
        "anycast_delay" => (P::AnycastDelay, Unit::Ticks),
        "locktime" => (P::Locktime, Unit::Ticks),
        "interval_probe_time_ms" => (P::IntervalProbeTimeMs, Unit::Ms),
        "proxy_qlen" => (|v| P::ProxyQlen(c(v)), Unit::Count),
        "app_solicit" => (|v| P::AppProbes(c(v)), Unit::Count),
        "ucast_solicit" => (|v| P::UcastProbes(c(v)), Unit::Count),
        "mcast_solicit" => (|v| P::McastProbes(c(v)), Unit::Count),
        "mcast_resolicit" => (|v| P::McastReprobes(c(v)), Unit::Count),
        "unres_qlen" => (|v| P::QueueLen(c(v)), Unit::Count),
        "unres_qlen_bytes" => (|v| P::QueueLenbytes(c(v)), Unit::Count),
        _ => return None,
    })
}

/// `net.ipv4.neigh.DEV.PARAM` (a `.` in DEV written `/`, as sysctl(8)
/// does) as (DEV, PARAM), when PARAM is one netlink can set. Not `default`:
/// that is the table's template, not a device.
pub fn neigh_key(key: &str) -> Option<(String, String)> {
    let p: Vec<&str> = key.split('.').collect();
    match p.as_slice() {
        ["net", "ipv4", "neigh", dev, name] if *dev != "default" && param(name).is_some() => {
            Some((dev.replace('/', "."), name.to_string()))
        }
        _ => None,
    }
}

/// The value of a parameter as netlink carries it (u64 for every kind).
fn value_of(p: &P) -> Option<(std::mem::Discriminant<P>, u64)> {
    let v = match p {
        P::RetransTime(v)
        | P::BaseReachableTime(v)
        | P::DelayProbeTime(v)
        | P::GcStaletime(v)
        | P::ProxyDelay(v)
        | P::AnycastDelay(v)
        | P::Locktime(v)
        | P::IntervalProbeTimeMs(v) => *v,
        P::ProxyQlen(v)
        | P::AppProbes(v)
        | P::UcastProbes(v)
        | P::McastProbes(v)
        | P::McastReprobes(v)
        | P::QueueLen(v)
        | P::QueueLenbytes(v) => u64::from(*v),
        _ => return None,
    };
    Some((std::mem::discriminant(p), v))
}

fn message(attrs: Vec<A>) -> NeighbourTableMessage {
    let mut m = NeighbourTableMessage::default();
    m.header.family = AddressFamily::Inet;
    m.attributes = attrs;
    m
}

/// Set `name` (a sysctl name, e.g. `proxy_delay`) to `value` (in the
/// sysctl's unit) for device `ifindex`, as `ip ntable change name arp_cache
/// dev DEV ...` does.
pub async fn set_neigh_param(h: &Handle, ifindex: u32, name: &str, value: &str) -> Result<()> {
    let (mk, unit) =
        param(name).ok_or_else(|| Error::not_found(format!("no neighbour parameter {name}")))?;
    let v: u64 = value
        .trim()
        .parse()
        .map_err(|_| Error::parse(name, format!("`{value}` is not a whole number")))?;
    let msg = message(vec![
        A::Name("arp_cache".into()),
        A::Parms(vec![P::Ifindex(ifindex), mk(unit.to_nl(v))]),
    ]);
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::SetNeighbourTable(msg));
    req.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    let mut h = h.clone();
    let mut resp = h.request(req).map_err(nl_error)?;
    while let Some(m) = resp.next().await {
        if let NetlinkPayload::Error(e) = m.payload {
            if e.code.is_some() {
                return Err(nl_error(rtnetlink::Error::NetlinkError(e)));
            }
        }
    }
    Ok(())
}

/// Read `name` (a sysctl name) for device `ifindex`, in the sysctl's unit.
pub async fn neigh_param(h: &Handle, ifindex: u32, name: &str) -> Result<String> {
    let (mk, unit) =
        param(name).ok_or_else(|| Error::not_found(format!("no neighbour parameter {name}")))?;
    let want = std::mem::discriminant(&mk(0));
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNeighbourTable(message(vec![])));
    req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut h = h.clone();
    let mut resp = h.request(req).map_err(nl_error)?;
    let mut found = None;
    while let Some(m) = resp.next().await {
        match m.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbourTable(t)) => {
                let arp = t
                    .attributes
                    .iter()
                    .any(|a| matches!(a, A::Name(n) if n == "arp_cache"));
                for a in t.attributes.iter().filter(|_| arp) {
                    let A::Parms(ps) = a else { continue };
                    if !ps.contains(&P::Ifindex(ifindex)) {
                        continue;
                    }
                    found = ps
                        .iter()
                        .filter_map(value_of)
                        .find(|(d, _)| *d == want)
                        .map(|(_, v)| unit.of_nl(v));
                }
            }
            NetlinkPayload::Error(e) if e.code.is_some() => {
                return Err(nl_error(rtnetlink::Error::NetlinkError(e)))
            }
            _ => {}
        }
    }
    found
        .map(|v| v.to_string())
        .ok_or_else(|| Error::not_found(format!("no neighbour parameters for ifindex {ifindex}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            neigh_key("net.ipv4.neigh.cali7a4b00317e6.proxy_delay"),
            Some(("cali7a4b00317e6".into(), "proxy_delay".into()))
        );
        assert_eq!(
            neigh_key("net.ipv4.neigh.flannel/1.retrans_time_ms"),
            Some(("flannel.1".into(), "retrans_time_ms".into()))
        );
        assert_eq!(neigh_key("net.ipv4.neigh.default.proxy_delay"), None);
        assert_eq!(neigh_key("net.ipv4.conf.eth0.proxy_arp"), None);
        assert_eq!(neigh_key("net.ipv4.neigh.eth0.nonsense"), None);
    }

    #[test]
    fn units_round_trip() {
        // proxy_delay is in USER_HZ ticks: 80 ticks are 800 ms on the wire.
        assert_eq!(Unit::Ticks.to_nl(80), 800);
        assert_eq!(Unit::Ticks.of_nl(800), 80);
        assert_eq!(Unit::Secs.to_nl(60), 60_000);
        assert_eq!(Unit::Ms.to_nl(100), 100);
    }
}
