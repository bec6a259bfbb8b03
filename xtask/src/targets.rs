//! The six platforms we ship, and how their archives are named.

/// The executable kubectl finds for `kubectl runai-gateway` (krew turns the dash of the plugin
/// name into an underscore).
pub const BIN: &str = "kubectl-runai_gateway";

/// The executable kubectl 1.26 and later run to complete a plugin's arguments.
pub const COMPLETE: &str = "kubectl_complete-runai_gateway";

/// The plugin's name in the krew index; the manifest file is `<PLUGIN>.yaml`.
pub const PLUGIN: &str = "runai-gateway";

/// The package that builds [`BIN`].
pub const PACKAGE: &str = "kubectl-runai-gateway";

/// One platform: a Rust target triple and the krew `os`/`arch` selector it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Rust target triple, which is also the last part of the archive name.
    pub triple: &'static str,
    /// krew's `os` label (Go's `GOOS`).
    pub os: &'static str,
    /// krew's `arch` label (Go's `GOARCH`).
    pub arch: &'static str,
}

/// Linux builds are static (musl), so one archive runs on every distribution.
pub const TARGETS: [Target; 6] = [
    Target { triple: "x86_64-unknown-linux-musl", os: "linux", arch: "amd64" },
    Target { triple: "aarch64-unknown-linux-musl", os: "linux", arch: "arm64" },
    Target { triple: "x86_64-apple-darwin", os: "darwin", arch: "amd64" },
    Target { triple: "aarch64-apple-darwin", os: "darwin", arch: "arm64" },
    Target { triple: "x86_64-pc-windows-msvc", os: "windows", arch: "amd64" },
    Target { triple: "aarch64-pc-windows-msvc", os: "windows", arch: "arm64" },
];

impl Target {
    /// The target with this triple, if we ship it.
    #[must_use]
    pub fn by_triple(triple: &str) -> Option<Self> {
        TARGETS.into_iter().find(|t| t.triple == triple)
    }

    /// The target krew picks for this `os`/`arch`, if we ship it.
    #[must_use]
    pub fn by_platform(os: &str, arch: &str) -> Option<Self> {
        TARGETS.into_iter().find(|t| t.os == os && t.arch == arch)
    }

    /// Whether this is a Windows target (`.exe`, `.zip`).
    #[must_use]
    pub fn is_windows(self) -> bool {
        self.os == "windows"
    }

    /// The executable's file name on this platform.
    #[must_use]
    pub fn bin(self) -> String {
        if self.is_windows() { format!("{BIN}.exe") } else { BIN.to_owned() }
    }

    /// The completion script kubectl 1.26+ runs for `kubectl runai-gateway <TAB>`
    /// (`krew/kubectl_complete-runai_gateway`; a `.cmd` on Windows).
    #[must_use]
    pub fn complete_script(self) -> String {
        if self.is_windows() { format!("{COMPLETE}.cmd") } else { COMPLETE.to_owned() }
    }

    /// `kubectl-runai_gateway-v0.1.0-x86_64-unknown-linux-musl.tar.gz`; `.zip` on Windows.
    /// `tag` is the version with its leading `v`.
    #[must_use]
    pub fn archive_name(self, tag: &str) -> String {
        let ext = if self.is_windows() { "zip" } else { "tar.gz" };
        format!("{BIN}-{tag}-{}.{ext}", self.triple)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_distinct_platforms() {
        for os in ["linux", "darwin", "windows"] {
            for arch in ["amd64", "arm64"] {
                assert!(Target::by_platform(os, arch).is_some(), "{os}/{arch}");
            }
        }
        assert_eq!(TARGETS.len(), 6);
    }

    #[test]
    fn archive_names() {
        let linux = Target::by_triple("x86_64-unknown-linux-musl").map(|t| t.archive_name("v1.2.3"));
        assert_eq!(linux.as_deref(), Some("kubectl-runai_gateway-v1.2.3-x86_64-unknown-linux-musl.tar.gz"));
        let win = Target::by_platform("windows", "arm64");
        assert_eq!(
            win.map(|t| (t.archive_name("v1.2.3"), t.bin())),
            Some((
                "kubectl-runai_gateway-v1.2.3-aarch64-pc-windows-msvc.zip".to_owned(),
                "kubectl-runai_gateway.exe".to_owned()
            ))
        );
    }
}
