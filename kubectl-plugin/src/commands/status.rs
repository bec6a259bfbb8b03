//! `kubectl runai-gateway status`: where the migration stands, what is wrong, what to do next.
//!
//! Reading and judging are separate: the snapshot comes from the live cluster
//! ([`crate::read::snapshot`]) or from a file, and the checks are the core's pure functions over it, so
//! a live run and `--from-file` on its snapshot give the same report.

use std::path::Path;

use anyhow::Context as _;

use runai_gateway_core::checks::{Phase, Report, Severity, diagnose_with, discover};
use runai_gateway_core::fields::Invocation;
use runai_gateway_core::ingest::snapshot_from_text;
use runai_gateway_core::render::catalog::{catalog_document, catalog_json};
use runai_gateway_core::render::{ReportFormat, catalog_table, render_report_width};
use runai_gateway_core::snapshot::Snapshot;
use runai_gateway_core::spec::SpecInput;

use crate::cli::{FailOn, StatusArgs, StatusOutput};
use crate::exit::Exit;
use crate::input::{InputError, read_input};
use crate::output;

pub use crate::read::StatusError;

/// Reads a snapshot file (the output of `snapshot`, or a `kubectl get -o yaml` List).
///
/// # Errors
/// [`StatusError::SnapshotUnreadable`] or [`StatusError::SnapshotInvalid`].
pub fn read_snapshot(path: &Path, input: &SpecInput) -> Result<Snapshot, StatusError> {
    let text = crate::read::bounded::read_text(path, crate::read::bounded::SNAPSHOT_CAP)
        .map_err(|source| StatusError::SnapshotUnreadable { path: path.to_owned(), source })?;
    let names = input.release_names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    snapshot_from_text(&text, &names)
        .map_err(|e| StatusError::SnapshotInvalid { path: path.to_owned(), message: e.to_string() })
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The live snapshot of the cluster `kube` picks.
fn live_snapshot(
    args: &StatusArgs,
    kube: &crate::kube_args::KubeArgs,
    input: &SpecInput,
    color: bool,
) -> Result<Snapshot, StatusError> {
    let options = crate::read::snapshot::Options {
        kube,
        dns_server: args.dns_server.as_deref(),
        probe: args.probe,
        probe_address: args.probe_address.as_deref(),
        timeout: args.timeout.0,
        dns: true,
        watch_cache: true,
    };
    crate::read::snapshot::live(&options, input, color)
}

/// The report on `snapshot`: the input completed from what the cluster says, every check.
fn judge(
    args: &StatusArgs,
    input: &SpecInput,
    config: Option<runai_gateway_core::fields::ConfigLayer>,
    snapshot: &Snapshot,
) -> anyhow::Result<Report> {
    let spec = match discover(input, snapshot).resolve() {
        Ok(spec) => spec,
        Err(e) => {
            let unread = runai_gateway_core::checks::discovery_unread(snapshot);
            let input = InputError::from(e);
            if unread.is_empty() {
                return Err(input.into());
            }
            return Err(
                StatusError::Undiscovered { unread: unread.join(", "), input: input.to_string() }.into()
            );
        }
    };
    // The suggested commands repeat the config layer and name the context the snapshot was read
    // from (not a local `--kubeconfig`): a live report and one from its snapshot file are the same.
    let invocation = Invocation { config, kubeconfig: None, context: snapshot.context.clone() };
    Ok(diagnose_with(&spec, snapshot, args.now.unwrap_or_else(now_unix), &invocation))
}

/// The live report on the cluster `kube` picks (one context of a fleet, one round of `--watch`).
///
/// # Errors
/// Input errors and an unreachable cluster.
pub fn live_report(
    args: &StatusArgs,
    kube: &crate::kube_args::KubeArgs,
    color: bool,
) -> anyhow::Result<Report> {
    let (input, config) = read_input(&args.input)?;
    let snapshot = live_snapshot(args, kube, &input, color)?;
    judge(args, &input, config, &snapshot)
}

/// `-o` as the core's report format.
#[must_use]
pub fn report_format(args: &StatusArgs) -> ReportFormat {
    match args.output {
        StatusOutput::Table => ReportFormat::Table,
        StatusOutput::Wide => ReportFormat::Wide,
        StatusOutput::Json => ReportFormat::Json,
        StatusOutput::Yaml => ReportFormat::Yaml,
        StatusOutput::Markdown => ReportFormat::Markdown,
        StatusOutput::Html => ReportFormat::Html,
    }
}

/// Runs `status`.
///
/// # Errors
/// Input errors, an unreadable snapshot, an unreachable cluster.
pub fn run(args: &StatusArgs, no_color: bool) -> anyhow::Result<Exit> {
    if args.watch {
        return crate::commands::watch::run(args, no_color);
    }
    if args.list_checks {
        output::print(&match args.output {
            StatusOutput::Table | StatusOutput::Wide => catalog_table(),
            StatusOutput::Json => catalog_json(),
            StatusOutput::Yaml => runai_gateway_core::yaml::to_string(&catalog_document())?,
            StatusOutput::Markdown => runai_gateway_core::render::catalog_markdown(),
            StatusOutput::Html => {
                return Err(crate::kube_args::UsageError(
                    "`status --list-checks` prints the catalog as a table, JSON, YAML or Markdown, not HTML: use -o markdown".to_owned(),
                )
                .into());
            }
        })?;
        return Ok(Exit::Success);
    }
    if args.from_file.is_some() {
        // `--context` may name the snapshot's own context (a suggested command copied from its
        // report); any other is refused once the snapshot is read.
        let kube = crate::kube_args::KubeArgs { context: Vec::new(), ..args.kube.clone() };
        kube.refuse(
            "`status --from-file`",
            "The report on a file names the context the snapshot was read from; to read a cluster, drop --from-file.",
        )?;
    }
    if crate::commands::fleet::wanted(args) {
        return crate::commands::fleet::run(args, no_color);
    }
    let (input, config) = read_input(&args.input)?;
    let snapshot = match &args.from_file {
        Some(path) => {
            let snapshot = read_snapshot(path, &input)?;
            if let Some(given) = args.kube.context()
                && snapshot.context.as_deref() != Some(given)
            {
                return Err(crate::kube_args::UsageError(format!(
                    "`status --from-file` reads no cluster, and --context `{given}` is not the context the snapshot was read from ({}): remove it to diagnose the file, or drop --from-file to read that cluster",
                    snapshot.context.as_deref().map_or("none recorded".to_owned(), |c| format!("`{c}`"))
                ))
                .into());
            }
            snapshot
        }
        None => live_snapshot(args, &args.kube, &input, output::stderr_color(no_color))?,
    };
    if let Some(path) = &args.save_snapshot {
        let text = runai_gateway_core::yaml::to_string(&snapshot)?;
        std::fs::write(path, text)
            .with_context(|| format!("writing the snapshot to `{}`", path.display()))?;
    }
    let report = judge(args, &input, config, &snapshot)?;
    let format = human_format(args);
    let width = output::width(args.width);
    output::print(&render_report_width(&report, format, output::stdout_color(no_color), width))?;
    Ok(exit_of(&report, args.fail_on))
}

/// [`report_format`], with `-v` making the table the wide one.
#[must_use]
pub fn human_format(args: &StatusArgs) -> ReportFormat {
    match report_format(args) {
        ReportFormat::Table if args.verbose => ReportFormat::Wide,
        other => other,
    }
}

/// The exit code of a report: 13 when the phase is unknown, else 5 with findings at or above
/// `--fail-on`, else 0.
#[must_use]
pub fn exit_of(report: &Report, fail_on: FailOn) -> Exit {
    let threshold = match fail_on {
        FailOn::Warning => Severity::Warning,
        FailOn::Error => Severity::Error,
    };
    if report.phase == Phase::Unknown {
        Exit::PhaseUnknown
    } else if report.count_at_least(threshold) > 0 {
        Exit::Findings
    } else {
        Exit::Success
    }
}
