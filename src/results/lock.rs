//! Who may write a run folder: the one process holding its `.lock` (an
//! `flock`, released when the process ends, even by SIGKILL). `compare`
//! holds it from its first job to its last render; `report` takes it to
//! re-render, and a merge to write its output folder. A render that finds
//! it held (a comparison still running) reads the folder and writes only
//! its own files (page, charts, `summary.json`, each renamed into place),
//! never the CSV files the holder appends to.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::results::files;

/// The lock file's name in a run folder.
pub const LOCK_FILE: &str = ".lock";

/// An exclusive hold on a run folder, released when dropped.
#[derive(Debug)]
pub struct FolderLock {
    _file: std::fs::File,
}

/// Tries to lock `dir/.lock`: `Some` when this process now holds it, `None`
/// when another process (or another hold of this one) does.
pub fn try_lock_folder(dir: &Path) -> Result<Option<FolderLock>> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(FolderLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
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

/// Locks every folder guarding `dir` ([`guarding_folders`]) for a render:
/// `Some` when all are now held by this call, `None` when some other
/// process holds one (the render must then leave the CSV files alone).
pub fn lock_for_render(dir: &Path) -> Result<Option<Vec<FolderLock>>> {
    let mut held = Vec::new();
    for folder in guarding_folders(dir) {
        match try_lock_folder(&folder)? {
            Some(lock) => held.push(lock),
            None => return Ok(None),
        }
    }
    Ok(Some(held))
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
        assert!(lock_for_render(&point).unwrap().is_none());
        drop(root);
        assert!(lock_for_render(&point).unwrap().is_some());
    }
}
