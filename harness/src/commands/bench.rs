use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use vethlab::bench::{self, Bench};
use vethlab::error::Result;

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
}

impl BenchCmd {
    /// Before the sandbox: where the figures go.
    pub fn register_outputs(&self) {
        if let Some(f) = &self.json {
            vethlab::outputs::register_file(f);
        }
    }

    pub fn exec(self) -> Result<ExitCode> {
        bench::prepare()?;
        let mut churn = vec![];
        println!(
            "Pod churn: build N pods on one node (veth, /32, routes, up), tear down until freed"
        );
        println!(
            "{:>5}  {:>14}  {:>14}  {:>14}  {:>10}  {:>10}",
            "N", "vethlab µs/pod", "ip script", "floor", "ip/vethlab", "vethlab/floor"
        );
        for &n in &self.pods {
            eprint!("  churn N={n} …\r");
            let c = bench::churn(n, self.reps.max(1))?;
            println!(
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
        eprint!("  suite …\r");
        let labs = vethlab::labs::load_all(&vethlab::labs::labs_dir())?;
        let suite = bench::suite(&labs);
        println!(
            "\nSuite: {} steps of {} labs in parallel: {:.0} ms wall ({} failed)",
            suite.steps,
            labs.len(),
            suite.wall_ms,
            suite.failed
        );
        for (l, ms) in &suite.per_lab_ms {
            println!("  {l:<12} {ms:>6.0} ms alone");
        }
        // The generated lab files live in the run's scratch: the host is read-only.
        let scratch = vethlab::scratch::Scratch::new()?;
        let tmp = scratch.path().to_path_buf();
        println!("\nCalico direct routing, 2 nodes × K pods: build, ping 10 pod pairs across nodes, tear down");
        let mut scale = vec![];
        for &k in &self.calico {
            eprint!("  calico K={k} …\r");
            let s = bench::scale(k, 10, &tmp);
            let s = s?;
            println!(
                "  2 × {:<4} {:>8.0} ms  {:>6.0} µs/pod",
                k, s.ms, s.us_per_pod
            );
            scale.push(s);
        }
        let b = Bench {
            churn,
            suite,
            scale,
        };
        if let Some(p) = &self.json {
            vethlab::outputs::write(
                p,
                serde_json::to_string_pretty(&b)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
