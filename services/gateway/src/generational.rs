//! A cache valid for one generation of the read model (the auth or the client generation):
//! emptied when the generation moves, or when what it holds would pass its byte budget. Only
//! what matched something real is put in one (a verified token, an app that exists), and each
//! entry is weighed when it is put, so no stream of requests grows a cache past its budget.

use std::sync::Mutex;

/// The most bytes a cache holds (its entries as weighed when put) before it starts again.
pub const MAX_BYTES: usize = 32 << 20;

/// What an entry costs beyond the text it holds: map slots, row fields, reference counts.
const ENTRY_OVERHEAD: usize = 256;

/// The weight of an entry holding these texts.
pub fn weight(texts: &[&str]) -> usize {
    ENTRY_OVERHEAD + texts.iter().map(|t| t.len()).sum::<usize>()
}

struct Slot<T> {
    generation: u64,
    bytes: usize,
    value: T,
}

pub struct Generational<T> {
    inner: Mutex<Slot<T>>,
}

impl<T: Default> Default for Generational<T> {
    fn default() -> Self {
        Generational {
            inner: Mutex::new(Slot {
                generation: 0,
                bytes: 0,
                value: T::default(),
            }),
        }
    }
}

impl<T: Default> Generational<T> {
    fn slot(&self, generation: u64) -> std::sync::MutexGuard<'_, Slot<T>> {
        let mut inner = self.inner.lock().expect("cache lock");
        if inner.generation != generation {
            *inner = Slot {
                generation,
                bytes: 0,
                value: T::default(),
            };
        }
        inner
    }

    /// Reads the cache as of `generation` (a cache of another generation is emptied first).
    pub fn with<R>(&self, generation: u64, f: impl FnOnce(&T) -> R) -> R {
        f(&self.slot(generation).value)
    }

    /// Puts an entry of `bytes` (see [`weight`]) into the cache as of `generation`. A writer
    /// stamps what it read with the generation it saw before the read, so an event projected
    /// meanwhile makes the entry stale at once. A cache that would pass [`MAX_BYTES`] starts
    /// again.
    pub fn put(&self, generation: u64, bytes: usize, f: impl FnOnce(&mut T)) {
        let mut slot = self.slot(generation);
        if slot.bytes + bytes > MAX_BYTES {
            slot.bytes = 0;
            slot.value = T::default();
        }
        slot.bytes += bytes;
        f(&mut slot.value)
    }

    /// The bytes the cache holds now, as weighed.
    pub fn bytes(&self) -> usize {
        self.inner.lock().expect("cache lock").bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_cache_stays_within_its_byte_budget_and_its_generation() {
        let cache: Generational<HashMap<String, String>> = Generational::default();
        let big = "x".repeat(100_000);
        for i in 0..1_000 {
            let key = format!("{i}{big}");
            cache.put(7, weight(&[&key]), |c| {
                c.insert(key, String::new());
            });
            assert!(cache.bytes() <= MAX_BYTES);
        }
        assert!(cache.with(7, |c| c.len()) < 1_000);
        assert!(cache.with(7, |c| c.contains_key(&format!("999{big}"))));
        assert_eq!(
            cache.with(8, |c| c.len()),
            0,
            "a new generation starts empty"
        );
    }
}
