//! `cargo xtask dist`: build, pack, sum, render, validate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::archive;
use crate::manifest::{self, Rules};
use crate::targets::{PACKAGE, PLUGIN, TARGETS, Target};
use crate::workspace::Workspace;

/// What `dist` does.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Target triples to build; empty means every target this machine can build.
    pub targets: Vec<String>,
    /// Output directory.
    pub out: PathBuf,
    /// Where the archives will be downloaded from; the GitHub release of this version if unset.
    pub base_url: Option<String>,
    /// Only build and pack; the release workflow renders the manifest once all six are built.
    pub no_manifest: bool,
}

/// One archive built.
#[derive(Debug, Clone)]
pub struct Built {
    /// Its target.
    pub target: Target,
    /// The archive.
    pub archive: PathBuf,
    /// Its sha256.
    pub sha256: String,
    /// Size of the executable, in bytes.
    pub binary_size: u64,
    /// Size of the archive, in bytes.
    pub archive_size: u64,
    /// Seconds the cargo build took.
    pub build_seconds: f64,
}

/// What `dist` produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The archives built.
    pub built: Vec<Built>,
    /// Targets left out, with the reason.
    pub skipped: Vec<(Target, String)>,
    /// The rendered manifest, unless `no_manifest`.
    pub manifest: Option<PathBuf>,
}

impl Report {
    /// A human summary.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for b in &self.built {
            let _ = writeln!(
                s,
                "built {}  ({} KiB binary, {} KiB archive, {:.0}s build)\n  sha256 {}",
                b.archive.display(),
                b.binary_size / 1024,
                b.archive_size / 1024,
                b.build_seconds,
                b.sha256
            );
        }
        for (t, why) in &self.skipped {
            let _ = writeln!(s, "skipped {}: {why}", t.triple);
        }
        if let Some(m) = &self.manifest {
            let _ = writeln!(s, "manifest {} (validated)", m.display());
        }
        s
    }
}

/// Builds, packs and (unless told not to) renders and validates the manifest.
///
/// # Errors
/// A target that was asked for by name and cannot be built here, a failed build, or a manifest
/// that breaks a rule.
pub fn run(ws: &Workspace, opts: &Options) -> Result<Report> {
    let host = host_triple()?;
    let explicit = !opts.targets.is_empty();
    let wanted: Vec<Target> = if explicit {
        opts.targets
            .iter()
            .map(|t| {
                Target::by_triple(t).with_context(|| {
                    let known: Vec<&str> = TARGETS.iter().map(|t| t.triple).collect();
                    format!("`{t}` is not a target we ship; one of {}", known.join(", "))
                })
            })
            .collect::<Result<_>>()?
    } else {
        TARGETS.into_iter().filter(|t| buildable_family(&host, *t)).collect()
    };
    fs::create_dir_all(&opts.out).with_context(|| format!("creating {}", opts.out.display()))?;
    let license = ws.license();
    let mtime = source_date(&ws.root);
    let tag = ws.tag();
    let mut report = Report { built: Vec::new(), skipped: Vec::new(), manifest: None };
    for target in wanted {
        let env = match prerequisites(&host, target) {
            Ok(env) => env,
            Err(why) if !explicit => {
                eprintln!("skipping {}: {why}", target.triple);
                report.skipped.push((target, why));
                continue;
            }
            Err(why) => bail!("cannot build {} here: {why}", target.triple),
        };
        let started = Instant::now();
        let binary = build(ws, target, &env)?;
        let build_seconds = started.elapsed().as_secs_f64();
        if target.os == "linux" {
            let bytes = fs::read(&binary)?;
            if elf_interpreter(&bytes) != Some(false) {
                bail!("{} is not a static executable: check the musl target", binary.display());
            }
        }
        let archive = opts.out.join(target.archive_name(&tag));
        archive::pack(target, &binary, &license, &ws.complete_script(target), &archive, mtime)?;
        let sha256 = archive::sha256_file(&archive)?;
        let name = target.archive_name(&tag);
        fs::write(opts.out.join(format!("{name}.sha256")), format!("{sha256}  {name}\n"))?;
        report.built.push(Built {
            target,
            binary_size: fs::metadata(&binary)?.len(),
            archive_size: fs::metadata(&archive)?.len(),
            archive,
            sha256,
            build_seconds,
        });
    }
    if report.built.is_empty() {
        bail!("no target could be built here");
    }
    if !opts.no_manifest {
        let archives =
            report.built.iter().map(|b| (b.target.archive_name(&tag), b.archive.clone())).collect();
        let base_url = opts.base_url.clone().unwrap_or_else(|| ws.default_base_url());
        let path = write_manifest(ws, &archives, &base_url, &opts.out, false)?;
        report.manifest = Some(path);
    }
    Ok(report)
}

/// Renders the manifest for `archives` (file name to path) into `out/runai-gateway.yaml`, then
/// validates it and the archives. Returns the manifest's path.
///
/// # Errors
/// A missing archive with `all_platforms`, or any broken rule.
pub fn write_manifest(
    ws: &Workspace,
    archives: &BTreeMap<String, PathBuf>,
    base_url: &str,
    out: &Path,
    all_platforms: bool,
) -> Result<PathBuf> {
    let template =
        fs::read_to_string(ws.template()).with_context(|| format!("reading {}", ws.template().display()))?;
    let ctx = manifest::Context {
        tag: ws.tag(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        homepage: ws.repository.clone(),
    };
    let rendered = manifest::render(&template, &ctx, archives, all_platforms)?;
    for t in &rendered.missing {
        eprintln!("note: the manifest leaves out {}/{}: no archive built for {}", t.os, t.arch, t.triple);
    }
    let file_name = format!("{PLUGIN}.yaml");
    let path = out.join(&file_name);
    fs::write(&path, &rendered.text).with_context(|| format!("writing {}", path.display()))?;
    check(ws, &path, archives, Rules { all_platforms })?;
    Ok(path)
}

/// Validates the manifest at `path` and the archives it names that are in `archives`.
///
/// # Errors
/// Each broken rule, one per line.
pub fn check(
    ws: &Workspace,
    path: &Path,
    archives: &BTreeMap<String, PathBuf>,
    rules: Rules,
) -> Result<usize> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mut problems = manifest::problems(&text, &file_name, rules);
    let license = fs::read(ws.license())?;
    let (archive_problems, checked) = manifest::archive_problems(&text, archives, &license)?;
    problems.extend(archive_problems);
    if problems.is_empty() {
        Ok(checked)
    } else {
        bail!("{} breaks {} rule(s):\n  {}", path.display(), problems.len(), problems.join("\n  "))
    }
}

/// Every `.tar.gz` and `.zip` in `dir`, by file name.
///
/// # Errors
/// `dir` cannot be read.
pub fn archives_in(dir: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_file() && (name.ends_with(".tar.gz") || name.ends_with(".zip")) {
            out.insert(name, path);
        }
    }
    Ok(out)
}

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> Result<String> {
    let out = Command::new(rustc()).arg("-vV").output().context("running `rustc -vV`")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` printed no host")
}

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned())
}

/// Targets worth trying by default: Linux ones on a Linux host, otherwise the host's own OS.
fn buildable_family(host: &str, t: Target) -> bool {
    let host_os = if host.contains("-linux-") {
        "linux"
    } else if host.contains("-apple-darwin") {
        "darwin"
    } else if host.contains("-windows-") {
        "windows"
    } else {
        return false;
    };
    t.os == host_os
}

/// The environment a build for `target` needs here, or why it cannot be built.
fn prerequisites(host: &str, target: Target) -> Result<Vec<(String, String)>, String> {
    if !std_installed(target.triple) {
        return Err(format!(
            "the Rust standard library for it is not installed (rustup target add {})",
            target.triple
        ));
    }
    let mut env = Vec::new();
    let key = target.triple.replace('-', "_");
    let cc_var = format!("CC_{key}");
    let linker_var = format!("CARGO_TARGET_{}_LINKER", key.to_uppercase());
    match (target.os, host.split('-').next()) {
        ("linux", Some(host_arch)) if host.contains("-linux-") => {
            let arch = target.triple.split('-').next().unwrap_or_default();
            if arch == host_arch {
                // Rust's musl targets bring their own C runtime and libc, so the host's `cc`
                // links them. C code in dependencies (ring, later) needs musl's headers.
                if std::env::var_os(&cc_var).is_none() && which("musl-gcc") {
                    env.push((cc_var, "musl-gcc".to_owned()));
                }
            } else {
                let cross = [format!("{arch}-linux-musl-gcc"), format!("{arch}-linux-gnu-gcc")]
                    .into_iter()
                    .find(|c| which(c))
                    .ok_or_else(|| {
                        format!("no C cross compiler for {arch} (apt-get install gcc-{arch}-linux-gnu)")
                    })?;
                if std::env::var_os(&linker_var).is_none() {
                    env.push((linker_var, cross.clone()));
                }
                if std::env::var_os(&cc_var).is_none() {
                    env.push((cc_var, cross));
                }
            }
        }
        // macOS builds both architectures with Apple's toolchain, Windows with MSVC's: the
        // release workflow runs those on their own runners.
        ("darwin", _) if host.contains("-apple-darwin") => {}
        ("windows", _) if host.contains("-windows-msvc") => {}
        _ => return Err(format!("cannot cross-compile for {} from {host}", target.os)),
    }
    Ok(env)
}

/// Whether rustup installed the standard library for `triple`.
fn std_installed(triple: &str) -> bool {
    Command::new(rustc())
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .is_some_and(|sysroot| Path::new(&sysroot).join("lib/rustlib").join(triple).join("lib").is_dir())
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// `cargo build --release --locked` of the plugin for `target`; returns the executable.
fn build(ws: &Workspace, target: Target, env: &[(String, String)]) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building {PACKAGE} for {} (release)", target.triple);
    let status = Command::new(cargo)
        .current_dir(&ws.root)
        .args(["build", "--release", "--locked", "--package", PACKAGE, "--target", target.triple])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build for {} failed ({status})", target.triple);
    }
    let binary = ws.target_dir.join(target.triple).join("release").join(target.bin());
    if !binary.is_file() {
        bail!("cargo build succeeded but {} is missing", binary.display());
    }
    Ok(binary)
}

/// The time stamped into archives: `SOURCE_DATE_EPOCH`, else the commit time, else 0.
fn source_date(root: &Path) -> u64 {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok()) {
        return t;
    }
    Command::new("git")
        .current_dir(root)
        .args(["log", "-1", "--format=%ct"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

/// For a 64-bit little-endian ELF executable: whether it asks for a dynamic loader
/// (`PT_INTERP`). `None` when it is not such a file.
#[must_use]
pub fn elf_interpreter(bytes: &[u8]) -> Option<bool> {
    const PT_INTERP: u32 = 3;
    if bytes.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let u16_at = |o: usize| bytes.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let phoff = usize::try_from(u64::from_le_bytes(bytes.get(0x20..0x28)?.try_into().ok()?)).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    let mut interp = false;
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let p_type = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
        interp |= p_type == PT_INTERP;
    }
    Some(interp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_targets_follow_the_host() {
        let linux: Vec<&str> = TARGETS
            .into_iter()
            .filter(|t| buildable_family("x86_64-unknown-linux-gnu", *t))
            .map(|t| t.triple)
            .collect();
        assert_eq!(linux, ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"]);
        let mac = TARGETS.into_iter().filter(|t| buildable_family("aarch64-apple-darwin", *t));
        assert_eq!(mac.count(), 2);
    }

    #[test]
    fn darwin_is_not_cross_compiled_from_linux() {
        let t = Target::by_triple("aarch64-apple-darwin");
        let why = t.map(|t| prerequisites("x86_64-unknown-linux-gnu", t));
        assert!(matches!(why, Some(Err(_))), "{why:?}");
    }

    #[test]
    fn a_glibc_test_binary_has_an_interpreter() {
        // Any dynamically linked Linux program has an interpreter; our own test binary is one.
        if let Ok(exe) = std::env::current_exe().and_then(fs::read)
            && cfg!(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))
        {
            assert_eq!(elf_interpreter(&exe), Some(true));
        }
        assert_eq!(elf_interpreter(b"#!/bin/sh\n"), None);
    }
}
