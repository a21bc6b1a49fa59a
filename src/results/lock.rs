//! Who may write a run folder: the one process holding its `.lock` (an
//! `flock`, released when the process ends, even by SIGKILL). `compare`
//! holds it from its first job to its last render; `report` takes it to
//! re-render, and a merge to write its output folder. A render that finds
//! it held (a comparison still running) reads the folder and writes only
//! its own files (page, charts, `summary.json`, each renamed into place),
//! never the CSV files the holder appends to.
//!
//! Pages are written under a second lock, `.pages.lock`, which a render
//! waits for: `compare` takes it for its last render and keeps it until
//! the process ends, after `.lock` is released. A `report` that renders
//! while the comparison finishes therefore waits, sees the folder free and
//! renders the finished run, instead of writing a "still working" page
//! over the comparison's last one.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::results::files;

/// The lock file's name in a run folder.
pub const LOCK_FILE: &str = ".lock";

/// The page lock's name in a run folder ([`hold_pages`]).
pub const PAGES_LOCK_FILE: &str = ".pages.lock";

/// An exclusive hold on a run folder, released when dropped.
#[derive(Debug)]
pub struct FolderLock {
    _file: std::fs::File,
}

/// Tries to lock `dir/.lock`: `Some` when this process now holds it, `None`
/// when another process (or another hold of this one) does.
pub fn try_lock_folder(dir: &Path) -> Result<Option<FolderLock>> {
    let path = dir.join(LOCK_FILE);
    let file = open_lock_file(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(FolderLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// Waits for and holds `dir/.pages.lock`, the right to write the folder's
/// page, charts and `summary.json` (see the module's note).
pub fn hold_pages(dir: &Path) -> Result<FolderLock> {
    let path = dir.join(PAGES_LOCK_FILE);
    let file = open_lock_file(&path)?;
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(FolderLock { _file: file })
}

fn open_lock_file(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// The folders whose lock guards `dir`: `dir` itself and, for a grid
/// point's folder (`<root>/points/<id>/`), the sweep's `<root>`, which is
/// what `compare` locks.
pub fn guarding_folders(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if let Some(points) = dir.parent()
        && points.file_name().is_some_and(|n| n == files::POINTS_DIR)
        && let Some(root) = points.parent()
        && root.join(files::SWEEP).is_file()
    {
        out.push(root.to_path_buf());
    }
    out
}

/// What a render holds while it writes a folder's pages
/// ([`lock_for_render`]).
#[derive(Debug)]
pub struct RenderLock {
    _pages: Vec<FolderLock>,
    folders: Option<Vec<FolderLock>>,
}

impl RenderLock {
    /// Whether this render holds every guarding folder's `.lock` (no
    /// `compare` is working there), so it may rewrite the CSV files.
    pub fn holds_folders(&self) -> bool {
        self.folders.is_some()
    }
}

/// Waits for the page lock of every folder guarding `dir`
/// ([`guarding_folders`], [`hold_pages`]), then tries their `.lock`s: held
/// by this call unless some other process holds one (the render must then
/// leave the CSV files alone and say the page is of a run still going).
pub fn lock_for_render(dir: &Path) -> Result<RenderLock> {
    let guards = guarding_folders(dir);
    let mut pages = Vec::new();
    // Outermost first, as `compare` holds only the outermost.
    for folder in guards.iter().rev() {
        pages.push(hold_pages(folder)?);
    }
    let mut held = Vec::new();
    for folder in &guards {
        match try_lock_folder(folder)? {
            Some(lock) => held.push(lock),
            None => {
                return Ok(RenderLock {
                    _pages: pages,
                    folders: None,
                });
            }
        }
    }
    Ok(RenderLock {
        _pages: pages,
        folders: Some(held),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_hold_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = try_lock_folder(dir.path()).unwrap();
        assert!(first.is_some());
        assert!(try_lock_folder(dir.path()).unwrap().is_none());
        drop(first);
        assert!(try_lock_folder(dir.path()).unwrap().is_some());
    }

    #[test]
    fn a_point_folder_is_guarded_by_its_sweep_root() {
        let dir = tempfile::tempdir().unwrap();
        let point = dir.path().join(files::POINTS_DIR).join("p1");
        std::fs::create_dir_all(&point).unwrap();
        std::fs::write(dir.path().join(files::SWEEP), "{}").unwrap();
        let root = try_lock_folder(dir.path()).unwrap();
        assert!(!lock_for_render(&point).unwrap().holds_folders());
        drop(root);
        assert!(lock_for_render(&point).unwrap().holds_folders());
    }

    #[test]
    fn a_render_waits_for_the_page_lock() {
        let dir = tempfile::tempdir().unwrap();
        let pages = hold_pages(dir.path()).unwrap();
        let path = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let lock = lock_for_render(&path).unwrap();
            tx.send(lock.holds_folders()).unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "the render did not wait");
        drop(pages);
        assert!(rx.recv().unwrap());
        waiter.join().unwrap();
    }
}
