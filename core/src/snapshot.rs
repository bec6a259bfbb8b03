//! What `status` knows about a cluster: plain data, no key material.
//!
//! A [`Snapshot`] is filled from Kubernetes objects by [`crate::ingest`], whether they come from a
//! live API server or from a file (`kubectl runai-gateway snapshot`, or a plain
//! `kubectl get … -o yaml` List), so the checks see the same thing either way. The live run adds
//! what only it can know: which kinds could not be read, DNS answers and HTTPS probes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod json;
pub mod route_table;
mod shared;

pub use json::to_json;
pub use shared::Shared;

/// Version of the snapshot document `snapshot` writes: v2, whose `httpRoutes` is a table (see
/// [`route_table`]).
pub const SNAPSHOT_SCHEMA: &str = "runai-gateway.snapshot/v2";

/// Versions of the snapshot document this version reads: v1 (`httpRoutes` a list of objects)
/// and v2. They differ in `httpRoutes` only, and read into the same model.
pub const SNAPSHOT_SCHEMAS_READ: [&str; 2] = ["runai-gateway.snapshot/v1", SNAPSHOT_SCHEMA];

/// The kinds a snapshot reads, one LIST each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// `apiextensions.k8s.io/v1` CustomResourceDefinition (Gateway API ones only are kept).
    CustomResourceDefinition,
    /// `gateway.networking.k8s.io` GatewayClass.
    GatewayClass,
    /// `gateway.networking.k8s.io` Gateway.
    Gateway,
    /// `gateway.networking.k8s.io` HTTPRoute.
    HttpRoute,
    /// kgateway listener policies (WebSocket upgrades).
    ListenerPolicy,
    /// Namespaces (labels matter for `allowedRoutes`).
    Namespace,
    /// TLS secrets and Helm release secrets.
    Secret,
    /// Services.
    Service,
    /// EndpointSlices (ready backends).
    EndpointSlice,
    /// Ingresses.
    Ingress,
    /// `operator.knative.dev` KnativeServing.
    KnativeServing,
    /// `run.ai` RunaiConfig.
    RunaiConfig,
    /// Helm releases of the control plane when it lives in another context.
    ControlPlaneRelease,
    /// external-dns's Deployments (read by its label; the rest are not kept).
    Deployment,
    /// cert-manager `Certificate`.
    Certificate,
    /// cert-manager `CertificateRequest`.
    CertificateRequest,
    /// cert-manager `Issuer`.
    Issuer,
    /// cert-manager `ClusterIssuer`.
    ClusterIssuer,
    /// cert-manager's controller Deployment (its args say whether Gateway support is on).
    CertManagerController,
}

impl Kind {
    /// Every kind, in reading order.
    pub const ALL: [Kind; 19] = [
        Kind::CustomResourceDefinition,
        Kind::GatewayClass,
        Kind::Gateway,
        Kind::HttpRoute,
        Kind::ListenerPolicy,
        Kind::Namespace,
        Kind::Secret,
        Kind::Service,
        Kind::EndpointSlice,
        Kind::Ingress,
        Kind::KnativeServing,
        Kind::RunaiConfig,
        Kind::ControlPlaneRelease,
        Kind::Deployment,
        Kind::Certificate,
        Kind::CertificateRequest,
        Kind::Issuer,
        Kind::ClusterIssuer,
        Kind::CertManagerController,
    ];

    /// cert-manager's kinds: read when installed, judged only when cert-manager is in use.
    pub const CERT_MANAGER: [Kind; 5] = [
        Kind::Certificate,
        Kind::CertificateRequest,
        Kind::Issuer,
        Kind::ClusterIssuer,
        Kind::CertManagerController,
    ];

    /// `resource.group` as RBAC and `kubectl` name it (from [`crate::kinds::KINDS`]).
    #[must_use]
    pub fn resource(self) -> String {
        crate::kinds::of_snapshot_kind(self).resource()
    }
}

/// How reading one kind went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase", try_from = "SourceFields")]
pub enum Source {
    /// Listed; `count` objects were kept.
    Read {
        /// Objects kept.
        count: usize,
    },
    /// The API server refused (403): the caller lacks `list` on the resource.
    Forbidden {
        /// The server's message.
        message: String,
    },
    /// The resource type does not exist on the server (its CRD is not installed).
    NotInstalled,
    /// Reading failed otherwise (timeout, 5xx, connection).
    Failed {
        /// What went wrong.
        message: String,
    },
    /// Deliberately not read, and why (a SaaS control plane, an offline file without it).
    Skipped {
        /// Why.
        reason: String,
    },
}

/// A [`Source`] as written, `{state: read, count: 3}`: read as a plain struct and converted,
/// instead of serde's internally tagged enum, which buffers the mapping first (`Content`) and
/// costs the browser's diagnostics module more than the whole snapshot model's other enums.
#[derive(Deserialize)]
struct SourceFields {
    state: SourceState,
    count: Option<usize>,
    message: Option<String>,
    reason: Option<String>,
}

/// The `state` of a [`Source`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum SourceState {
    Read,
    Forbidden,
    NotInstalled,
    Failed,
    Skipped,
}

impl TryFrom<SourceFields> for Source {
    type Error = String;

    /// The variant's field must be there, as serde's tagged enum requires it; the others are
    /// ignored, as there.
    fn try_from(f: SourceFields) -> Result<Self, String> {
        let missing = |name: &str| format!("missing field `{name}`");
        Ok(match f.state {
            SourceState::Read => Source::Read { count: f.count.ok_or_else(|| missing("count"))? },
            SourceState::Forbidden => {
                Source::Forbidden { message: f.message.ok_or_else(|| missing("message"))? }
            }
            SourceState::NotInstalled => Source::NotInstalled,
            SourceState::Failed => Source::Failed { message: f.message.ok_or_else(|| missing("message"))? },
            SourceState::Skipped => Source::Skipped { reason: f.reason.ok_or_else(|| missing("reason"))? },
        })
    }
}

/// A status condition, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Accepted`, `Programmed`, `ResolvedRefs`, `Ready`…
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine reason.
    #[serde(default)]
    pub reason: String,
    /// Human message.
    #[serde(default)]
    pub message: String,
}

/// Looks up a condition by type.
#[must_use]
pub fn condition<'a>(conds: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conds.iter().find(|c| c.type_ == type_)
}

/// Whether the condition `type_` is `True`.
#[must_use]
pub fn is_true(conds: &[Condition], type_: &str) -> bool {
    condition(conds, type_).is_some_and(|c| c.status == "True")
}

/// An installed Gateway API CRD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Crd {
    /// `gateways.gateway.networking.k8s.io`.
    pub name: String,
    /// `gateway.networking.k8s.io/bundle-version` annotation.
    pub bundle_version: Option<String>,
    /// `gateway.networking.k8s.io/channel` annotation.
    pub channel: Option<String>,
    /// Versions served.
    pub served_versions: Vec<String>,
}

/// A GatewayClass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClass {
    /// Name.
    pub name: String,
    /// `spec.controllerName`.
    pub controller_name: String,
    /// Status conditions.
    pub conditions: Vec<Condition>,
}

/// Which namespaces a listener admits, as written in `allowedRoutes.namespaces`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedNamespaces {
    /// `Same` (the default), `All` or `Selector`.
    pub from: String,
    /// `matchLabels`.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions` as (key, operator, values).
    #[serde(default)]
    pub match_expressions: Vec<(String, String, Vec<String>)>,
}

impl AllowedNamespaces {
    /// Whether a namespace with `name` and `labels` may attach, for a Gateway in `gateway_ns`.
    #[must_use]
    pub fn admits(&self, gateway_ns: &str, name: &str, labels: &BTreeMap<String, String>) -> bool {
        match self.from.as_str() {
            "All" => true,
            "Selector" => {
                let mut labels = labels.clone();
                // The API server sets this label on every namespace.
                labels.entry("kubernetes.io/metadata.name".into()).or_insert_with(|| name.to_owned());
                self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
                    && self.match_expressions.iter().all(|(k, op, values)| match op.as_str() {
                        "In" => labels.get(k).is_some_and(|v| values.contains(v)),
                        "NotIn" => labels.get(k).is_none_or(|v| !values.contains(v)),
                        "Exists" => labels.contains_key(k),
                        "DoesNotExist" => !labels.contains_key(k),
                        _ => false,
                    })
            }
            _ => name == gateway_ns,
        }
    }
}

/// One listener of a Gateway, spec and status joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// Name.
    pub name: String,
    /// Protocol.
    pub protocol: String,
    /// Port.
    pub port: i64,
    /// Hostname.
    pub hostname: Option<String>,
    /// `tls.certificateRefs` as (namespace, name); the namespace defaults to the Gateway's.
    pub certificate_refs: Vec<(String, String)>,
    /// `allowedRoutes.namespaces`.
    pub allowed: AllowedNamespaces,
    /// `status.listeners[].attachedRoutes`, when reported.
    pub attached_routes: Option<i64>,
    /// `status.listeners[].conditions`.
    pub conditions: Vec<Condition>,
}

/// A Gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.gatewayClassName`.
    pub class_name: String,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// `status.addresses[].value`.
    pub addresses: Vec<String>,
    /// `status.conditions`.
    pub conditions: Vec<Condition>,
    /// Carries the tool's `managed-by` label.
    pub managed_by_tool: bool,
}

/// A parent reference of a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// Namespace (defaulted to the route's).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `sectionName`.
    pub section_name: Option<String>,
}

/// A route's status for one parent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteParentStatus {
    /// Which parent.
    pub parent: ParentRef,
    /// Conditions.
    pub conditions: Vec<Condition>,
}

/// An HTTPRoute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.hostnames`.
    pub hostnames: Vec<String>,
    /// `spec.parentRefs`: shared with the routes that have an equal list (see [`Shared`]).
    pub parent_refs: Arc<[ParentRef]>,
    /// Service backends as (namespace, name, port).
    pub backends: Vec<(String, String, Option<i64>)>,
    /// `status.parents`: shared with the routes that have an equal list (see [`Shared`]).
    pub parents: Arc<[RouteParentStatus]>,
    /// Carries the tool's `managed-by` label.
    pub managed_by_tool: bool,
    /// Annotations (external-dns's `--annotation-filter` reads them), without
    /// `kubectl.kubernetes.io/last-applied-configuration`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A listener policy that may turn on WebSocket upgrades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerPolicy {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Targeted Gateways (names, in the policy's namespace).
    pub target_gateways: Vec<String>,
    /// Upgrades it enables (`websocket`).
    pub enabled_upgrades: Vec<String>,
}

/// A namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// A Helm release revision whose stored release could not be read (too large, or undecodable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadableRelease {
    /// Namespace of the release (and its Secret).
    pub namespace: String,
    /// Release name.
    pub name: String,
    /// Revision (the Secret's `version` label; 0 when absent).
    pub revision: i64,
    /// Why it could not be read.
    pub reason: String,
}

/// What was learnt from a certificate (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// DNS names of the leaf (SANs; the CN when there are none).
    pub dns_names: Vec<String>,
    /// Subject of the leaf.
    pub subject: String,
    /// Issuer of the leaf.
    pub issuer: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// End of validity, RFC 3339.
    pub not_after_text: String,
    /// Certificates in `tls.crt`.
    pub chain_length: usize,
    /// Whether the leaf is self-signed (issuer = subject).
    pub self_signed: bool,
    /// Whether each certificate's issuer is the subject of the next (or the last is self-signed
    /// or the chain ends at an intermediate, which servers may send).
    pub chain_ordered: bool,
    /// Whether `tls.key` belongs to the leaf: `None` when the key type cannot be compared.
    pub key_matches: Option<bool>,
    /// Why `tls.key` is not a private key at all (never the key itself), when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_error: Option<String>,
}

/// A Secret (TLS data parsed, key dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `type`.
    pub type_: String,
    /// The parsed certificate, when `tls.crt` is there.
    pub certificate: Option<Certificate>,
    /// Why `tls.crt` could not be read, when it could not.
    pub certificate_error: Option<String>,
}

/// A Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.type`.
    pub type_: String,
    /// Load-balancer IPs or hostnames.
    pub load_balancer: Vec<String>,
    /// Labels (to recognise controller services).
    pub labels: BTreeMap<String, String>,
}

/// Ready endpoints of one Service, summed over its EndpointSlices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Namespace.
    pub namespace: String,
    /// Service name.
    pub service: String,
    /// Ready addresses.
    pub ready: usize,
    /// All addresses.
    pub total: usize,
}

/// An Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.ingressClassName` (or the legacy annotation).
    pub class: Option<String>,
    /// Rule hosts.
    pub hosts: Vec<String>,
    /// TLS secret names.
    pub tls_secrets: Vec<String>,
    /// Load-balancer addresses in its status.
    pub addresses: Vec<String>,
    /// Owned by a Helm release or an operator (not created by hand).
    pub managed: bool,
    /// TLS hosts (external-dns publishes them too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls_hosts: Vec<String>,
    /// The annotations external-dns reads (`external-dns.*` keys only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_dns_annotations: BTreeMap<String, String>,
}

/// Knative Serving as the operator reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnativeServing {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `status.version` (or `spec.version`).
    pub version: Option<String>,
    /// `Ready` condition.
    pub conditions: Vec<Condition>,
    /// Keys of `spec.config.domain`.
    pub domains: Vec<String>,
    /// Ingress class (`ingress-class`, or the legacy `ingress.class`; new key wins).
    pub ingress_class: Option<String>,
    /// Domain template (`domain-template` or the legacy `domainTemplate`; new key wins).
    pub domain_template: Option<String>,
    /// External scheme (`default-external-scheme` or `defaultExternalScheme`).
    pub external_scheme: Option<String>,
    /// `spec.ingress.kourier.enabled`.
    pub kourier_enabled: Option<bool>,
}

/// The Run:ai settings that matter, from Helm values (strings and booleans both accepted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunaiSettings {
    /// `gatewayAPI.enabled`, `None` when unset.
    pub gateway_api_enabled: Option<bool>,
    /// The Gateway it names as (namespace, name).
    pub gateway: Option<(String, String)>,
    /// `ingress.enabled`, `None` when unset (Run:ai's default is on).
    pub ingress_enabled: Option<bool>,
    /// `subdomainSupport` (cluster only).
    pub subdomain_support: Option<bool>,
    /// `global.domain` or `controlPlane.url` (the domain part).
    pub domain: Option<String>,
}

/// A deployed Helm release, decoded from its release secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmRelease {
    /// Release name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Revision.
    pub revision: i64,
    /// `info.status`.
    pub status: String,
    /// Chart name.
    pub chart: String,
    /// Chart version.
    pub chart_version: String,
    /// The settings this tool reads.
    pub settings: RunaiSettings,
}

/// One DNS answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsAnswer {
    /// The name asked (a random label stands for a wildcard).
    pub name: String,
    /// What the name stands for: `cluster`, `workloads` or `inference`.
    pub role: String,
    /// Addresses returned.
    pub addresses: Vec<String>,
    /// Why there is no answer.
    pub error: Option<String>,
}

impl DnsAnswer {
    /// The error of an answer that says the name does not exist (NXDOMAIN).
    pub const NO_SUCH_NAME: &'static str = "no such name (NXDOMAIN)";
    /// The error of an answer that says the name has no address record.
    pub const NO_RECORDS: &'static str = "no A or AAAA record";
}

/// One HTTPS probe through the Gateway address with the right SNI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// Host (SNI and `Host` header).
    pub host: String,
    /// Address dialled.
    pub address: String,
    /// HTTP status, when a response came.
    pub status: Option<u16>,
    /// TLS or connection error.
    pub error: Option<String>,
}

/// Everything the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// [`SNAPSHOT_SCHEMA`].
    #[serde(default)]
    pub schema: String,
    /// kube context it was read from.
    #[serde(default)]
    pub context: Option<String>,
    /// How each kind was read.
    #[serde(default)]
    pub sources: BTreeMap<Kind, Source>,
    /// Gateway API CRDs.
    #[serde(default)]
    pub crds: Vec<Crd>,
    /// GatewayClasses.
    #[serde(default)]
    pub gateway_classes: Vec<GatewayClass>,
    /// Gateways.
    #[serde(default)]
    pub gateways: Vec<Gateway>,
    /// HTTPRoutes: written as the v2 table, read from it or from the v1 list.
    #[serde(default, with = "route_table")]
    pub http_routes: Vec<HttpRoute>,
    /// kgateway listener policies.
    #[serde(default)]
    pub listener_policies: Vec<ListenerPolicy>,
    /// Namespaces.
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    /// TLS secrets.
    #[serde(default)]
    pub secrets: Vec<Secret>,
    /// Services.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Ready endpoints per Service.
    #[serde(default)]
    pub endpoints: Vec<Endpoints>,
    /// Ingresses.
    #[serde(default)]
    pub ingresses: Vec<Ingress>,
    /// KnativeServing objects.
    #[serde(default)]
    pub knative_servings: Vec<KnativeServing>,
    /// Run:ai Helm releases.
    #[serde(default)]
    pub helm_releases: Vec<HelmRelease>,
    /// Run:ai Helm release revisions whose stored release could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable_releases: Vec<UnreadableRelease>,
    /// `runaiconfig` `spec.global` settings.
    #[serde(default)]
    pub runai_config: Option<RunaiSettings>,
    /// DNS answers (live only).
    #[serde(default)]
    pub dns: Vec<DnsAnswer>,
    /// HTTPS probes (live, with `--probe`).
    #[serde(default)]
    pub probes: Vec<Probe>,
    /// external-dns Deployments, their arguments read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_dns: Vec<crate::externaldns::ExternalDns>,
    /// What cert-manager says (left out when nothing of it was read).
    #[serde(default, skip_serializing_if = "crate::certmanager::observed::CertManager::is_empty")]
    pub cert_manager: crate::certmanager::observed::CertManager,
}

impl Snapshot {
    /// The Gateway `namespace/name`, if read.
    #[must_use]
    pub fn gateway(&self, namespace: &str, name: &str) -> Option<&Gateway> {
        self.gateways.iter().find(|g| g.namespace == namespace && g.name == name)
    }

    /// The Secret `namespace/name`, if read.
    #[must_use]
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&Secret> {
        self.secrets.iter().find(|s| s.namespace == namespace && s.name == name)
    }

    /// The Service `namespace/name`, if read.
    #[must_use]
    pub fn service(&self, namespace: &str, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.namespace == namespace && s.name == name)
    }

    /// The newest deployed revision of Helm release `name` in `namespace`.
    #[must_use]
    pub fn release(&self, namespace: &str, name: &str) -> Option<&HelmRelease> {
        self.helm_releases
            .iter()
            .filter(|r| r.namespace == namespace && r.name == name)
            .max_by_key(|r| (r.status == "deployed", r.revision))
    }

    /// The newest unreadable revision of Helm release `name` in `namespace`, if any.
    #[must_use]
    pub fn unreadable_release(&self, namespace: &str, name: &str) -> Option<&UnreadableRelease> {
        self.unreadable_releases
            .iter()
            .filter(|r| r.namespace == namespace && r.name == name)
            .max_by_key(|r| r.revision)
    }

    /// How `kind` was read (`Skipped` when the snapshot does not say).
    #[must_use]
    pub fn source(&self, kind: Kind) -> Source {
        self.sources.get(&kind).cloned().unwrap_or(Source::Skipped { reason: "not in this snapshot".into() })
    }

    /// Whether `kind` was read successfully (absent objects are then really absent).
    #[must_use]
    pub fn was_read(&self, kind: Kind) -> bool {
        matches!(self.source(kind), Source::Read { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Source`] as serde's internally tagged enum read it, to compare with [`SourceFields`].
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "state", rename_all = "camelCase")]
    enum Tagged {
        Read { count: usize },
        Forbidden { message: String },
        NotInstalled,
        Failed { message: String },
        Skipped { reason: String },
    }

    fn same(t: &Tagged, s: &Source) -> bool {
        match (t, s) {
            (Tagged::Read { count: a }, Source::Read { count: b }) => a == b,
            (Tagged::Forbidden { message: a }, Source::Forbidden { message: b })
            | (Tagged::Failed { message: a }, Source::Failed { message: b })
            | (Tagged::Skipped { reason: a }, Source::Skipped { reason: b }) => a == b,
            (Tagged::NotInstalled, Source::NotInstalled) => true,
            _ => false,
        }
    }

    /// The first line of an error without its place (`line L column C: `).
    fn message(e: &str) -> &str {
        let first = e.lines().next().unwrap_or_default();
        first.split_once(": ").and_then(|(_, rest)| rest.split_once(": ")).map_or(first, |(_, m)| m)
    }

    #[test]
    fn a_source_reads_as_the_tagged_enum_read_it() {
        for text in [
            "{state: read, count: 3}",
            "{count: 0, state: read}",
            "{state: notInstalled}",
            "{state: notInstalled, count: 2}",
            "{state: forbidden, message: no list}",
            "{state: failed, message: timeout, count: 1}",
            "{state: skipped, reason: saas}",
            "{state: read}",
            "{state: skipped}",
            "{state: bogus}",
            "{count: 3}",
            "{state: read, count: x}",
        ] {
            let ours = crate::yaml::from_str::<Source>(text).map_err(|e| e.to_string());
            let tagged = crate::yaml::from_str::<Tagged>(text).map_err(|e| e.to_string());
            match (&ours, &tagged) {
                (Ok(s), Ok(t)) => assert!(same(t, s), "{text}: {s:?} / {t:?}"),
                // The same message; a value of the wrong type is now placed at the value itself
                // (the tagged enum read a buffered copy, and placed it at the mapping).
                (Err(a), Err(b)) => assert_eq!(message(a), message(b), "{text}"),
                _ => panic!("{text}: {ours:?} / {tagged:?}"),
            }
            let json =
                serde_json::to_string(&crate::yaml::from_str::<serde_json::Value>(text).expect("yaml"))
                    .expect("json");
            let ours = serde_json::from_str::<Source>(&json).map_err(|e| e.to_string());
            let tagged = serde_json::from_str::<Tagged>(&json).map_err(|e| e.to_string());
            assert_eq!(ours.is_ok(), tagged.is_ok(), "{json}: {ours:?} / {tagged:?}");
        }
        let err = crate::yaml::from_str::<Source>("{state: read, count: x}").expect_err("not a count");
        assert!(err.to_string().starts_with("error: line 1 column 22: invalid type: string \"x\""), "{err}");
        // Written as before: the tag first.
        assert_eq!(
            serde_json::to_string(&Source::Read { count: 3 }).expect("json"),
            r#"{"state":"read","count":3}"#
        );
    }
}
