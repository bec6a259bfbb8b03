//! Diagnostics: pure checks over (spec, snapshot, now), the migration phase and the next step.

pub mod catalog;
mod rules;

use serde::Serialize;

pub use catalog::{CATALOG, Category, CheckMeta, Severity};

use crate::fields::{CommandLine, Invocation};
use crate::snapshot::Snapshot;
use crate::spec::{Spec, SpecInput};

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
}

impl Phase {
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
        }
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
    rules::discover(input, snapshot)
}

/// Runs every check. The suggested commands carry the flags that reproduce `spec` and the
/// snapshot's context; [`diagnose_with`] says how the user gave the input (`--config`).
#[must_use]
pub fn diagnose(spec: &Spec, snapshot: &Snapshot, now: i64) -> Report {
    let invocation = Invocation { context: snapshot.context.clone(), ..Invocation::default() };
    diagnose_with(spec, snapshot, now, &invocation)
}

/// Runs every check; every suggested command repeats `invocation` (its `--config`, its kube
/// flags) and adds the flags for whatever else `spec` needs, so that it resolves to `spec`.
///
/// `status` passes the snapshot's context as [`Invocation::context`], the cluster the report is
/// about, so that a live report and one from its snapshot file are the same.
#[must_use]
pub fn diagnose_with(spec: &Spec, snapshot: &Snapshot, now: i64, invocation: &Invocation) -> Report {
    rules::diagnose(spec, snapshot, now, &CommandLine::new(invocation, spec))
}
