//! What the release needs to know about the workspace, read from `cargo metadata`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

use crate::targets::PACKAGE;

/// The workspace root, and the plugin package's version and repository.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory of the root `Cargo.toml`.
    pub root: PathBuf,
    /// The directory cargo builds into (`target/`, or `CARGO_TARGET_DIR`).
    pub target_dir: PathBuf,
    /// The plugin's version, without a `v`.
    pub version: String,
    /// The repository URL from `Cargo.toml`, without a trailing `/`.
    pub repository: String,
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    repository: Option<String>,
}

impl Workspace {
    /// Reads the workspace around the current directory.
    ///
    /// # Errors
    /// `cargo metadata` fails, or the plugin package or its repository is missing.
    pub fn load() -> Result<Self> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .output()
            .context("running `cargo metadata`")?;
        if !out.status.success() {
            bail!("`cargo metadata` failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        let meta: Metadata =
            serde_json::from_slice(&out.stdout).context("reading `cargo metadata` output")?;
        let package = meta
            .packages
            .into_iter()
            .find(|p| p.name == PACKAGE)
            .with_context(|| format!("package `{PACKAGE}` is not in the workspace"))?;
        let repository = package
            .repository
            .with_context(|| format!("package `{PACKAGE}` has no `repository`"))?
            .trim_end_matches('/')
            .to_owned();
        Ok(Self {
            root: meta.workspace_root,
            target_dir: meta.target_directory,
            version: package.version,
            repository,
        })
    }

    /// The git tag of this version: `v0.1.0`.
    #[must_use]
    pub fn tag(&self) -> String {
        format!("v{}", self.version)
    }

    /// Where a GitHub release of this version keeps its assets.
    #[must_use]
    pub fn default_base_url(&self) -> String {
        format!("{}/releases/download/{}", self.repository, self.tag())
    }

    /// The krew manifest template.
    #[must_use]
    pub fn template(&self) -> PathBuf {
        self.root.join("krew").join("runai-gateway.yaml.tmpl")
    }

    /// The LICENSE that goes into every archive.
    #[must_use]
    pub fn license(&self) -> PathBuf {
        self.root.join("LICENSE")
    }

    /// The completion script shipped for `target` (see [`Target::complete_script`]).
    #[must_use]
    pub fn complete_script(&self, target: crate::targets::Target) -> PathBuf {
        self.root.join("krew").join(target.complete_script())
    }
}
