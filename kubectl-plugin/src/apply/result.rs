//! `apply -o json|yaml` and `rollback -o json|yaml`: the run's report goes to stderr as it
//! happens, and stdout gets one document at the end: the decided actions (the core's
//! [`view`](runai_gateway_core::engine::view)), how far the run got with each, the exit code and
//! the command that continues. No secret data: the actions name secrets, never show them.

use clap::ValueEnum;
use runai_gateway_core::engine::{Action, view};
use serde_json::{Value, json};

use crate::exit::Exit;

/// `-o` of `apply` and `rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunOutput {
    /// One JSON document on stdout at the end; the report on stderr.
    Json,
    /// One YAML document on stdout at the end; the report on stderr.
    Yaml,
}

/// What the run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The real thing.
    Run,
    /// `--dry-run=server`: every write sent with `dryRun=All`.
    DryRunServer,
    /// `--dry-run=client` or `--diff`: nothing sent.
    Preview,
}

impl Mode {
    /// The mode of a run that got past its preview, with `--dry-run` `dry_run`.
    #[must_use]
    pub fn of(dry_run: Option<super::DryRun>) -> Self {
        if dry_run == Some(super::DryRun::Server) { Mode::DryRunServer } else { Mode::Run }
    }

    fn as_str(self) -> &'static str {
        match self {
            Mode::Run => "run",
            Mode::DryRunServer => "dry-run=server",
            Mode::Preview => "preview",
        }
    }
}

/// The status of each of `actions`: `planned` in a preview; else `done` for what was done,
/// `stopped` for the first action not done when the run ended early, `not-done` after it.
/// `progress` is the index the run stopped at (`actions.len()` when it did them all) and the
/// labels of the writes it did.
#[must_use]
pub fn statuses(actions: &[Action], progress: Option<(usize, &[String])>, exit: Exit) -> Vec<&'static str> {
    let Some((at, done)) = progress else { return vec!["planned"; actions.len()] };
    let mut stopped = exit == Exit::Success;
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let written = a.progress_label().is_some_and(|l| done.contains(&l));
            if written || i < at {
                "done"
            } else if !stopped {
                stopped = true;
                "stopped"
            } else {
                "not-done"
            }
        })
        .collect()
}

/// The document: `kind` (`ApplyResult` or `RollbackResult`), the cluster, the mode, the exit
/// code and its name, every action with its status, and the commands that continue.
#[must_use]
pub fn document(
    kind: &str,
    server: &str,
    mode: Mode,
    actions: &[Action],
    progress: Option<(usize, &[String])>,
    exit: Exit,
    next: &[(&str, String)],
) -> Value {
    let status = statuses(actions, progress, exit);
    let actions: Vec<Value> = actions
        .iter()
        .zip(status)
        .map(|(a, s)| {
            let mut v = view::action(a);
            v["status"] = json!(s);
            v
        })
        .collect();
    let mut doc = json!({
        "apiVersion": "runai-gateway/v1alpha1",
        "kind": kind,
        "cluster": server,
        "mode": mode.as_str(),
        "exitCode": exit as u8,
        "result": exit.name(),
        "actions": actions,
    });
    for (key, command) in next {
        doc[*key] = json!(command);
    }
    doc
}

/// Prints `doc` on stdout as `format` asks.
///
/// # Errors
/// The document cannot be written.
pub fn print(doc: &Value, format: RunOutput) -> anyhow::Result<()> {
    let text = match format {
        RunOutput::Json => serde_json::to_string_pretty(doc)? + "\n",
        RunOutput::Yaml => runai_gateway_core::yaml::to_string(doc)?,
    };
    crate::output::print(&text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use runai_gateway_core::engine::Action;

    fn actions() -> Vec<Action> {
        vec![
            Action::Preflight { permissions: Vec::new(), foreign: Vec::new() },
            Action::Verify { probe: false },
            Action::Verify { probe: true },
        ]
    }

    #[test]
    fn a_run_that_stopped_says_where_and_what_is_left() {
        let a = actions();
        assert_eq!(statuses(&a, None, Exit::Success), ["planned"; 3]);
        assert_eq!(statuses(&a, Some((3, &[])), Exit::Success), ["done"; 3]);
        assert_eq!(statuses(&a, Some((1, &[])), Exit::ManualStep), ["done", "stopped", "not-done"]);
        let doc = document(
            "ApplyResult",
            "https://x",
            Mode::Run,
            &a,
            Some((1, &[])),
            Exit::ManualStep,
            &[("continue", "kubectl runai-gateway apply --yes".into())],
        );
        assert_eq!(doc["exitCode"], 7);
        assert_eq!(doc["result"], "manual-step");
        assert_eq!(doc["actions"][1]["status"], "stopped");
        assert_eq!(doc["actions"][1]["stage"], "verify");
        assert_eq!(doc["continue"], "kubectl runai-gateway apply --yes");
    }
}
