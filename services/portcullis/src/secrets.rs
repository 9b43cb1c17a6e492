//! Secrets: 256-bit random tokens stored only as SHA-256 hashes, argon2id password hashes, and
//! files only the owner may read.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    bytes
}

/// A new 256-bit token (URL-safe base64) and the hex SHA-256 hash that is all we store.
pub fn new_token() -> (String, String) {
    let token = URL_SAFE_NO_PAD.encode(random::<32>());
    let hash = gateway::token_hash(&token);
    (token, hash)
}

/// A generated password: 24 URL-safe characters (144 bits).
pub fn new_password() -> String {
    URL_SAFE_NO_PAD.encode(random::<18>())
}

/// argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), PHC string format.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&random::<16>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Writes `contents` to `path` with mode 0600, durably: a temporary file, fsync, rename, fsync
/// of the directory. A crash leaves the old file or the new one, never a part.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
