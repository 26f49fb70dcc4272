//! Records the store holds but cannot decode: the services that read them
//! skip each one, and it is logged once with its tree and key and counted
//! here (`GET /healthz` shows the count), so that one damaged record never
//! stops the host from starting, listing, pruning or deleting.

use std::collections::HashSet;
use std::sync::Mutex;

/// The records found damaged since the host started: each logged once.
#[derive(Debug, Default)]
pub struct Damaged {
    keys: Mutex<HashSet<(String, Vec<u8>)>>,
}

impl Damaged {
    /// Note a record of `tree` at `key` that could not be decoded.
    pub(crate) fn note(&self, tree: &str, key: &[u8], error: &dyn std::fmt::Display) {
        let first = self
            .keys
            .lock()
            .expect("damaged records")
            .insert((tree.to_string(), key.to_vec()));
        if first {
            tracing::error!(
                tree,
                key = %String::from_utf8_lossy(key),
                %error,
                "skipping a stored record that cannot be decoded"
            );
        }
    }

    /// Forget a record that was deleted.
    pub(crate) fn forget(&self, tree: &str, key: &[u8]) {
        self.keys
            .lock()
            .expect("damaged records")
            .remove(&(tree.to_string(), key.to_vec()));
    }

    /// How many damaged records are known now.
    pub fn count(&self) -> usize {
        self.keys.lock().expect("damaged records").len()
    }
}
