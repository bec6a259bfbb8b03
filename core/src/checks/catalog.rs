//! The catalog: every check's stable ID, category, default severity, documentation and the
//! function that runs it.
//!
//! Each category's module (`prerequisites.rs`, `controller.rs`, …) declares its entries with
//! `checks!`, next to their functions; [`CATALOG`] is those lists joined in [`Category::ALL`]
//! order. IDs are kebab-case and never reused. `docs/checks.md` is generated from the catalog
//! (`cargo xtask gen-docs`, and a test fails when the file is out of date).

use serde::Serialize;

use super::context::{Cx, Outcome};

/// What a check is about; the report groups findings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// CRDs, permissions, versions.
    Prerequisites,
    /// The GatewayClass and its controller.
    Controller,
    /// The Gateway and its listeners.
    Gateway,
    /// Certificates and secrets.
    Tls,
    /// cert-manager: the issuer and the Certificates of `--tls-issuer`.
    CertManager,
    /// HTTPRoutes and their backends.
    Routes,
    /// Knative Serving and Kourier.
    Knative,
    /// The Run:ai Helm settings.
    RunaiSettings,
    /// DNS records.
    Dns,
    /// external-dns: whether it publishes the Gateway's hostnames.
    ExternalDns,
    /// HTTPS through the Gateway.
    Connectivity,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 11] = [
        Category::Prerequisites,
        Category::Controller,
        Category::Gateway,
        Category::Tls,
        Category::CertManager,
        Category::Routes,
        Category::Knative,
        Category::RunaiSettings,
        Category::Dns,
        Category::ExternalDns,
        Category::Connectivity,
    ];

    /// Heading text.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Category::Prerequisites => "Prerequisites",
            Category::Controller => "Gateway controller",
            Category::Gateway => "Gateway",
            Category::Tls => "TLS",
            Category::CertManager => "cert-manager",
            Category::Routes => "Routes",
            Category::Knative => "Knative",
            Category::RunaiSettings => "Run:ai settings",
            Category::Dns => "DNS",
            Category::ExternalDns => "external-dns",
            Category::Connectivity => "Connectivity",
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; a step not taken yet.
    Info,
    /// Works now, but will hurt (expiring certificate, open listener).
    Warning,
    /// Broken, or will break traffic when the migration continues.
    Error,
}

impl Severity {
    /// Lowercase name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckMeta {
    /// Stable ID.
    pub id: &'static str,
    /// Category.
    pub category: Category,
    /// Severity when it fires (some checks lower it to `info` before the migration starts).
    pub severity: Severity,
    /// What it checks, one line.
    pub title: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it, in general (findings carry the exact command).
    pub fix: &'static str,
    /// The check itself.
    #[serde(skip)]
    pub(super) run: Check,
}

/// A check: a pure function of the context.
pub(super) type Check = fn(&Cx<'_>) -> Outcome;

/// Entries are equal when what they say is: function pointers have no meaningful identity.
impl PartialEq for CheckMeta {
    fn eq(&self, other: &Self) -> bool {
        (self.id, self.category, self.severity, self.title, self.why, self.fix)
            == (other.id, other.category, other.severity, other.title, other.why, other.fix)
    }
}

impl Eq for CheckMeta {}

/// Where the `docs/checks.md#ID` anchors of findings are published: the build's
/// `RUNAI_GATEWAY_DOCS_BASE` (a URL ending in `/`, read at compile time), else the repository's
/// main branch. The human report prints each finding's documentation as this base and its anchor.
pub const DOCS_BASE: &str = match option_env!("RUNAI_GATEWAY_DOCS_BASE") {
    Some(base) => base,
    None => concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/"),
};

impl CheckMeta {
    /// Anchor in `docs/checks.md`.
    #[must_use]
    pub fn doc_anchor(&self) -> String {
        format!("docs/checks.md#{}", self.id)
    }
}

/// Declares a category's checks, in report order, as that module's `CHECKS`: for each, its ID,
/// the function that runs it, its default severity, title, why and fix.
///
/// ```text
/// checks! { Dns:
///     "dns-unresolved" => dns_unresolved, Warning,
///         "The cluster and inference names resolve",
///         "A name that does not resolve serves nobody.",
///         "Create the records shown by `render -o plan`.";
/// }
/// ```
macro_rules! checks {
    ($cat:ident: $($id:literal => $run:ident, $sev:ident, $title:literal, $why:literal, $fix:literal;)+) => {
        /// This category's checks, in report order.
        pub(super) const CHECKS: &[$crate::checks::CheckMeta] = &[
            $($crate::checks::CheckMeta {
                id: $id,
                category: $crate::checks::Category::$cat,
                severity: $crate::checks::Severity::$sev,
                title: $title,
                why: $why,
                fix: $fix,
                run: $run,
            },)+
        ];
    };
}
pub(super) use checks;

/// Each category's checks, in [`Category::ALL`] order.
const PARTS: [&[CheckMeta]; Category::ALL.len()] = [
    super::prerequisites::CHECKS,
    super::controller::CHECKS,
    super::gateway::CHECKS,
    super::tls::CHECKS,
    super::certmanager::CHECKS,
    super::routes::CHECKS,
    super::knative::CHECKS,
    super::runai::CHECKS,
    super::dns::CHECKS,
    super::externaldns::CHECKS,
    super::connectivity::CHECKS,
];

const LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < PARTS.len() {
        n += PARTS[i].len();
        i += 1;
    }
    n
};

/// [`PARTS`] joined; a module holding another category's check does not compile.
const JOINED: [CheckMeta; LEN] = {
    let mut out = [PARTS[0][0]; LEN];
    let (mut i, mut k) = (0, 0);
    while i < PARTS.len() {
        let mut j = 0;
        while j < PARTS[i].len() {
            assert!(
                PARTS[i][j].category as u8 == Category::ALL[i] as u8,
                "a check in another category's module"
            );
            out[k] = PARTS[i][j];
            (j, k) = (j + 1, k + 1);
        }
        i += 1;
    }
    out
};

/// Every check, in report order.
pub const CATALOG: &[CheckMeta] = &JOINED;

/// Looks up a check by ID.
#[must_use]
pub fn meta(id: &str) -> Option<&'static CheckMeta> {
    CATALOG.iter().find(|c| c.id == id)
}
