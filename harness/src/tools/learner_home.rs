//! The learner's workspace inside a lab shell: a private, writable home
//! (also the working directory and TMPDIR) in the shell's own /var/run, so
//! gone with the lab; the lab's commands as real programs on PATH
//! (`check`, `task`, `hint`, `solution`, `answer`, `lab-reset`, `enter`);
//! and a bash rc whose prompt names the node also inside
//! `ip netns exec NODE bash`, with completion of node and interface names.

use crate::error::{Error, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The learner's home, working directory and TMPDIR.
pub const HOME_DIR: &str = "/var/run/vethlab-home";
/// The rc file interactive bash reads (also under `ip netns exec NODE bash`).
pub const RC_FILE: &str = "/var/run/vethlab-home/.bashrc";

/// The commands, each `vethlab SUBCOMMAND` (`lab-reset`: never `reset`,
/// which is the terminal's).
const WRAPPERS: &[(&str, &str)] = &[
    ("check", "check"),
    ("task", "task"),
    ("hint", "hint"),
    ("solution", "solution"),
    ("answer", "answer"),
    ("lab-reset", "reset"),
];

/// Make the home with its rc and commands; `head` is the prompt's start
/// (`bridge-arp 3/4`), the node is added by the rc.
pub fn make_home(head: &str) -> Result<()> {
    let io = |what: String| move |e| Error::io(what, e);
    let bin = Path::new(HOME_DIR).join("bin");
    std::fs::create_dir_all(&bin).map_err(io(format!("create {}", bin.display())))?;
    std::fs::create_dir_all(Path::new(HOME_DIR).join("tmp"))
        .map_err(io(format!("create {HOME_DIR}/tmp")))?;
    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "vethlab".into());
    let q = shell_quote(&me);
    let mut files: Vec<(String, String)> = WRAPPERS
        .iter()
        .map(|(name, sub)| {
            (
                format!("bin/{name}"),
                format!("#!/bin/sh\nexec {q} {sub} \"$@\"\n"),
            )
        })
        .collect();
    files.push((
        "bin/enter".into(),
        "#!/bin/sh\n[ -n \"$1\" ] || { echo 'usage: enter NODE (one of:' $(ls /var/run/netns) ')' >&2; exit 2; }\nexec ip netns exec \"$1\" bash\n".into(),
    ));
    for (rel, text) in &files {
        let p = Path::new(HOME_DIR).join(rel);
        std::fs::write(&p, text).map_err(io(format!("write {}", p.display())))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .map_err(io(format!("chmod {}", p.display())))?;
    }
    std::fs::write(RC_FILE, rc(head)).map_err(io(format!("write {RC_FILE}")))?;
    std::fs::write(Path::new(HOME_DIR).join(".shrc"), rc_sh(head))
        .map_err(io(format!("write {HOME_DIR}/.shrc")))
}

/// `s` in single quotes for sh.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The bash rc: prompt with the node, completion.
fn rc(head: &str) -> String {
    let head = head.replace(['\'', '\\', '$', '`'], "");
    format!(
        r#"# vethlab: the lab shell's rc (gone with the lab)
__vethlab_node() {{ ip netns identify 2>/dev/null | head -n 1; }}
PS1='[{head} $(__vethlab_node)] \w# '
__vethlab_ifaces() {{
  local i ns=
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${{COMP_WORDS[i]}}" in exec|-n|-netns) ns=${{COMP_WORDS[i+1]}};; esac
  done
  if [ -n "$ns" ] && [ -e "/var/run/netns/$ns" ]; then
    ip -n "$ns" -o link 2>/dev/null | awk -F': ' '{{sub(/@.*/, "", $2); print $2}}'
  else
    ls /sys/class/net 2>/dev/null
  fi
}}
__vethlab_complete() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  case "$prev" in
    exec|-n|-netns|netns|enter) COMPREPLY=($(compgen -W "$(ls /var/run/netns)" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(__vethlab_ifaces) $(ls /var/run/netns)" -- "$cur")) ;;
  esac
}}
complete -o default -F __vethlab_complete ip enter tcpdump ethtool ping brctl bridge ifconfig arp
"#
    )
}

/// For a POSIX sh (`ENV`): the prompt only.
fn rc_sh(head: &str) -> String {
    let head = head.replace(['\'', '\\', '$', '`'], "");
    format!("PS1='[{head} '\"$(ip netns identify 2>/dev/null | head -n 1)\"'] # '\n")
}
