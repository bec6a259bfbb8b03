//! Bounded reading of the files a user names (`--config`, `--from-file`, `--kubeconfig`): a
//! regular file up to a size cap, or `-` for standard input (also capped). A FIFO, a device or a
//! directory is refused at once, so `/dev/zero` or a pipe with no writer never hangs or fills
//! memory.

use std::io::{self, Read as _};
use std::path::Path;

/// The cap of a config file or kubeconfig.
pub const CONFIG_CAP: u64 = 4 << 20;
/// The cap of a snapshot file (a 50,000-workload cluster's snapshot is far below it).
pub const SNAPSHOT_CAP: u64 = 512 << 20;

fn mib(n: u64) -> String {
    format!("{} MiB", n >> 20)
}

/// Refuses anything but a regular file of at most `cap` bytes (`-` is not checked here).
///
/// # Errors
/// What is wrong with it, as an I/O error of kind `InvalidInput` (or the `stat` error).
pub fn check(path: &Path, cap: u64) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what =
            if meta.is_dir() { "a directory" } else { "not a regular file (a FIFO, socket or device)" };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}; name a file, or `-` to read standard input"),
        ));
    }
    if meta.len() > cap {
        return Err(too_large(cap));
    }
    Ok(())
}

fn too_large(cap: u64) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("it is larger than the {} limit", mib(cap)))
}

/// The text of `path` (or standard input for `-`), at most `cap` bytes.
///
/// # Errors
/// Not a regular file, too large, unreadable, or not UTF-8.
pub fn read_text(path: &Path, cap: u64) -> io::Result<String> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin().lock().take(cap + 1).read_to_end(&mut bytes)?;
    } else {
        check(path, cap)?;
        std::fs::File::open(path)?.take(cap + 1).read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    String::from_utf8(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_oversized_files_are_refused() {
        let e =
            read_text(Path::new("/dev/zero"), CONFIG_CAP).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_text(Path::new("/"), CONFIG_CAP).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("a directory"), "{e}");
        let dir = std::env::temp_dir().join(format!("rgw-bounded-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let big = dir.join("big.yaml");
        let _ = std::fs::write(&big, vec![b'a'; 2048]);
        let e = read_text(&big, 1024).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("larger than"), "{e}");
        assert_eq!(read_text(&big, 4096).map(|t| t.len()).ok(), Some(2048));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
