//! CPU and memory of the server, PostgreSQL, Redis and this load generator,
//! read from /proc once a second; plus the whole machine's busy time, so
//! what else ran (other builds) shows.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::record::{Phase, Recorder};

/// Clock ticks per second of /proc/*/stat (100 on Linux).
const TICKS: f64 = 100.0;
const PAGE: u64 = 4096;

#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Cores used, one entry per second.
    pub cores: Vec<f64>,
    /// Resident memory in MiB, one entry per second.
    pub rss_mib: Vec<f64>,
}

impl Usage {
    pub fn mean_cores(&self) -> f64 {
        mean(&self.cores)
    }
    pub fn max_cores(&self) -> f64 {
        self.cores.iter().cloned().fold(0.0, f64::max)
    }
    pub fn max_rss(&self) -> f64 {
        self.rss_mib.iter().cloned().fold(0.0, f64::max)
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

#[derive(Default)]
pub struct Samples {
    /// Per group ("server", "postgres", ...) and phase.
    pub groups: BTreeMap<(Phase, String), Usage>,
}

/// One process: its CPU ticks (own, and of its reaped children), private
/// resident bytes, name, and start time (ticks after boot).
struct ProcUsage {
    ticks: u64,
    child_ticks: u64,
    bytes: u64,
    comm: String,
    start: u64,
}

fn proc_usage(pid: u32) -> Option<ProcUsage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_string();
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    // After "pid (comm) ": state=0, ..., utime=11, stime=12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let cutime: u64 = fields.get(13)?.parse().ok()?;
    let cstime: u64 = fields.get(14)?.parse().ok()?;
    let start: u64 = fields.get(19)?.parse().ok()?;
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let mut it = statm.split_whitespace().skip(1);
    let resident: u64 = it.next()?.parse().ok()?;
    let shared: u64 = it.next()?.parse().ok()?;
    // PostgreSQL backends all map shared_buffers: count what is private.
    let private = if comm == "postgres" {
        resident.saturating_sub(shared)
    } else {
        resident
    };
    Some(ProcUsage {
        ticks: utime + stime,
        child_ticks: cutime + cstime,
        bytes: private * PAGE,
        comm,
        start,
    })
}

/// Ticks since boot.
fn uptime_ticks() -> u64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0, |s| (s * TICKS) as u64)
}

/// Busy and total ticks of the whole machine.
fn machine() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// Group of a process: the server (by pid), this process, or by name.
fn group(pid: u32, comm: &str, server: Option<u32>, me: u32) -> Option<&'static str> {
    if Some(pid) == server {
        Some("server")
    } else if pid == me {
        Some("load generator (goose)")
    } else if comm == "postgres" {
        Some("postgres (all backends)")
    } else if comm.starts_with("redis-server") {
        Some("redis")
    } else {
        None
    }
}

pub fn spawn(
    recorder: Arc<Recorder>,
    server_pid: Option<u32>,
    out: Arc<Mutex<Samples>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let me = std::process::id();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        // pid -> (group, ticks) at the last sample.
        let mut last: BTreeMap<u32, (&'static str, u64)> = BTreeMap::new();
        // Reaped children's ticks of each parent (PostgreSQL's postmaster
        // collects those of its backends: short-lived connections would
        // otherwise be missed between two samples).
        let mut last_child: BTreeMap<u32, u64> = BTreeMap::new();
        let mut last_machine = machine();
        let mut last_uptime = uptime_ticks();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            let phase = recorder.phase_now();
            let uptime = uptime_ticks();
            let mut cpu: BTreeMap<&'static str, f64> = BTreeMap::new();
            let mut rss: BTreeMap<&'static str, f64> = BTreeMap::new();
            let mut now: BTreeMap<u32, (&'static str, u64)> = BTreeMap::new();
            let mut now_child: BTreeMap<u32, u64> = BTreeMap::new();
            let mut reaped: BTreeMap<&'static str, f64> = BTreeMap::new();
            if let Ok(dir) = std::fs::read_dir("/proc") {
                for e in dir.flatten() {
                    let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok())
                    else {
                        continue;
                    };
                    let Some(u) = proc_usage(pid) else {
                        continue;
                    };
                    let Some(g) = group(pid, &u.comm, server_pid, me) else {
                        continue;
                    };
                    now.insert(pid, (g, u.ticks));
                    // A process seen for the first time counts whole when it
                    // started after the last sample.
                    let before = match last.get(&pid) {
                        Some((_, t)) => *t,
                        None if u.start >= last_uptime => 0,
                        None => u.ticks,
                    };
                    *cpu.entry(g).or_default() += u.ticks.saturating_sub(before) as f64 / TICKS;
                    *rss.entry(g).or_default() += u.bytes as f64 / (1024.0 * 1024.0);
                    if let Some(c0) = last_child.get(&pid) {
                        *reaped.entry(g).or_default() +=
                            u.child_ticks.saturating_sub(*c0) as f64 / TICKS;
                    }
                    now_child.insert(pid, u.child_ticks);
                }
            }
            // Reaped children's time, less what we had already counted of
            // the processes that disappeared.
            let mut gone: BTreeMap<&'static str, f64> = BTreeMap::new();
            for (pid, (g, t)) in &last {
                if !now.contains_key(pid) {
                    *gone.entry(g).or_default() += *t as f64 / TICKS;
                }
            }
            for (g, r) in reaped {
                let extra = (r - gone.get(g).copied().unwrap_or(0.0)).max(0.0);
                *cpu.entry(g).or_default() += extra;
            }
            last_child = now_child;
            last_uptime = uptime;
            last = now;
            let m = machine();
            let machine_cores = match (last_machine, m) {
                (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                    (b1 - b0) as f64 / (t1 - t0) as f64 * cores
                }
                _ => 0.0,
            };
            last_machine = m;
            let mut s = out.lock().unwrap_or_else(|e| e.into_inner());
            let ours: f64 = cpu.values().sum();
            for (g, c) in &cpu {
                let u = s.groups.entry((phase, g.to_string())).or_default();
                u.cores.push(*c);
                u.rss_mib.push(rss.get(g).copied().unwrap_or(0.0));
            }
            let m = s.groups.entry((phase, "whole machine".into())).or_default();
            m.cores.push(machine_cores);
            let o = s
                .groups
                .entry((phase, "everything else (other builds, tests)".into()))
                .or_default();
            o.cores.push((machine_cores - ours).max(0.0));
        }
    })
}
