//! What an input names beyond the spec itself: the Helm releases whose stored state a snapshot
//! is read against. Shared by `status` (live and `--from-file`) and the browser's diagnostics.

use crate::spec::{SpecInput, defaults};

impl SpecInput {
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
        let runai = self.runai.clone().unwrap_or_default();
        vec![
            runai.cluster.and_then(|r| r.release).unwrap_or_else(|| defaults::CLUSTER_RELEASE.into()),
            runai.backend.and_then(|r| r.release).unwrap_or_else(|| defaults::BACKEND_RELEASE.into()),
        ]
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
