//! The resource types the server knows: the built-ins this tool uses and every
//! version of every stored CustomResourceDefinition.

use std::sync::Arc;

use serde_json::{Value, json};

/// One served group/version/resource.
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// API group (`""` for core).
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Gateway`.
    pub kind: String,
    /// Plural resource name, e.g. `gateways`.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether the `status` subresource is served.
    pub status_subresource: bool,
    /// Short names for discovery.
    pub short_names: Vec<String>,
    /// Verbs for discovery.
    pub verbs: Vec<&'static str>,
    /// Whether the server maintains `metadata.generation`.
    pub generation: bool,
    /// Whether the type comes from a CRD (stricter update rules, no strategic merge patch).
    pub custom: bool,
    /// The OpenAPI v3 schema (CRD schema, or a hand-written subset for built-ins).
    pub schema: Option<Arc<Value>>,
    /// The version objects are stored at (reads convert `apiVersion`).
    pub storage_version: String,
}

impl ResourceType {
    /// `group/version` or `version` for core.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

const ALL_VERBS: [&str; 8] =
    ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

#[allow(clippy::too_many_arguments)]
fn builtin(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    status: bool,
    short: &[&str],
    generation: bool,
    schema: Value,
) -> ResourceType {
    ResourceType {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        namespaced,
        status_subresource: status,
        short_names: short.iter().map(|s| (*s).to_string()).collect(),
        verbs: ALL_VERBS.to_vec(),
        generation,
        custom: false,
        schema: Some(Arc::new(schema)),
        storage_version: version.into(),
    }
}

fn map_of_strings() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}})
}

/// Hand-written schema subsets for built-ins: enough structure for server-side
/// apply to track ownership the way the real server's built-in schemas do
/// (maps vs structs, associative lists and their keys). Fields not described
/// here are treated as untyped ("deduced"), like structured-merge-diff does.
fn builtin_schemas() -> (Value, Value, Value, Value, Value, Value) {
    let secret = json!({"type": "object", "properties": {
        "data": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
        "stringData": map_of_strings(),
        "type": {"type": "string"},
        "immutable": {"type": "boolean"},
    }});
    let configmap = json!({"type": "object", "properties": {
        "data": map_of_strings(),
        "binaryData": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
        "immutable": {"type": "boolean"},
    }});
    let port = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "port": {"type": "integer"}, "protocol": {"type": "string"},
        "targetPort": {"x-kubernetes-int-or-string": true}, "nodePort": {"type": "integer"},
        "appProtocol": {"type": "string"}}});
    let service = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "type": {"type": "string"},
            "selector": {"type": "object", "additionalProperties": {"type": "string"}, "x-kubernetes-map-type": "atomic"},
            "ports": {"type": "array", "items": port, "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["port", "protocol"]},
            "clusterIP": {"type": "string"},
            "clusterIPs": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"},
        }},
        "status": {"type": "object"},
    }});
    let ingress = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "ingressClassName": {"type": "string"},
            "rules": {"type": "array", "x-kubernetes-list-type": "atomic", "items": {"type": "object"}},
            "tls": {"type": "array", "x-kubernetes-list-type": "atomic", "items": {"type": "object"}},
        }},
        "status": {"type": "object"},
    }});
    let namespace = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "finalizers": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"}}},
        "status": {"type": "object"},
    }});
    (secret, configmap, service, ingress, namespace, json!({"type": "object"}))
}

/// The built-in kinds this tool reads or writes.
pub fn builtins() -> Vec<ResourceType> {
    let (secret, configmap, service, ingress, namespace, any) = builtin_schemas();
    let mut ssar = builtin(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        false,
        false,
        &[],
        false,
        any.clone(),
    );
    ssar.verbs = vec!["create"];
    vec![
        builtin("", "v1", "Namespace", "namespaces", false, true, &["ns"], false, namespace),
        builtin("", "v1", "Secret", "secrets", true, false, &[], false, secret),
        builtin("", "v1", "ConfigMap", "configmaps", true, false, &["cm"], false, configmap),
        builtin("coordination.k8s.io", "v1", "Lease", "leases", true, false, &[], false, any.clone()),
        builtin("", "v1", "Service", "services", true, true, &["svc"], false, service),
        builtin("", "v1", "Endpoints", "endpoints", true, false, &["ep"], false, any.clone()),
        builtin(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            true,
            false,
            &[],
            false,
            any.clone(),
        ),
        builtin("apps", "v1", "Deployment", "deployments", true, true, &["deploy"], true, any.clone()),
        builtin("networking.k8s.io", "v1", "Ingress", "ingresses", true, true, &["ing"], true, ingress),
        builtin(
            "networking.k8s.io",
            "v1",
            "IngressClass",
            "ingressclasses",
            false,
            false,
            &[],
            false,
            any.clone(),
        ),
        builtin(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            true,
            &["crd", "crds"],
            true,
            any,
        ),
        ssar,
    ]
}

/// The served versions of a CRD object, one [`ResourceType`] each.
pub fn from_crd(crd: &Value) -> Vec<ResourceType> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let names = &spec["names"];
    let kind = names["kind"].as_str().unwrap_or_default();
    let plural = names["plural"].as_str().unwrap_or_default();
    if group.is_empty() || kind.is_empty() || plural.is_empty() {
        return Vec::new();
    }
    let singular = names["singular"].as_str().map_or_else(|| kind.to_lowercase(), str::to_string);
    let short_names: Vec<String> = names["shortNames"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    let storage = versions
        .iter()
        .find(|v| v["storage"].as_bool() == Some(true))
        .and_then(|v| v["name"].as_str())
        .unwrap_or_default()
        .to_string();
    versions
        .iter()
        .filter(|v| v["served"].as_bool() != Some(false))
        .map(|v| ResourceType {
            group: group.into(),
            version: v["name"].as_str().unwrap_or_default().into(),
            kind: kind.into(),
            plural: plural.into(),
            singular: singular.clone(),
            namespaced,
            status_subresource: v.pointer("/subresources/status").is_some(),
            short_names: short_names.clone(),
            verbs: ALL_VERBS.to_vec(),
            generation: true,
            custom: true,
            schema: v.pointer("/schema/openAPIV3Schema").cloned().map(Arc::new),
            storage_version: storage.clone(),
        })
        .collect()
}

/// Kubernetes version priority: GA > beta > alpha, then higher numbers first
/// (`v1` > `v1beta2` > `v1beta1` > `v1alpha1`); non-matching names sort last.
pub fn version_priority(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else { return (0, 0, 0) };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let Ok(major) = digits.parse::<u32>() else { return (0, 0, 0) };
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n)
    } else {
        return (0, 0, 0);
    };
    num.parse::<u32>().map_or((0, 0, 0), |n| (level, major, n))
}
