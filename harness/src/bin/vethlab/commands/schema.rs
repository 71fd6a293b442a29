//! `vethlab schema`: the lab format's JSON Schema (2020-12), for editors and CI.

use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Context, Result};

#[derive(Args)]
pub struct Schema {}

impl super::Command for Schema {
    fn place(&self) -> super::Place {
        // Prints; needs no namespaces.
        super::Place::Here
    }
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let text = serde_json::to_string_pretty(&vethlab::lab::schema::json())
            .context(|| "JSON".into())?;
        say!("{text}");
        Ok(ExitCode::SUCCESS)
    }
}
