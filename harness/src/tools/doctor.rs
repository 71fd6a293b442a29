//! `vethlab doctor`, the reading half: every namespace `vethlab peers`
//! finds (the caller's, /run/netns and /var/run/netns, /proc/*/ns/net, and
//! in a `vethlab shell` the lab's named nodes), read into a
//! [`Snapshot`] the pure rules of `check::doctor` judge.
//!
//! Read-only: namespaces are entered by fd on worker threads, netlink is
//! only dumped, sysctls are read from /proc of the entered namespace and
//! its listening sockets asked of sock_diag, each bounded. No file of a
//! container is read (the holders of namespaces are not described), no
//! symlink of one is followed; what cannot be read is listed, not guessed.

use crate::check::doctor::{conf_key, Ns, Snapshot};
use crate::error::Error;
use crate::sys::netlink;
use crate::tools::peers::{self, Opened, Sources};
use std::io::Read;

pub use crate::check::doctor::{diagnose, Finding, Severity, IDS};

/// Namespaces entered and read at once (threads; the pool has 4 workers).
const PAR: usize = 8;
/// At most this many bytes of one sysctl file.
const SYSCTL_MAX: u64 = 64;

/// Every namespace `src` shows, read. Never changes anything.
pub fn scan(src: &Sources) -> Snapshot {
    let src = Sources {
        netns_dirs: src.netns_dirs.clone(),
        procs: src.procs,
        holders: false,
    };
    let mut snap = Snapshot::default();
    let found = peers::discover(&src, &mut snap.unread);
    // Without root, the processes we may not look at hold namespaces we
    // know nothing of: that is not looking, not a clean bill.
    if !nix::unistd::geteuid().is_root() {
        snap.missed.append(&mut snap.unread);
    }
    let mut opened = vec![];
    let mut fds = vec![];
    let mut labels = vec![];
    // Entering a namespace is a round trip to a pool worker: several at once.
    let entered = par_map(&found, peers::open);
    for (f, e) in found.iter().zip(entered) {
        let (fd, o) = e.unwrap_or_else(|| (None, Err("its reader stopped".into())));
        let label = f.info.label();
        match o {
            Ok(o) => opened.push(Some(o)),
            // A process that exited meanwhile took its namespace along: nothing to read.
            Err(_) if !f.path.exists() => continue,
            Err(e) => {
                snap.missed.push(format!("namespace {label}: {e}"));
                opened.push(None);
            }
        }
        fds.push(fd);
        labels.push(label);
    }
    let map = peers::nsid_map(&opened, &fds);
    // Snapshot indexes are those of the namespaces read.
    let mut at = vec![None; opened.len()];
    let mut n = 0;
    for (i, o) in opened.iter().enumerate() {
        if o.is_some() {
            at[i] = Some(n);
            n += 1;
        }
    }
    // Each namespace's dumps and sysctls, read side by side.
    let pairs: Vec<_> = opened.iter().zip(&labels).collect();
    let mut read = par_map(&pairs, |(o, l)| o.as_ref().map(|o| read(o, (*l).clone())));
    for (i, o) in opened.iter().enumerate() {
        let Some(o) = o else { continue };
        // A reader that died keeps its place (indexes stay those of `at`).
        let mut ns = read[i].take().flatten().unwrap_or_else(|| Ns {
            label: labels[i].clone(),
            unread: vec!["its reader stopped".into()],
            ..Default::default()
        });
        for l in &o.links {
            let (Some(id), Some(p)) = (l.link_netnsid, l.link) else {
                continue;
            };
            if let Some(j) = map.get(&(i, id)).copied().flatten().and_then(|j| at[j]) {
                ns.peers.insert(l.index, (j, p));
            }
        }
        snap.namespaces.push(ns);
    }
    snap
}

/// `f` over `items` on scoped threads, at most `PAR` at a time; `None`
/// where a thread died.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<Option<R>> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(PAR) {
        std::thread::scope(|sc| {
            let hs: Vec<_> = chunk.iter().map(|x| sc.spawn(|| f(x))).collect();
            out.extend(hs.into_iter().map(|h| h.join().ok()));
        });
    }
    out
}

/// One namespace's state; what fails is noted in `unread`.
fn read(o: &Opened, label: String) -> Ns {
    let mut ns = Ns {
        label,
        links: o.links.clone(),
        addrs: o.addrs.clone(),
        ..Default::default()
    };
    let h = o.ns.nl().clone();
    let (addrs6, routes, neigh, fdb) = o.ns.block_on(async move {
        (
            netlink::addrs6(&h).await,
            netlink::routes(&h).await,
            netlink::neighbours(&h).await,
            netlink::fdb(&h).await,
        )
    });
    let mut note = |what: &str, e: Error| ns.unread.push(format!("{what}: {e}"));
    match addrs6 {
        Ok(a) => ns.addrs6 = a,
        Err(e) => note("ip -6 addr", e),
    }
    match routes {
        Ok(r) => ns.routes = r,
        Err(e) => note("ip route", e),
    }
    let neigh = neigh.map_err(|e| note("ip neigh", e)).unwrap_or_default();
    let fdb = fdb.map_err(|e| note("bridge fdb", e)).unwrap_or_default();
    ns.neighbours = neigh;
    ns.fdb = fdb;
    let mut keys = vec![
        "net.ipv4.ip_forward".to_string(),
        conf_key("all", "proxy_arp"),
    ];
    for l in &o.links {
        // Kernel names never hold '/' and are never "." or ".."; checked anyway.
        let safe = !l.name.contains('/') && !l.name.starts_with('.');
        if safe && matches!(l.kind.as_deref(), Some("veth" | "bridge")) {
            keys.push(conf_key(&l.name, "proxy_arp"));
        }
    }
    match o.ns.run(move || sysctls_and_sockets(keys)) {
        Ok((vals, unread, listening)) => {
            ns.sysctls = vals;
            ns.unread.extend(unread);
            ns.listening = listening;
        }
        Err(e) => ns.unread.push(format!("sysctls: {e}")),
    }
    ns
}

type Read3 = (
    std::collections::BTreeMap<String, String>,
    Vec<String>,
    Option<usize>,
);

/// In the namespace's thread: the sysctls `keys` and the listening sockets.
fn sysctls_and_sockets(keys: Vec<String>) -> Read3 {
    let mut vals = std::collections::BTreeMap::new();
    let mut unread = vec![];
    for k in keys {
        let path = netlink::sysctl_path(&k);
        match bounded(&path, SYSCTL_MAX) {
            Ok(v) => {
                vals.insert(k, v.trim().to_string());
            }
            Err(e) => unread.push(format!("{path}: {e}")),
        }
    }
    // A netlink socket made in this thread is its namespace's (the worker's).
    let count = match netlink::listening() {
        Ok(n) => Some(n),
        Err(e) => {
            unread.push(format!("listening sockets (sock_diag): {e}"));
            None
        }
    };
    (vals, unread, count)
}

/// At most `max` bytes of a /proc file, without blocking on anything else.
fn bounded(path: &str, max: u64) -> std::io::Result<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let mut s = String::new();
    f.take(max).read_to_string(&mut s)?;
    Ok(s)
}
