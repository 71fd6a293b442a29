//! `fdb`: a bridge FDB entry (`bridge fdb show dev DEV`), judged by where
//! the kernel sends a frame for that MAC: the entry for the MAC on that
//! device, or (VXLAN) the all-zeros default entry, which sends every
//! unknown MAC to its `dst` too.

use super::{Judgement, Kind};
use crate::error::{Error, Result};
use crate::model::{fmt_mac, parse_mac, Fdb, State};
use serde::Deserialize;
use std::net::Ipv4Addr;

/// A bridge FDB entry (`bridge fdb show dev DEV`): where the device sends
/// a frame for `mac` (on VXLAN, the all-zeros default entry counts).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectFdb {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The bridge port or VXLAN device the entry is on.
    pub dev: String,
    /// The MAC.
    pub mac: String,
    /// The remote VTEP it is sent to (`dst`), if the entry must name one.
    pub dst: Option<String>,
}

impl Kind for ExpectFdb {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.dev)]
    }

    fn vacuous(&self) -> Option<&'static str> {
        if parse_mac(&self.mac).is_none() {
            return Some("`mac` is not a MAC such as 82:1a:3c:bd:43:04: it could never hold");
        }
        match &self.dst {
            Some(d) if d.parse::<Ipv4Addr>().is_err() => {
                Some("`dst` is not an IPv4 address: it could never hold")
            }
            _ => None,
        }
    }

    /// Written by the command that returned: nothing to await.
    fn settles(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        let (node, dev, mac) = (&self.node, &self.dev, &self.mac);
        match &self.dst {
            Some(d) => format!("FDB entry {mac} on {dev} in {node} sends to {d}"),
            None => format!("FDB entry {mac} on {dev} in {node}"),
        }
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        fdb(st, &self.node, &self.dev, &self.mac, self.dst.as_deref())
    }
}

/// One FDB entry as `bridge fdb show` prints it.
fn line(e: &Fdb, dev: &str) -> String {
    let dst = e.dst.map(|d| format!(" dst {d}")).unwrap_or_default();
    let perm = if e.permanent { " permanent" } else { "" };
    format!("{} dev {dev}{dst}{perm}", fmt_mac(&e.mac))
}

/// Judge the FDB entry for `mac` on `dev` in `node`, with remote `dst` if given.
fn fdb(st: &dyn State, node: &str, dev: &str, mac: &str, dst: Option<&str>) -> Result<Judgement> {
    let want = parse_mac(mac)
        .ok_or_else(|| Error::other(format!("fdb: `{mac}` is not a MAC")))?;
    let want_dst: Option<Ipv4Addr> = match dst {
        Some(d) => Some(
            d.parse()
                .map_err(|_| Error::other(format!("fdb: `{d}` is not IPv4")))?,
        ),
        None => None,
    };
    let links = st.links(node)?;
    let index = st.link(node, dev)?.index;
    let all = st.fdb(node)?;
    let on_dev: Vec<&Fdb> = all.iter().filter(|e| e.index == index).collect();
    let shown = on_dev
        .iter()
        .map(|e| line(e, dev))
        .collect::<Vec<_>>()
        .join("\n");
    let mine: Vec<&&Fdb> = on_dev.iter().filter(|e| e.mac == want).collect();
    let reaches = |e: &&&Fdb| want_dst.is_none_or(|d| e.dst == Some(d));
    if mine.iter().any(reaches) {
        return Ok(Ok(shown));
    }
    // No entry of its own: the all-zeros entry floods unknown MACs to its dst.
    let zero: Vec<&&Fdb> = on_dev.iter().filter(|e| e.mac == [0; 6]).collect();
    if mine.is_empty() && want_dst.is_some() && zero.iter().any(reaches) {
        return Ok(Ok(shown));
    }
    let miss = match (mine.first(), want_dst) {
        (Some(e), Some(d)) => format!(
            "{node}: the FDB entry for {mac} on {dev} has dst {}, not {d}",
            e.dst.map_or("none".into(), |x| x.to_string())
        ),
        _ => match all.iter().find(|e| e.mac == want && e.index != index) {
            Some(e) => {
                let other = links
                    .iter()
                    .find(|l| l.index == e.index)
                    .map_or(format!("if{}", e.index), |l| l.name.clone());
                format!("{node}: the FDB entry for {mac} is on {other}, not {dev}")
            }
            None => format!("{node}: the FDB entry for {mac} on {dev} is missing"),
        },
    };
    Ok(Err(match shown.is_empty() {
        true => miss,
        false => format!("{miss}\n{shown}"),
    }))
}

#[cfg(test)]
mod tests {
    use crate::check::fake::{link, Fake};
    use crate::lab::expect::Expect;
    use crate::model::Fdb;
    use serde_json::json;

    const MAC: [u8; 6] = [0x82, 0x1a, 0x3c, 0xbd, 0x43, 0x04];

    /// node03: eth0 (2), flannel.1 (5) with `entries` as (index, mac, dst).
    fn node(entries: &[(u32, [u8; 6], &str)]) -> Fake {
        let mut f = Fake::new();
        let n = f.node("node03");
        n.links.push(link(2, "eth0", Some("veth")));
        n.links.push(link(5, "flannel.1", Some("vxlan")));
        for (index, mac, dst) in entries {
            n.fdb.push(Fdb {
                index: *index,
                mac: *mac,
                dst: dst.parse().ok(),
                master: None,
                permanent: true,
            });
        }
        f
    }

    fn judge(f: &Fake, v: serde_json::Value) -> Result<String, String> {
        let e: Expect = serde_json::from_value(v).unwrap();
        e.check(f).unwrap()
    }

    fn want() -> serde_json::Value {
        json!({"expect": "fdb", "node": "node03", "dev": "flannel.1",
               "mac": "82:1a:3c:bd:43:04", "dst": "192.168.0.4"})
    }

    #[test]
    fn the_entry_or_the_default_entry_sends_the_mac_to_its_vtep() {
        let ok = judge(&node(&[(5, MAC, "192.168.0.4")]), want()).unwrap();
        assert_eq!(
            ok,
            "82:1a:3c:bd:43:04 dev flannel.1 dst 192.168.0.4 permanent"
        );
        assert!(judge(&node(&[(5, [0; 6], "192.168.0.4")]), want()).is_ok());
    }

    #[test]
    fn missing_wrong_dst_or_wrong_device_is_named() {
        let e = judge(&node(&[]), want()).unwrap_err();
        assert_eq!(
            e,
            "node03: the FDB entry for 82:1a:3c:bd:43:04 on flannel.1 is missing"
        );
        let e = judge(&node(&[(5, MAC, "192.168.0.3")]), want()).unwrap_err();
        assert!(
            e.starts_with("node03: the FDB entry for 82:1a:3c:bd:43:04 on flannel.1 has dst 192.168.0.3, not 192.168.0.4\n"),
            "{e}"
        );
        let e = judge(&node(&[(2, MAC, "")]), want()).unwrap_err();
        assert_eq!(
            e,
            "node03: the FDB entry for 82:1a:3c:bd:43:04 is on eth0, not flannel.1"
        );
        // An own entry with a wrong dst is not rescued by the default entry.
        let f = node(&[(5, MAC, "192.168.0.5"), (5, [0; 6], "192.168.0.4")]);
        assert!(judge(&f, want()).is_err());
    }
}
