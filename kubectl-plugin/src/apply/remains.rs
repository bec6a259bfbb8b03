//! After a rollback, what is still not back: `rollback` re-reads what it was meant to undo and
//! says what remains, instead of claiming an undo it did not do.

use runai_gateway_core::engine::ownership;
use runai_gateway_core::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use runai_gateway_core::plan::{Ownership, Plan};
use runai_gateway_core::state::{ObjectRef, StateRecord};

use crate::read::Cluster;

/// Whether this tool's field manager owns fields of `live` outside `status`.
fn holds_our_fields(live: &serde_json::Value) -> bool {
    live["metadata"]["managedFields"].as_array().is_some_and(|m| {
        m.iter().any(|e| {
            e["manager"] == FIELD_MANAGER
                && e["subresource"].as_str().is_none_or(str::is_empty)
                && e["fieldsV1"].as_object().is_none_or(|f| f.keys().any(|k| k != "f:status"))
        })
    })
}

/// One line per thing not back as it was: an adopted object that differs from its record, an
/// object someone else made that still holds fields this tool applied, an object `--prune`
/// deleted that is still there.
pub fn after_rollback(
    kube: &Cluster,
    plan: &Plan,
    record: Option<&StateRecord>,
    deleted: &[(ObjectRef, String)],
) -> Vec<String> {
    let mut out = Vec::new();
    for recorded in record.map(|r| r.adopted.as_slice()).unwrap_or_default() {
        let r = ObjectRef::of(recorded);
        match kube.reread(&r) {
            Ok(Some(live)) => {
                let changes = ownership::differences(recorded, &live);
                if !changes.is_empty() {
                    out.push(format!("{r} differs from the state it had before apply --adopt:"));
                    out.extend(changes.into_iter().map(|c| format!("  {c}")));
                }
            }
            Ok(None) => out.push(format!("{r} (adopted) is gone")),
            Err(e) => out.push(format!("{r}: cannot re-read it to compare ({e})")),
        }
    }
    for planned in plan.objects.iter().filter(|o| o.ownership == Ownership::Owned) {
        let r = ObjectRef::of(&planned.manifest);
        if record.is_some_and(|s| s.adopted_object(&r).is_some()) || deleted.iter().any(|(d, _)| *d == r) {
            continue;
        }
        if let Ok(Some(live)) = kube.reread(&r)
            && live["metadata"]["labels"][MANAGED_BY_LABEL] != FIELD_MANAGER
            && holds_our_fields(&live)
        {
            out.push(format!(
                "{r} is not this tool's and still holds fields runai-gateway applied (see `kubectl get {} {} -n {} --show-managed-fields -o yaml`)",
                planned.manifest["kind"].as_str().unwrap_or_default().to_lowercase(),
                r.name,
                r.namespace
            ));
        }
    }
    for (r, uid) in deleted {
        if let Ok(Some(live)) = kube.reread(r)
            && live["metadata"]["uid"].as_str() == Some(uid.as_str())
            && live["metadata"]["deletionTimestamp"].is_null()
        {
            out.push(format!("{r} was to be deleted and is still there"));
        }
    }
    out
}
