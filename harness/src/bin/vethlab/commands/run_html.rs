//! `vethlab run --html DIR`: a page per lab and the index, written where
//! the user asked; and the paths their links are worked out from.

use std::path::{Path, PathBuf};
use vethlab::error::Result;
use vethlab::lab;
use vethlab::report::html::NodeView;
use vethlab::report::StepReport;

/// Each lab's page (a topology per step, read as the step left it) and
/// DIR/index.html linking them; pcaps linked through `pcap_rel`.
pub(crate) fn write(
    dir: &Path,
    jobs: &[(lab::Lab, Option<usize>)],
    results: &[(Vec<StepReport>, Vec<Vec<NodeView>>)],
    pcap_rel: Option<&str>,
    kernel: &str,
) -> Result<()> {
    for ((l, _), (reps, views)) in jobs.iter().zip(results) {
        let page = vethlab::report::html::lab_page(
            &l.name,
            &l.title,
            views,
            l.nodes.len(),
            reps,
            pcap_rel,
            kernel,
        );
        let p = dir.join(format!("{}.html", l.name));
        vethlab::sys::outputs::write(&p, page.as_bytes())?;
    }
    let labs: Vec<(&str, &str, &[StepReport])> = jobs
        .iter()
        .zip(results)
        .map(|((l, _), (reps, _))| (l.name.as_str(), l.title.as_str(), reps.as_slice()))
        .collect();
    let index = vethlab::report::html::index_page(&labs, kernel);
    vethlab::sys::outputs::write(&dir.join("index.html"), index.as_bytes())?;
    Ok(())
}

/// `p` absolute, without following symlinks past what exists: the
/// existing part resolved, the rest appended (the pcap directory may not
/// exist yet).
pub(crate) fn absolute(p: &Path) -> PathBuf {
    let p = std::env::current_dir().map_or(p.to_path_buf(), |c| c.join(p));
    let mut rest = vec![];
    let mut cur = p.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            return rest.iter().rev().fold(c, |a, r| a.join(r));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return p.clone(),
        }
    }
}

/// The topology of every namespace of `t` as the report draws it, with
/// the sysctls `l` sets or asserts (empty if it cannot be read).
pub(crate) fn lab_view(l: &lab::Lab, t: &vethlab::topo::Topo) -> Vec<NodeView> {
    let names: Vec<String> = t.nodes().iter().map(|n| n.name().to_string()).collect();
    vethlab::report::html::view(t, &names, &vethlab::report::html::sysctl_keys(l))
        .unwrap_or_default()
}
