//! The host's sockets (D-Bus, the journal, /dev/log) are not in the
//! sandbox, whatever a lab or a learner does.

use crate::fail;
use libtest_mimic::Failed;
use std::path::Path;
use std::process::Command;

const VETHLAB: &str = env!("CARGO_BIN_EXE_vethlab");

/// The host's sockets are not in the sandbox: with a listening D-Bus system
/// socket, a journal socket and /dev/log planted in the caller's view (a
/// private mount namespace of this trial's thread), a lab whose BIRD logs
/// to syslog (which validation allows) runs, and a learner's shell looks for
/// and writes to them; nothing arrives and nothing is found.
pub(crate) fn host_sockets_unreachable() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let lab = tmp.path().join("lab.json");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/escape/bird-logs-to-stderr/lab.json"),
    )
    .map_err(|e| fail(e.to_string()))?;
    std::fs::write(&lab, text.replace("log stderr all;", "log syslog all;"))
        .map_err(|e| fail(e.to_string()))?;
    let r = std::thread::spawn(move || -> Result<Vec<String>, Failed> {
        let planted = sockets::plant()?;
        let run = Command::new(VETHLAB).arg("run").arg(&lab).output();
        let shell = Command::new(VETHLAB)
            .args(["shell", "veth-pair", "--", "sh", "-c"])
            .arg(
                "for s in /dev/log /run/dbus/system_bus_socket /run/systemd/journal/dev-log; do \
                 test -S $s && echo FOUND $s; done; logger -u /dev/log VETHLAB-LOGGED 2>/dev/null; \
                 logger VETHLAB-LOGGED 2>/dev/null; echo done",
            )
            .output();
        let mut bad = planted.received();
        match run {
            // Contained by construction (it ran, and nothing reached the
            // planted sockets), or refused at load by validation, the second line.
            Ok(o) if o.status.code() == Some(0) => {}
            Ok(o)
                if o.status.code() == Some(2)
                    && String::from_utf8_lossy(&o.stderr).contains("log syslog") => {}
            Ok(o) => bad.push(format!(
                "the syslog lab did not pass: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )),
            Err(e) => bad.push(format!("vethlab run: {e}")),
        }
        match shell {
            Ok(o) => {
                let out = String::from_utf8_lossy(&o.stdout).to_string();
                if !out.contains("done") {
                    bad.push(format!("the shell did not run: {out}"));
                }
                bad.extend(
                    out.lines()
                        .filter(|l| l.starts_with("FOUND"))
                        .map(String::from),
                );
            }
            Err(e) => bad.push(format!("vethlab shell: {e}")),
        }
        Ok(bad)
    })
    .join()
    .map_err(|_| fail("the trial's thread panicked"))??;
    match r.is_empty() {
        true => Ok(()),
        false => Err(fail(r.join("\n"))),
    }
}

mod sockets {
    use crate::fail;
    use libtest_mimic::Failed;
    use nix::mount::{mount, MsFlags};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::{UnixDatagram, UnixListener};
    use std::path::Path;

    /// Listening sockets where the host's daemons keep theirs.
    pub(super) struct Planted {
        log: UnixDatagram,
        journal: UnixDatagram,
        dbus: UnixListener,
    }

    impl Planted {
        /// What reached them: each a failure.
        pub(super) fn received(&self) -> Vec<String> {
            let mut bad = vec![];
            let mut b = [0u8; 512];
            for (n, s) in [("/dev/log", &self.log), ("journal", &self.journal)] {
                if let Ok(k) = s.recv(&mut b) {
                    bad.push(format!(
                        "{n} received: {}",
                        String::from_utf8_lossy(&b[..k])
                    ));
                }
            }
            if self.dbus.accept().is_ok() {
                bad.push("the D-Bus system socket was connected to".into());
            }
            bad
        }
    }

    fn m(e: impl std::fmt::Display) -> Failed {
        fail(e.to_string())
    }

    /// In this thread's own mount namespace: a fresh /run and /dev holding
    /// the sockets (and /dev's harmless nodes again).
    pub(super) fn plant() -> Result<Planted, Failed> {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).map_err(m)?;
        vethlab::sys::sandbox::root_slave().map_err(m)?;
        let nodes = ["null", "zero", "full", "random", "urandom", "tty"];
        let fds: Vec<(String, std::fs::File)> = nodes
            .iter()
            .filter_map(|n| {
                let p = format!("/dev/{n}");
                std::fs::File::open(&p).ok().map(|f| (p, f))
            })
            .collect();
        let t = |at: &str| {
            mount(
                Some("tmpfs"),
                at,
                Some("tmpfs"),
                MsFlags::empty(),
                None::<&str>,
            )
            .map_err(m)
        };
        t("/run")?;
        t("/dev")?;
        for (p, f) in &fds {
            std::fs::write(p, "").map_err(m)?;
            let src = format!("/proc/self/fd/{}", f.as_raw_fd());
            mount(
                Some(src.as_str()),
                p.as_str(),
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(m)?;
        }
        for d in ["/run/dbus", "/run/systemd/journal"] {
            std::fs::create_dir_all(d).map_err(m)?;
        }
        let dgram = |p: &str| -> Result<UnixDatagram, Failed> {
            let s = UnixDatagram::bind(Path::new(p)).map_err(m)?;
            s.set_nonblocking(true).map_err(m)?;
            Ok(s)
        };
        let dbus = UnixListener::bind("/run/dbus/system_bus_socket").map_err(m)?;
        dbus.set_nonblocking(true).map_err(m)?;
        Ok(Planted {
            log: dgram("/dev/log")?,
            journal: dgram("/run/systemd/journal/dev-log")?,
            dbus,
        })
    }
}
