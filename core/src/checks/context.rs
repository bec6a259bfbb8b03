//! What every check gets: the context [`Cx`] and its helpers, and the [`Outcome`] a check
//! returns.

use std::collections::BTreeMap;

use super::Severity;
use crate::snapshot::{Gateway, HelmRelease, Kind, RunaiSettings, Snapshot, Source};
use crate::spec::Spec;

/// A check's result.
pub(super) enum Outcome {
    Pass,
    Found(Vec<Draft>),
    Skip(String),
}

/// A finding before the catalog fills in category, doc and default severity.
pub(super) struct Draft {
    pub(super) severity: Option<Severity>,
    pub(super) resource: Option<String>,
    pub(super) message: String,
    pub(super) hint: Option<String>,
    pub(super) fix: Option<String>,
}

pub(super) fn draft(resource: impl Into<Option<String>>, message: impl Into<String>) -> Draft {
    Draft { severity: None, resource: resource.into(), message: message.into(), hint: None, fix: None }
}

impl Draft {
    pub(super) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
    pub(super) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub(super) fn severity(mut self, s: Severity) -> Self {
        self.severity = Some(s);
        self
    }
}

pub(super) fn found(drafts: Vec<Draft>) -> Outcome {
    if drafts.is_empty() { Outcome::Pass } else { Outcome::Found(drafts) }
}

/// Everything a check may look at.
pub(super) struct Cx<'a> {
    pub(super) spec: &'a Spec,
    pub(super) snap: &'a Snapshot,
    pub(super) now: i64,
    pub(super) gateway: Option<&'a Gateway>,
    pub(super) cluster: Option<&'a HelmRelease>,
    pub(super) backend: Option<&'a HelmRelease>,
    /// The migration has begun (a Gateway exists or Run:ai was told to use one): missing
    /// pieces are then errors, before it they are the next steps.
    pub(super) started: bool,
    pub(super) ingress_addresses: Vec<String>,
    /// What every suggested command repeats.
    pub(super) command: &'a crate::fields::CommandLine,
}

impl Cx<'_> {
    pub(super) fn gw_ref(&self) -> String {
        format!("Gateway {}/{}", self.spec.gateway_namespace, self.spec.gateway_name)
    }

    /// `Error` once the migration started, `Info` before (a step not taken yet).
    pub(super) fn todo(&self) -> Severity {
        if self.started { Severity::Error } else { Severity::Info }
    }

    /// Skips when `kind` was not read, saying why.
    pub(super) fn need(&self, kinds: &[Kind]) -> Option<Outcome> {
        for &kind in kinds {
            match self.snap.source(kind) {
                Source::Read { .. } => {}
                Source::Forbidden { .. } => {
                    return Some(Outcome::Skip(format!("cannot list `{}` (forbidden)", kind.resource())));
                }
                Source::NotInstalled => {
                    return Some(Outcome::Skip(format!("`{}` is not installed", kind.resource())));
                }
                Source::Failed { message } => {
                    return Some(Outcome::Skip(format!("reading `{}` failed: {message}", kind.resource())));
                }
                Source::Skipped { reason } => {
                    return Some(Outcome::Skip(format!("`{}` not read: {reason}", kind.resource())));
                }
            }
        }
        None
    }

    /// Skips when one of `kinds` was read and refused (403) or failed, saying why; an API that
    /// is not installed is no reason (nothing of it exists).
    pub(super) fn need_answer(&self, kinds: &[Kind]) -> Option<Outcome> {
        kinds
            .iter()
            .find(|k| matches!(self.snap.source(**k), Source::Forbidden { .. } | Source::Failed { .. }))
            .and_then(|k| self.need(&[*k]))
    }

    /// Skips when a Run:ai Helm release the checks judge (the cluster's, and the control
    /// plane's unless it is NVIDIA's) is absent because it could not be read: its Secrets
    /// refused or failed, or the release stored undecodable.
    pub(super) fn need_releases(&self) -> Option<Outcome> {
        let spec = self.spec;
        let remote = spec.control_plane_context.is_some();
        let mut wanted = vec![(&spec.cluster, self.cluster.is_some(), Kind::Secret)];
        if spec.control_plane != crate::spec::ControlPlaneLocation::Saas {
            let kind = if remote { Kind::ControlPlaneRelease } else { Kind::Secret };
            wanted.push((&spec.backend, self.backend.is_some(), kind));
        }
        for (release, _, kind) in wanted.into_iter().filter(|(_, present, _)| !present) {
            let what = format!("the Helm release `{}/{}`", release.namespace, release.release);
            if let Some(Outcome::Skip(why)) = self.need_answer(&[kind]) {
                return Some(Outcome::Skip(format!("cannot read {what}: {why}")));
            }
            if let Some(u) = self.snap.unreadable_release(&release.namespace, &release.release) {
                return Some(Outcome::Skip(format!(
                    "cannot read {what}: revision {} is unreadable: {}",
                    u.revision, u.reason
                )));
            }
        }
        None
    }

    pub(super) fn settings(&self) -> (Option<&RunaiSettings>, Option<&RunaiSettings>) {
        (self.cluster.map(|r| &r.settings), self.backend.map(|r| &r.settings))
    }

    pub(super) fn gateway_api_on(&self) -> bool {
        let (c, b) = self.settings();
        c.and_then(|s| s.gateway_api_enabled) == Some(true)
            || b.and_then(|s| s.gateway_api_enabled) == Some(true)
    }

    pub(super) fn ingress_off(&self) -> bool {
        let (c, b) = self.settings();
        c.and_then(|s| s.ingress_enabled) == Some(false) || b.and_then(|s| s.ingress_enabled) == Some(false)
    }

    pub(super) fn gateway_addresses(&self) -> &[String] {
        self.gateway.map(|g| g.addresses.as_slice()).unwrap_or_default()
    }

    pub(super) fn labels_of(&self, ns: &str) -> BTreeMap<String, String> {
        self.snap.namespaces.iter().find(|n| n.name == ns).map(|n| n.labels.clone()).unwrap_or_default()
    }
}

/// Chart version below `major.minor`?
pub(super) fn version_below(version: &str, major: u64, minor: u64) -> Option<bool> {
    let v = version.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']).map(str::parse::<u64>);
    let ma = parts.next()?.ok()?;
    let mi = parts.next().and_then(Result::ok).unwrap_or(0);
    Some((ma, mi) < (major, minor))
}
