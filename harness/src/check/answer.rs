//! Find-and-answer steps: what the right answer is, read from the state
//! (never written in the lab file), and whether the learner's answer is it.

use crate::check::state::State;
use crate::error::{Error, Result};
use crate::lab::{AnswerKind, AnswerSpec};

/// The veth peer of `node:dev`: its node and name, by IFLA_LINK in the
/// namespace link-netnsid names.
pub fn peer_of(st: &dyn State, node: &str, dev: &str) -> Result<(String, String)> {
    let l = st.link(node, dev)?;
    let idx = l
        .link
        .ok_or_else(|| Error::other(format!("{node}:{dev} has no peer (no IFLA_LINK)")))?;
    let pn = match l.link_netnsid {
        None => node.to_string(),
        Some(id) => st.node_of_nsid(node, id)?.ok_or_else(|| {
            Error::other(format!(
                "{node}:{dev}'s peer is in a namespace of no lab node"
            ))
        })?,
    };
    let p = st
        .links(&pn)?
        .into_iter()
        .find(|x| x.index == idx)
        .ok_or_else(|| Error::other(format!("no link {idx} in {pn}")))?;
    Ok((pn, p.name))
}

/// The right answer to `a`, as the learner would type it: the peer's name
/// where the question says which namespace it is in (`in`), else
/// `NAMESPACE:IFACE` (the namespace is half the answer).
pub fn expected(st: &dyn State, a: &AnswerSpec) -> Result<String> {
    match a.answer {
        AnswerKind::Peer => {
            let (pn, name) = peer_of(st, &a.node, &a.dev)?;
            match &a.peer_node {
                Some(n) if *n != pn => Err(Error::other(format!(
                    "{}:{}'s peer {name} is in {pn}, not in {n}",
                    a.node, a.dev
                ))),
                Some(_) => Ok(name),
                None => Ok(format!("{pn}:{name}")),
            }
        }
    }
}

/// What the question asks, for reports.
pub fn describe(a: &AnswerSpec) -> String {
    match a.answer {
        AnswerKind::Peer => format!(
            "answer: the peer of {}:{}{}",
            a.node,
            a.dev,
            a.peer_node
                .as_ref()
                .map(|n| format!(" (in {n})"))
                .unwrap_or_default()
        ),
    }
}

/// The learner's answer against the right one: `Ok(Ok(why))` when right.
/// `NODE:NAME` (or `NODE NAME`) is accepted for `NAME`, and required where
/// the question asks for the namespace too.
pub fn judge(
    st: &dyn State,
    a: &AnswerSpec,
    given: Option<&str>,
) -> Result<std::result::Result<String, String>> {
    let AnswerKind::Peer = a.answer;
    let (pn, want) = peer_of(st, &a.node, &a.dev)?;
    let Some(g) = given.map(str::trim).filter(|g| !g.is_empty()) else {
        return Ok(Err("no answer yet: find it, then `vethlab answer …`".into()));
    };
    // NODE:NAME must name the right node too.
    // As `ip link` prints it (`veth0@if5:`), the name is what counts.
    let bare = |x: &str| {
        let x = x.trim().trim_end_matches(':');
        x.split('@').next().unwrap_or(x).to_string()
    };
    let g2 = g.trim_end_matches(':');
    let (node, name) = match g2
        .split_once(':')
        .or_else(|| g2.split_once(char::is_whitespace))
    {
        Some((n, x)) => (Some(n.trim()), bare(x)),
        None => (None, bare(g2)),
    };
    Ok(match (node, name == want) {
        (Some(n), true) if n == pn => Ok(format!("`{g}` is right")),
        (None, true) if a.peer_node.is_some() => Ok(format!("`{g}` is right")),
        (None, true) => Err(format!(
            "`{g}` is half of it: which namespace? answer NAMESPACE:{g}"
        )),
        _ => Err(format!("`{g}` is not it")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Addr, Addr6, Link, Neigh, Neigh6, Route, Route6};

    struct Two;
    impl State for Two {
        fn links(&self, node: &str) -> Result<Vec<Link>> {
            Ok(match node {
                "host" => vec![Link {
                    index: 5,
                    name: "veth0".into(),
                    link: Some(2),
                    link_netnsid: Some(0),
                    ..Default::default()
                }],
                _ => vec![Link {
                    index: 2,
                    name: "veth1".into(),
                    link: Some(5),
                    link_netnsid: Some(0),
                    ..Default::default()
                }],
            })
        }
        fn addrs(&self, _: &str) -> Result<Vec<Addr>> {
            Ok(vec![])
        }
        fn routes(&self, _: &str) -> Result<Vec<Route>> {
            Ok(vec![])
        }
        fn neighbours(&self, _: &str) -> Result<Vec<Neigh>> {
            Ok(vec![])
        }
        fn addrs6(&self, _: &str) -> Result<Vec<Addr6>> {
            Ok(vec![])
        }
        fn routes6(&self, _: &str) -> Result<Vec<Route6>> {
            Ok(vec![])
        }
        fn neighbours6(&self, _: &str) -> Result<Vec<Neigh6>> {
            Ok(vec![])
        }
        fn sysctl(&self, _: &str, _: &str) -> Result<String> {
            Ok(String::new())
        }
        fn sysfs_iflink(&self, _: &str, _: &str) -> Result<u32> {
            Ok(0)
        }
        fn ethtool_peer_ifindex(&self, _: &str, _: &str) -> Result<u32> {
            Ok(0)
        }
        fn node_of_nsid(&self, node: &str, _: i32) -> Result<Option<String>> {
            Ok(Some(if node == "host" { "ns" } else { "host" }.into()))
        }
        fn ipam(&self, _: &str) -> Result<Vec<String>> {
            Ok(vec![])
        }
    }

    #[test]
    fn the_peer_is_read_and_judged() {
        let a: AnswerSpec =
            serde_json::from_str(r#"{"answer":"peer","node":"ns","dev":"veth1","in":"host"}"#)
                .unwrap();
        assert_eq!(expected(&Two, &a).unwrap(), "veth0");
        assert!(judge(&Two, &a, Some("veth0")).unwrap().is_ok());
        assert!(judge(&Two, &a, Some("host:veth0")).unwrap().is_ok());
        assert!(judge(&Two, &a, Some("veth1")).unwrap().is_err());
        assert!(judge(&Two, &a, Some("ns:veth0")).unwrap().is_err());
        assert!(judge(&Two, &a, None).unwrap().is_err());
        assert!(judge(&Two, &a, Some("host veth0")).unwrap().is_ok());
        assert!(judge(&Two, &a, Some("veth0@if2:")).unwrap().is_ok());
        // Without `in`, the namespace is part of the answer.
        let b: AnswerSpec =
            serde_json::from_str(r#"{"answer":"peer","node":"ns","dev":"veth1"}"#).unwrap();
        assert_eq!(expected(&Two, &b).unwrap(), "host:veth0");
        assert!(judge(&Two, &b, Some("host:veth0")).unwrap().is_ok());
        assert!(judge(&Two, &b, Some("host veth0")).unwrap().is_ok());
        assert!(judge(&Two, &b, Some("veth0")).unwrap().is_err());
        assert!(judge(&Two, &b, Some("ns:veth0")).unwrap().is_err());
    }
}
