//! Inputs shared by the core's integration tests.

use runai_gateway_core::SpecInput;

/// A named scenario: a config-file snippet.
pub struct Case {
    pub name: &'static str,
    pub yaml: &'static str,
}

/// The scenarios every golden and typed test runs over.
pub const CASES: &[Case] = &[
    Case { name: "host_mode", yaml: "clusterDomain: runai.example.com\n" },
    Case { name: "path_mode", yaml: "clusterDomain: runai.example.com\nroutingMode: path\n" },
    Case { name: "inference_off", yaml: "clusterDomain: runai.example.com\ninference: {enabled: false}\n" },
    Case { name: "openshift", yaml: "clusterDomain: runai.apps.example.com\nplatform: openshift\n" },
    Case {
        name: "istio_custom_gateway",
        yaml: "clusterDomain: gpu.corp.example\ngateway: {name: edge, namespace: gateways, controller: istio}\ninference: {domain: models.corp.example}\n",
    },
    Case {
        name: "envoy_gateway_no_redirect",
        yaml: "clusterDomain: runai.example.com\ngateway: {controller: envoy-gateway, httpRedirect: false}\n",
    },
    Case {
        name: "nginx_gateway_fabric",
        yaml: "clusterDomain: runai.example.com\ngateway: {controller: nginx-gateway-fabric}\n",
    },
    Case {
        name: "cilium_all_routes",
        yaml: "clusterDomain: runai.example.com\ngateway: {controller: cilium}\nallowedRoutes: {workloads: {from: All}}\n",
    },
    Case {
        name: "other_controller",
        yaml: "clusterDomain: runai.example.com\ngateway: {controller: other, className: my-class}\n",
    },
    Case {
        name: "kgateway_no_websockets",
        yaml: "clusterDomain: runai.example.com\ngateway: {websockets: false}\n",
    },
    Case {
        name: "saas_pinned_versions",
        yaml: "clusterDomain: runai.example.com\nrunai: {controlPlane: saas, cluster: {chartVersion: 2.25.3}}\n",
    },
    Case {
        name: "cert_manager_issuer",
        yaml: "clusterDomain: runai.example.com\ntls: {issuer: clusterissuer/letsencrypt-dns}\n",
    },
    Case {
        name: "remote_control_plane",
        yaml: "clusterDomain: runai.example.com\nrunai: {controlPlaneContext: cp-admin@prod, backend: {chart: runai/control-plane, chartVersion: 2.25.1}}\n",
    },
];

/// Parses a case's input.
pub fn input(case: &Case) -> SpecInput {
    SpecInput::from_yaml(case.yaml).unwrap_or_else(|e| panic!("{}: {e}", case.name))
}
