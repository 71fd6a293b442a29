//! A CNI driver: runs a plugin binary as a container runtime does (CNI spec:
//! CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH, the network
//! configuration on stdin), inside the node's network namespace, and returns
//! its result JSON, or its error exactly as the plugin wrote it.

use crate::error::{Error, Result};
use crate::sys::netns::Netns;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the reference plugins live: $CNI_PATH, Debian's /usr/lib/cni, or
/// the upstream /opt/cni/bin.
pub fn plugin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("CNI_PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/lib/cni".into());
    dirs.push("/opt/cni/bin".into());
    dirs.into_iter().find(|d| d.join("host-local").is_file())
}

/// Why `plugin` cannot run here, if it cannot.
pub fn missing(plugin: &str) -> Option<String> {
    match plugin_dir() {
        Some(d) if d.join(plugin).is_file() => None,
        _ => Some(format!(
            "the CNI plugin `{plugin}` is not installed (Debian/Ubuntu package containernetworking-plugins, \
             or set CNI_PATH)"
        )),
    }
}

/// One CNI plugin call: the `CNI_*` environment it runs with.
pub struct Invocation<'a> {
    /// `CNI_COMMAND`: `ADD`, `CHECK` or `DEL`.
    pub command: &'a str,
    /// `CNI_CONTAINERID`.
    pub container_id: &'a str,
    /// The pod's namespace, as a path the plugin can open.
    pub netns: &'a Path,
    /// `CNI_IFNAME`: the interface to create in the pod (`eth0`).
    pub ifname: &'a str,
}

/// The plugin's error object, verbatim: `{"code":…,"msg":…,"details":…}`.
fn plugin_error(plugin: &str, cmd: &str, status: i32, stdout: &str, stderr: &str) -> Error {
    let text = match serde_json::from_str::<Value>(stdout) {
        Ok(v) => {
            let msg = v["msg"].as_str().unwrap_or("");
            let details = v["details"].as_str().unwrap_or("");
            format!(
                "code {}: {msg}{}",
                v["code"],
                if details.is_empty() {
                    String::new()
                } else {
                    format!(" ({details})")
                }
            )
        }
        Err(_) => format!("{}{}", stdout.trim(), stderr.trim()),
    };
    Error::Process {
        what: format!("CNI {cmd} {plugin}"),
        status: Some(status),
        output: text,
    }
}

/// Run `conf["type"]` with `inv`, in `node`'s network namespace.
pub fn invoke(node: &Netns, conf: &Value, inv: &Invocation) -> Result<Value> {
    let plugin = conf["type"]
        .as_str()
        .ok_or_else(|| Error::parse("the CNI config", "it has no \"type\""))?
        .to_string();
    // Checked at load too; a plugin is a bare name in the CNI path, never a path.
    crate::lab::validate::plugin_name(&plugin).map_err(Error::Refused)?;
    if let Some(m) = missing(&plugin) {
        return Err(Error::Unsupported(m));
    }
    let dir = plugin_dir().unwrap_or_default();
    let mut cmd = Command::new(dir.join(&plugin));
    cmd.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("CNI_COMMAND", inv.command)
        .env("CNI_CONTAINERID", inv.container_id)
        .env("CNI_NETNS", inv.netns)
        .env("CNI_IFNAME", inv.ifname)
        .env("CNI_PATH", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    node.command_in(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("run CNI plugin {}", dir.join(&plugin).display()), e))?;
    let body = serde_json::to_vec(conf).unwrap_or_default();
    if let Some(mut i) = child.stdin.take() {
        i.write_all(&body)
            .map_err(|e| Error::io("write the CNI config", e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io("wait for the CNI plugin", e))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(plugin_error(
            &plugin,
            inv.command,
            out.status.code().unwrap_or(-1),
            &stdout,
            &String::from_utf8_lossy(&out.stderr),
        ));
    }
    if stdout.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&stdout).map_err(|e| {
        Error::parse(
            format!("CNI {} {plugin}: result", inv.command),
            format!("not JSON ({e}): {stdout}"),
        )
    })
}

/// The host side of the pod's veth in an ADD result: the last interface
/// without a sandbox (`bridge` lists the bridge first, then the veth).
pub fn host_iface(result: &Value) -> Option<String> {
    result["interfaces"]
        .as_array()?
        .iter()
        .rev()
        .find(|i| i["sandbox"].as_str().is_none_or(str::is_empty))
        .and_then(|i| i["name"].as_str().map(str::to_string))
}

/// The first IP (CIDR) and gateway of an ADD result.
pub fn first_ip(result: &Value) -> (Option<String>, Option<String>) {
    let ip = &result["ips"][0];
    (
        ip["address"].as_str().map(str::to_string),
        ip["gateway"].as_str().map(str::to_string),
    )
}
