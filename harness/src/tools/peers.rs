//! `vethlab peers`: every veth in every network namespace of a real host,
//! with its peer. Read-only: namespaces are entered by fd on worker threads,
//! dumps and ioctls only read, and RTM_GETNSID never assigns an id.
//!
//! Namespaces come from named mounts (/run/netns, /var/run/netns) and from
//! every process's /proc/PID/ns/net, deduplicated by inode. A veth's peer is
//! found from IFLA_LINK (its ifindex in the peer's namespace) and
//! IFLA_LINK_NETNSID (that namespace's id *as seen from here*), mapped back
//! to a namespace by asking the kernel which id each other namespace has.
//!
//! This file reads the host; the values, the peer resolution, the
//! consistency checks and the table are pure, in [`crate::report::peers`].

use crate::error::Result;
use crate::report::peers::{self, NsidMap, Readings};
use crate::sys::ethtool;
use crate::sys::netlink::{self, Link};
use crate::sys::netns::Netns;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub use crate::report::peers::{
    container_id, explain, find, render_table, Namespace, Peer, Report, Veth,
};

/// Where to look for namespaces.
pub struct Sources {
    /// Directories of named namespaces (`/run/netns` and `/var/run/netns` by
    /// default).
    pub netns_dirs: Vec<PathBuf>,
    /// Scan /proc/*/ns/net.
    pub procs: bool,
    /// Describe each namespace's holder (command, container, hostname).
    /// `doctor` needs none of it and reads no container's files.
    pub holders: bool,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            netns_dirs: vec!["/run/netns".into(), "/var/run/netns".into()],
            procs: true,
            holders: true,
        }
    }
}

/// A namespace found, and the path it was found under.
pub(crate) struct Found {
    pub(crate) info: Namespace,
    pub(crate) path: PathBuf,
}

fn ns_inode(p: &Path) -> std::io::Result<u64> {
    Ok(std::fs::metadata(p)?.ino())
}

/// Namespaces found so far, by inode.
struct Seen {
    by_ino: BTreeMap<u64, Found>,
    /// This process's namespace and the init namespace.
    current: Option<u64>,
    host: Option<u64>,
}

impl Seen {
    fn add(&mut self, ino: u64, path: &Path) -> &mut Found {
        let (current, host) = (self.current, self.host);
        self.by_ino.entry(ino).or_insert_with(|| Found {
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

    /// Named namespaces: the mounts in `dirs`, by name.
    fn named(&mut self, dirs: &[PathBuf], unreadable: &mut Vec<String>) {
        for d in dirs {
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
                        let f = self.add(ino, &p);
                        if !f.info.names.contains(&name) {
                            f.info.names.push(name);
                        }
                    }
                    Err(e) => unreadable.push(format!("{}: {e}", p.display())),
                }
            }
        }
    }

    /// Every process's namespace, with its lowest-pid holder described.
    fn procs(&mut self, unreadable: &mut Vec<String>, holders: bool) {
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
                    let f = self.add(ino, &p);
                    f.info.processes += 1;
                    if f.info.pid.is_none() {
                        f.info.pid = Some(pid);
                        if holders {
                            describe_holder(&mut f.info, pid);
                        }
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
}

/// Every namespace the sources show, deduplicated by inode.
pub(crate) fn discover(src: &Sources, unreadable: &mut Vec<String>) -> Vec<Found> {
    let mut seen = Seen {
        by_ino: BTreeMap::new(),
        current: ns_inode(Path::new("/proc/self/ns/net")).ok(),
        // pid 1 may sit in a container of its own; kthreadd (pid 2) is
        // always in the init namespace.
        host: ns_inode(Path::new("/proc/1/ns/net"))
            .or_else(|_| ns_inode(Path::new("/proc/2/ns/net")))
            .ok(),
    };
    if let Some(ino) = seen.current {
        seen.add(ino, Path::new("/proc/self/ns/net"));
    }
    seen.named(&src.netns_dirs, unreadable);
    if src.procs {
        seen.procs(unreadable, src.holders);
    }
    seen.by_ino.into_values().collect()
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
        ns.hostname = container_hostname(pid);
    }
}

/// A container's /etc/hostname, resolved inside the container's own root
/// (an absolute symlink there stays in the container), a regular file
/// opened without blocking, at most 256 bytes, its first line.
fn container_hostname(pid: u32) -> Option<String> {
    let root = File::open(format!("/proc/{pid}/root")).ok()?;
    let f = crate::lab::input::open_in_root(&root, Path::new("etc/hostname")).ok()?;
    let text = crate::lab::input::read_open(f, Path::new("etc/hostname"), "hostname", 256).ok()?;
    text.lines().next().map(|l| l.trim().to_string())
}

/// A namespace entered: its devices and addresses, and the handle to read more.
pub(crate) struct Opened {
    pub(crate) links: Vec<Link>,
    pub(crate) addrs: Vec<netlink::Addr>,
    pub(crate) ns: Netns,
}

/// The namespace's fd (enough to ask other namespaces which id it has) and,
/// where we may enter it, its devices.
pub(crate) fn open(f: &Found) -> (Option<OwnedFd>, Result<Opened, String>) {
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
fn methods(o: &Opened, l: &Link) -> Readings {
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
    let nsid_map = nsid_map(&opened, &fds);
    let links: Vec<Option<&[Link]>> = opened
        .iter()
        .map(|o| o.as_ref().map(|o| o.links.as_slice()))
        .collect();
    for (i, o) in opened.iter().enumerate() {
        let Some(o) = o else { continue };
        for l in &o.links {
            rep.add_name(i, l.index, l.name.clone());
        }
        for l in o.links.iter().filter(|l| l.kind.as_deref() == Some("veth")) {
            let v = peers::veth(&rep, i, l, &links, &o.addrs, &nsid_map, methods(o, l));
            rep.veths.push(v);
        }
    }
    rep
}

/// (namespace, nsid seen there) -> namespace, asked only for the ids a
/// veth names (RTM_GETNSID never assigns one).
pub(crate) fn nsid_map(opened: &[Option<Opened>], fds: &[Option<OwnedFd>]) -> NsidMap {
    let mut nsid_map: NsidMap = BTreeMap::new();
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
    nsid_map
}
