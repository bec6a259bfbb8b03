//! Test-only X.509 material: a CA, an intermediate and leaf certificates in the
//! shapes the `status` checks must recognise (valid, expired, wrong host, key
//! mismatch, chain missing).
//!
//! Everything is generated at run time with rcgen, so no private key is ever
//! committed. Keys are ECDSA P-256, which is quick to generate and accepted by
//! every TLS stack the project touches.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// An error while generating test certificates.
#[derive(Debug, thiserror::Error)]
#[error("generating a test certificate: {0}")]
pub struct CertError(#[from] rcgen::Error);

/// A certificate authority (root or intermediate) that can issue leaf certificates.
pub struct TestCa {
    clock: CertClock,
    params: CertificateParams,
    key: KeyPair,
    cert_pem: String,
    /// PEM of the intermediates above this CA (never the root), leaf-first order.
    parents_pem: String,
    is_root: bool,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of debug output on purpose.
        f.debug_struct("TestCa").field("cert_pem", &self.cert_pem).finish_non_exhaustive()
    }
}

/// The instant certificates are issued relative to, and how long a valid leaf lives.
///
/// A fixture carries its clock, so a test evaluates the fixture at the same instant its
/// certificates were issued for: [`CertClock::system`] for tests that run the binary, which reads
/// the real clock; [`CertClock::at`] for tests that pass the instant (`--now`, `diagnose(.., now)`)
/// and must give the same verdicts on any date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertClock {
    now: OffsetDateTime,
    valid_days: i64,
}

impl CertClock {
    /// How long a `Valid` leaf lives by default.
    pub const DEFAULT_VALID_DAYS: i64 = 90;

    /// The real clock, now.
    pub fn system() -> CertClock {
        CertClock { now: OffsetDateTime::now_utc(), valid_days: Self::DEFAULT_VALID_DAYS }
    }

    /// A fixed instant, in Unix seconds.
    ///
    /// # Panics
    /// If `unix` is outside the years 1 to 9999 (a test bug).
    pub fn at(unix: i64) -> CertClock {
        let now =
            OffsetDateTime::from_unix_timestamp(unix).unwrap_or_else(|e| panic!("test clock {unix}: {e}"));
        CertClock { now, valid_days: Self::DEFAULT_VALID_DAYS }
    }

    /// The same instant, with `Valid` leaves living `days` days (long-lived example material).
    #[must_use]
    pub fn with_valid_days(self, days: i64) -> CertClock {
        CertClock { valid_days: days, ..self }
    }

    /// The same clock moved by `days` days.
    #[must_use]
    pub fn plus_days(self, days: i64) -> CertClock {
        CertClock { now: self.now + Duration::days(days), ..self }
    }

    /// The instant, in Unix seconds: what the code under test is told is "now".
    pub fn unix(&self) -> i64 {
        self.now.unix_timestamp()
    }

    /// The validity window of a leaf.
    fn window(&self, validity: Validity) -> (OffsetDateTime, OffsetDateTime) {
        let (now, day) = (self.now, Duration::days(1));
        match validity {
            Validity::Valid => (now - day, now + Duration::days(self.valid_days)),
            Validity::Expired => (now - Duration::days(91), now - day),
            Validity::NotYetValid => (now + Duration::days(30), now + Duration::days(120)),
            Validity::ExpiresInDays(d) => (now - day, now + Duration::days(d)),
        }
    }
}

/// How the validity window of a leaf relates to the clock's "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validity {
    /// Valid from a day before "now", for the clock's lifetime (90 days by default).
    #[default]
    Valid,
    /// Expired yesterday (was valid for 90 days before that).
    Expired,
    /// Becomes valid in 30 days.
    NotYetValid,
    /// Valid, but expires in the given number of days (for "expires soon" checks).
    ExpiresInDays(i64),
}

/// What to issue: the hosts (DNS SANs), the validity and the deliberate defects.
#[derive(Debug, Clone, Default)]
pub struct LeafSpec {
    /// DNS names (wildcards allowed) put into the subjectAltName; the first is also the CN.
    pub hosts: Vec<String>,
    /// Validity window relative to the issuing CA's clock.
    pub validity: Validity,
    /// Return a private key that does not belong to the certificate.
    pub key_mismatch: bool,
    /// Leave the issuing intermediate(s) out of the chain PEM.
    pub omit_chain: bool,
}

impl LeafSpec {
    /// A valid leaf for the given hosts.
    pub fn for_hosts<I, S>(hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        LeafSpec { hosts: hosts.into_iter().map(Into::into).collect(), ..LeafSpec::default() }
    }
}

/// A leaf certificate as PEM, ready to go into a `kubernetes.io/tls` Secret.
#[derive(Clone)]
pub struct IssuedCert {
    /// The leaf certificate followed by its intermediates (unless omitted), PEM.
    pub chain_pem: String,
    /// Only the leaf certificate, PEM.
    pub leaf_pem: String,
    /// The private key (PKCS#8 PEM); deliberately wrong when `key_mismatch` was requested.
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert").field("leaf_pem", &self.leaf_pem).finish_non_exhaustive()
    }
}

fn ca_params(common_name: &str, clock: CertClock) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.distinguished_name.push(DnType::OrganizationName, "runai-gateway tests");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // The CA outlives every leaf it signs.
    params.not_before = clock.now - Duration::days(365);
    params.not_after = clock.now + Duration::days(clock.valid_days.max(3650) + 1);
    params
}

impl TestCa {
    /// A new self-signed root CA, issuing by the real clock.
    pub fn new_root(common_name: &str) -> Result<TestCa, CertError> {
        TestCa::new_root_at(common_name, CertClock::system())
    }

    /// A new self-signed root CA whose certificates are issued relative to `clock`.
    pub fn new_root_at(common_name: &str, clock: CertClock) -> Result<TestCa, CertError> {
        let params = ca_params(common_name, clock);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(TestCa { clock, params, key, cert_pem: cert.pem(), parents_pem: String::new(), is_root: true })
    }

    /// The clock this CA issues by.
    pub fn clock(&self) -> CertClock {
        self.clock
    }

    /// An intermediate CA signed by this CA.
    pub fn intermediate(&self, common_name: &str) -> Result<TestCa, CertError> {
        let params = ca_params(common_name, self.clock);
        let key = KeyPair::generate()?;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer)?;
        // A served chain holds the intermediates only; the root stays with the client.
        let parents_pem =
            if self.is_root { String::new() } else { format!("{}{}", self.cert_pem, self.parents_pem) };
        Ok(TestCa { clock: self.clock, params, key, cert_pem: cert.pem(), parents_pem, is_root: false })
    }

    /// This CA's certificate, PEM (what a client puts in its trust store for a root).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issue a leaf certificate according to `spec`.
    pub fn issue(&self, spec: &LeafSpec) -> Result<IssuedCert, CertError> {
        let mut params = CertificateParams::default();
        if let Some(first) = spec.hosts.first() {
            params.distinguished_name.push(DnType::CommonName, first.as_str());
        }
        params.subject_alt_names = spec
            .hosts
            .iter()
            .map(|h| {
                h.parse::<std::net::IpAddr>()
                    .map(SanType::IpAddress)
                    .or_else(|_| h.clone().try_into().map(SanType::DnsName).map_err(CertError::from))
            })
            .collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let (not_before, not_after) = self.clock.window(spec.validity);
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate()?;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let leaf = params.signed_by(&key, &issuer)?;
        let leaf_pem = leaf.pem();
        let mut chain_pem = leaf_pem.clone();
        if !spec.omit_chain && !self.is_root {
            chain_pem.push_str(&self.cert_pem);
            chain_pem.push_str(&self.parents_pem);
        }
        let key_pem =
            if spec.key_mismatch { KeyPair::generate()?.serialize_pem() } else { key.serialize_pem() };
        Ok(IssuedCert { chain_pem, leaf_pem, key_pem })
    }
}

/// The CA hierarchy a fixture uses: a root (what clients trust) and an
/// intermediate that signs every leaf, so "chain missing" is a real defect.
#[derive(Debug)]
pub struct TestPki {
    /// The root CA; its PEM goes into `runai-ca-cert`.
    pub root: TestCa,
    /// The intermediate that signs leaves.
    pub intermediate: TestCa,
}

impl TestPki {
    /// Generate a fresh root and intermediate that issue by the real clock.
    pub fn generate() -> Result<TestPki, CertError> {
        TestPki::generate_at(CertClock::system())
    }

    /// Generate a fresh root and intermediate that issue relative to `clock`.
    pub fn generate_at(clock: CertClock) -> Result<TestPki, CertError> {
        let root = TestCa::new_root_at("runai-gateway Test Root CA", clock)?;
        let intermediate = root.intermediate("runai-gateway Test Intermediate CA")?;
        Ok(TestPki { root, intermediate })
    }

    /// Issue a leaf from the intermediate; the chain PEM includes the intermediate
    /// unless `spec.omit_chain`.
    pub fn issue(&self, spec: &LeafSpec) -> Result<IssuedCert, CertError> {
        self.intermediate.issue(spec)
    }
}
