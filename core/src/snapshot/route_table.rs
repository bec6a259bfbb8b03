//! The HTTPRoutes of a snapshot document as a table (schema v2), or as a list of objects (v1).
//!
//! A cluster's workload routes are most of a snapshot: 10,000 of them took 5.8 MB as v1 objects
//! (578 bytes each, the same keys and the same parent and conditions written again on every
//! route). v2 writes `httpRoutes` as one table: the column names once, then one flow-style row
//! per route, with the namespaces, the parent references and the condition lists each written
//! once and named in the rows by their index:
//!
//! ```yaml
//! httpRoutes:
//!   columns: [namespace, name, hostnames, parentRefs, backends, parents, managedByTool, annotations]
//!   namespaces:
//!   - team-a
//!   parentRefs:
//!   - [runai, runai-gateway, https-workloads]   # namespace, name, sectionName (left out when unset)
//!   conditions:
//!   - [[Accepted, "True", Accepted], [ResolvedRefs, "True", ResolvedRefs]]  # type, status, reason, message
//!   rows:
//!   - [0, job-1, [job-1-team-a.runai.example.com], [0], [[job-1, 8080]], [[0, 0]]]
//! ```
//!
//! A row is `[namespace, name, hostnames, parentRefs, backends, parents]`, then
//! `managedByTool` and `annotations` when they are not `false` and `{}`. `namespace` indexes
//! `namespaces`; `parentRefs` index `parentRefs`; a backend is `[service, port]` in the route's
//! namespace or `[service, port, namespace]` (port `null` when unset); a parent is
//! `[parentRefs index, conditions index]`. A condition is `[type, status, reason, message]`,
//! trailing empty strings left out. Nothing is lost: a v2 table reads back to the same routes,
//! in the same order, as the v1 list it replaces, and the reader takes either form.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_saphyr::FlowSeq;

use super::{Condition, HttpRoute, ParentRef, RouteParentStatus, Shared};

/// The columns of a row, in order.
pub const COLUMNS: [&str; 8] =
    ["namespace", "name", "hostnames", "parentRefs", "backends", "parents", "managedByTool", "annotations"];

/// Writes the routes as the v2 table.
pub(super) fn serialize<S: Serializer>(routes: &[HttpRoute], s: S) -> Result<S::Ok, S::Error> {
    TableOut::of(routes).serialize(s)
}

/// Reads the routes from the v2 table or from the v1 list of objects.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<HttpRoute>, D::Error> {
    d.deserialize_any(Either)
}

/// Indexes of values, each written once, in the order first seen.
struct Interner<K> {
    index: HashMap<K, usize>,
    order: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn new() -> Self {
        Interner { index: HashMap::new(), order: Vec::new() }
    }

    fn of(&mut self, key: K) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.order.push(key.clone());
        self.index.insert(key, self.order.len() - 1);
        self.order.len() - 1
    }
}

type RefKey<'a> = (&'a str, &'a str, Option<&'a str>);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TableOut<'a> {
    columns: FlowSeq<[&'static str; 8]>,
    namespaces: Vec<&'a str>,
    parent_refs: Vec<FlowSeq<RefOut<'a>>>,
    conditions: Vec<FlowSeq<Vec<CondOut<'a>>>>,
    rows: Vec<FlowSeq<RowOut<'a>>>,
}

impl<'a> TableOut<'a> {
    fn of(routes: &'a [HttpRoute]) -> Self {
        let mut namespaces = Interner::new();
        let mut refs: Interner<RefKey<'a>> = Interner::new();
        let mut conditions: Interner<&'a [Condition]> = Interner::new();
        let key = |p: &'a ParentRef| (p.namespace.as_str(), p.name.as_str(), p.section_name.as_deref());
        let rows = routes
            .iter()
            .map(|r| {
                FlowSeq(RowOut {
                    namespace: namespaces.of(r.namespace.as_str()),
                    route: r,
                    parent_refs: r.parent_refs.iter().map(|p| refs.of(key(p))).collect(),
                    parents: r
                        .parents
                        .iter()
                        .map(|p| (refs.of(key(&p.parent)), conditions.of(p.conditions.as_slice())))
                        .collect(),
                })
            })
            .collect();
        TableOut {
            columns: FlowSeq(COLUMNS),
            namespaces: namespaces.order,
            parent_refs: refs.order.into_iter().map(|k| FlowSeq(RefOut(k))).collect(),
            conditions: conditions
                .order
                .into_iter()
                .map(|list| FlowSeq(list.iter().map(CondOut).collect()))
                .collect(),
            rows,
        }
    }
}

/// `[namespace, name, sectionName]`, the section left out when unset.
struct RefOut<'a>(RefKey<'a>);

impl Serialize for RefOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (namespace, name, section) = self.0;
        let mut seq = s.serialize_seq(Some(2 + usize::from(section.is_some())))?;
        seq.serialize_element(namespace)?;
        seq.serialize_element(name)?;
        if let Some(section) = section {
            seq.serialize_element(section)?;
        }
        seq.end()
    }
}

/// `[type, status, reason, message]`, trailing empty strings left out.
struct CondOut<'a>(&'a Condition);

impl Serialize for CondOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let n = if !c.message.is_empty() {
            4
        } else if !c.reason.is_empty() {
            3
        } else {
            2
        };
        let mut seq = s.serialize_seq(Some(n))?;
        for field in [&c.type_, &c.status, &c.reason, &c.message].into_iter().take(n) {
            seq.serialize_element(field)?;
        }
        seq.end()
    }
}

struct RowOut<'a> {
    namespace: usize,
    route: &'a HttpRoute,
    parent_refs: Vec<usize>,
    parents: Vec<(usize, usize)>,
}

/// `[service, port]`, or `[service, port, namespace]` in another namespace than the route's.
struct BackendOut<'a>(&'a (String, String, Option<i64>), &'a str);

impl Serialize for BackendOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ((namespace, name, port), route_ns) = (self.0, self.1);
        let other = namespace != route_ns;
        let mut seq = s.serialize_seq(Some(2 + usize::from(other)))?;
        seq.serialize_element(name)?;
        seq.serialize_element(port)?;
        if other {
            seq.serialize_element(namespace)?;
        }
        seq.end()
    }
}

impl Serialize for RowOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.route;
        // Every field of the route is a column (a new field fails to compile here until it is
        // one); namespace, parent refs and parents are written through the interned lists.
        let HttpRoute {
            namespace: _,
            name: _,
            hostnames: _,
            parent_refs: _,
            backends: _,
            parents: _,
            managed_by_tool: _,
            annotations: _,
        } = r;
        let annotations = !r.annotations.is_empty();
        let managed = r.managed_by_tool || annotations;
        let mut seq = s.serialize_seq(Some(6 + usize::from(managed) + usize::from(annotations)))?;
        seq.serialize_element(&self.namespace)?;
        seq.serialize_element(&r.name)?;
        seq.serialize_element(&r.hostnames)?;
        seq.serialize_element(&self.parent_refs)?;
        let backends: Vec<BackendOut<'_>> = r.backends.iter().map(|b| BackendOut(b, &r.namespace)).collect();
        seq.serialize_element(&backends)?;
        seq.serialize_element(&self.parents)?;
        if managed {
            seq.serialize_element(&r.managed_by_tool)?;
        }
        if annotations {
            seq.serialize_element(&r.annotations)?;
        }
        seq.end()
    }
}

/// `httpRoutes`: a sequence is the v1 list of objects, a mapping the v2 table.
struct Either;

impl<'de> Visitor<'de> for Either {
    type Value = Vec<HttpRoute>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of routes (`columns`, `rows`…) or a list of routes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(route) = seq.next_element::<HttpRoute>()? {
            out.push(route);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let table = TableIn::deserialize(de::value::MapAccessDeserializer::new(map))?;
        table.routes().map_err(de::Error::custom)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TableIn {
    columns: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    parent_refs: Vec<RefIn>,
    #[serde(default)]
    conditions: Vec<Vec<CondIn>>,
    #[serde(default)]
    rows: Vec<RowIn>,
}

fn at<'t, T>(table: &'t [T], i: usize, what: &str, row: usize) -> Result<&'t T, String> {
    table.get(i).ok_or_else(|| {
        format!(
            "`httpRoutes` row {row}: {what} index {i} is out of range (`{what}` has {} entries)",
            table.len()
        )
    })
}

impl TableIn {
    fn routes(self) -> Result<Vec<HttpRoute>, String> {
        if self.columns != COLUMNS {
            return Err(format!(
                "`httpRoutes` has the columns [{}]; this version reads [{}]",
                self.columns.join(", "),
                COLUMNS.join(", ")
            ));
        }
        let parent = |i: usize, row: usize| at(&self.parent_refs, i, "parentRefs", row).map(|p| p.0.clone());
        let mut shared = Shared::default();
        self.rows
            .into_iter()
            .enumerate()
            .map(|(row, r)| {
                let namespace = at(&self.namespaces, r.namespace, "namespaces", row)?.clone();
                let parent_refs = r.parent_refs.iter().map(|&i| parent(i, row)).collect::<Result<_, _>>()?;
                let parents = r
                    .parents
                    .iter()
                    .map(|&(p, c)| {
                        Ok(RouteParentStatus {
                            parent: parent(p, row)?,
                            conditions: at(&self.conditions, c, "conditions", row)?
                                .iter()
                                .map(|c| c.0.clone())
                                .collect(),
                        })
                    })
                    .collect::<Result<_, String>>()?;
                Ok(HttpRoute {
                    parent_refs: shared.parent_refs(parent_refs),
                    parents: shared.parents(parents),
                    backends: r
                        .backends
                        .into_iter()
                        .map(|(name, port, ns)| (ns.unwrap_or_else(|| namespace.clone()), name, port))
                        .collect(),
                    name: r.name,
                    hostnames: r.hostnames,
                    managed_by_tool: r.managed_by_tool,
                    annotations: r.annotations,
                    namespace,
                })
            })
            .collect()
    }
}

/// Reads a sequence of `required` items and up to `optional` more, through `read`, refusing
/// more than that.
fn read_seq<'de, A: SeqAccess<'de>, T>(
    mut seq: A,
    what: &'static str,
    (required, optional): (usize, usize),
    read: impl FnOnce(&mut Items<'de, '_, A>) -> Result<T, A::Error>,
) -> Result<T, A::Error> {
    let mut items = Items { seq: &mut seq, n: 0, what, required, _de: std::marker::PhantomData };
    let value = read(&mut items)?;
    if items.seq.next_element::<IgnoredAny>()?.is_some() {
        return Err(de::Error::custom(format!("{what} has at most {} items", required + optional)));
    }
    Ok(value)
}

struct Items<'de, 'a, A: SeqAccess<'de>> {
    seq: &'a mut A,
    n: usize,
    what: &'static str,
    required: usize,
    _de: std::marker::PhantomData<&'de ()>,
}

impl<'de, A: SeqAccess<'de>> Items<'de, '_, A> {
    /// The next item; an error when a required one is missing, `None` for a missing optional one.
    fn next<T: DeserializeOwned>(&mut self) -> Result<Option<T>, A::Error> {
        let item = self.seq.next_element::<T>()?;
        if item.is_none() && self.n < self.required {
            return Err(de::Error::custom(format!("{} needs at least {} items", self.what, self.required)));
        }
        self.n += 1;
        Ok(item)
    }

    fn need<T: DeserializeOwned + Default>(&mut self) -> Result<T, A::Error> {
        Ok(self.next()?.unwrap_or_default())
    }
}

macro_rules! seq_type {
    ($ty:ident, $what:literal, $visit:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<$ty, A::Error> {
                        $visit(seq)
                    }
                }
                d.deserialize_seq(V)
            }
        }
    };
}

/// A parent reference: `[namespace, name]` or `[namespace, name, sectionName]`.
struct RefIn(ParentRef);

seq_type!(RefIn, "a parent reference `[namespace, name, sectionName]`", |seq| {
    read_seq(seq, "a parent reference", (2, 1), |it| {
        Ok(RefIn(ParentRef { namespace: it.need()?, name: it.need()?, section_name: it.next()? }))
    })
});

/// A condition: `[type, status, reason, message]`, the last two optional.
struct CondIn(Condition);

seq_type!(CondIn, "a condition `[type, status, reason, message]`", |seq| {
    read_seq(seq, "a condition", (2, 2), |it| {
        Ok(CondIn(Condition {
            type_: it.need()?,
            status: it.need()?,
            reason: it.next()?.unwrap_or_default(),
            message: it.next()?.unwrap_or_default(),
        }))
    })
});

/// A backend: `[service, port]` or `[service, port, namespace]`.
struct BackendIn(String, Option<i64>, Option<String>);

seq_type!(BackendIn, "a backend `[service, port, namespace]`", |seq| {
    read_seq(seq, "a backend", (2, 1), |it| {
        let name = it.need()?;
        let port = it.next::<Option<i64>>()?.flatten();
        Ok(BackendIn(name, port, it.next()?))
    })
});

struct RowIn {
    namespace: usize,
    name: String,
    hostnames: Vec<String>,
    parent_refs: Vec<usize>,
    backends: Vec<(String, Option<i64>, Option<String>)>,
    parents: Vec<(usize, usize)>,
    managed_by_tool: bool,
    annotations: BTreeMap<String, String>,
}

seq_type!(RowIn, "a route row", |seq| {
    read_seq(seq, "a route row", (6, 2), |it| {
        Ok(RowIn {
            namespace: it.need()?,
            name: it.need()?,
            hostnames: it.need()?,
            parent_refs: it.need()?,
            backends: it.need::<Vec<BackendIn>>()?.into_iter().map(|b| (b.0, b.1, b.2)).collect(),
            parents: it.need()?,
            managed_by_tool: it.next()?.unwrap_or_default(),
            annotations: it.next()?.unwrap_or_default(),
        })
    })
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{SNAPSHOT_SCHEMA, Snapshot};

    fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
        }
    }

    fn parent(ns: &str, name: &str, section: Option<&str>) -> ParentRef {
        ParentRef { namespace: ns.into(), name: name.into(), section_name: section.map(Into::into) }
    }

    /// Routes of every shape the table writes: shared and one-off parents and conditions,
    /// sections set and unset, backends in the route's namespace and another, ports unset,
    /// managed routes with and without annotations, values YAML would otherwise misread.
    pub(crate) fn routes() -> Vec<HttpRoute> {
        let gw = parent("runai", "runai-gateway", Some("https-workloads"));
        let ok =
            vec![cond("Accepted", "True", "Accepted", ""), cond("ResolvedRefs", "True", "ResolvedRefs", "")];
        let mut out: Vec<HttpRoute> = (0..5)
            .map(|i| HttpRoute {
                namespace: format!("team-{}", i % 2),
                name: format!("job-{i}"),
                hostnames: vec![format!("job-{i}.runai.example.com")],
                parent_refs: vec![gw.clone()].into(),
                backends: vec![(format!("team-{}", i % 2), format!("job-{i}"), Some(8080))],
                parents: vec![RouteParentStatus { parent: gw.clone(), conditions: ok.clone() }].into(),
                managed_by_tool: false,
                annotations: BTreeMap::new(),
            })
            .collect();
        out.push(HttpRoute {
            namespace: "runai".into(),
            name: "null".into(),
            hostnames: vec!["*.runai.example.com".into(), "true".into(), "8080".into()],
            parent_refs: vec![parent("runai", "runai-gateway", None), parent("other", "gw, [x]", Some(""))]
                .into(),
            backends: vec![
                ("runai".into(), "svc".into(), None),
                ("knative-serving".into(), "kourier".into(), Some(80)),
            ],
            parents: vec![
                RouteParentStatus {
                    parent: parent("runai", "runai-gateway", None),
                    conditions: vec![
                        cond(
                            "Accepted",
                            "False",
                            "NotAllowedByListeners",
                            "no listener: 'a', \"b\"\nnext line",
                        ),
                        cond("ResolvedRefs", "Unknown", "", ""),
                    ],
                },
                RouteParentStatus { parent: gw.clone(), conditions: vec![] },
            ]
            .into(),
            managed_by_tool: true,
            annotations: BTreeMap::from([(
                "external-dns.alpha.kubernetes.io/hostname".into(),
                "a, b".into(),
            )]),
        });
        out.push(HttpRoute {
            namespace: "team-9".into(),
            name: "bare".into(),
            hostnames: vec![],
            parent_refs: vec![].into(),
            backends: vec![],
            parents: vec![].into(),
            managed_by_tool: false,
            annotations: BTreeMap::from([("k".into(), "v".into())]),
        });
        out
    }

    fn snapshot(routes: Vec<HttpRoute>) -> Snapshot {
        Snapshot { schema: SNAPSHOT_SCHEMA.into(), http_routes: routes, ..Snapshot::default() }
    }

    #[test]
    fn the_table_reads_back_to_the_same_routes_in_yaml_and_json() {
        let snap = snapshot(routes());
        let yaml = crate::yaml::to_string(&snap).expect("writes");
        let back = crate::ingest::snapshot_from_text(&yaml, &[]).expect("reads");
        assert_eq!(back, snap);
        for json in [
            serde_json::to_string_pretty(&snap).expect("writes"),
            crate::snapshot::to_json(&snap).expect("writes"),
        ] {
            assert_eq!(crate::ingest::snapshot_from_text(&json, &[]).expect("reads"), snap);
        }
    }

    /// The same routes written as v1 (a list of objects, as the previous version wrote them)
    /// and as v2 read into the same model.
    #[test]
    fn a_v1_file_and_a_v2_file_of_the_same_routes_read_the_same() {
        let snap = snapshot(routes());
        let v2 = crate::yaml::to_string(&snap).expect("writes");
        assert!(v2.starts_with("schema: runai-gateway.snapshot/v2\n"), "{v2}");
        let v1 = format!(
            "schema: runai-gateway.snapshot/v1\nhttpRoutes:\n{}",
            crate::yaml::to_string(&snap.http_routes).expect("writes")
        );
        assert!(v1.contains("- namespace: team-0\n  name: job-0\n"), "{v1}");
        let from_v1 = crate::ingest::snapshot_from_text(&v1, &[]).expect("v1 reads");
        let from_v2 = crate::ingest::snapshot_from_text(&v2, &[]).expect("v2 reads");
        assert_eq!(from_v1, from_v2);
        assert_eq!(from_v1, snap);
        // Read back, the model is the current version: written again, a v1 file becomes v2.
        assert_eq!(from_v1.schema, SNAPSHOT_SCHEMA);
        assert!(v2.len() * 2 < v1.len(), "v2 {} bytes, v1 {}", v2.len(), v1.len());
    }

    #[test]
    fn a_table_that_does_not_fit_is_refused_naming_what() {
        let head = "schema: runai-gateway.snapshot/v2\nhttpRoutes:\n  columns: [namespace, name, hostnames, parentRefs, backends, parents, managedByTool, annotations]\n  namespaces: [a]\n  parentRefs: [[runai, gw]]\n  conditions: [[[Accepted, 'True']]]\n  rows:\n";
        for (rows, says) in [
            (
                "  - [1, r, [], [], [], []]\n",
                "row 0: namespaces index 1 is out of range (`namespaces` has 1 entries)",
            ),
            ("  - [0, r, [], [3], [], []]\n", "row 0: parentRefs index 3 is out of range"),
            ("  - [0, r, [], [0], [], [[0, 2]]]\n", "row 0: conditions index 2 is out of range"),
            ("  - [0, r, [], [], []]\n", "a route row needs at least 6 items"),
            ("  - [0, r, [], [], [], [], false, {}, extra]\n", "a route row has at most 8 items"),
            ("  - [0, r, [], [], [[svc]], []]\n", "a backend needs at least 2 items"),
            ("  - {namespace: 0}\n", "expected a sequence, found a mapping"),
        ] {
            let text = format!("{head}{rows}");
            let err = crate::ingest::snapshot_from_text(&text, &[]).expect_err(&text).to_string();
            assert!(err.contains(says), "{rows}: {err}");
        }
        let renamed = head.replace("managedByTool", "managed") + "  - [0, r, [], [], [], []]\n";
        let err = crate::ingest::snapshot_from_text(&renamed, &[]).expect_err("columns").to_string();
        assert!(err.contains("`httpRoutes` has the columns [namespace, name, hostnames, parentRefs, backends, parents, managed, annotations]; this version reads"), "{err}");
        // A row that only names what exists reads, the defaults filled in.
        let ok = format!("{head}  - [0, r, [h.example.com], [0], [[svc, 80]], [[0, 0]]]\n");
        let snap = crate::ingest::snapshot_from_text(&ok, &[]).expect("reads");
        let r = &snap.http_routes[0];
        assert_eq!((r.namespace.as_str(), r.name.as_str(), r.managed_by_tool), ("a", "r", false));
        assert_eq!(r.backends, vec![("a".to_owned(), "svc".to_owned(), Some(80))]);
        assert_eq!(r.parents[0].conditions, vec![cond("Accepted", "True", "", "")]);
        assert_eq!(*r.parent_refs, [parent("runai", "gw", None)]);
    }
}
