//! `apply` and `rollback` against a live cluster: reading where the migration stands, the
//! preflight, the writes (server-side apply, Helm), the waits, and the report.
//!
//! Every run first reads the live state and works out, phase by phase, what is already done, so
//! that a re-run continues where the last one stopped and a run on a finished cluster writes
//! nothing. Before the first write `apply` stores the [`StateRecord`] that `rollback` reads.

pub mod dns;
pub mod helm;
pub mod kube;
pub mod probe;
pub mod rollback;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use runai_gateway_core::diff::{self, FieldChange};
use runai_gateway_core::helm::{Component, HelmUpgrade, shell_quote};
use runai_gateway_core::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use runai_gateway_core::plan::{Observed, Ownership, PlannedObject, SecretRequirement};
use runai_gateway_core::spec::{ControlPlaneLocation, Spec, SpecInput};
use runai_gateway_core::state::{
    self, KnativeRecord, ObjectRef, ReleaseRecord, STATE_NAME, StateRecord, upgrade_done,
};
use runai_gateway_core::{Plan, plan};
use serde_json::{Value, json};

use self::helm::Deployed;
use self::kube::{Failure, Kube, collection};
use crate::exit::Exit;
use crate::kube_args::KubeArgs;

/// The phases of `apply`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Phase {
    /// Input, CRDs, GatewayClass, secrets, Run:ai version, permissions
    Preflight,
    /// Server-side apply of the Gateway, routes, KnativeServing fields; the inference secret copy
    Prepare,
    /// Helm: Run:ai uses the Gateway while Ingress keeps serving
    Introduce,
    /// The Gateway is programmed, its listeners resolve their certificates, the routes are accepted
    Verify,
    /// Print the DNS records to change and check them
    SwitchDns,
    /// Helm: Ingress off (cluster, then control plane)
    DisableIngress,
}

/// `--dry-run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// Print every change; send nothing
    Client,
    /// Send every write with `dryRun=All`; the server validates, stores nothing
    Server,
}

/// What `apply` is asked to do.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Cluster flags.
    pub kube: KubeArgs,
    /// The input (config file and flags merged).
    pub input: SpecInput,
    /// `--phase`.
    pub phase: Option<Phase>,
    /// `--dry-run`.
    pub dry_run: Option<DryRun>,
    /// `--diff`.
    pub diff: bool,
    /// `--yes`.
    pub yes: bool,
    /// `--helm`.
    pub helm: Option<PathBuf>,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// `--wait`.
    pub wait: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--wait-dns`.
    pub wait_dns: bool,
    /// `--force`.
    pub force: bool,
    /// `--prune-ingress`.
    pub prune_ingress: bool,
    /// `--dns-server`.
    pub dns_server: Option<String>,
    /// Probe HTTPS through the Gateway in `verify` (`--no-probe` turns it off).
    pub probe: bool,
    /// `--probe-address`.
    pub probe_address: Option<String>,
}

/// The report, written to stdout line by line as the run goes (a closed pipe is not an error).
pub struct Out;

impl Out {
    fn new() -> Self {
        Self
    }

    /// One line, printed at once.
    #[allow(clippy::unused_self)] // `&mut self`: one writer per run, passed where lines are written.
    pub fn line(&mut self, line: impl AsRef<str>) {
        let _ = crate::output::print(&format!("{}\n", line.as_ref()));
    }
}

/// The command line of this run with `apply` replaced by `verb` and the flags that only
/// `apply` knows left out (for the "continue" and "roll back" hints).
pub fn rerun(verb: &str) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Flags of `apply` that `rollback` does not take, and whether they carry a value.
    let apply_only: [(&str, bool); 12] = [
        ("--phase", true),
        ("--force-conflicts", false),
        ("--wait", false),
        ("--timeout", true),
        ("--wait-dns", false),
        ("--force", false),
        ("--prune-ingress", false),
        ("--diff", false),
        ("--dry-run", true),
        ("--yes", false),
        ("--no-probe", false),
        ("--probe-address", true),
    ];
    let mut out = vec!["kubectl".to_owned(), "runai-gateway".to_owned()];
    let mut skip = false;
    for (i, a) in args.iter().enumerate() {
        if skip {
            skip = false;
            continue;
        }
        if i == 0 {
            out.push(verb.to_owned());
            continue;
        }
        if verb == "rollback" {
            let name = a.split('=').next().unwrap_or(a);
            if let Some((_, value)) = apply_only.iter().find(|(f, _)| *f == name) {
                skip = *value && !a.contains('=');
                continue;
            }
        }
        out.push(shell_quote(a));
    }
    out.join(" ")
}

/// One planned object and its live counterpart.
struct ObjectState {
    planned: PlannedObject,
    live: Option<Value>,
    changes: Vec<FieldChange>,
}

/// A secret to copy next to the Gateway (facts Q7).
struct SecretCopy {
    requirement: SecretRequirement,
    source: Value,
}

/// One Helm release of the plan with its deployed revision.
struct ReleaseState {
    component: Component,
    name: String,
    namespace: String,
    deployed: Option<Deployed>,
}

/// Everything read before deciding.
struct Live {
    plan: Plan,
    objects: Vec<ObjectState>,
    copy: Option<SecretCopy>,
    releases: Vec<ReleaseState>,
    state: Option<StateRecord>,
    ingress_address: Option<String>,
    gateway_address: Option<String>,
}

/// The connection(s) of a run.
pub struct Clusters {
    /// The workload cluster.
    pub main: Kube,
    /// The control plane's cluster, when it has its own context.
    pub control_plane: Option<Kube>,
}

impl Clusters {
    /// The client for `component`.
    fn for_component(&self, c: Component) -> &Kube {
        match (c, &self.control_plane) {
            (Component::ControlPlane, Some(k)) => k,
            _ => &self.main,
        }
    }

    /// [`Clusters::connect`], or the reason on stderr (the caller then exits 6).
    pub fn connect_or_report(args: &KubeArgs, spec: &Spec) -> Option<Self> {
        Self::connect(args, spec)
            .map_err(|e| crate::output::error(&anyhow::anyhow!("the cluster cannot be reached: {e}"), false))
            .ok()
    }

    /// Connects to the workload cluster and, when the spec names one, the control plane's
    /// context.
    ///
    /// # Errors
    /// The message for exit code 6.
    pub fn connect(args: &KubeArgs, spec: &Spec) -> Result<Self, String> {
        let main = Kube::connect(args, None)?;
        let control_plane = match (&spec.control_plane, &spec.control_plane_context) {
            (ControlPlaneLocation::Saas, _) | (_, None) => None,
            (_, Some(ctx)) => Some(
                Kube::connect(args, Some(ctx)).map_err(|e| format!("control plane context `{ctx}`: {e}"))?,
            ),
        };
        Ok(Self { main, control_plane })
    }

    fn set_dry_run(&mut self, on: bool) {
        self.main.server_dry_run = on;
        if let Some(k) = &mut self.control_plane {
            k.server_dry_run = on;
        }
    }
}

/// A read failed: the run stops before deciding anything.
fn read_error(what: &str, e: &Failure) -> anyhow::Error {
    ReadError { what: what.to_owned(), failure: e.clone() }.into()
}

/// A read that failed before anything was decided (so nothing was changed by this run).
#[derive(Debug, thiserror::Error)]
#[error("reading {what}: {failure}")]
pub struct ReadError {
    /// What was being read.
    pub what: String,
    /// How it failed.
    pub failure: Failure,
}

impl ReadError {
    /// Exit code: a forbidden read is a missing permission (9), no answer an unreachable
    /// cluster (6), anything else a failure (1).
    pub fn exit(&self) -> Exit {
        match &self.failure {
            Failure::Status { code: 403, .. } => Exit::Refused,
            Failure::Transport(_) => Exit::Unreachable,
            Failure::Status { .. } => Exit::Failure,
        }
    }
}

/// Maps a failed read to its exit code after printing it; other errors go to `main`.
///
/// # Errors
/// Anything but a [`ReadError`].
pub fn settle(result: anyhow::Result<Exit>) -> anyhow::Result<Exit> {
    match result {
        Err(e) => match e.downcast_ref::<ReadError>().map(ReadError::exit) {
            Some(exit) => {
                crate::output::error(&e, false);
                Ok(exit)
            }
            None => Err(e),
        },
        ok => ok,
    }
}

/// The Ingress controller's address: the load-balancer address the Ingresses report, else that of
/// a LoadBalancer Service that looks like an Ingress controller (the rule `status` uses).
fn ingress_address(kube: &Kube, spec: &Spec) -> Result<Option<String>, Failure> {
    let lb = |v: &Value| {
        v["status"]["loadBalancer"]["ingress"]
            .as_array()?
            .iter()
            .find_map(|a| a["ip"].as_str().or_else(|| a["hostname"].as_str()).map(str::to_owned))
    };
    let ingresses = kube.list("/apis/networking.k8s.io/v1/ingresses", &[])?;
    if let Some(a) = ingresses.iter().find_map(lb) {
        return Ok(Some(a));
    }
    let services = kube.list("/api/v1/services", &[])?;
    Ok(services
        .iter()
        .filter(|s| s["spec"]["type"] == "LoadBalancer")
        .filter(|s| {
            let (ns, name) = (
                s["metadata"]["namespace"].as_str().unwrap_or_default(),
                s["metadata"]["name"].as_str().unwrap_or_default(),
            );
            !(ns == spec.gateway_namespace && name == spec.gateway_name)
                && [ns, name].iter().any(|x| x.contains("ingress") || x.contains("haproxy"))
        })
        .find_map(lb))
}

fn gateway_address(gateway: Option<&Value>) -> Option<String> {
    gateway?["status"]["addresses"].as_array()?.first()?["value"].as_str().map(str::to_owned)
}

fn condition(obj: &Value, kind: &str) -> Option<bool> {
    obj["conditions"].as_array()?.iter().find(|c| c["type"] == kind).map(|c| c["status"] == "True")
}

/// The spec and plan, with the deployed chart versions and live addresses filled in.
fn read_live(clusters: &Clusters, input: &SpecInput, spec: &Spec) -> anyhow::Result<Live> {
    let kube = &clusters.main;
    let mut releases = Vec::new();
    let mut spec = spec.clone();
    for (component, release) in
        [(Component::Cluster, spec.cluster.clone()), (Component::ControlPlane, spec.backend.clone())]
    {
        if component == Component::ControlPlane && !spec.manages_backend() {
            continue;
        }
        let k = clusters.for_component(component);
        let deployed = helm::deployed(k, &release.release, &release.namespace).map_err(|e| {
            read_error(&format!("Helm release `{}/{}`", release.namespace, release.release), &e)
        })?;
        if let Some(d) = &deployed {
            let target = match component {
                Component::Cluster => &mut spec.cluster,
                Component::ControlPlane => &mut spec.backend,
            };
            target.chart_version.get_or_insert_with(|| d.chart_version.clone());
        }
        releases.push(ReleaseState {
            component,
            name: release.release,
            namespace: release.namespace,
            deployed,
        });
    }
    let state_ref = state_ref(&spec);
    let state = match kube.get(&state_ref).map_err(|e| read_error("the state record", &e))? {
        Some(cm) => Some(StateRecord::from_configmap(&cm)?),
        None => None,
    };
    let gw_ref = ObjectRef {
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: "Gateway".into(),
        namespace: spec.gateway_namespace.clone(),
        name: spec.gateway_name.clone(),
    };
    let gateway = kube.get(&gw_ref).map_err(|e| read_error("the Gateway", &e))?;
    let observed = Observed {
        gateway_address: gateway_address(gateway.as_ref()),
        ingress_address: match ingress_address(kube, &spec).map_err(|e| read_error("Ingresses", &e))? {
            Some(a) => Some(a),
            None => state.as_ref().and_then(|s| s.ingress_address.clone()),
        },
    };
    let plan = plan(input, &spec, &observed);
    let mut objects = Vec::new();
    for planned in &plan.objects {
        let r = ObjectRef::of(&planned.manifest);
        let live = kube.get(&r).map_err(|e| read_error(&r.to_string(), &e))?;
        let mut planned = planned.clone();
        // An object someone else made keeps its labels: only what this tool creates carries
        // `managed-by: runai-gateway`, so `rollback --prune` can never take it for its own.
        if let Some(l) = &live
            && l["metadata"]["labels"][MANAGED_BY_LABEL] != FIELD_MANAGER
            && let Some(labels) = planned
                .manifest
                .get_mut("metadata")
                .and_then(|m| m.get_mut("labels"))
                .and_then(Value::as_object_mut)
        {
            labels.remove(MANAGED_BY_LABEL);
            if labels.is_empty() {
                planned.manifest["metadata"].as_object_mut().map(|m| m.remove("labels"));
            }
        }
        let changes = diff::diff(&planned.manifest, live.as_ref());
        objects.push(ObjectState { planned, live, changes });
    }
    let mut copy = None;
    for req in &plan.secrets {
        let Some(from) = &req.copy_from else { continue };
        let target = secret_ref(&req.namespace, &req.name);
        if kube.get(&target).map_err(|e| read_error(&target.to_string(), &e))?.is_none() {
            let source_ref = secret_ref(&from.namespace, &req.name);
            if let Some(source) =
                kube.get(&source_ref).map_err(|e| read_error(&source_ref.to_string(), &e))?
            {
                copy = Some(SecretCopy { requirement: req.clone(), source });
            }
        }
    }
    Ok(Live {
        gateway_address: observed.gateway_address.clone(),
        ingress_address: observed.ingress_address.clone(),
        plan,
        objects,
        copy,
        releases,
        state,
    })
}

fn secret_ref(namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: namespace.into(),
        name: name.into(),
    }
}

fn state_ref(spec: &Spec) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: spec.gateway_namespace.clone(),
        name: STATE_NAME.into(),
    }
}

impl Live {
    fn release(&self, u: &HelmUpgrade) -> Option<&ReleaseState> {
        self.releases.iter().find(|r| r.component == u.component)
    }

    /// The upgrades of `upgrades` that would still change something.
    fn pending<'a>(&self, upgrades: &'a [HelmUpgrade]) -> Vec<&'a HelmUpgrade> {
        upgrades
            .iter()
            .filter(|u| match self.release(u).and_then(|r| r.deployed.as_ref()) {
                Some(d) => !upgrade_done(&d.values, u),
                None => true,
            })
            .collect()
    }

    fn pending_objects(&self) -> Vec<&ObjectState> {
        self.objects.iter().filter(|o| !o.changes.is_empty()).collect()
    }
}

/// The DNS records and whether each resolves to the Gateway.
fn dns_status(
    live: &Live,
    server: Option<&str>,
    target: Option<&str>,
) -> Vec<(String, Result<Vec<String>, String>, bool)> {
    let names: Vec<String> = live.plan.dns.iter().map(|r| r.name.clone()).collect();
    let answers = dns::resolve(&names, server);
    names
        .into_iter()
        .zip(answers)
        .map(|(n, a)| {
            let ok = match (&a, target) {
                (Ok(addrs), Some(t)) => !addrs.is_empty() && addrs.iter().all(|x| x == t),
                _ => false,
            };
            (n, a, ok)
        })
        .collect()
}

/// Why the Gateway is not serving yet (empty: it is).
fn verify_problems(kube: &Kube, spec: &Spec) -> Result<Vec<String>, Failure> {
    let mut problems = Vec::new();
    let gw_ref = ObjectRef {
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: "Gateway".into(),
        namespace: spec.gateway_namespace.clone(),
        name: spec.gateway_name.clone(),
    };
    let Some(gw) = kube.get(&gw_ref)? else {
        return Ok(vec![format!("{gw_ref} does not exist")]);
    };
    if condition(&gw["status"], "Programmed") != Some(true) {
        problems.push(format!("{gw_ref} is not Programmed"));
    }
    if gateway_address(Some(&gw)).is_none() {
        problems.push(format!("{gw_ref} has no address"));
    }
    let listeners = gw["status"]["listeners"].as_array().cloned().unwrap_or_default();
    for l in gw["spec"]["listeners"].as_array().cloned().unwrap_or_default() {
        if l["tls"].is_null() {
            continue;
        }
        let name = l["name"].as_str().unwrap_or_default();
        let status = listeners.iter().find(|s| s["name"] == name);
        if status.and_then(|s| condition(s, "ResolvedRefs")) != Some(true) {
            problems.push(format!("listener `{name}` has not resolved its certificate (ResolvedRefs)"));
        }
    }
    let routes = kube.list("/apis/gateway.networking.k8s.io/v1/httproutes", &[])?;
    for r in &routes {
        let ns = r["metadata"]["namespace"].as_str().unwrap_or_default();
        let attaches = r["spec"]["parentRefs"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["name"] == spec.gateway_name.as_str()
                    && p["namespace"].as_str().unwrap_or(ns) == spec.gateway_namespace
            })
        });
        if !attaches {
            continue;
        }
        let accepted = r["status"]["parents"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["parentRef"]["name"] == spec.gateway_name.as_str() && condition(p, "Accepted") == Some(true)
            })
        });
        if !accepted {
            problems.push(format!(
                "HTTPRoute {ns}/{} is not accepted by the Gateway",
                r["metadata"]["name"].as_str().unwrap_or_default()
            ));
        }
    }
    Ok(problems)
}

/// The HTTPS probe through the Gateway's address (or `--probe-address`), one host per DNS
/// record, trusting the system roots and the cluster's CA secret when there is one.
fn probe_problems(
    kube: &Kube,
    spec: &Spec,
    plan: &Plan,
    address: Option<&str>,
) -> Result<Vec<String>, Failure> {
    let gw = kube.get(&ObjectRef {
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: "Gateway".into(),
        namespace: spec.gateway_namespace.clone(),
        name: spec.gateway_name.clone(),
    })?;
    let Some(address) = address
        .map(str::to_owned)
        .or_else(|| gateway_address(gw.as_ref()).map(|a| probe::with_port(&a, 443)))
    else {
        return Ok(vec!["the Gateway has no address to probe".into()]);
    };
    let ca = kube
        .get(&secret_ref(&spec.cluster.namespace, "runai-ca-cert"))?
        .and_then(|s| s["data"]["runai-ca.pem"].as_str().and_then(runai_gateway_core::tls::decode_data));
    let hosts: Vec<String> = plan.dns.iter().map(|r| dns::query_name(&r.name)).collect();
    Ok(probe::run(&hosts, &address, ca.as_deref()))
}

/// A permission the run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Permission {
    verb: &'static str,
    group: String,
    resource: String,
    namespace: String,
    component: Component,
    why: String,
}

fn group_of(api_version: &str) -> String {
    api_version.split_once('/').map(|(g, _)| g.to_owned()).unwrap_or_default()
}

/// Preflight: the checks that need no permission beyond reading.
fn preflight_checks(kube: &Kube, live: &Live, spec: &Spec) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for crd in ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io"] {
        let path = format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}");
        if kube.get_path(&path).map_err(|e| read_error(crd, &e))?.is_none() {
            problems.push(format!(
                "the Gateway API CRD `{crd}` is not installed (step `gateway-api` of `render -o plan`)"
            ));
        }
    }
    let class_path = format!("/apis/gateway.networking.k8s.io/v1/gatewayclasses/{}", spec.gateway_class);
    match kube.get_path(&class_path) {
        Ok(Some(c)) if condition(&c["status"], "Accepted") == Some(true) => {}
        Ok(Some(_)) => {
            problems.push(format!("GatewayClass `{}` is not Accepted by its controller", spec.gateway_class))
        }
        Ok(None) | Err(Failure::Status { code: 404, .. }) => {
            problems.push(format!(
                "GatewayClass `{}` does not exist: install the controller first",
                spec.gateway_class
            ));
        }
        Err(e) => return Err(read_error("the GatewayClass", &e)),
    }
    for req in &live.plan.secrets {
        let r = secret_ref(&req.namespace, &req.name);
        let secret = match kube.get(&r).map_err(|e| read_error(&r.to_string(), &e))? {
            Some(s) => s,
            None => match (&req.copy_from, &live.copy) {
                (Some(_), Some(c)) if c.requirement == *req => c.source.clone(),
                _ => {
                    problems
                        .push(format!("Secret {}/{} is missing: {}", req.namespace, req.name, req.create));
                    continue;
                }
            },
        };
        let cert = secret["data"]["tls.crt"].as_str().and_then(runai_gateway_core::tls::decode_data);
        let names =
            cert.and_then(|pem| runai_gateway_core::tls::inspect(&pem, None).ok()).map(|c| c.dns_names);
        match names {
            None => problems.push(format!(
                "Secret {}/{} holds no readable certificate (`tls.crt`)",
                req.namespace, req.name
            )),
            Some(names) => {
                for host in &req.hosts {
                    if !runai_gateway_core::hostname::any_covers(&names, host) {
                        problems.push(format!(
                            "the certificate of Secret {}/{} does not cover `{host}` (it names {})",
                            req.namespace,
                            req.name,
                            names.join(", ")
                        ));
                    }
                }
            }
        }
    }
    for r in &live.releases {
        match &r.deployed {
            None => {
                problems.push(format!("Helm release `{}/{}` has no deployed revision", r.namespace, r.name))
            }
            Some(d) if !version_at_least(&d.chart_version, 2, 25) => problems.push(format!(
                "Run:ai `{}` is {}: the Gateway API needs 2.25 or later",
                r.name, d.chart_version
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}

fn version_at_least(v: &str, major: u64, minor: u64) -> bool {
    let mut parts = v.trim_start_matches('v').split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// The writes a run will make.
struct Work<'a> {
    objects: Vec<&'a ObjectState>,
    copy: Option<&'a SecretCopy>,
    introduce: Vec<&'a HelmUpgrade>,
    disable: Vec<&'a HelmUpgrade>,
    state: bool,
}

impl Work<'_> {
    fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.copy.is_none() && self.introduce.is_empty() && self.disable.is_empty()
    }
}

fn permissions(work: &Work<'_>, live: &Live, spec: &Spec) -> Vec<Permission> {
    let mut out = Vec::new();
    let mut add = |verb, group: &str, resource: &str, ns: &str, component, why: String| {
        let p = Permission {
            verb,
            group: group.into(),
            resource: resource.into(),
            namespace: ns.into(),
            component,
            why,
        };
        if !out.iter().any(|q: &Permission| {
            q.verb == p.verb
                && q.group == p.group
                && q.resource == p.resource
                && q.namespace == p.namespace
                && q.component == p.component
        }) {
            out.push(p);
        }
    };
    if work.state {
        add(
            "create",
            "",
            "configmaps",
            &spec.gateway_namespace,
            Component::Cluster,
            "the state record".into(),
        );
    }
    if let Some(c) = work.copy {
        add(
            "create",
            "",
            "secrets",
            &c.requirement.namespace,
            Component::Cluster,
            "copying the inference secret".into(),
        );
    }
    for o in &work.objects {
        let r = ObjectRef::of(&o.planned.manifest);
        let plural = kube::resource(&r.api_version, &r.kind).unwrap_or("unknown");
        add(
            "patch",
            &group_of(&r.api_version),
            plural,
            &r.namespace,
            Component::Cluster,
            format!("server-side apply of {r}"),
        );
        if o.live.is_none() {
            add(
                "create",
                &group_of(&r.api_version),
                plural,
                &r.namespace,
                Component::Cluster,
                format!("creating {r}"),
            );
        }
    }
    for u in work.introduce.iter().chain(&work.disable) {
        let _ = live;
        for verb in ["list", "create", "update"] {
            add(
                verb,
                "",
                "secrets",
                &u.namespace,
                u.component,
                format!("helm upgrade {} (release storage)", u.release),
            );
        }
    }
    out
}

/// The previous values of every Helm key the migration sets.
fn record_releases(live: &Live) -> Vec<ReleaseRecord> {
    let h = &live.plan.helm;
    let mut out = Vec::new();
    for r in &live.releases {
        let Some(d) = &r.deployed else { continue };
        let mut values = std::collections::BTreeMap::new();
        for u in h.introduce.iter().chain(&h.disable_ingress).filter(|u| u.component == r.component) {
            for v in &u.values {
                values
                    .insert(v.key.clone(), state::lookup(&d.values, &v.key).cloned().unwrap_or(Value::Null));
            }
        }
        out.push(ReleaseRecord {
            release: r.name.clone(),
            namespace: r.namespace.clone(),
            revision: d.revision,
            chart_version: d.chart_version.clone(),
            values,
        });
    }
    out
}

fn new_record(live: &Live, spec: &Spec) -> StateRecord {
    let mut record = StateRecord::new(&spec.gateway_namespace, &spec.gateway_name);
    record.releases = record_releases(live);
    record.ingress_address.clone_from(&live.ingress_address);
    for o in &live.objects {
        let r = ObjectRef::of(&o.planned.manifest);
        if let Some(l) = &o.live {
            record.existed.push(r.clone());
            if o.planned.ownership == Ownership::Fields {
                record.knative_serving = Some(KnativeRecord {
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                    fields: state::project(&l["spec"], &o.planned.manifest["spec"]),
                });
            }
        }
    }
    for req in &live.plan.secrets {
        if req.copy_from.is_some() && live.copy.is_none() {
            record.existed.push(secret_ref(&req.namespace, &req.name));
        }
    }
    record
}

/// The copy of a secret: type and data only, our label, no server fields.
fn secret_copy(c: &SecretCopy) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": c.requirement.name,
            "namespace": c.requirement.namespace,
            "labels": { MANAGED_BY_LABEL: FIELD_MANAGER },
        },
        "type": c.source["type"],
        "data": c.source["data"],
    })
}

/// A write that failed, and what to do.
fn stop_on_failure(out: &mut Out, what: &str, e: &Failure, done: &[String], left: &[String]) -> Exit {
    out.line(format!("✗ {what}: {e}"));
    report_progress(out, done, left);
    if e.is_conflict() {
        out.line("");
        out.line("Another field manager owns a field this tool sets, with a different value (server-side apply conflict).");
        out.line("Look at the fields named above (`kubectl get ... --show-managed-fields -o yaml`); to take them over:");
        out.line(format!("  {} --force-conflicts", rerun("apply")));
        out.line(format!("Roll back: {}", rerun("rollback")));
        return Exit::Conflict;
    }
    out.line("");
    out.line("The state record is kept. Continue (it picks up where this run stopped):");
    out.line(format!("  {}", rerun("apply")));
    out.line("or roll back:");
    out.line(format!("  {}", rerun("rollback")));
    Exit::Partial
}

fn report_progress(out: &mut Out, done: &[String], left: &[String]) {
    if !done.is_empty() {
        out.line("Applied:");
        for d in done {
            out.line(format!("  ✓ {d}"));
        }
    }
    if !left.is_empty() {
        out.line("Not applied:");
        for l in left {
            out.line(format!("  - {l}"));
        }
    }
}

/// Asks on the terminal; `false` unless the answer is yes.
fn confirm(question: &str) -> bool {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Stops unless the user agreed (`--yes`, or yes on a terminal).
fn agreed(yes: bool, out: &mut Out) -> bool {
    if yes {
        return true;
    }
    if !std::io::stdin().is_terminal() {
        out.line("");
        out.line("Nothing was changed: confirmation needs a terminal; pass --yes to proceed without one.");
        return false;
    }
    if confirm("Apply these changes?") {
        true
    } else {
        out.line("Aborted: nothing was changed.");
        false
    }
}

fn helm_lines(live: &Live, upgrades: &[&HelmUpgrade], kube: &KubeArgs) -> Vec<String> {
    upgrades
        .iter()
        .map(|u| {
            let version = live
                .release(u)
                .and_then(|r| r.deployed.as_ref())
                .map_or_else(|| u.chart_version.clone().unwrap_or_default(), |d| d.chart_version.clone());
            helm::command_line(&helm::args(u, &version, kube))
        })
        .collect()
}

fn helm_key_diff(live: &Live, u: &HelmUpgrade) -> Vec<String> {
    let values = live.release(u).and_then(|r| r.deployed.as_ref()).map(|d| &d.values);
    u.values
        .iter()
        .filter(|v| !values.is_some_and(|vals| state::value_set(vals, v)))
        .map(|v| {
            let before = values
                .and_then(|vals| state::lookup(vals, &v.key))
                .map_or_else(|| "(unset)".into(), Value::to_string);
            format!("  {}: {before} -> {:?}", v.key, v.value)
        })
        .collect()
}

/// Runs `apply`.
///
/// # Errors
/// Input errors and failed reads (the caller maps them to exit codes).
#[allow(clippy::too_many_lines)] // The phases read top to bottom, like the runbook.
pub fn apply(opts: &ApplyOptions, spec: &Spec) -> anyhow::Result<Exit> {
    let mut out = Out::new();
    let Some(mut clusters) = Clusters::connect_or_report(&opts.kube, spec) else {
        return Ok(Exit::Unreachable);
    };
    let live = read_live(&clusters, &opts.input, spec)?;
    let spec = &live.plan.spec.clone();
    let selected = |p: Phase| opts.phase.is_none_or(|only| only == p);

    out.line(format!(
        "Cluster {} · Gateway {}/{}{}",
        clusters.main.server,
        spec.gateway_namespace,
        spec.gateway_name,
        if spec.manages_backend() {
            ""
        } else {
            " · control plane: SaaS (only the cluster side is changed here)"
        }
    ));
    for w in &live.plan.warnings {
        out.line(format!("warning: {w}"));
    }

    let introduce = live.pending(&live.plan.helm.introduce);
    let disable = live.pending(&live.plan.helm.disable_ingress);
    let work = Work {
        objects: if selected(Phase::Prepare) { live.pending_objects() } else { Vec::new() },
        copy: if selected(Phase::Prepare) { live.copy.as_ref() } else { None },
        introduce: if selected(Phase::Introduce) { introduce.clone() } else { Vec::new() },
        disable: if selected(Phase::DisableIngress) { disable.clone() } else { Vec::new() },
        state: live.state.is_none(),
    };

    // The summary of every change this run may make.
    if work.is_empty() {
        out.line("Prepare, introduce and disable-ingress: no changes.");
    } else {
        out.line("Changes:");
        if let Some(c) = work.copy {
            out.line(format!(
                "  + copy Secret {}/{} to namespace `{}` (facts Q7)",
                c.source["metadata"]["namespace"].as_str().unwrap_or_default(),
                c.requirement.name,
                c.requirement.namespace
            ));
        }
        for o in &work.objects {
            let verb = if o.live.is_none() { "create" } else { "update" };
            out.line(format!(
                "  {} {verb} {} ({} field(s))",
                if o.live.is_none() { "+" } else { "~" },
                o.planned.reference(),
                o.changes.len()
            ));
            if opts.diff || opts.dry_run == Some(DryRun::Client) {
                out.line(diff::render(&o.changes).trim_end());
            }
        }
        let gated = "disable-ingress, once DNS resolves to the Gateway";
        for (phase, ups) in [("introduce", &work.introduce), (gated, &work.disable)] {
            for u in ups.iter() {
                out.line(format!("  ~ helm upgrade {} ({phase})", u.release));
                if opts.diff || opts.dry_run == Some(DryRun::Client) {
                    for l in helm_key_diff(&live, u) {
                        out.line(l);
                    }
                }
            }
        }
        if opts.dry_run == Some(DryRun::Client) || opts.diff {
            if work.state {
                out.line(format!(
                    "  + create ConfigMap {}/{STATE_NAME} (the state record for rollback)",
                    spec.gateway_namespace
                ));
            }
            let cmds = helm_lines(
                &live,
                &work.introduce.iter().chain(&work.disable).copied().collect::<Vec<_>>(),
                &opts.kube,
            );
            if !cmds.is_empty() {
                out.line("Helm commands:");
                for c in cmds {
                    out.line(format!("  {c}"));
                }
            }
        }
    }
    if opts.diff || opts.dry_run == Some(DryRun::Client) {
        out.line(if opts.diff {
            "Diff only: nothing was changed."
        } else {
            "Dry run (client): nothing was sent."
        });
        return Ok(Exit::Success);
    }

    // Preflight.
    if selected(Phase::Preflight) || !work.is_empty() {
        let mut problems = preflight_checks(&clusters.main, &live, spec)?;
        let mut missing = Vec::new();
        if !work.is_empty() {
            for p in permissions(&work, &live, spec) {
                let k = clusters.for_component(p.component);
                match k.can_i(p.verb, &p.group, &p.resource, &p.namespace) {
                    Ok(true) => {}
                    Ok(false) => missing.push(p),
                    Err(e) => return Err(read_error("permissions (SelfSubjectAccessReview)", &e)),
                }
            }
        }
        if !missing.is_empty() {
            problems.push(format!("missing permissions ({}):", missing.len()));
            for p in &missing {
                let resource = if p.group.is_empty() {
                    p.resource.clone()
                } else {
                    format!("{}.{}", p.resource, p.group)
                };
                problems.push(format!("  {} {resource} in namespace `{}` ({})", p.verb, p.namespace, p.why));
            }
        }
        if !problems.is_empty() {
            out.line("✗ preflight: nothing was changed");
            for p in &problems {
                out.line(format!("  {p}"));
            }
            return Ok(Exit::Refused);
        }
        out.line("✓ preflight");
    }
    if opts.phase == Some(Phase::Preflight) {
        return Ok(Exit::Success);
    }
    let server_dry = opts.dry_run == Some(DryRun::Server);
    if !work.is_empty() && !server_dry && !agreed(opts.yes, &mut out) {
        return Ok(Exit::Aborted);
    }
    clusters.set_dry_run(server_dry);
    let kube = &clusters.main;

    // What is left, for the report on failure.
    let mut left: Vec<String> = Vec::new();
    if let Some(c) = work.copy {
        left.push(format!("copy Secret {}/{}", c.requirement.namespace, c.requirement.name));
    }
    left.extend(work.objects.iter().map(|o| format!("apply {}", o.planned.reference())));
    left.extend(work.introduce.iter().map(|u| format!("helm upgrade {} (introduce)", u.release)));
    left.extend(work.disable.iter().map(|u| format!("helm upgrade {} (disable-ingress)", u.release)));
    let mut done: Vec<String> = Vec::new();
    let step = |done: &mut Vec<String>, left: &mut Vec<String>| {
        if !left.is_empty() {
            done.push(left.remove(0));
        }
    };

    if work.state && !work.is_empty() && !server_dry {
        let record = new_record(&live, spec);
        if let Err(e) = kube.create(&record.to_configmap())
            && !matches!(e, Failure::Status { code: 409, .. })
        {
            return Ok(stop_on_failure(
                &mut out,
                "recording the state (nothing else was changed)",
                &e,
                &done,
                &left,
            ));
        }
        out.line(format!("✓ recorded the state in ConfigMap {}/{STATE_NAME}", spec.gateway_namespace));
    }

    // Prepare.
    if let Some(c) = work.copy {
        if let Err(e) = kube.create(&secret_copy(c))
            && !matches!(e, Failure::Status { code: 409, .. })
        {
            return Ok(stop_on_failure(&mut out, "copying the inference secret", &e, &done, &left));
        }
        out.line(format!("✓ copied Secret {}/{}", c.requirement.namespace, c.requirement.name));
        step(&mut done, &mut left);
    }
    for o in &work.objects {
        match kube.apply(&o.planned.manifest, opts.force_conflicts) {
            Ok(_) => {
                out.line(format!("✓ applied {}", o.planned.reference()));
                step(&mut done, &mut left);
            }
            Err(e) => {
                return Ok(stop_on_failure(
                    &mut out,
                    &format!("applying {}", o.planned.reference()),
                    &e,
                    &done,
                    &left,
                ));
            }
        }
    }
    if selected(Phase::Prepare) && opts.phase.is_none() && !server_dry {
        out.line("✓ prepare");
    }

    // Introduce.
    let helm_bin = helm::find(opts.helm.as_deref());
    let run_helm = |out: &mut Out,
                    done: &mut Vec<String>,
                    left: &mut Vec<String>,
                    ups: &[&HelmUpgrade],
                    phase: &str|
     -> Option<Exit> {
        if ups.is_empty() {
            return None;
        }
        let lines = helm_lines(&live, ups, &opts.kube);
        if server_dry {
            out.line(format!("{phase}: dry run, helm is not run; the commands would be:"));
            for l in &lines {
                out.line(format!("  {l}"));
            }
            return None;
        }
        let Some(bin) = &helm_bin else {
            out.line(format!("! {phase}: `helm` was not found (PATH, or --helm PATH). Run these commands, then re-run apply, which sees they were done:"));
            for l in &lines {
                out.line(format!("  {l}"));
            }
            report_progress(out, done, left);
            return Some(Exit::ManualStep);
        };
        for u in ups {
            let version = live
                .release(u)
                .and_then(|r| r.deployed.as_ref())
                .map(|d| d.chart_version.clone())
                .unwrap_or_default();
            let args = helm::args(u, &version, &opts.kube);
            out.line(format!("  running {}", helm::command_line(&args)));
            if let Err(e) = helm::run(bin, &args) {
                out.line(format!("✗ helm upgrade {}: {e}", u.release));
                report_progress(out, done, left);
                out.line("");
                out.line("The state record is kept. Continue:");
                out.line(format!("  {}", rerun("apply")));
                out.line("or roll back:");
                out.line(format!("  {}", rerun("rollback")));
                return Some(Exit::Partial);
            }
            out.line(format!("✓ helm upgrade {} ({phase})", u.release));
            if !left.is_empty() {
                done.push(left.remove(0));
            }
        }
        None
    };
    if let Some(exit) = run_helm(&mut out, &mut done, &mut left, &work.introduce, "introduce") {
        return Ok(exit);
    }
    if server_dry {
        if let Some(exit) = run_helm(&mut out, &mut done, &mut left, &work.disable, "disable-ingress") {
            return Ok(exit);
        }
        out.line("Dry run (server): every write was validated by the server; nothing was stored.");
        return Ok(Exit::Success);
    }
    if opts.phase.is_some_and(|p| p < Phase::Verify) {
        return Ok(Exit::Success);
    }

    // Verify.
    let gateway_address =
        if selected(Phase::Verify) || selected(Phase::SwitchDns) || selected(Phase::DisableIngress) {
            let start = Instant::now();
            loop {
                let mut problems =
                    verify_problems(kube, spec).map_err(|e| read_error("the Gateway and routes", &e))?;
                if problems.is_empty() && opts.probe {
                    problems = probe_problems(kube, spec, &live.plan, opts.probe_address.as_deref())
                        .map_err(|e| read_error("the cluster CA", &e))?;
                }
                if problems.is_empty() {
                    break;
                }
                if !opts.wait || start.elapsed() >= opts.timeout {
                    out.line(format!(
                        "! verify: the Gateway is not serving yet{}:",
                        if opts.wait { format!(" after {}s", opts.timeout.as_secs()) } else { String::new() }
                    ));
                    for p in problems {
                        out.line(format!("  {p}"));
                    }
                    out.line(format!(
                        "Check the controller (`kubectl describe gateway {} -n {}`), then re-run{}:",
                        spec.gateway_name,
                        spec.gateway_namespace,
                        if opts.wait { "" } else { " (--wait polls until --timeout)" }
                    ));
                    out.line(format!("  {}", rerun("apply")));
                    return Ok(Exit::ManualStep);
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            let gw = kube.get(&ObjectRef {
                api_version: "gateway.networking.k8s.io/v1".into(),
                kind: "Gateway".into(),
                namespace: spec.gateway_namespace.clone(),
                name: spec.gateway_name.clone(),
            });
            let address = gw.ok().flatten().as_ref().and_then(|g| gateway_address(Some(g)));
            out.line(format!(
                "✓ verify: Gateway programmed at {}, listeners resolved, routes accepted{}",
                address.as_deref().unwrap_or("?"),
                if opts.probe {
                    ", HTTPS answers for every hostname"
                } else {
                    " (HTTPS probe skipped: --no-probe)"
                }
            ));
            address
        } else {
            live.gateway_address.clone()
        };
    if opts.phase == Some(Phase::Verify) {
        return Ok(Exit::Success);
    }

    // Switch DNS.
    let live_now =
        Live { gateway_address: gateway_address.clone(), ..read_live(&clusters, &opts.input, spec)? };
    let start = Instant::now();
    let dns_ok = loop {
        let status = dns_status(&live_now, opts.dns_server.as_deref(), gateway_address.as_deref());
        if status.iter().all(|(_, _, ok)| *ok) {
            out.line("✓ switch-dns: every record resolves to the Gateway");
            break true;
        }
        if !opts.wait_dns || start.elapsed() >= opts.timeout {
            out.line("! switch-dns: point these DNS records at the Gateway (this tool cannot change DNS):");
            out.line(format!(
                "  {:<36} {:<6} {:<18} {:<18} now",
                "NAME", "TYPE", "OLD (Ingress)", "NEW (Gateway)"
            ));
            for (rec, (_, answer, ok)) in live_now.plan.dns.iter().zip(&status) {
                let now = match answer {
                    Ok(a) if a.is_empty() => "no answer".to_owned(),
                    Ok(a) => a.join(","),
                    Err(e) => e.clone(),
                };
                out.line(format!(
                    "  {:<36} {:<6} {:<18} {:<18} {now}{}",
                    rec.name,
                    rec.record_type,
                    rec.ingress_target,
                    rec.gateway_target,
                    if *ok { " ✓" } else { "" }
                ));
            }
            break false;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    if opts.phase == Some(Phase::SwitchDns) {
        return Ok(if dns_ok { Exit::Success } else { Exit::ManualStep });
    }
    if !dns_ok && !opts.force {
        out.line("Ingress stays on until DNS resolves to the Gateway. After the change, re-run (--wait-dns polls):");
        out.line(format!("  {}", rerun("apply")));
        return Ok(Exit::ManualStep);
    }

    // Disable Ingress.
    if let Some(exit) = run_helm(&mut out, &mut done, &mut left, &work.disable, "disable-ingress") {
        return Ok(exit);
    }
    let leftovers = hand_made_ingresses(kube, spec).map_err(|e| read_error("Ingresses", &e))?;
    if !leftovers.is_empty() {
        if opts.prune_ingress {
            let mut record = live.state.clone().or_else(|| {
                kube.get(&state_ref(spec)).ok().flatten().and_then(|cm| StateRecord::from_configmap(&cm).ok())
            });
            for ing in &leftovers {
                let r = ObjectRef::of(ing);
                if let Some(rec) = &mut record {
                    let mut clean = ing.clone();
                    strip_server_fields(&mut clean);
                    if !rec.pruned_ingresses.iter().any(|p| ObjectRef::of(p) == r) {
                        rec.pruned_ingresses.push(clean);
                    }
                    if let Err(e) = kube.apply(&rec.to_configmap(), true) {
                        return Ok(stop_on_failure(
                            &mut out,
                            "recording the Ingresses to prune",
                            &e,
                            &done,
                            &left,
                        ));
                    }
                }
                let uid = ing["metadata"]["uid"].as_str().unwrap_or_default();
                if let Err(e) = kube.delete(&r, uid) {
                    return Ok(stop_on_failure(&mut out, &format!("deleting {r}"), &e, &done, &left));
                }
                out.line(format!("✓ deleted {r} (made by hand; kept in the state record for rollback)"));
            }
        } else {
            out.line(
                "Ingresses made by hand that Run:ai does not remove (delete them with --prune-ingress):",
            );
            for ing in &leftovers {
                out.line(format!("  {}", ObjectRef::of(ing)));
            }
        }
    }
    if done.is_empty() && work.is_empty() {
        out.line("No changes: the migration is complete.");
    } else {
        out.line("✓ disable-ingress: the migration is complete.");
    }
    Ok(Exit::Success)
}

/// Ingress objects in the cluster's and Knative's namespaces that no Helm release manages.
fn hand_made_ingresses(kube: &Kube, spec: &Spec) -> Result<Vec<Value>, Failure> {
    let mut out = Vec::new();
    for ns in [&spec.cluster.namespace, &spec.knative_namespace] {
        for mut i in kube.list(&collection("networking.k8s.io/v1", "ingresses", ns), &[])? {
            if i["metadata"]["labels"][MANAGED_BY_LABEL] == "Helm" {
                continue;
            }
            i["apiVersion"] = json!("networking.k8s.io/v1");
            i["kind"] = json!("Ingress");
            out.push(i);
        }
    }
    Ok(out)
}

/// Removes what the server sets (for re-creating an object later).
pub fn strip_server_fields(obj: &mut Value) {
    if let Some(m) = obj["metadata"].as_object_mut() {
        for k in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"] {
            m.remove(k);
        }
    }
    if let Some(o) = obj.as_object_mut() {
        o.remove("status");
    }
}
