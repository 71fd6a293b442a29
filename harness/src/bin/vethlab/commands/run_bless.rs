//! `vethlab run --bless`: a lab's captures written back as its fixtures,
//! beneath the lab's tree (see `outputs::register_dir_beneath`).

use vethlab::error::Result;
use vethlab::lab;
use vethlab::report::html::NodeView;
use vethlab::report::StepReport;

/// Write a lab's captures as its fixtures, and say what changed.
pub(super) fn bless_lab(
    l: &lab::Lab,
    reps: &[StepReport],
    view: &[NodeView],
    say: &dyn Fn(&str),
) -> Result<()> {
    let macs: Vec<vethlab::lab::bless::IfaceMac> = view
        .iter()
        .flat_map(|n| {
            n.ifaces.iter().map(|i| vethlab::lab::bless::IfaceMac {
                node: n.name.clone(),
                iface: i.name.clone(),
                mac: i.mac.clone(),
            })
        })
        .filter(|m| m.mac != "00:00:00:00:00:00")
        .collect();
    let dir = lab::fixtures_dir(&l.path, &l.name);
    for r in reps {
        for c in &r.captures {
            let Some((node, iface)) = vethlab::lab::expect::split_at(&c.at) else {
                continue;
            };
            let text = vethlab::lab::bless::fixture(node, iface, &r.step, &c.lines(), &macs);
            let p = dir.join(&r.step).join(format!("{node}-{iface}.txt"));
            let old = vethlab::lab::bless::old_fixture(l, &r.step, node, iface);
            let d = vethlab::lab::bless::diff(&old, &text);
            say(&format!(
                "blessed {}: {}\n",
                p.display(),
                if old.is_empty() {
                    format!("new, {} lines", c.lines().len())
                } else if d.is_empty() {
                    "unchanged".into()
                } else {
                    format!("{} lines changed", d.len())
                }
            ));
            for x in &d {
                say(&format!("    {}\n", vethlab::report::out::esc(x)));
            }
            vethlab::sys::outputs::write(&p, text.as_bytes())?;
        }
    }
    Ok(())
}
