//! `bgp`: BIRD runs in a node and one of its BGP sessions is Established,
//! asked over its control socket.

use super::{judged, Judgement, Kind};
use crate::error::Result;
use crate::model::State;
use serde::Deserialize;

/// A BIRD daemon runs in the node and one of its BGP sessions is
/// Established (asked over its control socket): routes learned over BGP,
/// not written by hand.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectBgp {
    /// The lab node (network namespace) BIRD runs in.
    pub node: String,
}

/// How a failed `bgp` check starts when no BIRD runs at all: nothing that
/// time would change, so it is not awaited.
const NO_BIRD: &str = "no BIRD runs in";

impl Kind for ExpectBgp {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    /// A session comes up when BIRD says so: awaited only with `within_ms`.
    fn settles(&self) -> bool {
        false
    }

    /// A BGP session's state is announced by no netlink message: re-looked.
    fn announced_in(&self) -> Option<&str> {
        None
    }

    fn hopeless(&self, differs: &str) -> bool {
        differs.starts_with(NO_BIRD)
    }

    fn describe(&self) -> String {
        format!("BIRD in {} has a BGP session Established", self.node)
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let node = &self.node;
        let Some(protos) = st.bird_protocols(node)? else {
            return Ok(Err(format!(
                "{NO_BIRD} {node}: its routes must be learned over BGP (routes written by hand do not count)"
            )));
        };
        let shown = protos
            .iter()
            .map(|(n, p, rest)| format!("{n} {p} {rest}"))
            .collect::<Vec<_>>()
            .join("\n");
        let bgp: Vec<_> = protos.iter().filter(|p| p.1 == "BGP").collect();
        let miss = if bgp.iter().any(|p| p.2.contains("Established")) {
            None
        } else if bgp.is_empty() {
            Some(format!("BIRD in {node} has no BGP protocol"))
        } else {
            Some(format!("BIRD in {node}: no BGP session is Established"))
        };
        Ok(judged(miss, shown))
    }
}
