//! A cache valid for one generation of the read model (the auth or the client generation):
//! emptied when the generation moves, or when it holds more entries than it may.

use std::sync::Mutex;

/// What a generational cache holds: it says how many entries it has.
pub trait Entries: Default {
    fn entries(&self) -> usize;
}

#[derive(Default)]
pub struct Generational<T> {
    inner: Mutex<(u64, T)>,
}

/// The most entries a cache holds before it starts again.
const MAX_ENTRIES: usize = 100_000;

impl<T: Entries> Generational<T> {
    /// Runs `f` on the cache as of `generation`: a cache of another generation (or a full one)
    /// is emptied first. A writer stamps what it read with the generation it saw before the
    /// read, so an event projected meanwhile makes the entry stale at once.
    pub fn with<R>(&self, generation: u64, f: impl FnOnce(&mut T) -> R) -> R {
        let mut inner = self.inner.lock().expect("cache lock");
        if inner.0 != generation || inner.1.entries() > MAX_ENTRIES {
            *inner = (generation, T::default());
        }
        f(&mut inner.1)
    }
}
