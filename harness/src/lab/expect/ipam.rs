//! `ipam`: the addresses host-local holds for a CNI network, exactly.

use super::{Judgement, Kind, Untrusted};
use crate::error::Result;
use crate::model::State;
use serde::Deserialize;

/// The addresses host-local holds for a CNI network, exactly (in the
/// run's scratch directory: after DEL, none).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectIpam {
    /// The CNI network's name (`name` in its config).
    pub network: String,
    /// The addresses allocated, as IPs.
    pub allocated: Vec<String>,
}

impl Kind for ExpectIpam {
    /// Host-local's files are in the run's scratch directory, in no node.
    fn nodes(&self) -> Vec<&str> {
        vec![]
    }

    /// Host-local names its directory after the network.
    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        vec![Untrusted::Name("CNI network name", &self.network)]
    }

    /// Written by the plugin before it returns: nothing to await.
    fn settles(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!(
            "host-local holds exactly [{}] for network {}",
            self.allocated.join(", "),
            self.network
        )
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let mut got = st.ipam(&self.network)?;
        got.sort();
        let mut want = self.allocated.to_vec();
        want.sort();
        let shown = format!("allocated: [{}]", got.join(", "));
        Ok(if got == want { Ok(shown) } else { Err(shown) })
    }
}
