//! A stand-in for external-dns: one sync pass at a time, from what is stored, with the
//! ownership its TXT registry keeps. It computes the records; the test serves them (its DNS
//! server), as external-dns's provider would.
//!
//! What it does, as external-dns does it:
//!
//! - **Sources.** `--source=ingress`: each Ingress's rule hosts and TLS hosts, with the
//!   addresses of its `status.loadBalancer`. `--source=gateway-httproute`: each HTTPRoute that a
//!   Gateway accepted (a parent status with `Accepted=True`), with the route's hostnames (those
//!   its listener admits; the listener's hostname when the route has none), and the Gateway's
//!   `status.addresses`. An object whose `controller` annotation (either prefix,
//!   `external-dns.alpha.kubernetes.io/` or `external-dns.kubernetes.io/`) is set to anything but
//!   `dns-controller` is ignored. An object with no address gives no record.
//! - **Filters.** `--domain-filter` (the name is the domain or under it) and
//!   `--exclude-domains`.
//! - **Ownership.** A record belongs to the resource that created it (`ingress/NS/NAME`,
//!   `httproute/NS/NAME`) while that resource still claims the name, whatever other resources
//!   claim it too: another claimant takes it over only once the owner stops claiming. A new
//!   name goes to the first claimant in resource order.
//! - **Policy.** `sync` (the default) deletes a record no resource claims any more;
//!   `upsert-only` and `create-only` keep it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::Value;

const PREFIXES: [&str; 2] = ["external-dns.alpha.kubernetes.io/", "external-dns.kubernetes.io/"];

/// The stand-in, configured from an external-dns Deployment's arguments.
#[derive(Debug)]
pub struct ExternalDns {
    sources: Vec<String>,
    domain_filters: Vec<String>,
    exclude_domains: Vec<String>,
    policy: String,
    /// The records it manages: name → (owner resource, targets).
    records: Mutex<BTreeMap<String, (String, Vec<String>)>>,
}

/// One resource's claim on a name.
struct Claim {
    owner: String,
    targets: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Whether an object is ignored through the `controller` annotation.
fn ignored(obj: &Value) -> bool {
    PREFIXES.iter().any(|p| {
        obj["metadata"]["annotations"][format!("{p}controller")]
            .as_str()
            .is_some_and(|v| v != "dns-controller")
    })
}

fn resource(source: &str, obj: &Value) -> String {
    let m = &obj["metadata"];
    format!(
        "{source}/{}/{}",
        m["namespace"].as_str().unwrap_or_default(),
        m["name"].as_str().unwrap_or_default()
    )
}

/// Whether the listener hostname `listener` (absent: any) admits the route hostname `host`.
fn admits(listener: Option<&str>, host: &str) -> bool {
    match listener {
        None => true,
        Some(l) if l == host => true,
        Some(l) => l.strip_prefix("*.").is_some_and(|d| {
            let h = host.strip_prefix("*.").unwrap_or(host);
            h.ends_with(&format!(".{d}"))
        }),
    }
}

impl ExternalDns {
    /// The stand-in for the external-dns container of `deployment` (its `args`).
    #[must_use]
    pub fn from_deployment(deployment: &Value) -> ExternalDns {
        let args: Vec<String> = deployment["spec"]["template"]["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| strings(&c["args"]))
            .collect();
        let values = |flag: &str| -> Vec<String> {
            let key = format!("--{flag}=");
            args.iter()
                .filter_map(|a| a.strip_prefix(&key))
                .flat_map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
                .collect()
        };
        ExternalDns {
            sources: values("source"),
            domain_filters: values("domain-filter"),
            exclude_domains: values("exclude-domains"),
            policy: values("policy").pop().unwrap_or_else(|| "sync".into()),
            records: Mutex::new(BTreeMap::new()),
        }
    }

    fn admitted(&self, name: &str) -> bool {
        let under = |d: &String| name == d || name.ends_with(&format!(".{}", d.trim_start_matches('.')));
        !self.exclude_domains.iter().any(under)
            && (self.domain_filters.is_empty() || self.domain_filters.iter().any(under))
    }

    /// The claims of the Ingresses.
    fn ingress_claims(
        &self,
        list: &dyn Fn(&str, &str) -> Vec<Value>,
        out: &mut BTreeMap<String, Vec<Claim>>,
    ) {
        for ing in list("networking.k8s.io/v1", "Ingress").iter().filter(|i| !ignored(i)) {
            let lb = ing["status"]["loadBalancer"]["ingress"].as_array().cloned().unwrap_or_default();
            let targets: Vec<String> = lb
                .iter()
                .filter_map(|a| a["ip"].as_str().or(a["hostname"].as_str()).map(str::to_owned))
                .collect();
            let mut hosts: BTreeSet<String> = ing["spec"]["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["host"].as_str().map(str::to_owned))
                .collect();
            for t in ing["spec"]["tls"].as_array().into_iter().flatten() {
                hosts.extend(strings(&t["hosts"]));
            }
            for h in hosts {
                out.entry(h)
                    .or_default()
                    .push(Claim { owner: resource("ingress", ing), targets: targets.clone() });
            }
        }
    }

    /// The claims of the HTTPRoutes the Gateways accepted.
    fn route_claims(&self, list: &dyn Fn(&str, &str) -> Vec<Value>, out: &mut BTreeMap<String, Vec<Claim>>) {
        let gateways = list("gateway.networking.k8s.io/v1", "Gateway");
        for route in list("gateway.networking.k8s.io/v1", "HTTPRoute").iter().filter(|r| !ignored(r)) {
            let ns = route["metadata"]["namespace"].as_str().unwrap_or_default();
            let hostnames = strings(&route["spec"]["hostnames"]);
            for parent in route["status"]["parents"].as_array().into_iter().flatten() {
                let accepted = parent["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Accepted" && c["status"] == "True");
                let r = &parent["parentRef"];
                if !accepted || r["kind"].as_str().is_some_and(|k| k != "Gateway") {
                    continue;
                }
                let gw_ns = r["namespace"].as_str().unwrap_or(ns);
                let Some(gw) = gateways
                    .iter()
                    .find(|g| g["metadata"]["namespace"] == gw_ns && g["metadata"]["name"] == r["name"])
                else {
                    continue;
                };
                let targets: Vec<String> = gw["status"]["addresses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a["value"].as_str().map(str::to_owned))
                    .collect();
                let listeners: Vec<&Value> = gw["spec"]["listeners"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|l| r["sectionName"].as_str().is_none_or(|s| l["name"] == s))
                    .collect();
                let mut names = BTreeSet::new();
                for l in listeners {
                    let lh = l["hostname"].as_str();
                    if hostnames.is_empty() {
                        names.extend(lh.map(str::to_owned));
                    } else {
                        names.extend(hostnames.iter().filter(|h| admits(lh, h)).cloned());
                    }
                }
                for n in names {
                    out.entry(n)
                        .or_default()
                        .push(Claim { owner: resource("httproute", route), targets: targets.clone() });
                }
            }
        }
    }

    /// One sync pass over what `list` (API version, kind → every object) returns; the records
    /// after it, name → addresses.
    ///
    /// # Panics
    /// A poisoned lock (a test thread panicked).
    pub fn sync(&self, list: &dyn Fn(&str, &str) -> Vec<Value>) -> BTreeMap<String, Vec<String>> {
        let mut claims: BTreeMap<String, Vec<Claim>> = BTreeMap::new();
        if self.sources.iter().any(|s| s == "ingress") {
            self.ingress_claims(list, &mut claims);
        }
        if self.sources.iter().any(|s| s == "gateway-httproute") {
            self.route_claims(list, &mut claims);
        }
        claims.retain(|name, c| {
            c.retain(|c| !c.targets.is_empty());
            self.admitted(name) && !c.is_empty()
        });
        let mut records = self.records.lock().expect("external-dns records");
        if self.policy == "sync" {
            records.retain(|name, _| claims.contains_key(name));
        }
        for (name, mut c) in claims {
            c.sort_by(|a, b| a.owner.cmp(&b.owner));
            let current = records.get(&name).map(|(owner, _)| owner.clone());
            let chosen = current.and_then(|owner| c.iter().find(|c| c.owner == owner)).unwrap_or(&c[0]);
            let mut targets = chosen.targets.clone();
            targets.sort();
            targets.dedup();
            records.insert(name, (chosen.owner.clone(), targets));
        }
        records.iter().map(|(n, (_, t))| (n.clone(), t.clone())).collect()
    }

    /// The resource that owns `name`'s record now, if there is one.
    ///
    /// # Panics
    /// A poisoned lock (a test thread panicked).
    #[must_use]
    pub fn owner(&self, name: &str) -> Option<String> {
        self.records.lock().expect("external-dns records").get(name).map(|(o, _)| o.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(args: &[&str]) -> Value {
        json!({"spec": {"template": {"spec": {"containers": [{"name": "external-dns", "args": args}]}}}})
    }

    fn ingress(name: &str, host: &str, ip: &str, controller: Option<&str>) -> Value {
        let mut i = json!({"metadata": {"namespace": "runai", "name": name},
            "spec": {"rules": [{"host": host}]},
            "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}});
        if let Some(c) = controller {
            i["metadata"]["annotations"] = json!({"external-dns.alpha.kubernetes.io/controller": c});
        }
        i
    }

    fn world(ingresses: Vec<Value>) -> impl Fn(&str, &str) -> Vec<Value> {
        routed(ingresses, true)
    }

    fn routed(ingresses: Vec<Value>, with_route: bool) -> impl Fn(&str, &str) -> Vec<Value> {
        let gw = json!({"metadata": {"namespace": "runai", "name": "gw"},
            "spec": {"listeners": [{"name": "https", "hostname": "*.example.com"}]},
            "status": {"addresses": [{"value": "192.0.2.20"}]}});
        let route = json!({"metadata": {"namespace": "runai", "name": "r"},
            "spec": {"hostnames": ["a.example.com", "b.other.org"]},
            "status": {"parents": [{"parentRef": {"name": "gw"}, "conditions": [{"type": "Accepted", "status": "True"}]}]}});
        move |_, kind| match kind {
            "Ingress" => ingresses.clone(),
            "Gateway" => vec![gw.clone()],
            "HTTPRoute" if with_route => vec![route.clone()],
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_owner_keeps_its_record_until_it_stops_claiming_then_the_route_takes_it() {
        let e =
            ExternalDns::from_deployment(&deployment(&["--source=ingress", "--source=gateway-httproute"]));
        let claim = || vec![ingress("i", "a.example.com", "192.0.2.10", None)];
        // Before the migration: the Ingress creates the record.
        e.sync(&routed(claim(), false));
        // The route claims the name too: the Ingress keeps it (a new name would go to the
        // route, `httproute/` sorting first).
        let first = e.sync(&world(claim()));
        assert_eq!(first["a.example.com"], ["192.0.2.10"]);
        assert_eq!(e.owner("a.example.com").as_deref(), Some("ingress/runai/i"));
        // The listener admits only names under example.com.
        assert!(!first.contains_key("b.other.org"));
        let ignored = ingress("i", "a.example.com", "192.0.2.10", Some("runai-gateway"));
        let after = e.sync(&world(vec![ignored]));
        assert_eq!(after["a.example.com"], ["192.0.2.20"]);
        assert_eq!(e.owner("a.example.com").as_deref(), Some("httproute/runai/r"));
        // Claiming again does not take it back from the route.
        let again = e.sync(&world(vec![ingress("i", "a.example.com", "192.0.2.10", Some("dns-controller"))]));
        assert_eq!(again["a.example.com"], ["192.0.2.20"]);
    }

    #[test]
    fn sync_deletes_what_nobody_claims_and_upsert_only_keeps_it_and_filters_apply() {
        let ing = || vec![ingress("i", "x.example.com", "192.0.2.10", None)];
        let sync = ExternalDns::from_deployment(&deployment(&["--source=ingress"]));
        assert!(sync.sync(&world(ing())).contains_key("x.example.com"));
        assert!(!sync.sync(&world(Vec::new())).contains_key("x.example.com"));
        let keep = ExternalDns::from_deployment(&deployment(&["--source=ingress", "--policy=upsert-only"]));
        keep.sync(&world(ing()));
        assert!(keep.sync(&world(Vec::new())).contains_key("x.example.com"));
        let filtered =
            ExternalDns::from_deployment(&deployment(&["--source=ingress", "--domain-filter=other.org"]));
        assert!(filtered.sync(&world(ing())).is_empty());
        let excluded = ExternalDns::from_deployment(&deployment(&[
            "--source=ingress",
            "--source=gateway-httproute",
            "--exclude-domains=a.example.com",
        ]));
        assert!(!excluded.sync(&world(Vec::new())).contains_key("a.example.com"));
    }
}
