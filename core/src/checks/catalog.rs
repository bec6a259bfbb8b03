//! The catalog: every check's stable ID, category, default severity and documentation.
//!
//! IDs are kebab-case and never reused. `docs/checks.md` is generated from this table
//! (`cargo xtask gen-docs`, and a test fails when the file is out of date).

use serde::Serialize;

/// What a check is about; the report groups findings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// CRDs, permissions, versions.
    Prerequisites,
    /// The GatewayClass and its controller.
    Controller,
    /// The Gateway and its listeners.
    Gateway,
    /// Certificates and secrets.
    Tls,
    /// HTTPRoutes and their backends.
    Routes,
    /// Knative Serving and Kourier.
    Knative,
    /// The Run:ai Helm settings.
    RunaiSettings,
    /// DNS records.
    Dns,
    /// HTTPS through the Gateway.
    Connectivity,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 9] = [
        Category::Prerequisites,
        Category::Controller,
        Category::Gateway,
        Category::Tls,
        Category::Routes,
        Category::Knative,
        Category::RunaiSettings,
        Category::Dns,
        Category::Connectivity,
    ];

    /// Heading text.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Category::Prerequisites => "Prerequisites",
            Category::Controller => "Gateway controller",
            Category::Gateway => "Gateway",
            Category::Tls => "TLS",
            Category::Routes => "Routes",
            Category::Knative => "Knative",
            Category::RunaiSettings => "Run:ai settings",
            Category::Dns => "DNS",
            Category::Connectivity => "Connectivity",
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; a step not taken yet.
    Info,
    /// Works now, but will hurt (expiring certificate, open listener).
    Warning,
    /// Broken, or will break traffic when the migration continues.
    Error,
}

impl Severity {
    /// Lowercase name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckMeta {
    /// Stable ID.
    pub id: &'static str,
    /// Category.
    pub category: Category,
    /// Severity when it fires (some checks lower it to `info` before the migration starts).
    pub severity: Severity,
    /// What it checks, one line.
    pub title: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it, in general (findings carry the exact command).
    pub fix: &'static str,
}

impl CheckMeta {
    /// Anchor in `docs/checks.md`.
    #[must_use]
    pub fn doc_anchor(&self) -> String {
        format!("docs/checks.md#{}", self.id)
    }
}

macro_rules! checks {
    ($($id:literal, $cat:ident, $sev:ident, $title:literal, $why:literal, $fix:literal;)+) => {
        /// Every check, in report order.
        pub const CATALOG: &[CheckMeta] = &[
            $(CheckMeta { id: $id, category: Category::$cat, severity: Severity::$sev, title: $title, why: $why, fix: $fix },)+
        ];
    };
}

checks! {
    "read-forbidden", Prerequisites, Warning,
        "Every kind the checks need could be read",
        "A kind the caller may not list hides its problems; the checks that need it are skipped, not passed.",
        "Grant `list` on the resource (see `kubectl auth can-i list RESOURCE -A`), or run as a user who has it.";
    "read-failed", Prerequisites, Error,
        "The API server answered every read",
        "A timeout or server error leaves part of the cluster unknown.",
        "Check the API server's health and `--request-timeout`, then run again.";
    "gateway-api-crds-missing", Prerequisites, Error,
        "The Gateway API CRDs are installed",
        "Without GatewayClass, Gateway and HTTPRoute there is nothing to route with.",
        "Install the standard channel: `kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.0/standard-install.yaml`.";
    "gateway-api-crds-outdated", Prerequisites, Warning,
        "The Gateway API CRDs are v1.4.0 or later",
        "Run:ai's instructions are written against v1.4.0; older bundles lack fields and validation the plan relies on.",
        "Upgrade the CRDs with the v1.4.0 (or newer) standard-install.yaml, server-side.";
    "runai-version-unsupported", Prerequisites, Error,
        "Run:ai is 2.25 or later",
        "Gateway API support arrived in Run:ai 2.25; older charts ignore the `gatewayAPI` values.",
        "Upgrade Run:ai to 2.25 or later before migrating.";
    "runai-release-missing", Prerequisites, Warning,
        "The Run:ai Helm releases are found",
        "The Run:ai settings are read from the releases; without them the migration state is unknown.",
        "Pass the release names and namespaces (`--cluster-release`, `--backend-release`, …) if they differ from the defaults.";
    "gatewayclass-missing", Controller, Error,
        "The GatewayClass exists",
        "A Gateway whose class does not exist is never programmed.",
        "Install the Gateway controller, or pass `--gateway-class` naming the class it created.";
    "gatewayclass-not-accepted", Controller, Error,
        "The GatewayClass is accepted by its controller",
        "A class no controller accepts leaves every Gateway of it without a data plane.",
        "Check that the controller runs: `kubectl get gatewayclass NAME -o yaml` shows the reason.";
    "gatewayclass-controller-mismatch", Controller, Warning,
        "The GatewayClass belongs to the expected controller",
        "Controller-specific extras (such as kgateway's WebSocket policy) only work with their own controller.",
        "Pass `--controller` matching the class's `controllerName`.";
    "gateway-missing", Gateway, Error,
        "The Gateway Run:ai uses exists",
        "Run:ai attaches its routes to this Gateway; if it is missing nothing is served through it.",
        "Apply it: `kubectl runai-gateway render | kubectl apply --server-side --field-manager=runai-gateway -f -`.";
    "gateway-not-programmed", Gateway, Error,
        "The Gateway is Accepted and Programmed",
        "Only a programmed Gateway has a data plane serving its listeners.",
        "Read the conditions' reason: `kubectl describe gateway -n NAMESPACE NAME`.";
    "gateway-no-address", Gateway, Error,
        "The Gateway has an address",
        "DNS must point at the Gateway's address; without one there is nothing to switch to.",
        "Check the controller's LoadBalancer Service (cloud load balancer quota, MetalLB pool).";
    "listener-missing", Gateway, Error,
        "Every listener the routing mode needs is on the Gateway",
        "A missing listener leaves its hostnames unserved once DNS points at the Gateway.",
        "Re-apply the rendered Gateway, which has every listener.";
    "listener-refs-unresolved", Gateway, Error,
        "Every listener resolves its certificate references",
        "A listener that cannot load its certificate does not serve TLS for its hostname.",
        "Create the secret in the Gateway's namespace, or fix the reference.";
    "inference-hostname-mismatch", Gateway, Error,
        "The inference listener, the Knative route and Knative's domain agree",
        "The Run:ai page's listener uses `*.runai-inference.<cluster domain>` while its route and Knative use the sibling domain; the two never intersect and inference is refused.",
        "Use one inference domain everywhere (`--inference-domain`) and re-apply.";
    "allowed-routes-refused", Gateway, Error,
        "Each listener admits the namespaces whose routes must attach",
        "The Gateway API default admits only the Gateway's own namespace, which refuses the Knative route and Run:ai's routes (`NotAllowedByListeners`).",
        "Re-apply the rendered Gateway, whose listeners admit exactly the namespaces that need them.";
    "allowed-routes-open", Gateway, Warning,
        "The control-plane listener does not admit every namespace",
        "With `from: All`, anyone who may create an HTTPRoute in any namespace can claim the control-plane hostname.",
        "Restrict it: `--control-plane-routes ns:runai,runai-backend`.";
    "http-redirect-missing", Gateway, Warning,
        "Plain http:// is redirected to https://",
        "HAProxy redirected http:// links; without a port-80 listener they fail after the DNS switch.",
        "Re-apply the rendered Gateway and redirect route (on by default).";
    "websockets-disabled", Gateway, Warning,
        "WebSocket upgrades are enabled on kgateway",
        "kgateway turns WebSocket upgrades off by default; Jupyter and VS Code workspaces need them.",
        "Apply the rendered `HTTPListenerPolicy` (on by default for kgateway).";
    "secret-missing", Tls, Error,
        "Every referenced TLS secret exists",
        "A listener without its certificate does not serve its hostnames.",
        "Create it: `kubectl create secret tls NAME -n NAMESPACE --cert FULLCHAIN --key KEY`.";
    "inference-secret-not-copied", Tls, Error,
        "The inference secret is in the Gateway's namespace",
        "Ingress mode keeps it in `knative-serving`, but a Gateway reads certificates from its own namespace only.",
        "Copy it next to the Gateway (the `tls-secrets` step of `render -o helm` does it), keeping the original for rollback.";
    "cert-unreadable", Tls, Error,
        "Every certificate can be parsed",
        "A secret whose `tls.crt` is not a PEM certificate fails the listener.",
        "Re-create the secret from the PEM files.";
    "cert-expired", Tls, Error,
        "No certificate has expired (or is not valid yet)",
        "Clients refuse an expired certificate.",
        "Renew it and replace the secret.";
    "cert-expiring", Tls, Warning,
        "No certificate expires within 30 days",
        "An expiring certificate is an outage on a date you can see coming.",
        "Renew it before the date shown.";
    "cert-host-mismatch", Tls, Error,
        "Each certificate covers its listener's hostname",
        "A wildcard certificate does not cover the apex, nor a name two levels down; clients refuse the mismatch.",
        "Issue a certificate whose SANs include the hostname shown.";
    "cert-key-mismatch", Tls, Error,
        "Each secret's key belongs to its certificate",
        "A key that does not match the certificate makes every TLS handshake fail.",
        "Re-create the secret from the matching certificate and key.";
    "cert-chain-incomplete", Tls, Warning,
        "Each certificate comes with its intermediates, in order",
        "Clients without the intermediate cannot build a path to a trusted root.",
        "Put the full chain (leaf first, then intermediates) in `tls.crt`.";
    "routes-not-accepted", Routes, Error,
        "Every route on the Gateway is accepted",
        "A route the Gateway refuses serves nothing; the reason says why.",
        "Read the reasons shown; `kubectl get httproute -A` lists the routes.";
    "route-refs-unresolved", Routes, Error,
        "Every route resolves its backends",
        "A route whose backend cannot be resolved answers with errors.",
        "Fix the backend reference (Service name, port, ReferenceGrant).";
    "knative-route-missing", Routes, Error,
        "The Knative route exists",
        "Without it, inference hosts reach the Gateway but not Kourier.",
        "Re-apply the rendered bundle, which has the route.";
    "backend-no-endpoints", Routes, Error,
        "The backends of the tool's routes have ready endpoints",
        "Conditions can be green while the Service has no ready endpoints, and every request then fails.",
        "Check the backend's pods: `kubectl get endpointslices -n NAMESPACE -l kubernetes.io/service-name=NAME`.";
    "knative-missing", Knative, Error,
        "Knative Serving is installed",
        "Run:ai inference runs on Knative Serving behind Kourier.",
        "Install the Knative operator (1.19 or later) and the KnativeServing object.";
    "knative-not-ready", Knative, Error,
        "Knative Serving is Ready",
        "A Knative Serving that is not ready does not serve inference.",
        "Read its conditions: `kubectl describe knativeserving -n knative-serving`.";
    "knative-version-unsupported", Knative, Warning,
        "Knative Serving is 1.19–1.21",
        "Run:ai supports Knative 1.19 to 1.21; the documented operator 1.18.2 installs 1.18.",
        "Use a Knative operator of 1.19 or later, or set `spec.version`.";
    "knative-domain-mismatch", Knative, Error,
        "Knative's domain is the inference domain",
        "Knative builds inference hostnames from its domain; the route and listener only accept the inference domain.",
        "Apply the rendered KnativeServing fields.";
    "knative-network-mismatch", Knative, Error,
        "Knative uses Kourier with https URLs and one-label hostnames",
        "Another ingress class bypasses Kourier; a domain template with dots creates hosts a one-level wildcard certificate does not cover.",
        "Apply the rendered KnativeServing fields.";
    "path-mode-subdomains-on", RunaiSettings, Error,
        "Host-based routing is off in path mode (and on in host mode)",
        "In path mode Run:ai must not create subdomain routes (`clusterConfig.global.subdomainSupport=false`).",
        "Run the `introduce` step, which sets `subdomainSupport` to match the routing mode.";
    "runai-gateway-mismatch", RunaiSettings, Error,
        "Run:ai names the Gateway that exists",
        "Run:ai attaches its routes to the Gateway its values name; another name leaves them unattached.",
        "Run the `introduce` step with the right `--gateway-name` and `--gateway-namespace`.";
    "runai-cp-cluster-disagree", RunaiSettings, Error,
        "The control plane and the cluster agree",
        "Half a migration (Gateway on one side, Ingress off on the other) leaves part of Run:ai unreachable.",
        "Run the same step for the other release.";
    "nothing-serves", RunaiSettings, Error,
        "Run:ai is served by Ingress or the Gateway",
        "With Ingress off and the Gateway API off, nothing routes to Run:ai.",
        "Re-enable one of them: `kubectl runai-gateway rollback`, or run the `introduce` step.";
    "runaiconfig-drift", RunaiSettings, Warning,
        "runaiconfig agrees with the Helm values",
        "The next Helm upgrade overwrites runaiconfig edits; the cluster may behave differently after it.",
        "Manage these settings through Helm only.";
    "ingress-objects-remain", RunaiSettings, Info,
        "Ingress objects created by hand are cleaned up",
        "After Ingress is off, the Ingresses created by hand still route through the old controller.",
        "Delete them when no longer needed (keep them until rollback is off the table).";
    "dns-unresolved", Dns, Warning,
        "The cluster and inference names resolve",
        "A name that does not resolve serves nobody.",
        "Create the records shown by `render -o plan`.";
    "dns-points-elsewhere", Dns, Error,
        "DNS points at the Gateway or the Ingress",
        "A record pointing at neither sends users to a stale or foreign address.",
        "Point the record at the Gateway's address (or back at the Ingress's).";
    "dns-still-on-ingress", Dns, Error,
        "DNS does not point at a disabled Ingress",
        "With Ingress turned off, names still resolving to it fail.",
        "Point the records at the Gateway's address, or re-enable Ingress.";
    "dns-partly-switched", Dns, Warning,
        "All names point at the same place",
        "Some names on the Gateway and others on the Ingress is a half-done switch.",
        "Finish the DNS switch, or move the switched names back.";
    "probe-failed", Connectivity, Error,
        "Each hostname answers HTTPS through the Gateway",
        "Conditions can be green while the handshake or the request fails.",
        "Read the TLS or HTTP error shown; it names the failing piece.";
}

/// Looks up a check by ID.
#[must_use]
pub fn meta(id: &str) -> Option<&'static CheckMeta> {
    CATALOG.iter().find(|c| c.id == id)
}
