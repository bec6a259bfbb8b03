//! Server-side apply ownership and conflicts, compared with the Kubernetes
//! documentation ("Server-Side Apply": conflicts, shared ownership, forcing,
//! transfer by Update), merge of listType=map lists, and dry-run.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::{DynamicObject, GroupVersionKind};
use kube::discovery::ApiResource;
use runai_gateway_testkit::TestServer;
use serde_json::{Value, json};

use crate::common::{api_error, client};

fn cm(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned", "namespace": "runai"}, "data": data})
}

fn managers(obj: &ConfigMap) -> Vec<(String, String, Value)> {
    obj.metadata
        .managed_fields
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            (
                m.manager.unwrap_or_default(),
                m.operation.unwrap_or_default(),
                serde_json::to_value(m.fields_v1).unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn apply_shares_conflicts_forces_and_transfers_ownership() {
    let server = TestServer::with_fixture("ingress-only");
    let api: Api<ConfigMap> = Api::namespaced(client(&server).await, "runai");
    let pp = |m: &str| PatchParams::apply(m);

    // First apply creates the object, owned by the applier.
    let o = api
        .patch("owned", &pp("runai-gateway"), &Patch::Apply(cm(json!({"a": "1", "b": "1"}))))
        .await
        .expect("apply");
    assert_eq!(
        managers(&o),
        vec![("runai-gateway".into(), "Apply".into(), json!({"f:data": {"f:a": {}, "f:b": {}}}))]
    );

    // Same value from a second manager: shared ownership, no conflict.
    let o = api.patch("owned", &pp("helm"), &Patch::Apply(cm(json!({"a": "1"})))).await.expect("shared");
    let m = managers(&o);
    assert_eq!(m.len(), 2);
    assert_eq!(m[1], ("helm".into(), "Apply".into(), json!({"f:data": {"f:a": {}}})));
    assert_eq!(m[0].2, json!({"f:data": {"f:a": {}, "f:b": {}}}));

    // A different value for a field someone else owns: 409 Conflict naming the manager.
    let err = api_error(
        api.patch("owned", &pp("helm"), &Patch::Apply(cm(json!({"a": "2"})))).await.expect_err("conflict"),
    );
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"runai-gateway\" using v1: .data.a"
    );
    let causes = err.details.expect("details").causes;
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "FieldManagerConflict");
    assert_eq!(causes[0].field, ".data.a");
    assert_eq!(causes[0].message, "conflict with \"runai-gateway\" using v1");

    // Two conflicts, reported per manager like the real server.
    let err = api_error(
        api.patch("owned", &pp("third"), &Patch::Apply(cm(json!({"a": "3", "b": "3"}))))
            .await
            .expect_err("conflicts"),
    );
    assert!(err.message.starts_with("Apply failed with 3 conflicts: conflicts with \"helm\" using v1:\n- .data.a\nconflicts with \"runai-gateway\" using v1:\n- .data.a\n- .data.b"), "{}", err.message);

    // Force takes the field: the others lose it.
    let o =
        api.patch("owned", &pp("helm").force(), &Patch::Apply(cm(json!({"a": "2"})))).await.expect("force");
    assert_eq!(o.data.as_ref().and_then(|d| d.get("a")).map(String::as_str), Some("2"));
    let m = managers(&o);
    assert_eq!(
        m,
        vec![
            ("runai-gateway".into(), "Apply".into(), json!({"f:data": {"f:b": {}}})),
            ("helm".into(), "Apply".into(), json!({"f:data": {"f:a": {}}})),
        ]
    );

    // A field a manager stops applying is removed when nobody else owns it.
    let o =
        api.patch("owned", &pp("runai-gateway"), &Patch::Apply(cm(json!({"c": "1"})))).await.expect("drop b");
    let data = o.data.clone().unwrap_or_default();
    assert!(!data.contains_key("b") && data.contains_key("a") && data.contains_key("c"));

    // An Update (merge patch by kubectl edit) takes ownership without conflict...
    let o = api
        .patch(
            "owned",
            &PatchParams { field_manager: Some("kubectl-edit".into()), ..Default::default() },
            &Patch::Merge(json!({"data": {"c": "edited"}})),
        )
        .await
        .expect("update");
    assert!(
        managers(&o)
            .iter()
            .any(|(m, op, f)| m == "kubectl-edit" && op == "Update" && *f == json!({"f:data": {"f:c": {}}}))
    );
    // ...so the next apply of the old value conflicts with it.
    let err = api_error(
        api.patch("owned", &pp("runai-gateway"), &Patch::Apply(cm(json!({"c": "1"}))))
            .await
            .expect_err("conflict"),
    );
    assert_eq!(err.message, "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.c");

    // Re-applying the same configuration is a no-op: no new resourceVersion.
    let before = api.get("owned").await.expect("get").metadata.resource_version;
    let again = api.patch("owned", &pp("helm"), &Patch::Apply(cm(json!({"a": "2"})))).await.expect("noop");
    assert_eq!(again.metadata.resource_version, before);
}

#[tokio::test]
async fn gateway_listeners_merge_by_name_and_atomic_lists_replace() {
    let server = TestServer::with_fixture("gateway-api-installed");
    let client = client(&server).await;
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "Gateway"));
    let gws: Api<DynamicObject> = Api::namespaced_with(client, "runai", &ar);
    let gw = |listeners: Value| {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "runai"},
        "spec": {"gatewayClassName": "kgateway", "listeners": listeners}})
    };
    gws.patch(
        "gw",
        &PatchParams::apply("runai-gateway"),
        &Patch::Apply(gw(json!([
        {"name": "http", "protocol": "HTTP", "port": 80}]))),
    )
    .await
    .expect("first");
    let o = gws
        .patch(
            "gw",
            &PatchParams::apply("other"),
            &Patch::Apply(gw(json!([
        {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "runai.example.com",
         "tls": {"certificateRefs": [{"name": "runai-cluster-domain-tls-secret"}]}}]))),
        )
        .await
        .expect("second");
    let names: Vec<&str> = o.data["spec"]["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, ["http", "https"], "listType=map merges by key");
    // Defaults from the CRD schema were applied (tls.mode, allowedRoutes).
    assert_eq!(o.data["spec"]["listeners"][1]["tls"]["mode"], "Terminate");
    assert_eq!(o.data["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["from"], "Same");
    let mf = o.metadata.managed_fields.clone().unwrap_or_default();
    let first = serde_json::to_value(&mf[0].fields_v1).expect("fields");
    assert_eq!(
        first["f:spec"]["f:listeners"]["k:{\"name\":\"http\"}"],
        json!({".": {}, "f:name": {}, "f:port": {}, "f:protocol": {}})
    );
    // certificateRefs is an atomic list: owned as a whole (a leaf in fieldsV1).
    let second = serde_json::to_value(&mf[1].fields_v1).expect("fields");
    assert_eq!(
        second["f:spec"]["f:listeners"]["k:{\"name\":\"https\"}"]["f:tls"],
        json!({"f:certificateRefs": {}})
    );

    // Two listeners with the same name fail before validation, as on a real server.
    let err = api_error(
        gws.patch(
            "gw",
            &PatchParams::apply("x"),
            &Patch::Apply(gw(json!([
        {"name": "a", "protocol": "HTTP", "port": 80}, {"name": "a", "protocol": "HTTP", "port": 81}]))),
        )
        .await
        .expect_err("dup"),
    );
    assert_eq!(err.code, 500);
    assert_eq!(
        err.message,
        "failed to create typed patch object (runai/gw; gateway.networking.k8s.io/v1, Kind=Gateway): .spec.listeners: duplicate entries for key [name=\"a\"]"
    );
}

#[tokio::test]
async fn dry_run_validates_and_answers_but_stores_nothing() {
    let server = TestServer::with_fixture("ingress-only");
    let api: Api<Secret> = Api::namespaced(client(&server).await, "runai");
    let rv = server.resource_version();
    let dry = PostParams { dry_run: true, ..Default::default() };
    let s: Secret = serde_json::from_value(json!({"metadata": {"name": "dry"}, "stringData": {"k": "v"}}))
        .expect("secret");
    let created = api.create(&dry, &s).await.expect("dry create");
    assert_eq!(created.data.as_ref().and_then(|d| d.get("k")).map(|b| b.0.clone()), Some(b"v".to_vec()));
    assert!(created.metadata.uid.is_some());
    let applied = api
        .patch(
            "dry-apply",
            &PatchParams::apply("m").dry_run(),
            &Patch::Apply(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dry-apply"}, "data": {}}),
            ),
        )
        .await
        .expect("dry apply");
    assert_eq!(applied.metadata.name.as_deref(), Some("dry-apply"));
    let patched = api
        .patch(
            "runai-ca-cert",
            &PatchParams { dry_run: true, ..Default::default() },
            &Patch::Merge(json!({"metadata": {"labels": {"dry": "yes"}}})),
        )
        .await
        .expect("dry patch");
    assert_eq!(patched.metadata.labels.as_ref().and_then(|l| l.get("dry")).map(String::as_str), Some("yes"));
    api.delete("runai-ca-cert", &DeleteParams { dry_run: true, ..Default::default() })
        .await
        .expect("dry delete");

    // Invalid objects are still refused under dry-run.
    let bad: Secret =
        serde_json::from_value(json!({"metadata": {"name": "bad"}, "type": "kubernetes.io/tls", "data": {}}))
            .expect("secret");
    let err = api_error(api.create(&dry, &bad).await.expect_err("invalid"));
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        err.message,
        "Secret \"bad\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]"
    );

    assert_eq!(server.resource_version(), rv, "no write happened");
    assert!(server.get("v1", "Secret", Some("runai"), "dry").is_none());
    assert!(server.get("v1", "Secret", Some("runai"), "dry-apply").is_none());
    let ca = server.get("v1", "Secret", Some("runai"), "runai-ca-cert").expect("still there");
    assert!(ca.pointer("/metadata/labels/dry").is_none());
}
