//! Runs one scenario under a load: closed loop (N workers, each sends its next request when
//! the last one is answered) or open loop (requests scheduled at a fixed arrival rate; a
//! request's latency counts from its scheduled time, so a slow server cannot hide its queue:
//! no coordinated omission). A warm-up is run and not recorded; each run is bounded in time
//! and in count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::report::Report;
use crate::scenarios::Scenario;

#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// `workers` requests in flight at all times.
    Closed { workers: usize },
    /// `rate` requests a second, sent by up to `workers` at once.
    Open { rate: f64, workers: usize },
}

#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub mode: Mode,
    /// Run but not recorded.
    pub warmup: Duration,
    /// The recorded part ends after this long...
    pub duration: Duration,
    /// ...or after this many recorded requests, whichever comes first.
    pub max_requests: u64,
}

/// What the workers share while recording.
struct Tally {
    latencies: Mutex<Histogram<u64>>,
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            // 1 µs to 60 s, 3 significant digits.
            latencies: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds")),
            errors: Mutex::new(BTreeMap::new()),
        }
    }

    fn record(&self, result: Result<(), String>, latency: Duration) {
        match result {
            Ok(()) => {
                let micros = (latency.as_micros() as u64).clamp(1, 60_000_000);
                self.latencies
                    .lock()
                    .expect("histogram")
                    .saturating_record(micros);
            }
            Err(code) => *self.errors.lock().expect("errors").entry(code).or_default() += 1,
        }
    }
}

/// Runs `scenario` under `load` and reports what the recorded part measured.
pub fn run(scenario: &dyn Scenario, load: &Load) -> Report {
    // Request numbers go on after the warm-up's, so no request repeats one (a username...).
    let mut first = 0;
    if !load.warmup.is_zero() {
        let warmup = Load {
            duration: load.warmup,
            warmup: Duration::ZERO,
            max_requests: u64::MAX,
            ..*load
        };
        first = drive(scenario, &warmup, &Tally::new(), 0).1;
    }
    let tally = Tally::new();
    let (elapsed, _) = drive(scenario, load, &tally, first);
    Report::new(
        scenario.name(),
        load.mode,
        elapsed,
        &tally.latencies.into_inner().expect("histogram"),
        tally.errors.into_inner().expect("errors"),
    )
}

/// Sends requests numbered from `first` until the time or the count runs out; returns how
/// long it took and the next unused number.
fn drive(scenario: &dyn Scenario, load: &Load, tally: &Tally, first: u64) -> (Duration, u64) {
    let started = Instant::now();
    let deadline = started + load.duration;
    let next = AtomicU64::new(0);
    let workers = match load.mode {
        Mode::Closed { workers } | Mode::Open { workers, .. } => workers.max(1),
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= load.max_requests {
                    return;
                }
                let scheduled = match load.mode {
                    Mode::Closed { .. } => Instant::now(),
                    Mode::Open { rate, .. } => {
                        let at = started + Duration::from_secs_f64(k as f64 / rate);
                        if let Some(wait) = at.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        at
                    }
                };
                if scheduled >= deadline {
                    return;
                }
                let result = scenario.request(first + k);
                tally.record(result, scheduled.elapsed());
            });
        }
    });
    let used = next.load(Ordering::Relaxed);
    (started.elapsed(), first + used)
}
