//! The stages of a migration: one vocabulary for the plan's steps, `apply --phase`, the actions
//! the engine decides, the next step `status` suggests, and the docs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stage of `apply`, in the order a migration goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Input, CRDs, GatewayClass, secrets, Run:ai version, permissions.
    Preflight,
    /// Server-side apply of the Gateway, routes, KnativeServing fields; the inference secret copy.
    Prepare,
    /// Helm: Run:ai uses the Gateway while Ingress keeps serving.
    Introduce,
    /// The Gateway is programmed, its listeners resolve their certificates, the routes are accepted.
    Verify,
    /// The DNS records move to the Gateway.
    SwitchDns,
    /// Helm: Ingress off (cluster, then control plane).
    DisableIngress,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 6] = [
        Stage::Preflight,
        Stage::Prepare,
        Stage::Introduce,
        Stage::Verify,
        Stage::SwitchDns,
        Stage::DisableIngress,
    ];

    /// The name `--phase` takes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Preflight => "preflight",
            Stage::Prepare => "prepare",
            Stage::Introduce => "introduce",
            Stage::Verify => "verify",
            Stage::SwitchDns => "switch-dns",
            Stage::DisableIngress => "disable-ingress",
        }
    }

    /// One line on what the stage does (help text and docs).
    #[must_use]
    pub fn summary(self) -> &'static str {
        match self {
            Stage::Preflight => "Input, CRDs, GatewayClass, secrets, Run:ai version, permissions",
            Stage::Prepare => {
                "Server-side apply of the Gateway, routes, KnativeServing fields; the inference secret copy"
            }
            Stage::Introduce => "Helm: Run:ai uses the Gateway while Ingress keeps serving",
            Stage::Verify => {
                "The Gateway is programmed, its listeners resolve their certificates, the routes are accepted"
            }
            Stage::SwitchDns => "Print the DNS records to change and check them",
            Stage::DisableIngress => "Helm: Ingress off (cluster, then control plane)",
        }
    }

    /// The stage of `apply` that carries out a step of the plan (`render -o helm` step ids), or
    /// `None` for the steps `apply` leaves to the generated script (the CRDs, the controller).
    #[must_use]
    pub fn of_step(step_id: &str) -> Option<Stage> {
        match step_id {
            "tls-secrets" | "gateway" | "knative" => Some(Stage::Prepare),
            "introduce" => Some(Stage::Introduce),
            "verify" => Some(Stage::Verify),
            "switch-dns" => Some(Stage::SwitchDns),
            "disable-ingress" => Some(Stage::DisableIngress),
            _ => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            format!("unknown phase `{s}`: use one of {}", Stage::ALL.map(Stage::as_str).join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_is_the_migrations() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(s));
        }
        assert!(Stage::ALL.windows(2).all(|w| w[0] < w[1]));
        assert!("later".parse::<Stage>().expect_err("not a stage").contains("preflight, prepare"));
    }

    #[test]
    fn every_step_of_the_plan_has_its_stage_or_is_the_scripts() {
        let plan = crate::compute(&crate::SpecInput {
            cluster_domain: Some("runai.example.com".into()),
            ..Default::default()
        })
        .expect("plan");
        let staged: Vec<_> = plan.steps.iter().filter_map(|s| Stage::of_step(s.id)).collect();
        assert_eq!(
            staged,
            [
                Stage::Prepare,
                Stage::Prepare,
                Stage::Prepare,
                Stage::Introduce,
                Stage::Verify,
                Stage::SwitchDns,
                Stage::DisableIngress
            ]
        );
        let script_only: Vec<_> =
            plan.steps.iter().filter(|s| Stage::of_step(s.id).is_none()).map(|s| s.id).collect();
        assert_eq!(script_only, ["gateway-api", "controller"]);
    }
}
