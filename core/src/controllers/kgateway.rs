//! kgateway, the controller the Run:ai instructions install: its Helm charts, and the listener
//! policy without which it refuses WebSocket upgrades.

use serde_json::{Value, json};

use super::{Extra, Install, Profile};
use crate::manifests::labels;
use crate::spec::Spec;

/// The kgateway release the plan installs (the one the Run:ai instructions use).
pub const KGATEWAY_VERSION: &str = "v2.2.1";
/// API version of kgateway's listener policy (kgateway 2.x up to 2.4).
pub const LISTENER_POLICY_API_VERSION: &str = "gateway.kgateway.dev/v1alpha1";
/// Kind of kgateway's listener policy that turns on WebSocket upgrades.
pub const LISTENER_POLICY_KIND: &str = "HTTPListenerPolicy";

pub(super) const PROFILE: Profile = Profile {
    spelling: "kgateway",
    gateway_class: Some("kgateway"),
    controller_name: Some("kgateway.dev/kgateway"),
    manages_gateway_api_crds: false,
    install: Some(Install {
        title: "Install kgateway v2.2.1",
        detail: "kgateway creates GatewayClass `kgateway` and one proxy Deployment and LoadBalancer Service per Gateway.",
        commands: install_commands,
    }),
    websockets: Some(Extra {
        api_version: LISTENER_POLICY_API_VERSION,
        kind: LISTENER_POLICY_KIND,
        purpose: "WebSocket upgrades for workspaces (off by default in kgateway)",
        manifest: websocket_policy,
    }),
};

fn install_commands() -> Vec<String> {
    vec![
        format!(
            "helm upgrade -i --create-namespace --namespace kgateway-system --version {KGATEWAY_VERSION} kgateway-crds oci://cr.kgateway.dev/kgateway-dev/charts/kgateway-crds"
        ),
        format!(
            "helm upgrade -i --namespace kgateway-system --version {KGATEWAY_VERSION} kgateway oci://cr.kgateway.dev/kgateway-dev/charts/kgateway"
        ),
    ]
}

/// kgateway's policy that lets WebSocket upgrades through every listener of the Gateway
/// (kgateway turns them off by default; Jupyter and VS Code workspaces need them).
fn websocket_policy(spec: &Spec) -> Value {
    json!({
        "apiVersion": LISTENER_POLICY_API_VERSION,
        "kind": LISTENER_POLICY_KIND,
        "metadata": {
            "name": format!("{}-websockets", spec.gateway_name),
            "namespace": spec.gateway_namespace,
            "labels": labels(),
        },
        "spec": {
            "targetRefs": [{
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": spec.gateway_name,
            }],
            "upgradeConfig": { "enabledUpgrades": ["websocket"] },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_names_the_installed_version() {
        let install = PROFILE.install.as_ref().expect("kgateway is installed by the plan");
        assert!(install.title.ends_with(KGATEWAY_VERSION));
        assert!((install.commands)().iter().all(|c| c.contains(KGATEWAY_VERSION)));
    }
}
