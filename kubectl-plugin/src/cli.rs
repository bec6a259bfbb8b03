//! Command-line interface: every flag, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;
use crate::input::InputArgs;

/// `--version`: the crate version and the git commit it was built from (see `build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("RUNAI_GATEWAY_COMMIT"), ")");

/// Move NVIDIA Run:ai from Ingress to the Kubernetes Gateway API, safely, and back.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-runai_gateway",
    bin_name = "kubectl runai-gateway",
    version = VERSION,
    about,
    after_help = EXIT_CODES_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// Never colour the output (also: the `NO_COLOR` environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the Gateway API configuration, Helm settings, DNS records and steps (no cluster needed)
    #[command(after_help = RENDER_EXAMPLES)]
    Render(RenderArgs),

    /// Diagnose where the migration stands and what is wrong, live or from a snapshot file
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),

    /// Write what `status` reads from the live cluster, as a file `status --from-file` diagnoses
    #[command(after_help = crate::commands::snapshot::EXAMPLES)]
    Snapshot(crate::commands::snapshot::SnapshotArgs),

    /// Carry out the migration phase by phase; re-running continues where it stopped
    #[command(after_help = crate::commands::apply::EXAMPLES)]
    Apply(crate::commands::apply::ApplyArgs),

    /// Back to Ingress from any point of a migration (Helm, KnativeServing, DNS, --prune)
    #[command(after_help = crate::commands::rollback::EXAMPLES)]
    Rollback(crate::commands::rollback::RollbackArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell)
    #[command(after_help = crate::commands::completion::EXAMPLES)]
    Completion(crate::commands::completion::CompletionArgs),

    /// Print the client version and, when a cluster is reachable, the versions the migration depends on
    #[command(after_help = crate::commands::version::EXAMPLES)]
    Version(crate::commands::version::VersionArgs),

    /// Completion candidates for kubectl's plugin completion (run by `kubectl_complete-runai_gateway`)
    #[command(name = "__complete", hide = true)]
    Complete(crate::commands::complete::CompleteArgs),
}

const STATUS_EXAMPLES: &str = "\
Examples:
  # Where does this cluster stand, and what is next?
  kubectl runai-gateway status --context prod

  # Offline, from a snapshot taken earlier (or a `kubectl get ... -o yaml` List):
  kubectl runai-gateway status --from-file snapshot.yaml

  # For scripts and monitoring: JSON, fail on warnings too:
  kubectl runai-gateway status -o json --fail-on warning

  # Every check, with its ID, category and severity:
  kubectl runai-gateway status --list-checks

  # A fleet: several clusters at once, a summary row each, then each cluster's findings:
  kubectl runai-gateway status --context eu --context us
  kubectl runai-gateway status --all-contexts -o json

  # Watch the DNS cut-over: redrawn every 10s, ends when DNS points at the Gateway:
  kubectl runai-gateway status --watch --until dns-switched

  # In a log or a script: the first report, then one line per change:
  kubectl runai-gateway status --watch --interval 30s --until healthy | tee watch.log

Exit codes of status:
  0  read and judged; no finding at or above --fail-on
  3  invalid input (or an invalid --from-file snapshot)
  4  an input file or snapshot cannot be read
  5  findings at or above --fail-on (default: error)
  6  the cluster cannot be reached, or a connection to it was lost during the reads
  13 the phase is unknown: a read it depends on was forbidden or failed (each named, with the
     permission it needs), or the input cannot be completed for want of those reads
  as for every command, 1 is an unexpected failure and 2 a usage error
";

/// `-o` of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusOutput {
    /// Grouped by category: terse when all is well, detailed when not
    Table,
    /// The table, and every skipped check with its reason
    Wide,
    /// One JSON document (schema: docs/report.schema.json)
    Json,
    /// One YAML document, same content as JSON
    Yaml,
    /// A change ticket in Markdown, to paste into a GitHub issue or a Jira ticket
    Markdown,
    /// A change ticket as one self-contained HTML page (inline CSS, no script, no requests)
    Html,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 5 on any warning or error
    Warning,
    /// Exit 5 on errors only
    Error,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub kube: crate::kube_args::KubeArgs,

    /// Diagnose a snapshot file instead of the live cluster
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: StatusOutput,

    /// Lowest severity that makes the exit code 5
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,

    /// Print the catalog of checks and exit (`-o json|yaml` as data)
    #[arg(long)]
    pub list_checks: bool,

    /// Read every context of the kubeconfig, concurrently: a summary row each, then each report
    #[arg(long, conflicts_with = "from_file")]
    pub all_contexts: bool,

    /// With the table: also list every skipped check with its reason (as `-o wide`)
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// DNS server to ask, HOST:PORT [default: the system resolver]
    #[arg(long, value_name = "HOST:PORT")]
    pub dns_server: Option<String>,

    /// Also send an HTTPS request to each hostname through the Gateway's address
    #[arg(long)]
    pub probe: bool,

    /// With --probe, dial HOST:PORT instead of the Gateway's address on 443 (e.g. a port-forward)
    #[arg(long, value_name = "HOST:PORT", requires = "probe")]
    pub probe_address: Option<String>,

    /// Also write the snapshot this run diagnosed to FILE (YAML), for `status --from-file` later
    #[arg(long, value_name = "FILE", conflicts_with = "from_file")]
    pub save_snapshot: Option<PathBuf>,

    /// Bound on the whole run (1s, 2m; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::kube_args::parse_request_timeout)]
    pub timeout: crate::kube_args::RequestTimeout,

    /// Evaluate certificates at this Unix time instead of now (reproducible reports)
    #[arg(long, value_name = "UNIX_SECONDS", hide = true)]
    pub now: Option<i64>,

    /// Fit the table to N columns (0: no limit) [default: the terminal's width; no limit when
    /// piped]
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,

    /// Re-read and re-judge the cluster every --interval until --until is reached or Ctrl-C:
    /// redrawn in place on a terminal; piped, the first report and then one line per change
    /// (`-o json`: one report per line, for each round that changed). Ctrl-C ends it with the
    /// exit code of the last round. Not with --from-file, several contexts, --save-snapshot,
    /// --list-checks, or -o yaml|markdown|html
    #[arg(short = 'w', long, help_heading = "Watch")]
    pub watch: bool,

    /// With --watch: how often a round starts (500ms, 10s, 1m; a bare number is seconds; not 0)
    #[arg(long, value_name = "DURATION", default_value = "10s", requires = "watch",
        value_parser = crate::commands::watch::parse_interval, help_heading = "Watch")]
    pub interval: std::time::Duration,

    /// With --watch: end when the migration reaches this phase, or `healthy` (no error findings),
    /// with that round's exit code
    #[arg(long, value_name = "PHASE|healthy", requires = "watch",
        value_parser = crate::commands::watch::until_parser(), help_heading = "Watch")]
    pub until: Option<runai_gateway_core::checks::changes::Target>,
}

const RENDER_EXAMPLES: &str = "\
Examples:
  # Everything for runai.example.com, host-based routing, as YAML for kubectl:
  kubectl runai-gateway render --cluster-domain runai.example.com

  # The human summary of the bundled example:
  kubectl runai-gateway render --example -o plan

  # Path-based routing, no inference, from a config file with one override:
  kubectl runai-gateway render --config runai-gateway.yaml --routing-mode path --no-inference

  # The whole migration as a script that stops before the DNS switch:
  kubectl runai-gateway render --config runai-gateway.yaml -o helm > migrate.sh
";

/// `-o` of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderOutput {
    /// Multi-document YAML for `kubectl apply --server-side -f -`
    Yaml,
    /// One JSON document with the whole plan
    Json,
    /// The Helm and kubectl commands as a bash script, one function per step
    Helm,
    /// A human summary: listeners, secrets, DNS records and the numbered steps
    Plan,
    /// A change ticket in Markdown: the plan, objects, commands, DNS records and rollback steps
    Markdown,
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: RenderOutput,

    #[command(flatten)]
    pub no_cluster: crate::kube_args::NoClusterArgs,

    /// Fit `-o plan` to N columns (0: no limit) [default: the terminal's width; no limit when
    /// piped]
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
}
