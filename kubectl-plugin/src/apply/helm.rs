//! The Run:ai releases: reading the deployed one, and running (or printing) `helm upgrade`.
//!
//! The release is read from Helm's own storage (the `sh.helm.release.v1.*` Secrets, labels
//! `owner=helm,name=<release>`), the way `helm get values` reads it, so that no `helm` binary is
//! needed to know the deployed chart version and values. Only the keys this tool sets are ever
//! looked at or printed; the rest of the values (client secrets) never leave this module.

use std::path::{Path, PathBuf};
use std::process::Command;

use runai_gateway_core::helm::{HelmUpgrade, shell_quote};
use runai_gateway_core::state::release_json;
use serde_json::Value;

use super::kube::{Failure, Kube, collection};
use crate::kube_args::KubeArgs;

/// The deployed revision of a release.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// Revision number.
    pub revision: i64,
    /// Chart version (pinned on every upgrade).
    pub chart_version: String,
    /// User-supplied values (`helm get values`).
    pub values: Value,
    /// The chart's default values (`helm show values` of the deployed chart).
    pub chart_values: Value,
}

/// The deployed revision of `release` in `namespace`; `None` when there is none.
///
/// # Errors
/// The secrets cannot be listed.
pub fn deployed(kube: &Kube, release: &str, namespace: &str) -> Result<Option<Deployed>, Failure> {
    let secrets = kube.list(
        &collection("v1", "secrets", namespace),
        &[("labelSelector", format!("owner=helm,name={release}"))],
    )?;
    let mut best: Option<Deployed> = None;
    for s in &secrets {
        if s["metadata"]["labels"]["status"].as_str() != Some("deployed") {
            continue;
        }
        let Some(rel) = release_json(s) else { continue };
        let revision = rel["version"].as_i64().unwrap_or_default();
        if best.as_ref().is_none_or(|b| b.revision < revision) {
            best = Some(Deployed {
                revision,
                chart_version: rel["chart"]["metadata"]["version"].as_str().unwrap_or_default().to_owned(),
                values: rel["config"].clone(),
                chart_values: rel["chart"]["values"].clone(),
            });
        }
    }
    Ok(best)
}

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
        && let Some(ctx) = &kube.context
    {
        a.extend(["--kube-context".into(), ctx.clone()]);
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
