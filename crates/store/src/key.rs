//! Keys that open an encrypted replica: raw 32-byte keys, passphrases, key files, and the seam
//! (`KeyProvider`) through which the phone app will keep its key in the platform keystore.
//!
//! SQLCipher takes either a raw key (`PRAGMA key = "x'…'"`, used as is) or a passphrase, which it
//! stretches with PBKDF2-HMAC-SHA512 (256,000 iterations) and the file's own random salt. A phone
//! uses a random raw key, so opening costs nothing; a person who wants a passphrase puts it in
//! the key file instead.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::{Error, Result};

/// Passphrases shorter than this are refused: the key file is the only thing standing between a
/// copied replica and its residents.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// What opens an encrypted replica. Never printed: `Debug` shows only which kind it is, and the
/// bytes are wiped from memory when the key is dropped.
#[derive(Clone)]
pub struct Key(Secret);

#[derive(Clone)]
enum Secret {
    Raw(Zeroizing<[u8; 32]>),
    Passphrase(Zeroizing<String>),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Secret::Raw(_) => f.write_str("Key(raw, redacted)"),
            Secret::Passphrase(_) => f.write_str("Key(passphrase, redacted)"),
        }
    }
}

impl Key {
    /// A new random 256-bit key from the operating system's generator.
    pub fn random() -> Key {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes[..]);
        Key(Secret::Raw(bytes))
    }

    /// A raw key, e.g. unwrapped from the platform keystore by the phone app.
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(Secret::Raw(Zeroizing::new(bytes)))
    }

    /// A passphrase; SQLCipher derives the key from it with PBKDF2 and the file's salt.
    pub fn passphrase(text: &str) -> Result<Key> {
        if text.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Error::KeyFile {
                path: String::new(),
                problem: KeyFileProblem::TooShort,
            });
        }
        Ok(Key(Secret::Passphrase(Zeroizing::new(text.to_string()))))
    }

    /// The raw bytes, for a caller that keeps them (the phone app, in its keystore); `None` for
    /// a passphrase.
    pub fn raw_bytes(&self) -> Option<&[u8; 32]> {
        match &self.0 {
            Secret::Raw(b) => Some(b),
            Secret::Passphrase(_) => None,
        }
    }

    /// The text SQLCipher takes (`PRAGMA key`, `ATTACH … KEY`): `x'<64 hex>'` for a raw key.
    pub(crate) fn sqlcipher_text(&self) -> Zeroizing<String> {
        match &self.0 {
            Secret::Raw(b) => Zeroizing::new(format!("x'{}'", hex::encode_upper(&b[..]))),
            Secret::Passphrase(p) => p.clone(),
        }
    }

    /// Reads a key file's text: 64 hexadecimal digits are a raw key (what `gocua pair` writes);
    /// anything else is a passphrase (its first line, without the line break).
    pub fn from_key_file_text(text: &str) -> Result<Key> {
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut bytes = Zeroizing::new([0u8; 32]);
            hex::decode_to_slice(trimmed, &mut bytes[..]).map_err(|_| Error::KeyFile {
                path: String::new(),
                problem: KeyFileProblem::Unreadable,
            })?;
            return Ok(Key(Secret::Raw(bytes)));
        }
        if trimmed.is_empty() {
            return Err(Error::KeyFile {
                path: String::new(),
                problem: KeyFileProblem::Empty,
            });
        }
        Key::passphrase(line)
    }
}

/// Where a replica's key is kept: the one seam between the store and the platform.
///
/// The CLI and desktop use [`KeyFile`]. The phone app (a later issue) implements this trait over
/// the Android Keystore: `create` makes a [`Key::random`], wraps its [`Key::raw_bytes`] with a
/// non-exportable Keystore AES key and saves the wrapped bytes in app-private storage; `load`
/// unwraps them into [`Key::from_bytes`]; `destroy` deletes both. The store itself only ever
/// sees a [`Key`] in [`crate::StoreOptions::key`].
pub trait KeyProvider {
    /// The key, if one has been made.
    fn load(&self) -> Result<Option<Key>>;
    /// Makes and keeps a new random key; fails if one exists already.
    fn create(&self) -> Result<Key>;
    /// Destroys the key for good. Without it the encrypted replica is noise (crypto-shredding),
    /// even if flash storage kept the deleted file's blocks.
    fn destroy(&self) -> Result<()>;
    /// Where the key lives, for messages.
    fn describe(&self) -> String;
}

/// A key kept in a file only its owner can read (mode 0600).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    pub fn new(path: impl Into<PathBuf>) -> KeyFile {
        KeyFile { path: path.into() }
    }

    /// The key file `gocua pair` makes for a replica when it is given none: `<replica>.key`.
    pub fn beside(db: &Path) -> KeyFile {
        let mut p = db.as_os_str().to_owned();
        p.push(".key");
        KeyFile::new(PathBuf::from(p))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    fn err(&self, problem: KeyFileProblem) -> Error {
        Error::KeyFile {
            path: self.path.display().to_string(),
            problem,
        }
    }

    /// Reads the key; a missing file is an error here (see [`KeyProvider::load`] for `None`).
    pub fn read(&self) -> Result<Key> {
        self.load()?
            .ok_or_else(|| self.err(KeyFileProblem::Missing))
    }
}

impl KeyProvider for KeyFile {
    fn load(&self) -> Result<Option<Key>> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => return Err(self.err(KeyFileProblem::Unreadable)),
        };
        // Like ssh with its private keys: a key others can read protects nothing.
        if let Some(mode) = crate::files::open_to_others(&meta) {
            return Err(self.err(KeyFileProblem::Insecure(mode)));
        }
        let bytes = Zeroizing::new(
            std::fs::read(&self.path).map_err(|_| self.err(KeyFileProblem::Unreadable))?,
        );
        let text = std::str::from_utf8(&bytes).map_err(|_| self.err(KeyFileProblem::Unreadable))?;
        Key::from_key_file_text(text)
            .map(Some)
            .map_err(|e| match e {
                Error::KeyFile { problem, .. } => self.err(problem),
                other => other,
            })
    }

    fn create(&self) -> Result<Key> {
        let key = Key::random();
        let mut text = key.sqlcipher_text();
        // Only the hex digits, one line.
        let digits = Zeroizing::new(format!("{}\n", &text[2..text.len() - 1]));
        text.clear();
        let mut f = crate::files::create_private(&self.path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                self.err(KeyFileProblem::Exists)
            } else {
                Error::io("create", &self.path, e)
            }
        })?;
        f.write_all(digits.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| Error::io("write", &self.path, e))?;
        crate::files::sync_parent(&self.path);
        Ok(key)
    }

    fn destroy(&self) -> Result<()> {
        crate::files::shred(&self.path)
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// What is wrong with a key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFileProblem {
    Missing,
    Unreadable,
    Empty,
    TooShort,
    Exists,
    /// Readable by others: the mode found.
    Insecure(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_text_is_a_raw_key_or_a_passphrase() {
        let hex = "ab".repeat(32);
        let k = Key::from_key_file_text(&format!("{hex}\n")).unwrap();
        assert_eq!(k.raw_bytes(), Some(&[0xab; 32]));
        assert_eq!(&*k.sqlcipher_text(), &format!("x'{}'", "AB".repeat(32)));
        let p = Key::from_key_file_text("một câu mật khẩu dài\nignored").unwrap();
        assert!(p.raw_bytes().is_none());
        assert_eq!(&*p.sqlcipher_text(), "một câu mật khẩu dài");
        assert!(matches!(
            Key::from_key_file_text("short"),
            Err(Error::KeyFile {
                problem: KeyFileProblem::TooShort,
                ..
            })
        ));
        assert!(matches!(
            Key::from_key_file_text("\n"),
            Err(Error::KeyFile {
                problem: KeyFileProblem::Empty,
                ..
            })
        ));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = Key::from_bytes([0x5a; 32]);
        let shown = format!("{k:?}");
        assert!(!shown.contains("5a") && !shown.contains("5A"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let kf = KeyFile::beside(&dir.path().join("phone.sqlite"));
        assert_eq!(kf.path(), dir.path().join("phone.sqlite.key"));
        assert!(kf.load().unwrap().is_none());
        let k = kf.create().unwrap();
        let mode = std::fs::metadata(kf.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(kf.read().unwrap().raw_bytes(), k.raw_bytes());
        assert!(matches!(
            kf.create(),
            Err(Error::KeyFile {
                problem: KeyFileProblem::Exists,
                ..
            })
        ));
        std::fs::set_permissions(kf.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            kf.read(),
            Err(Error::KeyFile {
                problem: KeyFileProblem::Insecure(0o644),
                ..
            })
        ));
        kf.destroy().unwrap();
        assert!(!kf.exists());
    }
}
