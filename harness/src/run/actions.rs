//! The actions a step runs besides commands: CNI plugins, daemons, ping
//! and UDP, each into a check result.

use crate::error::{Error, Result};
use crate::lab::{CniSpec, DaemonSpec, PingResultWanted, PingSpec, UdpSpec, DAEMONS};
use crate::report::{CheckResult, Outcome};
use crate::topo::Topo;
use crate::traffic;
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

/// A CNI command for one pod; the plugin's own error text on failure.
pub(crate) fn run_cni(topo: &mut Topo, c: &CniSpec) -> CheckResult {
    let what = format!(
        "CNI {} {} for {} ({} in {})",
        c.cni,
        c.config["type"].as_str().unwrap_or("?"),
        c.alias.as_deref().unwrap_or(&c.netns),
        c.ifname,
        c.node
    );
    let r = (|| -> Result<String> {
        let scratch = topo.scratch()?;
        let mut conf = c.config.clone();
        conf["cniVersion"] = conf
            .get("cniVersion")
            .cloned()
            .unwrap_or(Value::from("0.4.0"));
        // host-local keeps its state in the run's scratch, never /var/lib/cni.
        if conf["ipam"]["type"] == "host-local" {
            conf["ipam"]["dataDir"] = Value::from(scratch.join("ipam").display().to_string());
        }
        let pod = topo.node(&c.netns)?;
        let netns = PathBuf::from(format!("/proc/{}/fd/{}", std::process::id(), pod.raw_fd()));
        let id = c.alias.clone().unwrap_or(c.netns.clone());
        let inv = crate::sys::cni::Invocation {
            command: &c.cni,
            container_id: &id,
            netns: &netns,
            ifname: &c.ifname,
        };
        let res = crate::sys::cni::invoke(topo.node(&c.node)?, &conf, &inv);
        topo.forget_indexes();
        let res = res?;
        if c.cni == "ADD" {
            let host = crate::sys::cni::host_iface(&res).unwrap_or_default();
            let (ip, gw) = crate::sys::cni::first_ip(&res);
            let alias = c.alias.clone().unwrap_or(c.netns.clone());
            topo.set_var(&format!("cni:{alias}.host"), &host);
            topo.set_var(&format!("cni:{alias}.ip"), ip.as_deref().unwrap_or(""));
            topo.set_var(
                &format!("cni:{alias}.addr"),
                ip.as_deref()
                    .and_then(|i| i.split('/').next())
                    .unwrap_or(""),
            );
            topo.set_var(&format!("cni:{alias}.gateway"), gw.as_deref().unwrap_or(""));
            return Ok(format!(
                "host side {host}, {} gateway {}",
                ip.unwrap_or_default(),
                gw.unwrap_or_default()
            ));
        }
        Ok("done".into())
    })();
    CheckResult {
        id: c.id.clone(),
        what,
        outcome: match r {
            Ok(s) => Outcome::Pass(s),
            Err(e) => Outcome::Fail(e.to_string()),
        },
    }
}

/// Start a daemon (BIRD) in a node, its configuration checked first so a
/// mistake shows BIRD's own message.
pub(crate) fn run_daemon(topo: &mut Topo, d: &DaemonSpec) -> CheckResult {
    let what = format!("{} runs in {}", d.daemon, d.node);
    let r = (|| -> Result<String> {
        let dir = topo.scratch()?;
        let conf = dir.join(format!("{}-{}.conf", d.daemon, d.node));
        let ctl = dir.join(format!("{}-{}.ctl", d.daemon, d.node));
        let text = d
            .config
            .iter()
            .map(|l| topo.subst(l))
            .collect::<Result<Vec<_>>>()?
            .join("\n");
        std::fs::write(&conf, text + "\n")
            .map_err(|e| Error::io(format!("write {}", conf.display()), e))?;
        let bin = DAEMONS
            .iter()
            .find(|(n, _, _)| *n == d.daemon)
            .map(|(_, p, _)| *p)
            .unwrap_or_default();
        let parse = std::process::Command::new(bin)
            .args(["-p", "-c"])
            .arg(&conf)
            .output()
            .map_err(|e| Error::io(format!("run {bin}"), e))?;
        if !parse.status.success() {
            return Err(Error::Process {
                what: format!("{bin} -p"),
                status: parse.status.code(),
                output: String::from_utf8_lossy(&parse.stderr).trim().to_string(),
            });
        }
        let argv: Vec<String> = [bin, "-f", "-c"]
            .iter()
            .map(|s| s.to_string())
            .chain([
                conf.display().to_string(),
                "-s".into(),
                ctl.display().to_string(),
            ])
            .collect();
        topo.spawn_daemon(&d.node, &argv)?;
        Ok(format!("{bin} -f -c {}", conf.display()))
    })();
    CheckResult {
        id: d.id.clone(),
        what,
        outcome: match r {
            Ok(s) => Outcome::Pass(s),
            Err(e) => Outcome::Fail(e.to_string()),
        },
    }
}

pub(crate) fn run_ping(topo: &Topo, p: &PingSpec) -> CheckResult {
    let what = format!(
        "ping {} from {}{}{}",
        p.ping,
        p.from,
        p.dev
            .as_ref()
            .map(|d| format!(" -I {d}"))
            .unwrap_or_default(),
        match p.result {
            PingResultWanted::Reply => p
                .ttl
                .map(|t| format!(" replies with ttl {t}"))
                .unwrap_or(" replies".into()),
            PingResultWanted::Fail => " fails".into(),
        }
    );
    let spec = traffic::Ping {
        dst: p.ping,
        count: p.count.unwrap_or(1),
        dev: p.dev.clone(),
        timeout: Duration::from_millis(p.timeout_ms.unwrap_or(2000)),
    };
    let outcome = match topo.node(&p.from).and_then(|ns| traffic::ping(ns, &spec)) {
        Err(e) => Outcome::Fail(e.to_string()),
        Ok(r) => {
            let s = r.summary(p.ping);
            let all = r.replies.len() == r.sent as usize && r.sent > 0;
            let ttl_ok = p.ttl.is_none_or(|t| r.replies.iter().all(|x| x.ttl == t));
            match p.result {
                PingResultWanted::Reply if all && ttl_ok => Outcome::Pass(s),
                PingResultWanted::Fail if r.replies.is_empty() => Outcome::Pass(s),
                _ => Outcome::Fail(s),
            }
        }
    };
    CheckResult {
        id: p.id.clone(),
        what,
        outcome,
    }
}

pub(crate) fn run_udp(topo: &Topo, u: &UdpSpec, timeout: Duration) -> CheckResult {
    let listen = u
        .listen
        .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, u.udp.port()));
    let what = format!(
        "UDP {} from {} to a server in {} on {listen}",
        u.udp, u.from, u.server
    );
    let r = topo.node(&u.server).and_then(|s| {
        let c = topo.node(&u.from)?;
        traffic::udp_exchange(s, listen, c, u.udp, timeout)
    });
    let outcome = match r {
        Ok(x) => Outcome::Pass(format!(
            "sent \"{}\", got \"{}\" from {}",
            x.request, x.reply, x.reply_from
        )),
        Err(e) => Outcome::Fail(e.to_string()),
    };
    CheckResult {
        id: u.id.clone(),
        what,
        outcome,
    }
}
