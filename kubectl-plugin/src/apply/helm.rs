//! Running (or printing) `helm upgrade` for the Run:ai releases, against the cluster the plugin
//! talks to. (The deployed release is read from Helm's own storage by
//! [`crate::read::observe`], so no `helm` binary is needed to decide.)

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Runs `helm` with `args`; `Err` with the tail of its output when it fails.
///
/// # Errors
/// helm could not be started or exited non-zero.
pub fn run(helm: &Path, args: &[String]) -> Result<(), String> {
    let out = Command::new(helm)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", helm.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = text.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("helm exited with {}: {}", out.status, tail.join(" / ")))
}
