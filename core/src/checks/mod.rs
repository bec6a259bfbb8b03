//! Diagnostics: pure checks over (spec, snapshot, now), the migration phase and the next step.
//!
//! Each check is one entry of the [catalog](catalog) declared next to its function in its
//! category's module (`prerequisites`, `controller`, `gateway`, `tls`, `certmanager`, `routes`, `knative`,
//! `runai`, `dns`, `connectivity`): its ID, the function, the default severity, and the title,
//! why and fix that `docs/checks.md` shows. [`CATALOG`] joins the modules' entries in
//! [`Category::ALL`] order, which is the report order. A check is a function of the context
//! (`context::Cx`: the spec, the snapshot, `now`, and what [`diagnose`] looked up once) that
//! returns an `Outcome`: passed, skipped with the reason, or findings. Spec discovery is in
//! `discover`, the phase and the next step in `phase`.
//!
//! # Adding a check
//!
//! Four files, one of them generated:
//!
//! 1. The entry and its function, in its category's module: an entry in that module's
//!    `checks!` block (ID, function, severity, title, why, fix) and the function beside it.
//!    Where it sits in the block is where it appears in reports and in `docs/checks.md`; an
//!    entry without a function does not compile.
//! 2. A fixture that breaks exactly that: an overlay under `tests/fixtures/status/` (or
//!    `tests/fixtures/broken/`), usually a few lines patching `healthy` (`base: ../healthy`).
//! 3. A row in the table of `every_check_fires_on_its_broken_fixture_and_nowhere_else`
//!    (`kubectl-plugin/tests/status.rs`) naming the fixture and the IDs it must raise; that
//!    test fails for a catalog entry no row covers.
//! 4. `cargo xtask gen-docs`, which rewrites `docs/checks.md`.

pub mod catalog;
mod certmanager;
pub mod changes;
mod connectivity;
mod context;
mod controller;
mod discover;
mod dns;
mod externaldns;
mod gateway;
mod knative;
mod phase;
mod prerequisites;
mod routes;
mod runai;
mod tls;

use serde::Serialize;

pub use catalog::{CATALOG, Category, CheckMeta, Severity};

use crate::fields::{CommandLine, Invocation};
use crate::snapshot::Snapshot;
use crate::spec::{ControlPlaneLocation, Spec, SpecInput};
use context::{Cx, Outcome};

/// Version of the `-o json` report document.
pub const REPORT_SCHEMA: &str = "runai-gateway.report/v1";

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Check ID (stable).
    pub id: &'static str,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// The resource concerned (`Gateway runai/runai-gateway`), when there is one.
    pub resource: Option<String>,
    /// What is wrong, naming the resource and the values.
    pub message: String,
    /// Why it matters and what to look at.
    pub hint: String,
    /// A command that fixes it, where there is one.
    pub fix: Option<String>,
    /// Documentation anchor.
    pub doc: String,
}

/// A check that could not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// Check ID.
    pub id: &'static str,
    /// Why.
    pub reason: String,
}

/// Where the migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Run:ai is served by Ingress; no Gateway yet.
    IngressOnly,
    /// The Gateway exists; Run:ai does not use it yet.
    GatewayPrepared,
    /// Run:ai creates its routes on the Gateway; DNS still points at the Ingress.
    RunaiIntroduced,
    /// DNS points at the Gateway; Ingress still on.
    DnsSwitched,
    /// Ingress is off: the migration is complete.
    IngressDisabled,
    /// The Gateway API was turned off again and Ingress serves.
    RolledBack,
    /// The pieces disagree (see the findings).
    Inconsistent,
    /// A read the phase depends on was forbidden or failed ([`Report::unread`] says which): no
    /// phase, and no next step, is judged from missing data.
    Unknown,
}

impl Phase {
    /// Every phase a cluster can be judged in, in the order a migration passes them (then the two
    /// off the path). Not [`Phase::Unknown`], which is no phase (nor a target for `--until`).
    pub const ALL: [Phase; 7] = [
        Phase::IngressOnly,
        Phase::GatewayPrepared,
        Phase::RunaiIntroduced,
        Phase::DnsSwitched,
        Phase::IngressDisabled,
        Phase::RolledBack,
        Phase::Inconsistent,
    ];

    /// The name in the JSON report and on the command line (`dns-switched`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Phase::IngressOnly => "ingress-only",
            Phase::GatewayPrepared => "gateway-prepared",
            Phase::RunaiIntroduced => "runai-introduced",
            Phase::DnsSwitched => "dns-switched",
            Phase::IngressDisabled => "ingress-disabled",
            Phase::RolledBack => "rolled-back",
            Phase::Inconsistent => "inconsistent",
            Phase::Unknown => "unknown",
        }
    }

    /// Human description.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Phase::IngressOnly => "Ingress only: the Gateway is not prepared yet",
            Phase::GatewayPrepared => "Gateway prepared: Run:ai does not use it yet",
            Phase::RunaiIntroduced => "Run:ai introduced to the Gateway: DNS still points at the Ingress",
            Phase::DnsSwitched => "DNS switched to the Gateway: Ingress is still on",
            Phase::IngressDisabled => "migrated: Ingress disabled, the Gateway serves everything",
            Phase::RolledBack => "rolled back: Ingress serves, the Gateway API is off",
            Phase::Inconsistent => "inconsistent: the pieces disagree (see the findings)",
            Phase::Unknown => "unknown: a read it depends on was forbidden or failed",
        }
    }
}

/// Why a read the phase depends on gave nothing to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnreadState {
    /// The API server refused (403): the permission named is missing.
    Forbidden,
    /// The read failed otherwise (a timeout, a 5xx, a dropped connection).
    Failed,
    /// Read, but what it holds could not be decoded (a Helm release too large or corrupt).
    Unreadable,
}

/// A read the phase depends on that gave nothing to judge: what it is, why, and the request it
/// is (the permission it needs: `verb` on `resource` in `group`, in `namespace` or in all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unread {
    /// What could not be read (``the Helm release `runai/runai-cluster` ``, `Gateway NS/NAME`).
    pub what: String,
    /// Why.
    pub state: UnreadState,
    /// The API server's message, or what went wrong.
    pub message: String,
    /// The verb of the request (`list`).
    pub verb: &'static str,
    /// The resource (plural, `secrets`).
    pub resource: String,
    /// Its API group (`""` for the core group).
    pub group: String,
    /// The namespace of the request; `null`: all namespaces.
    pub namespace: Option<String>,
    /// The kube context, when not the report's (the control plane's).
    pub context: Option<String>,
}

impl Unread {
    /// `resource.group`, as RBAC and `kubectl` name it.
    #[must_use]
    pub fn resource_name(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// One line: what, the request, and why (``the Helm release `runai/runai-cluster` (list
    /// secrets in all namespaces: forbidden)``).
    #[must_use]
    pub fn describe(&self) -> String {
        let scope = match &self.namespace {
            Some(ns) => format!("in namespace `{ns}`"),
            None => "in all namespaces".to_owned(),
        };
        let context = self.context.as_ref().map(|c| format!(" of context `{c}`")).unwrap_or_default();
        let why = match self.state {
            UnreadState::Forbidden => "forbidden".to_owned(),
            UnreadState::Failed => format!("failed: {}", self.message),
            UnreadState::Unreadable => format!("unreadable: {}", self.message),
        };
        format!("{} ({} {} {scope}{context}: {why})", self.what, self.verb, self.resource_name())
    }
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    /// One line.
    pub title: String,
    /// The command.
    pub command: Option<String>,
}

/// The whole diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// Version of the tool.
    pub tool_version: &'static str,
    /// kube context of the snapshot.
    pub context: Option<String>,
    /// The spec the cluster was compared with (after discovery).
    pub spec: Spec,
    /// Where the migration stands.
    pub phase: Phase,
    /// The reads the phase depends on that gave nothing to judge (then the phase is
    /// [`Phase::Unknown`]); empty otherwise.
    pub unread: Vec<Unread>,
    /// Findings, in catalog order.
    pub findings: Vec<Finding>,
    /// Checks that ran and found nothing.
    pub passed: Vec<&'static str>,
    /// Checks that could not run.
    pub skipped: Vec<Skipped>,
    /// What to do next.
    pub next_step: NextStep,
}

impl Report {
    /// The phase in words; an unknown one names what could not be read.
    #[must_use]
    pub fn phase_line(&self) -> String {
        if self.phase == Phase::Unknown && !self.unread.is_empty() {
            let names: Vec<String> = self.unread.iter().map(Unread::describe).collect();
            format!("unknown: cannot read {}", names.join("; "))
        } else {
            self.phase.describe().to_owned()
        }
    }

    /// The highest severity found, if any.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Findings at or above `level`.
    #[must_use]
    pub fn count_at_least(&self, level: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity >= level).count()
    }
}

/// Fills what the user did not say from what the cluster says: the Gateway Run:ai's values name,
/// the domains its listeners carry, Knative's domain. What the user said always wins.
#[must_use]
pub fn discover(input: &SpecInput, snapshot: &Snapshot) -> SpecInput {
    discover::discover(input, snapshot)
}

/// The reads discovery takes what the user did not say from (the Run:ai releases and
/// `runaiconfig`, the Gateway and its class, the Ingresses, Knative) that were forbidden or
/// failed, as ``secrets (forbidden)``: when the input cannot be completed, these say why, and
/// the phase is unknown rather than the input wrong.
#[must_use]
pub fn discovery_unread(snap: &Snapshot) -> Vec<String> {
    use crate::snapshot::{Kind, Source};
    [
        Kind::Secret,
        Kind::ControlPlaneRelease,
        Kind::RunaiConfig,
        Kind::Gateway,
        Kind::GatewayClass,
        Kind::Ingress,
        Kind::KnativeServing,
    ]
    .into_iter()
    .filter_map(|kind| match snap.source(kind) {
        Source::Forbidden { .. } => Some(format!("`{}` (forbidden)", kind.resource())),
        Source::Failed { message } => Some(format!("`{}` (failed: {message})", kind.resource())),
        _ => None,
    })
    .collect()
}

/// Runs every check. The suggested commands carry the flags that reproduce `spec` and the
/// snapshot's context; [`diagnose_with`] says how the user gave the input (`--config`).
#[must_use]
pub fn diagnose(spec: &Spec, snap: &Snapshot, now: i64) -> Report {
    let invocation = Invocation { context: snap.context.clone(), ..Invocation::default() };
    diagnose_with(spec, snap, now, &invocation)
}

/// Runs every check, in catalog order, then judges the phase and the next step; every suggested
/// command repeats `invocation` (its `--config`, its kube flags) and adds the flags for whatever
/// else `spec` needs, so that it resolves to `spec`.
///
/// `status` passes the snapshot's context as [`Invocation::context`], the cluster the report is
/// about, so that a live report and one from its snapshot file are the same.
#[must_use]
pub fn diagnose_with(spec: &Spec, snap: &Snapshot, now: i64, invocation: &Invocation) -> Report {
    let command = CommandLine::new(invocation, spec);
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
    crate::order::sort(&mut ingress_addresses);
    ingress_addresses.dedup();
    let mut cx = Cx {
        spec,
        snap,
        now,
        gateway,
        cluster,
        backend,
        started: false,
        ingress_addresses,
        command: &command,
    };
    cx.started = cx.gateway.is_some() || cx.gateway_api_on();

    let mut findings = Vec::new();
    let mut passed = Vec::new();
    let mut skipped = Vec::new();
    for m in CATALOG {
        match (m.run)(&cx) {
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
    let judged = phase::phase(&cx, dns_on_gateway);
    let unread = phase::unread(&cx, judged);
    let (phase, next_step) = if unread.is_empty() {
        (judged, phase::next_step(&cx, judged, &findings))
    } else {
        (Phase::Unknown, phase::unknown_next_step(&cx, &unread))
    };
    Report {
        schema: REPORT_SCHEMA,
        tool_version: crate::VERSION,
        context: snap.context.clone(),
        spec: spec.clone(),
        phase,
        unread,
        findings,
        passed,
        skipped,
        next_step,
    }
}
