//! The Kubernetes objects of the plan, built as JSON in the shape `kubectl` users read.
//!
//! Objects are written with `json!` so the code reads like the YAML it produces (field order
//! included); tests parse every object back into the typed `gateway-api` structs and compare, so
//! a misspelt field cannot slip through.

use serde_json::{Value, json};

use crate::spec::{Platform, RouteNamespaces, RoutingMode, Spec};

/// Field manager and `managed-by` label value of everything this tool writes.
pub const FIELD_MANAGER: &str = "runai-gateway";
/// Label every object the tool creates carries.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// Listener names, as the Run:ai instructions spell them.
pub mod listener {
    /// Control plane (cluster domain).
    pub const CLUSTER_DOMAIN: &str = "https-cluster-domain";
    /// Host-based workspaces and training.
    pub const WORKLOADS: &str = "https-workloads";
    /// Inference wildcard.
    pub const INFERENCE: &str = "https-inference";
    /// Port-80 redirect to HTTPS.
    pub const HTTP: &str = "http";
}

/// Name of the Knative HTTPRoute in the instructions.
pub const KNATIVE_ROUTE: &str = "knative-serving-httproute";
/// Name of the KnativeServing object.
pub const KNATIVE_SERVING: &str = "knative-serving";
/// Knative's ingress class for Kourier.
pub const KOURIER_INGRESS_CLASS: &str = "kourier.ingress.networking.knative.dev";
/// One label per inference host (`<ksvc>-<namespace>.<domain>`), so one wildcard certificate
/// covers every service.
pub const KNATIVE_DOMAIN_TEMPLATE: &str = "{{.Name}}-{{.Namespace}}.{{.Domain}}";
/// OpenShift's Gateway, which carries inference on that platform.
pub const OPENSHIFT_GATEWAY: (&str, &str) = ("openshift-default", "openshift-ingress");

/// One HTTPS/HTTP listener of the planned Gateway.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// Listener name.
    pub name: &'static str,
    /// `HTTPS` or `HTTP`.
    pub protocol: &'static str,
    /// Port.
    pub port: u16,
    /// Hostname, `None` for the catch-all redirect listener.
    pub hostname: Option<String>,
    /// TLS secret (in the Gateway's namespace).
    pub secret: Option<String>,
    /// Who may attach routes.
    pub allowed_routes: RouteNamespaces,
    /// What the listener is for.
    pub purpose: &'static str,
}

/// The listeners the spec calls for, in order.
#[must_use]
pub fn listeners(spec: &Spec) -> Vec<Listener> {
    let mut out = vec![Listener {
        name: listener::CLUSTER_DOMAIN,
        protocol: "HTTPS",
        port: 443,
        hostname: Some(spec.cluster_domain.clone()),
        secret: Some(spec.cluster_domain_secret.clone()),
        allowed_routes: spec.allowed_routes.control_plane.clone(),
        purpose: match spec.routing_mode {
            RoutingMode::Host => "control plane",
            RoutingMode::Path => "control plane, workspaces and training (paths)",
        },
    }];
    if spec.routing_mode == RoutingMode::Host {
        out.push(Listener {
            name: listener::WORKLOADS,
            protocol: "HTTPS",
            port: 443,
            hostname: Some(format!("*.{}", spec.cluster_domain)),
            secret: Some(spec.workloads_secret.clone()),
            allowed_routes: spec.allowed_routes.workloads.clone(),
            purpose: "workspaces and training (subdomains)",
        });
    }
    if let (Some(domain), Platform::Kubernetes) = (&spec.inference_domain, spec.platform) {
        out.push(Listener {
            name: listener::INFERENCE,
            protocol: "HTTPS",
            port: 443,
            hostname: Some(format!("*.{domain}")),
            secret: Some(spec.inference_secret.clone()),
            allowed_routes: spec.allowed_routes.inference.clone(),
            purpose: "inference (Knative through Kourier)",
        });
    }
    if spec.http_redirect {
        out.push(Listener {
            name: listener::HTTP,
            protocol: "HTTP",
            port: 80,
            hostname: None,
            secret: None,
            allowed_routes: RouteNamespaces::Same,
            purpose: "redirects http:// to https://",
        });
    }
    out
}

pub(crate) fn labels() -> Value {
    json!({ MANAGED_BY_LABEL: FIELD_MANAGER })
}

/// `allowedRoutes` for a policy.
#[must_use]
pub fn allowed_routes_json(policy: &RouteNamespaces) -> Value {
    match policy {
        RouteNamespaces::Same => json!({ "namespaces": { "from": "Same" } }),
        RouteNamespaces::All => json!({ "namespaces": { "from": "All" } }),
        RouteNamespaces::Namespaces { names } => json!({
            "namespaces": {
                "from": "Selector",
                "selector": {
                    "matchExpressions": [{
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": names,
                    }],
                },
            },
        }),
        RouteNamespaces::Labels { labels } => {
            let exists: Vec<Value> = labels
                .iter()
                .filter(|(_, v)| v.is_empty())
                .map(|(k, _)| json!({ "key": k, "operator": "Exists" }))
                .collect();
            let equal: serde_json::Map<String, Value> = labels
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let mut selector = serde_json::Map::new();
            if !equal.is_empty() {
                selector.insert("matchLabels".into(), Value::Object(equal));
            }
            if !exists.is_empty() {
                selector.insert("matchExpressions".into(), Value::Array(exists));
            }
            json!({ "namespaces": { "from": "Selector", "selector": selector } })
        }
    }
}

/// The Gateway.
#[must_use]
pub fn gateway(spec: &Spec) -> Value {
    let listeners: Vec<Value> = listeners(spec)
        .iter()
        .map(|l| {
            let mut obj = serde_json::Map::new();
            obj.insert("name".into(), json!(l.name));
            obj.insert("protocol".into(), json!(l.protocol));
            obj.insert("port".into(), json!(l.port));
            if let Some(h) = &l.hostname {
                obj.insert("hostname".into(), json!(h));
            }
            if let Some(secret) = &l.secret {
                obj.insert(
                    "tls".into(),
                    json!({
                        "mode": "Terminate",
                        "certificateRefs": [{ "kind": "Secret", "name": secret }],
                    }),
                );
            }
            obj.insert("allowedRoutes".into(), allowed_routes_json(&l.allowed_routes));
            Value::Object(obj)
        })
        .collect();
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": spec.gateway_name,
            "namespace": spec.gateway_namespace,
            "labels": labels(),
        },
        "spec": {
            "gatewayClassName": spec.gateway_class,
            "listeners": listeners,
        },
    })
}

/// Name of the redirect HTTPRoute.
#[must_use]
pub fn redirect_route_name(spec: &Spec) -> String {
    format!("{}-https-redirect", spec.gateway_name)
}

/// The hostnames the Gateway serves over HTTPS (and so redirects from HTTP).
#[must_use]
pub fn https_hostnames(spec: &Spec) -> Vec<String> {
    listeners(spec).into_iter().filter(|l| l.protocol == "HTTPS").filter_map(|l| l.hostname).collect()
}

/// The HTTPRoute on the port-80 listener that answers every request with a 301 to HTTPS.
#[must_use]
pub fn redirect_route(spec: &Spec) -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": redirect_route_name(spec),
            "namespace": spec.gateway_namespace,
            "labels": labels(),
        },
        "spec": {
            "parentRefs": [{ "name": spec.gateway_name, "sectionName": listener::HTTP }],
            "hostnames": https_hostnames(spec),
            "rules": [{
                "filters": [{
                    "type": "RequestRedirect",
                    "requestRedirect": { "scheme": "https", "statusCode": 301 },
                }],
            }],
        },
    })
}

/// The HTTPRoute that sends the inference wildcard to Kourier.
#[must_use]
pub fn knative_route(spec: &Spec, inference_domain: &str) -> Value {
    let parent = match spec.platform {
        Platform::Kubernetes => json!({
            "name": spec.gateway_name,
            "namespace": spec.gateway_namespace,
            "sectionName": listener::INFERENCE,
        }),
        Platform::Openshift => json!({
            "name": OPENSHIFT_GATEWAY.0,
            "namespace": OPENSHIFT_GATEWAY.1,
        }),
    };
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": KNATIVE_ROUTE,
            "namespace": spec.knative_namespace,
            "labels": labels(),
        },
        "spec": {
            "parentRefs": [parent],
            "hostnames": [format!("*.{inference_domain}")],
            "rules": [{
                "matches": [{ "path": { "type": "PathPrefix", "value": "/" } }],
                "backendRefs": [{ "name": spec.kourier_service, "port": spec.kourier_port }],
            }],
        },
    })
}

/// The KnativeServing fields routing depends on, as a partial object for server-side apply:
/// only these fields become owned by `runai-gateway`; everything else in the object stays with
/// whoever set it.
///
/// The key spellings follow the Run:ai instructions (`domainTemplate` is Knative's legacy key,
/// still parsed; `ingress-class` and `default-external-scheme` are the current ones), so that on
/// a cluster set up from those instructions the tool co-owns the same fields with the same values
/// instead of adding a second spelling next to them.
#[must_use]
pub fn knative_serving(spec: &Spec, inference_domain: &str) -> Value {
    let spec_part = match spec.platform {
        Platform::Kubernetes => json!({
            "config": {
                "domain": { inference_domain: "" },
                "network": {
                    "domainTemplate": KNATIVE_DOMAIN_TEMPLATE,
                    "ingress-class": KOURIER_INGRESS_CLASS,
                    "default-external-scheme": "https",
                },
            },
            "ingress": { "kourier": { "enabled": true } },
        }),
        // OpenShift Serverless manages its own ingress; only the domain must agree with the
        // route's hostnames.
        Platform::Openshift => json!({
            "config": { "domain": { inference_domain: "" } },
        }),
    };
    json!({
        "apiVersion": "operator.knative.dev/v1beta1",
        "kind": "KnativeServing",
        "metadata": { "name": KNATIVE_SERVING, "namespace": spec.knative_namespace },
        "spec": spec_part,
    })
}
