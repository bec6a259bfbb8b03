//! `status --context a --context b …` and `status --all-contexts`: several clusters, read
//! concurrently (at most [`PARALLEL`] at once, each bounded by its own `--timeout`), one summary
//! row per context, then each cluster's findings. A context that cannot be read is a row with
//! the reason; the exit code is the worst: 6 when any context was not read, else 5 when any has
//! findings at or above `--fail-on`, else 0.

use std::sync::Mutex;

use kube::config::Kubeconfig;
use runai_gateway_core::checks::{Phase, Severity};
use runai_gateway_core::render::ReportFormat;
use runai_gateway_core::render::fleet::{Fleet, FleetEntry, render_fleet};

use crate::cli::{FailOn, StatusArgs};
use crate::exit::Exit;
use crate::kube_args::{UsageError, error_chain};
use crate::output;

/// Clusters read at the same time.
pub const PARALLEL: usize = 4;

/// Whether `status` was asked for several clusters.
#[must_use]
pub fn wanted(args: &StatusArgs) -> bool {
    args.all_contexts || args.kube.context.len() > 1
}

/// The contexts to read: `--all-contexts` is every context of the kubeconfig, in its order.
fn contexts(args: &StatusArgs) -> anyhow::Result<Vec<String>> {
    if !args.all_contexts {
        return Ok(args.kube.context.clone());
    }
    let kubeconfig = match &args.kube.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|e| crate::read::StatusError::Unreachable(format!("kubeconfig: {}", error_chain(&e))))?;
    let names: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    anyhow::ensure!(
        !names.is_empty(),
        crate::read::StatusError::Unreachable("the kubeconfig names no context".into())
    );
    Ok(names)
}

/// Runs `status` over several contexts.
///
/// # Errors
/// Usage errors (with `--from-file`, `--save-snapshot`), an unreadable kubeconfig, output errors.
pub fn run(args: &StatusArgs, no_color: bool) -> anyhow::Result<Exit> {
    if args.from_file.is_some() || args.save_snapshot.is_some() {
        return Err(UsageError(
            "several contexts (--all-contexts or --context given more than once) are read live, one report each: drop --from-file and --save-snapshot, or give one --context".into(),
        )
        .into());
    }
    if args.all_contexts && !args.kube.context.is_empty() {
        return Err(UsageError("--all-contexts reads every context of the kubeconfig: drop --context, or --all-contexts to read only those named".into()).into());
    }
    let names = contexts(args)?;
    let color = output::stderr_color(no_color);
    let entries = read_all(&names, |name| {
        let kube = args.kube.for_context(name);
        match super::status::live_report(args, &kube, color) {
            Ok(report) => FleetEntry { context: name.to_owned(), report: Some(report), error: None },
            Err(e) => FleetEntry { context: name.to_owned(), report: None, error: Some(one_line(&e)) },
        }
    });
    let fleet = Fleet::new(entries);
    let format = super::status::report_format(args);
    let width = output::width(args.width);
    let format = if format == ReportFormat::Table && args.verbose { ReportFormat::Wide } else { format };
    output::print(&render_fleet(&fleet, format, output::stdout_color(no_color), width))?;
    Ok(exit_of(&fleet, args.fail_on))
}

fn one_line(e: &anyhow::Error) -> String {
    e.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

/// The worst of the contexts' exit codes.
fn exit_of(fleet: &Fleet, fail_on: FailOn) -> Exit {
    let threshold = match fail_on {
        FailOn::Warning => Severity::Warning,
        FailOn::Error => Severity::Error,
    };
    if fleet.reports.iter().any(|e| e.report.is_none()) {
        Exit::Unreachable
    } else if fleet.reports.iter().flat_map(|e| &e.report).any(|r| r.phase == Phase::Unknown) {
        Exit::PhaseUnknown
    } else if fleet.reports.iter().flat_map(|e| &e.report).any(|r| r.count_at_least(threshold) > 0) {
        Exit::Findings
    } else {
        Exit::Success
    }
}

/// `read` for every name, at most [`PARALLEL`] at once, results in the order of `names`.
fn read_all(names: &[String], read: impl Fn(&str) -> FleetEntry + Sync) -> Vec<FleetEntry> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<FleetEntry>>> = Mutex::new(vec![None; names.len()]);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(names.len()) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let Ok(mut n) = next.lock() else { return };
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(name) = names.get(i) else { return };
                    let entry = read(name);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(entry);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default().into_iter().flatten().collect()
}
