//! `vethlab peers`: every veth in every network namespace of a real host,
//! with its peer. Read-only: namespaces are entered by fd on worker threads,
//! dumps and ioctls only read, and RTM_GETNSID never assigns an id.
//!
//! Namespaces come from named mounts (/run/netns, /var/run/netns) and from
//! every process's /proc/PID/ns/net, deduplicated by inode. A veth's peer is
//! found from IFLA_LINK (its ifindex in the peer's namespace) and
//! IFLA_LINK_NETNSID (that namespace's id *as seen from here*), mapped back
//! to a namespace by asking the kernel which id each other namespace has.

use crate::error::Result;
use crate::sys::ethtool;
use crate::sys::netlink::{self, fmt_mac, Link};
use crate::sys::netns::Netns;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where to look for namespaces.
pub struct Sources {
    pub netns_dirs: Vec<PathBuf>,
    /// Scan /proc/*/ns/net.
    pub procs: bool,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            netns_dirs: vec!["/run/netns".into(), "/var/run/netns".into()],
            procs: true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    pub inode: u64,
    /// Names under the netns directories (`ip netns` names).
    pub names: Vec<String>,
    /// The process holding it with the lowest pid, and how many hold it.
    pub pid: Option<u32>,
    pub command: Option<String>,
    pub processes: usize,
    /// This process's own namespace.
    pub current: bool,
    /// The namespace of pid 1: the host's.
    pub host: bool,
    /// A container id found in the holder's cgroup path, and that path.
    pub container_id: Option<String>,
    pub cgroup: Option<String>,
    /// /proc/PID/root/etc/hostname of the holder (a pod's name).
    pub hostname: Option<String>,
    /// Why this namespace could not be read, if it could not.
    pub error: Option<String>,
}

impl Namespace {
    /// How people name it: its `ip netns` name, else the host, else the holder.
    pub fn label(&self) -> String {
        if let Some(n) = self.names.first() {
            return n.clone();
        }
        if self.host {
            return "host".into();
        }
        if self.current {
            return "current".into();
        }
        match (&self.pid, &self.command) {
            (Some(p), Some(c)) => format!("pid {p} ({c})"),
            (Some(p), None) => format!("pid {p}"),
            _ => format!("netns:[{}]", self.inode),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Veth {
    /// Index into `Report::namespaces`.
    pub ns: usize,
    pub namespace: String,
    pub name: String,
    pub ifindex: u32,
    pub mac: Option<String>,
    pub mtu: u32,
    pub master: Option<String>,
    pub ipv4: Vec<String>,
    /// What `ip link` prints after `@`: `ifN` (peer elsewhere) or the peer's name.
    pub at: String,
    pub peer: Option<Peer>,
    /// The three ways to learn the peer's ifindex (seed 002).
    pub iflink_netlink: Option<u32>,
    pub iflink_sysfs: Option<u32>,
    pub ethtool_peer_ifindex: Option<u32>,
    /// Methods that could not be read, and why.
    pub unread: Vec<String>,
    /// The methods or the two ends disagree.
    pub disagreement: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    /// Index into `Report::namespaces`, when the peer's namespace is known.
    pub ns: Option<usize>,
    pub namespace: String,
    pub name: Option<String>,
    pub ifindex: u32,
    /// The peer lives in another namespace than this end.
    pub elsewhere: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub namespaces: Vec<Namespace>,
    pub veths: Vec<Veth>,
    /// What could not be read (without privileges, most of /proc).
    pub unreadable: Vec<String>,
    /// Every device's name by (namespace, ifindex), veth or not.
    #[serde(skip)]
    names: BTreeMap<(usize, u32), String>,
}

struct Found {
    info: Namespace,
    path: PathBuf,
}

fn ns_inode(p: &Path) -> std::io::Result<u64> {
    Ok(std::fs::metadata(p)?.ino())
}

/// Every namespace the sources show, deduplicated by inode.
fn discover(src: &Sources, unreadable: &mut Vec<String>) -> Vec<Found> {
    let mut by_ino: BTreeMap<u64, Found> = BTreeMap::new();
    let current = ns_inode(Path::new("/proc/self/ns/net")).ok();
    // pid 1 may sit in a container of its own; kthreadd (pid 2) is always
    // in the init namespace.
    let host = ns_inode(Path::new("/proc/1/ns/net"))
        .or_else(|_| ns_inode(Path::new("/proc/2/ns/net")))
        .ok();
    fn add<'m>(
        by_ino: &'m mut BTreeMap<u64, Found>,
        ino: u64,
        path: &Path,
        current: Option<u64>,
        host: Option<u64>,
    ) -> &'m mut Found {
        by_ino.entry(ino).or_insert_with(|| Found {
            info: Namespace {
                inode: ino,
                names: vec![],
                pid: None,
                command: None,
                processes: 0,
                current: Some(ino) == current,
                host: Some(ino) == host,
                container_id: None,
                cgroup: None,
                hostname: None,
                error: None,
            },
            path: path.to_path_buf(),
        })
    }
    if let Some(ino) = current {
        add(
            &mut by_ino,
            ino,
            Path::new("/proc/self/ns/net"),
            current,
            host,
        );
    }
    for d in &src.netns_dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            match ns_inode(&p) {
                Ok(ino) => {
                    let f = add(&mut by_ino, ino, &p, current, host);
                    if !f.info.names.contains(&name) {
                        f.info.names.push(name);
                    }
                }
                Err(e) => unreadable.push(format!("{}: {e}", p.display())),
            }
        }
    }
    if src.procs {
        let mut pids: Vec<u32> = std::fs::read_dir("/proc")
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        pids.sort();
        let mut denied = 0;
        for pid in pids {
            let p = PathBuf::from(format!("/proc/{pid}/ns/net"));
            match ns_inode(&p) {
                Ok(ino) => {
                    let f = add(&mut by_ino, ino, &p, current, host);
                    f.info.processes += 1;
                    if f.info.pid.is_none() {
                        f.info.pid = Some(pid);
                        describe_holder(&mut f.info, pid);
                    }
                }
                // Kernel threads have no ns link readable; a process may exit meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => denied += 1,
                Err(_) => {}
            }
        }
        if denied > 0 {
            unreadable.push(format!(
                "/proc/*/ns/net of {denied} processes: permission denied (run as root to see their namespaces)"
            ));
        }
    }
    by_ino.into_values().collect()
}

/// What can be learnt about a holding process without asking any daemon.
fn describe_holder(ns: &mut Namespace, pid: u32) {
    let read = |f: &str| std::fs::read_to_string(format!("/proc/{pid}/{f}")).ok();
    ns.command = read("comm").map(|s| s.trim().to_string());
    if let Some(cg) = read("cgroup") {
        // cgroup v2: "0::/system.slice/docker-<64 hex>.scope"; v1 lines too.
        for line in cg.lines() {
            let path = line.splitn(3, ':').nth(2).unwrap_or("");
            if let Some(id) = container_id(path) {
                ns.container_id = Some(id);
                ns.cgroup = Some(path.to_string());
                break;
            }
        }
    }
    if ns.container_id.is_some() {
        ns.hostname = read("root/etc/hostname").map(|s| s.trim().to_string());
    }
}

/// The first 64-hex-digit run in a cgroup path (docker, containerd, cri-o
/// and podman all name a container's cgroup with its id).
pub fn container_id(path: &str) -> Option<String> {
    path.split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 64)
        .map(str::to_string)
}

struct Opened {
    links: Vec<Link>,
    addrs: Vec<netlink::Addr>,
    ns: Netns,
}

/// The namespace's fd (enough to ask other namespaces which id it has) and,
/// where we may enter it, its devices.
fn open(f: &Found) -> (Option<OwnedFd>, Result<Opened, String>) {
    let fd: Option<OwnedFd> = File::open(&f.path).ok().map(Into::into);
    let o = open_fd(f, fd.as_ref().and_then(|fd| fd.try_clone().ok()));
    (fd, o)
}

fn open_fd(f: &Found, fd: Option<OwnedFd>) -> Result<Opened, String> {
    let label = f.info.label();
    let ns = if f.info.current {
        Netns::current(&label)
    } else {
        let fd = fd.ok_or_else(|| format!("cannot open {}", f.path.display()))?;
        Netns::attach(&label, fd)
    }
    .map_err(|e| {
        format!("{e} (entering another namespace needs CAP_SYS_ADMIN; run as root to read it)")
    })?;
    let h = ns.nl().clone();
    let (links, addrs) = ns
        .block_on(async move {
            Ok::<_, crate::error::Error>((netlink::links(&h).await?, netlink::addrs(&h).await?))
        })
        .map_err(|e| e.to_string())?;
    Ok(Opened { links, addrs, ns })
}

/// The three readings of a veth's peer ifindex, taken in its namespace.
fn methods(o: &Opened, l: &Link) -> (Option<u32>, Option<u32>, Vec<String>) {
    let mut unread = vec![];
    let dev = l.name.clone();
    let eth = match o
        .ns
        .run(move || ethtool::peer_ifindex(&dev))
        .map_err(std::io::Error::other)
        .and_then(|r| r)
    {
        Ok(v) => Some(v),
        Err(e) => {
            unread.push(format!("ethtool peer_ifindex: {e}"));
            None
        }
    };
    let dev = l.name.clone();
    let read_sysfs = move || -> std::io::Result<(u32, u32)> {
        let r = |f: &str| -> std::io::Result<u32> {
            std::fs::read_to_string(format!("/sys/class/net/{dev}/{f}"))?
                .trim()
                .parse()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        };
        Ok((r("ifindex")?, r("iflink")?))
    };
    // A fresh sysfs mounted in this namespace (as `ip netns exec` does);
    // without the privilege for that, the caller's own /sys, trusted only if
    // it shows this very device (same name, same ifindex).
    let sys = o.ns.with_sysfs(read_sysfs.clone()).unwrap_or_else(|_| {
        o.ns.run(read_sysfs)
            .map_err(std::io::Error::other)
            .and_then(|r| r)
    });
    let sysfs = match sys {
        Ok((idx, iflink)) if idx == l.index => Some(iflink),
        Ok(_) => {
            unread.push("sysfs iflink: /sys shows another namespace".into());
            None
        }
        Err(e) => {
            unread.push(format!("sysfs iflink: {e}"));
            None
        }
    };
    (sysfs, eth, unread)
}

/// Map every veth on the host to its peer. Never changes anything.
pub fn scan(src: &Sources) -> Report {
    let mut rep = Report::default();
    let found = discover(src, &mut rep.unreadable);
    let mut opened: Vec<Option<Opened>> = vec![];
    let mut fds: Vec<Option<OwnedFd>> = vec![];
    for f in &found {
        let mut info = f.info.clone();
        let (fd, o) = open(f);
        fds.push(fd);
        match o {
            Ok(o) => opened.push(Some(o)),
            Err(e) => {
                info.error = Some(e.clone());
                rep.unreadable
                    .push(format!("namespace {}: {e}", info.label()));
                opened.push(None);
            }
        }
        rep.namespaces.push(info);
    }
    // (namespace, nsid seen there) -> namespace, asked only where needed.
    let mut nsid_map: BTreeMap<(usize, i32), Option<usize>> = BTreeMap::new();
    for (i, o) in opened.iter().enumerate() {
        let Some(o) = o else { continue };
        for l in &o.links {
            let Some(id) = l.link_netnsid else { continue };
            if nsid_map.contains_key(&(i, id)) {
                continue;
            }
            let mut hit = None;
            for (j, fd) in fds.iter().enumerate() {
                let Some(fd) = fd else { continue };
                let (h, fd) = (o.ns.nl().clone(), fd.as_raw_fd());
                if o.ns
                    .block_on(async move { netlink::nsid_of(&h, fd).await })
                    .ok()
                    .flatten()
                    == Some(id)
                {
                    hit = Some(j);
                    break;
                }
            }
            nsid_map.insert((i, id), hit);
        }
    }
    let label = |i: usize| rep.namespaces[i].label();
    for (i, o) in opened.iter().enumerate() {
        let Some(o) = o else { continue };
        for l in &o.links {
            rep.names.insert((i, l.index), l.name.clone());
        }
        for l in o.links.iter().filter(|l| l.kind.as_deref() == Some("veth")) {
            let by_index = |ls: &[Link], x: u32| ls.iter().find(|m| m.index == x).cloned();
            let peer = l.link.map(|pidx| {
                let (pns, elsewhere) = match l.link_netnsid {
                    Some(id) => (nsid_map.get(&(i, id)).copied().flatten(), true),
                    None => (Some(i), false),
                };
                let name = pns
                    .and_then(|j| opened[j].as_ref())
                    .and_then(|p| by_index(&p.links, pidx))
                    .map(|m| m.name);
                Peer {
                    ns: pns,
                    namespace: pns
                        .map(label)
                        .unwrap_or_else(|| "(a namespace no process or name holds)".into()),
                    name,
                    ifindex: pidx,
                    elsewhere,
                }
            });
            let at = match (&peer, l.link_netnsid) {
                (Some(p), None) => p.name.clone().unwrap_or(format!("if{}", p.ifindex)),
                (Some(p), Some(_)) => format!("if{}", p.ifindex),
                (None, _) => "NONE".into(),
            };
            let (sysfs, eth, unread) = methods(o, l);
            let mut v = Veth {
                ns: i,
                namespace: label(i),
                name: l.name.clone(),
                ifindex: l.index,
                mac: l.mac.map(|m| fmt_mac(&m)),
                mtu: l.mtu,
                master: l.master.and_then(|m| by_index(&o.links, m)).map(|m| m.name),
                ipv4: o
                    .addrs
                    .iter()
                    .filter(|a| a.index == l.index)
                    .map(|a| format!("{}/{}", a.ip, a.prefix))
                    .collect(),
                at,
                peer,
                iflink_netlink: l.link,
                iflink_sysfs: sysfs,
                ethtool_peer_ifindex: eth,
                unread,
                disagreement: None,
            };
            v.disagreement = disagreement(&v, &opened, &nsid_map);
            rep.veths.push(v);
        }
    }
    rep
}

/// The three methods must give one number, and the peer must point back.
fn disagreement(
    v: &Veth,
    opened: &[Option<Opened>],
    nsid_map: &BTreeMap<(usize, i32), Option<usize>>,
) -> Option<String> {
    let mut seen: Vec<String> = vec![];
    let mut vals = vec![];
    for (m, x) in [
        ("IFLA_LINK", v.iflink_netlink),
        ("sysfs iflink", v.iflink_sysfs),
        ("ethtool peer_ifindex", v.ethtool_peer_ifindex),
    ] {
        if let Some(x) = x {
            seen.push(format!("{m} {x}"));
            vals.push(x);
        }
    }
    if vals.windows(2).any(|w| w[0] != w[1]) {
        return Some(format!("the methods disagree: {}", seen.join(", ")));
    }
    let p = v.peer.as_ref()?;
    let pns = p.ns?;
    let po = opened[pns].as_ref()?;
    let Some(pl) = po.links.iter().find(|m| m.index == p.ifindex) else {
        return Some(format!(
            "no device with ifindex {} in {}",
            p.ifindex, p.namespace
        ));
    };
    let back_ns = match pl.link_netnsid {
        Some(id) => nsid_map.get(&(pns, id)).copied().flatten(),
        None => Some(pns),
    };
    if pl.kind.as_deref() != Some("veth") || pl.link != Some(v.ifindex) || back_ns != Some(v.ns) {
        return Some(format!(
            "{} in {} does not point back at {} (ifindex {})",
            pl.name, p.namespace, v.name, v.ifindex
        ));
    }
    None
}

/// `ip link`-style `name@at`.
fn name_at(v: &Veth) -> String {
    format!("{}@{}", v.name, v.at)
}

/// The table `vethlab peers` prints.
pub fn render_table(r: &Report) -> String {
    let mut rows: Vec<[String; 8]> = vec![[
        "NAMESPACE".into(),
        "INTERFACE".into(),
        "IDX".into(),
        "MAC".into(),
        "MTU".into(),
        "MASTER".into(),
        "IPV4".into(),
        "PEER (namespace:name ifindex)".into(),
    ]];
    for v in &r.veths {
        let peer = match &v.peer {
            Some(p) => format!(
                "{}:{} {}",
                p.namespace,
                p.name.as_deref().unwrap_or("?"),
                p.ifindex
            ),
            None => "-".into(),
        };
        rows.push([
            v.namespace.clone(),
            name_at(v),
            v.ifindex.to_string(),
            v.mac.clone().unwrap_or_default(),
            v.mtu.to_string(),
            v.master.clone().unwrap_or("-".into()),
            if v.ipv4.is_empty() {
                "-".into()
            } else {
                v.ipv4.join(",")
            },
            peer,
        ]);
    }
    let mut w = [0usize; 8];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if r.veths.is_empty() {
        out.push_str("(no veth devices found)\n");
    }
    let holders: Vec<&Namespace> = r
        .namespaces
        .iter()
        .filter(|n| r.veths.iter().any(|v| r.namespaces[v.ns].inode == n.inode))
        .collect();
    if !holders.is_empty() {
        out.push_str("\nNamespaces:\n");
        for n in holders {
            out.push_str(&format!("  {}", describe_ns(n)));
            out.push('\n');
        }
    }
    for v in r.veths.iter().filter(|v| v.disagreement.is_some()) {
        out.push_str(&format!(
            "\nDISAGREEMENT {}:{}: {}\n",
            v.namespace,
            v.name,
            v.disagreement.as_deref().unwrap_or("")
        ));
    }
    for u in &r.unreadable {
        out.push_str(&format!("could not read: {u}\n"));
    }
    out
}

fn describe_ns(n: &Namespace) -> String {
    let mut parts = vec![format!("{} = net:[{}]", n.label(), n.inode)];
    if n.host {
        parts.push("the init namespace".into());
    }
    if let (Some(p), Some(c)) = (n.pid, &n.command) {
        let others = n.processes.saturating_sub(1);
        parts.push(if others > 0 {
            format!("held by pid {p} ({c}) and {others} more")
        } else {
            format!("held by pid {p} ({c})")
        });
    }
    if let Some(id) = &n.container_id {
        parts.push(format!("container {}", &id[..12]));
    }
    if let Some(h) = &n.hostname {
        parts.push(format!("hostname {h}"));
    }
    if let Some(c) = &n.cgroup {
        parts.push(format!("cgroup {c}"));
    }
    parts.join(", ")
}

/// The veths matching IFACE: `name`, `name@ifN`, or `namespace:name`.
pub fn find<'a>(r: &'a Report, iface: &str) -> Vec<&'a Veth> {
    let (ns, name) = match iface.split_once(':') {
        Some((n, i)) => (Some(n), i),
        None => (None, iface),
    };
    let name = name.split('@').next().unwrap_or(name);
    r.veths
        .iter()
        .filter(|v| v.name == name && ns.is_none_or(|n| v.namespace == n))
        .collect()
}

/// The seed 001 answer for one interface, from what the kernel said.
pub fn explain(r: &Report, v: &Veth) -> String {
    let mut out = format!(
        "{} (ifindex {} in namespace {}) is one end of a veth pair; `ip link` shows it as {}.\n",
        v.name,
        v.ifindex,
        v.namespace,
        name_at(v)
    );
    match &v.peer {
        None => out.push_str("Its peer is gone (IFLA_LINK is absent).\n"),
        Some(p) => {
            out.push_str(&format!(
                "Its peer is {}, ifindex {}, in namespace {}",
                p.name.as_deref().unwrap_or("(unknown name)"),
                p.ifindex,
                p.namespace
            ));
            match p.ns {
                Some(j) => out.push_str(&format!(" ({}).\n", describe_ns(&r.namespaces[j]))),
                None => out.push_str(".\n"),
            }
            if p.elsewhere {
                out.push_str(&format!(
                    "The {} in @if{} is IFLA_LINK: the peer's ifindex counted in the peer's own namespace.\n",
                    p.ifindex, p.ifindex
                ));
                let here = r
                    .veths
                    .iter()
                    .find(|x| x.ns == v.ns && x.ifindex == p.ifindex)
                    .map(|x| x.name.clone())
                    .or_else(|| local_name(r, v.ns, p.ifindex));
                match here {
                    Some(n) => out.push_str(&format!(
                        "In {} itself, ifindex {} is {}, an unrelated device: every namespace numbers its devices on its own,\nand `ip link` prints @ifN without saying which namespace N belongs to (`ip -d link` shows link-netnsid).\n",
                        v.namespace, p.ifindex, n
                    )),
                    None => out.push_str(&format!(
                        "{} has no ifindex {} of its own: the number only means something inside {}.\n",
                        v.namespace, p.ifindex, p.namespace
                    )),
                }
            } else {
                out.push_str("Both ends are in the same namespace, so `ip link` names the peer.\n");
            }
        }
    }
    let mut m = vec![];
    if let Some(x) = v.iflink_netlink {
        m.push(format!("IFLA_LINK {x}"));
    }
    if let Some(x) = v.iflink_sysfs {
        m.push(format!("/sys/class/net/{}/iflink {x}", v.name));
    }
    if let Some(x) = v.ethtool_peer_ifindex {
        m.push(format!("ethtool -S peer_ifindex {x}"));
    }
    match &v.disagreement {
        Some(d) => out.push_str(&format!("DISAGREEMENT: {d}\n")),
        None => out.push_str(&format!("The methods agree: {}.\n", m.join(", "))),
    }
    for u in &v.unread {
        out.push_str(&format!("could not read {u}\n"));
    }
    out
}

fn local_name(r: &Report, ns: usize, idx: u32) -> Option<String> {
    r.names.get(&(ns, idx)).cloned()
}
