//! `bridge`: a bridge's members, exactly, as `brctl show` lists them.

use super::{judged, Judgement, Kind, Untrusted};
use crate::error::Result;
use crate::model::{fmt_mac, Link, State};
use serde::Deserialize;

/// Bridge membership, exactly (what `brctl show` lists).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectBridge {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The bridge.
    pub dev: String,
    /// Every interface enslaved to it, in any order.
    pub members: Vec<String>,
}

impl Kind for ExpectBridge {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.dev)]
    }

    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        self.members.iter().map(|m| Untrusted::Iface(m)).collect()
    }

    fn describe(&self) -> String {
        let (node, dev) = (&self.node, &self.dev);
        format!("bridge {dev} in {node} has exactly [{}]", self.members.join(", "))
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev) = (&self.node, &self.dev);
        let br = st.link(node, dev)?;
        let mut got: Vec<String> = st
            .links(node)?
            .iter()
            .filter(|l| l.master == Some(br.index))
            .map(|l| l.name.clone())
            .collect();
        got.sort();
        let mut want = self.members.to_vec();
        want.sort();
        let miss = if br.kind.as_deref() != Some("bridge") {
            Some(format!("{node}: {dev} is not a bridge"))
        } else if let Some(w) = want.iter().find(|w| !got.contains(w)) {
            Some(format!("{node}: {w} is not in {dev}"))
        } else {
            let extra = got.iter().find(|g| !want.contains(g));
            extra.map(|g| format!("{node}: {g} should not be in {dev}"))
        };
        Ok(judged(miss, expand_tabs(&brctl_show(&br, &got))))
    }
}

/// What `brctl show BRIDGE` prints.
pub fn brctl_show(br: &Link, members: &[String]) -> String {
    let id = format!(
        "8000.{}",
        br.mac
            .map(|m| fmt_mac(&m).replace(':', ""))
            .unwrap_or_default()
    );
    let stp = if br.stp.unwrap_or(0) == 0 {
        "no"
    } else {
        "yes"
    };
    let mut s = format!(
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n{}\t\t{id}\t{stp}\t\t",
        br.name
    );
    s.push_str(&members.join("\n\t\t\t\t\t\t\t"));
    s
}

/// Tabs turned into spaces to the next multiple of 8, as a terminal shows
/// `brctl show` (a tab would be escaped as a literal `\t`).
fn expand_tabs(s: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}
