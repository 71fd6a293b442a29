//! `sysctl`: a sysctl's value in a node, as the kernel combines it.

use super::{Judgement, Kind, Untrusted};
use crate::error::Result;
use crate::model::State;
use serde::Deserialize;

/// A sysctl's value in a node (`net.ipv4.ip_forward` = `1`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSysctl {
    /// The lab node (network namespace) to read it in.
    pub node: String,
    /// The dotted key, as `sysctl` names it.
    pub key: String,
    /// The value, as `sysctl` prints it.
    pub value: String,
}

impl Kind for ExpectSysctl {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        vec![Untrusted::SysctlKey(&self.key)]
    }

    fn sysctls(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.key)]
    }

    /// A sysctl changes only when written: nothing to await.
    fn settles(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!("{} = {} in {}", self.key, self.value, self.node)
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, key, value) = (&self.node, &self.key, &self.value);
        let (got, from_all) = effective_sysctl(st, node, key)?;
        let shown = match from_all {
            true => format!("{key} = 0, but net.ipv4.conf.all.proxy_arp = {got}"),
            false => format!("{key} = {got}"),
        };
        Ok(match got == *value {
            true => Ok(shown),
            false => Err(format!("{node}: {shown}, not {value}")),
        })
    }
}

/// A device's sysctl as the kernel acts on it, and whether `conf.all` made
/// it so: for `proxy_arp` the device's value ORed with `conf.all`'s
/// (`IN_DEV_PROXY_ARP`), so `net.ipv4.conf.all.proxy_arp=1` works as the
/// device's own would.
fn effective_sysctl(st: &dyn State, node: &str, key: &str) -> Result<(String, bool)> {
    let got = st.sysctl(node, key)?;
    let dev = key
        .strip_prefix("net.ipv4.conf.")
        .and_then(|r| r.strip_suffix(".proxy_arp"))
        .filter(|d| *d != "all");
    if let (Some(_), "0") = (dev, got.as_str()) {
        let all = st.sysctl(node, "net.ipv4.conf.all.proxy_arp")?;
        if all != "0" {
            return Ok((all, true));
        }
    }
    Ok((got, false))
}
