//! The loader's checks of the items that call real components (CNI
//! plugins, daemons) and of questions: each a typed object, its nodes and
//! devices known.

use super::step::{ItemAt, Known};
use super::RawStep;
use crate::error::Result;
use crate::lab::expect::Expect;
use crate::lab::model::*;
use serde_json::Value;

impl ItemAt<'_> {
    pub(super) fn cni(&self, k: &mut Known, v: &Value) -> Result<Action> {
        let c: CniSpec = self.typed("cni", v)?;
        if !["ADD", "CHECK", "DEL"].contains(&c.cni.as_str()) {
            return Err(self.err(format!(
                "cni: `{}` is not a CNI command (ADD, CHECK, DEL)",
                c.cni
            )));
        }
        self.known(k, &c.node)?;
        self.known(k, &c.netns)?;
        crate::iproute::devices::check_ifname(&c.ifname)
            .map_err(|m| self.err_at(self.field("ifname"), format!("cni: {m}")))?;
        let Some(kind) = c.config["type"].as_str() else {
            return Err(
                self.err("cni: the config needs a \"type\" (the plugin: bridge, ptp, ...)".into())
            );
        };
        if c.config["name"].as_str().is_none() {
            return Err(self.err("cni: the config needs a network \"name\"".into()));
        }
        // What the plugin will make, for later references.
        match c.cni.as_str() {
            "ADD" => {
                k.devs.adopt(&c.netns, &c.ifname);
                if kind == "bridge" {
                    k.devs
                        .adopt(&c.node, c.config["bridge"].as_str().unwrap_or("cni0"));
                }
            }
            "DEL" => k.devs.forget(&c.netns, &c.ifname),
            _ => {}
        }
        Ok(Action::Cni(c))
    }

    pub(super) fn daemon(&self, k: &Known, v: &Value) -> Result<Action> {
        let d: DaemonSpec = self.typed("daemon", v)?;
        if !DAEMONS.iter().any(|(n, _, _)| *n == d.daemon) {
            return Err(self.err(format!(
                "daemon: `{}` is not one vethlab runs (supported: bird)",
                d.daemon
            )));
        }
        self.known(k, &d.node)?;
        Ok(Action::Daemon(d))
    }

    pub(super) fn answer(&self, k: &Known, v: &Value) -> Result<Action> {
        let a: AnswerSpec = self.typed("answer", v)?;
        self.known(k, &a.node)?;
        if let Some(n) = &a.peer_node {
            self.known(k, n)?;
        }
        k.devs
            .need(&a.node, &a.dev)
            .map_err(|m| self.err(format!("answer: {m}")))?;
        Ok(Action::Answer(a))
    }
}

/// The capture points the step's assertions compare (`same-frames`), as
/// each kind says.
pub(super) fn same_frames_points(rs: &RawStep) -> impl Iterator<Item = String> + '_ {
    rs.given
        .iter()
        .chain(&rs.actions)
        .filter_map(Expect::of_item)
        .flat_map(|e| {
            let points: Vec<String> = e.capture_points().into_iter().map(String::from).collect();
            points
        })
}
