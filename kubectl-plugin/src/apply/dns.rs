//! Checking where the migration's DNS records point (`switch-dns`, rollback).
//!
//! A wildcard record is checked through one name under it (`rgw-check.<domain>`), which any
//! wildcard answers.

use crate::collect::dns::resolver;

/// The label a wildcard record is checked through.
const PROBE_LABEL: &str = "rgw-check";

/// The name asked for a record name.
pub fn query_name(record: &str) -> String {
    match record.strip_prefix("*.") {
        Some(rest) => format!("{PROBE_LABEL}.{rest}"),
        None => record.to_owned(),
    }
}

/// The addresses each name resolves to (empty: no answer), through `server` or the system
/// resolver.
pub fn resolve(names: &[String], server: Option<&str>) -> Vec<Result<Vec<String>, String>> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return names.iter().map(|_| Err(format!("cannot start the resolver: {e}"))).collect(),
    };
    runtime.block_on(async {
        let resolver = match resolver(server).await {
            Ok(r) => r,
            Err(e) => return names.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut out = Vec::new();
        for name in names {
            let answer = match resolver.lookup_ip(format!("{}.", query_name(name))).await {
                Ok(ips) => Ok(ips.iter().map(|ip| ip.to_string()).collect()),
                Err(e) if e.is_no_records_found() => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            };
            out.push(answer);
        }
        out
    })
}
