//! The connectivity checks: HTTPS through the Gateway.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};

checks! { Connectivity:
    "probe-failed" => probe_failed, Error,
        "Each hostname answers HTTPS through the Gateway",
        "Conditions can be green while the handshake or the request fails.",
        "Read the TLS or HTTP error shown; it names the failing piece.";
}

fn probe_failed(cx: &Cx<'_>) -> Outcome {
    if cx.snap.probes.is_empty() {
        return Outcome::Skip("no probes (run with `--probe`)".into());
    }
    found(
        cx.snap
            .probes
            .iter()
            .filter(|p| p.error.is_some() || p.status.is_some_and(|s| s >= 500))
            .map(|p| {
                let what =
                    p.error.clone().unwrap_or_else(|| format!("HTTP {}", p.status.unwrap_or_default()));
                draft(None, format!("https://{}/ through {}: {what}", p.host, p.address))
                    .fix(format!("curl -v --resolve {}:443:{} https://{}/", p.host, p.address, p.host))
            })
            .collect(),
    )
}
