//! The checks themselves. Each is a function of the context that returns an [`Outcome`]; the
//! catalog order is the report order.

use std::collections::BTreeMap;

use super::catalog::{CATALOG, Severity};
use super::{Finding, NextStep, Phase, REPORT_SCHEMA, Report, Skipped};
use crate::fields::CommandLine;
use crate::helm::{Component, shell_quote};
use crate::hostname;
use crate::manifests::{self, listener};
use crate::snapshot::{Gateway, HelmRelease, Kind, RunaiSettings, Snapshot, Source, condition, is_true};
use crate::spec::{
    ControlPlaneLocation, Controller, GatewayInput, InferenceInput, Platform, RoutingMode, Spec, SpecInput,
};

/// A check's result.
enum Outcome {
    Pass,
    Found(Vec<Draft>),
    Skip(String),
}

/// A finding before the catalog fills in category, doc and default severity.
struct Draft {
    severity: Option<Severity>,
    resource: Option<String>,
    message: String,
    hint: Option<String>,
    fix: Option<String>,
}

fn draft(resource: impl Into<Option<String>>, message: impl Into<String>) -> Draft {
    Draft { severity: None, resource: resource.into(), message: message.into(), hint: None, fix: None }
}

impl Draft {
    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    fn severity(mut self, s: Severity) -> Self {
        self.severity = Some(s);
        self
    }
}

fn found(drafts: Vec<Draft>) -> Outcome {
    if drafts.is_empty() { Outcome::Pass } else { Outcome::Found(drafts) }
}

/// Everything a check may look at.
struct Cx<'a> {
    spec: &'a Spec,
    snap: &'a Snapshot,
    now: i64,
    gateway: Option<&'a Gateway>,
    cluster: Option<&'a HelmRelease>,
    backend: Option<&'a HelmRelease>,
    /// The migration has begun (a Gateway exists or Run:ai was told to use one): missing
    /// pieces are then errors, before it they are the next steps.
    started: bool,
    ingress_addresses: Vec<String>,
    /// What every suggested command repeats.
    command: &'a CommandLine,
}

impl Cx<'_> {
    fn gw_ref(&self) -> String {
        format!("Gateway {}/{}", self.spec.gateway_namespace, self.spec.gateway_name)
    }

    /// `Error` once the migration started, `Info` before (a step not taken yet).
    fn todo(&self) -> Severity {
        if self.started { Severity::Error } else { Severity::Info }
    }

    /// Skips when `kind` was not read, saying why.
    fn need(&self, kinds: &[Kind]) -> Option<Outcome> {
        for &kind in kinds {
            match self.snap.source(kind) {
                Source::Read { .. } => {}
                Source::Forbidden { .. } => {
                    return Some(Outcome::Skip(format!("cannot list `{}` (forbidden)", kind.resource())));
                }
                Source::NotInstalled => {
                    return Some(Outcome::Skip(format!("`{}` is not installed", kind.resource())));
                }
                Source::Failed { message } => {
                    return Some(Outcome::Skip(format!("reading `{}` failed: {message}", kind.resource())));
                }
                Source::Skipped { reason } => {
                    return Some(Outcome::Skip(format!("`{}` not read: {reason}", kind.resource())));
                }
            }
        }
        None
    }

    fn settings(&self) -> (Option<&RunaiSettings>, Option<&RunaiSettings>) {
        (self.cluster.map(|r| &r.settings), self.backend.map(|r| &r.settings))
    }

    fn gateway_api_on(&self) -> bool {
        let (c, b) = self.settings();
        c.and_then(|s| s.gateway_api_enabled) == Some(true)
            || b.and_then(|s| s.gateway_api_enabled) == Some(true)
    }

    fn ingress_off(&self) -> bool {
        let (c, b) = self.settings();
        c.and_then(|s| s.ingress_enabled) == Some(false) || b.and_then(|s| s.ingress_enabled) == Some(false)
    }

    fn gateway_addresses(&self) -> &[String] {
        self.gateway.map(|g| g.addresses.as_slice()).unwrap_or_default()
    }

    fn labels_of(&self, ns: &str) -> BTreeMap<String, String> {
        self.snap.namespaces.iter().find(|n| n.name == ns).map(|n| n.labels.clone()).unwrap_or_default()
    }

    /// The command that performs `steps` (step ids of `render -o helm`): `apply` or `rollback`
    /// where they cover the step, the generated script for what they leave to the admin
    /// (installing the CRDs and the controller). Each repeats the user's whole input.
    fn script(&self, steps: &str) -> String {
        let phase = match steps {
            "tls-secrets" | "gateway" | "knative" => Some("prepare"),
            "introduce" => Some("introduce"),
            "switch-dns" => Some("switch-dns"),
            "disable-ingress" => Some("disable-ingress"),
            "verify switch-dns" => Some("verify"),
            "rollback-runai" => return self.command.command("rollback", ""),
            _ => None,
        };
        match phase {
            Some("verify") => self.command.command("apply", "--wait"),
            Some(phase) => self.command.command("apply", &format!("--phase {phase}")),
            None => {
                self.command.command("render", &format!("-o helm > migrate.sh && bash migrate.sh {steps}"))
            }
        }
    }
}

/// Chart version below `major.minor`?
fn version_below(version: &str, major: u64, minor: u64) -> Option<bool> {
    let v = version.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']).map(str::parse::<u64>);
    let ma = parts.next()?.ok()?;
    let mi = parts.next().and_then(Result::ok).unwrap_or(0);
    Some((ma, mi) < (major, minor))
}

fn days(secs: i64) -> i64 {
    secs / 86_400
}

// ---------------------------------------------------------------------------------------------
// Discovery

pub(super) fn discover(input: &SpecInput, snap: &Snapshot) -> SpecInput {
    let mut out = input.clone();
    let (cluster_rel, backend_rel) =
        (input.release(Component::Cluster), input.release(Component::ControlPlane));
    let cluster = snap.release(&cluster_rel.namespace, &cluster_rel.release);
    let backend = snap.release(&backend_rel.namespace, &backend_rel.release);

    // The Gateway Run:ai is configured to use, not an assumed runai/runai-gateway.
    let gw_from_values = cluster
        .and_then(|r| r.settings.gateway.clone())
        .or_else(|| backend.and_then(|r| r.settings.gateway.clone()))
        .or_else(|| snap.runai_config.as_ref().and_then(|c| c.gateway.clone()));
    let gw_input = out.gateway.get_or_insert_with(GatewayInput::default);
    if let Some((ns, name)) = &gw_from_values {
        gw_input.namespace.get_or_insert_with(|| ns.clone());
        gw_input.name.get_or_insert_with(|| name.clone());
    }
    let gw_ns = gw_input.namespace.clone().unwrap_or_else(|| crate::spec::defaults::GATEWAY_NAMESPACE.into());
    let gw_name = gw_input.name.clone().unwrap_or_else(|| crate::spec::defaults::GATEWAY_NAME.into());
    let gateway = snap.gateway(&gw_ns, &gw_name);
    if let Some(gw) = gateway {
        if gw_input.class_name.is_none() && !gw.class_name.is_empty() {
            gw_input.class_name = Some(gw.class_name.clone());
        }
        if gw_input.controller.is_none()
            && let Some(class) = snap.gateway_classes.iter().find(|c| c.name == gw.class_name)
        {
            gw_input.controller = Controller::ALL
                .into_iter()
                .find(|c| c.controller_name() == Some(class.controller_name.as_str()))
                .or(Some(Controller::Other));
        }
    }

    if out.cluster_domain.is_none() {
        out.cluster_domain = gateway
            .and_then(|g| {
                g.listeners
                    .iter()
                    .find(|l| l.name == listener::CLUSTER_DOMAIN)
                    .or_else(|| {
                        g.listeners.iter().find(|l| {
                            l.protocol == "HTTPS"
                                && l.hostname.as_deref().is_some_and(|h| !h.starts_with('*'))
                        })
                    })
                    .and_then(|l| l.hostname.clone())
            })
            .or_else(|| cluster.and_then(|r| r.settings.domain.clone()))
            .or_else(|| backend.and_then(|r| r.settings.domain.clone()))
            .or_else(|| {
                snap.ingresses.iter().flat_map(|i| i.hosts.iter()).find_map(|h| {
                    h.strip_prefix("*.").filter(|d| !d.contains("inference")).map(str::to_owned)
                })
            });
    }

    if out.routing_mode.is_none() && cluster.and_then(|r| r.settings.subdomain_support) == Some(false) {
        out.routing_mode = Some(RoutingMode::Path);
    }

    let inf = out.inference.get_or_insert_with(InferenceInput::default);
    if inf.enabled.is_none() && inf.domain.is_none() {
        inf.domain = gateway
            .and_then(|g| g.listeners.iter().find(|l| l.name == listener::INFERENCE))
            .and_then(|l| l.hostname.as_deref())
            .and_then(|h| h.strip_prefix("*."))
            .map(str::to_owned)
            .or_else(|| {
                snap.http_routes
                    .iter()
                    .find(|r| r.name == manifests::KNATIVE_ROUTE)
                    .and_then(|r| r.hostnames.first())
                    .and_then(|h| h.strip_prefix("*."))
                    .map(str::to_owned)
            })
            .or_else(|| snap.knative_servings.first().and_then(|k| k.domains.first().cloned()));
    }
    if out.inference.as_ref().is_some_and(|i| *i == InferenceInput::default()) {
        out.inference = None;
    }
    if out.gateway.as_ref().is_some_and(|g| *g == GatewayInput::default()) {
        out.gateway = None;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The checks

type Check = fn(&Cx<'_>) -> Outcome;

fn check_fn(id: &str) -> Check {
    match id {
        "read-forbidden" => read_forbidden,
        "read-failed" => read_failed,
        "gateway-api-crds-missing" => crds_missing,
        "gateway-api-crds-outdated" => crds_outdated,
        "runai-version-unsupported" => runai_version,
        "runai-release-missing" => runai_release_missing,
        "gatewayclass-missing" => class_missing,
        "gatewayclass-not-accepted" => class_not_accepted,
        "gatewayclass-controller-mismatch" => class_controller,
        "gateway-missing" => gateway_missing,
        "gateway-not-programmed" => gateway_not_programmed,
        "gateway-no-address" => gateway_no_address,
        "listener-missing" => listener_missing,
        "listener-refs-unresolved" => listener_refs,
        "inference-hostname-mismatch" => inference_hostname,
        "allowed-routes-refused" => allowed_routes_refused,
        "allowed-routes-open" => allowed_routes_open,
        "http-redirect-missing" => http_redirect,
        "websockets-disabled" => websockets,
        "secret-missing" => secret_missing,
        "inference-secret-not-copied" => inference_secret,
        "cert-unreadable" => cert_unreadable,
        "cert-expired" => cert_expired,
        "cert-expiring" => cert_expiring,
        "cert-host-mismatch" => cert_host,
        "cert-key-mismatch" => cert_key,
        "cert-chain-incomplete" => cert_chain,
        "routes-not-accepted" => routes_not_accepted,
        "route-refs-unresolved" => route_refs,
        "knative-route-missing" => knative_route_missing,
        "backend-no-endpoints" => backend_endpoints,
        "knative-missing" => knative_missing,
        "knative-not-ready" => knative_not_ready,
        "knative-version-unsupported" => knative_version,
        "knative-domain-mismatch" => knative_domain,
        "knative-network-mismatch" => knative_network,
        "path-mode-subdomains-on" => subdomains,
        "runai-gateway-mismatch" => runai_gateway,
        "runai-cp-cluster-disagree" => cp_cluster_disagree,
        "nothing-serves" => nothing_serves,
        "runaiconfig-drift" => runaiconfig_drift,
        "ingress-objects-remain" => ingress_remain,
        "dns-unresolved" => dns_unresolved,
        "dns-points-elsewhere" => dns_elsewhere,
        "dns-still-on-ingress" => dns_on_ingress,
        "dns-partly-switched" => dns_partly,
        "probe-failed" => probe_failed,
        // A catalog entry without a function is a bug the catalog test catches.
        _ => |_| Outcome::Skip("not implemented".into()),
    }
}

fn read_forbidden(cx: &Cx<'_>) -> Outcome {
    found(
        cx.snap
            .sources
            .iter()
            .filter_map(|(kind, src)| match src {
                Source::Forbidden { message } => Some(
                    draft(None, format!("cannot list `{}`: {message}", kind.resource()))
                        .hint("the checks that need it are skipped below")
                        .fix(format!("kubectl auth can-i list {} --all-namespaces", kind.resource())),
                ),
                _ => None,
            })
            .collect(),
    )
}

fn read_failed(cx: &Cx<'_>) -> Outcome {
    found(
        cx.snap
            .sources
            .iter()
            .filter_map(|(kind, src)| match src {
                Source::Failed { message } => {
                    Some(draft(None, format!("reading `{}` failed: {message}", kind.resource())))
                }
                _ => None,
            })
            .collect(),
    )
}

const REQUIRED_CRDS: [&str; 3] = [
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
];

fn crds_missing(cx: &Cx<'_>) -> Outcome {
    let missing: Vec<&str> = if cx.snap.was_read(Kind::CustomResourceDefinition) {
        REQUIRED_CRDS.iter().copied().filter(|n| !cx.snap.crds.iter().any(|c| c.name == *n)).collect()
    } else if cx.snap.source(Kind::Gateway) == Source::NotInstalled {
        vec!["gateways.gateway.networking.k8s.io"]
    } else {
        return cx.need(&[Kind::CustomResourceDefinition]).unwrap_or(Outcome::Pass);
    };
    if missing.is_empty() {
        return Outcome::Pass;
    }
    found(vec![
        draft(None, format!("Gateway API CRDs not installed: {}", missing.join(", ")))
            .severity(cx.todo())
            .fix(cx.script("gateway-api")),
    ])
}

fn crds_outdated(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::CustomResourceDefinition]) {
        return o;
    }
    found(
        cx.snap
            .crds
            .iter()
            .filter(|c| REQUIRED_CRDS.contains(&c.name.as_str()))
            .filter_map(|c| {
                let v = c.bundle_version.as_deref()?;
                let v1 = v.trim_start_matches('v');
                let mut p = v1.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
                let (ma, mi) = (p.next()?, p.next().unwrap_or(0));
                ((ma, mi) < (1, 4)).then(|| {
                    draft(
                        format!("CustomResourceDefinition {}", c.name),
                        format!("`{}` is bundle {v}, older than v1.4.0", c.name),
                    )
                    .fix(cx.script("gateway-api"))
                })
            })
            .collect(),
    )
}

fn runai_version(cx: &Cx<'_>) -> Outcome {
    let mut drafts = Vec::new();
    for rel in [cx.cluster, cx.backend].into_iter().flatten() {
        if version_below(&rel.chart_version, 2, 25) == Some(true) {
            drafts.push(draft(
                format!("Helm release {}/{}", rel.namespace, rel.name),
                format!(
                    "`{}` runs chart {} {}; Gateway API support needs 2.25 or later",
                    rel.name, rel.chart, rel.chart_version
                ),
            ));
        }
    }
    if drafts.is_empty() && cx.cluster.is_none() && cx.backend.is_none() {
        return cx.need(&[Kind::Secret]).unwrap_or_else(|| Outcome::Skip("no Run:ai release found".into()));
    }
    found(drafts)
}

fn runai_release_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    let mut drafts = Vec::new();
    let c = &cx.spec.cluster;
    if cx.cluster.is_none() {
        drafts.push(
            draft(None, format!("Helm release `{}` not found in namespace `{}`", c.release, c.namespace))
                .fix(format!(
                    "helm list -n {} # then pass --cluster-release/--cluster-namespace",
                    shell_quote(&c.namespace)
                )),
        );
    }
    let b = &cx.spec.backend;
    if cx.spec.control_plane == ControlPlaneLocation::SameCluster && cx.backend.is_none() {
        drafts.push(draft(None, format!("Helm release `{}` not found in namespace `{}`", b.release, b.namespace))
            .hint("if the control plane runs elsewhere, pass `--control-plane remote --control-plane-context CTX` or `--control-plane saas`")
            .fix(format!("helm list -n {}", shell_quote(&b.namespace))));
    }
    found(drafts)
}

fn class_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::GatewayClass]) {
        return o;
    }
    if cx.snap.gateway_classes.iter().any(|c| c.name == cx.spec.gateway_class) {
        return Outcome::Pass;
    }
    let have: Vec<&str> = cx.snap.gateway_classes.iter().map(|c| c.name.as_str()).collect();
    found(vec![
        draft(
            format!("GatewayClass {}", cx.spec.gateway_class),
            format!(
                "GatewayClass `{}` does not exist{}",
                cx.spec.gateway_class,
                if have.is_empty() { String::new() } else { format!(" (classes here: {})", have.join(", ")) }
            ),
        )
        .severity(cx.todo())
        .fix(cx.script("controller")),
    ])
}

fn class_not_accepted(cx: &Cx<'_>) -> Outcome {
    let Some(class) = cx.snap.gateway_classes.iter().find(|c| c.name == cx.spec.gateway_class) else {
        return Outcome::Skip("the GatewayClass does not exist".into());
    };
    if is_true(&class.conditions, "Accepted") {
        return Outcome::Pass;
    }
    let why = condition(&class.conditions, "Accepted").map_or_else(
        || "no controller has reported on it".to_owned(),
        |c| format!("Accepted={} ({}: {})", c.status, c.reason, c.message),
    );
    found(vec![
        draft(
            format!("GatewayClass {}", class.name),
            format!("GatewayClass `{}` is not accepted: {why}", class.name),
        )
        .fix(format!("kubectl get gatewayclass {} -o yaml", shell_quote(&class.name))),
    ])
}

fn class_controller(cx: &Cx<'_>) -> Outcome {
    let (Some(class), Some(expected)) = (
        cx.snap.gateway_classes.iter().find(|c| c.name == cx.spec.gateway_class),
        cx.spec.controller.controller_name(),
    ) else {
        return Outcome::Skip("no class, or controller `other`".into());
    };
    if class.controller_name == expected {
        return Outcome::Pass;
    }
    found(vec![draft(
        format!("GatewayClass {}", class.name),
        format!(
            "GatewayClass `{}` belongs to `{}`, not to {} (`{expected}`)",
            class.name, class.controller_name, cx.spec.controller
        ),
    )])
}

fn gateway_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Gateway]) {
        return o;
    }
    if cx.gateway.is_some() {
        return Outcome::Pass;
    }
    let sev = if cx.gateway_api_on() { Severity::Error } else { Severity::Info };
    found(vec![
        draft(cx.gw_ref(), format!("{} does not exist", cx.gw_ref())).severity(sev).fix(cx.script("gateway")),
    ])
}

fn gateway_not_programmed(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let mut drafts = Vec::new();
    for t in ["Accepted", "Programmed"] {
        if !is_true(&gw.conditions, t) {
            let why = condition(&gw.conditions, t).map_or_else(
                || "not reported by any controller".to_owned(),
                |c| format!("{}={} ({}: {})", t, c.status, c.reason, c.message),
            );
            drafts.push(draft(cx.gw_ref(), format!("{} is not {t}: {why}", cx.gw_ref())).fix(format!(
                "kubectl describe gateway {} -n {}",
                shell_quote(&gw.name),
                shell_quote(&gw.namespace)
            )));
        }
    }
    found(drafts)
}

fn gateway_no_address(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if gw.addresses.is_empty() {
        found(vec![
            draft(cx.gw_ref(), format!("{} has no address in its status", cx.gw_ref()))
                .fix(format!("kubectl get svc -n {} -o wide", shell_quote(&gw.namespace))),
        ])
    } else {
        Outcome::Pass
    }
}

fn listener_missing(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    found(
        manifests::listeners(cx.spec)
            .into_iter()
            .filter(|want| want.name != listener::INFERENCE) // inference-hostname-mismatch covers it
            .filter(|want| {
                !gw.listeners.iter().any(|l| {
                    l.protocol == want.protocol
                        && i64::from(want.port) == l.port
                        && l.hostname == want.hostname
                })
            })
            .map(|want| {
                let sev = if want.protocol == "HTTP" { Severity::Warning } else { Severity::Error };
                draft(
                    cx.gw_ref(),
                    format!(
                        "{} has no {}/{} listener for `{}` ({})",
                        cx.gw_ref(),
                        want.protocol,
                        want.port,
                        want.hostname.as_deref().unwrap_or("any host"),
                        want.purpose
                    ),
                )
                .severity(sev)
                .fix(cx.script("gateway"))
            })
            .collect(),
    )
}

fn listener_refs(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    found(
        gw.listeners
            .iter()
            .filter_map(|l| {
                let c = condition(&l.conditions, "ResolvedRefs")?;
                (c.status == "False").then(|| {
                    draft(
                        cx.gw_ref(),
                        format!(
                            "listener `{}` cannot resolve its references: {} ({})",
                            l.name, c.reason, c.message
                        ),
                    )
                })
            })
            .collect(),
    )
}

fn inference_hostname(cx: &Cx<'_>) -> Outcome {
    let (Some(domain), Platform::Kubernetes) = (&cx.spec.inference_domain, cx.spec.platform) else {
        return Outcome::Skip("inference is not routed through this Gateway".into());
    };
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let want = format!("*.{domain}");
    let mut drafts = Vec::new();
    let inference_listeners: Vec<_> = gw
        .listeners
        .iter()
        .filter(|l| l.name == listener::INFERENCE || l.hostname.as_deref() == Some(want.as_str()))
        .collect();
    match inference_listeners.iter().find(|l| l.hostname.as_deref() == Some(want.as_str())) {
        Some(_) => {}
        None => {
            let have =
                inference_listeners.first().and_then(|l| l.hostname.clone()).unwrap_or_else(|| "none".into());
            drafts.push(
                draft(cx.gw_ref(), format!("the inference listener's hostname is `{have}`, but inference hosts are `{want}`"))
                    .hint("the Run:ai page's listener uses `*.runai-inference.<cluster domain>` while its route and Knative use the sibling domain; all three must be one domain")
                    .fix(cx.script("gateway")),
            );
        }
    }
    if let Some(route) = cx
        .snap
        .http_routes
        .iter()
        .find(|r| r.name == manifests::KNATIVE_ROUTE && r.namespace == cx.spec.knative_namespace)
        && !route.hostnames.iter().any(|h| hostname::intersects(Some(&want), h))
    {
        drafts.push(
            draft(
                format!("HTTPRoute {}/{}", route.namespace, route.name),
                format!(
                    "the Knative route's hostnames ({}) do not meet the inference listener `{want}`",
                    route.hostnames.join(", ")
                ),
            )
            .fix(cx.script("gateway")),
        );
    }
    found(drafts)
}

fn allowed_routes_refused(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if let Some(o) = cx.need(&[Kind::Namespace]) {
        return o;
    }
    let mut needs: Vec<(&str, Vec<String>)> = vec![(
        listener::CLUSTER_DOMAIN,
        match cx.spec.control_plane {
            ControlPlaneLocation::SameCluster => {
                vec![cx.spec.backend.namespace.clone(), cx.spec.cluster.namespace.clone()]
            }
            _ => vec![cx.spec.cluster.namespace.clone()],
        },
    )];
    if cx.spec.inference_enabled() && cx.spec.platform == Platform::Kubernetes {
        needs.push((listener::INFERENCE, vec![cx.spec.knative_namespace.clone()]));
    }
    let mut drafts = Vec::new();
    for (lname, namespaces) in needs {
        let Some(l) = gw.listeners.iter().find(|l| l.name == lname) else { continue };
        for ns in namespaces {
            if !l.allowed.admits(&gw.namespace, &ns, &cx.labels_of(&ns)) {
                drafts.push(
                    draft(cx.gw_ref(), format!("listener `{lname}` does not admit routes from namespace `{ns}` (allowedRoutes from: {})", l.allowed.from))
                        .hint("routes from there are refused with `NotAllowedByListeners`")
                        .fix(cx.script("gateway")),
                );
            }
        }
    }
    found(drafts)
}

fn allowed_routes_open(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if cx.spec.routing_mode == RoutingMode::Path {
        return Outcome::Skip("path mode shares the hostname with workloads (see the render warning)".into());
    }
    found(
        gw.listeners
            .iter()
            .filter(|l| {
                l.hostname.as_deref() == Some(cx.spec.cluster_domain.as_str()) && l.allowed.from == "All"
            })
            .map(|l| {
                draft(
                    cx.gw_ref(),
                    format!("listener `{}` for the control plane admits routes from every namespace", l.name),
                )
                .fix(cx.script("gateway"))
            })
            .collect(),
    )
}

fn http_redirect(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.http_redirect {
        return Outcome::Skip("`--no-http-redirect`".into());
    }
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let has_http = gw.listeners.iter().any(|l| l.protocol == "HTTP" && l.port == 80);
    let has_redirect = cx.snap.http_routes.iter().any(|r| {
        r.parent_refs.iter().any(|p| {
            p.namespace == gw.namespace
                && p.name == gw.name
                && p.section_name
                    .as_deref()
                    .is_none_or(|s| gw.listeners.iter().any(|l| l.name == s && l.protocol == "HTTP"))
        }) && r.name == manifests::redirect_route_name(cx.spec)
    });
    if has_http && has_redirect {
        Outcome::Pass
    } else {
        found(vec![
            draft(
                cx.gw_ref(),
                format!(
                    "{} does not redirect http:// to https:// ({})",
                    cx.gw_ref(),
                    if has_http { "no redirect route" } else { "no port-80 listener" }
                ),
            )
            .fix(cx.script("gateway")),
        ])
    }
}

fn websockets(cx: &Cx<'_>) -> Outcome {
    if cx.spec.controller != Controller::Kgateway {
        return Outcome::Skip(format!("{} proxies WebSocket upgrades by default", cx.spec.controller));
    }
    if !cx.spec.websockets {
        return Outcome::Skip("`--no-websockets`".into());
    }
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if let Some(o) = cx.need(&[Kind::ListenerPolicy]) {
        return o;
    }
    let on = cx.snap.listener_policies.iter().any(|p| {
        p.namespace == gw.namespace
            && p.target_gateways.contains(&gw.name)
            && p.enabled_upgrades.iter().any(|u| u == "websocket")
    });
    if on {
        Outcome::Pass
    } else {
        found(vec![
            draft(
                cx.gw_ref(),
                format!("no kgateway listener policy enables WebSocket upgrades on {}", cx.gw_ref()),
            )
            .hint("Jupyter and VS Code workspaces connect, then fail on their first WebSocket")
            .fix(cx.script("gateway")),
        ])
    }
}

/// The (namespace, name, listener hostname) of every certificate the Gateway needs.
fn needed_certs(cx: &Cx<'_>) -> Vec<(String, String, String, String)> {
    match cx.gateway {
        Some(gw) => gw
            .listeners
            .iter()
            .flat_map(|l| {
                l.certificate_refs.iter().map(move |(ns, name)| {
                    (
                        ns.clone(),
                        name.clone(),
                        l.hostname.clone().unwrap_or_default(),
                        format!("listener `{}`", l.name),
                    )
                })
            })
            .collect(),
        None => manifests::listeners(cx.spec)
            .into_iter()
            .filter_map(|l| {
                Some((
                    cx.spec.gateway_namespace.clone(),
                    l.secret?,
                    l.hostname.unwrap_or_default(),
                    format!("listener `{}` (planned)", l.name),
                ))
            })
            .collect(),
    }
}

fn secret_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    found(
        needed_certs(cx)
            .into_iter()
            .filter(|(ns, name, _, _)| cx.snap.secret(ns, name).is_none())
            // The inference secret sitting in Knative's namespace has its own check.
            .filter(|(_, name, _, _)| {
                !(name == &cx.spec.inference_secret
                    && cx.snap.secret(&cx.spec.knative_namespace, name).is_some())
            })
            .map(|(ns, name, host, user)| {
                draft(
                    format!("Secret {ns}/{name}"),
                    format!("secret `{ns}/{name}` for {user} (`{host}`) does not exist"),
                )
                .severity(cx.todo())
                .fix(format!(
                    "kubectl create secret tls {} -n {} --cert FULLCHAIN.pem --key KEY.pem",
                    shell_quote(&name),
                    shell_quote(&ns)
                ))
            })
            .collect(),
    )
}

fn inference_secret(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.inference_enabled() || cx.spec.platform != Platform::Kubernetes {
        return Outcome::Skip("inference is not routed through this Gateway".into());
    }
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    let (gw_ns, kn_ns, name) =
        (&cx.spec.gateway_namespace, &cx.spec.knative_namespace, &cx.spec.inference_secret);
    if gw_ns == kn_ns || cx.snap.secret(gw_ns, name).is_some() || cx.snap.secret(kn_ns, name).is_none() {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            format!("Secret {kn_ns}/{name}"),
            format!(
                "the inference secret `{name}` exists only in `{kn_ns}`; the Gateway reads it from `{gw_ns}`"
            ),
        )
        .severity(cx.todo())
        .fix(cx.script("tls-secrets")),
    ])
}

/// Replacing a TLS secret in place from new PEM files.
fn replace_secret(s: &crate::snapshot::Secret) -> String {
    format!(
        "kubectl create secret tls {} -n {} --cert FULLCHAIN.pem --key KEY.pem --dry-run=client -o yaml | kubectl apply -f -",
        shell_quote(&s.name),
        shell_quote(&s.namespace)
    )
}

/// Parsed certificates the Gateway needs, with who needs them.
fn certs<'a>(cx: &'a Cx<'_>) -> Vec<(String, &'a crate::snapshot::Secret, String, String)> {
    needed_certs(cx)
        .into_iter()
        .filter_map(|(ns, name, host, user)| {
            cx.snap.secret(&ns, &name).map(|s| (format!("Secret {ns}/{name}"), s, host, user))
        })
        .collect()
}

fn cert_unreadable(cx: &Cx<'_>) -> Outcome {
    found(
        certs(cx)
            .into_iter()
            .filter_map(|(r, s, _, _)| {
                let e = s.certificate_error.as_ref()?;
                Some(draft(r, format!("`{}/{}`: {e}", s.namespace, s.name)).fix(replace_secret(s)))
            })
            .collect(),
    )
}

/// Runs `judge` over every parsed certificate the Gateway needs (secret, certificate, listener
/// hostname, who uses it); each message becomes a finding whose fix replaces the secret.
fn per_certificate(
    cx: &Cx<'_>,
    judge: impl Fn(&crate::snapshot::Secret, &crate::snapshot::Certificate, &str, &str) -> Option<String>,
) -> Outcome {
    found(
        certs(cx)
            .into_iter()
            .filter_map(|(r, s, host, user)| {
                let message = judge(s, s.certificate.as_ref()?, &host, &user)?;
                Some(draft(r, message).fix(replace_secret(s)))
            })
            .collect(),
    )
}

fn cert_expired(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        if c.not_after <= cx.now {
            Some(format!("certificate in `{}/{}` expired on {}", s.namespace, s.name, c.not_after_text))
        } else if c.not_before > cx.now {
            Some(format!("certificate in `{}/{}` is not valid yet", s.namespace, s.name))
        } else {
            None
        }
    })
}

fn cert_expiring(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        let left = c.not_after - cx.now;
        (left > 0 && left < 30 * 86_400).then(|| {
            format!(
                "certificate in `{}/{}` expires in {} days ({})",
                s.namespace,
                s.name,
                days(left),
                c.not_after_text
            )
        })
    })
}

fn cert_host(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, host, user| {
        if host.is_empty() || hostname::any_covers(&c.dns_names, host) {
            return None;
        }
        let apex_hint = match host.strip_prefix("*.") {
            Some(apex) if c.dns_names.iter().any(|n| n == apex) => {
                format!(" (it covers the apex `{apex}`, not the wildcard)")
            }
            None if c.dns_names.iter().any(|n| n == &format!("*.{host}")) => {
                format!(" (a wildcard `*.{host}` does not cover the apex `{host}`)")
            }
            _ => String::new(),
        };
        let names = if c.dns_names.is_empty() { "no DNS names".to_owned() } else { c.dns_names.join(", ") };
        Some(format!(
            "certificate in `{}/{}` for {user} does not cover `{host}`: it names {names}{apex_hint}",
            s.namespace, s.name
        ))
    })
}

fn cert_key(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        (c.key_matches == Some(false))
            .then(|| format!("the key in `{}/{}` does not belong to its certificate", s.namespace, s.name))
    })
}

fn cert_chain(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        if !c.chain_ordered {
            Some(format!(
                "the chain in `{}/{}` is out of order (each certificate must be followed by its issuer)",
                s.namespace, s.name
            ))
        } else if c.chain_length == 1 && !c.self_signed {
            Some(format!(
                "`{}/{}` holds only the leaf certificate, issued by `{}`; the intermediates are missing",
                s.namespace, s.name, c.issuer
            ))
        } else {
            None
        }
    })
}

/// Routes attached (by parentRef) to the Run:ai Gateway.
fn routes_on_gateway<'a>(cx: &'a Cx<'_>) -> Vec<&'a crate::snapshot::HttpRoute> {
    let (ns, name) = (&cx.spec.gateway_namespace, &cx.spec.gateway_name);
    cx.snap
        .http_routes
        .iter()
        .filter(|r| r.parent_refs.iter().any(|p| &p.namespace == ns && &p.name == name))
        .collect()
}

fn parent_condition<'a>(
    r: &'a crate::snapshot::HttpRoute,
    cx: &Cx<'_>,
    t: &str,
) -> Option<&'a crate::snapshot::Condition> {
    r.parents
        .iter()
        .filter(|p| p.parent.namespace == cx.spec.gateway_namespace && p.parent.name == cx.spec.gateway_name)
        .find_map(|p| condition(&p.conditions, t))
}

fn routes_not_accepted(cx: &Cx<'_>) -> Outcome {
    if cx.gateway.is_none() {
        return Outcome::Skip("no Gateway".into());
    }
    if let Some(o) = cx.need(&[Kind::HttpRoute]) {
        return o;
    }
    let bad: Vec<_> = routes_on_gateway(cx)
        .into_iter()
        .filter(|r| parent_condition(r, cx, "Accepted").is_some_and(|c| c.status == "False"))
        .collect();
    if bad.is_empty() {
        return Outcome::Pass;
    }
    let first: Vec<String> = bad
        .iter()
        .take(3)
        .map(|r| {
            let c = parent_condition(r, cx, "Accepted")
                .map(|c| format!("{}: {}", c.reason, c.message))
                .unwrap_or_default();
            format!("{}/{} ({c})", r.namespace, r.name)
        })
        .collect();
    found(vec![
        draft(
            cx.gw_ref(),
            format!(
                "{} of {} routes on {} are not accepted: {}{}",
                bad.len(),
                routes_on_gateway(cx).len(),
                cx.gw_ref(),
                first.join("; "),
                if bad.len() > 3 { "; …" } else { "" }
            ),
        )
        .fix("kubectl get httproute -A -o wide"),
    ])
}

fn route_refs(cx: &Cx<'_>) -> Outcome {
    if cx.gateway.is_none() {
        return Outcome::Skip("no Gateway".into());
    }
    found(
        routes_on_gateway(cx)
            .into_iter()
            .filter_map(|r| {
                let c = parent_condition(r, cx, "ResolvedRefs")?;
                (c.status == "False").then(|| {
                    draft(
                        format!("HTTPRoute {}/{}", r.namespace, r.name),
                        format!(
                            "`{}/{}` cannot resolve its backends: {} ({})",
                            r.namespace, r.name, c.reason, c.message
                        ),
                    )
                })
            })
            .collect(),
    )
}

fn knative_route_missing(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.inference_enabled() {
        return Outcome::Skip("inference is off".into());
    }
    if let Some(o) = cx.need(&[Kind::HttpRoute]) {
        return o;
    }
    if cx
        .snap
        .http_routes
        .iter()
        .any(|r| r.name == manifests::KNATIVE_ROUTE && r.namespace == cx.spec.knative_namespace)
    {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            format!("HTTPRoute {}/{}", cx.spec.knative_namespace, manifests::KNATIVE_ROUTE),
            format!("HTTPRoute `{}/{}` does not exist", cx.spec.knative_namespace, manifests::KNATIVE_ROUTE),
        )
        .severity(cx.todo())
        .fix(cx.script("gateway")),
    ])
}

fn backend_endpoints(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::EndpointSlice]) {
        return o;
    }
    let mut drafts = Vec::new();
    for r in cx.snap.http_routes.iter().filter(|r| r.managed_by_tool || r.name == manifests::KNATIVE_ROUTE) {
        for (ns, svc, _) in &r.backends {
            let ready = cx
                .snap
                .endpoints
                .iter()
                .find(|e| &e.namespace == ns && &e.service == svc)
                .map_or(0, |e| e.ready);
            if ready == 0 {
                drafts.push(
                    draft(
                        format!("Service {ns}/{svc}"),
                        format!(
                            "backend `{ns}/{svc}` of route `{}/{}` has no ready endpoints",
                            r.namespace, r.name
                        ),
                    )
                    .fix(format!(
                        "kubectl get endpointslices -n {} -l kubernetes.io/service-name={}",
                        shell_quote(ns),
                        shell_quote(svc)
                    )),
                );
            }
        }
    }
    found(drafts)
}

fn knative<'a>(cx: &Cx<'a>) -> Option<&'a crate::snapshot::KnativeServing> {
    cx.snap.knative_servings.iter().find(|k| k.namespace == cx.spec.knative_namespace)
}

fn knative_missing(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.inference_enabled() {
        return Outcome::Skip("inference is off".into());
    }
    if cx.snap.source(Kind::KnativeServing) == Source::NotInstalled {
        return found(vec![draft(None, "the KnativeServing CRD is not installed (no Knative operator)").fix(
            "helm install knative-operator --create-namespace --namespace knative-operator knative-operator/knative-operator",
        )]);
    }
    if let Some(o) = cx.need(&[Kind::KnativeServing]) {
        return o;
    }
    if knative(cx).is_some() {
        Outcome::Pass
    } else {
        found(vec![draft(None, format!("no KnativeServing in namespace `{}`", cx.spec.knative_namespace))])
    }
}

fn knative_not_ready(cx: &Cx<'_>) -> Outcome {
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    if is_true(&k.conditions, "Ready") {
        return Outcome::Pass;
    }
    let why = condition(&k.conditions, "Ready")
        .map_or_else(|| "no Ready condition".into(), |c| format!("{}: {}", c.reason, c.message));
    found(vec![
        draft(
            format!("KnativeServing {}/{}", k.namespace, k.name),
            format!("Knative Serving is not ready: {why}"),
        )
        .fix(format!(
            "kubectl describe knativeserving {} -n {}",
            shell_quote(&k.name),
            shell_quote(&k.namespace)
        )),
    ])
}

fn knative_version(cx: &Cx<'_>) -> Outcome {
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    let Some(v) = &k.version else { return Outcome::Skip("Knative reports no version".into()) };
    let (lo, hi) = crate::plan::KNATIVE_SUPPORTED;
    let ok = version_below(v, 1, u64::from(lo)) == Some(false)
        && version_below(v, 1, u64::from(hi) + 1) == Some(true);
    if ok {
        Outcome::Pass
    } else {
        found(vec![draft(
            format!("KnativeServing {}/{}", k.namespace, k.name),
            format!("Knative Serving {v} is outside the supported 1.{lo}–1.{hi}"),
        )])
    }
}

fn knative_domain(cx: &Cx<'_>) -> Outcome {
    let Some(domain) = &cx.spec.inference_domain else { return Outcome::Skip("inference is off".into()) };
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    if k.domains.iter().any(|d| d == domain) {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            format!("KnativeServing {}/{}", k.namespace, k.name),
            format!(
                "Knative's domain is {}, not the inference domain `{domain}`",
                if k.domains.is_empty() {
                    "unset".to_owned()
                } else {
                    k.domains.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
                }
            ),
        )
        .fix(cx.script("gateway")),
    ])
}

fn knative_network(cx: &Cx<'_>) -> Outcome {
    if cx.spec.platform != Platform::Kubernetes || !cx.spec.inference_enabled() {
        return Outcome::Skip("OpenShift Serverless manages its own ingress".into());
    }
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    let mut problems = Vec::new();
    if k.ingress_class.as_deref() != Some(manifests::KOURIER_INGRESS_CLASS) {
        problems.push(format!(
            "ingress class is `{}`, not Kourier",
            k.ingress_class.as_deref().unwrap_or("unset")
        ));
    }
    if k.kourier_enabled != Some(true) {
        problems.push("Kourier is not enabled (`spec.ingress.kourier.enabled`)".to_owned());
    }
    if k.external_scheme.as_deref() != Some("https") {
        problems.push(format!(
            "external scheme is `{}`, not https",
            k.external_scheme.as_deref().unwrap_or("http (default)")
        ));
    }
    if let Some(t) = &k.domain_template
        && template_labels(t) > 1
    {
        problems.push(format!("domain template `{t}` makes hosts more than one label below the domain"));
    }
    found(
        problems
            .into_iter()
            .map(|p| draft(format!("KnativeServing {}/{}", k.namespace, k.name), p).fix(cx.script("gateway")))
            .collect(),
    )
}

/// How many dots a Knative domain template puts in a hostname, template actions (`{{.Name}}`)
/// counted as one word each: `{{.Name}}-{{.Namespace}}.{{.Domain}}` has one.
fn template_labels(template: &str) -> usize {
    let mut plain = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        plain.push_str(&rest[..start]);
        plain.push('x');
        rest = rest[start..].find("}}").map_or("", |end| &rest[start + end + 2..]);
    }
    plain.push_str(rest);
    plain.matches('.').count()
}

fn subdomains(cx: &Cx<'_>) -> Outcome {
    let Some(rel) = cx.cluster else { return Outcome::Skip("no runai-cluster release".into()) };
    if !cx.gateway_api_on() {
        return Outcome::Skip("Run:ai does not use the Gateway yet".into());
    }
    let on = rel.settings.subdomain_support;
    match (cx.spec.routing_mode, on) {
        (RoutingMode::Path, Some(true) | None) => found(vec![draft(
            format!("Helm release {}/{}", rel.namespace, rel.name),
            "path mode, but host-based routing is still on (`clusterConfig.global.subdomainSupport` is not false)",
        )
        .fix(cx.script("introduce"))]),
        (RoutingMode::Host, Some(false)) => found(vec![draft(
            format!("Helm release {}/{}", rel.namespace, rel.name),
            "host mode, but host-based routing is off (`clusterConfig.global.subdomainSupport=false`): workloads get paths, not subdomains",
        )
        .severity(Severity::Warning)
        .fix(cx.script("introduce"))]),
        _ => Outcome::Pass,
    }
}

fn runai_gateway(cx: &Cx<'_>) -> Outcome {
    let want = (cx.spec.gateway_namespace.clone(), cx.spec.gateway_name.clone());
    let mut drafts = Vec::new();
    for rel in [cx.cluster, cx.backend].into_iter().flatten() {
        if rel.settings.gateway_api_enabled != Some(true) {
            continue;
        }
        match &rel.settings.gateway {
            Some(g) if *g == want => {
                if cx.snap.was_read(Kind::Gateway) && cx.gateway.is_none() {
                    drafts.push(
                        draft(
                            format!("Helm release {}/{}", rel.namespace, rel.name),
                            format!("`{}` names Gateway `{}/{}`, which does not exist", rel.name, g.0, g.1),
                        )
                        .fix(cx.script("gateway")),
                    );
                }
            }
            Some(g) => drafts.push(
                draft(
                    format!("Helm release {}/{}", rel.namespace, rel.name),
                    format!("`{}` names Gateway `{}/{}`, not `{}/{}`", rel.name, g.0, g.1, want.0, want.1),
                )
                .fix(cx.script("introduce")),
            ),
            None => drafts.push(
                draft(
                    format!("Helm release {}/{}", rel.namespace, rel.name),
                    format!("`{}` has the Gateway API on but names no Gateway", rel.name),
                )
                .fix(cx.script("introduce")),
            ),
        }
    }
    found(drafts)
}

fn cp_cluster_disagree(cx: &Cx<'_>) -> Outcome {
    let (Some(c), Some(b)) = (cx.cluster, cx.backend) else {
        // A control plane read from another context that could not be read: say why.
        if cx.backend.is_none()
            && cx.spec.control_plane == ControlPlaneLocation::Remote
            && let Some(o) = cx.need(&[Kind::ControlPlaneRelease])
        {
            return o;
        }
        return Outcome::Skip(match cx.spec.control_plane {
            ControlPlaneLocation::Saas => "the control plane is NVIDIA's (SaaS)".into(),
            _ => "one of the Run:ai releases was not found".into(),
        });
    };
    let on = |s: &RunaiSettings| s.gateway_api_enabled.unwrap_or(false);
    let ingress = |s: &RunaiSettings| s.ingress_enabled.unwrap_or(true);
    let mut drafts = Vec::new();
    if on(&c.settings) != on(&b.settings) {
        drafts.push(
            draft(
                None,
                format!(
                    "the Gateway API is {} on the cluster but {} on the control plane",
                    if on(&c.settings) { "on" } else { "off" },
                    if on(&b.settings) { "on" } else { "off" }
                ),
            )
            .fix(cx.script("introduce")),
        );
    }
    if ingress(&c.settings) != ingress(&b.settings) {
        drafts.push(
            draft(
                None,
                format!(
                    "Ingress is {} on the cluster but {} on the control plane",
                    if ingress(&c.settings) { "on" } else { "off" },
                    if ingress(&b.settings) { "on" } else { "off" }
                ),
            )
            .fix(cx.script("disable-ingress")),
        );
    }
    found(drafts)
}

fn nothing_serves(cx: &Cx<'_>) -> Outcome {
    if cx.ingress_off() && !cx.gateway_api_on() {
        found(vec![
            draft(None, "Ingress is off and the Gateway API is off: nothing routes to Run:ai")
                .fix(cx.script("rollback-runai")),
        ])
    } else {
        Outcome::Pass
    }
}

fn runaiconfig_drift(cx: &Cx<'_>) -> Outcome {
    let (Some(cfg), Some(rel)) = (&cx.snap.runai_config, cx.cluster) else {
        return Outcome::Skip("no runaiconfig or no runai-cluster release".into());
    };
    let h = &rel.settings;
    let mut diffs = Vec::new();
    if h.gateway_api_enabled.is_some() && cfg.gateway_api_enabled != h.gateway_api_enabled {
        diffs.push(format!(
            "gatewayAPI.enabled: runaiconfig {:?}, Helm {:?}",
            cfg.gateway_api_enabled, h.gateway_api_enabled
        ));
    }
    if h.ingress_enabled.is_some() && cfg.ingress_enabled != h.ingress_enabled {
        diffs.push(format!(
            "ingress.enabled: runaiconfig {:?}, Helm {:?}",
            cfg.ingress_enabled, h.ingress_enabled
        ));
    }
    if h.gateway.is_some() && cfg.gateway != h.gateway {
        diffs.push("gatewayAPI name/namespace differ".into());
    }
    found(
        diffs
            .into_iter()
            .map(|d| draft(format!("RunaiConfig {}/runai", cx.spec.cluster.namespace), d))
            .collect(),
    )
}

fn ingress_remain(cx: &Cx<'_>) -> Outcome {
    if !cx.ingress_off() {
        return Outcome::Skip("Ingress is still on".into());
    }
    found(
        cx.snap
            .ingresses
            .iter()
            .filter(|i| !i.managed)
            .map(|i| {
                draft(
                    format!("Ingress {}/{}", i.namespace, i.name),
                    format!("Ingress `{}/{}` ({}) still exists", i.namespace, i.name, i.hosts.join(", ")),
                )
                .fix(format!(
                    "kubectl delete ingress {} -n {}",
                    shell_quote(&i.name),
                    shell_quote(&i.namespace)
                ))
            })
            .collect(),
    )
}

fn dns_known(cx: &Cx<'_>) -> Option<Outcome> {
    cx.snap.dns.is_empty().then(|| Outcome::Skip("DNS was not resolved (offline snapshot)".into()))
}

fn dns_unresolved(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    found(
        cx.snap
            .dns
            .iter()
            .filter(|a| a.addresses.is_empty())
            .map(|a| {
                draft(
                    None,
                    format!(
                        "`{}` ({}) does not resolve: {}",
                        a.name,
                        a.role,
                        a.error.as_deref().unwrap_or("no addresses")
                    ),
                )
            })
            .collect(),
    )
}

fn dns_elsewhere(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    let (gw, ing) = (cx.gateway_addresses(), &cx.ingress_addresses);
    if gw.is_empty() && ing.is_empty() {
        return Outcome::Skip("neither the Gateway's nor the Ingress's address is known".into());
    }
    found(
        cx.snap
            .dns
            .iter()
            .filter(|a| {
                !a.addresses.is_empty() && !a.addresses.iter().any(|x| gw.contains(x) || ing.contains(x))
            })
            .map(|a| {
                draft(
                    None,
                    format!(
                        "`{}` ({}) resolves to {}, which is neither the Gateway ({}) nor the Ingress ({})",
                        a.name,
                        a.role,
                        a.addresses.join(", "),
                        if gw.is_empty() { "unknown".into() } else { gw.join(", ") },
                        if ing.is_empty() { "unknown".into() } else { ing.join(", ") }
                    ),
                )
            })
            .collect(),
    )
}

fn dns_on_ingress(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    if !cx.ingress_off() {
        return Outcome::Skip("Ingress is still on".into());
    }
    let ing = &cx.ingress_addresses;
    found(
        cx.snap
            .dns
            .iter()
            .filter(|a| a.addresses.iter().any(|x| ing.contains(x)))
            .map(|a| {
                draft(
                    None,
                    format!(
                        "`{}` ({}) still resolves to the Ingress ({}), which is turned off",
                        a.name,
                        a.role,
                        a.addresses.join(", ")
                    ),
                )
                .fix(cx.script("switch-dns"))
            })
            .collect(),
    )
}

fn dns_partly(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    let gw = cx.gateway_addresses();
    let on_gw: Vec<&str> = cx
        .snap
        .dns
        .iter()
        .filter(|a| a.addresses.iter().any(|x| gw.contains(x)))
        .map(|a| a.name.as_str())
        .collect();
    let on_ing: Vec<&str> = cx
        .snap
        .dns
        .iter()
        .filter(|a| a.addresses.iter().any(|x| cx.ingress_addresses.contains(x)))
        .map(|a| a.name.as_str())
        .collect();
    if on_gw.is_empty() || on_ing.is_empty() {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            None,
            format!("{} point at the Gateway, {} at the Ingress", on_gw.join(", "), on_ing.join(", ")),
        )
        .fix(cx.script("switch-dns")),
    ])
}

fn probe_failed(cx: &Cx<'_>) -> Outcome {
    if cx.snap.probes.is_empty() {
        return Outcome::Skip("no probes (run with `--probe`)".into());
    }
    found(
        cx.snap
            .probes
            .iter()
            .filter(|p| p.error.is_some() || p.status.is_some_and(|s| s >= 500))
            .map(|p| {
                let what =
                    p.error.clone().unwrap_or_else(|| format!("HTTP {}", p.status.unwrap_or_default()));
                draft(None, format!("https://{}/ through {}: {what}", p.host, p.address))
                    .fix(format!("curl -v --resolve {}:443:{} https://{}/", p.host, p.address, p.host))
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Phase, next step, report

fn phase(cx: &Cx<'_>, dns_on_gateway: bool) -> Phase {
    let (c, b) = cx.settings();
    let disagree = matches!((c, b), (Some(c), Some(b)) if c.gateway_api_enabled.unwrap_or(false) != b.gateway_api_enabled.unwrap_or(false)
        || c.ingress_enabled.unwrap_or(true) != b.ingress_enabled.unwrap_or(true));
    let gw_on = cx.gateway_api_on();
    let explicitly_off = c.and_then(|s| s.gateway_api_enabled) == Some(false)
        || b.and_then(|s| s.gateway_api_enabled) == Some(false);
    if disagree || (cx.ingress_off() && !gw_on) {
        Phase::Inconsistent
    } else if gw_on && cx.ingress_off() {
        Phase::IngressDisabled
    } else if gw_on && dns_on_gateway {
        Phase::DnsSwitched
    } else if gw_on {
        Phase::RunaiIntroduced
    } else if explicitly_off {
        Phase::RolledBack
    } else if cx.gateway.is_some() {
        Phase::GatewayPrepared
    } else {
        Phase::IngressOnly
    }
}

fn next_step(cx: &Cx<'_>, phase: Phase, findings: &[Finding]) -> NextStep {
    if let Some(f) = findings.iter().find(|f| f.severity == Severity::Error) {
        return NextStep { title: format!("fix `{}`: {}", f.id, f.message), command: f.fix.clone() };
    }
    let (title, steps) = match phase {
        // `apply` prepares the Gateway once the CRDs and a controller exist; installing those is
        // the admin's choice, which the generated script spells out.
        Phase::IngressOnly
            if findings
                .iter()
                .any(|f| f.id == "gateway-api-crds-missing" || f.id == "gatewayclass-missing") =>
        {
            ("install the Gateway API CRDs and a controller", Some("gateway-api controller"))
        }
        Phase::IngressOnly => ("prepare the Gateway next to the Ingress", Some("gateway")),
        Phase::GatewayPrepared => {
            ("introduce the Gateway to Run:ai (Ingress keeps serving)", Some("introduce"))
        }
        Phase::RunaiIntroduced => ("verify, then point DNS at the Gateway", Some("verify switch-dns")),
        Phase::DnsSwitched => ("turn Ingress off (cluster, then control plane)", Some("disable-ingress")),
        Phase::IngressDisabled => ("nothing: the migration is complete", None),
        Phase::RolledBack => ("nothing: Ingress serves; migrate again when ready", None),
        Phase::Inconsistent => ("make the control plane and the cluster agree", Some("introduce")),
    };
    NextStep { title: title.into(), command: steps.map(|s| cx.script(s)) }
}

pub(super) fn diagnose(spec: &Spec, snap: &Snapshot, now: i64, command: &CommandLine) -> Report {
    let gateway = snap.gateway(&spec.gateway_namespace, &spec.gateway_name);
    let cluster = snap.release(&spec.cluster.namespace, &spec.cluster.release);
    let backend = match spec.control_plane {
        ControlPlaneLocation::Saas => None,
        _ => snap.release(&spec.backend.namespace, &spec.backend.release),
    };
    let mut ingress_addresses: Vec<String> = snap
        .services
        .iter()
        .filter(|s| {
            s.type_ == "LoadBalancer"
                && !gateway.is_some_and(|g| g.namespace == s.namespace && g.name == s.name)
        })
        .filter(|s| {
            s.namespace.contains("ingress")
                || s.namespace.contains("haproxy")
                || s.name.contains("ingress")
                || s.name.contains("haproxy")
        })
        .flat_map(|s| s.load_balancer.iter().cloned())
        .collect();
    ingress_addresses.extend(snap.ingresses.iter().flat_map(|i| i.addresses.iter().cloned()));
    ingress_addresses.sort();
    ingress_addresses.dedup();
    let mut cx =
        Cx { spec, snap, now, gateway, cluster, backend, started: false, ingress_addresses, command };
    cx.started = cx.gateway.is_some() || cx.gateway_api_on();

    let mut findings = Vec::new();
    let mut passed = Vec::new();
    let mut skipped = Vec::new();
    for m in CATALOG {
        match check_fn(m.id)(&cx) {
            Outcome::Pass => passed.push(m.id),
            Outcome::Skip(reason) => skipped.push(Skipped { id: m.id, reason }),
            Outcome::Found(drafts) => findings.extend(drafts.into_iter().map(|d| Finding {
                id: m.id,
                category: m.category,
                severity: d.severity.unwrap_or(m.severity),
                resource: d.resource,
                message: d.message,
                hint: d.hint.unwrap_or_else(|| m.why.to_owned()),
                fix: d.fix,
                doc: m.doc_anchor(),
            })),
        }
    }
    let gw_addrs = cx.gateway_addresses();
    let cluster_answers: Vec<_> = snap.dns.iter().filter(|a| !a.addresses.is_empty()).collect();
    let dns_on_gateway = !gw_addrs.is_empty()
        && !cluster_answers.is_empty()
        && cluster_answers.iter().all(|a| a.addresses.iter().all(|x| gw_addrs.contains(x)));
    let phase = phase(&cx, dns_on_gateway);
    let next_step = next_step(&cx, phase, &findings);
    Report {
        schema: REPORT_SCHEMA,
        tool_version: crate::VERSION,
        context: snap.context.clone(),
        spec: spec.clone(),
        phase,
        findings,
        passed,
        skipped,
        next_step,
    }
}
