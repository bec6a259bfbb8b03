//! `rollback`'s actions: re-create, Helm back, restore, annotate, the DNS gate, the deletions,
//! then the re-read of what remains.

use runai_gateway_core::engine::Action;
use runai_gateway_core::state::ObjectRef;

use super::super::order::helm_group;
use super::super::rerun;
use super::{Runner, Step};
use crate::exit::Exit;

impl Runner<'_> {
    /// Runs `rollback`'s actions.
    pub fn rollback(&mut self, actions: &[Action]) -> Exit {
        let writes = actions.iter().any(Action::writes);
        let mut dns_back = true;
        let mut i = 0;
        while i < actions.len() {
            self.at = i;
            let action = &actions[i];
            if let Err(exit) = self.confirm(writes) {
                return exit;
            }
            if let Action::Helm { .. } = action {
                let group = helm_group(actions, i);
                i += group.len();
                if let Err(exit) = self.helm(&group, true) {
                    return exit;
                }
                continue;
            }
            i += 1;
            let step = match action {
                Action::AwaitDns { gate, records, target } => {
                    dns_back = self.await_dns(*gate, records, target.as_deref());
                    Ok(())
                }
                Action::Delete { .. } | Action::Restore { .. } if !dns_back => {
                    self.out.line("--prune waits until DNS no longer points at the Gateway (deleting it now would cut traffic); re-run after the DNS change:");
                    self.out.line(format!("  {}", rerun("rollback")));
                    Err(Exit::ManualStep)
                }
                other => self.undo(other),
            };
            if let Err(exit) = step {
                return exit;
            }
        }
        self.at = actions.len();
        if self.cx.server_dry {
            self.out.line("Dry run (server): every write was validated by the server; nothing was stored.");
            return Exit::Success;
        }
        if !dns_back {
            // The run stopped at the DNS check (nothing after it waits on DNS).
            self.at = actions.iter().position(|a| matches!(a, Action::AwaitDns { .. })).unwrap_or(self.at);
            return Exit::ManualStep;
        }
        let deleted: Vec<(ObjectRef, String)> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Delete { object, uid, .. } => Some((object.clone(), uid.clone())),
                _ => None,
            })
            .collect();
        let remains = super::super::remains::after_rollback(
            &self.clusters.main,
            self.cx.plan,
            self.record.as_ref(),
            &deleted,
        );
        if !remains.is_empty() {
            self.out.line("✗ not everything is back as it was; what remains:");
            remains.iter().for_each(|r| self.out.line(format!("  {r}")));
            self.out.line("Fix these by hand (this tool changes nothing it did not make), then re-run:");
            self.out.line(format!("  {}", rerun("rollback")));
            return Exit::ManualStep;
        }
        self.out.line(if writes {
            "✓ rolled back: Ingress serves, the Gateway API is off."
        } else {
            "Rolled back already: nothing to do."
        });
        Exit::Success
    }

    /// One write of `rollback`.
    fn undo(&mut self, action: &Action) -> Step {
        let kube = &self.clusters.main;
        match action {
            Action::Recreate(m) => {
                let r = ObjectRef::of(m);
                let result = kube.create(m);
                self.created(&format!("re-creating {r}"), &r, result, true)?;
                self.out.line(format!("✓ re-created {r}"));
            }
            Action::Restore { manifest, .. } => {
                let r = ObjectRef::of(manifest);
                if let Err(e) = kube.replace(manifest) {
                    return Err(self.stop_rollback(&format!("restoring {r}"), &e));
                }
                self.out.line(format!("✓ restored {r} as it was before apply --adopt"));
            }
            Action::Annotate { object, annotations } => self.annotate(object, annotations, true)?,
            Action::RestoreKnative { manifest, .. } => {
                if let Err(e) = kube.apply(manifest, true) {
                    return Err(self.stop_rollback("restoring KnativeServing", &e));
                }
                self.out.line("✓ restored the recorded KnativeServing fields");
            }
            Action::Delete { object, uid, .. } => {
                if let Err(e) = kube.delete(object, uid) {
                    let gone = |live: Option<&serde_json::Value>| {
                        live.is_none_or(|l| l["metadata"]["uid"].as_str() != Some(uid.as_str()))
                    };
                    if !(e.is_transport() && self.lost_answer(object, gone)) {
                        return Err(self.stop_rollback(&format!("deleting {object}"), &e));
                    }
                }
                self.out.line(format!("✓ deleted {object}"));
            }
            _ => {}
        }
        Ok(())
    }
}
