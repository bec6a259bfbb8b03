//! One profile per Gateway API implementation: everything the tool knows about a controller in
//! one place: its spelling, the GatewayClass it installs and the `controllerName` that class
//! carries, how the plan installs it, and the extra object it needs before workspaces work
//! (kgateway's WebSocket policy). The spec, the plan, the checks, the discovery of a cluster's
//! controller and the browser form all ask the profile.
//!
//! Adding a controller: a variant of [`Controller`] (and its place in [`Controller::ALL`]), and
//! its profile in [`profile`]. A controller that needs an extra object of a kind of its own also
//! adds that kind to the table of kinds ([`crate::kinds::KINDS`]), where the collector, the
//! ingestion and `rollback --prune` find it.

mod kgateway;

use serde_json::Value;

use crate::spec::{Controller, Spec};

pub use kgateway::{KGATEWAY_VERSION, LISTENER_POLICY_API_VERSION, LISTENER_POLICY_KIND};

/// What the tool knows about one Gateway API implementation.
#[derive(Debug)]
pub struct Profile {
    /// The spelling used in flags and config files (`envoy-gateway`).
    pub spelling: &'static str,
    /// The GatewayClass the implementation installs by default, if it has a well-known one.
    pub gateway_class: Option<&'static str>,
    /// The `spec.controllerName` its GatewayClasses carry (how `status` recognises it).
    pub controller_name: Option<&'static str>,
    /// Whether the platform manages the Gateway API CRDs itself (the plan then checks them
    /// instead of installing them).
    pub manages_gateway_api_crds: bool,
    /// How the plan installs it; `None`: the implementation's own guide.
    pub install: Option<Install>,
    /// The object that lets WebSocket upgrades through, for an implementation that turns them
    /// off by default; `None`: it proxies them as is.
    pub websockets: Option<Extra>,
}

/// The plan's installation step for a controller.
#[derive(Debug)]
pub struct Install {
    /// The step's title.
    pub title: &'static str,
    /// What installing it creates.
    pub detail: &'static str,
    /// The commands, in order (the plan adds the wait for the GatewayClass).
    pub commands: fn() -> Vec<String>,
}

/// An object a controller needs beside the Gateway, which the plan renders, `apply` writes and
/// `rollback --prune` may delete. Its kind is in the table of kinds.
#[derive(Debug)]
pub struct Extra {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// Why the plan has it.
    pub purpose: &'static str,
    /// The manifest for a spec.
    pub manifest: fn(&Spec) -> Value,
}

/// The profile of `controller`.
#[must_use]
pub const fn profile(controller: Controller) -> &'static Profile {
    match controller {
        Controller::Kgateway => &kgateway::PROFILE,
        Controller::Istio => &ISTIO,
        Controller::EnvoyGateway => &ENVOY_GATEWAY,
        Controller::NginxGatewayFabric => &NGINX_GATEWAY_FABRIC,
        Controller::Cilium => &CILIUM,
        Controller::Openshift => &OPENSHIFT,
        Controller::Other => &OTHER,
    }
}

/// A controller the plan does not install and that needs nothing beside the Gateway.
const fn plain(spelling: &'static str, class: &'static str, controller_name: &'static str) -> Profile {
    Profile {
        spelling,
        gateway_class: Some(class),
        controller_name: Some(controller_name),
        manages_gateway_api_crds: false,
        install: None,
        websockets: None,
    }
}

const ISTIO: Profile = plain("istio", "istio", "istio.io/gateway-controller");
const ENVOY_GATEWAY: Profile = plain("envoy-gateway", "eg", "gateway.envoyproxy.io/gatewayclass-controller");
const NGINX_GATEWAY_FABRIC: Profile =
    plain("nginx-gateway-fabric", "nginx", "gateway.nginx.org/nginx-gateway-controller");
const CILIUM: Profile = plain("cilium", "cilium", "io.cilium/gateway-controller");
/// OpenShift's Ingress Operator, which also manages the Gateway API CRDs.
const OPENSHIFT: Profile = Profile {
    manages_gateway_api_crds: true,
    ..plain("openshift", "openshift-default", "openshift.io/gateway-controller/v1")
};
/// Any other conformant implementation: the GatewayClass must be given.
const OTHER: Profile = Profile {
    spelling: "other",
    gateway_class: None,
    controller_name: None,
    manages_gateway_api_crds: false,
    install: None,
    websockets: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;

    #[test]
    fn every_extra_object_is_in_the_table_of_kinds_and_may_be_pruned() {
        for c in Controller::ALL {
            if let Some(extra) = &profile(c).websockets {
                let info = kinds::lookup(extra.api_version, extra.kind).expect("in the table of kinds");
                assert!(info.prunable, "{}", extra.kind);
            }
        }
    }

    #[test]
    fn spellings_and_controller_names_are_unique() {
        for (i, a) in Controller::ALL.iter().enumerate() {
            for b in &Controller::ALL[i + 1..] {
                assert_ne!(profile(*a).spelling, profile(*b).spelling);
                if profile(*a).controller_name.is_some() {
                    assert_ne!(profile(*a).controller_name, profile(*b).controller_name);
                }
            }
        }
    }
}
