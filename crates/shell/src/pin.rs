//! The app lock: the replica's key kept in its key file wrapped with a key derived from the
//! user's PIN, so a copied app folder opens nothing without the PIN.
//!
//! Before a PIN is set the key file holds the raw key as 64 hex digits (what [`KeyFile`] writes).
//! Setting a PIN replaces that line, atomically (a temporary file renamed over it), with
//! `gocua-pin-1 <iterations> <salt> <nonce> <sealed key>`: AES-256-GCM over the 32-byte key,
//! under a key stretched from the PIN with PBKDF2-HMAC-SHA256 and a random salt. A crash in
//! between leaves one of the two whole files, each of which opens the replica.
//!
//! Six digits are a small space for someone who has the file and time: the lock is against the
//! person who picks up a phone left on a table, not a forensic lab (see docs/THREAT_MODEL.md).
//! Against guessing at the screen, wrong PINs count in a side file and, after
//! [`FREE_TRIES`], each try waits longer.

use std::io::Write as _;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gocua_store::{Error, Key, KeyFile, KeyProvider, Result, files};
use ring::{aead, pbkdf2, rand::SecureRandom as _};
use zeroize::Zeroizing;

const MAGIC: &str = "gocua-pin-1";
/// PBKDF2 rounds for new PINs: a few hundred milliseconds on a phone, once per unlock.
pub const ITERATIONS: u32 = 310_000;
/// Wrong PINs allowed before each further try must wait.
pub const FREE_TRIES: u32 = 5;
/// The longest wait between tries, in seconds.
const MAX_WAIT: i64 = 15 * 60;
pub const MIN_DIGITS: usize = 6;
pub const MAX_DIGITS: usize = 12;

/// Whether the app's key needs a PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockState {
    /// No key yet (first start) or a raw key: no PIN has been set.
    NoPin,
    /// PIN set, key not in memory: the user must unlock.
    Locked,
    /// PIN set and entered.
    Unlocked,
}

/// Why a PIN was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinError {
    /// Wrong PIN; `left` tries before waiting starts (0: the next try waits).
    Wrong {
        left: u32,
    },
    /// Too many wrong PINs: try again in this many seconds.
    Wait {
        seconds: i64,
    },
    /// A new PIN that is not 6 to 12 digits, or too easy to guess.
    Weak(Weakness),
    /// Changing a PIN that was never set, or setting one over a locked key.
    NotAllowed,
    Store(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    Length,
    NotDigits,
    /// One digit repeated, or a run such as 123456 / 987654.
    Guessable,
}

impl From<Error> for PinError {
    fn from(e: Error) -> Self {
        PinError::Store(e.to_string())
    }
}

/// Checks a new PIN: 6–12 digits, not one digit repeated nor a straight run.
pub fn check_new_pin(pin: &str) -> std::result::Result<(), Weakness> {
    let n = pin.chars().count();
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(Weakness::NotDigits);
    }
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&n) {
        return Err(Weakness::Length);
    }
    let d: Vec<i32> = pin.bytes().map(|b| i32::from(b - b'0')).collect();
    let steps: Vec<i32> = d.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|&s| s == steps[0]) && matches!(steps[0], -1..=1) {
        return Err(Weakness::Guessable);
    }
    Ok(())
}

/// The key file of a phone replica, with the PIN lock over it. Implements [`KeyProvider`], so
/// the store opens and a revocation destroys through it like any other key.
pub struct PinKeyFile {
    plain: KeyFile,
    tries: PathBuf,
    /// The key after an unlock (or after a PIN was set), until [`PinKeyFile::lock`].
    unlocked: Mutex<Option<Key>>,
    iterations: u32,
}

enum OnDisk {
    Missing,
    Plain(Key),
    Wrapped(Wrapped),
}

struct Wrapped {
    iterations: u32,
    salt: Vec<u8>,
    nonce: [u8; 12],
    sealed: Vec<u8>,
}

fn unreadable(path: &Path) -> Error {
    Error::KeyFile {
        path: path.display().to_string(),
        problem: gocua_store::key::KeyFileProblem::Unreadable,
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut b).map_err(|_| {
        Error::io(
            "draw random bytes from",
            Path::new("the system's generator"),
            std::io::Error::other("unavailable"),
        )
    })?;
    Ok(b)
}

fn stretch(pin: &str, salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    let rounds = NonZeroU32::new(iterations.max(1)).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        pin.as_bytes(),
        &mut out[..],
    );
    out
}

fn aead_key(bytes: &[u8; 32]) -> aead::LessSafeKey {
    // 32 bytes is AES-256's key length: `new` cannot fail here.
    aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_256_GCM, bytes).expect("32-byte AES-256 key"),
    )
}

impl PinKeyFile {
    /// The key file beside the replica `db` (`<db>.key`) and its try counter (`<db>.key.tries`).
    pub fn beside(db: &Path) -> PinKeyFile {
        let plain = KeyFile::beside(db);
        let mut tries = plain.path().as_os_str().to_owned();
        tries.push(".tries");
        PinKeyFile {
            plain,
            tries: PathBuf::from(tries),
            unlocked: Mutex::new(None),
            iterations: ITERATIONS,
        }
    }

    /// Fewer PBKDF2 rounds, for tests that unlock many times. Never below 1,000.
    pub fn with_iterations(mut self, iterations: u32) -> PinKeyFile {
        self.iterations = iterations.max(1_000);
        self
    }

    pub fn path(&self) -> &Path {
        self.plain.path()
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Option<Key>> {
        self.unlocked.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> Result<OnDisk> {
        let path = self.plain.path();
        let text = match std::fs::read(path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
            Err(_) => return Err(unreadable(path)),
        };
        let text = std::str::from_utf8(&text).map_err(|_| unreadable(path))?;
        let line = text.lines().next().unwrap_or("").trim();
        if !line.starts_with(MAGIC) {
            // The raw key as `KeyFile` writes it, with its own checks (mode 0600, format).
            return Ok(self.plain.load()?.map_or(OnDisk::Missing, OnDisk::Plain));
        }
        let parts: Vec<&str> = line.split(' ').collect();
        let [_, iterations, salt, nonce, sealed] = parts[..] else {
            return Err(unreadable(path));
        };
        let bad = |_| unreadable(path);
        let mut n = [0u8; 12];
        hex::decode_to_slice(nonce, &mut n).map_err(bad)?;
        Ok(OnDisk::Wrapped(Wrapped {
            iterations: iterations.parse().map_err(|_| unreadable(path))?,
            salt: hex::decode(salt).map_err(bad)?,
            nonce: n,
            sealed: hex::decode(sealed).map_err(bad)?,
        }))
    }

    /// Where the lock stands now.
    pub fn state(&self) -> Result<LockState> {
        Ok(match self.read()? {
            OnDisk::Missing | OnDisk::Plain(_) => LockState::NoPin,
            OnDisk::Wrapped(_) if self.cached().is_some() => LockState::Unlocked,
            OnDisk::Wrapped(_) => LockState::Locked,
        })
    }

    /// Forgets the key in memory; the next open needs the PIN again.
    pub fn lock(&self) {
        self.cached().take();
    }

    /// `(wrong tries in a row, unix seconds of the last)`.
    fn tries(&self) -> (u32, i64) {
        let text = std::fs::read_to_string(&self.tries).unwrap_or_default();
        let mut it = text.split_whitespace().map(str::parse::<i64>);
        match (it.next(), it.next()) {
            (Some(Ok(n)), Some(Ok(at))) => (n.clamp(0, 1_000) as u32, at),
            _ => (0, 0),
        }
    }

    fn set_tries(&self, n: u32, at: i64) {
        if n == 0 {
            let _ = std::fs::remove_file(&self.tries);
            return;
        }
        // A counter that fails to save costs a wait, never the data: best effort.
        let _ = write_atomic(&self.tries, format!("{n} {at}\n").as_bytes());
    }

    /// Seconds to wait after `n` wrong tries in a row.
    fn wait_after(n: u32) -> i64 {
        if n < FREE_TRIES {
            return 0;
        }
        (30i64 << (n - FREE_TRIES).min(10)).min(MAX_WAIT)
    }

    /// Unlocks with `pin`; on success the key stays in memory until [`PinKeyFile::lock`].
    pub fn unlock(&self, pin: &str) -> std::result::Result<(), PinError> {
        let OnDisk::Wrapped(w) = self.read()? else {
            return Err(PinError::NotAllowed);
        };
        self.unlock_now(&w, pin, now_secs()).map(|key| {
            *self.cached() = Some(key);
        })
    }

    fn unlock_now(&self, w: &Wrapped, pin: &str, now: i64) -> std::result::Result<Key, PinError> {
        let (n, at) = self.tries();
        let wait = Self::wait_after(n) - (now - at);
        if wait > 0 {
            return Err(PinError::Wait { seconds: wait });
        }
        let kek = stretch(pin, &w.salt, w.iterations);
        let mut buf = Zeroizing::new(w.sealed.clone());
        let opened = aead_key(&kek)
            .open_in_place(
                aead::Nonce::assume_unique_for_key(w.nonce),
                aead::Aad::from(MAGIC.as_bytes()),
                &mut buf,
            )
            .ok()
            .and_then(|plain| <[u8; 32]>::try_from(&plain[..]).ok());
        match opened {
            Some(raw) => {
                self.set_tries(0, now);
                Ok(Key::from_bytes(raw))
            }
            None => {
                let n = n + 1;
                self.set_tries(n, now);
                Err(PinError::Wrong {
                    left: FREE_TRIES.saturating_sub(n),
                })
            }
        }
    }

    /// Sets a PIN over the raw key (first time, `old` = `None`), or changes it (`old` = the
    /// current PIN). The key itself never changes, so the replica needs no re-encryption.
    pub fn set_pin(&self, old: Option<&str>, new: &str) -> std::result::Result<(), PinError> {
        check_new_pin(new).map_err(PinError::Weak)?;
        let key = match (self.read()?, old) {
            (OnDisk::Plain(key), None) => key,
            (OnDisk::Wrapped(w), Some(old)) => self.unlock_now(&w, old, now_secs())?,
            _ => return Err(PinError::NotAllowed),
        };
        let raw = key.raw_bytes().ok_or(PinError::NotAllowed)?;
        let salt: [u8; 16] = random()?;
        let nonce: [u8; 12] = random()?;
        let kek = stretch(new, &salt, self.iterations);
        let mut sealed = Zeroizing::new(raw.to_vec());
        aead_key(&kek)
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(MAGIC.as_bytes()),
                &mut *sealed,
            )
            .map_err(|_| PinError::Store("sealing the key failed".into()))?;
        let line = format!(
            "{MAGIC} {} {} {} {}\n",
            self.iterations,
            hex::encode(salt),
            hex::encode(nonce),
            hex::encode(&sealed[..])
        );
        write_atomic(self.plain.path(), line.as_bytes())?;
        *self.cached() = Some(key);
        Ok(())
    }
}

/// Writes `bytes` to a 0600 temporary file beside `path`, flushes it and renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut f = files::create_private(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io("write", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename", path, e))?;
    files::sync_parent(path);
    Ok(())
}

impl KeyProvider for PinKeyFile {
    fn load(&self) -> Result<Option<Key>> {
        match self.read()? {
            OnDisk::Missing => Ok(None),
            OnDisk::Plain(key) => Ok(Some(key)),
            OnDisk::Wrapped(_) => match self.cached().clone() {
                Some(key) => Ok(Some(key)),
                // The shell asks for the PIN before it opens the replica: reaching here is a bug
                // in the caller, and the replica stays closed.
                None => Err(unreadable(self.plain.path())),
            },
        }
    }

    fn create(&self) -> Result<Key> {
        self.plain.create()
    }

    fn destroy(&self) -> Result<()> {
        self.lock();
        let _ = std::fs::remove_file(&self.tries);
        self.plain.destroy()
    }

    fn describe(&self) -> String {
        self.plain.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(dir: &Path) -> PinKeyFile {
        PinKeyFile::beside(&dir.join("replica.sqlite")).with_iterations(1_000)
    }

    #[test]
    fn new_pins_must_be_six_to_twelve_digits_and_not_a_run() {
        assert_eq!(check_new_pin("12345"), Err(Weakness::Length));
        assert_eq!(check_new_pin("1234567890123"), Err(Weakness::Length));
        assert_eq!(check_new_pin("12a456"), Err(Weakness::NotDigits));
        for easy in ["000000", "123456", "987654", "555555555"] {
            assert_eq!(check_new_pin(easy), Err(Weakness::Guessable), "{easy}");
        }
        for fine in ["246810", "190845", "1357924680"] {
            assert_eq!(check_new_pin(fine), Ok(()), "{fine}");
        }
    }

    #[test]
    fn a_pin_wraps_the_same_key_and_only_the_pin_unwraps_it() {
        let dir = tempfile::tempdir().unwrap();
        let v = vault(dir.path());
        assert_eq!(v.state().unwrap(), LockState::NoPin);
        let key = v.create().unwrap();
        let raw = *key.raw_bytes().unwrap();
        v.set_pin(None, "190845").unwrap();
        assert_eq!(v.state().unwrap(), LockState::Unlocked);
        let text = std::fs::read_to_string(v.path()).unwrap();
        assert!(text.starts_with(MAGIC), "{text}");
        assert!(
            !text.to_lowercase().contains(&hex::encode(raw)),
            "raw key on disk"
        );

        // A fresh start: locked, nothing loads, a wrong PIN fails, the right one gives the key.
        let v = vault(dir.path());
        assert_eq!(v.state().unwrap(), LockState::Locked);
        assert!(v.load().is_err());
        assert_eq!(v.unlock("190846"), Err(PinError::Wrong { left: 4 }));
        v.unlock("190845").unwrap();
        assert_eq!(v.load().unwrap().unwrap().raw_bytes(), Some(&raw));
        v.lock();
        assert_eq!(v.state().unwrap(), LockState::Locked);

        // Changing the PIN needs the old one and keeps the key.
        assert_eq!(v.set_pin(None, "246810"), Err(PinError::NotAllowed));
        assert!(matches!(
            v.set_pin(Some("111112"), "246810"),
            Err(PinError::Wrong { .. })
        ));
        v.set_pin(Some("190845"), "246810").unwrap();
        let v = vault(dir.path());
        assert!(matches!(v.unlock("190845"), Err(PinError::Wrong { .. })));
        v.unlock("246810").unwrap();
        assert_eq!(v.load().unwrap().unwrap().raw_bytes(), Some(&raw));
    }

    #[test]
    fn wrong_pins_past_the_free_tries_make_the_next_try_wait() {
        let dir = tempfile::tempdir().unwrap();
        let v = vault(dir.path());
        v.create().unwrap();
        v.set_pin(None, "190845").unwrap();
        let OnDisk::Wrapped(w) = v.read().unwrap() else {
            panic!("not wrapped")
        };
        let t = 1_000_000;
        for i in 0..FREE_TRIES {
            let left = FREE_TRIES - i - 1;
            assert_eq!(
                v.unlock_now(&w, "000001", t).err(),
                Some(PinError::Wrong { left })
            );
        }
        // Even the right PIN waits now: the counter is on disk, a restart does not reset it.
        let v = vault(dir.path());
        assert_eq!(
            v.unlock_now(&w, "190845", t + 10).err(),
            Some(PinError::Wait { seconds: 20 })
        );
        assert!(v.unlock_now(&w, "190845", t + 30).is_ok());
        // A success clears the count.
        assert_eq!(v.tries().0, 0);
    }

    #[test]
    fn a_damaged_wrapped_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let v = vault(dir.path());
        v.create().unwrap();
        v.set_pin(None, "190845").unwrap();
        let text = std::fs::read_to_string(v.path()).unwrap();
        let (cut, _) = text.trim_end().rsplit_once(' ').unwrap();
        std::fs::write(v.path(), cut).unwrap();
        let v = vault(dir.path());
        assert!(v.state().is_err());
        assert!(v.unlock("190845").is_err());
    }
}
