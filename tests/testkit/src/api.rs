//! The API server's request handling: routing, discovery, CRUD, patch and
//! apply, dry-run, RBAC, faults. Everything here is synchronous and runs under
//! the state lock; the network layer (`server.rs`) only moves bytes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::rbac::{self, Attributes, Rule};
use crate::ssa::{self, Entry, Schema};
use crate::status::{ApiError, Cause};
use crate::types::{self, ResourceType};
use crate::validate::Validator;

/// Object key: group, plural, namespace ("" when cluster-scoped), name.
pub type Key = (String, String, String, String);

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Kubernetes verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`, or `discovery` for discovery and `/version` requests.
    pub verb: String,
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Resource plural, when the path names one.
    pub resource: Option<String>,
    /// Namespace in the path.
    pub namespace: Option<String>,
    /// Object name in the path.
    pub name: Option<String>,
    /// Bytes of the response body as the client decodes it (filled in once the answer is
    /// written).
    pub bytes: usize,
    /// Bytes of the response body on the wire: [`RequestRecord::bytes`], or fewer when the answer
    /// was gzip-compressed (see `server.rs`).
    pub wire_bytes: usize,
    /// Sequence number of the request (unique per server).
    pub seq: u64,
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer with this HTTP status and a matching `Status` body.
    Status(u16),
    /// Wait before handling the request normally.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
    /// Handle the request (store the write), then close the connection without answering: the
    /// client cannot tell whether its write happened.
    LoseAnswer,
}

/// A fault matched against each request; `None` fields match anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Verb to match (`list`, `patch`, ...).
    pub verb: Option<String>,
    /// Resource plural to match.
    pub resource: Option<String>,
    /// Namespace to match.
    pub namespace: Option<String>,
    /// Object name to match.
    pub name: Option<String>,
    /// What to do.
    pub action: FaultAction,
    /// How many more requests it applies to (`None`: forever).
    pub remaining: Option<usize>,
}

impl Fault {
    /// A fault on every request with `verb` to `resource` (e.g. `("list", "secrets")`).
    pub fn on(verb: &str, resource: &str, action: FaultAction) -> Fault {
        Fault {
            verb: Some(verb.into()),
            resource: Some(resource.into()),
            namespace: None,
            name: None,
            action,
            remaining: None,
        }
    }

    /// Only for the object called `name`.
    #[must_use]
    pub fn named(mut self, name: &str) -> Fault {
        self.name = Some(name.into());
        self
    }

    /// Only in namespace `ns`.
    #[must_use]
    pub fn in_namespace(mut self, ns: &str) -> Fault {
        self.namespace = Some(ns.into());
        self
    }

    /// Only for the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: usize) -> Fault {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, r: &RequestRecord) -> bool {
        let m = |want: &Option<String>, got: &Option<String>| {
            want.as_ref().is_none_or(|w| Some(w) == got.as_ref())
        };
        self.remaining != Some(0)
            && self.verb.as_ref().is_none_or(|v| *v == r.verb)
            && m(&self.resource, &r.resource)
            && m(&self.namespace, &r.namespace)
            && m(&self.name, &r.name)
    }
}

/// A request after the network layer has read it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Content-Type header.
    pub content_type: String,
    /// Body bytes.
    pub body: Vec<u8>,
    /// User-Agent header (the default field manager is derived from it).
    pub user_agent: String,
    /// Accept header (`as=PartialObjectMetadataList` asks for metadata only).
    pub accept: String,
}

/// Where a request is going.
#[derive(Debug, Clone)]
enum Route {
    Version,
    CoreGroup,
    Groups,
    Group(String),
    Resources(String, String),
    Object(Box<Target>),
    Unknown,
}

#[derive(Debug, Clone)]
struct Target {
    rt: ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

/// The server's mutable state.
pub struct State {
    /// Stored objects, at their storage version.
    pub objects: BTreeMap<Key, Value>,
    /// Last resourceVersion handed out (a global counter, like etcd's revision).
    pub rv: u64,
    /// Served types (built-ins plus CRDs), rebuilt when CRDs change.
    pub types: Vec<ResourceType>,
    /// Every request seen.
    pub requests: Vec<RequestRecord>,
    /// Active faults.
    pub faults: Vec<Fault>,
    /// RBAC rules; `None` allows everything.
    pub rules: Option<Vec<Rule>>,
    /// The authenticated user's name.
    pub user: String,
    /// The `host:port` the server listens on.
    pub address: String,
    /// The watch cache's view, when frozen ([`State::freeze_watch_cache`]): `resourceVersion=0`
    /// lists are served from it, so they may be stale, as on a real server.
    pub watch_cache: Option<(u64, BTreeMap<Key, Value>)>,
    uid_counter: u64,
    request_seq: u64,
    seed: u64,
    validators: HashMap<String, Arc<Validator>>,
}

fn now() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc().format(&f).unwrap_or_default()
}

fn query_map(q: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

impl State {
    /// An empty cluster with only the built-in types.
    pub fn new(user: &str) -> State {
        let seed = std::collections::hash_map::RandomState::new();
        let seed = std::hash::BuildHasher::hash_one(&seed, "runai-gateway-testkit");
        State {
            objects: BTreeMap::new(),
            rv: 1000,
            types: types::builtins(),
            requests: Vec::new(),
            faults: Vec::new(),
            rules: None,
            user: user.into(),
            address: String::new(),
            watch_cache: None,
            uid_counter: 0,
            request_seq: 0,
            seed,
            validators: HashMap::new(),
        }
    }

    fn next_rv(&mut self) -> String {
        self.rv += 1;
        self.rv.to_string()
    }

    fn new_uid(&mut self) -> String {
        // splitmix64 over a per-server seed: unique and UUID-shaped, no RNG crate needed.
        self.uid_counter += 1;
        let mix = |mut z: u64| {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let a = mix(self.seed ^ self.uid_counter);
        let b = mix(a ^ 0x5555);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Recompute the served types from the built-ins and stored CRDs.
    pub fn rebuild_types(&mut self) {
        let mut t = types::builtins();
        for ((g, p, _, _), crd) in &self.objects {
            if g == "apiextensions.k8s.io" && p == "customresourcedefinitions" {
                t.extend(types::from_crd(crd));
            }
        }
        self.types = t;
        self.validators.clear();
    }

    /// The type for a group/version/plural.
    pub fn find_type(&self, group: &str, version: &str, plural: &str) -> Option<ResourceType> {
        self.types.iter().find(|t| t.group == group && t.version == version && t.plural == plural).cloned()
    }

    /// The type for an apiVersion/kind.
    pub fn type_for_kind(&self, api_version: &str, kind: &str) -> Option<ResourceType> {
        let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        self.types.iter().find(|t| t.group == g && t.version == v && t.kind == kind).cloned()
    }

    fn validator(&mut self, rt: &ResourceType) -> Arc<Validator> {
        let k = format!("{}/{}/{}", rt.group, rt.version, rt.plural);
        self.validators.entry(k).or_insert_with(|| Arc::new(Validator::new(rt))).clone()
    }

    fn key(rt: &ResourceType, ns: &str, name: &str) -> Key {
        (
            rt.group.clone(),
            rt.plural.clone(),
            if rt.namespaced { ns.into() } else { String::new() },
            name.into(),
        )
    }

    // ----- seeding (fixtures and tests; bypasses validation, RBAC, faults) -----

    /// Store an object as-is (status included), filling in server-maintained
    /// metadata. Returns the stored object.
    pub fn seed(&mut self, mut obj: Value) -> Result<Value, ApiError> {
        let av = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let rt = self
            .type_for_kind(&av, &kind)
            .ok_or_else(|| ApiError::bad_request(format!("no type for {av} {kind}")))?;
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default().to_string();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        let key = State::key(&rt, &ns, &name);
        let old = self.objects.get(&key).cloned();
        if obj.get("metadata").is_none_or(|m| !m.is_object()) {
            obj["metadata"] = json!({});
        }
        if !rt.namespaced
            && let Some(m) = obj["metadata"].as_object_mut()
        {
            m.shift_remove("namespace");
        }
        let uid = old
            .as_ref()
            .and_then(|o| o.pointer("/metadata/uid").cloned())
            .unwrap_or_else(|| json!(self.new_uid()));
        let created = old
            .as_ref()
            .and_then(|o| o.pointer("/metadata/creationTimestamp").cloned())
            .unwrap_or_else(|| json!(now()));
        let rv = self.next_rv();
        let meta = obj["metadata"].as_object_mut().ok_or_else(|| ApiError::internal("metadata"))?;
        meta.entry("uid").or_insert(uid);
        meta.entry("creationTimestamp").or_insert(created);
        meta.insert("resourceVersion".into(), json!(rv));
        if rt.generation {
            meta.entry("generation").or_insert(json!(1));
        }
        self.finish_builtin_create(&rt, &mut obj);
        obj["apiVersion"] = json!(storage_api_version(&rt));
        self.objects.insert(key, obj.clone());
        if rt.plural == "customresourcedefinitions" {
            self.rebuild_types();
        }
        Ok(obj)
    }

    /// Server-side defaulting that the real server does on create for built-ins.
    fn finish_builtin_create(&self, rt: &ResourceType, obj: &mut Value) {
        if rt.group.is_empty() && rt.plural == "secrets" {
            // stringData is write-only: folded into data.
            if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|o| o.shift_remove("stringData")) {
                for (k, v) in sd {
                    let enc = STANDARD.encode(v.as_str().unwrap_or_default());
                    obj["data"][k] = json!(enc);
                }
            }
            if obj.get("type").is_none() {
                obj["type"] = json!("Opaque");
            }
        }
        if rt.group.is_empty() && rt.plural == "namespaces" {
            let name = obj.pointer("/metadata/name").cloned().unwrap_or_default();
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            if obj.pointer("/spec/finalizers").is_none() {
                obj["spec"] = json!({"finalizers": ["kubernetes"]});
            }
            if obj.pointer("/status/phase").is_none() {
                obj["status"] = json!({"phase": "Active"});
            }
        }
        if rt.plural == "customresourcedefinitions" {
            let names = obj.pointer("/spec/names").cloned().unwrap_or_default();
            let stored: Vec<Value> = obj
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter().filter(|v| v["storage"] == json!(true)).map(|v| v["name"].clone()).collect()
                })
                .unwrap_or_default();
            let t = now();
            obj["status"] = json!({
                "acceptedNames": names,
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                     "message": "no conflicts found", "lastTransitionTime": t},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                     "message": "the initial names have been accepted", "lastTransitionTime": t},
                ],
                "storedVersions": stored,
            });
        }
    }

    /// Read an object (converted to `api_version`).
    pub fn read(&self, rt: &ResourceType, ns: &str, name: &str) -> Option<Value> {
        self.objects.get(&State::key(rt, ns, name)).map(|o| convert(o, rt))
    }

    // ----- request handling -----

    fn route(&self, path: &str) -> Route {
        let segs: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        match segs.as_slice() {
            ["version"] => Route::Version,
            ["api"] => Route::CoreGroup,
            ["api", v] => Route::Resources(String::new(), (*v).into()),
            ["api", v, rest @ ..] => self.resource_route("", v, rest),
            ["apis"] => Route::Groups,
            ["apis", g] => Route::Group((*g).into()),
            ["apis", g, v] => Route::Resources((*g).into(), (*v).into()),
            ["apis", g, v, rest @ ..] => self.resource_route(g, v, rest),
            _ => Route::Unknown,
        }
    }

    fn resource_route(&self, g: &str, v: &str, rest: &[&str]) -> Route {
        let t = |plural: &str| self.find_type(g, v, plural);
        let target = |rt: ResourceType, ns: Option<&str>, name: Option<&str>, sub: Option<&str>| {
            Route::Object(Box::new(Target {
                rt,
                namespace: ns.map(str::to_string),
                name: name.map(str::to_string),
                sub: sub.map(str::to_string),
            }))
        };
        match rest {
            ["namespaces", ns, plural, tail @ ..]
                if !(tail.is_empty() && matches!(*plural, "status" | "finalize")) =>
            {
                match (t(plural), tail) {
                    (Some(rt), []) if rt.namespaced => target(rt, Some(ns), None, None),
                    (Some(rt), [name]) if rt.namespaced => target(rt, Some(ns), Some(name), None),
                    (Some(rt), [name, sub]) if rt.namespaced => target(rt, Some(ns), Some(name), Some(sub)),
                    _ => Route::Unknown,
                }
            }
            [plural, tail @ ..] => match (t(plural), tail) {
                (Some(rt), []) => target(rt, None, None, None),
                (Some(rt), [name]) if !rt.namespaced => target(rt, None, Some(name), None),
                (Some(rt), [name, sub]) if !rt.namespaced => target(rt, None, Some(name), Some(sub)),
                _ => Route::Unknown,
            },
            [] => Route::Unknown,
        }
    }

    /// Record the request and decide on a fault. Called before [`State::execute`].
    pub fn admit(&mut self, req: &ApiRequest) -> Option<FaultAction> {
        let route = self.route(&req.path);
        let q = query_map(&req.query);
        let (resource, namespace, name) = match &route {
            Route::Object(t) => (Some(t.rt.plural.clone()), t.namespace.clone(), t.name.clone()),
            _ => (None, None, None),
        };
        let verb = match (&route, req.method.as_str()) {
            (Route::Object(t), "GET") if t.name.is_some() => "get",
            (Route::Object(_), "GET") if matches!(q.get("watch").map(String::as_str), Some("true" | "1")) => {
                "watch"
            }
            (Route::Object(_), "GET") => "list",
            (Route::Object(_), "POST") => "create",
            (Route::Object(_), "PUT") => "update",
            (Route::Object(_), "PATCH") => "patch",
            (Route::Object(t), "DELETE") if t.name.is_some() => "delete",
            (Route::Object(_), "DELETE") => "deletecollection",
            (Route::Unknown, _) => "unknown",
            _ => "discovery",
        };
        let record = RequestRecord {
            verb: verb.into(),
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            resource,
            namespace,
            name,
            bytes: 0,
            wire_bytes: 0,
            seq: {
                self.request_seq += 1;
                self.request_seq
            },
        };
        let fault = self.faults.iter_mut().find(|f| f.matches(&record)).map(|f| {
            if let Some(n) = f.remaining.as_mut() {
                *n -= 1;
            }
            f.action.clone()
        });
        self.requests.push(record);
        fault
    }

    /// Handle a request; returns the HTTP status and JSON body.
    pub fn execute(&mut self, req: &ApiRequest) -> (u16, Value) {
        match self.dispatch(req) {
            Ok((code, body)) => (code, body),
            Err(e) => (e.code, e.to_status()),
        }
    }

    fn dispatch(&mut self, req: &ApiRequest) -> Result<(u16, Value), ApiError> {
        let q = query_map(&req.query);
        let route = self.route(&req.path);
        let discovery_get = req.method == "GET";
        match route {
            Route::Version if discovery_get => Ok((200, version_info())),
            Route::CoreGroup if discovery_get => Ok((
                200,
                json!({"kind": "APIVersions", "versions": ["v1"],
                       "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.address}]}),
            )),
            Route::Groups if discovery_get => Ok((200, self.group_list())),
            Route::Group(g) if discovery_get => self.group_list()["groups"]
                .as_array()
                .and_then(|gs| gs.iter().find(|x| x["name"] == json!(g)).cloned())
                .map(|mut g| {
                    let m = g.as_object_mut().map(std::mem::take).unwrap_or_default();
                    let mut out = Map::new();
                    out.insert("kind".into(), json!("APIGroup"));
                    out.insert("apiVersion".into(), json!("v1"));
                    out.extend(m);
                    (200, Value::Object(out))
                })
                .ok_or_else(not_found_path),
            Route::Resources(g, v) if discovery_get => {
                self.resource_list(&g, &v).map(|r| (200, r)).ok_or_else(not_found_path)
            }
            Route::Object(t) => {
                self.authorize(req, &t, &q)?;
                self.handle_object(req, &t, &q)
            }
            Route::Unknown => Err(not_found_path()),
            _ => Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource".to_string(),
            )),
        }
    }

    fn group_list(&self) -> Value {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.types {
            if t.group.is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, vs)) => {
                    if !vs.contains(&t.version) {
                        vs.push(t.version.clone());
                    }
                }
                None => groups.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(g, mut vs)| {
                vs.sort_by_key(|v| std::cmp::Reverse(types::version_priority(v)));
                let versions: Vec<Value> =
                    vs.iter().map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v})).collect();
                json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
            })
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    fn resource_list(&self, g: &str, v: &str) -> Option<Value> {
        let ts: Vec<&ResourceType> = self.types.iter().filter(|t| t.group == g && t.version == v).collect();
        if ts.is_empty() {
            return None;
        }
        let mut resources = Vec::new();
        for t in &ts {
            let mut r = json!({"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                               "kind": t.kind, "verbs": t.verbs});
            if !t.short_names.is_empty() {
                r["shortNames"] = json!(t.short_names);
            }
            resources.push(r);
            if t.status_subresource {
                resources.push(json!({"name": format!("{}/status", t.plural), "singularName": "",
                    "namespaced": t.namespaced, "kind": t.kind, "verbs": ["get", "patch", "update"]}));
            }
        }
        let gv = if g.is_empty() { v.to_string() } else { format!("{g}/{v}") };
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        )
    }

    fn attributes(req: &ApiRequest, t: &Target, q: &HashMap<String, String>) -> Attributes {
        let verb = match req.method.as_str() {
            "GET" if t.name.is_some() => "get",
            "GET" if matches!(q.get("watch").map(String::as_str), Some("true" | "1")) => "watch",
            "GET" => "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" if t.name.is_some() => "delete",
            _ => "deletecollection",
        };
        Attributes {
            verb: verb.into(),
            group: t.rt.group.clone(),
            resource: t.rt.plural.clone(),
            subresource: t.sub.clone(),
            namespace: t.namespace.clone(),
            name: t.name.clone(),
        }
    }

    fn authorize(&self, req: &ApiRequest, t: &Target, q: &HashMap<String, String>) -> Result<(), ApiError> {
        let Some(rules) = &self.rules else { return Ok(()) };
        // Every authenticated user may create SelfSubjectAccessReviews (system:basic-user).
        if t.rt.plural == "selfsubjectaccessreviews" {
            return Ok(());
        }
        let a = State::attributes(req, t, q);
        if rbac::allowed(rules, &a) {
            return Ok(());
        }
        let what = match &a.name {
            Some(n) => format!("{} \"{n}\"", crate::status::qualified(&a.resource, &a.group)),
            None => crate::status::qualified(&a.resource, &a.group),
        };
        Err(ApiError::forbidden(
            &a.group,
            &a.resource,
            a.name.as_deref().unwrap_or_default(),
            format!("{what} is forbidden: {}", rbac::denial(&self.user, &a)),
        ))
    }

    fn handle_object(
        &mut self,
        req: &ApiRequest,
        t: &Target,
        q: &HashMap<String, String>,
    ) -> Result<(u16, Value), ApiError> {
        let dry_run = match q.get("dryRun").map(String::as_str) {
            None | Some("") => false,
            Some("All") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid dry run value: {other}. Supported values: All"
                )));
            }
        };
        if let Some(sub) = &t.sub
            && (sub != "status" || !t.rt.status_subresource)
        {
            return Err(not_found_path());
        }
        if t.rt.plural == "selfsubjectaccessreviews" {
            return match req.method.as_str() {
                "POST" => self.access_review(req),
                _ => Err(ApiError::method_not_allowed(
                    "the server does not allow this method on the requested resource",
                )),
            };
        }
        let ns = t.namespace.clone().unwrap_or_default();
        match (req.method.as_str(), &t.name) {
            ("GET", Some(name)) => self
                .read(&t.rt, &ns, name)
                .map(|o| (200, o))
                .ok_or_else(|| ApiError::not_found(&t.rt.group, &t.rt.plural, name)),
            ("GET", None) if matches!(q.get("watch").map(String::as_str), Some("true" | "1")) => {
                Err(ApiError::method_not_allowed("watch is not supported by the runai-gateway test server"))
            }
            ("GET", None) => self.list(req, t, q),
            ("POST", None) => self.create(req, t, q, dry_run),
            ("PUT", Some(name)) => self.update(req, t, name, q, dry_run),
            ("PATCH", Some(name)) => self.patch(req, t, name, q, dry_run),
            ("DELETE", Some(name)) => {
                let opts = delete_options(req)?;
                let dry_run = dry_run || opts.dry_run;
                let (_, current) = self.existing(t, name)?;
                for (field, what) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
                    if let Some(want) = opts.preconditions.get(field).and_then(Value::as_str) {
                        let have = current["metadata"][field].as_str().unwrap_or_default();
                        if want != have {
                            let mut e = ApiError::conflict(&t.rt.group, &t.rt.plural, name);
                            e.message = format!(
                                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}",
                                crate::status::qualified(&t.rt.plural, &t.rt.group)
                            );
                            return Err(e);
                        }
                    }
                }
                self.delete(t, name, dry_run)
            }
            ("DELETE", None) => {
                let dry_run = dry_run || delete_options(req)?.dry_run;
                self.delete_collection(t, q, dry_run)
            }
            _ => Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            )),
        }
    }

    /// A LIST, with the resource-version semantics of a real API server:
    ///
    /// - `resourceVersion` unset: the most recent data (a quorum read from storage), paginated by
    ///   `limit` and `continue`;
    /// - `resourceVersion=0`: any data, served from the watch cache, which may be stale (see
    ///   [`State::freeze_watch_cache`]) and, like the watch cache of a kube-apiserver up to 1.32,
    ///   ignores `limit`: the whole list in one answer, without `continue`;
    /// - `continue` together with a `resourceVersion` is refused (400), as the server does.
    ///
    /// Objects are found by a range over the ordered store, so a page costs its own size, not the
    /// size of the cluster. `Accept: …;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` answers
    /// with the items' metadata only.
    fn list(
        &self,
        req: &ApiRequest,
        t: &Target,
        q: &HashMap<String, String>,
    ) -> Result<(u16, Value), ApiError> {
        let labels =
            crate::selector::LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))?;
        let fields = crate::selector::FieldSelector::parse(
            q.get("fieldSelector").map_or("", String::as_str),
            &t.rt.kind,
        )?;
        let rv_param = q.get("resourceVersion").filter(|v| !v.is_empty());
        let token = q.get("continue").filter(|c| !c.is_empty());
        if token.is_some() && rv_param.is_some() {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let from_cache = rv_param.is_some_and(|v| v == "0");
        let (store, rv) = match (&self.watch_cache, from_cache) {
            (Some((rv, cache)), true) => (cache, *rv),
            _ => (&self.objects, self.rv),
        };
        let limit: usize = q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0 && !from_cache)
            .unwrap_or(usize::MAX);
        let start_after: Option<(String, String)> = match token {
            Some(tok) => Some(decode_continue(tok)?),
            None => None,
        };
        let ns = t.namespace.clone().filter(|_| t.rt.namespaced);
        let lower: Key = match (&start_after, &ns) {
            (Some((n, nm)), _) => (t.rt.group.clone(), t.rt.plural.clone(), n.clone(), nm.clone()),
            (None, Some(n)) => (t.rt.group.clone(), t.rt.plural.clone(), n.clone(), String::new()),
            (None, None) => (t.rt.group.clone(), t.rt.plural.clone(), String::new(), String::new()),
        };
        let mut matching = store
            .range(lower..)
            .take_while(|((g, p, n, _), _)| {
                *g == t.rt.group && *p == t.rt.plural && ns.as_ref().is_none_or(|x| x == n)
            })
            .filter(|((_, _, n, nm), _)| start_after.as_ref().is_none_or(|(sn, snm)| (n, nm) > (sn, snm)))
            .filter(|(_, o)| labels.matches(o) && fields.matches(o));
        let metadata_only = req.accept.contains("as=PartialObjectMetadataList");
        let mut page: Vec<Value> = Vec::new();
        let mut last: Option<&Key> = None;
        for (key, o) in matching.by_ref().take(limit) {
            page.push(Self::list_item(o, &t.rt, metadata_only));
            last = Some(key);
        }
        // Like etcd3 storage, the count is only given for unfiltered lists (a range count, no
        // selector to run); a filtered one only asks whether one more object matches.
        let unfiltered = q.get("labelSelector").is_none_or(String::is_empty)
            && q.get("fieldSelector").is_none_or(String::is_empty);
        let mut matching = matching.peekable();
        let more = matching.peek().is_some();
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if more && let Some((_, _, n, nm)) = last {
            meta["continue"] = json!(encode_continue(rv, n, nm));
            if unfiltered {
                meta["remainingItemCount"] = json!(matching.count());
            }
        }
        let (kind, api_version) = if metadata_only {
            ("PartialObjectMetadataList".to_owned(), "meta.k8s.io/v1".to_owned())
        } else {
            (format!("{}List", t.rt.kind), t.rt.api_version())
        };
        Ok((200, json!({"kind": kind, "apiVersion": api_version, "metadata": meta, "items": page})))
    }

    /// One item of a LIST, as the real server writes it.
    fn list_item(o: &Value, rt: &ResourceType, metadata_only: bool) -> Value {
        if metadata_only {
            return json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                          "metadata": o["metadata"].clone()});
        }
        let mut o = convert(o, rt);
        // The real server omits apiVersion/kind on items of built-in lists.
        if !rt.custom
            && let Some(m) = o.as_object_mut()
        {
            m.shift_remove("apiVersion");
            m.shift_remove("kind");
        }
        o
    }

    /// Takes the watch cache's view now: until [`State::sync_watch_cache`], `resourceVersion=0`
    /// lists see the cluster as it is now, not later writes (a lagging watch cache).
    pub fn freeze_watch_cache(&mut self) {
        self.watch_cache = Some((self.rv, self.objects.clone()));
    }

    /// The watch cache has caught up: `resourceVersion=0` lists see the latest data again.
    pub fn sync_watch_cache(&mut self) {
        self.watch_cache = None;
    }

    /// Records the size of the answer to request `seq`: decoded, and on the wire.
    pub fn record_bytes(&mut self, seq: u64, bytes: usize, wire_bytes: usize) {
        if let Some(r) = self.requests.iter_mut().rev().find(|r| r.seq == seq) {
            r.bytes = bytes;
            r.wire_bytes = wire_bytes;
        }
    }

    fn parse_body(req: &ApiRequest) -> Result<Value, ApiError> {
        if req.content_type.contains("yaml") {
            let text = String::from_utf8_lossy(&req.body);
            serde_saphyr::from_str::<Value>(&text)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
        } else {
            serde_json::from_slice(&req.body)
                .map_err(|e| ApiError::bad_request(format!("the object provided is unrecognized ({e})")))
        }
    }

    fn field_manager(req: &ApiRequest, q: &HashMap<String, String>) -> String {
        match q.get("fieldManager") {
            Some(m) if !m.is_empty() => m.clone(),
            // Like the real server: the user agent up to the first '/'.
            _ => req.user_agent.split('/').next().filter(|s| !s.is_empty()).unwrap_or("unknown").to_string(),
        }
    }

    fn check_type_meta(t: &Target, obj: &Value) -> Result<(), ApiError> {
        let av = obj["apiVersion"].as_str().unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        if !av.is_empty() && av != t.rt.api_version() {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                t.rt.api_version()
            )));
        }
        if !kind.is_empty() && kind != t.rt.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                t.rt.kind
            )));
        }
        Ok(())
    }

    fn create(
        &mut self,
        req: &ApiRequest,
        t: &Target,
        q: &HashMap<String, String>,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let mut obj = State::parse_body(req)?;
        State::check_type_meta(t, &obj)?;
        obj["apiVersion"] = json!(t.rt.api_version());
        obj["kind"] = json!(t.rt.kind);
        if obj.get("metadata").is_none_or(|m| !m.is_object()) {
            obj["metadata"] = json!({});
        }
        let ns = t.namespace.clone().unwrap_or_default();
        if t.rt.namespaced {
            match obj.pointer("/metadata/namespace").and_then(Value::as_str) {
                Some(n) if !n.is_empty() && n != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => obj["metadata"]["namespace"] = json!(ns),
            }
        }
        let mut name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        if name.is_empty()
            && let Some(prefix) =
                obj.pointer("/metadata/generateName").and_then(Value::as_str).map(str::to_string)
        {
            let suffix = self.new_uid().replace('-', "");
            name = format!("{prefix}{}", &suffix[..5]);
            obj["metadata"]["name"] = json!(name);
        }
        if t.rt.status_subresource
            && t.rt.plural != "namespaces"
            && let Some(m) = obj.as_object_mut()
        {
            m.shift_remove("status");
        }
        for f in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "managedFields",
        ] {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.shift_remove(f);
            }
        }
        self.finish_builtin_create(&t.rt, &mut obj);
        self.validate(&t.rt, &mut obj, None)?;
        if t.rt.namespaced
            && !self.objects.contains_key(&(String::new(), "namespaces".into(), String::new(), ns.clone()))
        {
            return Err(ApiError::not_found("", "namespaces", &ns));
        }
        let key = State::key(&t.rt, &ns, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(&t.rt.group, &t.rt.plural, &name));
        }
        let schema = Schema::for_object(t.rt.schema.as_deref());
        let (changed, _) = ssa::diff(&json!({}), &obj, &schema);
        let entries = vec![Entry {
            manager: State::field_manager(req, q),
            operation: "Update".into(),
            api_version: t.rt.api_version(),
            time: now(),
            subresource: None,
            set: changed,
        }];
        ssa::write_entries(&mut obj, &entries);
        let uid = self.new_uid();
        let meta = obj["metadata"].as_object_mut().ok_or_else(|| ApiError::internal("metadata"))?;
        meta.insert("uid".into(), json!(uid));
        meta.insert("creationTimestamp".into(), json!(now()));
        if t.rt.generation {
            meta.insert("generation".into(), json!(1));
        }
        self.commit(&t.rt, key, obj, dry_run).map(|o| (201, o))
    }

    /// Store (unless dry-run) with a fresh resourceVersion, and return the object as read.
    fn commit(
        &mut self,
        rt: &ResourceType,
        key: Key,
        mut obj: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        // ObjectMeta's maps are `omitempty`: an empty map (a merge patch that removed every
        // annotation) is not stored, as a real API server does not keep it.
        if let Some(m) = obj["metadata"].as_object_mut() {
            for k in ["labels", "annotations"] {
                if m.get(k).and_then(Value::as_object).is_some_and(serde_json::Map::is_empty) {
                    m.shift_remove(k);
                }
            }
        }
        if dry_run {
            // A dry run answers what would be stored, without consuming a resourceVersion.
            if let Some(old) = self.objects.get(&key) {
                obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
            } else if let Some(m) = obj["metadata"].as_object_mut() {
                m.shift_remove("resourceVersion");
            }
            return Ok(obj);
        }
        let rv = self.next_rv();
        obj["metadata"]["resourceVersion"] = json!(rv);
        let mut stored = obj.clone();
        stored["apiVersion"] = json!(storage_api_version(rt));
        self.objects.insert(key, stored);
        if rt.plural == "customresourcedefinitions" {
            self.rebuild_types();
        }
        Ok(obj)
    }

    fn validate(&mut self, rt: &ResourceType, obj: &mut Value, old: Option<&Value>) -> Result<(), ApiError> {
        let v = self.validator(rt);
        v.default(obj);
        let causes = v.validate(obj, old);
        if causes.is_empty() {
            Ok(())
        } else {
            let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            Err(ApiError::invalid(&rt.group, &rt.kind, name, causes))
        }
    }

    fn existing(&self, t: &Target, name: &str) -> Result<(Key, Value), ApiError> {
        let key = State::key(&t.rt, t.namespace.as_deref().unwrap_or_default(), name);
        self.objects
            .get(&key)
            .map(|o| (key.clone(), convert(o, &t.rt)))
            .ok_or_else(|| ApiError::not_found(&t.rt.group, &t.rt.plural, name))
    }

    fn update(
        &mut self,
        req: &ApiRequest,
        t: &Target,
        name: &str,
        q: &HashMap<String, String>,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let mut obj = State::parse_body(req)?;
        State::check_type_meta(t, &obj)?;
        let body_name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        if body_name != name {
            return Err(ApiError::bad_request(
                "the name of the object (".to_string()
                    + body_name
                    + ") does not match the name on the URL ("
                    + name
                    + ")",
            ));
        }
        let (key, old) = self.existing(t, name)?;
        let rv =
            obj.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default().to_string();
        if rv.is_empty() && t.rt.custom {
            return Err(ApiError::invalid(
                &t.rt.group,
                &t.rt.kind,
                name,
                vec![Cause {
                    reason: "FieldValueInvalid".into(),
                    message: "Invalid value: 0x0: must be specified for an update".into(),
                    field: "metadata.resourceVersion".into(),
                }],
            ));
        }
        if !rv.is_empty()
            && Some(rv.as_str()) != old.pointer("/metadata/resourceVersion").and_then(Value::as_str)
        {
            return Err(ApiError::conflict(&t.rt.group, &t.rt.plural, name));
        }
        obj["apiVersion"] = json!(t.rt.api_version());
        obj["kind"] = json!(t.rt.kind);
        let manager = State::field_manager(req, q);
        self.finish_update(t, key, &old, obj, Ownership::Update(manager), dry_run)
    }

    fn patch(
        &mut self,
        req: &ApiRequest,
        t: &Target,
        name: &str,
        q: &HashMap<String, String>,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let ct = req.content_type.split(';').next().unwrap_or_default().trim().to_string();
        let force = matches!(q.get("force").map(String::as_str), Some("true" | "1"));
        if ct == "application/apply-patch+yaml" || ct == "application/apply-patch+cbor" {
            let manager = q.get("fieldManager").cloned().unwrap_or_default();
            if manager.is_empty() {
                return Err(ApiError::invalid(
                    "meta.k8s.io",
                    "PatchOptions",
                    "",
                    vec![Cause {
                        reason: "FieldValueRequired".into(),
                        message: "Required value: is required for apply patch".into(),
                        field: "fieldManager".into(),
                    }],
                ));
            }
            return self.apply(req, t, name, &manager, force, dry_run);
        }
        if force {
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                vec![Cause {
                    reason: "FieldValueNotSupported".into(),
                    message: "Unsupported value: true: may not be specified for non-apply patch".into(),
                    field: "force".into(),
                }],
            ));
        }
        let (key, old) = self.existing(t, name)?;
        let patch = State::parse_body(req)?;
        let mut obj = old.clone();
        match ct.as_str() {
            "application/merge-patch+json" => crate::patch::merge_patch(&mut obj, &patch),
            "application/json-patch+json" => crate::patch::json_patch(&mut obj, &patch)?,
            "application/strategic-merge-patch+json" if !t.rt.custom => {
                crate::patch::strategic_merge_patch(&mut obj, &patch);
            }
            _ => {
                return Err(ApiError::unsupported_media_type(format!(
                    "the body of the request was in an unknown format - accepted media types include: \
                     application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{}",
                    if t.rt.custom { "" } else { ", application/strategic-merge-patch+json" }
                )));
            }
        }
        // A resourceVersion in the patch is a precondition, as on the real server.
        let patched_rv = obj.pointer("/metadata/resourceVersion").cloned();
        if patched_rv.is_some() && patched_rv != old.pointer("/metadata/resourceVersion").cloned() {
            return Err(ApiError::conflict(&t.rt.group, &t.rt.plural, name));
        }
        let manager = State::field_manager(req, q);
        self.finish_update(t, key, &old, obj, Ownership::Update(manager), dry_run)
    }

    fn apply(
        &mut self,
        req: &ApiRequest,
        t: &Target,
        name: &str,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let applied = State::parse_body(req)?;
        State::check_type_meta(t, &applied)?;
        if applied["apiVersion"].as_str().is_none() || applied["kind"].as_str().is_none() {
            return Err(ApiError::bad_request("apiVersion and kind must be set in an apply configuration"));
        }
        let applied_name = applied.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        if applied_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({applied_name}) does not match the name on the URL ({name})"
            )));
        }
        let schema = Schema::for_object(t.rt.schema.as_deref());
        let ns = t.namespace.clone().unwrap_or_default();
        let typed_err = |e: String| {
            let gvk = format!("{}, Kind={}", t.rt.api_version(), t.rt.kind);
            let id = if ns.is_empty() { name.to_string() } else { format!("{ns}/{name}") };
            ApiError {
                code: 500,
                reason: String::new(),
                message: format!("failed to create typed patch object ({id}; {gvk}): {e}"),
                name: None,
                group: None,
                kind: None,
                causes: Vec::new(),
            }
        };
        let set = ssa::applied_set(&applied, &schema).map_err(typed_err)?;
        let key = State::key(&t.rt, &ns, name);
        let sub = t.sub.clone();
        let Some(stored) = self.objects.get(&key).map(|o| convert(o, &t.rt)) else {
            if sub.is_some() {
                return Err(ApiError::not_found(&t.rt.group, &t.rt.plural, name));
            }
            // Apply to a missing object creates it, owned entirely by this manager.
            let mut body = applied.clone();
            if t.rt.namespaced {
                body["metadata"]["namespace"] = json!(ns);
            }
            let create_req = ApiRequest {
                body: serde_json::to_vec(&body).unwrap_or_default(),
                content_type: "application/json".into(),
                ..req.clone()
            };
            let (code, mut created) = self.create(&create_req, t, &HashMap::new(), true)?;
            let entries = vec![Entry {
                manager: manager.into(),
                operation: "Apply".into(),
                api_version: t.rt.api_version(),
                time: now(),
                subresource: None,
                set,
            }];
            ssa::write_entries(&mut created, &entries);
            return self.commit(&t.rt, key, created, dry_run).map(|o| (code, o));
        };
        let merged = ssa::merge(&stored, &applied, &schema).map_err(typed_err)?;
        self.finish_update(
            t,
            key,
            &stored,
            merged,
            Ownership::Apply { manager: manager.into(), set, force },
            dry_run,
        )
    }

    fn finish_update(
        &mut self,
        t: &Target,
        key: Key,
        old: &Value,
        mut obj: Value,
        own: Ownership,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let schema = Schema::for_object(t.rt.schema.as_deref());
        let name = key.3.clone();
        // Server-maintained metadata is never taken from the client.
        for f in ["uid", "creationTimestamp", "generation", "deletionTimestamp", "resourceVersion"] {
            match old["metadata"].get(f) {
                Some(v) => obj["metadata"][f] = v.clone(),
                None => {
                    if let Some(m) = obj["metadata"].as_object_mut() {
                        m.shift_remove(f);
                    }
                }
            }
        }
        obj["metadata"]["name"] = json!(name);
        if t.rt.namespaced {
            obj["metadata"]["namespace"] = json!(key.2);
        }
        // Status subresource semantics: the main resource cannot change status and
        // the status subresource can change nothing but status.
        if t.rt.status_subresource {
            let status_write = t.sub.as_deref() == Some("status");
            if status_write {
                let status = obj.get("status").cloned();
                let mf = obj.pointer("/metadata/managedFields").cloned();
                obj = old.clone();
                match status {
                    Some(s) => obj["status"] = s,
                    None => {
                        if let Some(m) = obj.as_object_mut() {
                            m.shift_remove("status");
                        }
                    }
                }
                if let Some(mf) = mf {
                    obj["metadata"]["managedFields"] = mf;
                }
            } else {
                match old.get("status") {
                    Some(s) => obj["status"] = s.clone(),
                    None => {
                        if let Some(m) = obj.as_object_mut() {
                            m.shift_remove("status");
                        }
                    }
                }
            }
        }
        if t.rt.plural == "secrets" {
            self.finish_builtin_create(&t.rt, &mut obj);
        }
        // Ownership bookkeeping.
        let mut entries = ssa::read_entries(old);
        let stamp = now();
        match own {
            Ownership::Update(manager) => {
                let (changed, removed) = ssa::diff(old, &obj, &schema);
                for e in &mut entries {
                    e.set.retain(|p| !removed.contains(p));
                    if !(e.manager == manager && e.operation == "Update" && e.subresource == t.sub) {
                        e.set.retain(|p| !changed.contains(p));
                    }
                }
                if !changed.is_empty() {
                    match entries
                        .iter_mut()
                        .find(|e| e.manager == manager && e.operation == "Update" && e.subresource == t.sub)
                    {
                        Some(e) => {
                            e.set.extend(changed);
                            e.time = stamp;
                            e.api_version = t.rt.api_version();
                        }
                        None => entries.push(Entry {
                            manager,
                            operation: "Update".into(),
                            api_version: t.rt.api_version(),
                            time: stamp,
                            subresource: t.sub.clone(),
                            set: changed,
                        }),
                    }
                }
            }
            Ownership::Apply { manager, set, force } => {
                let mine =
                    |e: &Entry| e.manager == manager && e.operation == "Apply" && e.subresource == t.sub;
                // Fields this manager applied before but no longer applies are removed
                // from the object, unless somebody else also owns them.
                let previous: ssa::FieldSet =
                    entries.iter().filter(|e| mine(e)).flat_map(|e| e.set.clone()).collect();
                for p in previous.difference(&set) {
                    let owned_elsewhere = entries.iter().any(|e| !mine(e) && e.set.contains(p));
                    if !owned_elsewhere {
                        ssa::remove_path(&mut obj, p, &schema);
                    }
                }
                let (changed, removed) = ssa::diff(old, &obj, &schema);
                let mut conflicts: Vec<(String, String, ssa::Path)> = Vec::new();
                for e in entries.iter().filter(|e| !mine(e)) {
                    for p in e.set.iter().filter(|p| changed.contains(*p) || removed.contains(*p)) {
                        conflicts.push((e.manager.clone(), e.api_version.clone(), p.clone()));
                    }
                }
                if !conflicts.is_empty() && !force {
                    return Err(apply_conflict(&t.rt, &name, &conflicts));
                }
                for e in &mut entries {
                    if !mine(e) {
                        e.set.retain(|p| !changed.contains(p) && !removed.contains(p));
                    }
                }
                match entries.iter_mut().find(|e| mine(e)) {
                    Some(e) => {
                        if e.set != set {
                            e.time = stamp;
                        }
                        e.set = set;
                        e.api_version = t.rt.api_version();
                    }
                    None => entries.push(Entry {
                        manager,
                        operation: "Apply".into(),
                        api_version: t.rt.api_version(),
                        time: stamp,
                        subresource: t.sub.clone(),
                        set,
                    }),
                }
            }
        }
        ssa::write_entries(&mut obj, &entries);
        self.validate(&t.rt, &mut obj, Some(old))?;
        if t.rt.plural == "secrets" && old.get("type") != obj.get("type") {
            return Err(ApiError::invalid(
                "",
                "Secret",
                &name,
                vec![Cause {
                    reason: "FieldValueInvalid".into(),
                    message: format!(
                        "Invalid value: {}: field is immutable",
                        obj.get("type").cloned().unwrap_or_default()
                    ),
                    field: "type".into(),
                }],
            ));
        }
        if t.rt.generation && spec_changed(old, &obj) {
            let g = old.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
            obj["metadata"]["generation"] = json!(g + 1);
        }
        // No-op writes do not bump resourceVersion, like the real storage layer.
        if strip_volatile(old) == strip_volatile(&obj) {
            return Ok((200, old.clone()));
        }
        self.commit(&t.rt, key, obj, dry_run).map(|o| (200, o))
    }

    fn delete(&mut self, t: &Target, name: &str, dry_run: bool) -> Result<(u16, Value), ApiError> {
        let (key, mut obj) = self.existing(t, name)?;
        let has_finalizers = obj.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty())
            // Namespaces carry spec.finalizers; the emulation deletes them immediately.
            && t.rt.plural != "namespaces";
        if has_finalizers {
            if obj.pointer("/metadata/deletionTimestamp").is_none() {
                obj["metadata"]["deletionTimestamp"] = json!(now());
                obj["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                let o = self.commit(&t.rt, key, obj, dry_run)?;
                return Ok((200, o));
            }
            return Ok((200, obj));
        }
        if !dry_run {
            self.objects.remove(&key);
            if t.rt.plural == "namespaces" {
                // The namespace controller's work, done at once: everything in it goes.
                self.objects.retain(|(_, _, ns, _), _| ns != name);
            }
            if t.rt.plural == "customresourcedefinitions" {
                let group =
                    obj.pointer("/spec/group").and_then(Value::as_str).unwrap_or_default().to_string();
                let plural =
                    obj.pointer("/spec/names/plural").and_then(Value::as_str).unwrap_or_default().to_string();
                self.objects.retain(|(g, p, _, _), _| !(*g == group && *p == plural));
                self.rebuild_types();
            }
            self.rv += 1;
        }
        Ok((200, obj))
    }

    fn delete_collection(
        &mut self,
        t: &Target,
        q: &HashMap<String, String>,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let (_, list) = self.list(&ApiRequest::default(), t, q)?;
        let names: Vec<(String, String)> = list["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| {
                        let s =
                            |p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
                        (s("/metadata/namespace"), s("/metadata/name"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (ns, name) in names {
            let tt = Target { namespace: if t.rt.namespaced { Some(ns) } else { None }, ..t.clone() };
            self.delete(&tt, &name, dry_run)?;
        }
        Ok((200, list))
    }

    fn access_review(&mut self, req: &ApiRequest) -> Result<(u16, Value), ApiError> {
        let mut review = State::parse_body(req)?;
        let attrs = &review["spec"]["resourceAttributes"];
        let s = |k: &str| attrs.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let a = Attributes {
            verb: s("verb").unwrap_or_default(),
            group: s("group").unwrap_or_default(),
            resource: s("resource").unwrap_or_default(),
            subresource: s("subresource"),
            namespace: s("namespace"),
            name: s("name"),
        };
        let allowed = self.rules.as_ref().is_none_or(|r| rbac::allowed(r, &a));
        review["status"] = if allowed {
            json!({"allowed": true, "reason": "RBAC: allowed by the test rule set"})
        } else {
            json!({"allowed": false})
        };
        review["apiVersion"] = json!("authorization.k8s.io/v1");
        review["kind"] = json!("SelfSubjectAccessReview");
        if review.get("metadata").is_none() {
            review["metadata"] = json!({});
        }
        review["metadata"]["creationTimestamp"] = Value::Null;
        Ok((201, review))
    }
}

struct DeleteOptions {
    dry_run: bool,
    preconditions: Map<String, Value>,
}

/// `DeleteOptions` from the body (kube clients send `dryRun` and preconditions there).
fn delete_options(req: &ApiRequest) -> Result<DeleteOptions, ApiError> {
    if req.body.is_empty() {
        return Ok(DeleteOptions { dry_run: false, preconditions: Map::new() });
    }
    let v: Value = serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::bad_request(format!("the body of DeleteOptions is invalid: {e}")))?;
    let dry_run = match v.get("dryRun").and_then(Value::as_array) {
        None => false,
        Some(a) if a.iter().all(|x| x == "All") => !a.is_empty(),
        Some(_) => return Err(ApiError::bad_request("Invalid dry run value. Supported values: All")),
    };
    let preconditions = v.get("preconditions").and_then(Value::as_object).cloned().unwrap_or_default();
    Ok(DeleteOptions { dry_run, preconditions })
}

enum Ownership {
    Update(String),
    Apply { manager: String, set: ssa::FieldSet, force: bool },
}

fn apply_conflict(rt: &ResourceType, name: &str, conflicts: &[(String, String, ssa::Path)]) -> ApiError {
    let who = |m: &str, av: &str| format!("{m:?} using {av}");
    let causes: Vec<Cause> = conflicts
        .iter()
        .map(|(m, av, p)| Cause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with {}", who(m, av)),
            field: ssa::path_string(p),
        })
        .collect();
    let message = if conflicts.len() == 1 {
        let (m, av, p) = &conflicts[0];
        format!("Apply failed with 1 conflict: conflict with {}: {}", who(m, av), ssa::path_string(p))
    } else {
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (m, av, p) in conflicts {
            by.entry(who(m, av)).or_default().push(ssa::path_string(p));
        }
        let mut lines = Vec::new();
        for (m, paths) in by {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(paths.into_iter().map(|p| format!("- {p}")));
        }
        format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
    };
    let mut e = ApiError::conflict_with(&rt.group, &rt.plural, name, message, causes);
    // The real server's apply conflicts carry causes only, no name/kind.
    e.name = None;
    e.group = None;
    e.kind = None;
    e
}

fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.shift_remove("metadata");
            m.shift_remove("status");
        }
        v
    };
    strip(old) != strip(new)
}

fn strip_volatile(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("resourceVersion");
        if let Some(Value::Array(mf)) = m.get_mut("managedFields") {
            for e in mf {
                if let Some(e) = e.as_object_mut() {
                    e.shift_remove("time");
                }
            }
        }
    }
    v
}

fn storage_api_version(rt: &ResourceType) -> String {
    if rt.group.is_empty() {
        rt.storage_version.clone()
    } else {
        format!("{}/{}", rt.group, rt.storage_version)
    }
}

/// The stored object as seen through `rt`'s version. Versions of the CRDs used
/// here differ only in apiVersion, so conversion is a relabel (like the
/// `None` conversion strategy).
fn convert(o: &Value, rt: &ResourceType) -> Value {
    let mut o = o.clone();
    o["apiVersion"] = json!(rt.api_version());
    o["kind"] = json!(rt.kind);
    o
}

fn not_found_path() -> ApiError {
    let mut e = ApiError::not_found("", "", "");
    e.message = "the server could not find the requested resource".into();
    e.group = None;
    e.kind = None;
    e
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    STANDARD
        .encode(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{ns}/{name}\u{0}")}).to_string())
}

fn decode_continue(tok: &str) -> Result<(String, String), ApiError> {
    let bad = || {
        let mut e = ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        );
        e.reason = "BadRequest".into();
        e
    };
    let raw = STANDARD.decode(tok).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let start = v["start"].as_str().ok_or_else(bad)?.trim_end_matches('\u{0}');
    let (ns, name) = start.split_once('/').ok_or_else(bad)?;
    Ok((ns.into(), name.into()))
}

fn version_info() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.4",
        "gitCommit": "59526cd4867447956156ae3a602fcbac5aec6f5b", "gitTreeState": "clean",
        "buildDate": "2025-04-22T16:02:27Z", "goVersion": "go1.23.6", "compiler": "gc",
        "platform": "linux/amd64"
    })
}
