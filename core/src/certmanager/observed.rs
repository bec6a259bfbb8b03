//! What `status` learns from cert-manager: its `Certificate`s, `CertificateRequest`s, `Issuer`s
//! and `ClusterIssuer`s, its controller's Gateway support, and the issuer annotations on
//! Gateways. Compact: names, references, conditions and solver types, never a key or a CSR.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{IssuerKind, IssuerRef};
use crate::snapshot::Condition;

/// The Gateway annotations cert-manager's Gateway support reads (an Issuer in the Gateway's
/// namespace, or a ClusterIssuer).
pub const GATEWAY_ANNOTATIONS: [&str; 2] = ["cert-manager.io/issuer", "cert-manager.io/cluster-issuer"];

/// The label selector of cert-manager's controller Deployment (its chart and its static
/// manifests both set these labels).
pub const CONTROLLER_SELECTOR: &str =
    "app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller";

/// Everything read from cert-manager; empty when it is not installed or not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertManager {
    /// `Certificate`s.
    #[serde(default)]
    pub certificates: Vec<CertificateObject>,
    /// `CertificateRequest`s.
    #[serde(default)]
    pub requests: Vec<CertificateRequest>,
    /// `Issuer`s and `ClusterIssuer`s.
    #[serde(default)]
    pub issuers: Vec<Issuer>,
    /// cert-manager controller Deployments.
    #[serde(default)]
    pub controllers: Vec<Controller>,
    /// Gateways carrying one of [`GATEWAY_ANNOTATIONS`].
    #[serde(default)]
    pub gateway_annotations: Vec<GatewayAnnotation>,
}

impl CertManager {
    /// Nothing read (keeps snapshots without cert-manager as they were).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == CertManager::default()
    }

    /// The issuer `r` names, an Issuer looked up in `namespace`.
    #[must_use]
    pub fn issuer(&self, r: &IssuerRef, namespace: &str) -> Option<&Issuer> {
        self.issuers.iter().find(|i| {
            i.kind == r.kind
                && i.name == r.name
                && (r.kind == IssuerKind::ClusterIssuer || i.namespace == namespace)
        })
    }

    /// The Certificate that writes secret `namespace/secret`.
    #[must_use]
    pub fn producing(&self, namespace: &str, secret: &str) -> Option<&CertificateObject> {
        self.certificates.iter().find(|c| c.namespace == namespace && c.secret_name == secret)
    }

    /// The newest CertificateRequest of Certificate `namespace/name` (highest revision).
    #[must_use]
    pub fn latest_request(&self, namespace: &str, name: &str) -> Option<&CertificateRequest> {
        self.requests
            .iter()
            .filter(|r| r.namespace == namespace && r.certificate == name)
            .max_by_key(|r| (r.revision, r.name.clone()))
    }

    /// Sorts everything, so that output is stable whatever the reading order.
    pub fn sort(&mut self) {
        crate::order::sort_by(&mut self.certificates, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut self.requests, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut self.issuers, |a, b| {
            (a.kind as u8, &a.namespace, &a.name).cmp(&(b.kind as u8, &b.namespace, &b.name))
        });
        crate::order::sort_by(&mut self.controllers, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut self.gateway_annotations, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
    }
}

/// A `Certificate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateObject {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.secretName`.
    pub secret_name: String,
    /// `spec.dnsNames`.
    pub dns_names: Vec<String>,
    /// `spec.issuerRef` (kind `Issuer` when unset, as cert-manager defaults it).
    pub issuer: Option<IssuerRef>,
    /// `status.conditions` (`Ready`, `Issuing`).
    pub conditions: Vec<Condition>,
    /// Carries this tool's label.
    pub managed_by_tool: bool,
}

/// A `CertificateRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateRequest {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The Certificate it is for (`cert-manager.io/certificate-name`).
    pub certificate: String,
    /// `cert-manager.io/certificate-revision`.
    pub revision: i64,
    /// `status.conditions` (`Ready`, `Approved`, `Denied`, `InvalidRequest`).
    pub conditions: Vec<Condition>,
}

/// How an issuer issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IssuerType {
    /// `spec.acme` (Let's Encrypt and other ACME servers).
    Acme,
    /// `spec.ca`.
    Ca,
    /// `spec.selfSigned`.
    SelfSigned,
    /// `spec.vault`.
    Vault,
    /// `spec.venafi`.
    Venafi,
    /// None of these (an external issuer has its own kind, not this one).
    Other,
}

/// One ACME solver: its challenge type and the names its selector limits it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Solver {
    /// `dns01` (else `http01`).
    pub dns01: bool,
    /// `selector.dnsNames`.
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// `selector.dnsZones`.
    #[serde(default)]
    pub dns_zones: Vec<String>,
}

/// An `Issuer` or `ClusterIssuer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issuer {
    /// Issuer or ClusterIssuer.
    pub kind: IssuerKind,
    /// Namespace (empty for a ClusterIssuer).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// How it issues.
    pub type_: IssuerType,
    /// `spec.acme.solvers`.
    #[serde(default)]
    pub solvers: Vec<Solver>,
    /// `status.conditions` (`Ready`).
    pub conditions: Vec<Condition>,
}

impl Issuer {
    /// Whether it can issue `name`: anything but ACME can; ACME validates a wildcard only with
    /// DNS-01, so the solver cert-manager picks for it must be a `dns01` one. cert-manager picks
    /// the most specific matching solver: a `dnsNames` match, then the longest `dnsZones`
    /// match, then one without a selector.
    #[must_use]
    pub fn can_issue(&self, name: &str) -> bool {
        if self.type_ != IssuerType::Acme || !name.starts_with("*.") {
            return true;
        }
        self.chosen_solvers(name).iter().any(|s| s.dns01)
    }

    fn chosen_solvers(&self, name: &str) -> Vec<&Solver> {
        let by_name: Vec<&Solver> =
            self.solvers.iter().filter(|s| s.dns_names.iter().any(|n| n == name)).collect();
        if !by_name.is_empty() {
            return by_name;
        }
        let zone_len = |s: &Solver| {
            s.dns_zones
                .iter()
                .filter(|z| name == z.as_str() || name.ends_with(&format!(".{z}")))
                .map(String::len)
                .max()
        };
        if let Some(best) = self.solvers.iter().filter_map(zone_len).max() {
            return self.solvers.iter().filter(|s| zone_len(s) == Some(best)).collect();
        }
        self.solvers.iter().filter(|s| s.dns_names.is_empty() && s.dns_zones.is_empty()).collect()
    }

    /// `issuer/NAME` or `clusterissuer/NAME`.
    #[must_use]
    pub fn reference(&self) -> IssuerRef {
        IssuerRef { kind: self.kind, name: self.name.clone() }
    }
}

/// Whether cert-manager's controller acts on Gateway annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase", try_from = "GatewaySupportFields")]
pub enum GatewaySupport {
    /// On, and the argument that says so.
    Enabled {
        /// `--enable-gateway-api`, or the feature gate of cert-manager before 1.15.
        flag: String,
    },
    /// Off: no flag, no config file.
    Disabled,
    /// Set (or not) in the controller's config file (`--config`, Helm's `config.enableGatewayAPI`),
    /// which is not read.
    InConfigFile {
        /// The `--config` path.
        path: String,
    },
}

/// A [`GatewaySupport`] as written (`{state: enabled, flag: …}`), read as a plain struct and
/// converted: serde's internally tagged enum would buffer the mapping first (see
/// [`crate::snapshot::Source`]).
#[derive(Deserialize)]
struct GatewaySupportFields {
    state: GatewaySupportState,
    flag: Option<String>,
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum GatewaySupportState {
    Enabled,
    Disabled,
    InConfigFile,
}

impl TryFrom<GatewaySupportFields> for GatewaySupport {
    type Error = String;

    fn try_from(f: GatewaySupportFields) -> Result<Self, String> {
        let missing = |name: &str| format!("missing field `{name}`");
        Ok(match f.state {
            GatewaySupportState::Enabled => {
                GatewaySupport::Enabled { flag: f.flag.ok_or_else(|| missing("flag"))? }
            }
            GatewaySupportState::Disabled => GatewaySupport::Disabled,
            GatewaySupportState::InConfigFile => {
                GatewaySupport::InConfigFile { path: f.path.ok_or_else(|| missing("path"))? }
            }
        })
    }
}

/// A cert-manager controller Deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Controller {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Gateway support, from its container's args.
    pub gateway_api: GatewaySupport,
}

/// A Gateway's cert-manager issuer annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAnnotation {
    /// The Gateway's namespace.
    pub namespace: String,
    /// The Gateway's name.
    pub name: String,
    /// The annotation key.
    pub annotation: String,
    /// The issuer it names.
    pub issuer: String,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

fn meta(obj: &Value) -> (String, String) {
    (s(&obj["metadata"]["namespace"]), s(&obj["metadata"]["name"]))
}

/// Reads a `Certificate`.
#[must_use]
pub fn certificate(obj: &Value, conditions: Vec<Condition>, managed_by_tool: bool) -> CertificateObject {
    let (namespace, name) = meta(obj);
    let r = &obj["spec"]["issuerRef"];
    let issuer = r["name"].as_str().map(|n| IssuerRef {
        kind: if r["kind"] == "ClusterIssuer" { IssuerKind::ClusterIssuer } else { IssuerKind::Issuer },
        name: n.to_owned(),
    });
    CertificateObject {
        secret_name: s(&obj["spec"]["secretName"]),
        dns_names: strings(&obj["spec"]["dnsNames"]),
        issuer,
        conditions,
        managed_by_tool,
        namespace,
        name,
    }
}

/// Reads a `CertificateRequest` (the CSR itself is not kept).
#[must_use]
pub fn request(obj: &Value, conditions: Vec<Condition>) -> CertificateRequest {
    let (namespace, name) = meta(obj);
    let ann = &obj["metadata"]["annotations"];
    CertificateRequest {
        certificate: s(&ann["cert-manager.io/certificate-name"]),
        revision: ann["cert-manager.io/certificate-revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0),
        conditions,
        namespace,
        name,
    }
}

/// Reads an `Issuer` or `ClusterIssuer`.
#[must_use]
pub fn issuer(obj: &Value, kind: IssuerKind, conditions: Vec<Condition>) -> Issuer {
    let (namespace, name) = meta(obj);
    let spec = &obj["spec"];
    let type_ = [
        ("acme", IssuerType::Acme),
        ("ca", IssuerType::Ca),
        ("selfSigned", IssuerType::SelfSigned),
        ("vault", IssuerType::Vault),
        ("venafi", IssuerType::Venafi),
    ]
    .into_iter()
    .find(|(k, _)| spec[*k].is_object())
    .map_or(IssuerType::Other, |(_, t)| t);
    let solvers = spec["acme"]["solvers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| Solver {
                    dns01: v["dns01"].is_object(),
                    dns_names: strings(&v["selector"]["dnsNames"]),
                    dns_zones: strings(&v["selector"]["dnsZones"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Issuer {
        kind,
        namespace: if kind == IssuerKind::ClusterIssuer { String::new() } else { namespace },
        name,
        type_,
        solvers,
        conditions,
    }
}

/// Reads a controller Deployment: whether its cert-manager container turns Gateway support on.
#[must_use]
pub fn controller(obj: &Value) -> Controller {
    let (namespace, name) = meta(obj);
    let containers = obj["spec"]["template"]["spec"]["containers"].as_array().cloned().unwrap_or_default();
    let args: Vec<String> = containers
        .iter()
        .flat_map(|c| strings(&c["args"]).into_iter().chain(strings(&c["command"])))
        .collect();
    Controller { gateway_api: gateway_support(&args), namespace, name }
}

/// Gateway support from the controller's arguments: `--enable-gateway-api` (cert-manager 1.15
/// and later), the `ExperimentalGatewayAPISupport` feature gate (before 1.15), or a config file
/// that may set `enableGatewayAPI`.
#[must_use]
pub fn gateway_support(args: &[String]) -> GatewaySupport {
    let mut config = None;
    for a in args {
        let (flag, value) = a.split_once('=').map_or((a.as_str(), None), |(f, v)| (f, Some(v)));
        match flag {
            "--enable-gateway-api" if value.is_none_or(|v| v.eq_ignore_ascii_case("true")) => {
                return GatewaySupport::Enabled { flag: a.clone() };
            }
            "--feature-gates"
                if value.is_some_and(|v| {
                    v.split(',').any(|g| g.trim().eq_ignore_ascii_case("ExperimentalGatewayAPISupport=true"))
                }) =>
            {
                return GatewaySupport::Enabled { flag: a.clone() };
            }
            "--config" => config = value.map(str::to_owned),
            _ => {}
        }
    }
    config.map_or(GatewaySupport::Disabled, |path| GatewaySupport::InConfigFile { path })
}

/// The issuer annotations of a Gateway.
#[must_use]
pub fn gateway_annotations(obj: &Value) -> Vec<GatewayAnnotation> {
    let (namespace, name) = meta(obj);
    GATEWAY_ANNOTATIONS
        .iter()
        .filter_map(|key| {
            let issuer = obj["metadata"]["annotations"][*key].as_str()?;
            Some(GatewayAnnotation {
                namespace: namespace.clone(),
                name: name.clone(),
                annotation: (*key).to_owned(),
                issuer: issuer.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn acme(solvers: Value) -> Issuer {
        issuer(
            &json!({"metadata": {"name": "le"}, "spec": {"acme": {"server": "https://acme.example/dir", "solvers": solvers}}}),
            IssuerKind::ClusterIssuer,
            Vec::new(),
        )
    }

    #[test]
    fn wildcards_need_the_chosen_solver_to_be_dns01() {
        let http = acme(json!([{"http01": {"ingress": {"ingressClassName": "haproxy"}}}]));
        assert_eq!(http.type_, IssuerType::Acme);
        assert!(!http.can_issue("*.runai.example.com"));
        assert!(http.can_issue("runai.example.com"));
        let dns = acme(json!([{"http01": {"ingress": {}}}, {"dns01": {"cloudflare": {}}}]));
        assert!(dns.can_issue("*.runai.example.com"));
        // A dns01 solver for another zone does not help; one for this zone wins over the rest.
        let other = acme(json!([{"http01": {}}, {"dns01": {}, "selector": {"dnsZones": ["other.org"]}}]));
        assert!(!other.can_issue("*.runai.example.com"));
        let zoned = acme(json!([{"http01": {}}, {"dns01": {}, "selector": {"dnsZones": ["example.com"]}}]));
        assert!(zoned.can_issue("*.runai.example.com"));
        let ca = issuer(
            &json!({"metadata": {"name": "ca"}, "spec": {"ca": {"secretName": "ca"}}}),
            IssuerKind::Issuer,
            Vec::new(),
        );
        assert!(ca.can_issue("*.runai.example.com"));
    }

    #[test]
    fn gateway_support_from_the_controller_args() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(gateway_support(&args(&["--v=2"])), GatewaySupport::Disabled);
        assert!(matches!(gateway_support(&args(&["--enable-gateway-api"])), GatewaySupport::Enabled { .. }));
        assert!(matches!(
            gateway_support(&args(&[
                "--feature-gates=AdditionalCertificateOutputFormats=true,ExperimentalGatewayAPISupport=true"
            ])),
            GatewaySupport::Enabled { .. }
        ));
        assert_eq!(gateway_support(&args(&["--enable-gateway-api=false"])), GatewaySupport::Disabled);
        assert_eq!(
            gateway_support(&args(&["--config=/var/cert-manager/config/config.yaml"])),
            GatewaySupport::InConfigFile { path: "/var/cert-manager/config/config.yaml".into() }
        );
    }
}
