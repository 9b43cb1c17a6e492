//! Secrets of the service layer: 256-bit random tokens stored only as SHA-256 hashes, and
//! argon2id password hashing on a bounded pool off the async runtime, so a burst of password
//! work cannot starve the request workers.

use std::sync::Arc;

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{Code, Error};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::Semaphore;

pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    bytes
}

/// Bytes as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of a token: all that is stored of it.
pub fn token_hash(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// A new 256-bit token (URL-safe base64) and its hash.
pub fn new_token() -> (String, String) {
    let token = URL_SAFE_NO_PAD.encode(random::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

/// The letters of one-time codes: Crockford's base 32 (no I, L, O or U), easy to read and type.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A one-time code of 8 characters (40 bits: a handful of tries per code find it with a
/// chance of one in a hundred billion), and its hash. Codes are compared by
/// [`code_hash`], without regard to case or spaces.
pub fn new_code() -> (String, String) {
    let code = user_code();
    let hash = code_hash(&code);
    (code, hash)
}

/// 8 random characters of [`CODE_ALPHABET`]: a code a person reads and types.
pub fn user_code() -> String {
    random::<8>()
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(b & 31)] as char)
        .collect()
}

/// A code as typed, the way it was made: spaces and dashes dropped, upper-cased, and the
/// letters a reader takes for digits read as those digits (O as 0, I and L as 1).
pub fn normal_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// The hash of a code as typed (see [`normal_code`]).
pub fn code_hash(typed: &str) -> String {
    token_hash(&normal_code(typed))
}

/// A generated password: 24 URL-safe characters (144 bits).
pub fn new_password() -> String {
    URL_SAFE_NO_PAD.encode(random::<18>())
}

/// argon2id cost parameters; the default is OWASP's (19 MiB, 2 passes, 1 lane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        PasswordParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordParams {
    fn argon2(self) -> Result<Argon2<'static>, Error> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| {
                Error::internal(format!(
                    "argon2 parameters {self:?} are invalid: {e} (see --argon2-memory-kib)"
                ))
            })?;
        Ok(Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }

    /// Refuses parameters argon2 cannot run with, at start.
    pub fn validate(self) -> Result<(), Error> {
        self.argon2().map(|_| ())
    }
}

/// argon2's working memory (`m_cost` blocks of 1 KiB), kept between hashes. A fresh 19 MiB
/// for every hash is what the system allocator handles worst: freed buffers get split by small
/// allocations and the process grows by megabytes per login. Reused, it is allocated once per
/// worker.
#[derive(Default)]
pub struct Scratch(Vec<argon2::Block>);

impl Scratch {
    fn blocks(&mut self, params: &argon2::Params) -> &mut [argon2::Block] {
        self.0
            .resize(params.block_count(), argon2::Block::default());
        &mut self.0
    }
}

/// An argon2id hash in PHC string format (the parameters travel with it, so changing them
/// applies to new hashes and old ones still verify). CPU-bound for tens of milliseconds: call
/// it through [`PasswordPool`] on a server.
pub fn hash_password(password: &str, params: PasswordParams) -> Result<String, Error> {
    hash_password_in(&mut Scratch::default(), password, params)
}

fn hash_password_in(
    scratch: &mut Scratch,
    password: &str,
    params: PasswordParams,
) -> Result<String, Error> {
    let failed =
        |e: &dyn std::fmt::Display| Error::internal(format!("password hashing failed: {e}"));
    let argon2 = params.argon2()?;
    let salt = SaltString::encode_b64(&random::<16>()).map_err(|e| failed(&e))?;
    let mut raw_salt = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut raw_salt).map_err(|e| failed(&e))?;
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            scratch.blocks(argon2.params()),
        )
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches a PHC hash (compared in constant time).
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_password_in(&mut Scratch::default(), password, hash)
}

fn verify_password_in(scratch: &mut Scratch, password: &str, hash: &str) -> bool {
    if !hash.starts_with("$argon2") {
        return crate::imported_hashes::verify(password, hash);
    }
    let mut check = || -> Option<bool> {
        let phc = PasswordHash::new(hash).ok()?;
        let algorithm = argon2::Algorithm::try_from(phc.algorithm).ok()?;
        let version = argon2::Version::try_from(phc.version.unwrap_or(0x13)).ok()?;
        let expected = phc.hash?;
        let base = argon2::Params::try_from(&phc).ok()?;
        let params = argon2::Params::new(
            base.m_cost(),
            base.t_cost(),
            base.p_cost(),
            Some(expected.len()),
        )
        .ok()?;
        let mut raw_salt = [0u8; 64];
        let salt = phc.salt?.decode_b64(&mut raw_salt).ok()?;
        let argon2 = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                scratch.blocks(argon2.params()),
            )
            .ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// At most `permits` password hashes or verifications at once, each on the blocking pool,
/// and at most `queue` waiting for one: beyond, work is refused before it starts, so the wait
/// of what is accepted stays bounded (`queue / permits` hashes) however many requests come.
#[derive(Clone)]
pub struct PasswordPool {
    permits: Arc<Semaphore>,
    queue: u64,
    params: PasswordParams,
    waiting: Arc<std::sync::atomic::AtomicU64>,
    /// Working memory of the workers, at most one per permit.
    scratch: Arc<Mutex<Vec<Scratch>>>,
}

impl PasswordPool {
    pub fn new(permits: usize, queue: usize, params: PasswordParams) -> PasswordPool {
        PasswordPool {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            queue: queue.max(1) as u64,
            params,
            waiting: Arc::default(),
            scratch: Arc::default(),
        }
    }

    /// Work waiting for a permit.
    pub fn queued(&self) -> u64 {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<T, Error> {
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::new(
                Code::Overloaded,
                "too many password checks are waiting: try again in a second",
            )
            .with("retry_after", "1"));
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let _permit = permit.map_err(|_| Error::new(Code::NotReady, "shutting down"))?;
        let scratch = self.scratch.clone();
        tokio::task::spawn_blocking(move || {
            let mut mine = scratch
                .lock()
                .expect("scratch lock")
                .pop()
                .unwrap_or_default();
            let answer = f(&mut mine);
            scratch.lock().expect("scratch lock").push(mine);
            answer
        })
        .await
        .map_err(|e| Error::internal(format!("password work failed: {e}")))
    }

    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let params = self.params;
        self.run(move |scratch| hash_password_in(scratch, &password, params))
            .await?
    }

    /// Whether a hash that verified should be replaced by one of this pool's parameters.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        crate::imported_hashes::needs_rehash(hash, self.params)
    }

    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Error> {
        self.run(move |scratch| verify_password_in(scratch, &password, &hash))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_are_standard_phc_strings_that_either_side_verifies() {
        let params = PasswordParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let mut scratch = Scratch::default();
        let ours = hash_password_in(&mut scratch, "correct horse", params).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{ours}");
        // The argon2 crate's own verifier accepts ours, and ours accepts its hashes (of other
        // parameters too, in the same scratch memory).
        let phc = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &phc)
            .is_ok());
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password_in(&mut scratch, "battery staple", &theirs));
        assert!(!verify_password_in(&mut scratch, "battery stable", &theirs));
        assert!(verify_password_in(&mut scratch, "correct horse", &ours));
        assert!(!verify_password_in(
            &mut scratch,
            "correct horse",
            "not a hash"
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_work_beyond_the_queue_is_refused_before_it_starts() {
        // Slow hashes, one worker, one place in the queue.
        let slow = PasswordParams {
            memory_kib: 64 * 1024,
            iterations: 4,
            parallelism: 1,
        };
        let pool = PasswordPool::new(1, 1, slow);
        let running = tokio::spawn({
            let pool = pool.clone();
            async move { pool.hash("first password".into()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.hash("second password".into()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(pool.queued(), 1);
        let shed = pool
            .verify("third".into(), "hash".into())
            .await
            .unwrap_err();
        assert_eq!(shed.code, Code::Overloaded);
        assert_eq!(shed.details, vec![("retry_after".into(), "1".into())]);
        // What was accepted still completes.
        assert!(running.await.unwrap().is_ok());
        assert!(waiting.await.unwrap().is_ok());
        assert_eq!(pool.queued(), 0);
    }

    #[test]
    fn codes_are_typed_forgivingly_and_differ() {
        let (code, hash) = new_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        let typed = format!("{} {}", &code[..4], &code[4..]).to_lowercase();
        assert_eq!(code_hash(&typed), hash);
        assert_eq!(code_hash("0O1IL-aaaa"), code_hash("00111AAAA"));
        assert_ne!(new_code().0, new_code().0);
    }
}
