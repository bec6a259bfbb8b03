//! Running (or printing) `helm upgrade` for the Run:ai releases, against the cluster the plugin
//! talks to. (The deployed release is read from Helm's own storage by
//! [`crate::read::observe`], so no `helm` binary is needed to decide.)

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use runai_gateway_core::helm::{HelmUpgrade, shell_quote};

use crate::kube_args::KubeArgs;

/// `--helm PATH`, or `helm` on `PATH`.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("helm")).find(|p| p.is_file()))
}

/// The arguments after `helm` for `upgrade`, pinned to `version`, against the cluster the plugin
/// talks to: the same `--kubeconfig`, and `--kube-context` (the plugin's `--context` for the
/// cluster release; the control plane's context is in the upgrade itself).
pub fn args(upgrade: &HelmUpgrade, version: &str, kube: &KubeArgs) -> Vec<String> {
    let mut a = upgrade.args(version);
    if let Some(k) = &kube.kubeconfig {
        a.extend(["--kubeconfig".into(), k.display().to_string()]);
    }
    if upgrade.kube_context.is_none()
        && let Some(ctx) = kube.context()
    {
        a.extend(["--kube-context".into(), ctx.to_owned()]);
    }
    a
}

/// The command line as a user types it.
pub fn command_line(args: &[String]) -> String {
    let words: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    format!("helm {}", words.join(" "))
}

/// Runs `helm` with `args` within what is left of the command's deadline (`--timeout`); `Err`
/// with the tail of its output when it fails, or when the deadline passes (helm is then
/// stopped, and the release may be mid-upgrade: `helm history` shows it).
///
/// # Errors
/// helm could not be started, exited non-zero, or ran past the deadline.
pub fn run(helm: &Path, args: &[String]) -> Result<(), String> {
    let mut child = Command::new(helm)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", helm.display()))?;
    // Read stderr aside, so a chatty helm never blocks on a full pipe; keep its tail only.
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut tail = std::collections::VecDeque::new();
        if let Some(err) = stderr {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                tail.push_back(line);
                if tail.len() > 5 {
                    tail.pop_front();
                }
            }
        }
        tail.into_iter().collect::<Vec<_>>()
    });
    // On a terminal: `waiting for helm upgrade runai-cluster · 12s of 4m`, cleared on return.
    let what: Vec<&str> = args.iter().take(2).map(String::as_str).collect();
    let _progress = crate::read::spinner::Spinner::progress(
        &format!("waiting for helm {}", what.join(" ")),
        crate::read::deadline::left(),
    );
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if crate::read::deadline::passed() => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "helm was stopped: {} (the release may be mid-upgrade; `helm history` shows it)",
                    crate::read::deadline::message()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for helm: {e}")),
        }
    };
    let tail = reader.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    Err(format!("helm exited with {status}: {}", tail.join(" / ")))
}
