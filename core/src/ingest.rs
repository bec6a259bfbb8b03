//! Kubernetes objects in, [`Snapshot`] out.
//!
//! The live collector and `status --from-file` both feed objects through [`Ingest`], so the two
//! see exactly the same snapshot. Secrets are reduced to what the checks need here: the parsed
//! certificate and whether the key matches; the key bytes are dropped before this returns.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use crate::snapshot::{
    AllowedNamespaces, Condition, Crd, Endpoints, Gateway, GatewayClass, HelmRelease, HttpRoute, Ingress,
    Kind, KnativeServing, Listener, ListenerPolicy, Namespace, ParentRef, RouteParentStatus, RunaiSettings,
    SNAPSHOT_SCHEMA, SNAPSHOT_SCHEMAS_READ, Secret, Service, Shared, Snapshot, Source, UnreadableRelease,
};
use crate::state::ReleaseError;
use crate::tls;

/// Gateway API group.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// Builds a snapshot from objects.
#[derive(Debug, Default)]
pub struct Ingest {
    snapshot: Snapshot,
    /// Ready/total endpoints per (namespace, service).
    endpoints: BTreeMap<(String, String), (usize, usize)>,
    /// Helm release names to decode (others are skipped: decoding every release is wasteful).
    releases: Vec<String>,
    /// The routes' parent-reference and parent-status lists, each distinct one held once.
    shared: Shared,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn opt_s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn meta(obj: &Value) -> (String, String) {
    (s(&obj["metadata"]["namespace"]), s(&obj["metadata"]["name"]))
}

fn labels(obj: &Value) -> BTreeMap<String, String> {
    obj["metadata"]["labels"]
        .as_object()
        .map(|m| crate::order::map_of(m.iter().map(|(k, v)| (k.clone(), s(v)))))
        .unwrap_or_default()
}

fn managed_by_tool(obj: &Value) -> bool {
    obj["metadata"]["labels"][MANAGED_BY_LABEL] == FIELD_MANAGER
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn conditions(v: &Value) -> Vec<Condition> {
    array(v)
        .iter()
        .map(|c| Condition {
            type_: s(&c["type"]),
            status: s(&c["status"]),
            reason: s(&c["reason"]),
            message: s(&c["message"]),
        })
        .collect()
}

/// A Helm or runaiconfig switch: booleans and the strings `"true"`/`"false"` both count.
fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The host of a URL or a bare host.
fn host_of(v: &Value) -> Option<String> {
    let text = v.as_str()?;
    let host = text.split("://").last()?.split(['/', ':']).next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

impl Ingest {
    /// A new, empty snapshot for `context`, decoding the Helm releases named in `releases`.
    #[must_use]
    pub fn new(context: Option<String>, releases: &[&str]) -> Self {
        Self {
            snapshot: Snapshot { schema: SNAPSHOT_SCHEMA.into(), context, ..Snapshot::default() },
            endpoints: BTreeMap::new(),
            releases: releases.iter().map(|r| (*r).to_owned()).collect(),
            shared: Shared::default(),
        }
    }

    /// Records how reading `kind` went (overrides the automatic `Read` count).
    pub fn set_source(&mut self, kind: Kind, source: Source) {
        self.snapshot.sources.insert(kind, source);
    }

    fn count(&mut self, kind: Kind) {
        let entry = self.snapshot.sources.entry(kind).or_insert(Source::Read { count: 0 });
        if let Source::Read { count } = entry {
            *count += 1;
        }
    }

    /// Marks a kind as read even when nothing of it was found.
    pub fn mark_read(&mut self, kind: Kind) {
        self.snapshot.sources.entry(kind).or_insert(Source::Read { count: 0 });
    }

    /// Adds an object whose kind is known from the LIST it came from. Objects this tool has no
    /// use for (other CRDs, non-TLS secrets) are dropped.
    pub fn add(&mut self, kind: Kind, obj: &Value) {
        let kept = match kind {
            Kind::CustomResourceDefinition => self.crd(obj),
            Kind::GatewayClass => self.gateway_class(obj),
            Kind::Gateway => self.gateway(obj),
            Kind::HttpRoute => self.http_route(obj),
            Kind::ListenerPolicy => self.listener_policy(obj),
            Kind::Namespace => self.namespace(obj),
            Kind::Secret | Kind::ControlPlaneRelease => self.secret(obj),
            Kind::Service => self.service(obj),
            Kind::EndpointSlice => self.endpoint_slice(obj),
            Kind::Ingress => self.ingress(obj),
            Kind::KnativeServing => self.knative(obj),
            Kind::RunaiConfig => self.runai_config(obj),
            Kind::Deployment => self.deployment(obj),
            Kind::Certificate
            | Kind::CertificateRequest
            | Kind::Issuer
            | Kind::ClusterIssuer
            | Kind::CertManagerController => self.cert_manager(kind, obj),
        };
        if kept {
            self.count(kind);
        } else {
            self.mark_read(kind);
        }
    }

    /// The kind of an object from its `apiVersion` and `kind`, for files of mixed objects.
    #[must_use]
    pub fn kind_of(obj: &Value) -> Option<Kind> {
        let api = obj["apiVersion"].as_str().unwrap_or_default();
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        Some(match (group, obj["kind"].as_str()?) {
            ("apiextensions.k8s.io", "CustomResourceDefinition") => Kind::CustomResourceDefinition,
            (GATEWAY_GROUP, "GatewayClass") => Kind::GatewayClass,
            (GATEWAY_GROUP, "Gateway") => Kind::Gateway,
            (GATEWAY_GROUP, "HTTPRoute") => Kind::HttpRoute,
            ("gateway.kgateway.dev", "HTTPListenerPolicy" | "ListenerPolicy") => Kind::ListenerPolicy,
            ("", "Namespace") => Kind::Namespace,
            ("", "Secret") => Kind::Secret,
            ("", "Service") => Kind::Service,
            ("", "Endpoints") | ("discovery.k8s.io", "EndpointSlice") => Kind::EndpointSlice,
            ("networking.k8s.io", "Ingress") => Kind::Ingress,
            ("operator.knative.dev", "KnativeServing") => Kind::KnativeServing,
            ("run.ai", "RunaiConfig") => Kind::RunaiConfig,
            ("cert-manager.io", "Certificate") => Kind::Certificate,
            ("cert-manager.io", "CertificateRequest") => Kind::CertificateRequest,
            ("cert-manager.io", "Issuer") => Kind::Issuer,
            ("cert-manager.io", "ClusterIssuer") => Kind::ClusterIssuer,
            ("apps", "Deployment") if is_cert_manager_controller(obj) => Kind::CertManagerController,
            ("apps", "Deployment") => Kind::Deployment,
            _ => return None,
        })
    }

    /// Adds an object of any kind (a `List`'s items are added one by one). Returns how many
    /// objects were recognised.
    pub fn add_any(&mut self, obj: &Value) -> usize {
        if obj["kind"] == "List"
            || obj["kind"].as_str().is_some_and(|k| k.ends_with("List")) && obj["items"].is_array()
        {
            return array(&obj["items"]).iter().map(|o| self.add_any(o)).sum();
        }
        match Self::kind_of(obj) {
            Some(kind) => {
                self.add(kind, obj);
                1
            }
            None => 0,
        }
    }

    fn crd(&mut self, obj: &Value) -> bool {
        let (_, name) = meta(obj);
        if !name.ends_with(&format!(".{GATEWAY_GROUP}")) {
            return false;
        }
        let ann = &obj["metadata"]["annotations"];
        self.snapshot.crds.push(Crd {
            name,
            bundle_version: opt_s(&ann["gateway.networking.k8s.io/bundle-version"]),
            channel: opt_s(&ann["gateway.networking.k8s.io/channel"]),
            served_versions: array(&obj["spec"]["versions"])
                .iter()
                .filter(|v| v["served"] != false)
                .map(|v| s(&v["name"]))
                .collect(),
        });
        true
    }

    fn gateway_class(&mut self, obj: &Value) -> bool {
        self.snapshot.gateway_classes.push(GatewayClass {
            name: meta(obj).1,
            controller_name: s(&obj["spec"]["controllerName"]),
            conditions: conditions(&obj["status"]["conditions"]),
        });
        true
    }

    fn gateway(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        self.snapshot
            .cert_manager
            .gateway_annotations
            .extend(crate::certmanager::observed::gateway_annotations(obj));
        let statuses = array(&obj["status"]["listeners"]);
        let listeners = array(&obj["spec"]["listeners"])
            .iter()
            .map(|l| {
                let lname = s(&l["name"]);
                let status = statuses.iter().find(|st| st["name"] == lname.as_str());
                let ns_sel = &l["allowedRoutes"]["namespaces"];
                Listener {
                    protocol: s(&l["protocol"]),
                    port: l["port"].as_i64().unwrap_or_default(),
                    hostname: opt_s(&l["hostname"]),
                    certificate_refs: array(&l["tls"]["certificateRefs"])
                        .iter()
                        .filter(|r| r["kind"].as_str().is_none_or(|k| k == "Secret"))
                        .map(|r| (opt_s(&r["namespace"]).unwrap_or_else(|| namespace.clone()), s(&r["name"])))
                        .collect(),
                    allowed: AllowedNamespaces {
                        from: opt_s(&ns_sel["from"]).unwrap_or_else(|| "Same".into()),
                        match_labels: ns_sel["selector"]["matchLabels"]
                            .as_object()
                            .map(|m| crate::order::map_of(m.iter().map(|(k, v)| (k.clone(), s(v)))))
                            .unwrap_or_default(),
                        match_expressions: array(&ns_sel["selector"]["matchExpressions"])
                            .iter()
                            .map(|e| {
                                (s(&e["key"]), s(&e["operator"]), array(&e["values"]).iter().map(s).collect())
                            })
                            .collect(),
                    },
                    attached_routes: status.and_then(|st| st["attachedRoutes"].as_i64()),
                    conditions: status.map(|st| conditions(&st["conditions"])).unwrap_or_default(),
                    name: lname,
                }
            })
            .collect();
        self.snapshot.gateways.push(Gateway {
            managed_by_tool: managed_by_tool(obj),
            class_name: s(&obj["spec"]["gatewayClassName"]),
            listeners,
            addresses: array(&obj["status"]["addresses"]).iter().map(|a| s(&a["value"])).collect(),
            conditions: conditions(&obj["status"]["conditions"]),
            namespace,
            name,
        });
        true
    }

    fn parent_ref(v: &Value, default_ns: &str) -> ParentRef {
        ParentRef {
            namespace: opt_s(&v["namespace"]).unwrap_or_else(|| default_ns.to_owned()),
            name: s(&v["name"]),
            section_name: opt_s(&v["sectionName"]),
        }
    }

    fn http_route(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        let backends = array(&obj["spec"]["rules"])
            .iter()
            .flat_map(|r| array(&r["backendRefs"]).iter())
            .filter(|b| {
                b["kind"].as_str().is_none_or(|k| k == "Service")
                    && b["group"].as_str().is_none_or(str::is_empty)
            })
            .map(|b| {
                (
                    opt_s(&b["namespace"]).unwrap_or_else(|| namespace.clone()),
                    s(&b["name"]),
                    b["port"].as_i64(),
                )
            })
            .collect();
        let parent_refs =
            array(&obj["spec"]["parentRefs"]).iter().map(|p| Self::parent_ref(p, &namespace)).collect();
        let parents = array(&obj["status"]["parents"])
            .iter()
            .map(|p| RouteParentStatus {
                parent: Self::parent_ref(&p["parentRef"], &namespace),
                conditions: conditions(&p["conditions"]),
            })
            .collect();
        self.snapshot.http_routes.push(HttpRoute {
            hostnames: array(&obj["spec"]["hostnames"]).iter().map(s).collect(),
            parent_refs: self.shared.parent_refs(parent_refs),
            backends,
            parents: self.shared.parents(parents),
            managed_by_tool: managed_by_tool(obj),
            annotations: obj["metadata"]["annotations"]
                .as_object()
                .map(|m| {
                    crate::order::map_of(
                        m.iter()
                            .filter(|(k, _)| *k != "kubectl.kubernetes.io/last-applied-configuration")
                            .map(|(k, v)| (k.clone(), s(v))),
                    )
                })
                .unwrap_or_default(),
            namespace,
            name,
        });
        true
    }

    fn listener_policy(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        let spec = &obj["spec"];
        // HTTPListenerPolicy: spec.upgradeConfig; ListenerPolicy (kgateway ≥ 2.5):
        // spec.default.httpSettings.upgradeConfig.
        let upgrades = if spec["upgradeConfig"].is_object() {
            &spec["upgradeConfig"]["enabledUpgrades"]
        } else {
            &spec["default"]["httpSettings"]["upgradeConfig"]["enabledUpgrades"]
        };
        self.snapshot.listener_policies.push(ListenerPolicy {
            target_gateways: array(&spec["targetRefs"])
                .iter()
                .filter(|t| t["kind"] == "Gateway")
                .map(|t| s(&t["name"]))
                .collect(),
            enabled_upgrades: array(upgrades).iter().map(|u| s(u).to_ascii_lowercase()).collect(),
            namespace,
            name,
        });
        true
    }

    fn namespace(&mut self, obj: &Value) -> bool {
        self.snapshot.namespaces.push(Namespace { name: meta(obj).1, labels: labels(obj) });
        true
    }

    fn data(obj: &Value, key: &str) -> Option<Vec<u8>> {
        if let Some(v) = obj["data"][key].as_str() {
            return tls::decode_data(v);
        }
        obj["stringData"][key].as_str().map(|v| v.as_bytes().to_vec())
    }

    fn secret(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        let type_ = s(&obj["type"]);
        match type_.as_str() {
            "kubernetes.io/tls" => {
                let (certificate, certificate_error) = match Self::data(obj, "tls.crt") {
                    None => (None, Some("`tls.crt` is missing or not base64".to_owned())),
                    Some(crt) => {
                        // The key is borrowed for the comparison only and dropped here.
                        let key = Self::data(obj, "tls.key");
                        match tls::inspect(&crt, key.as_deref()) {
                            Ok(c) => (Some(c), None),
                            Err(e) => (None, Some(e.to_string())),
                        }
                    }
                };
                self.snapshot.secrets.push(Secret { namespace, name, type_, certificate, certificate_error });
                true
            }
            "helm.sh/release.v1" => {
                let release = labels(obj).get("name").cloned().unwrap_or_default();
                if !self.releases.contains(&release) {
                    return false;
                }
                let decoded = match Self::data(obj, "release") {
                    Some(stored) => decode_release(&stored),
                    None => Err(ReleaseError::Undecodable("the Secret has no `release` data".into())),
                };
                match decoded {
                    Ok(r) => self.snapshot.helm_releases.push(r),
                    Err(e) => self.snapshot.unreadable_releases.push(UnreadableRelease {
                        namespace,
                        name: release,
                        revision: labels(obj).get("version").and_then(|v| v.parse().ok()).unwrap_or_default(),
                        reason: e.to_string(),
                    }),
                }
                true
            }
            _ => false,
        }
    }

    fn service(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        self.snapshot.services.push(Service {
            type_: opt_s(&obj["spec"]["type"]).unwrap_or_else(|| "ClusterIP".into()),
            load_balancer: array(&obj["status"]["loadBalancer"]["ingress"])
                .iter()
                .filter_map(|i| opt_s(&i["ip"]).or_else(|| opt_s(&i["hostname"])))
                .collect(),
            labels: labels(obj),
            namespace,
            name,
        });
        true
    }

    fn endpoint_slice(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        if obj["kind"] == "Endpoints" {
            let subsets = array(&obj["subsets"]);
            let ready: usize = subsets.iter().map(|s| array(&s["addresses"]).len()).sum();
            let not_ready: usize = subsets.iter().map(|s| array(&s["notReadyAddresses"]).len()).sum();
            let e = self.endpoints.entry((namespace, name)).or_default();
            e.0 += ready;
            e.1 += ready + not_ready;
            return true;
        }
        let Some(service) = labels(obj).get("kubernetes.io/service-name").cloned() else { return false };
        let eps = array(&obj["endpoints"]);
        // A missing `ready` means unknown, which consumers are told to treat as ready.
        let ready = eps.iter().filter(|e| e["conditions"]["ready"] != false).count();
        let e = self.endpoints.entry((namespace, service)).or_default();
        e.0 += ready;
        e.1 += eps.len();
        true
    }

    fn ingress(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        let ann = &obj["metadata"]["annotations"];
        let managed = !obj["metadata"]["ownerReferences"].as_array().is_none_or(Vec::is_empty)
            || obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm";
        self.snapshot.ingresses.push(Ingress {
            class: opt_s(&obj["spec"]["ingressClassName"])
                .or_else(|| opt_s(&ann["kubernetes.io/ingress.class"])),
            hosts: array(&obj["spec"]["rules"]).iter().filter_map(|r| opt_s(&r["host"])).collect(),
            tls_secrets: array(&obj["spec"]["tls"]).iter().filter_map(|t| opt_s(&t["secretName"])).collect(),
            addresses: array(&obj["status"]["loadBalancer"]["ingress"])
                .iter()
                .filter_map(|i| opt_s(&i["ip"]).or_else(|| opt_s(&i["hostname"])))
                .collect(),
            managed,
            tls_hosts: array(&obj["spec"]["tls"])
                .iter()
                .flat_map(|t| array(&t["hosts"]).iter().filter_map(opt_s))
                .collect(),
            external_dns_annotations: crate::externaldns::own_annotations(ann),
            namespace,
            name,
        });
        true
    }

    fn deployment(&mut self, obj: &Value) -> bool {
        match crate::externaldns::ExternalDns::from_deployment(obj) {
            Some(e) => {
                self.snapshot.external_dns.push(e);
                true
            }
            None => false,
        }
    }

    fn knative(&mut self, obj: &Value) -> bool {
        let (namespace, name) = meta(obj);
        let config = &obj["spec"]["config"];
        let network = &config["network"];
        // Knative parses both spellings; the new key takes precedence.
        let either = |new: &str, old: &str| opt_s(&network[new]).or_else(|| opt_s(&network[old]));
        self.snapshot.knative_servings.push(KnativeServing {
            version: opt_s(&obj["status"]["version"]).or_else(|| opt_s(&obj["spec"]["version"])),
            conditions: conditions(&obj["status"]["conditions"]),
            domains: config["domain"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default(),
            ingress_class: either("ingress-class", "ingress.class"),
            domain_template: either("domain-template", "domainTemplate"),
            external_scheme: either("default-external-scheme", "defaultExternalScheme"),
            kourier_enabled: obj["spec"]["ingress"]["kourier"]["enabled"].as_bool(),
            namespace,
            name,
        });
        true
    }

    fn runai_config(&mut self, obj: &Value) -> bool {
        let g = &obj["spec"]["global"];
        self.snapshot.runai_config = Some(RunaiSettings {
            gateway_api_enabled: flag(&g["gatewayAPI"]["enabled"]),
            gateway: gateway_ref(&g["gatewayAPI"]["namespace"], &g["gatewayAPI"]["name"]),
            ingress_enabled: flag(&g["ingress"]["enabled"]),
            subdomain_support: flag(&g["subdomainSupport"]),
            domain: None,
        });
        true
    }

    /// cert-manager's objects, reduced to what its checks read.
    fn cert_manager(&mut self, kind: Kind, obj: &Value) -> bool {
        use crate::certmanager::{IssuerKind, observed};
        let conds = conditions(&obj["status"]["conditions"]);
        let cm = &mut self.snapshot.cert_manager;
        match kind {
            Kind::Certificate => {
                cm.certificates.push(observed::certificate(obj, conds, managed_by_tool(obj)))
            }
            Kind::CertificateRequest => cm.requests.push(observed::request(obj, conds)),
            Kind::Issuer => cm.issuers.push(observed::issuer(obj, IssuerKind::Issuer, conds)),
            Kind::ClusterIssuer => cm.issuers.push(observed::issuer(obj, IssuerKind::ClusterIssuer, conds)),
            _ if is_cert_manager_controller(obj) => cm.controllers.push(observed::controller(obj)),
            _ => return false,
        }
        true
    }

    /// The names of the namespaces read so far.
    pub fn namespace_names(&self) -> impl Iterator<Item = &str> {
        self.snapshot.namespaces.iter().map(|n| n.name.as_str())
    }

    /// The Services whose endpoints a check judges, as (namespace, name): the backends of the
    /// routes this tool manages and of the Knative route (`backend-no-endpoints`), among the
    /// routes read so far.
    #[must_use]
    pub fn judged_backends(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .snapshot
            .http_routes
            .iter()
            .filter(|r| r.managed_by_tool || r.name == crate::manifests::KNATIVE_ROUTE)
            .flat_map(|r| r.backends.iter().map(|(ns, name, _)| (ns.clone(), name.clone())))
            .collect();
        crate::order::sort(&mut out);
        out.dedup();
        out
    }

    /// The finished snapshot, sorted so that output is stable whatever the reading order.
    #[must_use]
    pub fn finish(mut self) -> Snapshot {
        let sn = &mut self.snapshot;
        sn.endpoints = self
            .endpoints
            .into_iter()
            .map(|((namespace, service), (ready, total))| Endpoints { namespace, service, ready, total })
            .collect();
        crate::order::sort_by(&mut sn.crds, |a, b| a.name.cmp(&b.name));
        crate::order::sort_by(&mut sn.gateway_classes, |a, b| a.name.cmp(&b.name));
        crate::order::sort_by(&mut sn.gateways, |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        crate::order::sort_by(&mut sn.http_routes, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut sn.listener_policies, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut sn.namespaces, |a, b| a.name.cmp(&b.name));
        crate::order::sort_by(&mut sn.secrets, |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        crate::order::sort_by(&mut sn.services, |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        crate::order::sort_by(&mut sn.ingresses, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut sn.knative_servings, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        crate::order::sort_by(&mut sn.external_dns, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        sn.cert_manager.sort();
        crate::order::sort_by(&mut sn.helm_releases, |a, b| {
            (&a.namespace, &a.name, a.revision).cmp(&(&b.namespace, &b.name, b.revision))
        });
        crate::order::sort_by(&mut sn.unreadable_releases, |a, b| {
            (&a.namespace, &a.name, a.revision).cmp(&(&b.namespace, &b.name, b.revision))
        });
        self.snapshot
    }
}

/// A Deployment with the labels of cert-manager's controller.
fn is_cert_manager_controller(obj: &Value) -> bool {
    let l = &obj["metadata"]["labels"];
    l["app.kubernetes.io/name"] == "cert-manager" && l["app.kubernetes.io/component"] == "controller"
}

fn gateway_ref(ns: &Value, name: &Value) -> Option<(String, String)> {
    Some((opt_s(ns)?, opt_s(name)?))
}

/// Decodes a Helm 3 release as stored in a Secret: the API's base64 is already undone, the rest
/// is base64 of gzip of the release JSON (Helm's storage driver), decompressed up to
/// [`crate::state::RELEASE_CAP`].
///
/// # Errors
/// Too large, or not what Helm stores.
pub fn decode_release(stored: &[u8]) -> Result<HelmRelease, ReleaseError> {
    let rel = crate::state::decode_release_data(stored)?;
    let chart = &rel["chart"]["metadata"];
    let values = &rel["config"];
    let chart_name = s(&chart["name"]);
    let settings = if values["clusterConfig"].is_object() || chart_name.contains("cluster") {
        let g = &values["clusterConfig"]["global"];
        RunaiSettings {
            gateway_api_enabled: flag(&g["gatewayAPI"]["enabled"]),
            gateway: gateway_ref(&g["gatewayAPI"]["namespace"], &g["gatewayAPI"]["name"]),
            ingress_enabled: flag(&g["ingress"]["enabled"]),
            subdomain_support: flag(&g["subdomainSupport"]),
            domain: host_of(&values["cluster"]["url"]).or_else(|| host_of(&values["controlPlane"]["url"])),
        }
    } else {
        let g = &values["global"];
        let parent = &g["gatewayAPI"]["parentRefs"][0];
        RunaiSettings {
            gateway_api_enabled: flag(&g["gatewayAPI"]["enabled"]),
            gateway: gateway_ref(&parent["namespace"], &parent["name"]),
            ingress_enabled: flag(&g["ingress"]["enabled"]),
            subdomain_support: None,
            domain: host_of(&g["domain"]),
        }
    };
    Ok(HelmRelease {
        name: s(&rel["name"]),
        namespace: s(&rel["namespace"]),
        revision: rel["version"].as_i64().unwrap_or_default(),
        status: s(&rel["info"]["status"]),
        chart: chart_name,
        chart_version: s(&chart["version"]),
        settings,
    })
}

/// Why a snapshot file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    /// Not YAML or JSON.
    #[error("not YAML or JSON: {0}")]
    Syntax(String),
    /// Neither a snapshot nor Kubernetes objects.
    #[error(
        "holds neither a runai-gateway snapshot (`schema: {SNAPSHOT_SCHEMA}`) nor Kubernetes objects this tool reads"
    )]
    Unrecognised,
    /// A snapshot of another schema version.
    #[error(
        "snapshot schema `{0}` is not supported; this version reads `{v1}` and `{v2}`",
        v1 = SNAPSHOT_SCHEMAS_READ[0],
        v2 = SNAPSHOT_SCHEMAS_READ[1]
    )]
    Schema(String),
}

/// Reads a snapshot file: the output of `kubectl runai-gateway snapshot`, or Kubernetes objects
/// (a `kubectl get … -o yaml` List, or several documents).
///
/// # Errors
/// Syntax errors, an unknown schema, or a file with nothing this tool reads.
pub fn snapshot_from_text(text: &str, releases: &[&str]) -> Result<Snapshot, SnapshotFileError> {
    let stream = crate::yaml::Stream::read(text).map_err(|e| SnapshotFileError::Syntax(e.to_string()))?;
    if stream.len() == 1
        && let Some(schema) = stream.string_at(0, "schema")
    {
        if !SNAPSHOT_SCHEMAS_READ.contains(&schema) {
            return Err(SnapshotFileError::Schema(schema.to_owned()));
        }
        let mut snapshot: Snapshot = stream.get(0).map_err(|e| SnapshotFileError::Syntax(e.to_string()))?;
        // The model is the same whichever version the file was: written again, it is the current one.
        snapshot.schema = SNAPSHOT_SCHEMA.to_owned();
        return Ok(snapshot);
    }
    let docs: Vec<Value> = stream.all().map_err(|e| SnapshotFileError::Syntax(e.to_string()))?;
    let mut ingest = Ingest::new(None, releases);
    // A dump is taken as the complete state: a kind without objects was empty, not unread.
    for kind in Kind::ALL {
        if kind != Kind::ControlPlaneRelease {
            ingest.mark_read(kind);
        }
    }
    let recognised: usize = docs.iter().map(|d| ingest.add_any(d)).sum();
    if recognised == 0 {
        return Err(SnapshotFileError::Unrecognised);
    }
    Ok(ingest.finish())
}
