//! `cargo xtask`: see the library docs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use xtask::dist::{self, Options};
use xtask::manifest::Rules;
use xtask::workspace::Workspace;

mod bench;
mod gendocs;
mod scale;
mod web;

/// Release tooling for kubectl runai-gateway.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the release archives this machine can build, and the krew manifest for them
    Dist {
        /// Target triple to build (repeatable) [default: every one this machine can build]
        #[arg(long = "target", value_name = "TRIPLE")]
        targets: Vec<String>,
        /// Output directory
        #[arg(long, default_value = "dist")]
        out: PathBuf,
        /// URL of the folder the archives are downloaded from [default: the GitHub release]
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Only build and pack (the release workflow renders the manifest once all are built)
        #[arg(long)]
        no_manifest: bool,
    },
    /// Render the krew manifest from the archives in a folder, and validate it
    Manifest {
        /// The folder with the archives; the manifest is written there too
        #[arg(long, default_value = "dist")]
        dir: PathBuf,
        /// URL of the folder the archives are downloaded from [default: the GitHub release]
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Require an archive for each of the six platforms (the published manifest)
        #[arg(long)]
        all_platforms: bool,
    },
    /// Check a krew manifest against krew's rules, and the archives it names found in a folder
    Validate {
        /// The manifest
        manifest: PathBuf,
        /// Folder with the archives to check sums and contents of
        #[arg(long, value_name = "DIR")]
        archives: Option<PathBuf>,
        /// Require all six platforms
        #[arg(long)]
        all_platforms: bool,
    },
    /// Build the browser calculator (wasm + static page) into target/web and serve it on 127.0.0.1
    Web {
        /// Port on 127.0.0.1
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Build only, do not serve
        #[arg(long)]
        build_only: bool,
        /// Skip wasm-opt even where it is installed
        #[arg(long)]
        no_wasm_opt: bool,
    },
    /// Measure cold first visits of the calculator in headless Chromium (from a browser already
    /// running, and as a new browser's first page): bytes before the first preview, time to it
    /// (medians), what the Diagnose view loads, and the floor: a page of one line that only
    /// downloads the same .wasm
    WebBench {
        /// Cold visits to take the median of
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Measure target/web as it is, without building it first
        #[arg(long)]
        no_build: bool,
        /// Emulate a slower network: 20 Mbit/s and 40 ms added to each request
        #[arg(long)]
        throttle: bool,
    },
    /// Seed the testkit with a large cluster and measure `status`, `snapshot` and
    /// `apply --dry-run=server` of the built binary: wall, peak RSS, requests, bytes read
    BenchScale {
        /// Workloads (an HTTPRoute, a Service, an EndpointSlice and a Secret each)
        #[arg(long, default_value_t = 1000)]
        workloads: usize,
        /// Project namespaces [default: one per 33 workloads]
        #[arg(long)]
        namespaces: Option<usize>,
        /// The base fixture (a folder of tests/fixtures)
        #[arg(long, default_value = "gateway-api-installed")]
        fixture: String,
        /// Run this binary instead of building one
        #[arg(long, value_name = "PATH")]
        bin: Option<PathBuf>,
        /// Build the binary with the dev profile (the CI smoke run), not release
        #[arg(long)]
        dev: bool,
        /// Also run this binary (labelled `before`), alternating with the other run by run
        #[arg(long, value_name = "PATH")]
        compare: Option<PathBuf>,
        /// Runs of each command per binary; the table gives the medians
        #[arg(long, default_value_t = 1)]
        runs: usize,
        /// `--timeout` for the live commands (e.g. 10m at 50,000 workloads) [default: their own]
        #[arg(long, value_name = "DURATION")]
        timeout: Option<String>,
    },
    /// Write the generated docs (docs/checks.md from the check catalog)
    GenDocs {
        /// Only check that the committed files are current
        #[arg(long)]
        check: bool,
    },
    /// Build the calculator's .wasm and report its size: raw, gzipped, after wasm-opt, and the
    /// largest items (with twiggy, if installed)
    WasmSize {
        /// Skip wasm-opt even where it is installed
        #[arg(long)]
        no_wasm_opt: bool,
        /// How many of the largest items to list
        #[arg(long, default_value_t = 25)]
        top: usize,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the plugin (release, or dev) and returns the binary's path.
fn build_plugin(ws: &Workspace, dev: bool) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["build", "--locked", "-p", "kubectl-runai-gateway"]).current_dir(&ws.root);
    if !dev {
        cmd.arg("--release");
    }
    let status = cmd.status().context("running cargo build")?;
    anyhow::ensure!(status.success(), "cargo build of the plugin failed");
    Ok(ws.target_dir.join(if dev { "debug" } else { "release" }).join("kubectl-runai_gateway"))
}

fn run(cli: Cli) -> Result<()> {
    let ws = Workspace::load()?;
    match cli.command {
        Command::Dist { targets, out, base_url, no_manifest } => {
            let report = dist::run(&ws, &Options { targets, out, base_url, no_manifest })?;
            print!("{}", report.summary());
        }
        Command::Manifest { dir, base_url, all_platforms } => {
            let archives = dist::archives_in(&dir)?;
            let base_url = base_url.unwrap_or_else(|| ws.default_base_url());
            let path = dist::write_manifest(&ws, &archives, &base_url, &dir, all_platforms)?;
            println!("manifest {} (validated)", path.display());
        }
        Command::Validate { manifest, archives, all_platforms } => {
            let found = match &archives {
                Some(dir) => dist::archives_in(dir)?,
                None => Default::default(),
            };
            let checked = dist::check(&ws, &manifest, &found, Rules { all_platforms })
                .with_context(|| format!("validating {}", manifest.display()))?;
            println!("{} passes krew's rules; {checked} archive(s) checked", manifest.display());
        }
        Command::Web { port, build_only, no_wasm_opt } => {
            let page = web::build(&ws.root, &ws.target_dir, !no_wasm_opt)?;
            print!("{}", page.summary());
            if !build_only {
                xtask::serve::serve(&page.out, port)?;
            }
        }
        Command::WebBench { runs, no_build, throttle } => {
            let dir = ws.target_dir.join("web");
            if !no_build {
                print!("{}", web::build(&ws.root, &ws.target_dir, true)?.summary());
            }
            print!("{}", bench::report(&bench::run(&dir, runs.max(1), throttle)?));
        }
        Command::BenchScale { workloads, namespaces, fixture, bin, dev, compare, runs, timeout } => {
            let binary = match bin {
                Some(b) => std::fs::canonicalize(&b).with_context(|| format!("--bin {}", b.display()))?,
                None => build_plugin(&ws, dev)?,
            };
            let mut binaries = Vec::new();
            if let Some(c) = compare {
                let c = std::fs::canonicalize(&c).with_context(|| format!("--compare {}", c.display()))?;
                binaries.push(("before".to_owned(), c));
            }
            binaries.push(("after".to_owned(), binary));
            let opts = scale::Options {
                workloads,
                namespaces: namespaces.unwrap_or(workloads / 33 + 1),
                fixture,
                binaries,
                runs,
                timeout,
            };
            let (seed, runs) = scale::run(&opts)?;
            print!("{}", scale::report(&opts, seed, &runs));
        }
        Command::GenDocs { check } => {
            gendocs::gen_docs(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."), check)?;
        }
        Command::WasmSize { no_wasm_opt, top } => {
            let page = web::build(&ws.root, &ws.target_dir, !no_wasm_opt)?;
            print!("{}", page.summary());
            for (rel, raw, gz) in web::page_files(&page.out)? {
                println!("  {rel:<40} {raw:>9} B raw {gz:>8} B gzipped");
            }
            for built in &page.modules {
                match (web::breakdown(built), web::twiggy_top(built, top)) {
                    (Some(parts), Some(table)) => {
                        let total: u64 = parts.iter().map(|p| p.1).sum();
                        println!(
                            "\n{} ({}), by part (twiggy, names and debug sections left out):",
                            built.name,
                            built.cargo_wasm.display()
                        );
                        for (part, bytes) in parts {
                            println!(
                                "  {part:<56} {:>7.1} KiB {:>3}%",
                                bytes as f64 / 1024.0,
                                bytes * 100 / total.max(1)
                            );
                        }
                        println!("\nlargest items:\n{table}");
                    }
                    _ => println!("(install twiggy, `cargo install twiggy`, to see where the bytes go)"),
                }
            }
        }
    }
    Ok(())
}
