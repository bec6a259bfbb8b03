//! What changed between two reports on the same cluster, and whether a report has reached what
//! `status --watch --until` waits for. The plugin reads the cluster each round; what counts as a
//! change, and how one is said in a line, is decided here.
//!
//! Findings are matched by check ID and subject (the resource concerned): a finding of the same
//! check on the same resource is the same problem, whose severity or message may change; one
//! that exists only before is resolved, one only after has appeared. When a check reports the
//! same resource more than once, identical findings pair first, then the rest in order.

use std::collections::BTreeMap;
use std::fmt;

use super::{Finding, Phase, Report, Severity};

/// One difference between two rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The migration moved to another phase.
    Phase {
        /// Phase of the previous round.
        from: Phase,
        /// Phase now.
        to: Phase,
    },
    /// A finding that was not there.
    Appeared(Finding),
    /// A finding that is gone.
    Resolved(Finding),
    /// The same check on the same subject, at another severity.
    Severity {
        /// The severity of the previous round.
        from: Severity,
        /// The finding now.
        finding: Finding,
    },
    /// The same check on the same subject at the same severity, saying something else (another
    /// reason, another count of days).
    Reworded(Finding),
}

/// What a finding is about, for a line: the resource, or `-` when there is none.
fn subject(f: &Finding) -> &str {
    f.resource.as_deref().unwrap_or("-")
}

impl fmt::Display for Change {
    /// One line: `phase: ingress-only → gateway-prepared`, `+ error ID SUBJECT: MESSAGE`,
    /// `- resolved ID SUBJECT`, `~ warning→error ID SUBJECT: MESSAGE`, `~ warning ID SUBJECT: MESSAGE`.
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Phase { from, to } => write!(out, "phase: {} → {}", from.name(), to.name()),
            Change::Appeared(f) => {
                write!(out, "+ {} {} {}: {}", f.severity.as_str(), f.id, subject(f), f.message)
            }
            Change::Resolved(f) => write!(out, "- resolved {} {}", f.id, subject(f)),
            Change::Severity { from, finding: f } => write!(
                out,
                "~ {}→{} {} {}: {}",
                from.as_str(),
                f.severity.as_str(),
                f.id,
                subject(f),
                f.message
            ),
            Change::Reworded(f) => {
                write!(out, "~ {} {} {}: {}", f.severity.as_str(), f.id, subject(f), f.message)
            }
        }
    }
}

impl Change {
    /// Whether the change makes things worse (a finding appeared, a severity rose): a terminal
    /// shows it in red, the others in green or plain.
    #[must_use]
    pub fn worse(&self) -> bool {
        match self {
            Change::Appeared(_) => true,
            Change::Severity { from, finding } => finding.severity > *from,
            Change::Phase { .. } | Change::Resolved(_) | Change::Reworded(_) => false,
        }
    }
}

/// Everything that differs from `before` to `after`: the phase first, then the findings in the
/// order of `after` (resolved ones, which `after` lacks, in the order of `before`, last).
#[must_use]
pub fn changes(before: &Report, after: &Report) -> Vec<Change> {
    let mut out = Vec::new();
    if before.phase != after.phase {
        out.push(Change::Phase { from: before.phase, to: after.phase });
    }
    let key = |f: &Finding| (f.id, f.resource.clone());
    // The previous round's findings of each (check, subject), not yet matched.
    let mut open: BTreeMap<(&str, Option<String>), Vec<&Finding>> = BTreeMap::new();
    for f in &before.findings {
        open.entry(key(f)).or_default().push(f);
    }
    // Identical findings pair first, so that a reordering is no change.
    let mut unmatched = Vec::new();
    for f in &after.findings {
        let same = open.get_mut(&key(f)).and_then(|olds| {
            let i = olds.iter().position(|o| o.severity == f.severity && o.message == f.message)?;
            Some(olds.remove(i))
        });
        if same.is_none() {
            unmatched.push(f);
        }
    }
    for f in unmatched {
        let old = open.get_mut(&key(f)).and_then(|olds| (!olds.is_empty()).then(|| olds.remove(0)));
        out.push(match old {
            None => Change::Appeared(f.clone()),
            Some(o) if o.severity != f.severity => Change::Severity { from: o.severity, finding: f.clone() },
            Some(_) => Change::Reworded(f.clone()),
        });
    }
    let gone: Vec<&Finding> = open.into_values().flatten().collect();
    for f in &before.findings {
        if gone.iter().any(|g| std::ptr::eq(*g, f)) {
            out.push(Change::Resolved(f.clone()));
        }
    }
    out
}

/// What `status --watch --until` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The migration is in this phase.
    Phase(Phase),
    /// No finding is an error.
    Healthy,
}

impl Target {
    /// The names `--until` accepts: every phase, and `healthy`.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Phase::ALL.into_iter().map(Phase::name).chain(["healthy"])
    }

    /// Parses an `--until` value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Target> {
        if s == "healthy" {
            return Some(Target::Healthy);
        }
        Phase::ALL.into_iter().find(|p| p.name() == s).map(Target::Phase)
    }

    /// Whether `report` is there.
    #[must_use]
    pub fn reached(self, report: &Report) -> bool {
        match self {
            Target::Phase(p) => report.phase == p,
            Target::Healthy => report.count_at_least(Severity::Error) == 0,
        }
    }

    /// The name, as given to `--until`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Target::Phase(p) => p.name(),
            Target::Healthy => "healthy",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Category, NextStep, REPORT_SCHEMA};
    use crate::spec::{Spec, SpecInput};

    fn spec() -> Spec {
        let input = SpecInput { cluster_domain: Some("runai.example.com".into()), ..SpecInput::default() };
        input.resolve().expect("a valid spec")
    }

    fn report(phase: Phase, findings: Vec<Finding>) -> Report {
        Report {
            schema: REPORT_SCHEMA,
            tool_version: crate::VERSION,
            context: Some("prod".into()),
            spec: spec(),
            phase,
            unread: Vec::new(),
            findings,
            passed: Vec::new(),
            skipped: Vec::new(),
            next_step: NextStep { title: "next".into(), command: None },
        }
    }

    fn finding(id: &'static str, severity: Severity, resource: Option<&str>, message: &str) -> Finding {
        Finding {
            id,
            category: Category::Gateway,
            severity,
            resource: resource.map(str::to_owned),
            message: message.into(),
            hint: "why".into(),
            fix: None,
            doc: "docs".into(),
        }
    }

    const GW: Option<&str> = Some("Gateway runai/runai-gateway");

    #[test]
    fn the_same_report_is_no_change() {
        let a =
            report(Phase::GatewayPrepared, vec![finding("gateway-not-programmed", Severity::Error, GW, "m")]);
        assert_eq!(changes(&a, &a.clone()), []);
    }

    #[test]
    fn a_phase_change_comes_first_and_reads_from_to() {
        let a = report(Phase::RunaiIntroduced, vec![]);
        let b = report(Phase::DnsSwitched, vec![finding("x", Severity::Warning, None, "m")]);
        let c = changes(&a, &b);
        assert_eq!(c[0], Change::Phase { from: Phase::RunaiIntroduced, to: Phase::DnsSwitched });
        assert_eq!(c[0].to_string(), "phase: runai-introduced → dns-switched");
        assert_eq!(c[1].to_string(), "+ warning x -: m");
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn findings_appear_resolve_and_change_severity_by_check_and_subject() {
        let a = report(
            Phase::GatewayPrepared,
            vec![
                finding("gateway-not-programmed", Severity::Error, GW, "not programmed"),
                finding("cert-expiring", Severity::Warning, Some("Secret runai/tls"), "expires in 20 days"),
                finding("allowed-routes-open", Severity::Info, GW, "open"),
            ],
        );
        let b = report(
            Phase::GatewayPrepared,
            vec![
                finding("cert-expiring", Severity::Error, Some("Secret runai/tls"), "expires in 20 days"),
                finding("allowed-routes-open", Severity::Info, GW, "open to all namespaces"),
                finding("routes-not-accepted", Severity::Error, Some("HTTPRoute runai/x"), "refused"),
            ],
        );
        let lines: Vec<String> = changes(&a, &b).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "~ warning→error cert-expiring Secret runai/tls: expires in 20 days",
                "~ info allowed-routes-open Gateway runai/runai-gateway: open to all namespaces",
                "+ error routes-not-accepted HTTPRoute runai/x: refused",
                "- resolved gateway-not-programmed Gateway runai/runai-gateway",
            ]
        );
        let worse: Vec<bool> = changes(&a, &b).iter().map(Change::worse).collect();
        assert_eq!(worse, [true, false, true, false]);
    }

    #[test]
    fn the_same_check_on_another_subject_is_another_finding() {
        let a = report(
            Phase::GatewayPrepared,
            vec![finding("secret-missing", Severity::Error, Some("Secret a"), "m")],
        );
        let b = report(
            Phase::GatewayPrepared,
            vec![finding("secret-missing", Severity::Error, Some("Secret b"), "m")],
        );
        let lines: Vec<String> = changes(&a, &b).iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["+ error secret-missing Secret b: m", "- resolved secret-missing Secret a"]);
    }

    #[test]
    fn repeated_findings_of_one_subject_pair_identical_ones_first_and_ignore_order() {
        let one = finding("listener-missing", Severity::Error, GW, "no https listener");
        let two = finding("listener-missing", Severity::Error, GW, "no http listener");
        let a = report(Phase::GatewayPrepared, vec![one.clone(), two.clone()]);
        let b = report(Phase::GatewayPrepared, vec![two.clone(), one.clone()]);
        assert_eq!(changes(&a, &b), []);
        let c = report(Phase::GatewayPrepared, vec![two]);
        assert_eq!(changes(&a, &c), [Change::Resolved(one)]);
    }

    #[test]
    fn until_names_every_phase_and_healthy() {
        for p in Phase::ALL {
            let json = serde_json::to_value(p).expect("a phase serializes");
            assert_eq!(json.as_str(), Some(p.name()), "the CLI name is the JSON name");
            assert_eq!(Target::parse(p.name()), Some(Target::Phase(p)));
            assert!(Target::names().any(|n| n == p.name()));
        }
        assert_eq!(Target::parse("healthy"), Some(Target::Healthy));
        assert_eq!(Target::parse("gateway-ready"), None);
        for n in Target::names() {
            assert_eq!(Target::parse(n).map(Target::name), Some(n));
        }
        assert_eq!(Target::names().count(), Phase::ALL.len() + 1);
    }

    #[test]
    fn healthy_is_no_error_and_a_phase_is_that_phase() {
        let warned = report(Phase::DnsSwitched, vec![finding("x", Severity::Warning, None, "m")]);
        let broken = report(Phase::DnsSwitched, vec![finding("x", Severity::Error, None, "m")]);
        assert!(Target::Healthy.reached(&warned));
        assert!(!Target::Healthy.reached(&broken));
        assert!(Target::Phase(Phase::DnsSwitched).reached(&broken));
        assert!(!Target::Phase(Phase::IngressDisabled).reached(&warned));
    }
}
