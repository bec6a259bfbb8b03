//! SelfSubjectAccessReview answers and 403s from a configured rule set, and
//! each injected fault kind (status, delay, dropped connection).

use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams, PostParams};
use runai_gateway_testkit::{Fault, FaultAction, Rule, TestServer};

use crate::common::{api_error, client};

async fn can(client: &kube::Client, verb: &str, group: &str, resource: &str, ns: Option<&str>) -> bool {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                namespace: ns.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = api.create(&PostParams::default(), &review).await.expect("ssar");
    answer.status.expect("status").allowed
}

#[tokio::test]
async fn access_reviews_and_403s_follow_the_rule_set() {
    let server = TestServer::with_fixture("gateway-prepared");
    let client = client(&server).await;
    assert!(
        can(&client, "patch", "gateway.networking.k8s.io", "gateways", Some("runai")).await,
        "allow-all by default"
    );

    server.set_rules(Some(vec![
        Rule::allow("", &["secrets"], &["get", "list"]).in_namespaces(&["runai"]),
        Rule::allow("gateway.networking.k8s.io", &["gateways", "httproutes"], &["get", "list", "watch"]),
    ]));
    assert!(can(&client, "list", "", "secrets", Some("runai")).await);
    assert!(!can(&client, "list", "", "secrets", Some("runai-backend")).await);
    assert!(can(&client, "list", "gateway.networking.k8s.io", "gateways", None).await);
    assert!(!can(&client, "patch", "gateway.networking.k8s.io", "gateways", Some("runai")).await);

    let ok: Api<Secret> = Api::namespaced(client.clone(), "runai");
    assert!(!ok.list(&ListParams::default()).await.expect("allowed").items.is_empty());
    let denied: Api<Secret> = Api::namespaced(client.clone(), "runai-backend");
    let err = api_error(denied.list(&ListParams::default()).await.expect_err("403"));
    assert_eq!((err.code, err.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        err.message,
        "secrets is forbidden: User \"test-user\" cannot list resource \"secrets\" in API group \"\" in the namespace \"runai-backend\""
    );
    let err = api_error(denied.get("runai-backend-tls").await.expect_err("403"));
    assert_eq!(
        err.message,
        "secrets \"runai-backend-tls\" is forbidden: User \"test-user\" cannot get resource \"secrets\" in API group \"\" in the namespace \"runai-backend\""
    );
    let ns: Api<Namespace> = Api::all(client.clone());
    let err = api_error(ns.list(&ListParams::default()).await.expect_err("403"));
    assert!(
        err.message.ends_with("cannot list resource \"namespaces\" in API group \"\" at the cluster scope"),
        "{}",
        err.message
    );

    server.set_rules(None);
    assert!(ns.list(&ListParams::default()).await.is_ok());
}

#[tokio::test]
async fn injected_status_delay_and_drop() {
    let server = TestServer::with_fixture("ingress-only");
    let client = client(&server).await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "runai");

    // Status: once, then normal service.
    server.inject(Fault::on("list", "secrets", FaultAction::Status(500)).times(1));
    let err = api_error(secrets.list(&ListParams::default()).await.expect_err("500"));
    assert_eq!((err.code, err.reason.as_str()), (500, "InternalError"));
    assert!(secrets.list(&ListParams::default()).await.is_ok());
    // NB: kube's client retries 429/503/504 by itself, so a single 503 is
    // invisible to the caller but visible in the request count.
    server.inject(Fault::on("list", "secrets", FaultAction::Status(503)).times(1));
    assert!(secrets.list(&ListParams::default()).await.is_ok());

    // Status scoped to one name.
    server.inject(Fault::on("get", "secrets", FaultAction::Status(500)).named("runai-ca-cert"));
    assert_eq!(api_error(secrets.get("runai-ca-cert").await.expect_err("500")).code, 500);
    assert!(secrets.get("runai-cluster-domain-tls-secret").await.is_ok());
    server.clear_faults();

    // Delay.
    server.inject(Fault::on("get", "secrets", FaultAction::Delay(Duration::from_millis(400))).times(1));
    let t = Instant::now();
    secrets.get("runai-ca-cert").await.expect("slow get");
    assert!(t.elapsed() >= Duration::from_millis(400));

    // Dropped connection: a transport error, not an API Status.
    server.inject(Fault::on("get", "secrets", FaultAction::Drop).named("runai-ca-cert").times(1));
    let err = secrets.get("runai-ca-cert").await.expect_err("dropped");
    assert!(!matches!(err, kube::Error::Api(_)), "a dropped connection has no Status: {err:?}");

    // Every request was counted, faulted ones included.
    assert_eq!(server.count("list", "secrets"), 4);
    assert_eq!(server.count("get", "secrets"), 4);
    assert!(server.requests().iter().any(|r| r.path == "/api/v1/namespaces/runai/secrets/runai-ca-cert"));
}
