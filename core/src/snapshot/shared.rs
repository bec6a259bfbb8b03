//! Equal route lists held once.
//!
//! Nearly every workload HTTPRoute of a cluster names the same parent (the Run:ai Gateway's
//! workloads listener) and reports the same status for it (`Accepted` and `ResolvedRefs`
//! `True`). Held per route, those lists were most of the route model (about 0.8 KiB of 1.2 KiB
//! a route); [`Shared`] hands out one [`Arc`] per distinct list instead, while routes are read
//! (live or from a file), so a cluster of 50,000 such routes holds each list once.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use super::{ParentRef, RouteParentStatus};

/// The distinct parent-reference and parent-status lists seen so far.
#[derive(Debug, Default)]
pub struct Shared {
    parent_refs: HashSet<Arc<[ParentRef]>>,
    parents: HashSet<Arc<[RouteParentStatus]>>,
}

fn share<T: Hash + Eq>(seen: &mut HashSet<Arc<[T]>>, list: Vec<T>) -> Arc<[T]> {
    if let Some(held) = seen.get(list.as_slice()) {
        return Arc::clone(held);
    }
    let held: Arc<[T]> = list.into();
    seen.insert(Arc::clone(&held));
    held
}

impl Shared {
    /// `list`, as the allocation held for an equal list when there is one.
    pub fn parent_refs(&mut self, list: Vec<ParentRef>) -> Arc<[ParentRef]> {
        share(&mut self.parent_refs, list)
    }

    /// `list`, as the allocation held for an equal list when there is one.
    pub fn parents(&mut self, list: Vec<RouteParentStatus>) -> Arc<[RouteParentStatus]> {
        share(&mut self.parents, list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Condition;

    fn parent(status: &str) -> Vec<RouteParentStatus> {
        vec![RouteParentStatus {
            parent: ParentRef {
                namespace: "runai".into(),
                name: "runai-gateway".into(),
                section_name: Some("https-workloads".into()),
            },
            conditions: vec![
                Condition {
                    type_: "Accepted".into(),
                    status: status.into(),
                    reason: "Accepted".into(),
                    message: String::new(),
                },
                Condition {
                    type_: "ResolvedRefs".into(),
                    status: "True".into(),
                    reason: "ResolvedRefs".into(),
                    message: String::new(),
                },
            ],
        }]
    }

    #[test]
    fn equal_lists_share_one_allocation_and_different_ones_do_not() {
        let mut shared = Shared::default();
        let a = shared.parents(parent("True"));
        let b = shared.parents(parent("True"));
        let other = shared.parents(parent("False"));
        assert!(Arc::ptr_eq(&a, &b), "two routes with equal status share one list");
        assert!(!Arc::ptr_eq(&a, &other), "a route with another status has its own");
        assert_eq!(&*a, parent("True").as_slice());
        assert_eq!(&*other, parent("False").as_slice());
        assert_eq!(other[0].conditions[0].status, "False");

        let refs = |section: &str| {
            vec![ParentRef {
                namespace: "runai".into(),
                name: "runai-gateway".into(),
                section_name: Some(section.into()),
            }]
        };
        let r1 = shared.parent_refs(refs("https-workloads"));
        let r2 = shared.parent_refs(refs("https-workloads"));
        let r3 = shared.parent_refs(refs("https"));
        assert!(Arc::ptr_eq(&r1, &r2));
        assert!(!Arc::ptr_eq(&r1, &r3));
        assert_eq!(r3[0].section_name.as_deref(), Some("https"));
    }
}
