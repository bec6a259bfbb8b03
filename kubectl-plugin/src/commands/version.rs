//! `kubectl runai-gateway version`: this client, and what the cluster runs that the migration
//! depends on: Kubernetes, the Gateway API CRD bundle, the Gateway controller, Run:ai's charts.

use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Client;
use kube::api::{Api, ListParams};
use runai_gateway_core::snapshot::Snapshot;
use runai_gateway_core::spec::SpecInput;
use serde::Serialize;

use crate::exit::Exit;
use crate::kube_args::{KubeArgs, RequestTimeout, client_config, error_chain, parse_request_timeout};
use crate::output;

/// Version of the `-o json` document.
pub const VERSION_SCHEMA: &str = "runai-gateway.version/v1";

/// `--help` examples.
pub const EXAMPLES: &str = "\
Examples:
  # This client, and the versions on the current context's cluster:
  kubectl runai-gateway version

  # This client only, no cluster read:
  kubectl runai-gateway version --client

  # For a support ticket or a script:
  kubectl runai-gateway version --context prod -o json

The Gateway API version is the `gateway.networking.k8s.io/bundle-version` and `channel`
annotations of the installed CRDs; the controller's version is the image tag of its Deployment.
An unreachable cluster prints the client version, then the reason, and exits 6.";

/// `-o` of `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionOutput {
    /// Aligned `Name: value` lines
    Text,
    /// One JSON document
    Json,
    /// One YAML document
    Yaml,
}

/// Arguments of `version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    #[command(flatten)]
    pub kube: KubeArgs,

    /// Print the client version only; read no cluster
    #[arg(long)]
    pub client: bool,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub output: VersionOutput,

    /// Bound on the cluster reads (1s, 2m; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_request_timeout)]
    pub timeout: RequestTimeout,
}

/// The `version` document.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Versions {
    /// [`VERSION_SCHEMA`].
    pub schema: &'static str,
    /// This executable.
    pub client: ClientVersion,
    /// What the cluster runs; absent with `--client` or when it cannot be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerVersions>,
    /// Why the cluster could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_error: Option<String>,
}

/// This executable's version and the commit it was built from.
#[derive(Debug, Default, Serialize)]
pub struct ClientVersion {
    /// The crate version.
    pub version: &'static str,
    /// The git commit.
    pub commit: &'static str,
}

/// What the cluster runs.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerVersions {
    /// The kubeconfig context read.
    pub context: Option<String>,
    /// The API server's `gitVersion`.
    pub kubernetes: String,
    /// The Gateway API CRDs, when installed.
    pub gateway_api: Option<GatewayApi>,
    /// One entry per controller named by a GatewayClass.
    pub gateway_controllers: Vec<ControllerVersion>,
    /// The Run:ai control-plane release, when found in this cluster.
    pub runai_control_plane: Option<ChartVersion>,
    /// The Run:ai cluster release, when found.
    pub runai_cluster: Option<ChartVersion>,
}

/// The Gateway API CRD bundle.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayApi {
    /// `gateway.networking.k8s.io/bundle-version`.
    pub bundle_version: Option<String>,
    /// `gateway.networking.k8s.io/channel` (`standard`, `experimental`).
    pub channel: Option<String>,
}

/// A Gateway controller.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerVersion {
    /// The GatewayClasses' `spec.controllerName`.
    pub controller_name: String,
    /// The GatewayClasses naming it.
    pub gateway_classes: Vec<String>,
    /// `namespace/name` of its Deployment, when found.
    pub deployment: Option<String>,
    /// The image tag of that Deployment's first container.
    pub version: Option<String>,
}

/// A Helm release of a Run:ai chart.
#[derive(Debug, Default, Serialize)]
pub struct ChartVersion {
    /// `namespace/name` of the release.
    pub release: String,
    /// The chart's name.
    pub chart: String,
    /// The chart's version.
    pub version: String,
}

/// Runs `version`.
///
/// # Errors
/// Writing stdout; an unreachable cluster is reported in the output and exit 6.
pub fn run(args: &VersionArgs, no_color: bool) -> anyhow::Result<Exit> {
    let mut doc = Versions {
        schema: VERSION_SCHEMA,
        client: ClientVersion { version: env!("CARGO_PKG_VERSION"), commit: env!("RUNAI_GATEWAY_COMMIT") },
        ..Versions::default()
    };
    if !args.client {
        match read(&args.kube, args.timeout.0, no_color) {
            Ok(server) => doc.server = Some(server),
            Err(e) => doc.server_error = Some(e),
        }
    }
    let text = match args.output {
        VersionOutput::Text => text(&doc),
        VersionOutput::Json => {
            let mut s = serde_json::to_string_pretty(&doc).context("serialising the versions")?;
            s.push('\n');
            s
        }
        VersionOutput::Yaml => runai_gateway_core::yaml::to_string(&doc)?,
    };
    output::print(&text)?;
    if let Some(e) = &doc.server_error {
        if args.output == VersionOutput::Text {
            output::error(&anyhow::anyhow!("cannot reach the cluster: {e}"), output::stderr_color(no_color));
        }
        return Ok(Exit::Unreachable);
    }
    Ok(Exit::Success)
}

fn text(doc: &Versions) -> String {
    let mut rows = vec![("Client Version", format!("{} (commit {})", doc.client.version, doc.client.commit))];
    if let Some(s) = &doc.server {
        if let Some(c) = &s.context {
            rows.push(("Context", c.clone()));
        }
        rows.push(("Server Version", s.kubernetes.clone()));
        rows.push((
            "Gateway API",
            match &s.gateway_api {
                None => "not installed (no gateway.networking.k8s.io CRDs)".to_owned(),
                Some(g) => format!(
                    "{} ({} channel)",
                    g.bundle_version.as_deref().unwrap_or("unknown bundle version"),
                    g.channel.as_deref().unwrap_or("unknown")
                ),
            },
        ));
        if s.gateway_controllers.is_empty() {
            rows.push(("Gateway Controller", "none (no GatewayClass)".to_owned()));
        }
        for c in &s.gateway_controllers {
            let version = match (&c.version, &c.deployment) {
                (Some(v), Some(d)) => format!("{v} (Deployment {d})"),
                _ => "version unknown (no Deployment of it found)".to_owned(),
            };
            rows.push((
                "Gateway Controller",
                format!("{} {version}; GatewayClass {}", c.controller_name, c.gateway_classes.join(", ")),
            ));
        }
        let chart = |c: &Option<ChartVersion>| match c {
            Some(c) => format!("{} {} (release {})", c.chart, c.version, c.release),
            None => "not found in this cluster".to_owned(),
        };
        rows.push(("Run:ai Control Plane", chart(&s.runai_control_plane)));
        rows.push(("Run:ai Cluster", chart(&s.runai_cluster)));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{:width$}  {v}\n", format!("{k}:"), width = width + 1)).collect()
}

/// Reads the server's versions; the error is the reason in one line.
fn read(kube: &KubeArgs, timeout: Option<Duration>, no_color: bool) -> Result<ServerVersions, String> {
    let runtime = crate::runtime::get()?;
    let bound = timeout.unwrap_or(Duration::MAX);
    let (kubernetes, context, deployments) = runtime.block_on(async {
        tokio::time::timeout(bound, server_basics(kube))
            .await
            .map_err(|_| format!("no answer within {}", seconds(bound)))?
    })?;
    // The CRDs, GatewayClasses and Helm releases as `status` reads them.
    let options = crate::read::snapshot::Options {
        kube,
        dns_server: None,
        probe: false,
        probe_address: None,
        timeout,
        dns: false,
        watch_cache: false,
    };
    let snapshot =
        crate::read::snapshot::live(&options, &SpecInput::default(), output::stderr_color(no_color))
            .map_err(|e| e.to_string())?;
    Ok(from_snapshot(&snapshot, kubernetes, context, &deployments))
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

/// `/version`, the context's name and every Deployment's `namespace/name` and first image.
async fn server_basics(kube: &KubeArgs) -> Result<(String, Option<String>, Vec<(String, String)>), String> {
    let (config, context) = client_config(kube, None).await?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| format!("{server}: {}", error_chain(&e)))?;
    let info = client.apiserver_version().await.map_err(|e| format!("{server}: {}", error_chain(&e)))?;
    let api: Api<Deployment> = Api::all(client);
    let mut deployments = Vec::new();
    let mut params = ListParams::default().limit(500);
    // A caller who may not list Deployments still gets every other version.
    while let Ok(page) = api.list(&params).await {
        for d in &page.items {
            let image = d
                .spec
                .as_ref()
                .and_then(|s| s.template.spec.as_ref())
                .and_then(|s| s.containers.first())
                .and_then(|c| c.image.clone())
                .unwrap_or_default();
            let ns = d.metadata.namespace.clone().unwrap_or_default();
            let name = d.metadata.name.clone().unwrap_or_default();
            deployments.push((format!("{ns}/{name}"), image));
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    Ok((info.git_version, context, deployments))
}

/// The Deployment names each known controller ships under (Helm charts' defaults).
fn deployment_names(controller_name: &str) -> &'static [&'static str] {
    match controller_name {
        "kgateway.dev/kgateway" => &["kgateway"],
        "istio.io/gateway-controller" => &["istiod"],
        "gateway.envoyproxy.io/gatewayclass-controller" => &["envoy-gateway"],
        "gateway.nginx.org/nginx-gateway-controller" => &["nginx-gateway", "ngf-nginx-gateway-fabric"],
        "io.cilium/gateway-controller" => &["cilium-operator"],
        "openshift.io/gateway-controller/v1" => &["istiod-openshift-gateway"],
        _ => &[],
    }
}

/// The tag of an image reference (`repo:tag`, `repo:tag@sha256:…`); `None` for a digest only.
fn image_tag(image: &str) -> Option<String> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, tag)| tag.to_owned()).filter(|t| !t.is_empty())
}

fn from_snapshot(
    snapshot: &Snapshot,
    kubernetes: String,
    context: Option<String>,
    deployments: &[(String, String)],
) -> ServerVersions {
    let gateway_api = snapshot
        .crds
        .iter()
        .find(|c| c.name == "gateways.gateway.networking.k8s.io")
        .or_else(|| snapshot.crds.first())
        .map(|c| GatewayApi { bundle_version: c.bundle_version.clone(), channel: c.channel.clone() });
    let mut gateway_controllers: Vec<ControllerVersion> = Vec::new();
    for class in &snapshot.gateway_classes {
        if let Some(c) = gateway_controllers.iter_mut().find(|c| c.controller_name == class.controller_name) {
            c.gateway_classes.push(class.name.clone());
            continue;
        }
        let names = deployment_names(&class.controller_name);
        let found =
            deployments.iter().find(|(id, _)| names.iter().any(|n| id.rsplit('/').next() == Some(*n)));
        gateway_controllers.push(ControllerVersion {
            controller_name: class.controller_name.clone(),
            gateway_classes: vec![class.name.clone()],
            deployment: found.map(|(id, _)| id.clone()),
            version: found.and_then(|(_, image)| image_tag(image)),
        });
    }
    let chart = |control_plane: bool| {
        snapshot.helm_releases.iter().find(|r| r.chart.contains("control-plane") == control_plane).map(|r| {
            ChartVersion {
                release: format!("{}/{}", r.namespace, r.name),
                chart: r.chart.clone(),
                version: r.chart_version.clone(),
            }
        })
    };
    ServerVersions {
        context,
        kubernetes,
        gateway_api,
        gateway_controllers,
        runai_control_plane: chart(true),
        runai_cluster: chart(false),
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("cr.kgateway.dev/kgateway-dev/kgateway:v2.2.0").as_deref(), Some("v2.2.0"));
        assert_eq!(image_tag("localhost:5000/istio/pilot:1.27.1@sha256:abc").as_deref(), Some("1.27.1"));
        assert_eq!(image_tag("localhost:5000/istio/pilot"), None);
        assert_eq!(image_tag("envoy-gateway@sha256:abc"), None);
    }
}
