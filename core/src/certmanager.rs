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

pub mod observed;

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
            "clusterissuer" | "clusterissuers" | "clusterissuers.cert-manager.io" => {
                IssuerKind::ClusterIssuer
            }
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
            Some(PlannedCertificate {
                name: l.secret?,
                listener: l.name.to_owned(),
                dns_names: vec![l.hostname?],
            })
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
        commands.push(
            "# wildcards: an ACME issuer needs a dns01 solver (http01 cannot validate `*.` names)".into(),
        );
        commands.push(format!("kubectl get {target} -o jsonpath='{{.spec.acme.solvers[*].dns01}}'"));
    }
    for s in secrets.iter().filter(|s| s.namespace == spec.gateway_namespace) {
        commands.push(format!(
            "# {}/{} will cover {} ({})",
            s.namespace,
            s.name,
            s.hosts.join(", "),
            s.used_by
        ));
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

/// The rollback script's removal of the Certificates and of the secrets cert-manager issued
/// for them (it leaves a secret behind when its Certificate goes); `None` without an issuer.
#[must_use]
pub fn prune_command(spec: &Spec) -> Option<String> {
    spec.tls_issuer.as_ref()?;
    let ns = shell_quote(&spec.gateway_namespace);
    let names: Vec<String> = planned(spec).iter().map(|c| shell_quote(&c.name)).collect();
    Some(format!(
        "kubectl delete certificates.cert-manager.io -n {ns} -l {MANAGED_BY_LABEL}={FIELD_MANAGER} && kubectl delete secret -n {ns} --ignore-not-found {}",
        names.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, Action, ApplyChoices, Facts, Observation, RollbackChoices, RollbackFacts};
    use crate::spec::SpecInput;

    fn input(extra: &str) -> SpecInput {
        SpecInput::from_yaml(&format!("clusterDomain: runai.example.com\n{extra}")).expect("input")
    }

    fn plan(extra: &str) -> crate::Plan {
        crate::compute(&input(extra)).unwrap_or_else(|e| panic!("{e}"))
    }

    const ISSUER: &str = "tls:\n  issuer: clusterissuer/letsencrypt\n";

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

    #[test]
    fn one_certificate_per_listener_before_the_gateway_into_new_secrets() {
        let p = plan(ISSUER);
        let kinds: Vec<String> = p.objects.iter().map(PlannedObject::reference).collect();
        assert_eq!(
            kinds[..4],
            [
                "Certificate runai/runai-gateway-cluster-domain-tls",
                "Certificate runai/runai-gateway-workloads-tls",
                "Certificate runai/runai-gateway-inference-tls",
                "Gateway runai/runai-gateway",
            ]
        );
        let cert = &p.objects[1].manifest;
        assert_eq!(cert["spec"]["dnsNames"], json!(["*.runai.example.com"]));
        assert_eq!(cert["spec"]["secretName"], "runai-gateway-workloads-tls");
        assert_eq!(
            cert["spec"]["issuerRef"],
            json!({"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"})
        );
        let gw = &p.objects[3].manifest;
        let refs: Vec<&Value> = gw["spec"]["listeners"]
            .as_array()
            .expect("listeners")
            .iter()
            .filter_map(|l| l["tls"]["certificateRefs"][0].get("name"))
            .collect();
        assert_eq!(
            refs,
            [
                "runai-gateway-cluster-domain-tls",
                "runai-gateway-workloads-tls",
                "runai-gateway-inference-tls"
            ]
        );
        // No secret to copy, none of the Ingress's touched; the control plane's own stays.
        assert!(p.secrets.iter().all(|s| s.copy_from.is_none()));
        assert!(p.secrets.iter().all(|s| !s.name.starts_with("runai-cluster-")), "{:?}", p.secrets);
        assert!(p.secrets.iter().any(|s| s.name == crate::spec::defaults::BACKEND_SECRET));
        let tls = p.steps.iter().find(|s| s.id == "tls-secrets").expect("tls step");
        assert!(tls.commands[0].contains("clusterissuer/letsencrypt"), "{:?}", tls.commands);
        assert!(tls.commands.iter().any(|c| c.contains("dns01")));
        let gw_step = p.steps.iter().find(|s| s.id == "gateway").expect("gateway step");
        assert_eq!(gw_step.commands.iter().filter(|c| c.contains("certificate/")).count(), 3);
        assert!(wants_wildcard(&p.spec));
        let prune = p.rollback.iter().find(|s| s.id == "rollback-prune").expect("prune step");
        assert!(prune.commands[1].contains("certificates.cert-manager.io -n runai"), "{:?}", prune.commands);
        assert!(prune.commands[1].ends_with("runai-gateway-workloads-tls runai-gateway-inference-tls"));
    }

    #[test]
    fn path_mode_without_inference_asks_for_no_wildcard() {
        let p = plan(&format!("routingMode: path\ninference:\n  enabled: false\n{ISSUER}"));
        assert_eq!(planned(&p.spec).len(), 1);
        assert!(!wants_wildcard(&p.spec));
        let tls = p.steps.iter().find(|s| s.id == "tls-secrets").expect("tls step");
        assert!(!tls.commands.iter().any(|c| c.contains("dns01")));
    }

    #[test]
    fn without_an_issuer_nothing_changes() {
        let p = plan("");
        assert!(p.objects.iter().all(|o| o.manifest["kind"] != "Certificate"));
        assert_eq!(p.spec.cluster_domain_secret, crate::spec::defaults::CLUSTER_DOMAIN_SECRET);
    }

    #[test]
    fn refuses_a_bad_issuer_and_the_ingress_secret_names() {
        let err = crate::compute(&input("tls:\n  issuer: letsencrypt\n")).expect_err("bad issuer");
        assert!(err.to_string().contains("tls.issuer"), "{err}");
        let err = crate::compute(&input(
            "tls:\n  issuer: issuer/ca\n  workloadsSecret: runai-cluster-domain-star-tls-secret\n",
        ))
        .expect_err("an Ingress secret");
        assert!(err.to_string().contains("tls.workloadsSecret"), "{err}");
        // Another name is fine, and an Issuer is looked up in the Gateway's namespace.
        let p = plan("tls:\n  issuer: issuer/ca\n  clusterDomainSecret: mine\n");
        assert_eq!(p.spec.cluster_domain_secret, "mine");
        let tls = p.steps.iter().find(|s| s.id == "tls-secrets").expect("tls step");
        assert!(tls.commands[0].contains("issuer/ca -n runai"), "{:?}", tls.commands);
    }

    #[test]
    fn apply_creates_the_certificates_in_prepare_and_rollback_prunes_them_and_their_secrets() {
        let p = plan(ISSUER);
        let obs = Observation {
            facts: Facts::default(),
            objects: vec![None; p.objects.len()],
            plan: p.clone(),
            copy: None,
            hand_made_ingresses: Vec::new(),
            external_dns: Vec::new(),
            ingresses: Vec::new(),
        };
        let actions = engine::decide_apply(&obs, &ApplyChoices::default());
        let applied: Vec<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Apply { object, .. } => Some(object.reference()),
                _ => None,
            })
            .collect();
        assert_eq!(applied.iter().filter(|r| r.starts_with("Certificate ")).count(), 3);
        assert!(!actions.iter().any(|a| matches!(a, Action::CopySecret { .. })));
        let Some(Action::Preflight { permissions, .. }) = actions.first() else { panic!("preflight first") };
        assert!(permissions.iter().any(|p| p.resource == "certificates" && p.group == "cert-manager.io"));

        let ours = json!([{ "manager": FIELD_MANAGER }]);
        let labels = json!({ MANAGED_BY_LABEL: FIELD_MANAGER });
        let cert = json!({"apiVersion": API_VERSION, "kind": "Certificate", "metadata": {
            "name": "runai-gateway-workloads-tls", "namespace": "runai", "uid": "c1",
            "labels": labels, "managedFields": ours}});
        let issued = |name: &str, uid: &str| {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": name, "namespace": "runai", "uid": uid, "labels": labels,
            "annotations": {"cert-manager.io/certificate-name": name},
            "managedFields": [{"manager": "cert-manager-certificates-issuing"}]}})
        };
        let rf = RollbackFacts {
            // The second secret names a Certificate this tool did not create: it stays.
            labelled: vec![cert, issued("runai-gateway-workloads-tls", "s1"), issued("other", "s2")],
            ..RollbackFacts::default()
        };
        let deleted: Vec<String> =
            engine::decide_rollback(&Facts::default(), &p, &rf, RollbackChoices { prune: true })
                .into_iter()
                .filter_map(|a| match a {
                    Action::Delete { uid, .. } => Some(uid),
                    _ => None,
                })
                .collect();
        assert_eq!(deleted, ["c1", "s1"]);
    }
}
