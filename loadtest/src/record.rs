//! Our own record of every request: goose's own metrics time a response's
//! headers only, these time the whole body (what a reader waits for), and
//! keep the ramp-up apart from the steady hold.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// Which part of the run a sample belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Ramp,
    Hold,
}

#[derive(Default)]
pub struct Series {
    pub micros: Vec<u32>,
    pub errors: u64,
    pub bytes: u64,
}

pub struct Recorder {
    /// When goose started launching users (reset by `restart`).
    started: Mutex<Instant>,
    hold_from_ms: u64,
    series: Mutex<BTreeMap<(Phase, String), Series>>,
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Recorder {
    pub fn new(hold_from_ms: u64) -> Self {
        Recorder {
            started: Mutex::new(Instant::now()),
            hold_from_ms,
            series: Mutex::new(BTreeMap::new()),
            errors: Mutex::new(BTreeMap::new()),
        }
    }

    fn started(&self) -> Instant {
        *self.started.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ramp-up starts now.
    pub fn restart(&self) {
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    pub fn elapsed_secs(&self) -> f64 {
        self.started().elapsed().as_secs_f64()
    }

    pub fn phase_now(&self) -> Phase {
        if self.started().elapsed().as_millis() as u64 >= self.hold_from_ms {
            Phase::Hold
        } else {
            Phase::Ramp
        }
    }

    /// One request of `name` that took `elapsed_us`; `error` is why it
    /// failed (a status, a missing marker, a transport error).
    pub fn record(&self, name: &str, elapsed_us: u64, bytes: usize, error: Option<String>) {
        let phase = self.phase_now();
        {
            let mut s = self.series.lock().unwrap_or_else(|e| e.into_inner());
            let entry = s.entry((phase, name.to_string())).or_default();
            entry.micros.push(elapsed_us.min(u32::MAX as u64) as u32);
            entry.bytes += bytes as u64;
            if error.is_some() {
                entry.errors += 1;
            }
        }
        if let Some(e) = error {
            let key = format!("{name}: {e}");
            let mut errs = self.errors.lock().unwrap_or_else(|e| e.into_inner());
            *errs.entry(key).or_default() += 1;
        }
    }

    /// (name, stats) for one phase, sorted by name.
    pub fn stats(&self, phase: Phase) -> Vec<(String, Stats)> {
        let s = self.series.lock().unwrap_or_else(|e| e.into_inner());
        s.iter()
            .filter(|((p, _), _)| *p == phase)
            .map(|((_, n), series)| (n.clone(), Stats::of(series)))
            .collect()
    }

    /// Every sample of `name`, both phases.
    pub fn merged(&self, name: &str) -> Series {
        let s = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Series::default();
        for ((_, n), series) in s.iter() {
            if n == name {
                out.micros.extend_from_slice(&series.micros);
                out.errors += series.errors;
                out.bytes += series.bytes;
            }
        }
        out
    }

    /// Every sample of one phase whose name passes `keep`.
    pub fn phase_micros(&self, phase: Phase, keep: impl Fn(&str) -> bool) -> Vec<u32> {
        let s = self.series.lock().unwrap_or_else(|e| e.into_inner());
        s.iter()
            .filter(|((p, n), _)| *p == phase && keep(n))
            .flat_map(|(_, series)| series.micros.iter().copied())
            .collect()
    }

    pub fn error_kinds(&self) -> Vec<(String, u64)> {
        let errs = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = errs.iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort_by_key(|b| std::cmp::Reverse(b.1));
        v
    }
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub count: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_bytes: u64,
}

impl Stats {
    pub fn of(series: &Series) -> Stats {
        let mut v = series.micros.clone();
        v.sort_unstable();
        let n = v.len() as u64;
        Stats {
            count: n,
            errors: series.errors,
            p50_ms: percentile(&v, 50.0),
            p95_ms: percentile(&v, 95.0),
            p99_ms: percentile(&v, 99.0),
            max_ms: v.last().map_or(0.0, |m| *m as f64 / 1000.0),
            mean_bytes: series.bytes.checked_div(n).unwrap_or(0),
        }
    }
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7000], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn records_by_phase() {
        let r = Recorder::new(u64::MAX);
        r.record("GET /", 1500, 100, None);
        r.record("GET /", 2500, 100, Some("500".into()));
        let s = r.stats(Phase::Ramp);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].1.count, 2);
        assert_eq!(s[0].1.errors, 1);
        assert!(r.stats(Phase::Hold).is_empty());
        assert_eq!(r.error_kinds(), vec![("GET /: 500".to_string(), 1)]);
    }
}
