//! Discovery, CRUD, lists, selectors, pagination and Status errors, driven by
//! the real kube client through the written kubeconfig.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::core::{DynamicObject, GroupVersionKind};
use kube::discovery::{Discovery, Scope};
use runai_gateway_testkit::TestServer;
use serde_json::json;

use crate::common::{api_error, client};

#[tokio::test]
async fn discovery_finds_builtins_and_fixture_crds_with_scope() {
    let server = TestServer::with_fixture("gateway-api-installed");
    let client = client(&server).await;
    let discovery = Discovery::new(client.clone()).run().await.expect("discovery");
    let scope = |g: &str, v: &str, k: &str| {
        let gvk = GroupVersionKind::gvk(g, v, k);
        discovery.resolve_gvk(&gvk).map(|(_, caps)| caps.scope)
    };
    assert_eq!(scope("", "v1", "Secret"), Some(Scope::Namespaced));
    assert_eq!(scope("", "v1", "Namespace"), Some(Scope::Cluster));
    assert_eq!(scope("networking.k8s.io", "v1", "Ingress"), Some(Scope::Namespaced));
    assert_eq!(scope("discovery.k8s.io", "v1", "EndpointSlice"), Some(Scope::Namespaced));
    assert_eq!(scope("apiextensions.k8s.io", "v1", "CustomResourceDefinition"), Some(Scope::Cluster));
    assert_eq!(scope("gateway.networking.k8s.io", "v1", "Gateway"), Some(Scope::Namespaced));
    assert_eq!(scope("gateway.networking.k8s.io", "v1", "GatewayClass"), Some(Scope::Cluster));
    assert_eq!(scope("gateway.networking.k8s.io", "v1beta1", "ReferenceGrant"), Some(Scope::Namespaced));
    assert_eq!(scope("operator.knative.dev", "v1beta1", "KnativeServing"), Some(Scope::Namespaced));
    assert_eq!(scope("run.ai", "v1", "RunaiConfig"), Some(Scope::Namespaced));
    assert_eq!(scope("gateway.kgateway.dev", "v1alpha1", "HTTPListenerPolicy"), Some(Scope::Namespaced));
    let (_, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "Gateway"))
        .expect("gateway");
    assert!(
        caps.subresources.iter().any(|(r, _)| r.plural == "gateways/status" || r.plural == "status"),
        "status subresource is advertised: {:?}",
        caps.subresources
    );
    // An unknown group is a 404 Status, as on a real server.
    assert!(discovery.get("nope.example.com").is_none());
    let v = client.apiserver_version().await.expect("version");
    assert_eq!((v.major.as_str(), v.minor.as_str()), ("1", "32"));
}

#[tokio::test]
async fn crud_round_trip_maintains_server_metadata() {
    let server = TestServer::with_fixture("ingress-only");
    let client = client(&server).await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "runai");
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "probe", "labels": {"app": "probe"}}, "data": {"a": "1"}
    }))
    .expect("cm");
    let created = cms.create(&PostParams::default(), &cm).await.expect("create");
    let meta = &created.metadata;
    assert!(meta.uid.as_deref().is_some_and(|u| u.len() == 36));
    assert!(meta.creation_timestamp.is_some());
    let rv1: u64 = meta.resource_version.as_deref().and_then(|r| r.parse().ok()).expect("rv");
    assert_eq!(meta.namespace.as_deref(), Some("runai"));

    // Create again: 409 AlreadyExists.
    let err = api_error(cms.create(&PostParams::default(), &cm).await.expect_err("dup"));
    assert_eq!((err.code, err.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(err.message, "configmaps \"probe\" already exists");

    // Update with the current resourceVersion works and bumps it.
    let mut next = created.clone();
    next.data = Some([("a".to_string(), "2".to_string())].into());
    let updated = cms.replace("probe", &PostParams::default(), &next).await.expect("update");
    let rv2: u64 = updated.metadata.resource_version.as_deref().and_then(|r| r.parse().ok()).expect("rv");
    assert!(rv2 > rv1);
    assert_eq!(updated.metadata.uid, created.metadata.uid);

    // Update with the stale one: 409 Conflict, the real message.
    let err = api_error(cms.replace("probe", &PostParams::default(), &next).await.expect_err("stale"));
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert!(
        err.message.starts_with(
            "Operation cannot be fulfilled on configmaps \"probe\": the object has been modified"
        ),
        "{}",
        err.message
    );

    // Delete, then 404 NotFound.
    cms.delete("probe", &DeleteParams::default()).await.expect("delete");
    let err = api_error(cms.get("probe").await.expect_err("gone"));
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));
    assert_eq!(err.message, "configmaps \"probe\" not found");
    assert_eq!(server.get("v1", "ConfigMap", Some("runai"), "probe"), None);

    // Creating into a missing namespace is refused like the real server does.
    let other: Api<ConfigMap> = Api::namespaced(client.clone(), "nope");
    let err = api_error(other.create(&PostParams::default(), &cm).await.expect_err("no ns"));
    assert_eq!((err.code, err.message.as_str()), (404, "namespaces \"nope\" not found"));
}

#[tokio::test]
async fn generation_moves_on_spec_changes_only() {
    let server = TestServer::with_fixture("gateway-prepared");
    let client = client(&server).await;
    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute");
    let ar = kube::discovery::ApiResource::from_gvk(&gvk);
    let routes: Api<DynamicObject> = Api::namespaced_with(client, "knative-serving", &ar);
    let mut r = routes.get("knative-serving-httproute").await.expect("route");
    let g0 = r.metadata.generation.expect("generation");
    r.metadata.labels.get_or_insert_default().insert("x".into(), "y".into());
    let r =
        routes.replace("knative-serving-httproute", &PostParams::default(), &r).await.expect("label update");
    assert_eq!(r.metadata.generation, Some(g0), "metadata changes keep the generation");
    let mut r2 = r.clone();
    r2.data["spec"]["hostnames"] = json!(["a.runai-inference.example.com"]);
    r2.data["status"] = json!({"parents": []});
    let r2 =
        routes.replace("knative-serving-httproute", &PostParams::default(), &r2).await.expect("spec update");
    assert_eq!(r2.metadata.generation, Some(g0 + 1));
    assert_eq!(r2.data["status"], r.data["status"], "status is ignored on the main resource");

    // Through /status, spec changes are ignored and status changes stick.
    let mut r3 = r2.clone();
    r3.data["spec"]["hostnames"] = json!(["ignored.example.com"]);
    r3.data["status"] = json!({"parents": []});
    let r3 = routes
        .replace_status("knative-serving-httproute", &PostParams::default(), &r3)
        .await
        .expect("status");
    assert_eq!(r3.data["spec"]["hostnames"], json!(["a.runai-inference.example.com"]));
    assert_eq!(r3.data["status"], json!({"parents": []}));
    assert_eq!(r3.metadata.generation, Some(g0 + 1));
}

#[tokio::test]
async fn lists_paginate_across_pages() {
    let server = TestServer::with_fixture("ingress-only");
    for i in 0..7 {
        server
            .put(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("page-{i}"), "namespace": "runai", "labels": {"page": "yes"}}}))
            .expect("seed");
    }
    let client = client(&server).await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "runai");
    let mut names = Vec::new();
    let mut lp = ListParams::default().limit(3);
    let mut pages = 0;
    loop {
        let page = cms.list(&lp).await.expect("page");
        pages += 1;
        names.extend(page.items.iter().filter_map(|c| c.metadata.name.clone()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => {
                assert!(page.metadata.remaining_item_count.is_some_and(|n| n > 0));
                lp = lp.continue_token(&c);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|i| format!("page-{i}")).collect();
    assert_eq!(names, expected);
    assert_eq!(server.count("list", "configmaps"), 3);
}

#[tokio::test]
async fn label_and_field_selectors_filter_like_the_real_server() {
    let server = TestServer::with_fixture("ingress-only");
    let client = client(&server).await;
    let secrets: Api<Secret> = Api::all(client.clone());
    let helm = secrets
        .list(&ListParams::default().labels("owner=helm,name in (runai-backend, runai-cluster)"))
        .await
        .expect("list");
    let mut names: Vec<String> = helm.items.iter().filter_map(|s| s.metadata.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["sh.helm.release.v1.runai-backend.v1", "sh.helm.release.v1.runai-cluster.v1"]);
    let ca = secrets.list(&ListParams::default().labels("run.ai/cluster-wide=true")).await.expect("list");
    assert_eq!(ca.items.len(), 1);
    let none = secrets.list(&ListParams::default().labels("!owner,owner=helm")).await.expect("list");
    assert!(none.items.is_empty());

    let by_name = secrets
        .list(&ListParams::default().fields("metadata.name=runai-ca-cert,metadata.namespace!=runai"))
        .await
        .expect("list");
    assert_eq!(by_name.items.len(), 1);
    assert_eq!(by_name.items[0].metadata.namespace.as_deref(), Some("runai-backend"));
    let tls = secrets.list(&ListParams::default().fields("type=kubernetes.io/tls")).await.expect("list");
    assert_eq!(tls.items.len(), 4);

    let ns: Api<Namespace> = Api::all(client.clone());
    let err =
        api_error(ns.list(&ListParams::default().fields("spec.finalizers=x")).await.expect_err("bad field"));
    assert_eq!((err.code, err.reason.as_str()), (400, "BadRequest"));
    assert_eq!(err.message, "field label not supported: spec.finalizers");

    let ing: Api<Ingress> = Api::all(client.clone());
    assert_eq!(ing.list(&ListParams::default()).await.expect("list").items.len(), 3);
    let svc: Api<Service> = Api::namespaced(client, "haproxy-controller");
    let lb = svc.get("haproxy-kubernetes-ingress").await.expect("svc");
    let ip = lb.status.and_then(|s| s.load_balancer).and_then(|l| l.ingress).and_then(|i| i[0].ip.clone());
    assert_eq!(ip.as_deref(), Some("192.0.2.10"));
}

#[tokio::test]
async fn requests_without_the_token_are_unauthorized() {
    let server = TestServer::with_fixture("ingress-only");
    let yaml = server.kubeconfig_yaml().replace(server.token(), "wrong-token");
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("yaml");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("cfg");
    let client = kube::Client::try_from(cfg).expect("client");
    let ns: Api<Namespace> = Api::all(client);
    let err = api_error(ns.list(&ListParams::default()).await.expect_err("401"));
    assert_eq!((err.code, err.reason.as_str()), (401, "Unauthorized"));
}

#[tokio::test]
async fn resource_version_zero_is_served_from_a_watch_cache_whole_and_maybe_stale() {
    let server = TestServer::with_fixture("ingress-only");
    let client = client(&server).await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for i in 0..5 {
        let cm: ConfigMap = serde_json::from_value(
            json!({"metadata": {"name": format!("cm-{i}")}, "data": {"i": i.to_string()}}),
        )
        .expect("cm");
        cms.create(&PostParams::default(), &cm).await.expect("create");
    }
    // Consistent reads page by `limit`; a `resourceVersion=0` read is whole (kube's client sends
    // no `resourceVersion=0` with a `limit`, since a watch cache up to 1.32 ignores it).
    let page = cms.list(&ListParams::default().limit(2)).await.expect("page");
    assert_eq!(page.items.len(), 2);
    assert!(page.metadata.continue_.is_some());
    let cached = cms.list(&ListParams::default().match_any()).await.expect("cached");
    assert_eq!(cached.items.len(), 5);
    assert!(cached.metadata.continue_.is_none());
    let last = server.requests().pop().expect("request");
    assert!(last.query.contains("resourceVersion=0"), "{}", last.query);
    // A lagging cache: what is written after it froze is seen by consistent reads only.
    server.freeze_watch_cache();
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "late"}})).expect("cm");
    cms.create(&PostParams::default(), &cm).await.expect("create");
    assert_eq!(cms.list(&ListParams::default()).await.expect("fresh").items.len(), 6);
    assert_eq!(cms.list(&ListParams::default().match_any()).await.expect("stale").items.len(), 5);
    server.sync_watch_cache();
    assert_eq!(cms.list(&ListParams::default().match_any()).await.expect("synced").items.len(), 6);
    // Every answer's size is recorded.
    assert!(server.requests().iter().filter(|r| r.verb == "list").all(|r| r.bytes > 0));
}

#[tokio::test]
async fn metadata_only_lists_carry_metadata_only() {
    let server = TestServer::with_fixture("ingress-only");
    let client = client(&server).await;
    let namespaces: Api<Namespace> = Api::all(client);
    let list = namespaces.list_metadata(&ListParams::default()).await.expect("metadata list");
    assert!(!list.items.is_empty());
    assert!(list.items.iter().all(|n| n.metadata.name.is_some()));
    let full = namespaces.list(&ListParams::default()).await.expect("list");
    assert_eq!(list.items.len(), full.items.len());
}

/// The body of an answer as the client reads it: gunzipped when it came compressed (kube's
/// client decodes it itself when built with its `gzip` feature).
fn decoded(body: &[u8]) -> serde_json::Value {
    let mut text = Vec::new();
    if body.starts_with(&[0x1f, 0x8b]) {
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut text).expect("gunzip");
    } else {
        text = body.to_vec();
    }
    serde_json::from_slice(&text).expect("JSON")
}

#[tokio::test]
async fn answers_over_128_kib_are_gzipped_when_the_client_accepts_gzip() {
    let server = TestServer::with_fixture("ingress-only");
    let client = client(&server).await;
    let filler = "x".repeat(1024);
    let maps = (0..200).map(|i| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": format!("big-{i:03}"), "namespace": "default"},
               "data": {"filler": filler}})
    });
    server.seed_all(maps).expect("seed");
    let get = |query: &str, encoding: &str| {
        let req = http::Request::get(format!("/api/v1/namespaces/default/configmaps{query}"))
            .header("Accept-Encoding", encoding)
            .body(kube::client::Body::empty())
            .expect("request");
        let client = client.clone();
        async move { client.send(req).await.expect("answer").into_body().collect_bytes().await.expect("body") }
    };
    // The whole list (about 215 KB) is compressed, at level 1 still far smaller.
    server.clear_requests();
    let body = get("", "gzip").await;
    let list = decoded(&body);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(200));
    let r = server.requests().pop().expect("request");
    assert!(r.bytes > runai_gateway_testkit::GZIP_THRESHOLD_BYTES, "{}", r.bytes);
    assert_eq!(r.bytes, serde_json::to_vec(&list).expect("json").len());
    assert!(r.wire_bytes * 10 < r.bytes, "wire {} of {}", r.wire_bytes, r.bytes);
    assert_eq!(server.wire_bytes_served(), r.wire_bytes);
    // A page under the threshold is not, nor is an answer to a client that refuses gzip.
    let _ = get("?limit=10", "gzip").await;
    let small = server.requests().pop().expect("request");
    assert!(small.bytes < runai_gateway_testkit::GZIP_THRESHOLD_BYTES);
    assert_eq!(small.wire_bytes, small.bytes);
    for refused in ["identity", "gzip;q=0"] {
        let body = get("", refused).await;
        assert!(!body.starts_with(&[0x1f, 0x8b]), "{refused}");
        let r = server.requests().pop().expect("request");
        assert_eq!((r.wire_bytes, r.bytes), (body.len(), body.len()), "{refused}");
    }
}
