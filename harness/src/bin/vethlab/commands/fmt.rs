//! `vethlab fmt [--check] [LAB_FILE…]`: rewrite lab files in one canonical
//! layout (`lab::format`), or with `--check` only say which ones differ.

use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::lab::input::{read_text, MAX_LAB_BYTES};
use vethlab::report::out::esc;

#[derive(Args)]
pub struct Fmt {
    /// Change nothing: list the files not in the canonical layout and exit 1 if any.
    #[arg(long)]
    check: bool,
    /// Lab files (e.g. `labs/*/lab.json` in a checkout).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl super::Command for Fmt {
    fn place(&self) -> super::Place {
        // Reads and writes the caller's own lab files.
        super::Place::Here
    }
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let mut differ = 0;
        for f in &self.files {
            let text = read_text(f, "lab file", MAX_LAB_BYTES)?;
            // Only valid JSON is laid out; serde_json locates the first mistake.
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                return Err(Error::input(
                    format!("{}:{}:{}", f.display(), e.line(), e.column()),
                    format!("not valid JSON, so not formatted: {e}"),
                ));
            }
            let Some(canon) = vethlab::lab::format::format(&text) else {
                return Err(Error::input(
                    format!("{}:1:1", f.display()),
                    "not formatted: nested deeper than 128 levels",
                ));
            };
            if canon == text {
                continue;
            }
            differ += 1;
            if self.check {
                say!(
                    "{}: not in the canonical layout (run `vethlab fmt {}`)",
                    esc(&f.display().to_string()),
                    esc(&f.display().to_string())
                );
            } else {
                replace(f, &canon)?;
                say!("{}: formatted", esc(&f.display().to_string()));
            }
        }
        Ok(if self.check && differ > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}

/// Write beside the file, then rename over it: an interrupted write leaves
/// the lab as it was.
fn replace(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    if let Ok(m) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), m.permissions());
    }
    tmp.persist(path)
        .map_err(|e| Error::io(format!("write {}", path.display()), e.error))?;
    Ok(())
}
