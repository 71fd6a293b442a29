//! The loader's capture points: each `NODE:IFACE` of a device that exists,
//! with its fixture opened once beneath the lab's tree.

use super::load::{RawStep, BLESSING};
use super::loader::{CapState, Loader};
use super::model::CapturePoint;
use crate::error::{Error, Result};
use crate::lab::expect::split_at;
use crate::lab::fixture::Fixture;
use crate::lab::input;
use crate::lab::items::same_frames_points;
use crate::lab::spans::token;
use std::path::Path;

impl Loader<'_> {
    /// The step's capture points, each `NODE:IFACE` of a device that exists,
    /// with its fixture.
    pub(super) fn captures(
        &self,
        rs: &RawStep,
        sp: &str,
        soff: usize,
        at_traffic: CapState,
    ) -> Result<Vec<CapturePoint>> {
        let mut captures = vec![];
        for ((point, id), state) in rs.capture.iter().zip(at_traffic) {
            let kp = format!("{sp}/capture/{}", token(point));
            let at = self.loc.at(self.loc.spans.key(&kp).unwrap_or(soff));
            let bad = |m: String| {
                Error::input(
                    at.clone(),
                    format!("step `{}`: capture point `{point}`{m}", rs.name),
                )
            };
            let Some((n, i)) = split_at(point) else {
                return Err(bad(" must be NODE:IFACE".into()));
            };
            if !self.known.node_set.contains(n) {
                return Err(bad(format!(": unknown node `{n}`")));
            }
            if let Err(m) = state {
                return Err(bad(format!(": {m}")));
            }
            let rel = self.fixtures.1.join(&rs.name).join(format!("{n}-{i}.txt"));
            let fpath = self.fixtures.0.join(&rel);
            let blessing = BLESSING.load(std::sync::atomic::Ordering::Relaxed);
            let fixture = self.fixture(&rel, &fpath, id.is_none() || blessing, &bad)?;
            // A point with nothing to compare would pass on any capture.
            let compared = same_frames_points(rs).any(|p| p == *point);
            if fixture.is_none() && id.is_none() && !compared && !blessing {
                return Err(bad(format!(
                    ": nothing to compare (no fixture at {}, no observation id, no same-frames): it could never fail",
                    fpath.display()
                )));
            }
            captures.push(CapturePoint {
                node: n.into(),
                iface: i.into(),
                id: id.clone(),
                fixture,
            });
        }
        Ok(captures)
    }

    /// The fixture at `rel` beneath the lab's tree, read now: nothing later
    /// opens the path again (a swap after this changes nothing). `None` when
    /// it does not exist and may not (`optional`).
    fn fixture(
        &self,
        rel: &Path,
        fpath: &Path,
        optional: bool,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<Option<Fixture>> {
        match input::open_beneath(&self.fixtures.0, rel) {
            Ok(f) => {
                let text = input::read_open(f, fpath, "fixture", input::MAX_FIXTURE_BYTES)?;
                Ok(Some(Fixture::parse(fpath, &text, &self.known.all_nodes)?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && optional => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A new lab's first run: say how the fixture comes to be.
                Err(bad(format!(
                    " has no fixture yet ({} is missing): record what it captures with `vethlab run {} --bless`, read what that wrote, then run again",
                    fpath.display(),
                    self.loc.path.display()
                )))
            }
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ELOOP) | Some(libc::EXDEV) | Some(libc::ENOTDIR)
                ) =>
            {
                Err(bad(format!(
                    ": fixture {} {}",
                    fpath.display(),
                    input::beneath_error(&e)
                )))
            }
            Err(e) => Err(Error::input(
                format!("{}:1:1", fpath.display()),
                format!("cannot read fixture: {e}"),
            )),
        }
    }
}
