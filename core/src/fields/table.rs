//! The table itself, in the order of `--help`.

use super::{Access, Choice, Field, Flag, Kind, Shown, Typed as _, section, typed};
use crate::spec::{ControlPlaneLocation, Controller, DnsMode, Platform, RoutingMode, Spec, SpecInput};

/// Reads (`get`) or writes (`put`) one field of a [`SpecInput`] by its path of struct fields.
macro_rules! lens {
    (get $i:ident, $a:ident) => {
        $i.$a.clone()
    };
    (get $i:ident, $a:ident . $b:ident) => {
        $i.$a.as_ref().and_then(|s| s.$b.clone())
    };
    (get $i:ident, $a:ident . $b:ident . $c:ident) => {
        $i.$a.as_ref().and_then(|s| s.$b.as_ref()).and_then(|s| s.$c.clone())
    };
    (put $i:ident, $v:ident, $a:ident) => {
        $i.$a = $v
    };
    (put $i:ident, $v:ident, $a:ident . $b:ident) => {
        section(&mut $i.$a, |s| s.$b = $v)
    };
    (put $i:ident, $v:ident, $a:ident . $b:ident . $c:ident) => {
        section(&mut $i.$a, |s| section(&mut s.$b, |s| s.$c = $v))
    };
}

/// The accessors of the field at `$seg…` of a [`SpecInput`]; `$spec` is its value in a
/// resolved [`Spec`] (an `Option` of the field's type).
macro_rules! access {
    ([$($seg:ident).+], |$s:ident| $spec:expr) => {
        Access {
            get: |i: &SpecInput| lens!(get i, $($seg).+).map(|v| v.into_value()),
            set: |i: &mut SpecInput, v| {
                let v = typed(v)?;
                lens!(put i, v, $($seg).+);
                Ok(())
            },
            copy: |from: &SpecInput, to: &mut SpecInput| {
                let v = lens!(get from, $($seg).+);
                lens!(put to, v, $($seg).+);
            },
            from_spec: |$s: &Spec, to: &mut SpecInput| {
                let v = $spec;
                lens!(put to, v, $($seg).+);
            },
        }
    };
}

const fn flag(long: &'static str, value_name: &'static str, heading: &'static str) -> Option<Flag> {
    Some(Flag { long, value_name, heading, conflicts_with: None })
}

const fn choice(value: &'static str, help: &'static str) -> Choice {
    Choice { value, help }
}

const ROUTING: &str = "Routing";
const GATEWAY: &str = "Gateway";
const TLS: &str = "TLS";
const KNATIVE: &str = "Knative";
const RUNAI: &str = "Run:ai";

/// The controllers' spellings, from [`Controller::ALL`].
const CONTROLLERS: [Choice; Controller::ALL.len()] = {
    let mut out = [choice("", ""); Controller::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = choice(Controller::ALL[i].as_str(), "");
        i += 1;
    }
    out
};

/// Every input field, in the order of `--help` (which groups them by [`Flag::heading`]).
pub const FIELDS: &[Field] = &[
    Field {
        path: "apiVersion",
        label: "apiVersion",
        help: "The config format, `runai-gateway/v1alpha1` when present",
        default: Shown::Nothing,
        kind: Kind::Text,
        flag: None,
        access: access!([api_version], |_s| None),
    },
    Field {
        path: "kind",
        label: "kind",
        help: "What the config file describes, `GatewayMigration` when present",
        default: Shown::Nothing,
        kind: Kind::Text,
        flag: None,
        access: access!([kind], |_s| None),
    },
    Field {
        path: "clusterDomain",
        label: "Cluster domain",
        help: "Control-plane FQDN, e.g. runai.example.com",
        default: Shown::Nothing,
        kind: Kind::Text,
        flag: flag("cluster-domain", "FQDN", ROUTING),
        access: access!([cluster_domain], |s| Some(s.cluster_domain.clone())),
    },
    Field {
        path: "routingMode",
        label: "Routing mode",
        help: "Workspaces and training: wildcard subdomains (host) or paths under the cluster domain (path)",
        default: Shown::Resolved,
        kind: Kind::Enum {
            values: &[
                choice(RoutingMode::Host.as_str(), "Wildcard subdomains per workload"),
                choice(RoutingMode::Path.as_str(), "Paths under the cluster domain"),
            ],
        },
        flag: flag("routing-mode", "ROUTING_MODE", ROUTING),
        access: access!([routing_mode], |s| Some(s.routing_mode)),
    },
    Field {
        path: "inference.domain",
        label: "Inference domain",
        help: "Wildcard inference domain without `*.`",
        default: Shown::Note("runai-inference.<parent of the cluster domain>"),
        kind: Kind::Text,
        flag: flag("inference-domain", "FQDN", ROUTING),
        // A derived domain stays unset, so that it is derived again.
        access: access!([inference.domain], |s| s
            .inference_domain
            .clone()
            .filter(|_| !s.inference_domain_derived)),
    },
    Field {
        path: "inference.enabled",
        label: "Route inference through the Gateway",
        help: "Do not route inference (Knative) traffic through the Gateway",
        default: Shown::Resolved,
        kind: Kind::Bool,
        flag: Some(Flag {
            long: "no-inference",
            value_name: "",
            heading: ROUTING,
            conflicts_with: Some("inference.domain"),
        }),
        access: access!([inference.enabled], |s| Some(s.inference_enabled())),
    },
    Field {
        path: "platform",
        label: "Platform",
        help: "Kubernetes distribution",
        default: Shown::Resolved,
        kind: Kind::Enum {
            values: &[
                choice(Platform::Kubernetes.as_str(), "Upstream Kubernetes"),
                choice(Platform::Openshift.as_str(), "Red Hat OpenShift"),
            ],
        },
        flag: flag("platform", "PLATFORM", ROUTING),
        access: access!([platform], |s| Some(s.platform)),
    },
    Field {
        path: "dns",
        label: "Who moves the DNS records",
        help: "Who moves the DNS records at switch-dns: by hand (manual) or external-dns, whose Ingresses apply then annotates so that they stop claiming the Gateway's hostnames (rollback restores the annotations)",
        default: Shown::Resolved,
        kind: Kind::Enum {
            values: &[
                choice(DnsMode::Manual.as_str(), "Change the records by hand; apply waits for them"),
                choice(
                    DnsMode::ExternalDns.as_str(),
                    "external-dns moves them once apply annotates the Ingresses that claim them",
                ),
            ],
        },
        flag: flag("dns", "DNS", ROUTING),
        access: access!([dns], |s| Some(s.dns)),
    },
    Field {
        path: "gateway.name",
        label: "Gateway name",
        help: "Gateway name",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("gateway-name", "NAME", GATEWAY),
        access: access!([gateway.name], |s| Some(s.gateway_name.clone())),
    },
    Field {
        path: "gateway.namespace",
        label: "Gateway namespace",
        help: "Gateway namespace",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("gateway-namespace", "NAMESPACE", GATEWAY),
        access: access!([gateway.namespace], |s| Some(s.gateway_namespace.clone())),
    },
    Field {
        path: "gateway.className",
        label: "GatewayClass",
        help: "GatewayClass",
        default: Shown::Note("the controller's class (kgateway for kgateway)"),
        kind: Kind::Text,
        flag: flag("gateway-class", "NAME", GATEWAY),
        access: access!([gateway.class_name], |s| Some(s.gateway_class.clone())),
    },
    Field {
        path: "gateway.controller",
        label: "Controller (Gateway API implementation)",
        help: "Gateway API implementation, which decides controller-specific extras",
        default: Shown::Note("kgateway (openshift on OpenShift)"),
        kind: Kind::Enum { values: &CONTROLLERS },
        flag: flag("controller", "NAME", GATEWAY),
        access: access!([gateway.controller], |s| Some(s.controller)),
    },
    Field {
        path: "gateway.httpRedirect",
        label: "Redirect HTTP (port 80) to HTTPS",
        help: "Leave out the port-80 listener that redirects to HTTPS",
        default: Shown::Resolved,
        kind: Kind::Bool,
        flag: flag("no-http-redirect", "", GATEWAY),
        access: access!([gateway.http_redirect], |s| Some(s.http_redirect)),
    },
    Field {
        path: "gateway.websockets",
        label: "Enable WebSocket upgrades",
        help: "Leave out the WebSocket policy (kgateway turns WebSocket upgrades off by default)",
        default: Shown::Resolved,
        kind: Kind::Bool,
        flag: flag("no-websockets", "", GATEWAY),
        access: access!([gateway.websockets], |s| Some(s.websockets)),
    },
    Field {
        path: "allowedRoutes.controlPlane",
        label: "Control-plane listener",
        help: "Routes allowed on the control-plane listener: all, same, ns:A,B or label:KEY[=VALUE]",
        default: Shown::Note("host mode: ns:runai,runai-backend; path mode: all"),
        kind: Kind::Routes,
        flag: flag("control-plane-routes", "POLICY", GATEWAY),
        access: access!([allowed_routes.control_plane], |s| Some(s.allowed_routes.control_plane.clone())),
    },
    Field {
        path: "allowedRoutes.workloads",
        label: "Workloads listener",
        help: "Routes allowed on the workloads listener",
        default: Shown::Resolved,
        kind: Kind::Routes,
        flag: flag("workload-routes", "POLICY", GATEWAY),
        access: access!([allowed_routes.workloads], |s| Some(s.allowed_routes.workloads.clone())),
    },
    Field {
        path: "allowedRoutes.inference",
        label: "Inference listener",
        help: "Routes allowed on the inference listener",
        default: Shown::Resolved,
        kind: Kind::Routes,
        flag: flag("inference-routes", "POLICY", GATEWAY),
        access: access!([allowed_routes.inference], |s| Some(s.allowed_routes.inference.clone())),
    },
    Field {
        path: "tls.clusterDomainSecret",
        label: "Cluster domain secret",
        help: "Secret of the control-plane listener",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("cluster-domain-secret", "NAME", TLS),
        access: access!([tls.cluster_domain_secret], |s| Some(s.cluster_domain_secret.clone())),
    },
    Field {
        path: "tls.workloadsSecret",
        label: "Workloads wildcard secret (host mode)",
        help: "Secret of the workloads listener",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("workloads-secret", "NAME", TLS),
        access: access!([tls.workloads_secret], |s| Some(s.workloads_secret.clone())),
    },
    Field {
        path: "tls.inferenceSecret",
        label: "Inference wildcard secret",
        help: "Secret of the inference listener",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("inference-secret", "NAME", TLS),
        access: access!([tls.inference_secret], |s| Some(s.inference_secret.clone())),
    },
    Field {
        path: "tls.issuer",
        label: "cert-manager issuer (clusterissuer/NAME or issuer/NAME)",
        help: "Obtain the listeners' certificates from this cert-manager issuer (clusterissuer/NAME or issuer/NAME) instead of secrets made by hand; the secrets then default to runai-gateway-*-tls, never the Ingress's",
        default: Shown::Note("none: the secrets are provided by hand"),
        kind: Kind::Text,
        flag: flag("tls-issuer", "KIND/NAME", TLS),
        access: access!([tls.issuer], |s| s.tls_issuer.as_ref().map(ToString::to_string)),
    },
    Field {
        path: "knative.namespace",
        label: "Knative namespace",
        help: "Knative Serving namespace",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("knative-namespace", "NAMESPACE", KNATIVE),
        access: access!([knative.namespace], |s| Some(s.knative_namespace.clone())),
    },
    Field {
        path: "knative.kourierService",
        label: "Kourier Service",
        help: "Kourier Service",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("kourier-service", "NAME", KNATIVE),
        access: access!([knative.kourier_service], |s| Some(s.kourier_service.clone())),
    },
    Field {
        path: "knative.kourierPort",
        label: "Kourier port",
        help: "Kourier port",
        default: Shown::Resolved,
        kind: Kind::Port,
        flag: flag("kourier-port", "PORT", KNATIVE),
        access: access!([knative.kourier_port], |s| Some(s.kourier_port)),
    },
    Field {
        path: "runai.controlPlane",
        label: "Where the control plane runs",
        help: "Where the Run:ai control plane runs",
        default: Shown::Resolved,
        kind: Kind::Enum {
            values: &[
                choice(ControlPlaneLocation::SameCluster.as_str(), "Self-hosted in this cluster"),
                choice(ControlPlaneLocation::Remote.as_str(), "Self-hosted in another cluster"),
                choice(
                    ControlPlaneLocation::Saas.as_str(),
                    "NVIDIA-hosted (only the cluster side is configured)",
                ),
            ],
        },
        flag: flag("control-plane", "CONTROL_PLANE", RUNAI),
        access: access!([runai.control_plane], |s| Some(s.control_plane)),
    },
    Field {
        path: "runai.controlPlaneContext",
        label: "Control plane's kube context (remote only)",
        help: "kube context of a control plane in another cluster (implies --control-plane remote)",
        default: Shown::Nothing,
        kind: Kind::Text,
        flag: flag("control-plane-context", "CONTEXT", RUNAI),
        access: access!([runai.control_plane_context], |s| s.control_plane_context.clone()),
    },
    Field {
        path: "runai.backend.release",
        label: "Control-plane release",
        help: "Control-plane Helm release",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("backend-release", "NAME", RUNAI),
        access: access!([runai.backend.release], |s| Some(s.backend.release.clone())),
    },
    Field {
        path: "runai.backend.namespace",
        label: "Control-plane namespace",
        help: "Control-plane release namespace",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("backend-namespace", "NAMESPACE", RUNAI),
        access: access!([runai.backend.namespace], |s| Some(s.backend.namespace.clone())),
    },
    Field {
        path: "runai.backend.chart",
        label: "Control-plane chart",
        help: "Control-plane chart",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("backend-chart", "CHART", RUNAI),
        access: access!([runai.backend.chart], |s| Some(s.backend.chart.clone())),
    },
    Field {
        path: "runai.backend.chartVersion",
        label: "Control-plane chart version",
        help: "Deployed control-plane chart version, pinned on every upgrade",
        default: Shown::Nothing,
        kind: Kind::Text,
        flag: flag("backend-chart-version", "VERSION", RUNAI),
        access: access!([runai.backend.chart_version], |s| s.backend.chart_version.clone()),
    },
    Field {
        path: "runai.cluster.release",
        label: "Cluster release",
        help: "Cluster Helm release",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("cluster-release", "NAME", RUNAI),
        access: access!([runai.cluster.release], |s| Some(s.cluster.release.clone())),
    },
    Field {
        path: "runai.cluster.namespace",
        label: "Cluster namespace",
        help: "Cluster release namespace",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("cluster-namespace", "NAMESPACE", RUNAI),
        access: access!([runai.cluster.namespace], |s| Some(s.cluster.namespace.clone())),
    },
    Field {
        path: "runai.cluster.chart",
        label: "Cluster chart",
        help: "Cluster chart",
        default: Shown::Resolved,
        kind: Kind::Text,
        flag: flag("cluster-chart", "CHART", RUNAI),
        access: access!([runai.cluster.chart], |s| Some(s.cluster.chart.clone())),
    },
    Field {
        path: "runai.cluster.chartVersion",
        label: "Cluster chart version",
        help: "Deployed cluster chart version, pinned on every upgrade",
        default: Shown::Nothing,
        kind: Kind::Text,
        flag: flag("cluster-chart-version", "VERSION", RUNAI),
        access: access!([runai.cluster.chart_version], |s| s.cluster.chart_version.clone()),
    },
];
