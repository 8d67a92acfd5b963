//! The embedded default database: a Postgres cluster Manna owns under its data dir.
//!
//! Used when `DATABASE_URL` is unset. The cluster lives in `<data dir>/pg/data`, listens
//! only on a unix socket in `<data dir>/pg/run` (no TCP), and is started with the
//! system's server binaries. One process per data dir supervises it (an exclusive
//! `flock` on `<data dir>/pg/supervisor.lock`): the supervisor starts the cluster (or
//! adopts one left running by a crash) and stops it when it exits; any other `manna`
//! process on the same data dir just connects.

use anyhow::{Context, Result, bail};
use nix::fcntl::{Flock, FlockArg};
use nix::unistd::{Uid, User};
use sqlx::postgres::PgConnectOptions;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The port is only part of the socket's file name: nothing listens on TCP.
const PORT: u16 = 5432;
const SUPERUSER: &str = "manna";
pub const DATABASE: &str = "manna";

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    run_as: Option<User>,
    /// Held while this process supervises the cluster; `None` when another does.
    supervisor_lock: Option<Flock<File>>,
}

impl EmbeddedPostgres {
    /// Starts (or joins) the cluster under `data_dir` and makes sure the app database
    /// exists. Blocking: call from `spawn_blocking` or before the runtime is busy.
    pub fn start(data_dir: &Path) -> Result<Self> {
        let bin_dir = find_bin_dir()?;
        let root = data_dir.join("pg");
        let pgdata = root.join("data");
        let socket_dir = root.join("run");
        let log_dir = root.join("log");
        for dir in [&root, &socket_dir, &log_dir] {
            std::fs::create_dir_all(dir).with_context(|| format!("data dir {} is not usable", dir.display()))?;
        }
        // initdb refuses to run as root: when we are root, the cluster belongs to the
        // `postgres` system user (or MANNA_PG_USER).
        let run_as = if Uid::effective().is_root() {
            let name = std::env::var("MANNA_PG_USER").unwrap_or_else(|_| "postgres".into());
            let user = User::from_name(&name).ok().flatten().with_context(|| {
                format!("running as root needs a system user {name:?} to own the embedded Postgres (set MANNA_PG_USER)")
            })?;
            for dir in [&root, &socket_dir, &log_dir] {
                std::os::unix::fs::chown(dir, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                    .with_context(|| format!("cannot give {} to user {name}", dir.display()))?;
            }
            Some(user)
        } else {
            None
        };
        let lock_path = data_dir.join("pg-supervisor.lock");
        let lock_file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        let supervisor_lock = Flock::lock(lock_file, FlockArg::LockExclusiveNonblock).ok();

        let pg = EmbeddedPostgres {
            bin_dir,
            pgdata,
            socket_dir,
            log_file: log_dir.join("postgres.log"),
            run_as,
            supervisor_lock,
        };
        if pg.supervisor_lock.is_some() {
            if !pg.pgdata.join("PG_VERSION").exists() {
                pg.initdb()?;
            }
            if !pg.is_running()? {
                pg.pg_ctl_start()?;
            }
        } else {
            pg.wait_until_running(Duration::from_secs(30))?;
        }
        Ok(pg)
    }

    /// Options to connect to a database of this cluster over its socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().socket(&self.socket_dir).port(PORT).username(SUPERUSER).database(database)
    }

    /// A `DATABASE_URL` for this cluster (for `psql` and tools).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@localhost:{PORT}/{database}?host={}", self.socket_dir.display())
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Stops the cluster if this process supervises it; a fast shutdown rolls back open
    /// transactions and checkpoints, so nothing committed is lost.
    pub fn stop(&mut self) -> Result<()> {
        if self.supervisor_lock.take().is_none() {
            return Ok(());
        }
        if !self.is_running()? {
            return Ok(());
        }
        let out = self.run(self.pg_ctl().args(["stop", "-m", "fast", "-w", "-t", "60", "-D"]).arg(&self.pgdata))?;
        if !out.status.success() {
            bail!("stopping the embedded Postgres failed: {}", last_line(&out));
        }
        Ok(())
    }

    fn pg_ctl(&self) -> Command {
        Command::new(self.bin_dir.join("pg_ctl"))
    }

    fn run(&self, cmd: &mut Command) -> Result<Output> {
        if let Some(user) = &self.run_as {
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        cmd.env_remove("PGDATA").env("LC_ALL", "C");
        // The child must not inherit a cwd it cannot read (e.g. /root when run as postgres).
        cmd.current_dir("/");
        cmd.output().with_context(|| format!("cannot run {:?}", cmd.get_program()))
    }

    fn initdb(&self) -> Result<()> {
        std::fs::create_dir_all(&self.pgdata).with_context(|| format!("cannot create {}", self.pgdata.display()))?;
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(&self.pgdata, Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
        }
        let out = self.run(Command::new(self.bin_dir.join("initdb")).arg("-D").arg(&self.pgdata).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ]))?;
        if !out.status.success() {
            // A half-made cluster would make the next start fail differently; clear it.
            let _ = std::fs::remove_dir_all(&self.pgdata);
            bail!("initdb failed: {}", last_line(&out));
        }
        // Trust is safe here only because the socket dir is private to the owner.
        let conf = self.pgdata.join("postgresql.conf");
        let extra = format!(
            "\n# set by manna\nlisten_addresses = ''\nunix_socket_directories = '{}'\nunix_socket_permissions = 0700\nport = {PORT}\nmax_connections = 100\nfsync = on\nlog_min_duration_statement = 1000\n",
            self.socket_dir.display()
        );
        let mut text = std::fs::read_to_string(&conf).context("cannot read postgresql.conf")?;
        text.push_str(&extra);
        std::fs::write(&conf, text).context("cannot write postgresql.conf")?;
        Ok(())
    }

    fn is_running(&self) -> Result<bool> {
        let out = self.run(self.pg_ctl().arg("status").arg("-D").arg(&self.pgdata))?;
        // pg_ctl status: 0 running, 3 not running, 4 no usable data dir.
        Ok(out.status.code() == Some(0))
    }

    /// Writes the memory settings sized to this machine, and makes sure the cluster's
    /// configuration includes them (new clusters, and ones made with a fixed 128 MB).
    fn write_memory_settings(&self) -> Result<()> {
        let settings = memory_settings(available_memory());
        let path = self.pgdata.join(MEMORY_CONF);
        std::fs::write(&path, settings).with_context(|| format!("cannot write {}", path.display()))?;
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(&path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
        }
        let conf = self.pgdata.join("postgresql.conf");
        let text = std::fs::read_to_string(&conf).context("cannot read postgresql.conf")?;
        if !text.contains(INCLUDE_MEMORY) {
            std::fs::write(&conf, format!("{text}\n{INCLUDE_MEMORY}\n")).context("cannot write postgresql.conf")?;
        }
        Ok(())
    }

    fn pg_ctl_start(&self) -> Result<()> {
        self.write_memory_settings()?;
        // A postmaster.pid left by a crash is checked by Postgres itself: if its pid is
        // not a live postmaster, the file is replaced.
        // Slow statements are logged without their bind values: those are users' data
        // (descriptions, amounts), and a 100,000-row import's arrays took Postgres about
        // 0.2 s to print. Given at every start, so clusters made before this apply it too.
        let out = self.run(
            self.pg_ctl()
                .args(["start", "-w", "-t", "60", "-o", "-c log_parameter_max_length=0", "-D"])
                .arg(&self.pgdata)
                .arg("-l")
                .arg(&self.log_file),
        )?;
        if !out.status.success() {
            let log_tail = std::fs::read_to_string(&self.log_file)
                .ok()
                .and_then(|t| t.lines().rev().find(|l| l.contains("FATAL") || l.contains("ERROR")).map(str::to_string))
                .unwrap_or_else(|| last_line(&out));
            bail!("the embedded Postgres did not start: {log_tail} (log: {})", self.log_file.display());
        }
        Ok(())
    }

    fn wait_until_running(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if self.socket_dir.join(format!(".s.PGSQL.{PORT}")).exists() && self.is_running()? {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("another manna process owns the embedded Postgres in {} but it is not running", self.pgdata.display())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("warning: {e:#}");
        }
    }
}

const MEMORY_CONF: &str = "manna-memory.conf";
/// Last in postgresql.conf, so it wins over the lines before it; `ALTER SYSTEM` still
/// wins over it (postgresql.auto.conf is read after), for an operator who knows better.
const INCLUDE_MEMORY: &str = "include_if_exists = 'manna-memory.conf'";

/// The memory this process may use: the machine's, or its cgroup's limit if lower.
fn available_memory() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
    });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|t| t.trim().parse::<u64>().ok());
    match (total, cgroup) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    }
}

/// Postgres memory settings for a machine with `memory` bytes (unknown: the defaults).
/// Postgres ships with 128 MB of shared buffers whatever the machine; at a million
/// transactions the indexes are gigabytes, and a 100,000-row import (4.7–5.6 s, then
/// 3.7–4.0 s) spent its extra time moving pages between that pool and the OS cache. A quarter of the
/// memory (the usual guidance), at most 4 GB; WAL buffers and checkpoint spacing so a
/// bulk import's 200 MB of WAL is not written out twice (backend writes, then
/// full-page images after a checkpoint it set off).
pub fn memory_settings(memory: Option<u64>) -> String {
    const MB: u64 = 1024 * 1024;
    let Some(memory) = memory else {
        return "# memory size unknown: Postgres defaults\n".to_string();
    };
    let shared_mb = (memory / 4 / MB).clamp(128, 4096);
    let wal_mb = if shared_mb >= 1024 { 64 } else { 16 };
    let cache_mb = (memory / 2 / MB).max(shared_mb);
    format!(
        "# written by manna at each start, sized to this machine ({} MB); override with ALTER SYSTEM\n\
         shared_buffers = {shared_mb}MB\nwal_buffers = {wal_mb}MB\neffective_cache_size = {cache_mb}MB\n\
         max_wal_size = 2GB\n",
        memory / MB
    )
}

/// `initdb` and `pg_ctl` from PATH, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MANNA_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(mut entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = Vec::new();
        while let Some(Ok(entry)) = entries.next() {
            if let Some(v) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) {
                versions.push((v, entry.path().join("bin")));
            }
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        candidates.extend(versions.into_iter().map(|(_, p)| p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        // PATH entries often hold symlinks to a version dir; resolve them so initdb and
        // postgres come from the same installation.
        for dir in std::env::split_paths(&path) {
            if let Ok(real) = std::fs::canonicalize(dir.join("initdb"))
                && let Some(parent) = real.parent()
            {
                candidates.insert(0, parent.to_path_buf());
            }
        }
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() && dir.join("postgres").is_file())
        .context("no Postgres server binaries found (initdb, pg_ctl): install PostgreSQL, or set DATABASE_URL to use an existing server")
}

fn last_line(out: &Output) -> String {
    let last = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).lines().rfind(|l| !l.trim().is_empty()).map(|l| l.trim().to_string())
    };
    last(&out.stderr).or_else(|| last(&out.stdout)).unwrap_or_else(|| "no output".to_string())
}

#[cfg(test)]
mod tests {
    use super::memory_settings;

    const GB: u64 = 1024 * 1024 * 1024;

    #[test]
    fn shared_buffers_are_a_quarter_of_memory_within_bounds() {
        assert!(memory_settings(Some(8 * GB)).contains("shared_buffers = 2048MB\n"));
        assert!(memory_settings(Some(8 * GB)).contains("effective_cache_size = 4096MB\n"));
        assert!(memory_settings(Some(24 * GB)).contains("shared_buffers = 4096MB\n"));
        assert!(memory_settings(Some(256 * 1024 * 1024)).contains("shared_buffers = 128MB\n"));
        assert!(memory_settings(Some(256 * 1024 * 1024)).contains("wal_buffers = 16MB\n"));
        assert!(!memory_settings(None).contains("shared_buffers"));
    }
}
