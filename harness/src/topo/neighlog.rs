//! Neighbour entries the kernel removed while a step ran: a FAILED ARP or
//! NDP entry is garbage-collected (within 15 s) once the machine holds
//! `gc_thresh1` entries (128 for every namespace together), which parallel
//! runs reach. A check that wants it then reads what the kernel announced
//! (RTM_DELNEIGH carries the state the entry had), never a guess.

use super::Topo;
use crate::error::{Error, Result};
use crate::model::Neigh;
use crate::sys::netns::NeighLog;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The nodes listened to, and what was announced removed.
#[derive(Default)]
pub(super) struct NeighWatch {
    /// One subscription per node (by its place in `Topo::nodes`).
    logs: Vec<(usize, NeighLog)>,
    /// Entries last announced removed, by (node, ifindex, address).
    gone: BTreeMap<(usize, u32, IpAddr), Neigh<IpAddr>>,
}

impl Topo {
    /// Listen to every node's neighbour announcements from now on (before a
    /// step's traffic); nodes already listened to are left as they are.
    pub fn watch_neighbours(&self) -> Result<()> {
        let mut w = self
            .neigh
            .lock()
            .map_err(|_| Error::Stopped("neighbour log poisoned".into()))?;
        for (i, ns) in self.nodes.iter().enumerate() {
            if !w.logs.iter().any(|(j, _)| *j == i) {
                w.logs.push((i, ns.neigh_log()?));
            }
        }
        Ok(())
    }

    /// Take in what was announced. A removal heard while the lab's own
    /// command ran (`by_command`: a flush, a link set down, a plugin's DEL)
    /// is the lab's doing, not the kernel's collection: it forgets the
    /// entry, as does an entry made again. A flush of a resolved entry is
    /// announced FAILED too, so only the moment tells them apart.
    pub fn hear_neighbours(&self, by_command: bool) {
        let Ok(mut w) = self.neigh.lock() else {
            return;
        };
        let heard: Vec<(usize, bool, Neigh<IpAddr>)> = w
            .logs
            .iter()
            .flat_map(|(i, log)| log.read().into_iter().map(move |(g, n)| (*i, g, n)))
            .collect();
        for (i, removed, n) in heard {
            let key = (i, n.index, n.ip);
            match removed && !by_command {
                true => w.gone.insert(key, n),
                false => w.gone.remove(&key),
            };
        }
    }

    /// Entries of `node` the kernel announced removed since
    /// `watch_neighbours`, by no command of the lab, and not made again;
    /// each in the state it had when removed.
    pub fn neighbours_gone(&self, node: &str) -> Result<Vec<Neigh<IpAddr>>> {
        let at = *self
            .by_name
            .get(node)
            .ok_or_else(|| Error::not_found(format!("no node `{node}` in this lab")))?;
        self.hear_neighbours(false);
        let w = self
            .neigh
            .lock()
            .map_err(|_| Error::Stopped("neighbour log poisoned".into()))?;
        Ok(w.gone
            .iter()
            .filter(|((i, _, _), _)| *i == at)
            .map(|(_, n)| n.clone())
            .collect())
    }
}
