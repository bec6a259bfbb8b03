//! `kubectl runai-gateway snapshot`: what `status` reads from the live cluster, as one document.
//!
//! The document is the very [`Snapshot`](runai_gateway_core::snapshot::Snapshot) a live `status`
//! diagnoses, so `status --from-file` on it gives the same report (for the same `--now`). It
//! holds parsed certificates and the verdict of the key comparison, never a private key, and of
//! the Helm releases only the chart and the settings this tool reads.

use clap::{Args, ValueEnum};

use crate::exit::Exit;
use crate::input::merged_input;
use crate::kube_args::{KubeArgs, RequestTimeout, parse_request_timeout};
use crate::output;
use crate::read::snapshot as collect;

/// `--help` examples.
pub const EXAMPLES: &str = "\
Examples:
  # Take a snapshot, diagnose it later or elsewhere (no cluster access needed then):
  kubectl runai-gateway snapshot --context prod > prod.yaml
  kubectl runai-gateway status --from-file prod.yaml

  # With DNS answers from a given server and HTTPS probes through the Gateway:
  kubectl runai-gateway snapshot --dns-server 10.0.0.2:53 --probe -o json > prod.json
";

/// `-o` of `snapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotOutput {
    /// One YAML document
    Yaml,
    /// One JSON document
    Json,
}

/// Arguments of `snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub input: crate::input::InputArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: SnapshotOutput,

    /// DNS server to ask, HOST:PORT [default: the system resolver]
    #[arg(long, value_name = "HOST:PORT")]
    pub dns_server: Option<String>,

    /// Also send an HTTPS request to each hostname through the Gateway's address
    #[arg(long)]
    pub probe: bool,

    /// With --probe, dial HOST:PORT instead of the Gateway's address on 443 (e.g. a port-forward)
    #[arg(long, value_name = "HOST:PORT", requires = "probe")]
    pub probe_address: Option<String>,

    /// Bound on the whole run (1s, 2m; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_request_timeout)]
    pub timeout: RequestTimeout,
}

/// Runs `snapshot`.
///
/// # Errors
/// Input errors and an unreachable cluster; failed reads are recorded in the snapshot.
pub fn run(args: &SnapshotArgs, no_color: bool) -> anyhow::Result<Exit> {
    let input = merged_input(&args.input)?;
    let options = collect::Options {
        kube: &args.kube,
        dns_server: args.dns_server.as_deref(),
        probe: args.probe,
        probe_address: args.probe_address.as_deref(),
        timeout: args.timeout.0,
        dns: true,
        watch_cache: true,
    };
    let snapshot = collect::live(&options, &input, output::stderr_color(no_color))?;
    let text = match args.output {
        SnapshotOutput::Json => runai_gateway_core::snapshot::to_json(&snapshot)?,
        SnapshotOutput::Yaml => runai_gateway_core::yaml::to_string(&snapshot)?,
    };
    output::print(&text)?;
    Ok(Exit::Success)
}
