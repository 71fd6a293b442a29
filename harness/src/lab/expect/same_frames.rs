//! `same-frames`: two capture points saw byte-identical frames. Judged on
//! the step's captures once they are in, not on kernel state.

use super::{split_at, Judgement, Kind, Untrusted};
use crate::capture::frame::same_per_sender;
use crate::error::Result;
use crate::model::State;
use serde::Deserialize;

/// Two capture points saw byte-identical frames (needs both in `capture`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSameFrames {
    /// One capture point, as the step's `capture` names it.
    pub a: String,
    /// The other capture point.
    pub b: String,
}

impl Kind for ExpectSameFrames {
    fn nodes(&self) -> Vec<&str> {
        [&self.a, &self.b]
            .iter()
            .filter_map(|s| split_at(s).map(|p| p.0))
            .collect()
    }

    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        vec![Untrusted::At(&self.a), Untrusted::At(&self.b)]
    }

    fn capture_points(&self) -> Vec<&str> {
        vec![&self.a, &self.b]
    }

    /// Captures are complete when judged: nothing to await.
    fn settles(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!("frames on {} and {} are byte-identical", self.a, self.b)
    }

    /// No kernel state to read: judged on the captures.
    fn judge(&self, _st: &dyn State) -> Result<Judgement> {
        Ok(Ok(String::new()))
    }

    fn judge_captures<'a>(
        &self,
        frames: &dyn Fn(&str) -> Option<Vec<&'a [u8]>>,
    ) -> Option<Judgement> {
        let (a, b) = (&self.a, &self.b);
        Some(match (frames(a), frames(b)) {
            (Some(x), Some(y)) if same_per_sender(x.iter().copied(), y.iter().copied()) => Ok(
                format!("{} frames, byte for byte the same on both ends", x.len()),
            ),
            (Some(x), Some(y)) => Err(format!(
                "{a}: {} frames, {b}: {} frames, not identical",
                x.len(),
                y.len()
            )),
            _ => Err("capture missing".into()),
        })
    }
}
