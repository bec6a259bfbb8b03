//! Certificates from cert-manager (`--tls-issuer`): the issuer reference, the default secret
//! names, and the `Certificate` objects that fill the listeners' secrets.
//!
//! The plan uses explicit `Certificate` objects, not the `cert-manager.io/cluster-issuer`
//! annotation on the Gateway. The annotation makes cert-manager create one Certificate per
//! listener, named after the listener's secret, as soon as the Gateway exists: with the secret
//! names Ingress mode uses, cert-manager would take over (and re-issue into) the very secrets
//! the Ingress still serves, and rollback could not give them back. It also needs the controller
//! started with Gateway support, and removing the annotation does not delete what it made.
//! Explicit Certificates write into new secret names the Ingress never reads, exist before the
//! Gateway refers to them, carry this tool's label (so `rollback --prune` removes them and only
//! them), and work whether or not the controller's Gateway support is on.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::helm::shell_quote;
use crate::manifests::{self, FIELD_MANAGER, MANAGED_BY_LABEL};
use crate::plan::{Ownership, PlannedObject, SecretRequirement, Step};
use crate::spec::Spec;

/// cert-manager's API version of `Certificate`, `Issuer` and `ClusterIssuer`.
pub const API_VERSION: &str = "cert-manager.io/v1";

/// The secrets the Gateway's listeners use when cert-manager issues them: new names, so the
/// secrets the Ingress serves stay untouched until rollback is no longer possible.
pub mod secrets {
    /// The control-plane listener's secret.
    pub const CLUSTER_DOMAIN: &str = "runai-gateway-cluster-domain-tls";
    /// The workloads wildcard listener's secret.
    pub const WORKLOADS: &str = "runai-gateway-workloads-tls";
    /// The inference wildcard listener's secret.
    pub const INFERENCE: &str = "runai-gateway-inference-tls";
}

/// An `Issuer` (in the Gateway's namespace) or a `ClusterIssuer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IssuerKind {
    /// Namespaced: must live in the Gateway's namespace, where the Certificates are.
    Issuer,
    /// Cluster-wide.
    ClusterIssuer,
}

impl IssuerKind {
    /// `Issuer` or `ClusterIssuer`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerKind::Issuer => "Issuer",
            IssuerKind::ClusterIssuer => "ClusterIssuer",
        }
    }

    /// The prefix `--tls-issuer` takes (`issuer`, `clusterissuer`).
    #[must_use]
    pub fn flag_prefix(self) -> &'static str {
        match self {
            IssuerKind::Issuer => "issuer",
            IssuerKind::ClusterIssuer => "clusterissuer",
        }
    }
}

/// The issuer `--tls-issuer` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRef {
    /// Issuer or ClusterIssuer.
    pub kind: IssuerKind,
    /// Its name.
    pub name: String,
}

impl fmt::Display for IssuerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.flag_prefix(), self.name)
    }
}

impl IssuerRef {
    /// Parses `clusterissuer/NAME` or `issuer/NAME` (the kind case-insensitive, as `kubectl`
    /// spells resources).
    ///
    /// # Errors
    /// The rule the value breaks.
    pub fn parse(s: &str) -> Result<Self, String> {
        let Some((kind, name)) = s.split_once('/') else {
            return Err("is `clusterissuer/NAME` or `issuer/NAME`".into());
        };
        let kind = match kind.to_ascii_lowercase().as_str() {
            "clusterissuer" | "clusterissuers" | "clusterissuers.cert-manager.io" => IssuerKind::ClusterIssuer,
            "issuer" | "issuers" | "issuers.cert-manager.io" => IssuerKind::Issuer,
            _ => return Err(format!("names an `issuer` or a `clusterissuer`, not `{kind}`")),
        };
        if name.is_empty() {
            return Err("names the issuer after the `/`".into());
        }
        Ok(IssuerRef { kind, name: name.to_owned() })
    }

    /// The reference a Certificate's `spec.issuerRef` carries.
    #[must_use]
    pub fn issuer_ref(&self) -> Value {
        json!({ "group": "cert-manager.io", "kind": self.kind.as_str(), "name": self.name })
    }

    /// `kubectl get` of the issuer, the namespace given for an Issuer.
    #[must_use]
    pub fn kubectl_ref(&self, namespace: &str) -> String {
        match self.kind {
            IssuerKind::ClusterIssuer => format!("clusterissuer/{}", self.name),
            IssuerKind::Issuer => format!("issuer/{} -n {namespace}", self.name),
        }
    }
}

/// One Certificate of the plan: which listener, which secret, which names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCertificate {
    /// The Certificate's name (that of its secret).
    pub name: String,
    /// The listener whose secret it fills.
    pub listener: String,
    /// The names it covers.
    pub dns_names: Vec<String>,
}

/// The Certificates the plan creates when `spec` names an issuer: one per HTTPS listener
/// that has a secret (OpenShift's inference Gateway is not this tool's).
#[must_use]
pub fn planned(spec: &Spec) -> Vec<PlannedCertificate> {
    if spec.tls_issuer.is_none() {
        return Vec::new();
    }
    manifests::listeners(spec)
        .into_iter()
        .filter_map(|l| {
            Some(PlannedCertificate { name: l.secret?, listener: l.name.to_owned(), dns_names: vec![l.hostname?] })
        })
        .collect()
}

/// Whether any planned Certificate asks for a wildcard (which an ACME issuer validates only
/// with a DNS-01 solver).
#[must_use]
pub fn wants_wildcard(spec: &Spec) -> bool {
    planned(spec).iter().any(|c| c.dns_names.iter().any(|n| n.starts_with("*.")))
}

/// The `Certificate` manifest of `c`, in the Gateway's namespace. The secret it produces carries
/// this tool's label too (cert-manager copies `secretTemplate`), so it is told apart from the
/// Ingress's secrets.
#[must_use]
pub fn certificate(spec: &Spec, c: &PlannedCertificate) -> Value {
    let issuer = spec.tls_issuer.as_ref().map_or(Value::Null, IssuerRef::issuer_ref);
    json!({
        "apiVersion": API_VERSION,
        "kind": "Certificate",
        "metadata": {
            "name": c.name,
            "namespace": spec.gateway_namespace,
            "labels": { MANAGED_BY_LABEL: FIELD_MANAGER },
        },
        "spec": {
            "secretName": c.name,
            "dnsNames": c.dns_names,
            "issuerRef": issuer,
            "secretTemplate": { "labels": { MANAGED_BY_LABEL: FIELD_MANAGER } },
        },
    })
}

/// The Certificates as planned objects, applied before the Gateway that refers to their secrets.
#[must_use]
pub fn planned_objects(spec: &Spec) -> Vec<PlannedObject> {
    let issuer = spec.tls_issuer.as_ref().map(ToString::to_string).unwrap_or_default();
    planned(spec)
        .iter()
        .map(|c| PlannedObject {
            purpose: format!("listener `{}`'s certificate from cert-manager ({issuer})", c.listener),
            ownership: Ownership::Owned,
            manifest: certificate(spec, c),
        })
        .collect()
}

/// The secrets cert-manager fills, as requirements of the plan.
#[must_use]
pub fn secret_requirements(spec: &Spec) -> Vec<SecretRequirement> {
    let issuer = spec.tls_issuer.as_ref().map(ToString::to_string).unwrap_or_default();
    planned(spec)
        .into_iter()
        .map(|c| SecretRequirement {
            create: format!(
                "kubectl wait --for=condition=Ready certificate/{} -n {} --timeout=10m",
                shell_quote(&c.name),
                shell_quote(&spec.gateway_namespace)
            ),
            used_by: format!("Gateway listener `{}`, issued by cert-manager ({issuer})", c.listener),
            namespace: spec.gateway_namespace.clone(),
            hosts: c.dns_names,
            name: c.name,
            copy_from: None,
        })
        .collect()
}

/// The waits for every planned Certificate to be issued (none without an issuer).
#[must_use]
pub fn certificate_waits(spec: &Spec) -> Vec<String> {
    secret_requirements(spec).into_iter().map(|r| r.create).collect()
}

/// The `tls-secrets` step when cert-manager issues the certificates: the issuer must be ready
/// (and, for the wildcards, able to solve DNS-01); the Certificates are applied with the
/// Gateway and waited for before it.
#[must_use]
pub fn tls_step(spec: &Spec, secrets: &[SecretRequirement]) -> Option<Step> {
    let issuer = spec.tls_issuer.as_ref()?;
    let target = issuer.kubectl_ref(&shell_quote(&spec.gateway_namespace));
    let mut commands = vec![format!("kubectl wait --for=condition=Ready {target} --timeout=1m")];
    if wants_wildcard(spec) {
        commands.push("# wildcards: an ACME issuer needs a dns01 solver (http01 cannot validate `*.` names)".into());
        commands.push(format!("kubectl get {target} -o jsonpath='{{.spec.acme.solvers[*].dns01}}'"));
    }
    for s in secrets.iter().filter(|s| s.namespace == spec.gateway_namespace) {
        commands.push(format!("# {}/{} will cover {} ({})", s.namespace, s.name, s.hosts.join(", "), s.used_by));
    }
    Some(Step {
        id: "tls-secrets",
        title: format!("Check cert-manager's issuer `{issuer}` for the listeners' certificates"),
        detail: format!(
            "One `Certificate` per HTTPS listener is applied with the Gateway, into new secrets (`{}`…), so the secrets the Ingress serves are never touched and rollback leaves them as they were. Wildcard names need an issuer that can solve DNS-01.",
            secrets.first().map_or("", |s| s.name.as_str())
        ),
        commands,
        manual: false,
    })
}

/// Whether `secret` is a Secret cert-manager issued for one of `certificates` (this tool's):
/// it carries this tool's label through `secretTemplate` and names its Certificate in
/// `cert-manager.io/certificate-name`, but cert-manager, not this tool, wrote it.
pub fn issued_for<'a>(secret: &Value, mut certificates: impl Iterator<Item = &'a Value>) -> bool {
    let m = &secret["metadata"];
    secret["kind"] == "Secret"
        && m["labels"][MANAGED_BY_LABEL] == FIELD_MANAGER
        && certificates.any(|c| {
            c["kind"] == "Certificate"
                && c["metadata"]["namespace"] == m["namespace"]
                && m["annotations"]["cert-manager.io/certificate-name"] == c["metadata"]["name"]
        })
}

/// Whether a planned Certificate writes secret `namespace/name`.
#[must_use]
pub fn fills(spec: &Spec, namespace: &str, name: &str) -> bool {
    namespace == spec.gateway_namespace && planned(spec).iter().any(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_and_refuses_the_rest() {
        let c = IssuerRef::parse("clusterissuer/letsencrypt").expect("cluster");
        assert_eq!((c.kind, c.name.as_str()), (IssuerKind::ClusterIssuer, "letsencrypt"));
        assert_eq!(c.to_string(), "clusterissuer/letsencrypt");
        let i = IssuerRef::parse("Issuer/ca").expect("issuer");
        assert_eq!((i.kind, i.to_string().as_str()), (IssuerKind::Issuer, "issuer/ca"));
        assert!(IssuerRef::parse("letsencrypt").is_err());
        assert!(IssuerRef::parse("secret/x").is_err());
        assert!(IssuerRef::parse("issuer/").is_err());
    }
}
