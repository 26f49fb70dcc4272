//! GitHub's rate limits for the REST API
//! (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
//!
//! - the primary limit counts requests per user (every token of a user, OAuth
//!   or personal, shares it, as GitHub documents), per app for requests an
//!   app authenticates itself, and per address for unauthenticated requests
//!   (60 an hour); each window starts with the first request after the
//!   previous one ended, and `x-ratelimit-reset` says when it ends;
//! - secondary limits are undisclosed by GitHub, so the fake never decides to
//!   apply one by itself: tests inject them.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// GitHub's primary limit for authenticated users.
pub const DEFAULT_LIMIT: u32 = 5000;
/// GitHub's primary limit for unauthenticated requests.
pub const ANONYMOUS_LIMIT: u32 = 60;
/// GitHub's window: one hour.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Whose budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    User(String),
    App(String),
    Anonymous,
}

/// When a window opened at `now` ends: `window` later, rounded up to a
/// whole second so that `x-ratelimit-reset` (epoch seconds) is exact.
fn window_end(now: SystemTime, window: Duration) -> SystemTime {
    let end = (now + window)
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64().ceil() as u64)
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(end)
}

#[derive(Debug, Clone)]
struct Bucket {
    used: u32,
    resets_at: SystemTime,
}

/// The state of a budget, for the `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub limit: u32,
    pub remaining: u32,
    pub used: u32,
    /// UTC epoch seconds.
    pub reset: u64,
}

#[derive(Debug, Clone)]
struct Secondary {
    path_prefix: String,
    times: usize,
    retry_after: u64,
}

/// Every budget and the injected secondary limits.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    buckets: HashMap<Key, Bucket>,
    secondary: Vec<Secondary>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new()
    }
}

impl RateLimiter {
    /// GitHub's defaults, nothing spent.
    pub fn new() -> RateLimiter {
        RateLimiter {
            limit: DEFAULT_LIMIT,
            window: WINDOW,
            buckets: HashMap::new(),
            secondary: Vec::new(),
        }
    }

    /// A new primary limit for users and apps; every budget starts afresh.
    pub fn set_primary(&mut self, limit: u32, window: Duration) {
        self.limit = limit;
        self.window = window;
        self.buckets.clear();
    }

    fn limits_of(&self, key: &Key) -> (u32, Duration) {
        match key {
            Key::Anonymous => (ANONYMOUS_LIMIT, WINDOW),
            _ => (self.limit, self.window),
        }
    }

    fn bucket(&mut self, key: &Key) -> (&mut Bucket, u32) {
        let (limit, window) = self.limits_of(key);
        let now = SystemTime::now();
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket {
            used: 0,
            resets_at: window_end(now, window),
        });
        if now >= bucket.resets_at {
            bucket.used = 0;
            bucket.resets_at = window_end(now, window);
        }
        (bucket, limit)
    }

    fn snapshot(bucket: &Bucket, limit: u32) -> Snapshot {
        let reset = bucket
            .resets_at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Snapshot {
            limit,
            remaining: limit.saturating_sub(bucket.used),
            used: bucket.used,
            reset,
        }
    }

    /// The budget of `key` without spending it.
    pub fn peek(&mut self, key: &Key) -> Snapshot {
        let (bucket, limit) = self.bucket(key);
        RateLimiter::snapshot(bucket, limit)
    }

    /// Spends one request of `key`'s budget: `Ok` with what is left, or
    /// `Err` (remaining 0) when it was already used up.
    pub fn admit(&mut self, key: &Key) -> Result<Snapshot, Snapshot> {
        let (bucket, limit) = self.bucket(key);
        if bucket.used >= limit {
            return Err(RateLimiter::snapshot(bucket, limit));
        }
        bucket.used += 1;
        Ok(RateLimiter::snapshot(bucket, limit))
    }

    /// Queues a secondary limit for the next `times` requests under `path_prefix`.
    pub fn inject_secondary(&mut self, path_prefix: &str, times: usize, retry_after: u64) {
        if times > 0 {
            self.secondary.push(Secondary {
                path_prefix: path_prefix.to_string(),
                times,
                retry_after,
            });
        }
    }

    /// Takes one use of the first secondary limit matching `path`: its
    /// `Retry-After`.
    pub fn take_secondary(&mut self, path: &str) -> Option<u64> {
        let index = self
            .secondary
            .iter()
            .position(|s| path.starts_with(&s.path_prefix))?;
        let entry = &mut self.secondary[index];
        entry.times -= 1;
        let retry_after = entry.retry_after;
        if entry.times == 0 {
            self.secondary.remove(index);
        }
        Some(retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_spent_then_refused_until_a_whole_second() {
        let mut limiter = RateLimiter::new();
        limiter.set_primary(2, Duration::from_secs(3600));
        let key = Key::User("octocat".into());
        assert_eq!(limiter.admit(&key).unwrap().remaining, 1);
        assert_eq!(limiter.admit(&key).unwrap().remaining, 0);
        let refused = limiter.admit(&key).unwrap_err();
        assert_eq!((refused.remaining, refused.used), (0, 2));
        assert_eq!(limiter.peek(&Key::Anonymous).limit, ANONYMOUS_LIMIT);
        let reset = UNIX_EPOCH + Duration::from_secs(refused.reset);
        let hour = SystemTime::now() + Duration::from_secs(3600);
        assert!(reset + Duration::from_secs(1) > hour && reset <= hour + Duration::from_secs(1));
    }
}
