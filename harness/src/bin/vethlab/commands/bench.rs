use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use vethlab::error::{Context, Result};
use vethlab::tools::bench::{self, Bench};

#[derive(Args)]
pub struct BenchCmd {
    /// Also write the figures as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Pod counts for the churn benchmark.
    #[arg(long, value_delimiter = ',', default_values_t = [10, 100, 500])]
    pods: Vec<usize>,
    /// Pods per node for the calico scale benchmark.
    #[arg(long, value_delimiter = ',', default_values_t = [10, 50, 250])]
    calico: Vec<usize>,
    /// Rounds per churn figure (the best of each method is kept).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Sizes in MB of the generated labs the loader figure loads.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 10])]
    loader_mb: Vec<usize>,
    /// Only the loader figure (no namespaces are built).
    #[arg(long)]
    loader_only: bool,
    /// Only the `vethlab check` figure (every step solved, then checked).
    #[arg(long)]
    checks_only: bool,
    /// Only the pod churn table (the figure the floor ratio comes from).
    #[arg(long)]
    churn_only: bool,
}

impl super::Command for BenchCmd {
    fn place(&self) -> super::Place {
        // It builds namespaces of its own.
        super::Place::Sandbox
    }
    /// Before the sandbox: the labs found (the built-in ones unpacked), and
    /// where the figures go.
    fn prepare(&mut self, ctx: &super::Ctx) -> Result<()> {
        ctx.labs.dir()?;
        if let Some(f) = &self.json {
            vethlab::sys::outputs::register_file(f);
        }
        Ok(())
    }
    fn exec(self: Box<Self>, ctx: &super::Ctx) -> Result<ExitCode> {
        self.measure(&ctx.labs)
    }
}

impl BenchCmd {
    /// `--json FILE`: `v` as pretty JSON, when asked for.
    fn write_json(&self, v: &serde_json::Value) -> Result<()> {
        if let Some(p) = &self.json {
            let text = serde_json::to_string_pretty(v).context(|| "JSON".into())?;
            vethlab::sys::outputs::write(p, text.as_bytes())?;
        }
        Ok(())
    }

    /// The loader figure, for each size asked (none with `--churn-only`).
    fn loader(&self, tmp: &std::path::Path) -> Result<Vec<bench::LoaderFigure>> {
        let mut loader = vec![];
        if self.churn_only || self.loader_mb.is_empty() {
            return Ok(loader);
        }
        say!("Loader: read, scan, parse and validate a generated lab (one pod per step)");
        for &mb in &self.loader_mb {
            if mb > (vethlab::lab::input::MAX_LAB_BYTES >> 20) as usize {
                continue;
            }
            let l = bench::loader(mb * 1_000_000, 3, tmp)?;
            say!(
                "  {:>9} bytes  {:>6} steps  {:>7} commands  {:>8.1} ms  {:>6.1} ms/MB",
                l.bytes,
                l.steps,
                l.commands,
                l.ms,
                l.ms_per_mb
            );
            loader.push(l);
        }
        say!("");
        Ok(loader)
    }

    fn measure(self, labs: &vethlab::lab::catalog::Labs) -> Result<ExitCode> {
        // Generated lab files live in the run's scratch (a private tmpfs,
        // gone with the run): inside the sandbox the host is read-only.
        let scratch = vethlab::sys::scratch::Scratch::new()?;
        let tmp = scratch.path().to_path_buf();
        if self.checks_only {
            let checks = checks_figure(self.reps, labs)?;
            self.write_json(&serde_json::json!({ "checks": checks }))?;
            return Ok(ExitCode::SUCCESS);
        }
        let loader = self.loader(&tmp)?;
        if self.loader_only {
            self.write_json(&serde_json::json!({ "loader": loader }))?;
            return Ok(ExitCode::SUCCESS);
        }
        bench::prepare()?;
        let churn = self.churn()?;
        if self.churn_only {
            self.write_json(&serde_json::json!({ "churn": churn }))?;
            return Ok(ExitCode::SUCCESS);
        }
        eprint!("  suite …\r");
        let all = vethlab::lab::catalog::load_all(&labs.dir()?)?;
        let suite = bench::suite(&all);
        say!(
            "\nSuite: {} steps of {} labs in parallel: {:.0} ms wall ({} failed)",
            suite.steps,
            all.len(),
            suite.wall_ms,
            suite.failed
        );
        for (l, ms) in &suite.per_lab_ms {
            say!("  {l:<12} {ms:>6.0} ms alone");
        }
        let scale = self.scale(&tmp)?;
        let checks = checks_figure(self.reps, labs)?;
        let b = Bench {
            loader,
            churn,
            suite,
            scale,
        };
        let mut v = serde_json::to_value(&b).unwrap_or_default();
        v["checks"] = serde_json::to_value(&checks).unwrap_or_default();
        self.write_json(&v)?;
        Ok(ExitCode::SUCCESS)
    }

    /// The churn table: each pod count, the three methods.
    fn churn(&self) -> Result<Vec<bench::Churn>> {
        let mut churn = vec![];
        say!("Pod churn: build N pods on one node (veth, /32, routes, up), tear down until freed");
        say!(
            "{:>5}  {:>14}  {:>14}  {:>14}  {:>10}  {:>10}",
            "N",
            "vethlab µs/pod",
            "ip script",
            "floor",
            "ip/vethlab",
            "vethlab/floor"
        );
        for &n in &self.pods {
            eprint!("  churn N={n} …\r");
            let c = bench::churn(n, self.reps.max(1))?;
            say!(
                "{:>5}  {:>14.0}  {:>14.0}  {:>14.0}  {:>9.1}×  {:>12.2}×",
                c.n,
                c.vethlab_us_per_pod,
                c.iproute2_us_per_pod,
                c.floor_us_per_pod,
                c.ratio_vs_iproute2,
                c.ratio_vs_floor
            );
            churn.push(c);
        }
        Ok(churn)
    }

    /// Calico at 2 × K pods, for each K.
    fn scale(&self, tmp: &std::path::Path) -> Result<Vec<bench::Scale>> {
        say!("\nCalico direct routing, 2 nodes × K pods: build, ping 10 pod pairs across nodes, tear down");
        let mut scale = vec![];
        for &k in &self.calico {
            eprint!("  calico K={k} …\r");
            let s = bench::scale(k, 10, tmp)?;
            say!(
                "  2 × {:<4} {:>8.0} ms  {:>6.0} µs/pod",
                k,
                s.ms,
                s.us_per_pod
            );
            scale.push(s);
        }
        Ok(scale)
    }
}

/// `vethlab check` per step, median and maximum: printed, and returned for the JSON.
fn checks_figure(
    reps: usize,
    labs: &vethlab::lab::catalog::Labs,
) -> Result<Vec<vethlab::tools::bench_check::CheckTime>> {
    say!(
        "\nvethlab check on each solved step ({} rounds): median, max",
        reps.max(1)
    );
    let labs = vethlab::lab::catalog::load_all(&labs.dir()?)?;
    let checks = vethlab::tools::bench_check::checks(&labs, reps)?;
    for c in &checks {
        say!(
            "  {:<40} {:>7.1} ms  {:>7.1} ms   before the task {:>7.1} ms  {:>7.1} ms{}",
            format!("{}/{}", c.lab, c.step),
            c.median_ms,
            c.max_ms,
            c.fail_median_ms,
            c.fail_max_ms,
            if c.passed { "" } else { "  (FAILED)" }
        );
    }
    let worst = checks
        .iter()
        .map(|c| c.max_ms.max(c.fail_max_ms))
        .fold(0.0, f64::max);
    say!("  slowest check: {worst:.0} ms (promise: under 2000 ms)");
    Ok(checks)
}
