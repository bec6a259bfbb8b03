//! The Gateway API samples of the shared test data, applied with server-side
//! apply as `kubectl apply --server-side` does, must be accepted or rejected
//! exactly as samples/README.md records for a real kube-apiserver.

use std::path::PathBuf;

use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::core::{DynamicObject, GroupVersionKind};
use kube::discovery::ApiResource;
use runai_gateway_testkit::TestServer;
use runai_gateway_testkit::fixture::{gateway_api_dir, parse_yaml_documents};
use serde_json::{Value, json};

use crate::common::client;

fn sample(file: &str) -> Value {
    let path: PathBuf = gateway_api_dir().join("samples").join(file);
    parse_yaml_documents(&path).expect("sample parses").remove(0)
}

/// The message part after `is invalid: ` in the README (kubectl prefixes "The ").
fn readme_message(file: &str) -> String {
    let readme = std::fs::read_to_string(gateway_api_dir().join("samples/README.md")).expect("README");
    let row = readme.lines().find(|l| l.starts_with(&format!("| {file}"))).expect("row");
    let quoted = row.rsplit('|').nth(1).expect("message cell").trim();
    let msg = quoted.trim_matches('`');
    msg.split_once(" is invalid: ").map(|(_, m)| m.to_string()).expect("invalid message")
}

async fn apply(client: &kube::Client, obj: &Value) -> Result<DynamicObject, kube::Error> {
    let (group, version) = obj["apiVersion"].as_str().and_then(|a| a.split_once('/')).unwrap_or(("", "v1"));
    let gvk = GroupVersionKind::gvk(group, version, obj["kind"].as_str().unwrap_or_default());
    let ar = ApiResource::from_gvk(&gvk);
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let api: Api<DynamicObject> = match obj["metadata"]["namespace"].as_str() {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    api.patch(name, &PatchParams::apply("kubectl"), &Patch::Apply(obj)).await
}

#[tokio::test]
async fn samples_are_accepted_and_rejected_as_the_readme_says() {
    // The samples and their verdicts come with the shared test data beside the checkout; the CRDs
    // alone (downloaded by scripts/test.sh when that folder is absent) do not carry them.
    if !gateway_api_dir().join("samples/README.md").is_file() {
        runai_gateway_testkit::skip_unless_ci(
            "gateway_samples::samples_are_accepted_and_rejected_as_the_readme_says",
            &format!("no samples in {}/samples", gateway_api_dir().display()),
        );
        return;
    }
    let server = TestServer::with_fixture("gateway-api-installed");
    let client = client(&server).await;
    let ns = sample("00-namespace.yaml");
    let ns_api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    ns_api.create(&PostParams::default(), &serde_json::from_value(ns).expect("ns")).await.expect("namespace");
    apply(&client, &sample("10-gatewayclass.yaml")).await.expect("gatewayclass accepted");
    // The Secret 20 refers to (the README creates it first).
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), "gw-verify");
    let tls = server.fixture_ca_pem().to_string();
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
            "metadata": {"name": "runai-wildcard-tls"}, "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": tls, "tls.key": "placeholder"}}))
            .expect("secret"),
        )
        .await
        .expect("secret");

    for accepted in ["20-gateway-valid.yaml", "30-gateway-https-no-tls.yaml"] {
        let gw =
            apply(&client, &sample(accepted)).await.unwrap_or_else(|e| panic!("{accepted} accepted: {e}"));
        assert!(gw.metadata.uid.is_some());
    }
    for rejected in [
        "40-gateway-invalid-https-passthrough.yaml",
        "41-gateway-invalid-http-with-tls.yaml",
        "42-gateway-invalid-terminate-no-certs.yaml",
        "43-gateway-invalid-duplicate-listener.yaml",
        "44-gateway-invalid-hostname.yaml",
    ] {
        let obj = sample(rejected);
        let err = match apply(&client, &obj).await {
            Err(kube::Error::Api(s)) => s,
            other => panic!("{rejected}: expected a Status, got {other:?}"),
        };
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{rejected}: {}", err.message);
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let expected =
            format!("Gateway.gateway.networking.k8s.io \"{name}\" is invalid: {}", readme_message(rejected));
        assert_eq!(err.message, expected, "{rejected}");
        let causes = err.details.expect("details").causes;
        assert_eq!(causes.len(), 1, "{rejected}: {causes:?}");
        assert!(expected.ends_with(&format!("{}: {}", causes[0].field, causes[0].message)));
        assert!(server.get("gateway.networking.k8s.io/v1", "Gateway", Some("gw-verify"), name).is_none());
    }
}

#[test]
fn every_gateway_and_httproute_rule_is_enforced() {
    let server = TestServer::with_fixture("gateway-api-installed");
    for kind in ["Gateway", "HTTPRoute", "GatewayClass"] {
        let unsupported = server.unsupported_cel_rules("gateway.networking.k8s.io/v1", kind);
        assert!(unsupported.is_empty(), "{kind}: CEL rules the engine cannot parse: {unsupported:#?}");
    }
}

#[tokio::test]
async fn schema_types_enums_and_required_fields_are_checked() {
    let server = TestServer::with_fixture("gateway-api-installed");
    let client = client(&server).await;
    let mut gw = sample("20-gateway-valid.yaml");
    gw["metadata"]["namespace"] = json!("runai");
    gw["spec"]["listeners"][0]["port"] = json!(70000);
    gw["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["from"] = json!("Everywhere");
    let err = match apply(&client, &gw).await {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected a Status, got {other:?}"),
    };
    let fields: Vec<String> = err
        .details
        .expect("details")
        .causes
        .into_iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    assert!(fields.contains(&"spec.listeners[0].port: Invalid value: 70000: spec.listeners[0].port in body should be less than or equal to 65535".to_string()), "{fields:#?}");
    assert!(fields.iter().any(|f| f.starts_with("spec.listeners[0].allowedRoutes.namespaces.from: Unsupported value: \"Everywhere\": supported values: ")), "{fields:#?}");

    let mut missing = sample("20-gateway-valid.yaml");
    missing["metadata"]["namespace"] = json!("runai");
    missing["spec"].as_object_mut().expect("spec").shift_remove("gatewayClassName");
    let err = match apply(&client, &missing).await {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected a Status, got {other:?}"),
    };
    assert!(err.message.ends_with("is invalid: spec.gatewayClassName: Required value"), "{}", err.message);
}
