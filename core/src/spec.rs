//! The desired routing for one Run:ai cluster.
//!
//! Input comes in two layers: [`SpecInput`] is what a user wrote (a config file, flags, a form in
//! the browser), every field optional; [`SpecInput::resolve`] fills in the documented defaults,
//! validates everything at once and returns a [`Spec`] in which nothing is optional any more.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::helm::Component;
use crate::validate::{self, Issues, ValidationError};

/// The `apiVersion` a config file may declare.
pub const CONFIG_API_VERSION: &str = "runai-gateway/v1alpha1";
/// The `kind` a config file may declare.
pub const CONFIG_KIND: &str = "GatewayMigration";

/// Documented defaults (Run:ai "Kubernetes Gateway API" page and its prerequisites).
pub mod defaults {
    /// Gateway name used by the Run:ai instructions.
    pub const GATEWAY_NAME: &str = "runai-gateway";
    /// Namespace of the Gateway in the Run:ai instructions.
    pub const GATEWAY_NAMESPACE: &str = "runai";
    /// Secret for the control-plane (cluster domain) listener.
    pub const CLUSTER_DOMAIN_SECRET: &str = "runai-cluster-domain-tls-secret";
    /// Secret for the wildcard workloads listener (host-based routing only).
    pub const WORKLOADS_SECRET: &str = "runai-cluster-domain-star-tls-secret";
    /// Secret for the wildcard inference listener.
    pub const INFERENCE_SECRET: &str = "runai-cluster-inference-tls-secret";
    /// The control plane's own TLS secret (`global.ingress.tlsSecretName`).
    pub const BACKEND_SECRET: &str = "runai-backend-tls";
    /// First label of the derived inference domain (`runai-inference.<parent>`).
    pub const INFERENCE_LABEL: &str = "runai-inference";
    /// Knative Serving namespace (operator install).
    pub const KNATIVE_NAMESPACE: &str = "knative-serving";
    /// Kourier's Service in the Knative namespace.
    pub const KOURIER_SERVICE: &str = "kourier";
    /// Kourier's HTTP port.
    pub const KOURIER_PORT: u16 = 80;
    /// Helm release of the Run:ai control plane.
    pub const BACKEND_RELEASE: &str = "runai-backend";
    /// Namespace of the control-plane release.
    pub const BACKEND_NAMESPACE: &str = "runai-backend";
    /// Chart reference of the control plane as the Gateway API page writes it (JFrog repo alias).
    pub const BACKEND_CHART: &str = "runai-backend/control-plane";
    /// Helm release of the Run:ai cluster.
    pub const CLUSTER_RELEASE: &str = "runai-cluster";
    /// Namespace of the cluster release.
    pub const CLUSTER_NAMESPACE: &str = "runai";
    /// Chart reference of the cluster.
    pub const CLUSTER_CHART: &str = "runai/runai-cluster";
    /// Label Run:ai puts on every project namespace (`runai/queue=<project>`).
    pub const PROJECT_NAMESPACE_LABEL: &str = "runai/queue";
}

/// `ALL`, `as_str`, `FromStr` and `Display` of an enum with one spelling per variant, the
/// spelling its serde `rename_all` gives it (a test in `fields` holds the two together).
macro_rules! spelled {
    ($ty:ident, $what:literal { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in documentation order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The spelling used in flags and config files.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $s),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<_> = $ty::ALL.iter().map(|v| v.as_str()).collect();
                    format!(concat!("unknown ", $what, " `{}`; expected one of {}"), s, names.join(", "))
                })
            }
        }
    };
}

/// How workspaces and training workloads are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RoutingMode {
    /// One subdomain per workload (`<project>-<workload>.<cluster domain>`); needs a wildcard
    /// certificate and the `https-workloads` listener.
    #[default]
    Host,
    /// One shared domain, workloads under URL paths; host-based routing must be off
    /// (`clusterConfig.global.subdomainSupport=false`).
    Path,
}

spelled!(RoutingMode, "routing mode" { Host => "host", Path => "path" });

/// The Kubernetes distribution, which decides where the Knative route attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Upstream Kubernetes: Knative Serving with Kourier behind the Run:ai Gateway.
    #[default]
    Kubernetes,
    /// OpenShift: inference goes through OpenShift's own `openshift-default` Gateway.
    Openshift,
}

spelled!(Platform, "platform" { Kubernetes => "kubernetes", Openshift => "openshift" });

/// Who moves the DNS records at the switch-dns stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DnsMode {
    /// A human changes the records; `apply` waits for them.
    #[default]
    Manual,
    /// external-dns moves them: `apply` makes the Ingresses that claim the Gateway's hostnames
    /// stop claiming them (external-dns's `controller` annotation), then waits.
    ExternalDns,
}

spelled!(DnsMode, "DNS mode" { Manual => "manual", ExternalDns => "external-dns" });

/// The Gateway API implementation serving the Gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Controller {
    /// kgateway (the controller of the Run:ai instructions).
    #[default]
    Kgateway,
    /// Istio.
    Istio,
    /// Envoy Gateway.
    EnvoyGateway,
    /// NGINX Gateway Fabric.
    NginxGatewayFabric,
    /// Cilium.
    Cilium,
    /// OpenShift's Ingress Operator.
    Openshift,
    /// Any other conformant implementation: the GatewayClass must be given.
    Other,
}

impl Controller {
    /// All controllers, in documentation order.
    pub const ALL: [Controller; 7] = [
        Controller::Kgateway,
        Controller::Istio,
        Controller::EnvoyGateway,
        Controller::NginxGatewayFabric,
        Controller::Cilium,
        Controller::Openshift,
        Controller::Other,
    ];

    /// The spelling used in flags and config files.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.profile().spelling
    }

    /// Everything the tool knows about this implementation.
    #[must_use]
    pub const fn profile(self) -> &'static crate::controllers::Profile {
        crate::controllers::profile(self)
    }

    /// The GatewayClass each implementation installs by default, if it has a well-known one.
    #[must_use]
    pub fn default_gateway_class(self) -> Option<&'static str> {
        self.profile().gateway_class
    }

    /// The `spec.controllerName` its GatewayClasses carry.
    #[must_use]
    pub fn controller_name(self) -> Option<&'static str> {
        self.profile().controller_name
    }
}

impl fmt::Display for Controller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Controller {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Controller::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Controller::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown controller `{s}`; expected one of {}", names.join(", "))
        })
    }
}

/// Where the Run:ai control plane runs, which decides who changes its Helm release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ControlPlaneLocation {
    /// Self-hosted, in this Kubernetes cluster.
    #[default]
    SameCluster,
    /// Self-hosted, in another cluster (reached through its own kube context).
    Remote,
    /// Hosted by NVIDIA: only the cluster side is configured here.
    Saas,
}

spelled!(ControlPlaneLocation, "control-plane location" {
    SameCluster => "same-cluster",
    Remote => "remote",
    Saas => "saas",
});

/// Which namespaces may attach routes to a listener (`allowedRoutes.namespaces`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "PascalCase", deny_unknown_fields)]
pub enum RouteNamespaces {
    /// Only the Gateway's namespace (the Gateway API default).
    Same,
    /// Every namespace. Anyone who may create an HTTPRoute can claim the listener's hostnames.
    All,
    /// The listed namespaces, by their `kubernetes.io/metadata.name` label.
    Namespaces {
        /// Namespace names.
        names: Vec<String>,
    },
    /// Namespaces carrying these labels; a label with an empty value only has to exist.
    Labels {
        /// Label keys and values (empty value: the key must exist).
        labels: std::collections::BTreeMap<String, String>,
    },
}

impl RouteNamespaces {
    /// Parses the flag syntax: `all`, `same`, `ns:a,b`, `label:key[=value][,key2[=value2]]`.
    ///
    /// # Errors
    /// A message naming the accepted forms.
    pub fn parse_flag(s: &str) -> Result<Self, String> {
        let usage = "expected `all`, `same`, `ns:NAME[,NAME…]` or `label:KEY[=VALUE][,…]`";
        match s {
            "all" => Ok(RouteNamespaces::All),
            "same" => Ok(RouteNamespaces::Same),
            _ => {
                if let Some(rest) = s.strip_prefix("ns:") {
                    let names: Vec<String> = rest.split(',').map(str::to_owned).collect();
                    if names.iter().all(String::is_empty) {
                        return Err(format!("`{s}` names no namespace; {usage}"));
                    }
                    if names.iter().any(String::is_empty) {
                        return Err(format!(
                            "`{s}` has an empty namespace name (two commas, or one at an end); {usage}"
                        ));
                    }
                    Ok(RouteNamespaces::Namespaces { names })
                } else if let Some(rest) = s.strip_prefix("label:") {
                    let labels: std::collections::BTreeMap<String, String> = rest
                        .split(',')
                        .filter(|l| !l.is_empty())
                        .map(|l| match l.split_once('=') {
                            Some((k, v)) => (k.to_owned(), v.to_owned()),
                            None => (l.to_owned(), String::new()),
                        })
                        .collect();
                    if labels.is_empty() {
                        return Err(format!("`{s}` names no label; {usage}"));
                    }
                    if labels.contains_key("") {
                        return Err(format!("`{s}` has a label with an empty key (`=VALUE`); {usage}"));
                    }
                    Ok(RouteNamespaces::Labels { labels })
                } else {
                    Err(format!("`{s}` is not a route namespace policy; {usage}"))
                }
            }
        }
    }

    /// The flag spelling, the inverse of [`RouteNamespaces::parse_flag`].
    #[must_use]
    pub fn to_flag(&self) -> String {
        match self {
            RouteNamespaces::Same => "same".into(),
            RouteNamespaces::All => "all".into(),
            RouteNamespaces::Namespaces { names } => format!("ns:{}", names.join(",")),
            RouteNamespaces::Labels { labels } => {
                let parts: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") })
                    .collect();
                format!("label:{}", parts.join(","))
            }
        }
    }
}

/// `inference:` in a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InferenceInput {
    /// Route inference (Knative) traffic through the Gateway. Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Wildcard inference domain without `*.`. Default: the sibling `runai-inference.<parent of
    /// the cluster domain>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// `gateway:` in a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayInput {
    /// Gateway name. Default `runai-gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Gateway namespace. Default `runai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// GatewayClass. Default: the controller's well-known class (`kgateway` for kgateway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Gateway API implementation. Default `kgateway` (`openshift` on OpenShift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<Controller>,
    /// Add a port-80 listener that redirects to HTTPS. Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_redirect: Option<bool>,
    /// Enable WebSocket upgrades where the controller needs a policy for it. Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websockets: Option<bool>,
}

/// `tls:` in a config file: one secret per HTTPS listener.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsInput {
    /// Secret of the `https-cluster-domain` listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_domain_secret: Option<String>,
    /// Secret of the `https-workloads` listener (host mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads_secret: Option<String>,
    /// Secret of the `https-inference` listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_secret: Option<String>,
    /// cert-manager issuer of the listeners' certificates: `clusterissuer/NAME` or
    /// `issuer/NAME`. Unset: the secrets are provided by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// `allowedRoutes:` in a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllowedRoutesInput {
    /// Who may attach to the cluster-domain (control plane) listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<RouteNamespaces>,
    /// Who may attach to the wildcard workloads listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<RouteNamespaces>,
    /// Who may attach to the inference listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<RouteNamespaces>,
}

/// `knative:` in a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KnativeInput {
    /// Namespace of Knative Serving and Kourier. Default `knative-serving`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Kourier's Service. Default `kourier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kourier_service: Option<String>,
    /// Kourier's port. Default 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kourier_port: Option<u16>,
}

/// One Helm release in a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseInput {
    /// Release name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Release namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Chart reference (`repo/chart` or `oci://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// The deployed chart version, which every upgrade pins. Unknown offline: the commands then
    /// read it from an environment variable the user sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_version: Option<String>,
}

/// `runai:` in a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunaiInput {
    /// Where the control plane runs. Default `same-cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<ControlPlaneLocation>,
    /// kube context of the control plane's cluster (implies `remote`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane_context: Option<String>,
    /// The control-plane release (`runai-backend`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<ReleaseInput>,
    /// The cluster release (`runai-cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ReleaseInput>,
}

/// Everything a user may say about the desired routing; every field optional.
///
/// This is the shape of the config file (`--config`), and flags are merged over it with
/// [`SpecInput::merge`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpecInput {
    /// `runai-gateway/v1alpha1` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `GatewayMigration` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The control-plane FQDN, e.g. `runai.example.com`. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_domain: Option<String>,
    /// `host` (default) or `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_mode: Option<RoutingMode>,
    /// `kubernetes` (default) or `openshift`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// `manual` (default) or `external-dns`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsMode>,
    /// Inference routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<InferenceInput>,
    /// The Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayInput>,
    /// TLS secret names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInput>,
    /// Route attachment per listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_routes: Option<AllowedRoutesInput>,
    /// Knative Serving and Kourier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knative: Option<KnativeInput>,
    /// The Run:ai Helm releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runai: Option<RunaiInput>,
}

impl SpecInput {
    /// Overlays `over` on `self`, field by field (flags over a config file): every field of
    /// [`crate::fields::FIELDS`] set in `over` wins.
    pub fn merge(&mut self, over: &SpecInput) {
        crate::fields::merge(self, over);
    }

    /// Parses a config file (YAML or JSON, which is YAML).
    ///
    /// # Errors
    /// The parser's message, with line and column, and the unknown field when there is one.
    pub fn from_yaml(text: &str) -> Result<Self, crate::yaml::YamlError> {
        crate::yaml::from_str(text)
    }

    /// Applies the documented defaults and validates the result.
    ///
    /// # Errors
    /// Every problem found, not only the first.
    pub fn resolve(&self) -> Result<Spec, Issues> {
        resolve(self)
    }
}

/// The listener a [`RouteNamespaces`] policy belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedRoutes {
    /// Cluster-domain listener.
    pub control_plane: RouteNamespaces,
    /// Workloads wildcard listener (host mode).
    pub workloads: RouteNamespaces,
    /// Inference listener.
    pub inference: RouteNamespaces,
}

/// A resolved Helm release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// Chart reference.
    pub chart: String,
    /// Deployed chart version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_version: Option<String>,
}

/// The validated input with every default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    /// Control-plane FQDN.
    pub cluster_domain: String,
    /// Workload routing mode.
    pub routing_mode: RoutingMode,
    /// Distribution.
    pub platform: Platform,
    /// Who moves the DNS records.
    #[serde(default)]
    pub dns: DnsMode,
    /// Inference domain (without `*.`) when inference is routed through the Gateway.
    pub inference_domain: Option<String>,
    /// Whether the inference domain was derived rather than given.
    pub inference_domain_derived: bool,
    /// Gateway name.
    pub gateway_name: String,
    /// Gateway namespace.
    pub gateway_namespace: String,
    /// GatewayClass.
    pub gateway_class: String,
    /// Implementation.
    pub controller: Controller,
    /// Port-80 redirect listener.
    pub http_redirect: bool,
    /// WebSocket policy for controllers that need one.
    pub websockets: bool,
    /// Secret of the cluster-domain listener.
    pub cluster_domain_secret: String,
    /// Secret of the workloads listener.
    pub workloads_secret: String,
    /// Secret of the inference listener.
    pub inference_secret: String,
    /// The cert-manager issuer of the listeners' certificates (`None`: secrets by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_issuer: Option<crate::certmanager::IssuerRef>,
    /// Route attachment per listener.
    pub allowed_routes: AllowedRoutes,
    /// Knative namespace.
    pub knative_namespace: String,
    /// Kourier Service.
    pub kourier_service: String,
    /// Kourier port.
    pub kourier_port: u16,
    /// Control-plane location.
    pub control_plane: ControlPlaneLocation,
    /// kube context of a remote control plane.
    pub control_plane_context: Option<String>,
    /// Control-plane release.
    pub backend: Release,
    /// Cluster release.
    pub cluster: Release,
    /// Non-fatal findings about the input (for example an overlapping inference domain).
    pub warnings: Vec<String>,
}

impl Spec {
    /// Whether the inference pieces (listener, Knative route, Knative domain) are planned.
    #[must_use]
    pub fn inference_enabled(&self) -> bool {
        self.inference_domain.is_some()
    }

    /// Whether the control plane's Helm release is changed by this tool.
    #[must_use]
    pub fn manages_backend(&self) -> bool {
        self.control_plane != ControlPlaneLocation::Saas
    }
}

/// Derives the documented sibling inference domain: `runai.example.com` →
/// `runai-inference.example.com`. `None` when the cluster domain has fewer than three labels,
/// because the sibling would then be a top-level-domain name.
#[must_use]
pub fn derive_inference_domain(cluster_domain: &str) -> Option<String> {
    let (_, parent) = cluster_domain.split_once('.')?;
    if parent.split('.').count() < 2 {
        return None;
    }
    Some(format!("{}.{parent}", defaults::INFERENCE_LABEL))
}

fn or_default(v: Option<&String>, d: &str) -> String {
    v.cloned().unwrap_or_else(|| d.to_owned())
}

#[allow(clippy::too_many_lines)] // One linear pass over the input, field by field.
fn resolve(input: &SpecInput) -> Result<Spec, Issues> {
    let mut issues = Issues::default();

    if let Some(v) = &input.api_version
        && v != CONFIG_API_VERSION
    {
        issues.error(ValidationError::new(
            "apiVersion",
            v,
            format!("only `{CONFIG_API_VERSION}` is understood"),
            format!("set `apiVersion: {CONFIG_API_VERSION}` or remove the line"),
        ));
    }
    if let Some(k) = &input.kind
        && k != CONFIG_KIND
    {
        issues.error(ValidationError::new(
            "kind",
            k,
            format!("a config file describes a `{CONFIG_KIND}`"),
            format!("set `kind: {CONFIG_KIND}` or remove the line"),
        ));
    }

    let cluster_domain = match input.cluster_domain.as_deref() {
        None | Some("") => {
            issues.error(ValidationError::new(
                "clusterDomain",
                "",
                "the control-plane FQDN is required",
                "pass `--cluster-domain runai.example.com` or set `clusterDomain:` in the config file",
            ));
            String::new()
        }
        Some(d) => {
            validate::fqdn(&mut issues, "clusterDomain", d);
            d.to_owned()
        }
    };

    let routing_mode = input.routing_mode.unwrap_or_default();
    let platform = input.platform.unwrap_or_default();

    let gw = input.gateway.clone().unwrap_or_default();
    let controller = gw.controller.unwrap_or(match platform {
        Platform::Kubernetes => Controller::Kgateway,
        Platform::Openshift => Controller::Openshift,
    });
    let gateway_name = or_default(gw.name.as_ref(), defaults::GATEWAY_NAME);
    validate::object_name(&mut issues, "gateway.name", &gateway_name);
    let gateway_namespace = or_default(gw.namespace.as_ref(), defaults::GATEWAY_NAMESPACE);
    validate::namespace(&mut issues, "gateway.namespace", &gateway_namespace);
    let gateway_class = match (&gw.class_name, controller.default_gateway_class()) {
        (Some(c), _) => c.clone(),
        (None, Some(c)) => c.to_owned(),
        (None, None) => {
            issues.error(ValidationError::new(
                "gateway.className",
                "",
                format!("controller `{controller}` has no well-known GatewayClass"),
                "pass `--gateway-class NAME` (see `kubectl get gatewayclass`)",
            ));
            String::new()
        }
    };
    if !gateway_class.is_empty() {
        validate::object_name(&mut issues, "gateway.className", &gateway_class);
    }
    if platform == Platform::Openshift && controller != Controller::Openshift {
        issues.warn(format!(
            "platform `openshift` with controller `{controller}`: OpenShift's own Gateway API \
             implementation is `openshift`; make sure `{controller}` is installed and owns \
             GatewayClass `{gateway_class}`"
        ));
    }

    let inf = input.inference.clone().unwrap_or_default();
    let mut inference_domain_derived = false;
    let inference_domain = if inf.enabled == Some(false) {
        if inf.domain.is_some() {
            issues.warn("an inference domain is set but inference is off; it is ignored");
        }
        None
    } else if let Some(d) = &inf.domain {
        validate::fqdn(&mut issues, "inference.domain", d);
        Some(d.clone())
    } else if cluster_domain.is_empty() {
        None
    } else if let Some(d) = derive_inference_domain(&cluster_domain) {
        inference_domain_derived = true;
        Some(d)
    } else {
        issues.error(ValidationError::new(
            "inference.domain",
            "",
            format!(
                "cannot derive a sibling inference domain from `{cluster_domain}`, which has fewer \
                 than three labels"
            ),
            "pass `--inference-domain runai-inference.example.com`, or `--no-inference`",
        ));
        None
    };
    if let Some(inf_domain) = &inference_domain
        && !cluster_domain.is_empty()
    {
        if inf_domain == &cluster_domain {
            issues.error(ValidationError::new(
                "inference.domain",
                inf_domain,
                "the inference domain must differ from the cluster domain",
                format!(
                    "use a sibling such as `--inference-domain {}`",
                    derive_inference_domain(&cluster_domain)
                        .unwrap_or_else(|| "runai-inference.example.com".into())
                ),
            ));
        } else if inf_domain.ends_with(&format!(".{cluster_domain}")) && routing_mode == RoutingMode::Host {
            issues.warn(format!(
                "inference domain `{inf_domain}` sits under the cluster domain: the workloads \
                 listener `*.{cluster_domain}` also matches inference hosts (the more specific \
                 inference listener still wins); a sibling domain such as `{}` avoids the overlap",
                derive_inference_domain(&cluster_domain)
                    .unwrap_or_else(|| "runai-inference.example.com".into())
            ));
        } else if cluster_domain.ends_with(&format!(".{inf_domain}")) {
            issues.warn(format!(
                "cluster domain `{cluster_domain}` sits under the inference domain: the inference \
                 listener `*.{inf_domain}` also matches the control plane's hostname"
            ));
        }
    }

    let tls = input.tls.clone().unwrap_or_default();
    let tls_issuer = resolve_issuer(&mut issues, &tls);
    let names = if tls_issuer.is_some() {
        use crate::certmanager::secrets as cm;
        [cm::CLUSTER_DOMAIN, cm::WORKLOADS, cm::INFERENCE]
    } else {
        [defaults::CLUSTER_DOMAIN_SECRET, defaults::WORKLOADS_SECRET, defaults::INFERENCE_SECRET]
    };
    let cluster_domain_secret = or_default(tls.cluster_domain_secret.as_ref(), names[0]);
    let workloads_secret = or_default(tls.workloads_secret.as_ref(), names[1]);
    let inference_secret = or_default(tls.inference_secret.as_ref(), names[2]);
    validate::object_name(&mut issues, "tls.clusterDomainSecret", &cluster_domain_secret);
    validate::object_name(&mut issues, "tls.workloadsSecret", &workloads_secret);
    validate::object_name(&mut issues, "tls.inferenceSecret", &inference_secret);

    let kn = input.knative.clone().unwrap_or_default();
    let knative_namespace = or_default(kn.namespace.as_ref(), defaults::KNATIVE_NAMESPACE);
    validate::namespace(&mut issues, "knative.namespace", &knative_namespace);
    let kourier_service = or_default(kn.kourier_service.as_ref(), defaults::KOURIER_SERVICE);
    validate::service_name(&mut issues, "knative.kourierService", &kourier_service);
    let kourier_port = kn.kourier_port.unwrap_or(defaults::KOURIER_PORT);
    if kourier_port == 0 {
        issues.error(ValidationError::new(
            "knative.kourierPort",
            "0",
            "a port is between 1 and 65535",
            "pass `--kourier-port 80` (Kourier's default)",
        ));
    }

    let runai = input.runai.clone().unwrap_or_default();
    let control_plane_context = runai.control_plane_context.clone();
    if control_plane_context.as_deref().is_some_and(|c| c.trim().is_empty()) {
        // Helm reads an empty --kube-context as "the current context": never the intent.
        issues.error(ValidationError::new(
            "runai.controlPlaneContext",
            "",
            "an empty kube context would make Helm use the current context",
            "name the control plane's kubeconfig context, or drop `--control-plane-context`",
        ));
    }
    let control_plane = match (runai.control_plane, &control_plane_context) {
        (Some(ControlPlaneLocation::Saas), Some(ctx)) => {
            issues.error(ValidationError::new(
                "runai.controlPlaneContext",
                ctx,
                "a SaaS control plane has no kube context",
                "drop `--control-plane-context`, or use `--control-plane remote`",
            ));
            ControlPlaneLocation::Saas
        }
        (Some(ControlPlaneLocation::SameCluster), Some(ctx)) => {
            issues.error(ValidationError::new(
                "runai.controlPlaneContext",
                ctx,
                "a same-cluster control plane uses the current context",
                "drop `--control-plane-context`, or use `--control-plane remote`",
            ));
            ControlPlaneLocation::SameCluster
        }
        (Some(loc), _) => loc,
        (None, Some(_)) => ControlPlaneLocation::Remote,
        (None, None) => ControlPlaneLocation::SameCluster,
    };
    let backend = resolve_release(&mut issues, "runai.backend", input, Component::ControlPlane);
    let cluster = resolve_release(&mut issues, "runai.cluster", input, Component::Cluster);

    let allowed = input.allowed_routes.clone().unwrap_or_default();
    let control_plane_given = allowed.control_plane.is_some();
    let control_plane_routes = allowed.control_plane.unwrap_or_else(|| match routing_mode {
        RoutingMode::Host => {
            // The two namespaces, sorted, once each (no sort: two names need one comparison).
            let mut names = vec![cluster.namespace.clone()];
            if control_plane != ControlPlaneLocation::Saas && backend.namespace != cluster.namespace {
                let at = usize::from(backend.namespace > cluster.namespace);
                names.insert(at, backend.namespace.clone());
            }
            RouteNamespaces::Namespaces { names }
        }
        // Path mode: workload routes share the control-plane hostname, so the listener must admit
        // the project namespaces as well, which one label selector cannot express together with
        // the Run:ai system namespaces.
        RoutingMode::Path => RouteNamespaces::All,
    });
    if routing_mode == RoutingMode::Path
        && !control_plane_given
        && control_plane_routes == RouteNamespaces::All
    {
        issues.warn(format!(
            "path mode: workloads share `{cluster_domain}` with the control plane, so its listener \
             admits routes from all namespaces; anyone who may create an HTTPRoute can add paths \
             under that hostname. If Run:ai creates its workload routes only in `{}`, pass \
             `--control-plane-routes ns:{}` to close this",
            cluster.namespace,
            [backend.namespace.as_str(), cluster.namespace.as_str()].join(",")
        ));
    }
    let workload_routes = allowed.workloads.unwrap_or_else(|| RouteNamespaces::Labels {
        labels: [(defaults::PROJECT_NAMESPACE_LABEL.to_owned(), String::new())].into(),
    });
    let inference_routes = allowed
        .inference
        .unwrap_or_else(|| RouteNamespaces::Namespaces { names: vec![knative_namespace.clone()] });
    for (field, policy) in [
        ("allowedRoutes.controlPlane", &control_plane_routes),
        ("allowedRoutes.workloads", &workload_routes),
        ("allowedRoutes.inference", &inference_routes),
    ] {
        validate::route_namespaces(&mut issues, field, policy);
    }
    if inference_domain.is_some()
        && platform == Platform::Kubernetes
        && !admits(&inference_routes, &knative_namespace, &gateway_namespace)
    {
        issues.error(ValidationError::new(
            "allowedRoutes.inference",
            inference_routes.to_flag(),
            format!(
                "the inference listener must admit the Knative route in `{knative_namespace}`, \
                 or it is refused with `NotAllowedByListeners`"
            ),
            format!("pass `--inference-routes ns:{knative_namespace}`"),
        ));
    }

    let http_redirect = gw.http_redirect.unwrap_or(true);
    let websockets = gw.websockets.unwrap_or(true);

    let (mut spec, warnings) = issues.finish(Spec {
        cluster_domain,
        routing_mode,
        platform,
        dns: input.dns.unwrap_or_default(),
        inference_domain,
        inference_domain_derived,
        gateway_name,
        gateway_namespace,
        gateway_class,
        controller,
        http_redirect,
        websockets,
        cluster_domain_secret,
        workloads_secret,
        inference_secret,
        tls_issuer,
        allowed_routes: AllowedRoutes {
            control_plane: control_plane_routes,
            workloads: workload_routes,
            inference: inference_routes,
        },
        knative_namespace,
        kourier_service,
        kourier_port,
        control_plane,
        control_plane_context,
        backend,
        cluster,
        warnings: Vec::new(),
    })?;
    spec.warnings = warnings;
    Ok(spec)
}

/// Whether `policy` admits routes from namespace `ns`, when only the name is known (a label
/// policy is assumed to admit: labels are a cluster fact the input cannot see).
fn admits(policy: &RouteNamespaces, ns: &str, gateway_ns: &str) -> bool {
    match policy {
        RouteNamespaces::All | RouteNamespaces::Labels { .. } => true,
        RouteNamespaces::Same => ns == gateway_ns,
        RouteNamespaces::Namespaces { names } => names.iter().any(|n| n == ns),
    }
}

/// `tls.issuer`, and with it no secret name the Ingress serves: cert-manager would re-issue
/// into it, and rollback could not give the Ingress its certificate back.
fn resolve_issuer(issues: &mut Issues, tls: &TlsInput) -> Option<crate::certmanager::IssuerRef> {
    let raw = tls.issuer.as_ref()?;
    let issuer = match crate::certmanager::IssuerRef::parse(raw) {
        Ok(i) => i,
        Err(rule) => {
            issues.error(ValidationError::new(
                "tls.issuer",
                raw,
                format!("the issuer {rule}"),
                "pass `--tls-issuer clusterissuer/NAME` or `--tls-issuer issuer/NAME` (an Issuer in the Gateway's namespace)",
            ));
            return None;
        }
    };
    validate::object_name(issues, "tls.issuer", &issuer.name);
    let ingress_names =
        [defaults::CLUSTER_DOMAIN_SECRET, defaults::WORKLOADS_SECRET, defaults::INFERENCE_SECRET];
    for (field, value) in [
        ("tls.clusterDomainSecret", &tls.cluster_domain_secret),
        ("tls.workloadsSecret", &tls.workloads_secret),
        ("tls.inferenceSecret", &tls.inference_secret),
    ] {
        if let Some(v) = value.as_ref().filter(|v| ingress_names.contains(&v.as_str())) {
            issues.error(ValidationError::new(
                field,
                v,
                "with `--tls-issuer`, cert-manager writes the listener's secret; this name is a secret the Ingress serves, which must stay as it is for rollback",
                "leave the secret name unset (cert-manager then writes `runai-gateway-*-tls`), or pick a name the Ingress does not use",
            ));
        }
    }
    Some(issuer)
}

fn resolve_release(issues: &mut Issues, field: &str, input: &SpecInput, component: Component) -> Release {
    let r = input.release(component);
    validate::helm_release(issues, &format!("{field}.release"), &r.release);
    validate::namespace(issues, &format!("{field}.namespace"), &r.namespace);
    validate::chart_ref(issues, &format!("{field}.chart"), &r.chart);
    if let Some(v) = &r.chart_version {
        validate::chart_version(issues, &format!("{field}.chartVersion"), v);
    }
    r
}
