//! Putting one rewritten session file in place as a compare-and-set against a
//! running Django, and recovering what a killed run left behind.
//!
//! Django saves a session file by writing a temporary file and renaming it
//! over the session's name (every save is a new file), and deletes the file
//! on logout; it takes no lock. A check followed by a rename leaves a window
//! in which a save lands between the two and is overwritten. Where the system
//! exchanges two names atomically (Linux `renameat2(RENAME_EXCHANGE)`, macOS
//! `renamex_np(RENAME_SWAP)`), the rewrite is put in place by an exchange and
//! the file it displaced is checked afterwards: when that is not the file as
//! read, Django saved meanwhile, and its file is exchanged back. The session's
//! name never points at a missing or partial file. Elsewhere (and on file
//! systems without the exchange, such as NFS) the check and the rename stay
//! two steps, a window of microseconds.

use std::fs;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::store::Rewrite;

/// How the temporary files of a rewrite are named: `.signring-migrate-`, the
/// process id, `-`, the session key, then [`DRAFT`] or [`READY`] (with a
/// leading `~` when the session cookie name itself starts that way, so that
/// Django never lists a temporary file as a session).
const TEMP_PREFIX: &str = ".signring-migrate-";

/// The rewrite while it is written: whatever it holds is never put back.
pub(crate) const DRAFT: &str = ".new";

/// The complete rewrite, with the modification time read, before the
/// exchange; after it, the file the exchange displaced.
pub(crate) const READY: &str = ".tmp";

/// How many exchanges a restore tries while Django keeps saving the session.
const RESTORE_ATTEMPTS: usize = 64;

/// The temporary file name for rewriting `key` in this process.
pub(crate) fn temp_name(cookie_name: &str, key: &str, stage: &str) -> String {
    let mut name = format!("{TEMP_PREFIX}{}-{key}{stage}", std::process::id());
    if name.starts_with(cookie_name) {
        name.insert(0, '~');
    }
    name
}

/// The process id, session key and stage ([`DRAFT`] or [`READY`]) of a
/// temporary file name.
fn parse_temp_name(name: &str) -> Option<(u32, &str, &'static str)> {
    let name = name.strip_prefix('~').unwrap_or(name);
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (rest, stage) = match rest.strip_suffix(READY) {
        Some(rest) => (rest, READY),
        None => (rest.strip_suffix(DRAFT)?, DRAFT),
    };
    let (pid, key) = rest.split_once('-')?;
    let valid_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (valid_key && pid.bytes().all(|b| b.is_ascii_digit()))
        .then(|| pid.parse().ok().map(|pid| (pid, key, stage)))
        .flatten()
}

/// One version of a file: Django writes every save as a new file, and a
/// rewrite keeps the modification time it read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Version {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

/// The version at `path`, `None` when there is no file.
fn version(path: &Path) -> io::Result<Option<Version>> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    let (device, inode) = {
        use std::os::unix::fs::MetadataExt as _;
        (metadata.dev(), metadata.ino())
    };
    #[cfg(not(unix))]
    let (device, inode) = (0, 0);
    Ok(Some(Version {
        device,
        inode,
        len: metadata.len(),
        modified: metadata.modified().ok(),
    }))
}

/// Whether the file at `path` still has the content and modification time
/// the rewrite was planned from.
pub(crate) fn as_read(path: &Path, rewrite: &Rewrite) -> io::Result<bool> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if metadata.modified().ok() != rewrite.modified || metadata.len() != rewrite.old.len() as u64 {
        return Ok(false);
    }
    match fs::read(path) {
        Ok(content) => Ok(content == rewrite.old),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Exchanges the files named `a` and `b`, atomically.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Whether an exchange failed because the system or file system has none.
fn unsupported(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::Unsupported | io::ErrorKind::InvalidInput
    )
}

fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Puts the complete rewrite at `temp` in place of `path` if `path` is still
/// as read; `Ok(false)`, with `path` as Django left it, when Django saved or
/// deleted the session meanwhile. `temp` is gone afterwards, whatever the
/// outcome. `can_exchange` turns false the first time the file system
/// refuses an exchange.
pub(crate) fn commit(
    temp: &Path,
    path: &Path,
    rewrite: &Rewrite,
    can_exchange: &mut bool,
) -> io::Result<bool> {
    let result = commit_inner(temp, path, rewrite, can_exchange);
    // Whatever `temp` holds now is either a file put aside or the unused
    // rewrite: never a session's only copy.
    let removed = remove(temp);
    let written = result?;
    removed?;
    Ok(written)
}

fn commit_inner(
    temp: &Path,
    path: &Path,
    rewrite: &Rewrite,
    can_exchange: &mut bool,
) -> io::Result<bool> {
    // Django may have saved the session since it was read.
    if !as_read(path, rewrite)? {
        return Ok(false);
    }
    put_in_place(temp, path, rewrite, can_exchange)
}

/// The second half of [`commit`], after the first check (a save of
/// Django's may land at any point from here on).
fn put_in_place(
    temp: &Path,
    path: &Path,
    rewrite: &Rewrite,
    can_exchange: &mut bool,
) -> io::Result<bool> {
    if *can_exchange {
        let ours = version(temp)?.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        match exchange(temp, path) {
            Ok(()) => {
                // `temp` holds the file that was the session's.
                if as_read(temp, rewrite)? {
                    return Ok(true);
                }
                restore(temp, path, ours)?;
                return Ok(false);
            }
            // Deleted since the check (a logout).
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) if unsupported(&e) => *can_exchange = false,
            Err(e) => return Err(e),
        }
    }
    if !as_read(path, rewrite)? {
        return Ok(false);
    }
    fs::rename(temp, path)?;
    Ok(true)
}

/// Puts the file at `temp` back at `path`, where the file `placed` was put;
/// when Django saved again in between, exchanges until the newest file is
/// at `path`. `temp` holds an older file (or nothing) afterwards.
fn restore(temp: &Path, path: &Path, mut placed: Version) -> io::Result<()> {
    for _ in 0..RESTORE_ATTEMPTS {
        let Some(putting) = version(temp)? else {
            return Ok(());
        };
        match exchange(temp, path) {
            Ok(()) => {}
            // Deleted meanwhile (a logout): the deletion is the newest.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        if version(temp)? == Some(placed) {
            return Ok(());
        }
        placed = putting;
    }
    Err(io::Error::other(
        "the session file kept changing while a save of Django's was put back",
    ))
}

/// What [`recover`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// Temporary files removed.
    pub removed: u64,
    /// Sessions whose newer file, put aside when a run was killed, was put
    /// back.
    pub restored: u64,
}

/// Cleans up after runs that were killed: removes their temporary files in
/// `dir`, and where a run was killed after putting its rewrite in place over
/// a newer save of Django's (a [`READY`] file newer than the session's: a
/// rewrite keeps the modification time it read), puts Django's file back. Temporary files of other processes that are
/// still running (where `/proc` tells) are left alone.
pub(crate) fn recover(dir: &Path, cookie_name: &str) -> io::Result<Recovered> {
    let mut recovered = Recovered::default();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some((pid, key, stage)) = name.to_str().and_then(parse_temp_name) else {
            continue;
        };
        if pid != std::process::id() && running(pid) {
            continue;
        }
        let temp = dir.join(&name);
        let path = dir.join(format!("{cookie_name}{key}"));
        if let (READY, Some(put_aside), Some(current)) = (stage, version(&temp)?, version(&path)?)
            && put_aside.modified > current.modified
        {
            match restore(&temp, &path, current) {
                Ok(()) => recovered.restored += 1,
                Err(e) if unsupported(&e) => {}
                Err(e) => return Err(e),
            }
        }
        remove(&temp)?;
        recovered.removed += 1;
    }
    Ok(recovered)
}

/// Whether process `pid` runs, where `/proc` tells; `false` elsewhere.
fn running(pid: u32) -> bool {
    Path::new("/proc/self").exists() && Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredSession;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("signring-file-swap-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A save as Django's file backend makes it: a new file renamed over the
    /// session's name.
    fn django_save(dir: &Path, path: &Path, content: &[u8]) {
        static N: AtomicU64 = AtomicU64::new(0);
        let out = dir.join(format!(
            "sessionid_out_{}",
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::write(&out, content).unwrap();
        fs::rename(&out, path).unwrap();
    }

    fn read(path: &Path) -> StoredSession {
        let mut session = StoredSession::new("k", fs::read(path).unwrap());
        session.modified = fs::metadata(path).unwrap().modified().ok();
        session
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_save_landing_after_the_check_is_put_back() {
        let dir = Dir::new("after-check");
        let path = dir.0.join("sessionidk");
        django_save(&dir.0, &path, b"as read");
        let rewrite = Rewrite::of(&read(&path), b"rewritten".to_vec());
        let temp = dir.0.join(temp_name("sessionid", "k", READY));
        fs::write(&temp, &rewrite.new).unwrap();
        // Django saves between the check and the exchange.
        django_save(&dir.0, &path, b"newer save");
        let mut can_exchange = true;
        let written = put_in_place(&temp, &path, &rewrite, &mut can_exchange).unwrap();
        let _ = remove(&temp);
        assert!(can_exchange, "this file system exchanges names");
        assert!(!written);
        assert_eq!(fs::read(&path).unwrap(), b"newer save");
        assert_eq!(files(&dir.0), ["sessionidk"]);
    }

    #[test]
    fn no_save_is_lost_while_django_keeps_saving() {
        let dir = Dir::new("stress");
        let path = dir.0.join("sessionidk");
        django_save(&dir.0, &path, b"v0");
        let stop = AtomicBool::new(false);
        let (saves, written) = std::thread::scope(|scope| {
            // Before each save, the file must hold the previous save or its
            // rewrite: anything else is a save that was overwritten.
            let saver = scope.spawn(|| {
                let mut n = 0u64;
                let mut lost = Vec::new();
                let mut transient = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let previous = format!("v{n}");
                    let rewritten = format!("rw-{previous}");
                    let fine = |content: &[u8]| {
                        content == previous.as_bytes() || content == rewritten.as_bytes()
                    };
                    let content = fs::read(&path).unwrap();
                    if !fine(&content) {
                        // Between the exchange and the exchange back, the
                        // rewrite of the older file is visible for a moment;
                        // it must not stay.
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        let again = fs::read(&path).unwrap();
                        if fine(&again) {
                            transient += 1;
                        } else {
                            lost.push((n, String::from_utf8_lossy(&again).into_owned()));
                        }
                    }
                    n += 1;
                    django_save(&dir.0, &path, format!("v{n}").as_bytes());
                    // Django saves a session once per request at most.
                    std::thread::sleep(std::time::Duration::from_micros(100));
                }
                (n, lost, transient)
            });
            // Stops the saver however this loop ends (a panic here must not
            // leave the scope waiting for it forever).
            struct StopOnDrop<'a>(&'a AtomicBool);
            impl Drop for StopOnDrop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::Relaxed);
                }
            }
            let stopping = StopOnDrop(&stop);
            let mut written = 0u32;
            let mut can_exchange = true;
            for _ in 0..20_000 {
                let Ok(content) = fs::read(&path) else {
                    continue;
                };
                let mut session = StoredSession::new("k", content);
                let Ok(metadata) = fs::metadata(&path) else {
                    continue;
                };
                session.modified = metadata.modified().ok();
                if session.value.starts_with(b"rw-") {
                    continue;
                }
                let mut new = b"rw-".to_vec();
                new.extend_from_slice(&session.value);
                let rewrite = Rewrite::of(&session, new);
                let temp = dir.0.join(temp_name("sessionid", "k", READY));
                fs::write(&temp, &rewrite.new).unwrap();
                written += u32::from(commit(&temp, &path, &rewrite, &mut can_exchange).unwrap());
            }
            drop(stopping);
            (saver.join().unwrap(), written)
        });
        let (saves, lost, transient) = saves;
        assert_eq!(
            lost,
            [],
            "saves overwritten (out of {saves}; {written} rewrites written, \
             {transient} older values seen for a moment)"
        );
        let last = format!("v{saves}");
        let content = String::from_utf8(fs::read(&path).unwrap()).unwrap();
        assert!(
            content == last || content == format!("rw-{last}"),
            "the last save was {last}, the file holds {content} ({written} rewrites written)"
        );
        assert_eq!(files(&dir.0), ["sessionidk"]);
    }

    #[test]
    fn temp_names_round_trip_and_never_look_like_sessions() {
        let name = temp_name("sessionid", "abc123", READY);
        assert_eq!(
            parse_temp_name(&name),
            Some((std::process::id(), "abc123", READY))
        );
        let draft = temp_name("sessionid", "abc123", DRAFT);
        assert_eq!(
            parse_temp_name(&draft),
            Some((std::process::id(), "abc123", DRAFT))
        );
        assert!(!name.starts_with("sessionid"));
        let odd = temp_name(".signring", "abc123", READY);
        assert!(odd.starts_with('~'), "{odd}");
        assert_eq!(
            parse_temp_name(&odd),
            Some((std::process::id(), "abc123", READY))
        );
        for bad in [
            ".signring-migrate-12-.tmp",
            ".signring-migrate--abc.tmp",
            ".signring-migrate-1x-abc.tmp",
            ".signring-migrate-12-ABC.tmp",
            ".signring-migrate-12-a/b.tmp",
            ".signring-migrate-12-abc.old",
            ".signring-migrate-99999999999-abc.tmp",
            "sessionidabc",
        ] {
            assert_eq!(parse_temp_name(bad), None, "{bad}");
        }
    }
}
