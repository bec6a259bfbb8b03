//! `kubectl runai-gateway rollback`: back to Ingress, from any point of a migration.

use std::path::PathBuf;

use clap::Args;

use crate::apply::{DryRun, RollbackOptions};
use crate::exit::Exit;
use crate::input::InputArgs;
use crate::input::merged_input;
use crate::kube_args::{KubeArgs, RequestTimeout, parse_request_timeout};

/// Examples shown by `rollback --help`.
pub const EXAMPLES: &str = "\
Examples:
  # What would change:
  kubectl runai-gateway rollback --config runai-gateway.yaml --dry-run=client

  # Back to Ingress, then remove what apply created (after DNS points at the Ingress again):
  kubectl runai-gateway rollback --config runai-gateway.yaml --prune --yes

  # The same where external-dns moves the records: wait for them, then remove:
  kubectl runai-gateway rollback --config runai-gateway.yaml --prune --wait-dns --yes

Exit codes of rollback:
  0  rolled back (or nothing to do)
  3  invalid input, or no input and no state record to read it from; nothing was changed
  4  an input file cannot be read
  6  the cluster cannot be reached, or stopped answering before this run changed anything
  7  stopped at a manual step (helm absent, DNS not back on the Ingress), or something is not
     back as it was (listed)
  8  a write failed partway; the report lists what was done and the rollback to run again
  9  a permission is missing: every refused read and every missing write permission is
     listed at once; nothing was changed
  11 not confirmed (declined, or no terminal and no --yes); nothing was changed
  12 another run holds the lock (Lease runai-gateway-lock); nothing was changed
  rollback never exits 5, 10 or 13 (status's findings, apply's conflict, status's unknown
  phase); 1 and 2 are an unexpected failure and a usage error, as for every command
";

/// Arguments of `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    /// Delete the objects apply created (its label and field manager; never pre-existing ones)
    #[arg(long)]
    pub prune: bool,

    /// Show the changes without making them: `client` sends nothing, `server` sends every write with dryRun=All
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRun>,

    /// Show what would change, then stop
    #[arg(long)]
    pub diff: bool,

    /// Do not ask for confirmation (scripts)
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// The helm binary [default: helm on PATH]
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,

    /// Take over the lock (Lease runai-gateway-lock) a run that did not finish left behind, once it has expired
    #[arg(long)]
    pub force_unlock: bool,

    /// Poll DNS (every second, within --timeout) until every record is back on the Ingress, instead of checking once; with --prune, the deletions wait for it
    #[arg(long)]
    pub wait_dns: bool,

    /// DNS server to ask, HOST:PORT [default: the system resolver]
    #[arg(long, value_name = "HOST:PORT")]
    pub dns_server: Option<String>,

    /// Print one document at the end on stdout (the actions, how far the run got with each, the exit code, the command that continues); the report goes to stderr
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<crate::apply::result::RunOutput>,

    /// Bound on the whole run: every request and every helm run (1s, 2m; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_request_timeout)]
    pub timeout: RequestTimeout,
}

/// Runs `rollback`.
///
/// # Errors
/// Input errors and failed reads.
pub fn run(args: &RollbackArgs, _no_color: bool) -> anyhow::Result<Exit> {
    let input = merged_input(&args.input)?;
    let opts = RollbackOptions {
        kube: args.kube.clone(),
        input,
        prune: args.prune,
        dry_run: args.dry_run,
        diff: args.diff,
        yes: args.yes,
        helm: args.helm.clone(),
        dns_server: args.dns_server.clone(),
        output: args.output,
        timeout: args.timeout.0.unwrap_or(std::time::Duration::from_secs(300)),
        force_unlock: args.force_unlock,
        wait_dns: args.wait_dns,
    };
    crate::apply::settle(crate::apply::rollback(&opts))
}
