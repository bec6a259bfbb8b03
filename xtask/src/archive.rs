//! Release archives: exactly the executable, the LICENSE and the completion script kubectl runs
//! (`kubectl_complete-runai_gateway`), at the top level.
//!
//! krew unpacks the archive, copies what `files` names and links `bin` onto the PATH; krew-index
//! also refuses an archive whose LICENSE is not extracted. The archives are reproducible: fixed
//! order, owner, modes and timestamps, so the same binary always gives the same sha256.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest as _, Sha256};

use crate::targets::Target;

/// One file in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the archive.
    pub name: String,
    /// Unix permission bits (0 when the archive does not record them).
    pub mode: u32,
    /// Whether it is a regular file (not a directory, link or device).
    pub regular: bool,
    /// The content.
    pub data: Vec<u8>,
}

/// Packs `binary` (as `target.bin()`), `license` (as `LICENSE`) and `complete` (as
/// `target.complete_script()`) into `out`: a `.tar.gz`, or a `.zip` for Windows. `mtime` is the
/// Unix time stamped on every file.
///
/// # Errors
/// Unreadable inputs or an unwritable `out`.
pub fn pack(
    target: Target,
    binary: &Path,
    license: &Path,
    complete: &Path,
    out: &Path,
    mtime: u64,
) -> Result<()> {
    let bin = fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let lic = fs::read(license).with_context(|| format!("reading {}", license.display()))?;
    let script = fs::read(complete).with_context(|| format!("reading {}", complete.display()))?;
    let files = [
        (target.bin(), 0o755, bin),
        ("LICENSE".to_owned(), 0o644, lic),
        (target.complete_script(), 0o755, script),
    ];
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    if target.is_windows() { write_zip(file, &files, mtime) } else { write_tar_gz(file, &files, mtime) }
        .with_context(|| format!("writing {}", out.display()))
}

fn write_tar_gz(file: File, files: &[(String, u32, Vec<u8>)], mtime: u64) -> Result<()> {
    // GzEncoder writes a header with no file name and mtime 0, so the gzip layer is stable too.
    let gz = GzEncoder::new(io::BufWriter::new(file), Compression::best());
    let mut tar = tar::Builder::new(gz);
    for (name, mode, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        tar.append_data(&mut header, name, data.as_slice())?;
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(())
}

fn write_zip(file: File, files: &[(String, u32, Vec<u8>)], mtime: u64) -> Result<()> {
    let mut zip = zip::ZipWriter::new(io::BufWriter::new(file));
    let stamp = zip_time(mtime);
    for (name, mode, data) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode)
            .last_modified_time(stamp);
        zip.start_file(name.as_str(), options)?;
        zip.write_all(data)?;
    }
    zip.finish()?.flush()?;
    Ok(())
}

/// The zip (MS-DOS) time for a Unix time, clamped to what zip can store (1980 onwards).
fn zip_time(unix: u64) -> zip::DateTime {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (h, min, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (u16::try_from(y), u8::try_from(m), u8::try_from(d)) {
        (Ok(y), Ok(m), Ok(d)) if y >= 1980 =>
        {
            #[expect(clippy::cast_possible_truncation, reason = "hours, minutes and seconds fit")]
            zip::DateTime::from_date_and_time(y, m, d, h as u8, min as u8, s as u8).unwrap_or_default()
        }
        _ => zip::DateTime::default(),
    }
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Lower-case hex sha256 of a file.
///
/// # Errors
/// The file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Every entry of a `.tar.gz` or `.zip` archive, directories included.
///
/// # Errors
/// The file cannot be read or is not a valid archive of that kind.
pub fn list(path: &Path) -> Result<Vec<Entry>> {
    let name = path.to_string_lossy();
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let entries = if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        list_tar_gz(file)
    } else if name.ends_with(".zip") {
        list_zip(file)
    } else {
        bail!("{}: neither .tar.gz nor .zip", path.display())
    };
    entries.with_context(|| format!("reading archive {}", path.display()))
}

fn list_tar_gz(file: File) -> Result<Vec<Entry>> {
    let mut archive = tar::Archive::new(GzDecoder::new(io::BufReader::new(file)));
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let header = entry.header();
        let regular = header.entry_type().is_file();
        let mode = header.mode()?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        out.push(Entry { name, mode, regular, data });
    }
    Ok(out)
}

fn list_zip(file: File) -> Result<Vec<Entry>> {
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file))?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i)?;
        let name = f.name()?.into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data)?;
        out.push(Entry { name, mode: f.unix_mode().unwrap_or(0) & 0o7777, regular: f.is_file(), data });
    }
    Ok(out)
}

/// What is wrong with an archive for `target`: it must hold exactly `target.bin()`, executable,
/// and `LICENSE` equal to `license`, both regular files at the top level. Empty when all is well.
///
/// # Errors
/// The archive cannot be read.
pub fn problems(path: &Path, target: Target, license: &[u8]) -> Result<Vec<String>> {
    let entries = list(path)?;
    let mut problems = Vec::new();
    let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    let bin = target.bin();
    let script = target.complete_script();
    let mut want = vec![bin.as_str(), "LICENSE", script.as_str()];
    want.sort_unstable();
    if names != want {
        problems.push(format!("holds {names:?}, expected exactly {want:?}"));
    }
    for e in &entries {
        if !e.regular {
            problems.push(format!("`{}` is not a regular file", e.name));
        }
    }
    match entries.iter().find(|e| e.name == bin) {
        Some(e) if e.data.is_empty() => problems.push(format!("`{bin}` is empty")),
        // zip archives made on Windows record no Unix mode; krew makes `bin` executable anyway.
        Some(e) if !target.is_windows() && e.mode & 0o111 == 0 => {
            problems.push(format!("`{bin}` is not executable (mode {:o})", e.mode));
        }
        _ => {}
    }
    if let Some(e) = entries.iter().find(|e| e.name == script)
        && !target.is_windows()
        && e.mode & 0o111 == 0
    {
        problems.push(format!("`{script}` is not executable (mode {:o})", e.mode));
    }
    if let Some(e) = entries.iter().find(|e| e.name == "LICENSE")
        && e.data != license
    {
        problems.push("`LICENSE` differs from the repository's LICENSE".to_owned());
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn packs_are_reproducible_and_checked() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let bin = dir.path().join("bin");
        let lic = dir.path().join("LICENSE");
        fs::write(&bin, b"\x7fELF not really")?;
        fs::write(&lic, b"license text")?;
        let script = dir.path().join("complete");
        fs::write(&script, b"#!/bin/sh\n")?;
        for triple in ["x86_64-unknown-linux-musl", "x86_64-pc-windows-msvc"] {
            let t = Target::by_triple(triple).context("known target")?;
            let a = dir.path().join(t.archive_name("v1.0.0"));
            let b = dir.path().join(format!("again-{}", t.archive_name("v1.0.0")));
            pack(t, &bin, &lic, &script, &a, 1_700_000_000)?;
            pack(t, &bin, &lic, &script, &b, 1_700_000_000)?;
            assert_eq!(sha256_file(&a)?, sha256_file(&b)?, "{triple} is not reproducible");
            assert_eq!(problems(&a, t, b"license text")?, Vec::<String>::new());
            let other = problems(&a, t, b"another license")?;
            assert_eq!(other.len(), 1, "{other:?}");
            let names: Vec<String> = list(&a)?.into_iter().map(|e| e.name).collect();
            assert_eq!(names, [t.bin(), "LICENSE".to_owned(), t.complete_script()]);
        }
        Ok(())
    }

    #[test]
    fn extra_or_missing_files_are_reported() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let t = Target::by_triple("x86_64-unknown-linux-musl").context("known target")?;
        let path = dir.path().join(t.archive_name("v1.0.0"));
        let gz = GzEncoder::new(File::create(&path)?, Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        tar.append_data(&mut h, "kubectl-runai_gateway", &b"abc"[..])?;
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        tar.append_data(&mut h, "README.md", &b"x"[..])?;
        tar.into_inner()?.finish()?;
        let found = problems(&path, t, b"")?;
        assert!(found.iter().any(|p| p.contains("expected exactly")), "{found:?}");
        assert!(found.iter().any(|p| p.contains("not executable")), "{found:?}");
        Ok(())
    }

    #[test]
    fn sha256_of_known_input() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("abc");
        fs::write(&p, b"abc")?;
        assert_eq!(sha256_file(&p)?, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Ok(())
    }
}
