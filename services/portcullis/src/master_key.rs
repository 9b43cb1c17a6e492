//! The master key that seals signing keys at rest: `PORTCULLIS_MASTERKEY` (32 bytes, base64),
//! else a key generated once into `<data-dir>/master.key` (mode 0600), with a warning: whoever
//! reads the data directory then holds the keys too. `PORTCULLIS_MASTERKEY_PREVIOUS` lists the
//! keys it replaced, still read.

use std::path::Path;

use crypto::sealing::MasterKey;

use crate::private_file::write_private;

pub fn load<'a>(
    from_env: Option<&str>,
    previous: impl IntoIterator<Item = &'a str>,
    data_dir: &Path,
) -> Result<MasterKey, String> {
    let current = current(from_env, data_dir)?;
    current
        .with_previous(previous)
        .map_err(|e| format!("PORTCULLIS_MASTERKEY_PREVIOUS: {e}"))
}

fn current(from_env: Option<&str>, data_dir: &Path) -> Result<MasterKey, String> {
    if let Some(text) = from_env {
        return MasterKey::from_base64(text).map_err(|e| format!("PORTCULLIS_MASTERKEY: {e}"));
    }
    let path = data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return MasterKey::from_base64(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    let key = MasterKey::generate();
    write_private(&path, &key.to_base64())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "generated a master key beside the data it protects; set PORTCULLIS_MASTERKEY (32 bytes, base64) in production"
    );
    Ok(key)
}
