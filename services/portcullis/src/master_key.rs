//! The master key that seals signing keys at rest: `PORTCULLIS_MASTERKEY` (32 bytes, base64),
//! else a key generated once into `<data-dir>/master.key` (mode 0600), with a warning: whoever
//! reads the data directory then holds the keys too.

use std::path::Path;

use command::keys::MasterKey;

use crate::private_file::write_private;

pub fn load(from_env: Option<&str>, data_dir: &Path) -> Result<MasterKey, String> {
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
