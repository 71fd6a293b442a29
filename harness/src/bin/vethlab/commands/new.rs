//! `vethlab new DIR`: a lab to start from — two namespaces joined by a veth,
//! a state check, a ping and a capture — that passes once its fixture is
//! recorded with `--bless`. Writes nothing over an existing file.

use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vethlab::error::{Context, Error, Result};
use vethlab::report::out::esc;

#[derive(Args)]
pub struct New {
    /// The lab's directory (made if missing); its last component names the lab.
    dir: PathBuf,
}

impl super::Command for New {
    fn place(&self) -> super::Place {
        // Writes a new lab among the caller's own files.
        super::Place::Here
    }
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let name = self
            .dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        vethlab::lab::validate::plain_word(&name).map_err(|m| {
            Error::input(
                self.dir.display().to_string(),
                format!("the directory's name is the lab's name: {m}"),
            )
        })?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("make {}", self.dir.display()), e))?;
        let lab = self.dir.join("lab.json");
        let schema = serde_json::to_string_pretty(&vethlab::lab::schema::json())
            .context(|| "JSON".into())?;
        create(&lab, &lab_json(&name))?;
        create(&self.dir.join("README.md"), &readme(&name))?;
        // Editors find the schema beside the lab (`"$schema": "lab.schema.json"`).
        let sp = self.dir.join("lab.schema.json");
        if !sp.exists() {
            create(&sp, &(schema + "\n"))?;
        }
        let l = esc(&lab.display().to_string());
        say!("made {l}, its README.md and lab.schema.json");
        say!("next: record what the step captures, read it, then run the lab:");
        say!("  sudo vethlab run {l} --bless");
        say!("  sudo vethlab run {l}");
        Ok(ExitCode::SUCCESS)
    }
}

/// Create `path` with `text`; an existing file is left alone and named.
fn create(path: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AlreadyExists {
                " (vethlab new never overwrites: choose a new directory)"
            } else {
                ""
            };
            Error::io(format!("create {}{hint}", path.display()), e)
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// The starting lab, in the canonical layout (`vethlab fmt`).
pub fn lab_json(name: &str) -> String {
    let text = format!(
        r#"{{
  "$schema": "lab.schema.json",
  "lab": "{name}",
  "title": "Two namespaces joined by a veth pair: the pod answers a ping",
  "about": "A starting point: change the topology to yours, then record its captures with --bless.",
  "nodes": ["host", "pod"],
  "steps": [
    {{
      "name": "ping-pod",
      "title": "host reaches pod over a veth pair; ARP then ICMP on veth0",
      "do": [
        "ip link add veth0 type veth peer name eth0 netns pod",
        "ip addr add 10.0.0.1/24 dev veth0",
        "ip link set veth0 up",
        "ip netns exec pod ip addr add 10.0.0.2/24 dev eth0",
        "ip netns exec pod ip link set eth0 up",
        {{"expect": "link", "node": "pod", "dev": "eth0", "peer": "host:veth0", "state": "UP", "id": "{name}.1"}},
        {{"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["10.0.0.2/24"], "id": "{name}.1"}},
        {{"ping": "10.0.0.2", "from": "host", "count": 2, "id": "{name}.2"}}
      ],
      "capture": {{"host:veth0": "{name}.2"}},
      "task": "Join host and pod with a veth pair, 10.0.0.1/24 and 10.0.0.2/24, so that host pings the pod.",
      "hint": ["Each namespace needs its end of the pair, addressed and up.", "ip link add veth0 type veth peer name eth0 netns pod"]
    }}
  ]
}}
"#
    );
    vethlab::lab::format::format(&text).unwrap_or(text)
}

fn readme(name: &str) -> String {
    format!(
        "# {name}\n\n\
What this lab rebuilds, and the note or incident it comes from.\n\n\
| step | what it shows | observation |\n|---|---|---|\n\
| ping-pod | host reaches pod over a veth pair: ARP, then ICMP on veth0 | {name}.1, {name}.2 |\n\n\
Run it:\n\n```sh\n\
sudo vethlab run {name}/lab.json --bless   # once: records fixtures/ping-pod/host-veth0.txt\n\
sudo vethlab run {name}/lab.json           # every time after: asserts it\n```\n\n\
Read the blessed fixture before you commit it: it asserts the whole sequence one run saw.\n"
    )
}
