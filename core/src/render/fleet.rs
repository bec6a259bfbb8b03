//! Several clusters at once (`status --context a --context b`, `--all-contexts`): one summary
//! row per context, then each cluster's report.

use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::{Report, Severity};

use super::{ReportFormat, render_report_width, table};

/// Version of the fleet document.
pub const FLEET_SCHEMA: &str = "runai-gateway.fleet/v1";

/// What one context gave: its report, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetEntry {
    /// The kubeconfig context.
    pub context: String,
    /// The diagnosis (schema `runai-gateway.report/v1`), when the cluster could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// Why it could not be read or judged (unreachable, invalid input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The fleet document: one entry per context, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fleet {
    /// [`FLEET_SCHEMA`].
    pub schema: &'static str,
    /// One per context.
    pub reports: Vec<FleetEntry>,
}

impl Fleet {
    /// The entries, under the schema.
    #[must_use]
    pub fn new(reports: Vec<FleetEntry>) -> Self {
        Fleet { schema: FLEET_SCHEMA, reports }
    }
}

pub(crate) fn phase_name(report: &Report) -> String {
    report.phase.name().to_owned()
}

/// Renders the fleet: `Json`/`Yaml` as one document; the table as the summary
/// (context, phase, errors, warnings, next step) and then each report, `Wide` ones listing
/// skipped checks.
#[must_use]
pub fn render_fleet(fleet: &Fleet, format: ReportFormat, color: bool, width: Option<usize>) -> String {
    match format {
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(fleet).unwrap_or_default();
            s.push('\n');
            s
        }
        ReportFormat::Yaml => crate::yaml::to_string(fleet).unwrap_or_default(),
        ReportFormat::Markdown => super::ticket::fleet_markdown(fleet),
        ReportFormat::Html => super::ticket::fleet_html(fleet),
        ReportFormat::Table | ReportFormat::Wide => {
            let mut out = fleet_summary(fleet, width);
            for entry in &fleet.reports {
                let _ = writeln!(out, "\n=== context {} ===", entry.context);
                match (&entry.report, &entry.error) {
                    (Some(report), _) => out.push_str(&render_report_width(report, format, color, width)),
                    (None, Some(error)) => {
                        let _ = writeln!(out, "not read: {error}");
                    }
                    (None, None) => {}
                }
            }
            out
        }
    }
}

/// The summary table alone.
#[must_use]
pub fn fleet_summary(fleet: &Fleet, width: Option<usize>) -> String {
    let rows = fleet
        .reports
        .iter()
        .map(|e| match (&e.report, &e.error) {
            (Some(r), _) => {
                let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count().to_string();
                vec![
                    e.context.clone(),
                    phase_name(r),
                    count(Severity::Error),
                    count(Severity::Warning),
                    r.next_step.title.clone(),
                ]
            }
            (None, error) => vec![
                e.context.clone(),
                "not read".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                error.clone().unwrap_or_default(),
            ],
        })
        .collect();
    let mut s = table(&["CONTEXT", "PHASE", "ERRORS", "WARNINGS", "NEXT STEP"], rows, width);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
