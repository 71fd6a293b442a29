//! `{cni:POD.host}`, `.ip`, `.addr`, `.gateway` in a learner's check: read
//! from the kernel (the pod's interface, its veth peer, its default route),
//! since the plugin ran in the learner's shell, not in this process.

use crate::check::answer::peer_of;
use crate::check::state::State;
use crate::lab::{Action, Lab};
use crate::topo::Topo;

/// Set every `{cni:…}` value of the CNI ADDs of steps `..=idx` whose pod
/// interface exists now; the others stay unset (their checks then say so).
pub fn derive(lab: &Lab, idx: usize, topo: &mut Topo) {
    let adds = lab.steps[..=idx]
        .iter()
        .flat_map(|s| s.given.iter().chain(&s.actions))
        .filter_map(|a| match a {
            Action::Cni(c) if c.cni == "ADD" => Some(c.clone()),
            _ => None,
        });
    for c in adds {
        let alias = c.alias.clone().unwrap_or(c.netns.clone());
        let Ok(l) = topo.link(&c.netns, &c.ifname) else {
            continue;
        };
        if let Ok((_, host)) = peer_of(topo, &c.netns, &c.ifname) {
            topo.set_var(&format!("cni:{alias}.host"), &host);
        }
        let addr = State::addrs(topo, &c.netns)
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.index == l.index);
        if let Some(a) = addr {
            topo.set_var(
                &format!("cni:{alias}.ip"),
                &format!("{}/{}", a.ip, a.prefix),
            );
            topo.set_var(&format!("cni:{alias}.addr"), &a.ip.to_string());
        }
        let gw = State::routes(topo, &c.netns)
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.dst.is_none_or(|(_, p)| p == 0) && r.gw.is_some())
            .and_then(|r| r.gw);
        if let Some(g) = gw {
            topo.set_var(&format!("cni:{alias}.gateway"), &g.to_string());
        }
    }
}
