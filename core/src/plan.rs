//! The complete, ordered migration plan computed from a [`Spec`].

use serde::Serialize;
use serde_json::Value;

use crate::helm::{self, HelmPlan, HelmUpgrade, shell_quote};
use crate::manifests::{self, FIELD_MANAGER, Listener, MANAGED_BY_LABEL};
use crate::spec::{ControlPlaneLocation, Platform, RoutingMode, Spec, SpecInput, defaults};

/// Version of the `-o json` plan document; bumped on any incompatible change.
pub const PLAN_SCHEMA: &str = "runai-gateway.plan/v1";
/// Gateway API release the Run:ai instructions install.
pub const GATEWAY_API_VERSION: &str = "v1.4.0";
/// Knative Serving minor versions Run:ai supports.
pub const KNATIVE_SUPPORTED: (u32, u32) = (19, 21);

/// Facts about the live cluster that sharpen the plan; all unknown offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Observed {
    /// The Gateway's address (`status.addresses[0].value`).
    pub gateway_address: Option<String>,
    /// The Ingress controller's load-balancer address.
    pub ingress_address: Option<String>,
}

/// Whether an object is created whole or only some of its fields are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ownership {
    /// The tool creates and owns the object (it carries the `managed-by` label).
    Owned,
    /// The object belongs to someone else; the tool applies only the fields shown.
    Fields,
}

/// One object of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedObject {
    /// Why it is there.
    pub purpose: String,
    /// Whole object or fields only.
    pub ownership: Ownership,
    /// The manifest, ready for server-side apply.
    pub manifest: Value,
}

impl PlannedObject {
    /// `Kind namespace/name`.
    #[must_use]
    pub fn reference(&self) -> String {
        let m = &self.manifest;
        format!(
            "{} {}/{}",
            m["kind"].as_str().unwrap_or_default(),
            m["metadata"]["namespace"].as_str().unwrap_or_default(),
            m["metadata"]["name"].as_str().unwrap_or_default()
        )
    }
}

/// A TLS secret that must exist, and what its certificate must cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRequirement {
    /// Secret name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Host names the certificate must cover (SANs).
    pub hosts: Vec<String>,
    /// Who reads it.
    pub used_by: String,
    /// The command that creates it from PEM files.
    pub create: String,
    /// Where a copy may already exist (the inference secret lives in `knative-serving` in
    /// Ingress mode), with the command that copies it.
    pub copy_from: Option<SecretCopy>,
}

/// Copying an existing secret from another namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretCopy {
    /// Source namespace.
    pub namespace: String,
    /// A command that copies it without printing the key.
    pub command: String,
}

/// What a DNS record must point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecord {
    /// Record name (`*.runai.example.com`).
    pub name: String,
    /// `A`, `AAAA` or `CNAME` when the address is known; `A/AAAA or CNAME` otherwise.
    pub record_type: String,
    /// The Gateway's address, or a placeholder.
    pub gateway_target: String,
    /// The Ingress address it points at before the switch (and after a rollback).
    pub ingress_target: String,
    /// Which traffic it carries.
    pub serves: String,
}

/// One numbered step of the migration or of the rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Stable identifier (`introduce`), used by `apply --phase`.
    pub id: &'static str,
    /// One line.
    pub title: String,
    /// Why and what to look at; may be empty.
    pub detail: String,
    /// Shell commands, in order; comments start with `#`.
    pub commands: Vec<String>,
    /// A step only a human can do (DNS).
    pub manual: bool,
}

/// The whole migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// [`PLAN_SCHEMA`].
    pub schema: &'static str,
    /// Version of the tool that computed it.
    pub tool_version: &'static str,
    /// The input as given (file merged with flags).
    pub input: SpecInput,
    /// The input with defaults applied.
    pub spec: Spec,
    /// Gateway listeners.
    pub listeners: Vec<Listener>,
    /// Objects to apply, in order.
    pub objects: Vec<PlannedObject>,
    /// Secrets that must exist.
    pub secrets: Vec<SecretRequirement>,
    /// Run:ai Helm changes.
    pub helm: HelmPlan,
    /// DNS records to switch.
    pub dns: Vec<DnsRecord>,
    /// Migration steps.
    pub steps: Vec<Step>,
    /// Rollback steps.
    pub rollback: Vec<Step>,
    /// Things to know (from validation and from the plan itself).
    pub warnings: Vec<String>,
}

/// The bundle file name the steps refer to: not `runai-gateway.yaml`, where users keep their
/// config.
pub const BUNDLE_FILE: &str = "runai-gateway-bundle.yaml";

/// The first line of the bundle the generated script writes: the script overwrites a file only
/// when it starts with this line or with the provenance line of `render -o yaml`.
pub const BUNDLE_MARKER: &str = "# runai-gateway bundle: generated, a new render replaces this file";

/// Computes the plan. Pure: the same input gives the same plan.
#[must_use]
pub fn plan(input: &SpecInput, spec: &Spec, observed: &Observed) -> Plan {
    let listeners = manifests::listeners(spec);
    let objects = objects(spec);
    let secrets = secrets(spec);
    let helm = helm::plan(spec);
    let dns = dns(spec, observed);
    let steps = steps(spec, &objects, &secrets, &helm, &dns);
    let rollback = rollback_steps(spec, &helm, &dns);
    let mut warnings = spec.warnings.clone();
    if spec.inference_domain_derived
        && let Some(d) = &spec.inference_domain
    {
        warnings.push(format!(
            "inference domain `{d}` was derived from the cluster domain (the documented sibling \
             `runai-inference.<parent>`); pass `--inference-domain` if yours differs"
        ));
    }
    if spec.platform == Platform::Openshift && spec.inference_enabled() {
        warnings.push(format!(
            "OpenShift: inference attaches to Gateway `{}/{}`, which OpenShift's Ingress Operator \
             manages; its listeners must cover the inference domain",
            manifests::OPENSHIFT_GATEWAY.1,
            manifests::OPENSHIFT_GATEWAY.0
        ));
    }
    Plan {
        schema: PLAN_SCHEMA,
        tool_version: crate::VERSION,
        input: input.clone(),
        spec: spec.clone(),
        listeners,
        objects,
        secrets,
        helm,
        dns,
        steps,
        rollback,
        warnings,
    }
}

fn objects(spec: &Spec) -> Vec<PlannedObject> {
    let mut out = crate::certmanager::planned_objects(spec);
    out.push(PlannedObject {
        purpose: "one listener per hostname".into(),
        ownership: Ownership::Owned,
        manifest: manifests::gateway(spec),
    });
    if spec.http_redirect {
        out.push(PlannedObject {
            purpose: "redirects http:// to https:// (port 80)".into(),
            ownership: Ownership::Owned,
            manifest: manifests::redirect_route(spec),
        });
    }
    if let Some(extra) = spec.controller.profile().websockets.as_ref().filter(|_| spec.websockets) {
        out.push(PlannedObject {
            purpose: extra.purpose.into(),
            ownership: Ownership::Owned,
            manifest: (extra.manifest)(spec),
        });
    }
    if let Some(domain) = &spec.inference_domain {
        out.push(PlannedObject {
            purpose: "inference wildcard to Kourier".into(),
            ownership: Ownership::Owned,
            manifest: manifests::knative_route(spec, domain),
        });
        out.push(PlannedObject {
            purpose: "routing fields only; other fields stay with their owners".into(),
            ownership: Ownership::Fields,
            manifest: manifests::knative_serving(spec, domain),
        });
    }
    out
}

fn create_secret(name: &str, ns: &str, pem: &str) -> String {
    format!(
        "kubectl create secret tls {} -n {} --cert {pem}-fullchain.pem --key {pem}-private.pem",
        shell_quote(name),
        shell_quote(ns)
    )
}

fn secrets(spec: &Spec) -> Vec<SecretRequirement> {
    let gw_ns = &spec.gateway_namespace;
    let listener = |l: &str| format!("Gateway listener `{l}`");
    let mut out = vec![SecretRequirement {
        name: spec.cluster_domain_secret.clone(),
        namespace: gw_ns.clone(),
        hosts: vec![spec.cluster_domain.clone()],
        used_by: listener(manifests::listener::CLUSTER_DOMAIN),
        create: create_secret(&spec.cluster_domain_secret, gw_ns, "/path/to/cluster"),
        copy_from: None,
    }];
    if spec.routing_mode == RoutingMode::Host {
        out.push(SecretRequirement {
            name: spec.workloads_secret.clone(),
            namespace: gw_ns.clone(),
            hosts: vec![format!("*.{}", spec.cluster_domain)],
            used_by: listener(manifests::listener::WORKLOADS),
            create: create_secret(&spec.workloads_secret, gw_ns, "/path/to/wildcard"),
            copy_from: None,
        });
    }
    if let (Some(domain), Platform::Kubernetes) = (&spec.inference_domain, spec.platform) {
        let hosts = vec![format!("*.{domain}")];
        let from = &spec.knative_namespace;
        let name = &spec.inference_secret;
        if from != gw_ns {
            out.push(SecretRequirement {
                name: name.clone(),
                namespace: gw_ns.clone(),
                hosts: hosts.clone(),
                used_by: listener(manifests::listener::INFERENCE),
                create: create_secret(name, gw_ns, "/path/to/inference"),
                copy_from: Some(SecretCopy {
                    namespace: from.clone(),
                    command: format!(
                        "kubectl create secret tls {n} -n {t} \\\n  --cert=<(kubectl get secret {n} -n {f} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d) \\\n  --key=<(kubectl get secret {n} -n {f} -o jsonpath='{{.data.tls\\.key}}' | base64 -d)",
                        n = shell_quote(name),
                        f = shell_quote(from),
                        t = shell_quote(gw_ns)
                    ),
                }),
            });
        }
        out.push(SecretRequirement {
            name: name.clone(),
            namespace: from.clone(),
            hosts,
            used_by: if from == gw_ns {
                format!("Gateway listener `{}` and the Ingress of Knative", manifests::listener::INFERENCE)
            } else {
                "Knative's Ingress (while Ingress serves, and for rollback)".into()
            },
            create: create_secret(name, from, "/path/to/inference"),
            copy_from: None,
        });
    }
    if spec.control_plane == ControlPlaneLocation::SameCluster {
        out.push(SecretRequirement {
            name: defaults::BACKEND_SECRET.into(),
            namespace: spec.backend.namespace.clone(),
            hosts: vec![spec.cluster_domain.clone()],
            used_by: "Run:ai control plane (`global.ingress.tlsSecretName`)".into(),
            create: create_secret(defaults::BACKEND_SECRET, &spec.backend.namespace, "/path/to/cluster"),
            copy_from: None,
        });
    }
    if spec.tls_issuer.is_some() {
        // cert-manager fills the listeners' secrets; the Ingress's stay as they are.
        out.retain(|r| r.name == defaults::BACKEND_SECRET && r.namespace == spec.backend.namespace);
        out.splice(0..0, crate::certmanager::secret_requirements(spec));
    }
    out
}

fn record_type(address: Option<&str>) -> String {
    match address.map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V4(_))) => "A".into(),
        Some(Ok(std::net::IpAddr::V6(_))) => "AAAA".into(),
        Some(Err(_)) => "CNAME".into(),
        None => "A/AAAA or CNAME".into(),
    }
}

fn dns(spec: &Spec, observed: &Observed) -> Vec<DnsRecord> {
    let gateway = observed.gateway_address.clone().unwrap_or_else(|| "<gateway address>".into());
    let ingress = observed.ingress_address.clone().unwrap_or_else(|| "<ingress address>".into());
    let record = |name: String, serves: &str| DnsRecord {
        name,
        record_type: record_type(observed.gateway_address.as_deref()),
        gateway_target: gateway.clone(),
        ingress_target: ingress.clone(),
        serves: serves.into(),
    };
    let mut out = vec![record(
        spec.cluster_domain.clone(),
        match spec.routing_mode {
            RoutingMode::Host => "control plane",
            RoutingMode::Path => "control plane, workspaces and training",
        },
    )];
    if spec.routing_mode == RoutingMode::Host {
        out.push(record(format!("*.{}", spec.cluster_domain), "workspaces and training"));
    }
    // The Run:ai page lists only the cluster domain and its wildcard; inference hosts pointed at
    // the Ingress too, so they must move as well. OpenShift creates its own records.
    if let (Some(d), Platform::Kubernetes) = (&spec.inference_domain, spec.platform) {
        out.push(record(format!("*.{d}"), "inference"));
    }
    out
}

fn gateway_address_cmd(spec: &Spec) -> String {
    format!(
        "GATEWAY_ADDRESS=$(kubectl get gateway {} -n {} -o jsonpath='{{.status.addresses[0].value}}')",
        shell_quote(&spec.gateway_name),
        shell_quote(&spec.gateway_namespace)
    )
}

fn helm_commands(upgrades: &[HelmUpgrade]) -> Vec<String> {
    let mut out = Vec::new();
    for u in upgrades {
        // Pin the chart to the deployed version: never upgrade Run:ai as a side effect.
        out.extend(u.version_lookup());
        out.push(u.command());
    }
    out
}

#[allow(clippy::too_many_lines)] // The steps read top to bottom like the runbook they are.
fn steps(
    spec: &Spec,
    objects: &[PlannedObject],
    secrets: &[SecretRequirement],
    helm: &HelmPlan,
    dns: &[DnsRecord],
) -> Vec<Step> {
    let gw = format!("{}/{}", spec.gateway_namespace, spec.gateway_name);
    let mut steps = Vec::new();

    steps.push(if spec.controller.profile().manages_gateway_api_crds {
        Step {
            id: "gateway-api",
            title: "Check the Gateway API CRDs OpenShift installs".into(),
            detail: "OpenShift's Ingress Operator manages the Gateway API CRDs; do not install them by hand.".into(),
            commands: vec!["kubectl get crd gateways.gateway.networking.k8s.io httproutes.gateway.networking.k8s.io".into()],
            manual: false,
        }
    } else {
        Step {
            id: "gateway-api",
            title: format!("Install the Gateway API CRDs ({GATEWAY_API_VERSION}, standard channel)"),
            detail: "Server-side apply: the CRDs are too large for client-side apply's annotation.".into(),
            commands: vec![
                format!(
                    "kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/{GATEWAY_API_VERSION}/standard-install.yaml"
                ),
                "kubectl wait --for=condition=Established crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io".into(),
            ],
            manual: false,
        }
    });

    let class_wait = format!(
        "kubectl wait --for=condition=Accepted gatewayclass/{} --timeout=5m",
        shell_quote(&spec.gateway_class)
    );
    steps.push(match &spec.controller.profile().install {
        Some(install) => Step {
            id: "controller",
            title: install.title.into(),
            detail: install.detail.into(),
            commands: (install.commands)().into_iter().chain([class_wait]).collect(),
            manual: false,
        },
        None => Step {
            id: "controller",
            title: format!("Install the `{}` Gateway API controller", spec.controller),
            detail: format!(
                "Follow the controller's own installation guide, then check that GatewayClass `{}` is accepted.",
                spec.gateway_class
            ),
            commands: vec![class_wait],
            manual: false,
        },
    });

    if let Some(step) = crate::certmanager::tls_step(spec, secrets) {
        steps.push(step);
    } else {
        steps.push(secrets_step(secrets));
    }

    let listed: Vec<String> = objects.iter().map(PlannedObject::reference).collect();
    steps.push(Step {
        id: "gateway",
        title: "Apply the Gateway, its routes and the Knative settings".into(),
        detail: format!(
            "{}. Save `kubectl runai-gateway render -o yaml` as `{BUNDLE_FILE}`. Server-side apply with field manager `{FIELD_MANAGER}` leaves fields owned by others alone and reports conflicts instead of overwriting them.",
            listed.join(", ")
        ),
        commands: [format!("kubectl apply --server-side --field-manager={FIELD_MANAGER} -f {BUNDLE_FILE}")]
            .into_iter()
            .chain(crate::certmanager::certificate_waits(spec))
            .chain([format!(
                "kubectl wait --for=condition=Programmed gateway/{} -n {} --timeout=5m",
                shell_quote(&spec.gateway_name),
                shell_quote(&spec.gateway_namespace)
            )])
            .collect(),
        manual: false,
    });

    if spec.inference_enabled() {
        steps.push(Step {
            id: "knative",
            title: "Check Knative Serving and its route".into(),
            detail: format!(
                "Run:ai supports Knative 1.{}–1.{}. The documented operator 1.18.2 installs Serving 1.18: use an operator of 1.{} or later. The Knative domain, the route's hostname and the inference listener must all be the same domain.",
                KNATIVE_SUPPORTED.0, KNATIVE_SUPPORTED.1, KNATIVE_SUPPORTED.0
            ),
            commands: vec![
                format!(
                    "kubectl wait --for=condition=Ready knativeserving/{} -n {} --timeout=5m",
                    manifests::KNATIVE_SERVING,
                    shell_quote(&spec.knative_namespace)
                ),
                format!(
                    "kubectl get httproute {} -n {} -o jsonpath='{{range .status.parents[*].conditions[*]}}{{.type}}={{.status}} {{end}}'",
                    manifests::KNATIVE_ROUTE,
                    shell_quote(&spec.knative_namespace)
                ),
            ],
            manual: false,
        });
    }

    let mut introduce_detail = String::from(
        "Run:ai then creates its own HTTPRoutes on the Gateway. Ingress keeps serving: traffic moves only when DNS does.",
    );
    if spec.control_plane == ControlPlaneLocation::Saas {
        introduce_detail.push_str(" The control plane is NVIDIA's (SaaS): only the cluster is changed here.");
    }
    if spec.routing_mode == RoutingMode::Path {
        introduce_detail.push_str(" Path mode also turns host-based routing off (`subdomainSupport=false`).");
    }
    steps.push(Step {
        id: "introduce",
        title: "Introduce the Gateway to Run:ai (control plane, then cluster)".into(),
        detail: introduce_detail,
        commands: helm_commands(&helm.introduce),
        manual: false,
    });

    let first = &spec.cluster_domain;
    steps.push(Step {
        id: "verify",
        title: "Verify the Gateway serves every hostname".into(),
        detail: "The request must carry the right SNI: `curl -H Host:` against the bare address sends none, and the listeners match on hostname.".into(),
        commands: vec![
            format!("kubectl get gateway {} -n {}", shell_quote(&spec.gateway_name), shell_quote(&spec.gateway_namespace)),
            "kubectl get httproute -A".into(),
            gateway_address_cmd(spec),
            format!("curl --resolve {first}:443:\"$GATEWAY_ADDRESS\" https://{first}/"),
        ],
        manual: false,
    });

    let mut dns_cmds: Vec<String> = dns
        .iter()
        .map(|r| {
            format!(
                "# {} {} -> {} (was {}; {})",
                r.name, r.record_type, r.gateway_target, r.ingress_target, r.serves
            )
        })
        .collect();
    dns_cmds.push(format!("dig +short {first}"));
    let (title, detail) = if spec.dns == crate::spec::DnsMode::ExternalDns {
        dns_cmds.splice(dns_cmds.len() - 1..dns_cmds.len() - 1, external_dns_commands());
        (
            "Let external-dns move the records to the Gateway",
            "external-dns keeps a record with the Ingress that created it while that Ingress claims the name. `apply` annotates each Ingress that claims one of these hostnames so that external-dns ignores it (the Ingress keeps serving), then waits for the records; `rollback` puts the annotations back as they were.",
        )
    } else {
        (
            "Point DNS at the Gateway",
            "Lower the records' TTL a day before. Until DNS changes, Ingress serves everything and rollback costs nothing.",
        )
    };
    steps.push(Step {
        id: "switch-dns",
        title: title.into(),
        detail: format!(
            "{detail} Gateway {gw}'s address: `kubectl get gateway -n {}`.",
            spec.gateway_namespace
        ),
        commands: dns_cmds,
        manual: true,
    });

    let mut disable = helm_commands(&helm.disable_ingress);
    disable.push("# Ingress objects created by hand are not removed by Run:ai; list them, delete when no longer needed:".into());
    for ns in [&spec.cluster.namespace, &spec.knative_namespace] {
        disable.push(format!("kubectl get ingress -n {}", shell_quote(ns)));
    }
    steps.push(Step {
        id: "disable-ingress",
        title: "Turn Ingress off (cluster, then control plane)".into(),
        detail: "Only once DNS resolves to the Gateway everywhere.".into(),
        commands: disable,
        manual: false,
    });
    steps
}

/// What `apply --dns external-dns` does at switch-dns, as commands: list the Ingresses and their
/// hosts, then annotate each one claiming a Gateway hostname (both annotation prefixes: the one
/// before external-dns v0.22 and the one from v0.22 on).
fn external_dns_commands() -> Vec<String> {
    let prefixes = [crate::externaldns::LEGACY_PREFIX, crate::externaldns::PREFIX];
    let keys: Vec<String> =
        prefixes.iter().map(|p| format!("{p}controller={}", crate::externaldns::IGNORED_BY)).collect();
    let removed: Vec<String> = prefixes.iter().map(|p| format!("{p}controller-")).collect();
    vec![
        "# after a rollback, first let external-dns read the Gateway's HTTPRoutes again:".into(),
        format!("# kubectl annotate httproute -A -l {MANAGED_BY_LABEL}={FIELD_MANAGER} {}", removed.join(" ")),
        "kubectl get ingress -A -o custom-columns='NAMESPACE:.metadata.namespace,NAME:.metadata.name,HOSTS:.spec.rules[*].host'".into(),
        "# each Ingress above whose hosts include one of these names, or a name under a wildcard one:".into(),
        format!("# kubectl annotate ingress NAME -n NAMESPACE {}", keys.join(" ")),
    ]
}

/// What `rollback --dns external-dns` does at its DNS step, as commands: the Ingresses' recorded
/// annotations back (shown by `rollback --diff`), the Gateway's HTTPRoutes ignored.
fn external_dns_rollback_commands() -> Vec<String> {
    let keys: Vec<String> = [crate::externaldns::LEGACY_PREFIX, crate::externaldns::PREFIX]
        .iter()
        .map(|p| format!("{p}controller={}", crate::externaldns::IGNORED_BY))
        .collect();
    vec![
        "# the Ingresses' annotations back as they were before apply (rollback --diff lists them)".into(),
        format!("kubectl annotate httproute -A -l {MANAGED_BY_LABEL}={FIELD_MANAGER} {}", keys.join(" ")),
    ]
}

/// The `tls-secrets` step when the secrets are provided by hand.
fn secrets_step(secrets: &[SecretRequirement]) -> Step {
    let mut secret_cmds = Vec::new();
    for s in secrets {
        let hosts = s.hosts.join(", ");
        secret_cmds.push(format!("# {}/{} must cover {hosts} ({})", s.namespace, s.name, s.used_by));
        let check =
            format!("kubectl get secret {} -n {} -o name", shell_quote(&s.name), shell_quote(&s.namespace));
        match &s.copy_from {
            // Idempotent: copies only when the Gateway's copy is missing.
            Some(copy) => secret_cmds.push(format!("{check} 2>/dev/null || {}", copy.command)),
            None => secret_cmds.push(format!(
                "{check} || {{ echo {} >&2; exit 1; }}",
                shell_quote(&format!("missing; create it from your PEM files: {}", s.create))
            )),
        }
    }
    Step {
        id: "tls-secrets",
        title: "Check the TLS secrets (and copy the inference one next to the Gateway)".into(),
        detail: "A Gateway resolves `certificateRefs` in its own namespace only, so the inference secret, which lives in the Knative namespace in Ingress mode, is copied. `status` checks that each certificate covers its hosts.".into(),
        commands: secret_cmds,
        manual: false,
    }
}

fn rollback_steps(spec: &Spec, helm: &HelmPlan, dns: &[DnsRecord]) -> Vec<Step> {
    // The Gateway and the routes, then the controller's extra object if the plan has one.
    let mut kinds = vec![
        "gateways.gateway.networking.k8s.io".to_owned(),
        "httproutes.gateway.networking.k8s.io".to_owned(),
    ];
    if let Some(extra) = spec.controller.profile().websockets.as_ref().filter(|_| spec.websockets) {
        kinds.extend(
            crate::kinds::lookup(extra.api_version, extra.kind).map(crate::kinds::KindInfo::resource),
        );
    }
    let mut dns_cmds: Vec<String> =
        dns.iter().map(|r| format!("# {} -> {} ({})", r.name, r.ingress_target, r.serves)).collect();
    let external_dns = spec.dns == crate::spec::DnsMode::ExternalDns;
    let dns_detail = if external_dns {
        dns_cmds.extend(external_dns_rollback_commands());
        "external-dns keeps each record with the HTTPRoute that owns it now while that route claims the name. `rollback` puts the Ingresses' annotations back as they were and annotates the Gateway's HTTPRoutes so that external-dns ignores them (they keep serving until the records have moved); `--wait-dns` waits for the records, and `--prune` deletes the routes only then. A later `apply` removes the routes' annotation at switch-dns."
    } else {
        ""
    };
    dns_cmds.push(format!("dig +short {}", spec.cluster_domain));
    vec![
        Step {
            id: "rollback-runai",
            title: "Re-enable Ingress and turn the Gateway API off (cluster, then control plane)".into(),
            detail: "One upgrade per release, both flags at once. The Ingress objects created by hand must still exist (or be re-created) for Ingress to serve.".into(),
            commands: helm_commands(&helm.rollback),
            manual: false,
        },
        Step {
            id: "rollback-dns",
            title: if external_dns {
                "Let external-dns move the records back to the Ingress".into()
            } else {
                "Point DNS back at the Ingress".into()
            },
            detail: dns_detail.into(),
            commands: dns_cmds,
            manual: true,
        },
        Step {
            id: "rollback-prune",
            title: "Optionally remove what the migration created".into(),
            detail: "Only objects carrying the tool's label; the Knative Serving fields are the Ingress-mode ones and stay.".into(),
            commands: [format!("kubectl delete {} -A -l {MANAGED_BY_LABEL}={FIELD_MANAGER}", kinds.join(","))]
                .into_iter()
                .chain(crate::certmanager::prune_command(spec))
                .collect(),
            manual: false,
        },
    ]
}
