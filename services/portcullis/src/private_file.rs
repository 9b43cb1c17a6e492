//! Files only the owner may read (the first start's secrets), written durably.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes `contents` to `path` with mode 0600, durably: a fresh temporary file beside it
/// (created new with mode 0600, never one that was there before, whose mode or owner could be
/// another's), fsync, rename, fsync of the directory. A crash leaves the old file or the new
/// one, never a part.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    write_private_with(path, |f| {
        f.write_all(contents.as_bytes())?;
        f.write_all(b"\n")
    })
}

/// As [`write_private`], with what `write` writes into the file; when it fails, the temporary
/// file is removed and `path` is left as it was.
pub fn write_private_with<T>(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    let written = write(&mut f).and_then(|t| f.sync_all().map(|()| t));
    let t = match written {
        Ok(t) => t,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(t)
}
