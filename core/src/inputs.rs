//! What an input names beyond the spec itself: the Helm releases whose stored state a snapshot
//! is read against. Shared by `status` (live and `--from-file`), discovery, resolution and the
//! browser's diagnostics: the one place the release defaults are filled in.

use crate::helm::Component;
use crate::spec::{Release, SpecInput, defaults};

impl SpecInput {
    /// The Helm release of `component` as the input names it: release, namespace and chart as
    /// given, the documented defaults for what is not (unvalidated; [`SpecInput::resolve`]
    /// validates).
    ///
    /// ```
    /// use runai_gateway_core::helm::Component;
    /// use runai_gateway_core::SpecInput;
    ///
    /// let cluster = SpecInput::default().release(Component::Cluster);
    /// assert_eq!((cluster.namespace.as_str(), cluster.release.as_str()), ("runai", "runai-cluster"));
    /// ```
    #[must_use]
    pub fn release(&self, component: Component) -> Release {
        let runai = self.runai.as_ref();
        let (given, (release, namespace, chart)) = match component {
            Component::Cluster => (
                runai.and_then(|r| r.cluster.as_ref()),
                (defaults::CLUSTER_RELEASE, defaults::CLUSTER_NAMESPACE, defaults::CLUSTER_CHART),
            ),
            Component::ControlPlane => (
                runai.and_then(|r| r.backend.as_ref()),
                (defaults::BACKEND_RELEASE, defaults::BACKEND_NAMESPACE, defaults::BACKEND_CHART),
            ),
        };
        let or = |v: Option<&String>, d: &str| v.cloned().unwrap_or_else(|| d.to_owned());
        Release {
            release: or(given.and_then(|g| g.release.as_ref()), release),
            namespace: or(given.and_then(|g| g.namespace.as_ref()), namespace),
            chart: or(given.and_then(|g| g.chart.as_ref()), chart),
            chart_version: given.and_then(|g| g.chart_version.clone()),
        }
    }

    /// The Helm release names ingestion decodes, cluster first, then control plane: the input's
    /// `runai.cluster.release` and `runai.backend.release`, or the documented defaults.
    ///
    /// ```
    /// use runai_gateway_core::SpecInput;
    ///
    /// assert_eq!(SpecInput::default().release_names(), ["runai-cluster", "runai-backend"]);
    /// ```
    #[must_use]
    pub fn release_names(&self) -> Vec<String> {
        vec![self.release(Component::Cluster).release, self.release(Component::ControlPlane).release]
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::{ReleaseInput, RunaiInput, SpecInput};

    #[test]
    fn the_input_names_win_over_the_defaults() {
        let input = SpecInput {
            runai: Some(RunaiInput {
                cluster: Some(ReleaseInput { release: Some("rc".into()), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(input.release_names(), ["rc", "runai-backend"]);
    }
}
