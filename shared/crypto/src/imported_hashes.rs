//! Password hashes made elsewhere, brought along when users move here: argon2 (PHC), scrypt
//! (PHC), PBKDF2 with SHA-256 or SHA-512 (PHC, or passlib's modular crypt form as Python apps
//! store it: `$pbkdf2-sha256$<rounds>$<salt>$<hash>` in passlib's base64), and bcrypt (`$2a$`,
//! `$2b$`, `$2y$`). Each is checked when it is imported (its form, and a cost a login can
//! afford: a hash of absurd cost would make every login with it a denial of service), verified
//! in constant time at the login, and replaced by an argon2id hash of our parameters once the
//! password is known to be right.

use argon2::password_hash::PasswordHash;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use ring::pbkdf2;

use crate::secrets::PasswordParams;

/// The dearest hashes taken: about a second of one core each at most.
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 16;
const MAX_ARGON2_LANES: u32 = 8;
const MAX_BCRYPT_COST: u32 = 14;
const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
const MAX_SCRYPT_LOG_N: u8 = 20;
const MAX_SCRYPT_R: u32 = 16;
const MAX_SCRYPT_P: u32 = 4;
/// The longest hash string taken.
const MAX_LENGTH: usize = 500;

/// The kinds of hashes taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashKind {
    Argon2,
    Scrypt,
    Pbkdf2Sha256,
    Pbkdf2Sha512,
    Bcrypt,
}

/// What a PBKDF2 hash says: its digest, rounds, salt and derived key.
struct Pbkdf2Hash {
    algorithm: pbkdf2::Algorithm,
    rounds: std::num::NonZeroU32,
    salt: Vec<u8>,
    derived: Vec<u8>,
}

/// passlib's "adapted base64": standard base64 with `.` for `+` and no padding.
fn ab64(value: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(value.replace('.', "+")).ok()
}

/// A PBKDF2 hash in PHC form (`$pbkdf2-sha256$i=<rounds>,l=<len>$<salt>$<hash>`) or in
/// passlib's (`$pbkdf2-sha256$<rounds>$<salt>$<hash>`).
fn pbkdf2_hash(hash: &str) -> Result<Pbkdf2Hash, String> {
    let parts: Vec<&str> = hash.split('$').collect();
    let [_, name, params, salt, derived] = parts[..] else {
        return Err("a PBKDF2 hash has four parts after its name".into());
    };
    let algorithm = match name {
        "pbkdf2-sha256" => pbkdf2::PBKDF2_HMAC_SHA256,
        "pbkdf2-sha512" => pbkdf2::PBKDF2_HMAC_SHA512,
        _ => {
            return Err(format!(
                "{name} is not a PBKDF2 this server takes (pbkdf2-sha256, pbkdf2-sha512)"
            ))
        }
    };
    let rounds: u32 = match params.strip_prefix("i=") {
        // PHC: i=<rounds>[,l=<length>]
        Some(rest) => rest.split(',').next().unwrap_or_default().parse(),
        None => params.parse(),
    }
    .map_err(|_| "the PBKDF2 rounds are not a number".to_string())?;
    if rounds > MAX_PBKDF2_ROUNDS {
        return Err(format!(
            "PBKDF2 with more than {MAX_PBKDF2_ROUNDS} rounds costs a login too much"
        ));
    }
    let rounds = std::num::NonZeroU32::new(rounds).ok_or("PBKDF2 needs one round at least")?;
    let decode = |v: &str| match params.starts_with("i=") {
        true => STANDARD_NO_PAD.decode(v).ok(),
        false => ab64(v),
    };
    let salt = decode(salt).ok_or("the PBKDF2 salt is not base64")?;
    let derived = decode(derived).ok_or("the PBKDF2 hash is not base64")?;
    if derived.len() < 16 || derived.len() > 128 || salt.is_empty() {
        return Err("the PBKDF2 hash or salt has an impossible length".into());
    }
    Ok(Pbkdf2Hash {
        algorithm,
        rounds,
        salt,
        derived,
    })
}

fn bcrypt_cost(hash: &str) -> Result<u32, String> {
    let cost = hash
        .get(4..6)
        .and_then(|c| c.parse::<u32>().ok())
        .filter(|_| hash.len() == 60 && hash.as_bytes().get(6) == Some(&b'$'))
        .ok_or("a bcrypt hash is $2b$<cost>$ and 53 characters")?;
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(format!("bcrypt costs 4 to {MAX_BCRYPT_COST} are taken"));
    }
    Ok(cost)
}

fn argon2_check(hash: &str) -> Result<(), String> {
    let phc = PasswordHash::new(hash).map_err(|e| format!("not an argon2 PHC string: {e}"))?;
    argon2::Algorithm::try_from(phc.algorithm).map_err(|e| e.to_string())?;
    let params = argon2::Params::try_from(&phc).map_err(|e| e.to_string())?;
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB
        || params.t_cost() > MAX_ARGON2_PASSES
        || params.p_cost() > MAX_ARGON2_LANES
    {
        return Err(format!(
            "argon2 with more than {MAX_ARGON2_MEMORY_KIB} KiB, {MAX_ARGON2_PASSES} passes or {MAX_ARGON2_LANES} lanes costs a login too much"
        ));
    }
    phc.hash.ok_or("the argon2 hash has no output")?;
    Ok(())
}

fn scrypt_check(hash: &str) -> Result<(), String> {
    let phc = PasswordHash::new(hash).map_err(|e| format!("not a scrypt PHC string: {e}"))?;
    let params = scrypt::Params::try_from(&phc).map_err(|e| e.to_string())?;
    if params.log_n() > MAX_SCRYPT_LOG_N || params.r() > MAX_SCRYPT_R || params.p() > MAX_SCRYPT_P {
        return Err(format!(
            "scrypt above ln={MAX_SCRYPT_LOG_N}, r={MAX_SCRYPT_R}, p={MAX_SCRYPT_P} costs a login too much"
        ));
    }
    phc.hash.ok_or("the scrypt hash has no output")?;
    Ok(())
}

/// scrypt in PHC form with the salt's bytes base64-encoded (as Python's and passlib's).
fn scrypt_verify(password: &str, hash: &str) -> Option<bool> {
    let phc = PasswordHash::new(hash).ok()?;
    let params = scrypt::Params::try_from(&phc).ok()?;
    let expected = phc.hash?;
    let salt = STANDARD_NO_PAD.decode(phc.salt?.as_str()).ok()?;
    let mut out = vec![0u8; expected.len()];
    let params = scrypt::Params::new(params.log_n(), params.r(), params.p(), out.len()).ok()?;
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut out).ok()?;
    // `Output`'s equality is constant-time.
    Some(argon2::password_hash::Output::new(&out).ok()? == expected)
}

/// Checks a hash brought along: its kind, if it is one taken here, well formed and of a cost
/// a login can afford; otherwise what is wrong with it.
pub fn check(hash: &str) -> Result<HashKind, String> {
    if hash.len() > MAX_LENGTH {
        return Err(format!(
            "a password hash is {MAX_LENGTH} characters at most"
        ));
    }
    if hash.starts_with("$argon2") {
        argon2_check(hash).map(|_| HashKind::Argon2)
    } else if hash.starts_with("$scrypt$") {
        scrypt_check(hash).map(|_| HashKind::Scrypt)
    } else if hash.starts_with("$pbkdf2-sha256$") {
        pbkdf2_hash(hash).map(|_| HashKind::Pbkdf2Sha256)
    } else if hash.starts_with("$pbkdf2-sha512$") {
        pbkdf2_hash(hash).map(|_| HashKind::Pbkdf2Sha512)
    } else if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
        bcrypt_cost(hash).map(|_| HashKind::Bcrypt)
    } else {
        Err("not a hash this server takes: argon2, scrypt or PBKDF2 in PHC form, passlib's $pbkdf2-sha256$, or bcrypt ($2a$, $2b$, $2y$)".into())
    }
}

/// Whether `password` matches a hash of another kind than argon2 (constant-time compare).
pub(crate) fn verify(password: &str, hash: &str) -> bool {
    match check(hash) {
        Ok(HashKind::Argon2) | Err(_) => false,
        Ok(HashKind::Scrypt) => scrypt_verify(password, hash).unwrap_or(false),
        Ok(HashKind::Pbkdf2Sha256 | HashKind::Pbkdf2Sha512) => pbkdf2_hash(hash).is_ok_and(|h| {
            pbkdf2::verify(
                h.algorithm,
                h.rounds,
                &h.salt,
                password.as_bytes(),
                &h.derived,
            )
            .is_ok()
        }),
        // bcrypt reads `$2y$` as `$2b$` (the same algorithm, PHP's name for it).
        Ok(HashKind::Bcrypt) => bcrypt::verify(password, hash).unwrap_or(false),
    }
}

/// Whether a hash that verified should be replaced by one of ours: anything but argon2id with
/// `params`.
pub fn needs_rehash(hash: &str, params: PasswordParams) -> bool {
    let ours = PasswordHash::new(hash).ok().and_then(|phc| {
        let same_kind = phc.algorithm == argon2::ARGON2ID_IDENT;
        let p = argon2::Params::try_from(&phc).ok()?;
        Some(
            same_kind
                && p.m_cost() == params.memory_kib
                && p.t_cost() == params.iterations
                && p.p_cost() == params.parallelism,
        )
    });
    ours != Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passlibs_pbkdf2_verifies_and_is_checked_at_import() {
        // passlib.hash.pbkdf2_sha256.using(rounds=1000, salt=b"saltsalt").hash("password")
        let salt = b"saltsalt";
        let mut out = [0u8; 32];
        let rounds = std::num::NonZeroU32::new(1000).unwrap();
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            rounds,
            salt,
            b"password",
            &mut out,
        );
        let enc = |b: &[u8]| STANDARD_NO_PAD.encode(b).replace('+', ".");
        let hash = format!("$pbkdf2-sha256$1000${}${}", enc(salt), enc(&out));
        assert_eq!(check(&hash), Ok(HashKind::Pbkdf2Sha256));
        assert!(verify("password", &hash));
        assert!(!verify("Password", &hash));
        assert!(needs_rehash(&hash, PasswordParams::default()));
        let dear = format!("$pbkdf2-sha256$99000000${}${}", enc(salt), enc(&out));
        assert!(check(&dear).unwrap_err().contains("costs a login too much"));
    }

    #[test]
    fn malformed_and_unknown_hashes_are_refused_and_verify_nothing() {
        for bad in [
            "",
            "plain text",
            "$1$md5crypt$hash",
            "$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
            "$2b$10$tooshort",
            "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$pbkdf2-sha1$1000$c2FsdA$aGFzaA",
        ] {
            assert!(check(bad).is_err(), "{bad}");
            assert!(!verify("password", bad), "{bad}");
        }
    }
}
