//! What the running kernel offers, read without changing it: its release,
//! which optional link kinds it has (loaded or built in), and the fallback
//! devices it puts into every new network namespace (`tunl0` once `ipip` is
//! loaded, `gre0`/`gretap0`/`erspan0` with `ip_gre`, …).
//!
//! Nothing here may load a module: asking the kernel for a link of a kind it
//! lacks makes it run modprobe (as root, and from a user namespace too), and
//! loading `ipip` puts a `tunl0` into every namespace, the caller's included.
//! So availability is read from sysfs and the module lists; a link is only
//! created to probe where the kernel cannot load modules at all.

use crate::sys::netlink;
use crate::sys::netns::Netns;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The optional link kinds labs may need, and the module that provides each.
/// veth and bridge are not here: they are the kit's base (every container
/// host has them), and loading them adds no device anywhere.
pub use crate::model::link::OPTIONAL_KINDS as KINDS;

/// What loading a module does beyond making its kind available.
fn side_effect(module: &str) -> Option<&'static str> {
    match module {
        "ipip" => Some("adds a `tunl0` to every network namespace, this machine's own included"),
        "ip_gre" => Some("adds `gre0`, `gretap0` and `erspan0` to every network namespace"),
        "sit" => Some("adds a `sit0` to every network namespace"),
        _ => None,
    }
}

/// Whether the running kernel can make an optional link kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Availability {
    /// Loaded or built in: a lab may create such links.
    Available,
    /// A module exists but is not loaded: vethlab will not load it.
    NotLoaded,
    /// This kernel has no such support at all.
    Missing,
}

/// One fallback device of a new namespace, as the kernel made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fallback {
    /// Its ifindex (2 for `tunl0`).
    pub index: u32,
    /// Its name (`tunl0`, `gre0`, ...).
    pub name: String,
}

/// What the running kernel offers the labs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kernel {
    /// `uname -r` (from /proc/sys/kernel/osrelease).
    pub release: String,
    /// Optional kinds by name, with whether they can be used.
    pub kinds: Vec<(String, Availability)>,
    /// Devices every new namespace holds besides `lo`.
    pub fallback: Vec<Fallback>,
}

impl Kernel {
    /// Why `kind` cannot be used here, with what to do; `None` when it can.
    pub fn missing(&self, kind: &str) -> Option<String> {
        let module = KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(kind, |(_, m)| *m);
        let avail = self
            .kinds
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, a)| a.clone())
            .unwrap_or(Availability::Missing);
        match avail {
            Availability::Available => None,
            Availability::NotLoaded => Some(format!(
                "kernel {}: `{kind}` links need the `{module}` module, which is not loaded; \
                 vethlab never loads modules for you: `sudo modprobe {module}`{}",
                self.release,
                side_effect(module)
                    .map(|s| format!(" (it {s})"))
                    .unwrap_or_default()
            )),
            Availability::Missing => Some(format!(
                "kernel {} has no `{kind}` support (no `{module}` module, not built in)",
                self.release
            )),
        }
    }

    /// Names of the fallback devices a new namespace holds.
    pub fn fallback_names(&self) -> impl Iterator<Item = &str> {
        self.fallback.iter().map(|f| f.name.as_str())
    }

    /// The highest ifindex a fallback device holds in a new namespace (1, lo's,
    /// when there are none).
    pub fn fallback_top(&self) -> u32 {
        self.fallback.iter().map(|f| f.index).max().unwrap_or(1)
    }

    /// One line for report headers.
    pub fn summary(&self) -> String {
        let avail: Vec<&str> = self
            .kinds
            .iter()
            .filter(|(_, a)| *a == Availability::Available)
            .map(|(k, _)| k.as_str())
            .collect();
        let fb: Vec<String> = self
            .fallback
            .iter()
            .map(|f| format!("{}: {}", f.index, f.name))
            .collect();
        format!(
            "kernel {}; optional link kinds: {}; fallback devices in a new namespace: {}",
            self.release,
            if avail.is_empty() {
                "none".into()
            } else {
                avail.join(" ")
            },
            if fb.is_empty() {
                "none".into()
            } else {
                fb.join(", ")
            }
        )
    }
}

/// Where the labs' ifindexes land on this kernel. Labs write the articles'
/// numbers, taken on hosts where `tunl0` holds index 2 in every new namespace
/// (Calico and flannel nodes load `ipip`), so a pod's first device is 3.
/// Requested index N >= 3 becomes N + shift, where shift makes room for
/// fallback devices above 2 (`ip_gre` adds three): equal indexes stay equal,
/// so `@if3` still names a pod's eth0 and docker0 alike. Index 2 (a NIC that
/// on the article's host predates `tunl0`) stays 2 when free, and otherwise
/// takes the lowest index above the fallback devices that the lab leaves
/// unused (so it still comes first in `ip link`, right after them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexPlan {
    shift: u32,
    two_taken: bool,
    spare: u32,
}

impl IndexPlan {
    /// `fallback`: indexes the kernel's fallback devices hold in a new
    /// namespace; `lab`: every index the lab requests.
    pub fn new(fallback: &[u32], lab: &[u32]) -> IndexPlan {
        let top = fallback.iter().copied().max().unwrap_or(1);
        let shift = top.saturating_sub(2);
        let used: Vec<u32> = lab.iter().filter(|i| **i >= 3).map(|i| i + shift).collect();
        let spare = (top + 1..).find(|i| !used.contains(i)).unwrap_or(top + 1);
        IndexPlan {
            shift,
            two_taken: fallback.contains(&2),
            spare,
        }
    }

    /// For the running kernel.
    pub fn for_kernel(lab: &[u32]) -> IndexPlan {
        let fb: Vec<u32> = facts().fallback.iter().map(|f| f.index).collect();
        IndexPlan::new(&fb, lab)
    }

    /// The kernel ifindex for a lab's requested one.
    pub fn map(&self, n: u32) -> u32 {
        match n {
            0 | 1 => n,
            2 if self.two_taken => self.spare,
            2 => 2,
            n => n + self.shift,
        }
    }

    /// Whether the kernel's numbers are the articles' (no shift, index 2 free
    /// or only `tunl0` there).
    pub fn is_identity(&self) -> bool {
        self.shift == 0 && !self.two_taken
    }

    /// `ifN` as a lab writes it (what `ip link` prints after `@`), mapped.
    pub fn map_at(&self, at: &str) -> String {
        match at.strip_prefix("if").and_then(|n| n.parse::<u32>().ok()) {
            Some(n) => format!("if{}", self.map(n)),
            None => at.to_string(),
        }
    }
}

/// The kernel's facts, read once per process (inside the sandbox: the fresh
/// namespace it looks into is one of ours).
pub fn facts() -> &'static Kernel {
    FACTS.get_or_init(read)
}

static FACTS: OnceLock<Kernel> = OnceLock::new();

/// Facts another vethlab process read on this machine: the shell, for the
/// `vethlab check` (or `hint`, `answer`) run inside it, which then makes
/// no namespace of its own to look. Ignored once this process has read its own.
pub fn adopt(k: Kernel) {
    let _ = FACTS.set(k);
}

fn read() -> Kernel {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let fresh = Netns::new("kernel-probe").ok();
    let fallback = fresh
        .as_ref()
        .and_then(|ns| ns.block_on(netlink::links(ns.nl())).ok())
        .map(|ls| {
            ls.into_iter()
                .filter(|l| l.name != "lo")
                .map(|l| Fallback {
                    index: l.index,
                    name: l.name,
                })
                .collect()
        })
        .unwrap_or_default();
    let mods = ModuleInfo::read(&release);
    let probed = std::cell::Cell::new(false);
    let kinds = KINDS
        .iter()
        .map(|(kind, module)| {
            let a = mods.availability(module, || {
                probed.set(true);
                probe(fresh.as_ref(), kind)
            });
            (kind.to_string(), a)
        })
        .collect();
    // Only looked into: as good as a new one for the lab's first node.
    if let (Some(ns), false) = (fresh, probed.get()) {
        crate::sys::netns::recycle(ns);
    }
    Kernel {
        release,
        kinds,
        fallback,
    }
}

/// Where the kernel's modules are described.
struct ModuleInfo {
    /// `/proc/modules` exists: the kernel can load modules.
    loadable: bool,
    builtin: String,
    dep: String,
}

impl ModuleInfo {
    fn read(release: &str) -> ModuleInfo {
        let dir = module_dirs(release).into_iter().find(|d| d.is_dir());
        let read = |f: &str| {
            dir.as_ref()
                .and_then(|d| std::fs::read_to_string(d.join(f)).ok())
                .unwrap_or_default()
        };
        ModuleInfo {
            loadable: Path::new("/proc/modules").exists(),
            builtin: read("modules.builtin"),
            dep: read("modules.dep"),
        }
    }

    fn availability(&self, module: &str, probe: impl FnOnce() -> bool) -> Availability {
        if Path::new("/sys/module").join(module).exists() || listed(&self.builtin, module) {
            return Availability::Available;
        }
        if !self.loadable {
            // No module support: nothing can be loaded, so a probe is harmless.
            return if probe() {
                Availability::Available
            } else {
                Availability::Missing
            };
        }
        if listed(&self.dep, module) || self.dep.is_empty() {
            // Without a module list we cannot tell "absent" from "not loaded";
            // both mean: not without modprobe.
            Availability::NotLoaded
        } else {
            Availability::Missing
        }
    }
}

/// Where distributions keep the module tree (Debian's user-mode Linux keeps
/// its own under /usr/lib/uml).
fn module_dirs(release: &str) -> Vec<PathBuf> {
    ["/lib/modules", "/usr/lib/modules", "/usr/lib/uml/modules"]
        .iter()
        .map(|d| Path::new(d).join(release))
        .collect()
}

/// Whether a modules.builtin / modules.dep text names `module`.ko; `-` and
/// `_` are the same in module names.
fn listed(list: &str, module: &str) -> bool {
    let want = module.replace('-', "_");
    list.lines().any(|l| {
        let path = l.split(':').next().unwrap_or("");
        let file = path.rsplit('/').next().unwrap_or("");
        let name = file.split(".ko").next().unwrap_or("");
        file.contains(".ko") && name.replace('-', "_") == want
    })
}

/// Create a link of `kind` in a throwaway namespace (only where the kernel
/// cannot load modules). Tunnels get endpoints: one with neither remote nor
/// local is the fallback device itself and answers "File exists".
fn probe(ns: Option<&Netns>, kind: &str) -> bool {
    let Some(ns) = ns else { return false };
    let cmd = match kind {
        "ipip" | "gre" | "sit" => {
            format!("ip link add vl-probe type {kind} remote 192.0.2.1 local 192.0.2.2")
        }
        "vxlan" => "ip link add vl-probe type vxlan id 1 dstport 4789".into(),
        "geneve" => "ip link add vl-probe type geneve id 1 remote 192.0.2.1".into(),
        k => format!("ip link add vl-probe type {k}"),
    };
    probe_cmd(ns, &cmd)
}

fn probe_cmd(ns: &Netns, cmd: &str) -> bool {
    let Ok(line) = crate::iproute::cmd::parse(cmd) else {
        // A kind the command parser does not know is one no lab can use.
        return false;
    };
    let Some(crate::iproute::cmd::Cmd::LinkAdd { link, kind, .. }) = line.cmds.into_iter().next()
    else {
        return false;
    };
    let h = ns.nl().clone();
    ns.block_on(async move { netlink::add_link(&h, &link, &kind, None, None).await })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_plan() {
        // No fallback devices: the articles' numbers as they are.
        let calico = [2, 34, 4, 16];
        let p = IndexPlan::new(&[], &calico);
        assert_eq!((p.map(2), p.map(3), p.map(34)), (2, 3, 34));
        assert!(p.is_identity());
        // tunl0 at 2 (the articles' own hosts): 3 and up unchanged, the NIC
        // asked at 2 takes the lowest index the lab leaves free above tunl0.
        let p = IndexPlan::new(&[2], &calico);
        assert_eq!((p.map(2), p.map(3), p.map(4), p.map(34)), (3, 3, 4, 34));
        let flannel = [2, 3, 6, 7, 9, 5, 46];
        assert_eq!(IndexPlan::new(&[2], &flannel).map(2), 4);
        // ipip + ip_gre: tunl0 2, gre0 3, gretap0 4, erspan0 5.
        let p = IndexPlan::new(&[2, 3, 4, 5], &flannel);
        assert_eq!((p.map(3), p.map(6), p.map(9)), (6, 9, 12));
        assert_eq!(p.map(2), 7);
        assert_eq!(p.map_at("if3"), "if6");
        assert_eq!(p.map_at("veth1"), "veth1");
        assert_eq!(p.map(1), 1);
    }

    #[test]
    fn module_lists() {
        let builtin = "kernel/net/ipv4/ip_tunnel.ko\nkernel/drivers/net/veth.ko\n";
        assert!(listed(builtin, "veth"));
        assert!(!listed(builtin, "ipip"));
        let dep = "kernel/net/ipv4/ipip.ko.xz: kernel/net/ipv4/ip_tunnel.ko.xz\n\
                   kernel/net/ipv4/ip_gre.ko: kernel/net/ipv4/gre.ko\n";
        assert!(listed(dep, "ipip"));
        assert!(listed(dep, "ip_gre"));
        assert!(listed(dep, "ip-gre"));
        assert!(!listed(dep, "gre0"));
    }

    fn k(kinds: &[(&str, Availability)]) -> Kernel {
        Kernel {
            release: "6.1.0".into(),
            kinds: kinds
                .iter()
                .map(|(k, a)| (k.to_string(), a.clone()))
                .collect(),
            fallback: vec![Fallback {
                index: 2,
                name: "tunl0".into(),
            }],
        }
    }

    #[test]
    fn missing_says_what_to_do() {
        let kern = k(&[
            ("ipip", Availability::NotLoaded),
            ("vxlan", Availability::Available),
            ("vrf", Availability::Missing),
        ]);
        assert_eq!(kern.missing("vxlan"), None);
        let m = kern.missing("ipip").unwrap_or_default();
        assert!(m.contains("sudo modprobe ipip"), "{m}");
        assert!(m.contains("tunl0"), "{m}");
        let m = kern.missing("vrf").unwrap_or_default();
        assert!(m.contains("no `vrf` support"), "{m}");
        assert_eq!(kern.fallback_top(), 2);
        assert!(kern.summary().contains("2: tunl0"));
    }
}
