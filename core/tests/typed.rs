//! Every generated object parses into its typed struct, and serialising it back gives the same
//! JSON: a misspelt or misplaced field would be dropped by the typed struct and show up here.

use gateway_api::apis::standard::gateways::Gateway;
use gateway_api::apis::standard::httproutes::HttpRoute;
use runai_gateway_core::hostname;
use runai_gateway_core::{compute, yaml};
use serde_json::Value;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(obj: &Value) -> Value {
    let typed: T = serde_json::from_value(obj.clone()).expect("parses into the typed struct");
    let mut back = serde_json::to_value(&typed).expect("serialises");
    // kube's derived structs add nothing but keep `status` off when absent.
    if let Some(map) = back.as_object_mut() {
        map.remove("status");
    }
    back
}

#[test]
fn objects_parse_into_gateway_api_types() {
    for case in crate::common::CASES {
        let plan = compute(&crate::common::input(case)).expect("valid");
        let mut kinds = Vec::new();
        for obj in &plan.objects {
            let m = &obj.manifest;
            let kind = m["kind"].as_str().expect("kind");
            kinds.push(kind.to_owned());
            match kind {
                "Gateway" => assert_eq!(&round_trip::<Gateway>(m), m, "{}", case.name),
                "HTTPRoute" => assert_eq!(&round_trip::<HttpRoute>(m), m, "{}", case.name),
                "KnativeServing" => {
                    assert_eq!(m["apiVersion"], "operator.knative.dev/v1beta1");
                    assert!(m["spec"]["config"]["domain"].is_object());
                }
                "HTTPListenerPolicy" => {
                    assert_eq!(m["apiVersion"], "gateway.kgateway.dev/v1alpha1");
                    assert_eq!(m["spec"]["upgradeConfig"]["enabledUpgrades"][0], "websocket");
                }
                "Certificate" => {
                    // cert-manager's shape; its secret is one a listener refers to.
                    assert_eq!(m["apiVersion"], "cert-manager.io/v1");
                    assert_eq!(m["spec"]["secretName"], m["metadata"]["name"]);
                    assert_eq!(m["spec"]["issuerRef"]["group"], "cert-manager.io");
                    let gw = plan.objects.iter().find(|o| o.manifest["kind"] == "Gateway").expect("gateway");
                    let refs = gw.manifest["spec"]["listeners"].as_array().expect("listeners");
                    assert!(
                        refs.iter()
                            .any(|l| l["tls"]["certificateRefs"][0]["name"] == m["spec"]["secretName"]
                                && l["hostname"] == m["spec"]["dnsNames"][0]),
                        "{}: {m}",
                        case.name
                    );
                }
                other => panic!("{}: unexpected kind {other}", case.name),
            }
        }
        // The Certificates come before the Gateway that refers to their secrets; then the Gateway.
        let first = kinds.iter().position(|k| k != "Certificate").expect("a Gateway");
        assert_eq!(kinds[first], "Gateway", "{}", case.name);
    }
}

#[test]
fn the_yaml_bundle_parses_back_to_the_same_objects() {
    for case in crate::common::CASES {
        let plan = compute(&crate::common::input(case)).expect("valid");
        let text = runai_gateway_core::render::yaml_bundle(&plan);
        let docs: Vec<Value> = yaml::from_multi_str(&text).expect("valid YAML stream");
        let want: Vec<&Value> = plan.objects.iter().map(|o| &o.manifest).collect();
        assert_eq!(docs.iter().collect::<Vec<_>>(), want, "{}", case.name);
    }
}

/// Every route attaches: its hostnames intersect the hostname of the listener it names, and the
/// listener admits the route's namespace.
#[test]
fn route_hostnames_always_intersect_their_listener() {
    for case in crate::common::CASES {
        let plan = compute(&crate::common::input(case)).expect("valid");
        let Some(gateway) = plan.objects.iter().find(|o| o.manifest["kind"] == "Gateway") else {
            panic!("no gateway")
        };
        let gw: Gateway = serde_json::from_value(gateway.manifest.clone()).expect("gateway");
        for route in plan.objects.iter().filter(|o| o.manifest["kind"] == "HTTPRoute") {
            let r: HttpRoute = serde_json::from_value(route.manifest.clone()).expect("route");
            let hostnames = r.spec.hostnames.clone().unwrap_or_default();
            for parent in r.spec.parent_refs.as_deref().unwrap_or_default() {
                let parent_ns = parent.namespace.clone().or(r.metadata.namespace.clone());
                if parent.name != gw.metadata.name.clone().unwrap_or_default()
                    || parent_ns != gw.metadata.namespace
                {
                    continue; // OpenShift's own Gateway: not planned here.
                }
                let listeners: Vec<_> = gw
                    .spec
                    .listeners
                    .iter()
                    .filter(|l| parent.section_name.as_ref().is_none_or(|s| s == &l.name))
                    .collect();
                assert!(!listeners.is_empty(), "{}: no listener {:?}", case.name, parent.section_name);
                for l in listeners {
                    assert!(
                        hostname::route_attaches(l.hostname.as_deref(), &hostnames),
                        "{}: route {:?} does not meet listener {} {:?}",
                        case.name,
                        hostnames,
                        l.name,
                        l.hostname
                    );
                    for h in &hostnames {
                        assert!(hostname::intersects(l.hostname.as_deref(), h), "{}: {h}", case.name);
                    }
                }
            }
        }
    }
}

/// Facts Q1: the inference listener, the Knative route and Knative's domain agree.
#[test]
fn inference_listener_route_and_knative_domain_agree() {
    let input =
        runai_gateway_core::SpecInput::from_yaml("clusterDomain: runai.mycorp.local\n").expect("yaml");
    let plan = compute(&input).expect("valid");
    let find = |kind: &str| {
        plan.objects.iter().find(|o| o.manifest["kind"] == kind).map(|o| o.manifest.clone()).expect(kind)
    };
    let gw = find("Gateway");
    let listener = gw["spec"]["listeners"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["name"] == "https-inference"))
        .expect("inference listener");
    assert_eq!(listener["hostname"], "*.runai-inference.mycorp.local");
    let route = plan
        .objects
        .iter()
        .find(|o| o.manifest["metadata"]["name"] == "knative-serving-httproute")
        .expect("knative route");
    assert_eq!(route.manifest["spec"]["hostnames"][0], "*.runai-inference.mycorp.local");
    let ks = find("KnativeServing");
    assert!(ks["spec"]["config"]["domain"].get("runai-inference.mycorp.local").is_some());
}
