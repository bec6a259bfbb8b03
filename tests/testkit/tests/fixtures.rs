//! Every fixture loads and serves; overlays change what they say; generated
//! certificates have the promised defects; Helm releases read back the way Helm
//! reads them (`pkg/storage/driver/util.go` `decodeRelease`).

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use runai_gateway_testkit::{Fixture, TestServer};
use serde_json::Value;

use crate::common::client;

const FIXTURES: [&str; 9] = [
    "ingress-only",
    "gateway-api-installed",
    "gateway-prepared",
    "runai-introduced",
    "migrated",
    "broken/expired-cert",
    "broken/wrong-host-cert",
    "broken/key-mismatch",
    "broken/chain-missing",
];

#[test]
fn every_fixture_loads_and_seeds() {
    for name in FIXTURES {
        let f = Fixture::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let server = TestServer::start(&f).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(server.get("v1", "Namespace", None, "runai").is_some(), "{name}");
        assert!(server.get("run.ai/v1", "RunaiConfig", Some("runai"), "runai").is_some(), "{name}");
    }
}

#[test]
fn stages_differ_as_documented() {
    let ingress = Fixture::load("ingress-only").expect("load");
    assert!(ingress.find("CustomResourceDefinition", None, "gateways.gateway.networking.k8s.io").is_none());
    let installed = Fixture::load("gateway-api-installed").expect("load");
    assert!(installed.find("CustomResourceDefinition", None, "gateways.gateway.networking.k8s.io").is_some());
    assert!(
        installed.find("CustomResourceDefinition", None, "httproutes.gateway.networking.k8s.io").is_some()
    );
    let class = installed.find("GatewayClass", None, "kgateway").expect("class");
    assert_eq!(class["spec"]["controllerName"], "kgateway.dev/kgateway");
    assert_eq!(class["status"]["conditions"][0]["status"], "True");

    let prepared = Fixture::load("gateway-prepared").expect("load");
    let gw = prepared.find("Gateway", Some("runai"), "runai-gateway").expect("gateway");
    let names: Vec<&str> = gw["spec"]["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, ["https-cluster-domain", "https-workloads", "https-inference", "http"]);
    assert_eq!(gw["spec"]["listeners"][2]["hostname"], "*.runai-inference.example.com");
    assert_eq!(gw["status"]["addresses"][0]["value"], "192.0.2.20");

    let introduced = Fixture::load("runai-introduced").expect("load");
    let rc = introduced.find("RunaiConfig", Some("runai"), "runai").expect("runaiconfig");
    assert_eq!(rc["spec"]["global"]["gatewayAPI"]["enabled"], true);
    let gw = introduced.find("Gateway", Some("runai"), "runai-gateway").expect("gateway");
    assert_eq!(gw["status"]["listeners"][0]["attachedRoutes"], 2);

    let migrated = Fixture::load("migrated").expect("load");
    assert!(migrated.objects.iter().all(|o| o["kind"] != "Ingress"));
    let rc = migrated.find("RunaiConfig", Some("runai"), "runai").expect("runaiconfig");
    assert_eq!(rc["spec"]["global"]["ingress"]["enabled"], false);
    assert_eq!(rc["spec"]["global"]["gatewayAPI"]["name"], "runai-gateway", "overlays stack on their base");
}

/// Helm's own read path: base64 (the Secret's data is already decoded by the
/// client), gunzip when the magic bytes are there, JSON.
fn helm_decode(secret: &Secret) -> Value {
    let stored = secret.data.as_ref().and_then(|d| d.get("release")).expect("release key").0.clone();
    let raw = STANDARD.decode(&stored).expect("Helm stores base64");
    assert_eq!(&raw[..3], &[0x1f, 0x8b, 0x08], "gzip magic");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut json).expect("gunzip");
    serde_json::from_slice(&json).expect("release JSON")
}

#[tokio::test]
async fn helm_releases_read_back_like_helm_reads_them() {
    let server = TestServer::with_fixture("migrated");
    let secrets: Api<Secret> = Api::all(client(&server).await);
    let list = secrets
        .list(
            &ListParams::default().labels("owner=helm,name=runai-backend").fields("type=helm.sh/release.v1"),
        )
        .await
        .expect("list");
    let mut by_rev: Vec<(String, Value)> =
        list.items.iter().map(|s| (s.metadata.name.clone().unwrap_or_default(), helm_decode(s))).collect();
    by_rev.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = by_rev.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "sh.helm.release.v1.runai-backend.v1",
            "sh.helm.release.v1.runai-backend.v2",
            "sh.helm.release.v1.runai-backend.v3"
        ]
    );
    let statuses: Vec<&str> = by_rev.iter().filter_map(|(_, r)| r["info"]["status"].as_str()).collect();
    assert_eq!(statuses, ["superseded", "superseded", "deployed"]);
    let latest = &by_rev[2].1;
    assert_eq!(latest["name"], "runai-backend");
    assert_eq!(latest["namespace"], "runai-backend");
    assert_eq!(latest["version"], 3);
    assert_eq!(latest["chart"]["metadata"]["name"], "control-plane");
    assert_eq!(latest["chart"]["metadata"]["version"], "2.25.7");
    assert_eq!(latest["config"]["global"]["ingress"]["enabled"], "false");
    assert_eq!(latest["config"]["global"]["gatewayAPI"]["parentRefs"][0]["name"], "runai-gateway");
    // The Secret's labels are Helm's.
    let deployed = list
        .items
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some("sh.helm.release.v1.runai-backend.v3"))
        .expect("v3");
    let labels = deployed.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("status").map(String::as_str), Some("deployed"));
    assert_eq!(labels.get("version").map(String::as_str), Some("3"));
    assert_eq!(deployed.type_.as_deref(), Some("helm.sh/release.v1"));
}

fn pem_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    rustls_pemfile::certs(&mut &pem[..]).collect::<Result<_, _>>().expect("PEM")
}

fn tls_secret(f: &Fixture, ns: &str, name: &str) -> (Vec<u8>, Vec<u8>) {
    let s = f.find("Secret", Some(ns), name).expect("secret");
    let d = |k: &str| STANDARD.decode(s["data"][k].as_str().expect("data")).expect("base64");
    (d("tls.crt"), d("tls.key"))
}

/// Verify like a TLS client trusting only the fixture's root CA would.
fn verify(f: &Fixture, chain_pem: &[u8], host: &str) -> Result<(), String> {
    let roots_der = pem_certs(f.ca_pem().as_bytes());
    let anchors =
        vec![webpki::anchor_from_trusted_cert(&roots_der[0]).map_err(|e| e.to_string())?.to_owned()];
    let chain = pem_certs(chain_pem);
    let leaf = webpki::EndEntityCert::try_from(&chain[0]).map_err(|e| e.to_string())?;
    let now = rustls::pki_types::UnixTime::now();
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &chain[1..],
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| format!("{e:?}"))?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    leaf.verify_is_valid_for_subject_name(&name).map_err(|e| format!("{e:?}"))
}

fn keys_match(chain_pem: &[u8], key_pem: &[u8]) -> bool {
    let key = rustls_pemfile::private_key(&mut &key_pem[..]).expect("pem").expect("key");
    let provider = rustls::crypto::ring::default_provider();
    let signer = provider.key_provider.load_private_key(key).expect("key loads");
    rustls::sign::CertifiedKey::new(pem_certs(chain_pem), signer).keys_match().is_ok()
}

#[test]
fn generated_certificates_have_the_promised_defects() {
    let good = Fixture::load("gateway-prepared").expect("load");
    for (ns, name, host) in [
        ("runai", "runai-cluster-domain-tls-secret", "runai.example.com"),
        ("runai", "runai-cluster-domain-star-tls-secret", "x.runai.example.com"),
        ("runai", "runai-cluster-inference-tls-secret", "m-p.runai-inference.example.com"),
        ("knative-serving", "runai-cluster-inference-tls-secret", "m-p.runai-inference.example.com"),
        ("runai-backend", "runai-backend-tls", "runai.example.com"),
    ] {
        let (crt, key) = tls_secret(&good, ns, name);
        assert_eq!(verify(&good, &crt, host), Ok(()), "{ns}/{name}");
        assert!(keys_match(&crt, &key), "{ns}/{name}");
    }

    let expired = Fixture::load("broken/expired-cert").expect("load");
    let (crt, _) = tls_secret(&expired, "runai", "runai-cluster-domain-tls-secret");
    assert!(verify(&expired, &crt, "runai.example.com").is_err_and(|e| e.contains("Expired")));

    let wrong = Fixture::load("broken/wrong-host-cert").expect("load");
    let (crt, _) = tls_secret(&wrong, "runai", "runai-cluster-domain-star-tls-secret");
    assert!(verify(&wrong, &crt, "x.runai.example.com").is_err_and(|e| e.contains("NotValidForName")));

    let mismatch = Fixture::load("broken/key-mismatch").expect("load");
    let (crt, key) = tls_secret(&mismatch, "runai", "runai-cluster-inference-tls-secret");
    assert_eq!(verify(&mismatch, &crt, "a.runai-inference.example.com"), Ok(()));
    assert!(!keys_match(&crt, &key));

    let chainless = Fixture::load("broken/chain-missing").expect("load");
    let (crt, _) = tls_secret(&chainless, "runai", "runai-cluster-domain-tls-secret");
    assert_eq!(pem_certs(&crt).len(), 1);
    assert!(verify(&chainless, &crt, "runai.example.com").is_err_and(|e| e.contains("UnknownIssuer")));
    // Fixtures never share keys: each load generates a fresh PKI.
    assert_ne!(good.ca_pem(), expired.ca_pem());
}

#[test]
fn overlays_refuse_targets_that_do_not_exist() {
    let dir = std::env::temp_dir().join(format!("testkit-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let base = runai_gateway_testkit::fixture::fixtures_dir().join("ingress-only");
    std::fs::write(
        dir.join("overlay.yaml"),
        format!("base: {}\ndelete:\n- {{kind: Ingress, namespace: runai, name: nope}}\n", base.display()),
    )
    .expect("write");
    let err = Fixture::load_dir(&dir).expect_err("bad target");
    assert!(err.to_string().contains("matches nothing"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
