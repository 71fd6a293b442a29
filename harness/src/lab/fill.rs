//! Placeholders in lab text (`{song.veth1.mac}`, `{pod.eth0.ifindex}`,
//! `{pod.eth0.ll6}`)
//! filled from the kernel's state: by fixtures and by assertion kinds alike.

use crate::error::{Context, Error, Result};
use crate::lab::fixture::placeholders;
use crate::model::{fmt_mac, link_local, State};

/// Replace placeholders with what the kernel holds now.
pub fn resolve(st: &dyn State, text: &str) -> Result<String> {
    let mut out = text.to_string();
    // The unclosed brace is the whole error: no state was read yet.
    let phs = placeholders(text)
        .map_err(|col| Error::other(format!("unclosed `{{` at column {}: {text}", col + 1)))?;
    for (_, ph) in phs {
        let p: Vec<&str> = ph.split('.').collect();
        if p.len() != 3 {
            continue;
        }
        let l = st
            .link(p[0], p[1])
            .context(|| format!("placeholder {{{ph}}}"))?;
        let v = match p[2] {
            "mac" => l.mac.map(|m| fmt_mac(&m)).unwrap_or_default(),
            "ifindex" => l.index.to_string(),
            // The link-local address the kernel derives from the MAC
            // (EUI-64): a fixture need not pin MACs to name it.
            "ll6" => l
                .mac
                .map(|m| link_local(&m).to_string())
                .unwrap_or_default(),
            _ => continue,
        };
        out = out.replace(&format!("{{{ph}}}"), &v);
    }
    Ok(out)
}
