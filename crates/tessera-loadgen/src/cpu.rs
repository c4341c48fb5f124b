//! CPU accounting from Linux's `/proc`: the CPU time of a process (the
//! server, and the load generator itself) and how busy the whole machine
//! was, so throughput can also be stated per second of server CPU, which
//! is fairer than wall-clock throughput when client and server share cores.

use std::fs;
use std::time::Duration;

/// Clock ticks per second as `/proc` counts them (`USER_HZ`), asked of
/// `getconf CLK_TCK`; Linux's value of 100 when that fails.
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// User plus system CPU ticks from the text of `/proc/PID/stat`.
pub fn process_ticks_from_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces:
    // count fields from after its closing parenthesis. There, field 3
    // (state) is the first, so utime (14) and stime (15) are the 12th and
    // 13th.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The CPU time process `pid` (or `self`) has used so far.
pub fn process_cpu(pid: &str, ticks_per_second: u64) -> Option<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = process_ticks_from_stat(&stat)?;
    Some(ticks_to_duration(ticks, ticks_per_second))
}

fn ticks_to_duration(ticks: u64, ticks_per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / ticks_per_second as f64)
}

/// Busy and total ticks of all CPUs, from `/proc/stat`.
#[derive(Debug, Clone, Copy)]
pub struct MachineTicks {
    busy: u64,
    total: u64,
}

/// The whole machine's CPU counters now.
pub fn machine_ticks() -> Option<MachineTicks> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    machine_ticks_from_stat(&stat)
}

/// Parses the aggregate `cpu` line of `/proc/stat`: idle and iowait are
/// idle, everything else (user, nice, system, irq, softirq, steal) busy.
pub fn machine_ticks_from_stat(stat: &str) -> Option<MachineTicks> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = values.iter().sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some(MachineTicks {
        busy: total - idle,
        total,
    })
}

/// The share of all CPUs that was busy between two readings, 0 to 1.
pub fn machine_busy_share(before: MachineTicks, after: MachineTicks) -> Option<f64> {
    let total = after.total.checked_sub(before.total)?;
    let busy = after.busy.checked_sub(before.busy)?;
    (total > 0).then(|| busy as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_ticks_are_user_plus_system_even_with_spaces_in_the_name() {
        let stat = "4242 (tokio runtime) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    1234 567 0 0 20 0 3 0 100 1000000 500 18446744073709551615";
        assert_eq!(process_ticks_from_stat(stat), Some(1234 + 567));
    }

    #[test]
    fn machine_busy_share_counts_idle_and_iowait_as_idle() {
        let before = machine_ticks_from_stat("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1\n").unwrap();
        let after = machine_ticks_from_stat("cpu  250 0 150 750 150 0 0 0 0 0\ncpu0 1\n").unwrap();
        // 200 busy ticks out of 300.
        let share = machine_busy_share(before, after).unwrap();
        assert!((share - 2.0 / 3.0).abs() < 1e-9);
    }
}
