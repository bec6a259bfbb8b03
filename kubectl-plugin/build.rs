//! Puts the git commit into `--version`: `kubectl-runai_gateway 0.1.0 (commit abc1234)`.
//!
//! Outside a git checkout (a crate tarball, a vendored copy) the commit is `unknown`. A release
//! build that has no `.git` can pass it in `RUNAI_GATEWAY_COMMIT`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUNAI_GATEWAY_COMMIT");
    let commit = std::env::var("RUNAI_GATEWAY_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=RUNAI_GATEWAY_COMMIT={commit}");
}

/// The short commit of HEAD, and rebuild triggers for when HEAD moves.
fn git_commit() -> Option<String> {
    let commit = git(&["rev-parse", "--short=7", "HEAD"])?;
    // HEAD names the branch; the branch file (or packed-refs) names the commit. Watching all
    // three makes a new commit or a checkout rebuild this crate, and nothing else does.
    // Cargo reruns a build script on every build when a watched path does not exist, so only
    // existing files are watched.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        watch(&Path::new(&git_dir).join("HEAD"));
    }
    if let (Some(common), Some(branch)) = (
        git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ) {
        watch(&Path::new(&common).join(branch));
        watch(&Path::new(&common).join("packed-refs"));
    }
    Some(commit)
}

fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}
