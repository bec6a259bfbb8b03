//! A stand-in for cert-manager's controller: it acts on `Certificate`s the way cert-manager
//! does, one reconcile pass at a time, from what is stored.
//!
//! For each `cert-manager.io/v1` Certificate it has not acted on (no `Ready` condition for its
//! current generation) it creates the `CertificateRequest` of revision 1 and then:
//!
//! - the issuer (`ClusterIssuer`, or `Issuer` in the Certificate's namespace) is missing or not
//!   `Ready`: the request stays `Ready=False` `Pending` with cert-manager's message, the
//!   Certificate `Ready=False` `DoesNotExist`;
//! - an ACME issuer whose solvers have no `dns01` and a wildcard among `dnsNames`: the order
//!   errors as cert-manager reports it ("no configured challenge solvers can be used for this
//!   challenge"), the request is `Ready=False` `Failed`, the Certificate `Ready=False`
//!   `DoesNotExist` with `Issuing=False` `Failed`;
//! - otherwise it issues: a `kubernetes.io/tls` Secret `spec.secretName` (leaf for `dnsNames`
//!   from this stand-in's own CA, chain and `ca.crt`), with `secretTemplate`'s labels and
//!   annotations and cert-manager's own annotations, the request `Ready=True` `Issued`, the
//!   Certificate `Ready=True` `Ready`.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::certs::{CertError, LeafSpec, TestPki};
use crate::server::TestServer;

const API: &str = "cert-manager.io/v1";
const AT: &str = "2026-01-01T00:00:00Z";

/// The stand-in controller, with the CA its issuers sign with.
#[derive(Debug)]
pub struct CertManager {
    pki: TestPki,
}

/// What became of one Certificate.
enum Outcome {
    Issued(Value),
    Pending(String),
    Failed(String),
}

fn cond(type_: &str, status: &str, reason: &str, message: &str, generation: &Value) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": AT, "observedGeneration": generation})
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

impl CertManager {
    /// A controller with a fresh CA.
    ///
    /// # Errors
    /// The CA could not be generated.
    pub fn new() -> Result<CertManager, CertError> {
        Ok(CertManager { pki: TestPki::generate()? })
    }

    /// The root CA its issued certificates chain to.
    pub fn ca_pem(&self) -> &str {
        self.pki.root.cert_pem()
    }

    /// One pass over `server`'s Certificates.
    pub fn reconcile(&self, server: &TestServer) {
        self.reconcile_with(&|av, kind| server.list(av, kind, None), &mut |obj| {
            server.put(obj).expect("storing what cert-manager writes");
        });
    }

    /// One pass: `list(apiVersion, kind)` reads every namespace, `put` stores an object as given.
    pub fn reconcile_with(&self, list: &dyn Fn(&str, &str) -> Vec<Value>, put: &mut dyn FnMut(Value)) {
        for mut cert in list(API, "Certificate") {
            let generation = cert["metadata"]["generation"].clone();
            let done = cert["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| c["type"] == "Ready" && c["observedGeneration"] == generation)
            });
            if done {
                continue;
            }
            let ns = cert["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
            let name = cert["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let outcome = self.issue(&cert, &ns, list);
            let request_name = format!("{name}-1");
            // The Certificate's Ready condition until its secret exists, as cert-manager sets it.
            let not_issued = cond(
                "Ready",
                "False",
                "DoesNotExist",
                "Issuing certificate as Secret does not exist",
                &generation,
            );
            let (request_ready, cert_conditions) = match &outcome {
                Outcome::Issued(secret) => {
                    put(secret.clone());
                    (
                        cond(
                            "Ready",
                            "True",
                            "Issued",
                            "Certificate fetched from issuer successfully",
                            &Value::Null,
                        ),
                        vec![cond(
                            "Ready",
                            "True",
                            "Ready",
                            "Certificate is up to date and has not expired",
                            &generation,
                        )],
                    )
                }
                Outcome::Pending(message) => (
                    cond("Ready", "False", "Pending", message, &Value::Null),
                    vec![
                        not_issued.clone(),
                        cond(
                            "Issuing",
                            "True",
                            "Requested",
                            &format!("Created new CertificateRequest resource \"{request_name}\""),
                            &generation,
                        ),
                    ],
                ),
                Outcome::Failed(message) => (
                    cond("Ready", "False", "Failed", message, &Value::Null),
                    vec![
                        not_issued.clone(),
                        cond(
                            "Issuing",
                            "False",
                            "Failed",
                            &format!(
                                "The certificate request has failed to complete and will be retried: {message}"
                            ),
                            &generation,
                        ),
                    ],
                ),
            };
            put(json!({
                "apiVersion": API,
                "kind": "CertificateRequest",
                "metadata": {
                    "name": request_name,
                    "namespace": ns,
                    "annotations": {
                        "cert-manager.io/certificate-name": name,
                        "cert-manager.io/certificate-revision": "1",
                        "cert-manager.io/private-key-secret-name": format!("{name}-key"),
                    },
                    "ownerReferences": [{"apiVersion": API, "kind": "Certificate", "name": name,
                        "uid": cert["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}],
                },
                "spec": {
                    "request": b64("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"),
                    "issuerRef": cert["spec"]["issuerRef"],
                    "usages": ["digital signature", "key encipherment"],
                },
                "status": {"conditions": [
                    cond("Approved", "True", "cert-manager.io", "Certificate request has been approved by cert-manager.io", &Value::Null),
                    request_ready,
                ]},
            }));
            let issued = matches!(outcome, Outcome::Issued(_));
            cert["status"] = json!({"conditions": cert_conditions});
            if issued {
                cert["status"]["revision"] = json!(1);
            } else {
                cert["status"]["lastFailureTime"] = json!(AT);
                cert["status"]["failedIssuanceAttempts"] = json!(1);
            }
            put(cert);
        }
    }

    fn issue(&self, cert: &Value, ns: &str, list: &dyn Fn(&str, &str) -> Vec<Value>) -> Outcome {
        let r = &cert["spec"]["issuerRef"];
        let kind = r["kind"].as_str().unwrap_or("Issuer");
        let issuer_name = r["name"].as_str().unwrap_or_default();
        let issuer = list(API, kind).into_iter().find(|i| {
            i["metadata"]["name"] == issuer_name
                && (kind == "ClusterIssuer" || i["metadata"]["namespace"] == ns)
        });
        let lower = kind.to_ascii_lowercase();
        let Some(issuer) = issuer else {
            return Outcome::Pending(format!(
                "Referenced \"{kind}\" not found: {lower}.cert-manager.io \"{issuer_name}\" not found"
            ));
        };
        let ready = issuer["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
        if !ready {
            return Outcome::Pending("Referenced issuer does not have a Ready status condition".into());
        }
        let names: Vec<String> = cert["spec"]["dnsNames"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let acme = &issuer["spec"]["acme"];
        let dns01 = acme["solvers"].as_array().is_some_and(|s| s.iter().any(|s| s["dns01"].is_object()));
        if acme.is_object() && !dns01 && names.iter().any(|n| n.starts_with("*.")) {
            let name = cert["metadata"]["name"].as_str().unwrap_or_default();
            return Outcome::Failed(format!(
                "Failed to wait for order resource \"{name}-1-3021870485\" to become ready: order is in \"errored\" state: Failed to determine a valid solver configuration for the set of domains on the Order: no configured challenge solvers can be used for this challenge"
            ));
        }
        let leaf = match self.pki.issue(&LeafSpec::for_hosts(names.iter().cloned())) {
            Ok(leaf) => leaf,
            Err(e) => return Outcome::Failed(format!("signing failed: {e}")),
        };
        let template = &cert["spec"]["secretTemplate"];
        let mut annotations = template["annotations"].as_object().cloned().unwrap_or_default();
        for (k, v) in [
            ("cert-manager.io/certificate-name", cert["metadata"]["name"].clone()),
            ("cert-manager.io/issuer-name", json!(issuer_name)),
            ("cert-manager.io/issuer-kind", json!(kind)),
            ("cert-manager.io/issuer-group", json!("cert-manager.io")),
            ("cert-manager.io/alt-names", json!(names.join(","))),
            ("cert-manager.io/common-name", json!(names.first().cloned().unwrap_or_default())),
        ] {
            annotations.insert(k.into(), v);
        }
        Outcome::Issued(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {
                "name": cert["spec"]["secretName"],
                "namespace": ns,
                "labels": template["labels"].as_object().cloned().unwrap_or_default(),
                "annotations": annotations,
            },
            "data": {
                "tls.crt": b64(&leaf.chain_pem),
                "tls.key": b64(&leaf.key_pem),
                "ca.crt": b64(self.pki.root.cert_pem()),
            },
        }))
    }
}
