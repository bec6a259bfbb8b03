//! The one table of the Kubernetes kinds this tool reads and writes: what the collector lists,
//! what ingestion keeps, what `apply` writes and what `rollback --prune` may delete, with the
//! names the API server and RBAC use for them.

use crate::snapshot::Kind;

/// A Kubernetes kind as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// `v1`, `gateway.networking.k8s.io/v1`…
    pub api_version: &'static str,
    /// `Gateway`, `Secret`…
    pub kind: &'static str,
    /// The plural resource name (`gateways`).
    pub plural: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// The snapshot kind it is read as, if `status` reads it.
    pub read_as: Option<Kind>,
    /// Whether `apply` may create it, so that `rollback --prune` may delete it (in this table's
    /// order: routes before the Gateway they attach to).
    pub prunable: bool,
}

impl KindInfo {
    /// The API group (`""` for the core group).
    #[must_use]
    pub fn group(&self) -> &'static str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// The version (`v1`).
    #[must_use]
    pub fn version(&self) -> &'static str {
        self.api_version.rsplit_once('/').map_or(self.api_version, |(_, v)| v)
    }

    /// `resource.group` as RBAC and `kubectl` name it (`gateways.gateway.networking.k8s.io`,
    /// `secrets`).
    #[must_use]
    pub fn resource(&self) -> String {
        match self.group() {
            "" => self.plural.to_owned(),
            g => format!("{}.{g}", self.plural),
        }
    }
}

const fn kind(
    api_version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    read_as: Option<Kind>,
    prunable: bool,
) -> KindInfo {
    KindInfo { api_version, kind, plural, namespaced, read_as, prunable }
}

/// Every kind, in the order prune deletes them.
pub const KINDS: &[KindInfo] = &[
    kind("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes", true, Some(Kind::HttpRoute), true),
    kind(
        crate::controllers::LISTENER_POLICY_API_VERSION,
        crate::controllers::LISTENER_POLICY_KIND,
        "httplistenerpolicies",
        true,
        Some(Kind::ListenerPolicy),
        true,
    ),
    kind("gateway.networking.k8s.io/v1", "Gateway", "gateways", true, Some(Kind::Gateway), true),
    kind("cert-manager.io/v1", "Certificate", "certificates", true, Some(Kind::Certificate), true),
    kind("v1", "Secret", "secrets", true, Some(Kind::Secret), true),
    kind("v1", "ConfigMap", "configmaps", true, None, false),
    kind(
        "gateway.networking.k8s.io/v1",
        "GatewayClass",
        "gatewayclasses",
        false,
        Some(Kind::GatewayClass),
        false,
    ),
    kind(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        Some(Kind::CustomResourceDefinition),
        false,
    ),
    kind("v1", "Namespace", "namespaces", false, Some(Kind::Namespace), false),
    kind("v1", "Service", "services", true, Some(Kind::Service), false),
    kind("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", true, Some(Kind::EndpointSlice), false),
    kind("networking.k8s.io/v1", "Ingress", "ingresses", true, Some(Kind::Ingress), false),
    kind(
        "operator.knative.dev/v1beta1",
        "KnativeServing",
        "knativeservings",
        true,
        Some(Kind::KnativeServing),
        false,
    ),
    kind("run.ai/v1", "RunaiConfig", "runaiconfigs", true, Some(Kind::RunaiConfig), false),
    kind("apps/v1", "Deployment", "deployments", true, Some(Kind::Deployment), false),
    kind(
        "cert-manager.io/v1",
        "CertificateRequest",
        "certificaterequests",
        true,
        Some(Kind::CertificateRequest),
        false,
    ),
    kind("cert-manager.io/v1", "Issuer", "issuers", true, Some(Kind::Issuer), false),
    kind("cert-manager.io/v1", "ClusterIssuer", "clusterissuers", false, Some(Kind::ClusterIssuer), false),
    kind("apps/v1", "Deployment", "deployments", true, Some(Kind::CertManagerController), false),
];

/// The entry for `api_version` and `kind`.
#[must_use]
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.api_version == api_version && k.kind == kind)
}

/// The entry `status` reads as `kind` (the control plane's releases are Secrets too).
#[must_use]
pub fn of_snapshot_kind(kind: Kind) -> &'static KindInfo {
    let wanted = if kind == Kind::ControlPlaneRelease { Kind::Secret } else { kind };
    KINDS.iter().find(|k| k.read_as == Some(wanted)).unwrap_or(&KINDS[0])
}

/// The kinds `rollback --prune` may delete, in deletion order.
pub fn prunable() -> impl Iterator<Item = &'static KindInfo> {
    KINDS.iter().filter(|k| k.prunable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snapshot_kind_has_exactly_one_entry() {
        for k in Kind::ALL.into_iter().filter(|k| *k != Kind::ControlPlaneRelease) {
            assert_eq!(KINDS.iter().filter(|e| e.read_as == Some(k)).count(), 1, "{k:?}");
            assert_eq!(of_snapshot_kind(k).read_as, Some(k));
        }
        assert_eq!(of_snapshot_kind(Kind::ControlPlaneRelease).kind, "Secret");
    }

    #[test]
    fn names_as_rbac_spells_them() {
        let gw = lookup("gateway.networking.k8s.io/v1", "Gateway").expect("gateway");
        assert_eq!((gw.group(), gw.version()), ("gateway.networking.k8s.io", "v1"));
        assert_eq!(gw.resource(), "gateways.gateway.networking.k8s.io");
        assert_eq!(lookup("v1", "Secret").expect("secret").resource(), "secrets");
        assert_eq!(lookup("v1", "Secret").expect("secret").group(), "");
    }

    #[test]
    fn prune_deletes_routes_before_their_gateway() {
        let order: Vec<_> = prunable().map(|k| k.kind).collect();
        assert_eq!(order, ["HTTPRoute", "HTTPListenerPolicy", "Gateway", "Certificate", "Secret"]);
    }

    #[test]
    fn every_planned_object_is_in_the_table() {
        for input in [
            "clusterDomain: runai.example.com\n",
            "clusterDomain: runai.example.com\nplatform: openshift\n",
            "clusterDomain: runai.example.com\ntls:\n  issuer: clusterissuer/letsencrypt\n",
        ] {
            let plan = crate::compute(&crate::SpecInput::from_yaml(input).expect("input")).expect("plan");
            for o in &plan.objects {
                let r = crate::state::ObjectRef::of(&o.manifest);
                assert!(lookup(&r.api_version, &r.kind).is_some(), "{r}");
            }
        }
    }
}
