//! `links`: the exact set of links in a node, as `ip link` lists them.

use super::{judged, Judgement, Kind, Untrusted};
use crate::error::Result;
use crate::model::State;
use serde::Deserialize;

/// The exact set of links in a node.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectLinks {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// Every interface name there, in any order (the kernel's fallback
    /// tunnels such as `tunl0` count only when named).
    pub names: Vec<String>,
}

impl Kind for ExpectLinks {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        self.names.iter().map(|n| Untrusted::Iface(n)).collect()
    }

    fn describe(&self) -> String {
        format!("links in {} are exactly {}", self.node, self.names.join(", "))
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, names) = (&self.node, &self.names);
        let links = st.links(node)?;
        // The kernel's fallback tunnels (tunl0, gre0, …) are in every
        // namespace where their module is loaded: not the lab's to list,
        // unless it names them.
        let fallback = st.fallback_names();
        let mut got: Vec<String> = links
            .iter()
            .map(|l| l.name.clone())
            .filter(|n| !fallback.contains(n) || names.contains(n))
            .collect();
        got.sort();
        let mut want = names.to_vec();
        want.sort();
        let shown = links
            .iter()
            .map(|l| {
                let flags = l.flag_names();
                format!("{}: {} {flags} state {}", l.index, l.name, l.operstate)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let miss = (got != want).then(|| match want.iter().find(|w| !got.contains(w)) {
            Some(w) => format!("{node} has no interface {w}"),
            None => {
                let extra = got.iter().find(|g| !want.contains(g));
                format!("{node} should not hold {}", extra.cloned().unwrap_or_default())
            }
        });
        Ok(judged(miss, shown))
    }
}
