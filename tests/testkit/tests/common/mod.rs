//! Shared helpers: a real kube client built from the server's kubeconfig file.

#![allow(dead_code)]

use kube::config::{KubeConfigOptions, Kubeconfig};
use runai_gateway_testkit::TestServer;

/// A kube client configured exactly as the plugin would be: from the kubeconfig file.
pub async fn client(server: &TestServer) -> kube::Client {
    let kc = Kubeconfig::read_from(server.kubeconfig_path()).expect("kubeconfig parses");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig is usable");
    kube::Client::try_from(cfg).expect("client builds")
}

/// The API error inside a kube error (panics with the error otherwise).
pub fn api_error(e: kube::Error) -> kube::core::Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}
