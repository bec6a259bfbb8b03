//! One run at a time per cluster: `apply` and `rollback` hold the Lease
//! (`coordination.k8s.io/v1`) [`LEASE_NAME`] in the Gateway's namespace while they write, with
//! who holds it and until when. A second run exits 12 naming the holder. A lease left behind by a
//! run that was killed expires after its duration (`--timeout` plus a minute); only then can
//! `--force-unlock` take it over. The lease is released (deleted) when the run ends.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, DeleteParams, PostParams, Preconditions};

use crate::read::{Cluster, Failure};

/// Name of the Lease.
pub const LEASE_NAME: &str = "runai-gateway-lock";

/// Why the lock was not taken.
#[derive(Debug)]
pub enum Refused {
    /// Another run holds it (until the given time, or past it without `--force-unlock`).
    Held(String),
    /// The lease could not be read or written.
    Failed(Failure),
}

/// The lock of this run; released when dropped.
pub struct Lock<'a> {
    kube: &'a Cluster,
    namespace: String,
    uid: Option<String>,
}

/// Who this run is, as the lease shows it.
fn identity() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let user = std::env::var("USER").unwrap_or_else(|_| "?".into());
    let host = if host.is_empty() { "this machine".to_owned() } else { host };
    format!(
        "{user}@{host} (pid {}, {} {})",
        std::process::id(),
        "kubectl-runai_gateway",
        env!("CARGO_PKG_VERSION")
    )
}

/// Now, as the lease's timestamp type (whole seconds).
fn now_micro() -> MicroTime {
    let secs = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    MicroTime(
        Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX)).unwrap_or(Timestamp::UNIX_EPOCH),
    )
}

/// When `lease` expires (renew time plus duration), if it is held.
fn held_until(lease: &Lease) -> Option<(String, Timestamp)> {
    let spec = lease.spec.as_ref()?;
    let holder = spec.holder_identity.clone().filter(|h| !h.is_empty())?;
    let renewed = spec.renew_time.as_ref().or(spec.acquire_time.as_ref())?.0;
    let until = renewed
        .checked_add(SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(0))))
        .unwrap_or(renewed);
    Some((holder, until))
}

fn lease(namespace: &str, holder: String, duration: Duration, base: Option<&Lease>) -> Lease {
    let now = now_micro();
    Lease {
        metadata: ObjectMeta {
            name: Some(LEASE_NAME.into()),
            namespace: Some(namespace.into()),
            resource_version: base.and_then(|b| b.metadata.resource_version.clone()),
            labels: Some(
                [(
                    runai_gateway_core::manifests::MANAGED_BY_LABEL.to_owned(),
                    runai_gateway_core::manifests::FIELD_MANAGER.to_owned(),
                )]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder),
            lease_duration_seconds: Some(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            ..LeaseSpec::default()
        }),
    }
}

/// Takes the lock for a run bounded by `timeout`.
///
/// # Errors
/// Another run holds it, or the lease could not be read or written.
pub fn acquire<'a>(
    kube: &'a Cluster,
    namespace: &str,
    timeout: Duration,
    force_unlock: bool,
) -> Result<Lock<'a>, Refused> {
    let duration = timeout + Duration::from_secs(60);
    let ns = namespace.to_owned();
    let read = || {
        kube.call(|c| {
            let api: Api<Lease> = Api::namespaced(c, &ns);
            async move { api.get_opt(LEASE_NAME).await }
        })
    };
    let existing = read().map_err(Refused::Failed)?;
    let want = lease(namespace, identity(), duration, existing.as_ref());
    let want_holder = want.spec.as_ref().and_then(|s| s.holder_identity.clone());
    let taken = match &existing {
        None => kube.call(|c| {
            let api: Api<Lease> = Api::namespaced(c, &ns);
            async move { api.create(&PostParams::default(), &want).await }
        }),
        Some(current) => {
            if let Some((holder, until)) = held_until(current) {
                let expired = until <= now_micro().0;
                if !expired {
                    return Err(Refused::Held(format!(
                        "another run holds the lock (Lease {namespace}/{LEASE_NAME}): {holder}, until {until}; wait for it to finish"
                    )));
                }
                if !force_unlock {
                    return Err(Refused::Held(format!(
                        "a run that did not finish left the lock (Lease {namespace}/{LEASE_NAME}): {holder}, expired at {until}; make sure it is not running, then re-run with --force-unlock"
                    )));
                }
            }
            kube.call(|c| {
                let api: Api<Lease> = Api::namespaced(c, &ns);
                async move { api.replace(LEASE_NAME, &PostParams::default(), &want).await }
            })
        }
    };
    // The answer lost: the write may have happened; the lease says whose it is.
    let taken = match taken {
        Err(e) if e.is_transport() => {
            let mine =
                |l: &Lease| l.spec.as_ref().and_then(|s| s.holder_identity.as_ref()) == want_holder.as_ref();
            match read() {
                Ok(Some(l)) if mine(&l) => Ok(l),
                _ => Err(e),
            }
        }
        other => other,
    };
    match taken {
        Ok(l) => Ok(Lock { kube, namespace: namespace.to_owned(), uid: l.metadata.uid }),
        // Another run took it between the read and the write.
        Err(Failure::Status { code: 409, .. }) => Err(Refused::Held(format!(
            "another run took the lock (Lease {namespace}/{LEASE_NAME}) at the same moment; wait for it to finish"
        ))),
        Err(e) => Err(Refused::Failed(e)),
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        let ns = self.namespace.clone();
        let params = DeleteParams {
            preconditions: Some(Preconditions { uid: self.uid.clone(), resource_version: None }),
            ..DeleteParams::default()
        };
        // Released even when the deadline has passed: a short, separate bound; tried twice (a
        // lock left behind blocks every run until it expires), and said when it stays.
        // Gone (404), or no longer this run's (409: another run took it after it expired): the
        // lock is not ours to release any more.
        let release = || {
            self.kube
                .call_within(crate::read::deadline::GRACE, |c| {
                    let api: Api<Lease> = Api::namespaced(c, &ns);
                    let params = params.clone();
                    async move { api.delete(LEASE_NAME, &params).await.map(|_| ()) }
                })
                .or_else(|e| match e {
                    Failure::Status { code: 404 | 409, .. } => Ok(()),
                    e => Err(e),
                })
        };
        if release().is_err()
            && let Err(e) = release()
        {
            eprintln!(
                "warning: the lock (Lease {ns}/{LEASE_NAME}) could not be released: {e}; it expires by itself, or remove it: kubectl delete lease {LEASE_NAME} -n {ns}"
            );
        }
    }
}
