//! The HTML report's pictures held against the kernel: a whole lab run,
//! and after each step its topology drawn as the report draws it; every
//! cable and bridge port it names in `data-link` is checked against the
//! namespaces as that step left them, read again (sysfs iflink, netns ids,
//! masters), and every veth pair of the kernel must be drawn.

use crate::fail;
use libtest_mimic::Failed;
use std::collections::BTreeSet;
use vethlab::check::state::State;
use vethlab::lab::Lab;
use vethlab::report::html::{sysctl_keys, topology_svg, view, NodeView};
use vethlab::run::{self, RunOpts};
use vethlab::topo::Topo;

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(unescape(&tag[at..at + tag[at..].find('"')?]))
}

/// A link's end: node, interface.
type EndName = (String, String);

/// (class, end, end) of every element naming a link.
fn links(svg: &str) -> Vec<(String, EndName, EndName)> {
    let split = |e: &str| {
        let (n, i) = e.split_once(':').unwrap_or((e, ""));
        (n.to_string(), i.to_string())
    };
    svg.split('<')
        .filter_map(|tag| {
            let l = attr(tag, "data-link")?;
            let (a, b) = l.split_once(' ')?;
            Some((attr(tag, "class").unwrap_or_default(), split(a), split(b)))
        })
        .collect()
}

/// The node `node`'s veth `dev` leads to, and the peer's name, read from
/// the kernel: the namespace by its netns id, the peer by sysfs iflink.
fn kernel_peer(t: &Topo, node: &str, dev: &str) -> Result<Option<(String, String)>, String> {
    let l = t.link(node, dev).map_err(|e| e.to_string())?;
    let pi = t.sysfs_iflink(node, dev).map_err(|e| e.to_string())?;
    let pn = match l.link_netnsid {
        Some(id) => match t.node_of_nsid(node, id).map_err(|e| e.to_string())? {
            Some(n) => n,
            None => return Ok(None),
        },
        None => node.to_string(),
    };
    let links = t.links(&pn).map_err(|e| e.to_string())?;
    Ok(links
        .into_iter()
        .find(|x| x.index == pi)
        .map(|x| (pn, x.name)))
}

/// One named link against the kernel.
fn check_link(t: &Topo, class: &str, (an, ai): &EndName, (bn, bi): &EndName) -> Result<(), String> {
    let a = t.link(an, ai).map_err(|e| format!("{an}:{ai}: {e}"))?;
    let b = t.link(bn, bi).map_err(|e| format!("{bn}:{bi}: {e}"))?;
    let ok = match class {
        c if c.contains("veth") => kernel_peer(t, an, ai)? == Some((bn.clone(), bi.clone())),
        c if c.contains("port") => an == bn && a.master == Some(b.index),
        c if c.contains("underlay") => an == bn && a.underlay == Some(b.index),
        c if c.contains("tunnel") => an != bn && a.kind.is_some() && a.kind == b.kind,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{class} {an}:{ai} {bn}:{bi} is not so in the kernel"
        ))
    }
}

/// Every veth pair among the lab's namespaces, as the kernel has them.
fn kernel_pairs(t: &Topo) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for n in t.nodes().iter().map(|n| n.name().to_string()) {
        for l in t.links(&n).map_err(|e| e.to_string())? {
            if l.kind.as_deref() == Some("veth") {
                if let Some((pn, pi)) = kernel_peer(t, &n, &l.name)? {
                    let (a, b) = (format!("{n}:{}", l.name), format!("{pn}:{pi}"));
                    out.insert(if a < b {
                        format!("{a} {b}")
                    } else {
                        format!("{b} {a}")
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The step's picture against the kernel; the number of links checked.
fn step_picture(
    t: &Topo,
    lab: &Lab,
    i: usize,
    prev: Option<&[NodeView]>,
) -> Result<(Vec<NodeView>, String, usize), String> {
    let names: Vec<String> = t.nodes().iter().map(|n| n.name().to_string()).collect();
    let v = view(t, &names, &sysctl_keys(lab)).map_err(|e| e.to_string())?;
    let svg = topology_svg(&v, prev, lab.nodes.len(), &lab.steps[i].name);
    let ls = links(&svg);
    for (class, a, b) in &ls {
        check_link(t, class, a, b)?;
    }
    let drawn: BTreeSet<String> = ls
        .iter()
        .filter(|(c, _, _)| c.contains("veth"))
        .map(|(_, a, b)| {
            let (a, b) = (format!("{}:{}", a.0, a.1), format!("{}:{}", b.0, b.1));
            if a < b {
                format!("{a} {b}")
            } else {
                format!("{b} {a}")
            }
        })
        .collect();
    let want = kernel_pairs(t)?;
    if drawn != want {
        return Err(format!(
            "veth cables drawn {drawn:?}, the kernel has {want:?}"
        ));
    }
    Ok((v, svg, ls.len()))
}

/// Run `lab`, hold each step's picture against the kernel, and require
/// that the step named in `shows` shows each of its strings.
pub(crate) fn topology_is_the_kernel(lab: &Lab, shows: &[(&str, &str)]) -> Result<(), Failed> {
    let mut prev: Option<Vec<NodeView>> = None;
    let mut problems = vec![];
    let mut checked = 0;
    let mut pictures = vec![];
    let reps = run::run_lab_then(
        lab,
        &RunOpts::default(),
        &|_| {},
        &mut |i, t| match step_picture(t, lab, i, prev.as_deref()) {
            Ok((v, svg, n)) => {
                checked += n;
                pictures.push((lab.steps[i].name.clone(), svg));
                prev = Some(v);
            }
            Err(e) => problems.push(format!("{}/{}: {e}", lab.name, lab.steps[i].name)),
        },
    );
    if let Some(r) = reps.iter().find(|r| r.error.is_some()) {
        problems.push(format!("{}: {:?}", r.step, r.error));
    }
    for (step, want) in shows {
        let svg = pictures
            .iter()
            .find(|(s, _)| s == step)
            .map(|(_, s)| s.as_str());
        if !svg.is_some_and(|s| s.contains(&vethlab::report::html::esc(want))) {
            problems.push(format!("{step}: the picture does not show {want:?}"));
        }
    }
    if pictures.len() != lab.steps.len() {
        problems.push(format!(
            "{} pictures for {} steps",
            pictures.len(),
            lab.steps.len()
        ));
    }
    if checked == 0 {
        problems.push("no link named in any picture".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(fail(problems.join("\n")))
    }
}
