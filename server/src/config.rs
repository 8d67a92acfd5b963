//! Configuration from the environment. Secrets are wrapped so they never print.

use anyhow::{Context, Result, bail};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A value that must never reach a log or a terminal.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: an external Postgres. `None` means the embedded cluster.
    pub database_url: Option<Secret<String>>,
    /// `MANNA_ADDR`, default `127.0.0.1:3000`.
    pub addr: SocketAddr,
    /// `MANNA_DATA_DIR`, default `./.manna`.
    pub data_dir: PathBuf,
    /// `MANNA_DB_POOL_SIZE`, default [`default_pool_size`].
    pub pool_size: u32,
}

/// Database connections by default: two per core, plus two. More connections than
/// the cores can run only queue inside Postgres: on 2 cores, the transactions page
/// under 32 clients served 836-859 renders/s with 20 connections and 936-960 with
/// 2-6 (p99 65 ms -> 43 ms; `BENCH_POOL` in the transactions_page benchmark).
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    u32::try_from(cores * 2 + 2).unwrap_or(u32::MAX).clamp(4, 100)
}

/// `MANNA_DB_POOL_SIZE` as given: unset or blank is the default.
fn pool_size(value: Option<&str>) -> Result<u32> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default_pool_size()),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (2..=1000).contains(&n) => Ok(n),
            _ => bail!("MANNA_DB_POOL_SIZE={v:?} is not a number of connections from 2 to 1000"),
        },
    }
}

impl Config {
    pub fn from_env() -> Result<Self> {
        let database_url = std::env::var("DATABASE_URL").ok().filter(|s| !s.trim().is_empty()).map(Secret::new);
        let addr = match std::env::var("MANNA_ADDR") {
            Ok(s) if !s.trim().is_empty() => {
                s.trim().parse().with_context(|| format!("MANNA_ADDR={s:?} is not an address like 127.0.0.1:3000"))?
            }
            _ => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let data_dir = match std::env::var_os("MANNA_DATA_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => PathBuf::from(".manna"),
        };
        let data_dir = absolute(&data_dir)?;
        let pool_size = pool_size(std::env::var("MANNA_DB_POOL_SIZE").ok().as_deref())?;
        Ok(Config { database_url, addr, data_dir, pool_size })
    }

    /// Makes sure the data dir exists and is usable, with a one-line reason if not.
    pub fn prepare_data_dir(&self) -> Result<()> {
        prepare_data_dir(&self.data_dir)
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir().context("cannot read the current directory")?.join(path))
    }
}

pub fn prepare_data_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::create_dir_all(dir) {
        bail!("data dir {} is not usable: {e}", dir.display());
    }
    let probe = dir.join(".write-test");
    if let Err(e) = std::fs::write(&probe, b"ok") {
        bail!("data dir {} is not writable: {e}", dir.display());
    }
    let _ = std::fs::remove_file(&probe);
    // Others may traverse (the embedded Postgres may run as another user) but not list.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711));
    Ok(())
}

/// The key that encrypts secrets at rest: `MANNA_SECRET_KEY` (64 hex chars), or one
/// generated once into `<data dir>/secret.key` with mode 0600.
pub fn secret_key(data_dir: &Path) -> Result<Secret<[u8; 32]>> {
    if let Ok(hex) = std::env::var("MANNA_SECRET_KEY") {
        return parse_key(hex.trim()).context("MANNA_SECRET_KEY must be 64 hex characters (32 bytes)");
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_key(text.trim()).with_context(|| format!("{} is not a valid key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use rand::RngCore;
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            file.write_all(hex.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(Secret::new(key))
        }
        Err(e) => bail!("cannot read {}: {e}", path.display()),
    }
}

/// The sealing key ring: the current key (`MANNA_SECRET_KEY` or the data dir's file)
/// under `MANNA_SECRET_KEY_ID` (1–255, default 1), and older keys that still open what
/// they sealed from `MANNA_PREVIOUS_SECRET_KEYS` ("id:hex,id:hex"). To rotate: move the
/// old key into the previous list with its id, set a new key and id, restart, then run
/// `manna secrets reseal`.
pub fn sealing_key(data_dir: &Path) -> Result<app::sealing::SealingKey> {
    let current = secret_key(data_dir)?;
    let id = match std::env::var("MANNA_SECRET_KEY_ID") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|id| *id >= 1)
            .with_context(|| format!("MANNA_SECRET_KEY_ID={v:?} must be a number from 1 to 255"))?,
        _ => app::sealing::DEFAULT_KEY_ID,
    };
    let mut ring = app::sealing::SealingKey::with_id(id, *current.expose());
    if let Ok(list) = std::env::var("MANNA_PREVIOUS_SECRET_KEYS") {
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (old_id, hex) =
                entry.split_once(':').context("MANNA_PREVIOUS_SECRET_KEYS entries look like 1:<64 hex characters>")?;
            let old_id = old_id.trim().parse::<u8>().ok().filter(|i| *i >= 1 && *i != id).with_context(|| {
                format!("MANNA_PREVIOUS_SECRET_KEYS: {old_id:?} is not a key id other than the current one")
            })?;
            let key = parse_key(hex.trim()).context("MANNA_PREVIOUS_SECRET_KEYS: a key must be 64 hex characters")?;
            ring = ring.also_opening(old_id, *key.expose());
        }
    }
    Ok(ring)
}

fn parse_key(hex: &str) -> Result<Secret<[u8; 32]>> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("expected 64 hex characters");
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
    }
    Ok(Secret::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_is_the_default_unless_a_sensible_number_is_given() {
        assert!((4..=100).contains(&default_pool_size()));
        assert_eq!(pool_size(None).unwrap(), default_pool_size());
        assert_eq!(pool_size(Some("  ")).unwrap(), default_pool_size());
        assert_eq!(pool_size(Some(" 8 ")).unwrap(), 8);
        for bad in ["1", "0", "-3", "many", "5000"] {
            let e = pool_size(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("MANNA_DB_POOL_SIZE") && e.contains("2 to 1000"), "{bad}: {e}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn keys_parse_and_reject() {
        assert!(parse_key(&"ab".repeat(32)).is_ok());
        assert!(parse_key("abc").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
    }
}
