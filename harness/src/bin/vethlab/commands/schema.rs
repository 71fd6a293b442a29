//! `vethlab schema`: the lab format's JSON Schema (2020-12), for editors and CI.

use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Error, Result};

#[derive(Args)]
pub struct Schema {}

impl Schema {
    pub fn exec(self) -> Result<ExitCode> {
        let text = serde_json::to_string_pretty(&vethlab::lab::schema::json())
            .map_err(|e| Error::other(format!("JSON: {e}")))?;
        say!("{text}");
        Ok(ExitCode::SUCCESS)
    }
}
