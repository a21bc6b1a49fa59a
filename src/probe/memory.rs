//! Peak resident memory of this process, resettable per epoch.
//!
//! On Linux, writing `5` to `/proc/self/clear_refs` resets the high-water mark
//! (`VmHWM` in `/proc/self/status`) to the current RSS, so the peak read at an
//! epoch's end is exactly that epoch's peak. Elsewhere the current RSS from
//! sysinfo stands in for the peak.

/// Resets the process's peak-RSS mark to its current RSS. Returns `false`
/// when the platform cannot (the next peak then covers the whole process).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident set size since the last [`reset_peak_rss`] (or process
/// start), in bytes.
pub fn peak_rss_bytes() -> u64 {
    if let Some(kib) = status_field_kib("VmHWM:") {
        return kib * 1024;
    }
    current_rss_bytes()
}

/// Memory available to a new allocation without swapping, in bytes
/// (`MemAvailable`); `None` when the system does not say.
pub fn available_bytes() -> Option<u64> {
    let mut system = sysinfo::System::new().ok()?;
    system.refresh_memory();
    Some(system.available_memory()).filter(|&b| b > 0)
}

/// Current resident set size, in bytes.
pub fn current_rss_bytes() -> u64 {
    if let Some(kib) = status_field_kib("VmRSS:") {
        return kib * 1024;
    }
    let pid = sysinfo::get_current_pid().ok();
    match (pid, sysinfo::System::new().ok()) {
        (Some(pid), Some(mut system)) => {
            system.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
            system.process(pid).map(|p| p.memory()).unwrap_or(0)
        }
        _ => 0,
    }
}

fn status_field_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_follows_an_allocation_and_resets() {
        if !reset_peak_rss() {
            return; // not Linux: nothing to check
        }
        let before = peak_rss_bytes();
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let during = peak_rss_bytes();
        assert!(
            during >= before + (60 << 20),
            "peak {during} after 64 MiB, was {before}"
        );
        drop(block);
        assert!(reset_peak_rss());
        let after = peak_rss_bytes();
        assert!(
            after + (60 << 20) <= during,
            "peak {after} not reset from {during}"
        );
    }
}
