//! Exit codes: one meaning each, documented in `--help` and the README.

use std::process::ExitCode;

/// Why the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked.
    Success = 0,
    /// An unexpected failure (a bug, or an I/O error writing the output).
    Failure = 1,
    /// The command line is wrong (unknown flag, bad value); clap uses 2 as well.
    Usage = 2,
    /// The input (flags or config file) is invalid; nothing was computed or changed.
    InvalidInput = 3,
    /// An input file cannot be read (missing, unreadable, not UTF-8).
    UnreadableFile = 4,
    /// `status` found problems at or above `--fail-on`.
    Findings = 5,
    /// The cluster cannot be reached (no kubeconfig, connection refused, authentication failed).
    Unreachable = 6,
    /// `apply`/`rollback` stopped at a step only a human can do (helm absent, DNS not switched,
    /// the Gateway not ready yet); re-running continues.
    ManualStep = 7,
    /// `apply`/`rollback` stopped after a write failed partway; the report says what was done.
    Partial = 8,
    /// `apply` preflight refused: a prerequisite or a permission is missing; `rollback`: a
    /// permission it needs is missing (each listed); nothing was changed.
    Refused = 9,
    /// Server-side apply conflict: another field manager owns a field (`--force-conflicts`).
    Conflict = 10,
    /// The confirmation was declined (or no terminal and no `--yes`); nothing was changed.
    Aborted = 11,
    /// `apply`/`rollback`: another run holds the cluster's lock; nothing was changed.
    Locked = 12,
    /// `status`: the phase is unknown, a read it depends on was forbidden or failed (the report
    /// names each and the permission it needs); no next step was judged from missing data.
    PhaseUnknown = 13,
}

impl Exit {
    /// The exit code's name in `-o json|yaml` documents (`manual-step`, `partial`…).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Exit::Success => "success",
            Exit::Failure => "failure",
            Exit::Usage => "usage",
            Exit::InvalidInput => "invalid-input",
            Exit::UnreadableFile => "unreadable-file",
            Exit::Findings => "findings",
            Exit::Unreachable => "unreachable",
            Exit::ManualStep => "manual-step",
            Exit::Partial => "partial",
            Exit::Refused => "refused",
            Exit::Conflict => "conflict",
            Exit::Aborted => "aborted",
            Exit::Locked => "locked",
            Exit::PhaseUnknown => "phase-unknown",
        }
    }
}

/// The documented exit code of an error a command returned.
#[must_use]
pub fn for_error(err: &anyhow::Error) -> Exit {
    use crate::commands::status::StatusError;
    use crate::input::InputError;
    if err.downcast_ref::<crate::kube_args::UsageError>().is_some() {
        return Exit::Usage;
    }
    match err.downcast_ref::<InputError>() {
        Some(InputError::Unreadable { .. }) => Exit::UnreadableFile,
        Some(InputError::Malformed { .. } | InputError::Invalid(_) | InputError::NoRecord) => {
            Exit::InvalidInput
        }
        None => match err.downcast_ref::<StatusError>() {
            Some(StatusError::Unreachable(_)) => Exit::Unreachable,
            Some(StatusError::Undiscovered { .. }) => Exit::PhaseUnknown,
            Some(StatusError::SnapshotUnreadable { .. }) => Exit::UnreadableFile,
            Some(StatusError::SnapshotInvalid { .. }) => Exit::InvalidInput,
            None => Exit::Failure,
        },
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// The table shown at the end of `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected failure
  2  usage error (unknown flag, bad flag value)
  3  invalid input: nothing was computed or changed (the error names the field and the fix)
  4  an input file cannot be read
  5  status: findings at or above --fail-on (default: error)
  6  the cluster cannot be reached (kubeconfig, connection, authentication)
  7  apply/rollback: stopped at a manual step (helm absent, DNS not switched, Gateway not ready)
  8  apply/rollback: a write failed partway; the report lists what was applied
  9  apply: preflight refused (missing prerequisite or permission, an object not made by this
     tool without --adopt); rollback: a permission it needs (a read or a write) is missing;
     every one missing is listed at once; nothing was changed
  10 apply: server-side apply conflict with another field manager (see --force-conflicts)
  11 apply/rollback: not confirmed (declined, or no terminal and no --yes); nothing was changed
  12 apply/rollback: another run holds the lock (Lease runai-gateway-lock); nothing was changed
  13 status: the phase is unknown: a read it depends on was forbidden or failed (the report
     names each read and the permission it needs)
Each command's --help lists the codes that command uses.

kubectl passes no global flags placed before the plugin name: write
`kubectl runai-gateway render --config FILE`, not `kubectl --kubeconfig X runai-gateway`.";
