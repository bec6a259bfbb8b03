//! `kubectl runai-gateway apply`: the migration, phase by phase, safe to re-run.

use std::path::PathBuf;

use clap::Args;

use runai_gateway_core::Stage;

use crate::apply::{ApplyOptions, DryRun};
use crate::exit::Exit;
use crate::input::InputArgs;
use crate::input::{InputError, merged_input};
use crate::kube_args::{KubeArgs, RequestTimeout, parse_request_timeout};

/// Examples shown by `apply --help`.
pub const EXAMPLES: &str = "\
Examples:
  # See every change first, touching nothing:
  kubectl runai-gateway apply --config runai-gateway.yaml --dry-run=client

  # Field by field against the live objects:
  kubectl runai-gateway apply --config runai-gateway.yaml --diff

  # Run up to the DNS switch, waiting for the Gateway; re-run after changing DNS:
  kubectl runai-gateway apply --config runai-gateway.yaml --wait --timeout 10m

  # One phase only, no prompt (scripts):
  kubectl runai-gateway apply --config runai-gateway.yaml --phase prepare --yes

Phases: preflight, prepare, introduce, verify, switch-dns, disable-ingress. A run stops at the
first phase that needs a human (helm absent, DNS not switched, Gateway not ready) or fails, and
prints the command that continues. Roll back with `kubectl runai-gateway rollback`.

Exit codes of apply:
  0  done (or nothing to do)
  3  invalid input; nothing was changed
  4  an input file cannot be read
  6  the cluster cannot be reached, or stopped answering before this run changed anything
  7  stopped at a manual step (helm absent, DNS not switched, the Gateway not ready)
  8  a write failed partway; the report lists what was applied
  9  preflight refused: a prerequisite or permission missing (every refused read and missing
     permission listed at once), or an object this tool did not make without --adopt
  10 server-side apply conflict with another field manager (see --force-conflicts)
  11 not confirmed (declined, or no terminal and no --yes); nothing was changed
  12 another run holds the lock (Lease runai-gateway-lock); nothing was changed
  apply never exits 5 or 13 (status's); 1 and 2 are an unexpected failure and a usage error
";

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    /// Run only this phase
    #[arg(long, value_name = "NAME", value_parser = stage_parser())]
    pub phase: Option<Stage>,

    /// Show the changes without making them: `client` sends nothing, `server` sends every write with dryRun=All
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRun>,

    /// Show field by field what would change against the live objects, then stop
    #[arg(long)]
    pub diff: bool,

    /// Do not ask for confirmation (scripts)
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// The helm binary [default: helm on PATH]
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,

    /// Take over fields another field manager owns (server-side apply `force`)
    #[arg(long)]
    pub force_conflicts: bool,

    /// Write existing objects this tool did not make (another team's Gateway, one made by hand): each is kept as it was in the state record, and rollback restores it
    #[arg(long)]
    pub adopt: bool,

    /// Wait until the Gateway is programmed and its routes accepted (bounded by --timeout)
    #[arg(long)]
    pub wait: bool,

    /// Bound on the whole run: every request, every wait (--wait, --wait-dns) and every helm run (1s, 2m; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_request_timeout)]
    pub timeout: RequestTimeout,

    /// Poll DNS until every record resolves to the Gateway (bounded by --timeout)
    #[arg(long)]
    pub wait_dns: bool,

    /// Turn Ingress off even though DNS does not resolve to the Gateway yet
    #[arg(long)]
    pub force: bool,

    /// Delete the Ingresses made by hand once Ingress is off (kept in the state record for rollback)
    #[arg(long)]
    pub prune_ingress: bool,

    /// Take over the lock (Lease runai-gateway-lock) a run that did not finish left behind, once it has expired
    #[arg(long)]
    pub force_unlock: bool,

    /// DNS server to ask, HOST:PORT [default: the system resolver]
    #[arg(long, value_name = "HOST:PORT")]
    pub dns_server: Option<String>,

    /// Print one document at the end on stdout (the actions, how far the run got with each, the exit code, the command that continues); the report goes to stderr
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<crate::apply::result::RunOutput>,

    /// In verify, skip the HTTPS request to each hostname through the Gateway (when this machine cannot reach its address)
    #[arg(long)]
    pub no_probe: bool,

    /// In verify, dial HOST:PORT instead of the Gateway's address on 443 (e.g. a port-forward)
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "no_probe")]
    pub probe_address: Option<String>,
}

/// `--phase`: the core's stages, each with its summary in `--help`.
fn stage_parser() -> impl clap::builder::TypedValueParser<Value = Stage> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _};
    PossibleValuesParser::new(Stage::ALL.map(|s| PossibleValue::new(s.as_str()).help(s.summary())))
        .try_map(|s| s.parse::<Stage>())
}

/// Runs `apply`.
///
/// # Errors
/// Input errors and failed reads.
pub fn run(args: &ApplyArgs, _no_color: bool) -> anyhow::Result<Exit> {
    let input = merged_input(&args.input)?;
    let spec = input.resolve().map_err(InputError::from)?;
    let opts = ApplyOptions {
        kube: args.kube.clone(),
        input,
        phase: args.phase,
        dry_run: args.dry_run,
        diff: args.diff,
        yes: args.yes,
        helm: args.helm.clone(),
        force_conflicts: args.force_conflicts,
        adopt: args.adopt,
        force_unlock: args.force_unlock,
        wait: args.wait,
        timeout: args.timeout.0.unwrap_or(std::time::Duration::from_secs(300)),
        wait_dns: args.wait_dns,
        force: args.force,
        prune_ingress: args.prune_ingress,
        dns_server: args.dns_server.clone(),
        output: args.output,
        probe: !args.no_probe,
        probe_address: args.probe_address.clone(),
    };
    crate::apply::settle(crate::apply::apply(&opts, &spec))
}
