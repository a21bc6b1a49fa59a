//! How a training process's memory allocator is set. libtorch takes each
//! tensor from the C allocator; under glibc's defaults a freed block of a few
//! MiB goes back to the kernel (as an `munmap`, or a trim of the heap's top)
//! and the next batch's tensor of the same size faults its pages in afresh,
//! zeroed by the kernel. Measured on the defaults (2 vCPUs, one LSTM run at 2
//! threads), that was 5.2 s of system time in 12.5 s and 3.8 s an epoch;
//! with freed memory kept for reuse, 0.7 s and 2.2 s an epoch, for about
//! 90 MiB more peak RSS. Every worker and the kernel check set it before
//! they build a model, so every model trains under the same allocator, and
//! `environment.json` says which.

use serde::{Deserialize, Serialize};

/// The environment variables through which glibc's malloc takes the same
/// settings: when the user gives either, rnnbench leaves the allocator to
/// them.
const USER_SETTINGS: [&str; 2] = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"];

/// The environment variable that asks for glibc's defaults instead
/// (`RNNBENCH_ALLOCATOR=glibc-defaults`): memory then reads as a plain
/// PyTorch script's would, at the cost of the page faults.
pub const OPT_OUT: &str = "RNNBENCH_ALLOCATOR";

/// Blocks up to this size come from the heap, not from `mmap` (1 GiB).
const MMAP_THRESHOLD_BYTES: i32 = 1 << 30;

/// Free memory at the heap's top is given back only above this (1 GiB).
const TRIM_THRESHOLD_BYTES: i32 = 1 << 30;

/// Which allocator settings the training processes run under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocatorSetting {
    /// glibc malloc with freed memory kept for reuse: `mmap` threshold and
    /// trim threshold 1 GiB each, set by rnnbench.
    KeepFreed,
    /// glibc malloc as the user's `MALLOC_MMAP_THRESHOLD_` or
    /// `MALLOC_TRIM_THRESHOLD_` sets it.
    UserSet,
    /// glibc malloc with its defaults, as `RNNBENCH_ALLOCATOR=glibc-defaults`
    /// asks.
    GlibcDefaults,
    /// Not glibc: the platform's allocator as it comes.
    Platform,
}

impl AllocatorSetting {
    /// The setting this process's training runs under, read from the
    /// environment (the parent and its workers share it).
    pub fn of_this_process() -> AllocatorSetting {
        if !cfg!(all(target_os = "linux", target_env = "gnu")) {
            AllocatorSetting::Platform
        } else if std::env::var(OPT_OUT).is_ok_and(|v| v == "glibc-defaults") {
            AllocatorSetting::GlibcDefaults
        } else if USER_SETTINGS.iter().any(|v| std::env::var_os(v).is_some()) {
            AllocatorSetting::UserSet
        } else {
            AllocatorSetting::KeepFreed
        }
    }
}

/// Sets this process's allocator to keep freed memory for reuse, unless the
/// user set glibc's thresholds; returns what it runs under. Call it once,
/// before the first tensor.
pub fn keep_freed_memory() -> AllocatorSetting {
    let setting = AllocatorSetting::of_this_process();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if setting == AllocatorSetting::KeepFreed {
        // SAFETY: mallopt only changes two of glibc's tuning values; it
        // takes no pointers and is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
        }
    }
    setting
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_has_its_own_kebab_name() {
        let all = [
            AllocatorSetting::KeepFreed,
            AllocatorSetting::UserSet,
            AllocatorSetting::GlibcDefaults,
            AllocatorSetting::Platform,
        ];
        let names: Vec<String> = all
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "\"keep-freed\"",
                "\"user-set\"",
                "\"glibc-defaults\"",
                "\"platform\""
            ]
        );
    }
}
