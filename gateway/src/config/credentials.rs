//! Logins: user name → owner, account, argon2 hash, cancel-on-disconnect.
//!
//! Passwords are stored as argon2 PHC strings (`rtes hash-password`).
//! Verifying one costs tens of milliseconds on purpose; it happens once per
//! login, never on the order path.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rtes_engine::{AccountId, OwnerId};
use std::collections::BTreeMap;
use std::io::Read;

/// One user who may log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Login name.
    pub username: String,
    /// Engine identity that owns this user's orders (stable across reconnects).
    pub owner: OwnerId,
    /// Account charged for risk.
    pub account: AccountId,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Cancel the owner's orders when its session drops.
    pub cancel_on_disconnect: bool,
}

impl Login {
    /// True if `password` matches the stored hash (slow: argon2).
    pub fn verify(&self, password: &str) -> bool {
        verify_password(&self.password_hash, password)
    }
}

/// Every configured login, looked up by user name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    by_username: BTreeMap<String, Login>,
}

impl Credentials {
    /// Builds the table; later duplicates replace earlier ones (validation
    /// has already rejected duplicates).
    pub fn new(logins: impl IntoIterator<Item = Login>) -> Credentials {
        let by_username = logins
            .into_iter()
            .map(|login| (login.username.clone(), login))
            .collect();
        Credentials { by_username }
    }

    /// The login for `username`, if configured.
    pub fn get(&self, username: &str) -> Option<&Login> {
        self.by_username.get(username)
    }

    /// Checks user name and password; `None` if either is wrong. Slow (argon2).
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&Login> {
        self.get(username).filter(|login| login.verify(password))
    }

    /// Number of logins.
    pub fn len(&self) -> usize {
        self.by_username.len()
    }

    /// True when no login is configured.
    pub fn is_empty(&self) -> bool {
        self.by_username.is_empty()
    }

    /// Every login, by user name.
    pub fn iter(&self) -> impl Iterator<Item = &Login> {
        self.by_username.values()
    }
}

/// True if `password` matches the argon2 PHC string `hash`; false for a
/// wrong password or a malformed hash.
///
/// ```
/// use rtes_gateway::config::credentials::{hash_password, verify_password};
/// let hash = hash_password("secret", &[7; 16]).unwrap();
/// assert!(verify_password(&hash, "secret"));
/// assert!(!verify_password(&hash, "wrong"));
/// ```
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashes `password` with argon2id (default parameters) and the given salt.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, String> {
    let salt = SaltString::encode_b64(salt).map_err(|error| error.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| error.to_string())
}

/// Sixteen random bytes from the operating system (`/dev/urandom`).
pub fn random_salt() -> std::io::Result<[u8; 16]> {
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    Ok(salt)
}

/// Checks that `hash` is a PHC string of an argon2 variant.
pub fn check_password_hash(hash: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(hash).map_err(|error| format!("not a PHC string ({error})"))?;
    match parsed.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Ok(()),
        other => Err(format!("algorithm {other} is not argon2")),
    }
}
