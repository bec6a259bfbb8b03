//! `kubectl runai-gateway`: moves NVIDIA Run:ai from Ingress to the Kubernetes Gateway API.

mod apply;
mod cli;
mod commands;
mod exit;
mod input;
// Flattened by the commands that read the cluster; `render` refuses them.
mod kube_args;
mod output;
mod read;
mod runtime;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use crate::input::InputError;

fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` print to stdout and succeed; real usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage.into() } else { Exit::Success.into() };
        }
    };
    if let Err(err) = fold_namespace(&mut cli.command) {
        output::error(&anyhow::Error::new(err), output::stderr_color(cli.no_color));
        return Exit::Usage.into();
    }
    let result = match &cli.command {
        Command::Render(args) => commands::render::run(args, cli.no_color),
        Command::Status(args) => commands::status::run(args, cli.no_color),
        Command::Snapshot(args) => commands::snapshot::run(args, cli.no_color),
        Command::Apply(args) => commands::apply::run(args, cli.no_color),
        Command::Rollback(args) => commands::rollback::run(args, cli.no_color),
        Command::Completion(args) => commands::completion::run(args),
        Command::Version(args) => commands::version::run(args, cli.no_color),
        Command::Complete(args) => commands::complete::run(args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(err) => {
            output::error(&err, output::stderr_color(cli.no_color));
            exit_for(&err).into()
        }
    }
}

/// `-n` of the commands that read a cluster is the Gateway's namespace (see
/// [`kube_args::KubeArgs::fold_namespace`]); `status --from-file` refuses it instead.
fn fold_namespace(command: &mut Command) -> Result<(), kube_args::UsageError> {
    match command {
        Command::Status(a) if a.from_file.is_none() => a.kube.fold_namespace(&mut a.input),
        Command::Snapshot(a) => {
            a.kube.one_context("snapshot").and_then(|()| a.kube.fold_namespace(&mut a.input))
        }
        Command::Apply(a) => a.kube.one_context("apply").and_then(|()| a.kube.fold_namespace(&mut a.input)),
        Command::Rollback(a) => {
            a.kube.one_context("rollback").and_then(|()| a.kube.fold_namespace(&mut a.input))
        }
        Command::Version(a) => a.kube.one_context("version"),
        _ => Ok(()),
    }
}

/// Maps an error to its documented exit code.
fn exit_for(err: &anyhow::Error) -> Exit {
    if err.downcast_ref::<kube_args::UsageError>().is_some() {
        return Exit::Usage;
    }
    match err.downcast_ref::<InputError>() {
        Some(InputError::Unreadable { .. }) => Exit::UnreadableFile,
        Some(InputError::Malformed { .. } | InputError::Invalid(_) | InputError::NoRecord) => {
            Exit::InvalidInput
        }
        None => match err.downcast_ref::<commands::status::StatusError>() {
            Some(commands::status::StatusError::Unreachable(_)) => Exit::Unreachable,
            Some(commands::status::StatusError::Undiscovered { .. }) => Exit::PhaseUnknown,
            Some(commands::status::StatusError::SnapshotUnreadable { .. }) => Exit::UnreadableFile,
            Some(commands::status::StatusError::SnapshotInvalid { .. }) => Exit::InvalidInput,
            None => Exit::Failure,
        },
    }
}
