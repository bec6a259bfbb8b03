//! Command-line interface: every flag, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use runai_gateway_core::spec::{
    AllowedRoutesInput, ControlPlaneLocation, Controller, GatewayInput, InferenceInput, KnativeInput,
    Platform, ReleaseInput, RouteNamespaces, RoutingMode, RunaiInput, SpecInput, TlsInput,
};

use crate::exit::EXIT_CODES_HELP;

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
";

/// `-o` of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusOutput {
    /// Grouped by category: terse when all is well, detailed when not
    Table,
    /// One JSON document (schema: docs/report.schema.json)
    Json,
    /// One YAML document, same content as JSON
    Yaml,
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

    /// Print the catalog of checks and exit
    #[arg(long)]
    pub list_checks: bool,

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
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: RenderOutput,

    /// Fit `-o plan` to N columns (0: no limit) [default: the terminal's width; no limit when
    /// piped]
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
}

fn parse_routes(s: &str) -> Result<RouteNamespaces, String> {
    RouteNamespaces::parse_flag(s)
}

/// The desired routing, shared by every command that needs it. Flags override `--config`.
#[derive(Debug, Args, Default)]
pub struct InputArgs {
    /// YAML config file (see examples/runai-gateway.yaml); flags override its fields
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub config: Option<PathBuf>,

    /// Use the bundled example config (runai.example.com) instead of a file
    #[arg(long, conflicts_with = "config", help_heading = "Input")]
    pub example: bool,

    /// Control-plane FQDN, e.g. runai.example.com
    #[arg(long, value_name = "FQDN", help_heading = "Routing")]
    pub cluster_domain: Option<String>,

    /// Workspaces and training: wildcard subdomains (host) or paths under the cluster domain (path)
    #[arg(long, value_enum, help_heading = "Routing")]
    pub routing_mode: Option<RoutingModeArg>,

    /// Wildcard inference domain without `*.` [default: runai-inference.<parent of cluster domain>]
    #[arg(long, value_name = "FQDN", help_heading = "Routing")]
    pub inference_domain: Option<String>,

    /// Do not route inference (Knative) traffic through the Gateway
    #[arg(long, conflicts_with = "inference_domain", help_heading = "Routing")]
    pub no_inference: bool,

    /// Kubernetes distribution [default: kubernetes]
    #[arg(long, value_enum, help_heading = "Routing")]
    pub platform: Option<PlatformArg>,

    /// Gateway name [default: runai-gateway]
    #[arg(long, value_name = "NAME", help_heading = "Gateway")]
    pub gateway_name: Option<String>,

    /// Gateway namespace [default: runai]
    #[arg(long, value_name = "NAMESPACE", help_heading = "Gateway")]
    pub gateway_namespace: Option<String>,

    /// GatewayClass [default: the controller's, e.g. kgateway]
    #[arg(long, value_name = "NAME", help_heading = "Gateway")]
    pub gateway_class: Option<String>,

    /// Gateway API implementation, which decides controller-specific extras [default: kgateway]
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(Controller::ALL.map(Controller::as_str)), help_heading = "Gateway")]
    pub controller: Option<String>,

    /// Leave out the port-80 listener that redirects to HTTPS
    #[arg(long, help_heading = "Gateway")]
    pub no_http_redirect: bool,

    /// Leave out the WebSocket policy (kgateway turns WebSocket upgrades off by default)
    #[arg(long, help_heading = "Gateway")]
    pub no_websockets: bool,

    /// Routes allowed on the control-plane listener: all, same, ns:A,B or label:KEY[=VALUE]
    #[arg(long, value_name = "POLICY", value_parser = parse_routes, help_heading = "Gateway")]
    pub control_plane_routes: Option<RouteNamespaces>,

    /// Routes allowed on the workloads listener [default: label:runai/queue]
    #[arg(long, value_name = "POLICY", value_parser = parse_routes, help_heading = "Gateway")]
    pub workload_routes: Option<RouteNamespaces>,

    /// Routes allowed on the inference listener [default: ns:knative-serving]
    #[arg(long, value_name = "POLICY", value_parser = parse_routes, help_heading = "Gateway")]
    pub inference_routes: Option<RouteNamespaces>,

    /// Secret of the control-plane listener [default: runai-cluster-domain-tls-secret]
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub cluster_domain_secret: Option<String>,

    /// Secret of the workloads listener [default: runai-cluster-domain-star-tls-secret]
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub workloads_secret: Option<String>,

    /// Secret of the inference listener [default: runai-cluster-inference-tls-secret]
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub inference_secret: Option<String>,

    /// Knative Serving namespace [default: knative-serving]
    #[arg(long, value_name = "NAMESPACE", help_heading = "Knative")]
    pub knative_namespace: Option<String>,

    /// Kourier Service [default: kourier]
    #[arg(long, value_name = "NAME", help_heading = "Knative")]
    pub kourier_service: Option<String>,

    /// Kourier port [default: 80]
    #[arg(long, value_name = "PORT", help_heading = "Knative")]
    pub kourier_port: Option<u16>,

    /// Where the Run:ai control plane runs [default: same-cluster]
    #[arg(long, value_enum, help_heading = "Run:ai")]
    pub control_plane: Option<ControlPlaneArg>,

    /// kube context of a control plane in another cluster (implies --control-plane remote)
    #[arg(long, value_name = "CONTEXT", help_heading = "Run:ai")]
    pub control_plane_context: Option<String>,

    /// Control-plane Helm release [default: runai-backend]
    #[arg(long, value_name = "NAME", help_heading = "Run:ai")]
    pub backend_release: Option<String>,
    /// Control-plane release namespace [default: runai-backend]
    #[arg(long, value_name = "NAMESPACE", help_heading = "Run:ai")]
    pub backend_namespace: Option<String>,
    /// Control-plane chart [default: runai-backend/control-plane]
    #[arg(long, value_name = "CHART", help_heading = "Run:ai")]
    pub backend_chart: Option<String>,
    /// Deployed control-plane chart version, pinned on every upgrade
    #[arg(long, value_name = "VERSION", help_heading = "Run:ai")]
    pub backend_chart_version: Option<String>,

    /// Cluster Helm release [default: runai-cluster]
    #[arg(long, value_name = "NAME", help_heading = "Run:ai")]
    pub cluster_release: Option<String>,
    /// Cluster release namespace [default: runai]
    #[arg(long, value_name = "NAMESPACE", help_heading = "Run:ai")]
    pub cluster_namespace: Option<String>,
    /// Cluster chart [default: runai/runai-cluster]
    #[arg(long, value_name = "CHART", help_heading = "Run:ai")]
    pub cluster_chart: Option<String>,
    /// Deployed cluster chart version, pinned on every upgrade
    #[arg(long, value_name = "VERSION", help_heading = "Run:ai")]
    pub cluster_chart_version: Option<String>,
}

/// `--routing-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoutingModeArg {
    /// Wildcard subdomains per workload
    Host,
    /// Paths under the cluster domain
    Path,
}

/// `--platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    /// Upstream Kubernetes
    Kubernetes,
    /// Red Hat OpenShift
    Openshift,
}

/// `--control-plane`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ControlPlaneArg {
    /// Self-hosted in this cluster
    SameCluster,
    /// Self-hosted in another cluster
    Remote,
    /// NVIDIA-hosted (only the cluster side is configured)
    Saas,
}

impl InputArgs {
    /// The flags as an input layer (only what was given).
    #[must_use]
    pub fn to_input(&self) -> SpecInput {
        let inference = InferenceInput {
            enabled: self.no_inference.then_some(false),
            domain: self.inference_domain.clone(),
        };
        let gateway = GatewayInput {
            name: self.gateway_name.clone(),
            namespace: self.gateway_namespace.clone(),
            class_name: self.gateway_class.clone(),
            controller: self.controller.as_deref().and_then(|c| c.parse().ok()),
            http_redirect: self.no_http_redirect.then_some(false),
            websockets: self.no_websockets.then_some(false),
        };
        let tls = TlsInput {
            cluster_domain_secret: self.cluster_domain_secret.clone(),
            workloads_secret: self.workloads_secret.clone(),
            inference_secret: self.inference_secret.clone(),
        };
        let allowed = AllowedRoutesInput {
            control_plane: self.control_plane_routes.clone(),
            workloads: self.workload_routes.clone(),
            inference: self.inference_routes.clone(),
        };
        let knative = KnativeInput {
            namespace: self.knative_namespace.clone(),
            kourier_service: self.kourier_service.clone(),
            kourier_port: self.kourier_port,
        };
        let backend = ReleaseInput {
            release: self.backend_release.clone(),
            namespace: self.backend_namespace.clone(),
            chart: self.backend_chart.clone(),
            chart_version: self.backend_chart_version.clone(),
        };
        let cluster = ReleaseInput {
            release: self.cluster_release.clone(),
            namespace: self.cluster_namespace.clone(),
            chart: self.cluster_chart.clone(),
            chart_version: self.cluster_chart_version.clone(),
        };
        let runai = RunaiInput {
            control_plane: self.control_plane.map(|c| match c {
                ControlPlaneArg::SameCluster => ControlPlaneLocation::SameCluster,
                ControlPlaneArg::Remote => ControlPlaneLocation::Remote,
                ControlPlaneArg::Saas => ControlPlaneLocation::Saas,
            }),
            control_plane_context: self.control_plane_context.clone(),
            backend: (backend != ReleaseInput::default()).then_some(backend),
            cluster: (cluster != ReleaseInput::default()).then_some(cluster),
        };
        SpecInput {
            api_version: None,
            kind: None,
            cluster_domain: self.cluster_domain.clone(),
            routing_mode: self.routing_mode.map(|m| match m {
                RoutingModeArg::Host => RoutingMode::Host,
                RoutingModeArg::Path => RoutingMode::Path,
            }),
            platform: self.platform.map(|p| match p {
                PlatformArg::Kubernetes => Platform::Kubernetes,
                PlatformArg::Openshift => Platform::Openshift,
            }),
            inference: (inference != InferenceInput::default()).then_some(inference),
            gateway: (gateway != GatewayInput::default()).then_some(gateway),
            tls: (tls != TlsInput::default()).then_some(tls),
            allowed_routes: (allowed != AllowedRoutesInput::default()).then_some(allowed),
            knative: (knative != KnativeInput::default()).then_some(knative),
            runai: (runai != RunaiInput::default()).then_some(runai),
        }
    }
}
