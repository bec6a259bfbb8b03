//! `--dns external-dns`: the annotations on the Ingresses, set by `apply` and put back by
//! `rollback`, each a JSON merge patch of the annotations alone.

use std::collections::BTreeMap;

use runai_gateway_core::engine::dns::{ignores, merge_patch};
use runai_gateway_core::state::ObjectRef;

use super::{Runner, Step};

impl Runner<'_> {
    /// Sets (or removes, `None`) the annotations of `object`.
    pub(super) fn annotate(
        &mut self,
        object: &ObjectRef,
        annotations: &BTreeMap<String, Option<String>>,
        rollback: bool,
    ) -> Step {
        let patch = merge_patch(annotations);
        if let Err(e) = self.clusters.main.merge_patch(object, &patch) {
            let in_place = |live: Option<&serde_json::Value>| {
                live.is_some_and(|l| {
                    annotations.iter().all(|(k, v)| l["metadata"]["annotations"][k].as_str() == v.as_deref())
                })
            };
            if !(e.is_transport() && self.lost_answer(object, in_place)) {
                let what = format!("annotating {object}");
                return Err(if rollback { self.stop_rollback(&what, &e) } else { self.stop(&what, &e) });
            }
        }
        let keys: Vec<&str> = annotations.keys().map(String::as_str).collect();
        self.out.line(match (ignores(annotations), rollback) {
            (true, _) => {
                format!("✓ annotated {object} ({}): external-dns no longer reads it", keys.join(", "))
            }
            (false, true) => format!("✓ restored the annotations {} of {object}", keys.join(", ")),
            (false, false) => {
                format!("✓ removed {} from {object}: external-dns reads it again", keys.join(", "))
            }
        });
        if !rollback {
            self.step_done();
        }
        Ok(())
    }
}
