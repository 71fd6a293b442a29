//! A handle to one network namespace: an OS thread that lives in it and runs
//! closures there. Sockets (netlink, pcap, raw ICMP, UDP) are opened on that
//! thread, so they belong to the namespace for good, and are then used from
//! anywhere. The namespace itself is held only by this thread and an fd.

use crate::error::{Error, Result};
use nix::sched::{setns, unshare, CloneFlags};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

enum Origin {
    Fresh,
    Attach(OwnedFd),
    Current,
}

/// One runtime drives every netlink connection; nothing ever setns()es on its
/// workers.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vethlab-nl")
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

pub struct Netns {
    name: String,
    fd: OwnedFd,
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    nl: rtnetlink::Handle,
    conn: tokio::task::AbortHandle,
}

/// Sysctls every lab namespace gets before it holds any device: no IPv6, so
/// captures hold only the lab's own traffic. (A child namespace has no
/// `conf/all` and no `neigh/default`: new devices copy `conf/default` here,
/// but the *init* namespace's neighbour defaults, hence `Topo::tune_neigh`.)
const LAB_SYSCTLS: &[(&str, &str)] = &[
    ("net/ipv6/conf/default/disable_ipv6", "1"),
    ("net/ipv6/conf/lo/disable_ipv6", "1"),
    // A bridge joins the all-snoopers group 224.0.0.106 and would report it
    // at a random moment; no link-local IGMP reports keep captures exact.
    ("net/ipv4/igmp_link_local_mcast_reports", "0"),
];

impl Netns {
    /// A fresh, anonymous namespace named `name` for messages.
    pub fn new(name: &str) -> Result<Netns> {
        Self::spawn(name, Origin::Fresh)
    }

    /// A handle on an existing namespace (e.g. a real host's) given its fd;
    /// nothing is changed in it.
    pub fn attach(name: &str, fd: OwnedFd) -> Result<Netns> {
        Self::spawn(name, Origin::Attach(fd))
    }

    /// A handle on the caller's own namespace: needs no privilege (setns
    /// would), so an unprivileged `vethlab peers` can still read it.
    pub fn current(name: &str) -> Result<Netns> {
        Self::spawn(name, Origin::Current)
    }

    fn spawn(name: &str, origin: Origin) -> Result<Netns> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (rtx, rrx) = mpsc::sync_channel(1);
        let fresh = matches!(origin, Origin::Fresh);
        let thread = std::thread::Builder::new()
            .name(format!("ns-{name}"))
            .stack_size(512 * 1024)
            .spawn(move || {
                let setup =
                    (|| -> Result<(OwnedFd, rtnetlink::Handle, tokio::task::AbortHandle)> {
                        let open_own = || -> Result<OwnedFd> {
                            Ok(File::open("/proc/thread-self/ns/net")
                                .map_err(|e| Error::io("open /proc/thread-self/ns/net", e))?
                                .into())
                        };
                        let fd = match origin {
                            Origin::Attach(fd) => {
                                setns(&fd, CloneFlags::CLONE_NEWNET)
                                    .map_err(|e| Error::other(format!("setns: {e}")))?;
                                fd
                            }
                            Origin::Fresh => {
                                unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
                                    Error::other(format!("unshare(CLONE_NEWNET): {e}"))
                                })?;
                                open_own()?
                            }
                            Origin::Current => open_own()?,
                        };
                        if fresh {
                            for (k, v) in LAB_SYSCTLS {
                                // A kernel without IPv6 has no such file: nothing to turn off.
                                let _ = std::fs::write(format!("/proc/sys/{k}"), v);
                            }
                        }
                        let _guard = rt().enter();
                        let (conn, nl, _) = rtnetlink::new_connection()
                            .map_err(|e| Error::io("netlink socket", e))?;
                        let conn = rt().spawn(conn).abort_handle();
                        Ok((fd, nl, conn))
                    })();
                let ok = setup.is_ok();
                let _ = rtx.send(setup);
                if ok {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                }
            })
            .map_err(|e| Error::io("spawn namespace thread", e))?;
        let (fd, nl, conn) = rrx
            .recv()
            .map_err(|_| Error::other("namespace thread died"))??;
        Ok(Netns {
            name: name.to_string(),
            fd,
            tx: Some(tx),
            thread: Some(thread),
            nl,
            conn,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn nl(&self) -> &rtnetlink::Handle {
        &self.nl
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Run `f` on the namespace's thread and wait for its result.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (rtx, rrx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = rtx.send(f());
        });
        self.tx
            .as_ref()
            .expect("namespace thread running")
            .send(job)
            .expect("namespace thread alive");
        rrx.recv().expect("namespace job completed")
    }

    /// Run `f` on a short-lived thread in this namespace with its own mount
    /// namespace and a fresh sysfs on /sys — what `ip netns exec` does, so that
    /// /sys/class/net shows this namespace's devices.
    pub fn with_sysfs<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.run(move || {
            std::thread::spawn(move || -> Result<T> {
                use nix::mount::{mount, MsFlags};
                unshare(CloneFlags::CLONE_NEWNS)
                    .map_err(|e| Error::other(format!("unshare(CLONE_NEWNS): {e}")))?;
                // Slave first, or the new sysfs mount could propagate out.
                crate::sandbox::root_slave()?;
                mount(
                    Some("sysfs"),
                    "/sys",
                    Some("sysfs"),
                    MsFlags::empty(),
                    None::<&str>,
                )
                .map_err(|e| Error::other(format!("mount sysfs: {e}")))?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|_| Err(Error::other("sysfs thread panicked")))
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.conn.abort();
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
