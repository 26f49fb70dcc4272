//! Asana's per-token rate limits (https://developers.asana.com/docs/rate-limits):
//! a quota of requests per minute, and caps on concurrent reads (`GET`) and
//! writes (`POST`, `PUT`, `PATCH`, `DELETE`), two independent pools. Going
//! over answers 429 with `Retry-After` and Asana's body. Off unless a test
//! turns them on with [`super::FakeAsana::set_rate_limits`].

use super::state::AppState;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window of the per-minute quota.
const WINDOW: Duration = Duration::from_secs(60);

/// The limits one token is held to; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// Requests in any 60 s window. Refused requests count too, as Asana
    /// documents.
    pub per_minute: Option<u32>,
    /// `GET` requests in flight at once.
    pub concurrent_reads: Option<u32>,
    /// `POST`, `PUT`, `PATCH` and `DELETE` requests in flight at once.
    pub concurrent_writes: Option<u32>,
}

impl RateLimits {
    /// No limits (the default).
    pub const OFF: RateLimits = RateLimits {
        per_minute: None,
        concurrent_reads: None,
        concurrent_writes: None,
    };

    /// A free domain: 150 requests per minute, 50 reads and 15 writes at once.
    pub const fn asana_free() -> RateLimits {
        RateLimits {
            per_minute: Some(150),
            concurrent_reads: Some(50),
            concurrent_writes: Some(15),
        }
    }

    /// A paid domain: 1,500 requests per minute, 50 reads and 15 writes at once.
    pub const fn asana_paid() -> RateLimits {
        RateLimits {
            per_minute: Some(1500),
            ..RateLimits::asana_free()
        }
    }

    fn is_off(&self) -> bool {
        *self == RateLimits::OFF
    }
}

/// What one token has used.
#[derive(Debug, Default)]
pub struct Usage {
    /// When its requests of the last minute arrived.
    window: VecDeque<Instant>,
    reads: u32,
    writes: u32,
}

/// A request being served; gives its concurrency slot back when dropped.
#[derive(Debug)]
pub struct InFlight {
    state: AppState,
    token: String,
    write: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.state.lock();
        if let Some(usage) = inner.usage.get_mut(&self.token) {
            let pool = if self.write {
                &mut usage.writes
            } else {
                &mut usage.reads
            };
            *pool = pool.saturating_sub(1);
        }
    }
}

/// Admits a request of `token`: `Ok(None)` when limits are off, `Ok(slot)`
/// to hold while it is served, or the seconds to send as `Retry-After`.
pub fn admit(state: &AppState, token: &str, method: &str) -> Result<Option<InFlight>, u64> {
    let mut inner = state.lock();
    let limits = inner.rate_limits;
    if limits.is_off() {
        return Ok(None);
    }
    let now = Instant::now();
    let usage = inner.usage.entry(token.to_string()).or_default();
    while usage
        .window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        usage.window.pop_front();
    }
    usage.window.push_back(now);
    if let Some(limit) = limits.per_minute {
        let limit = limit as usize;
        if usage.window.len() > limit {
            // The next request gets in once enough of this window has aged
            // out for it to be the limit-th.
            let frees_at = usage.window[usage.window.len() - limit] + WINDOW;
            let wait = frees_at.saturating_duration_since(now);
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
    }
    let write = !method.eq_ignore_ascii_case("GET") && !method.eq_ignore_ascii_case("HEAD");
    let (in_flight, cap) = if write {
        (&mut usage.writes, limits.concurrent_writes)
    } else {
        (&mut usage.reads, limits.concurrent_reads)
    };
    if cap.is_some_and(|cap| *in_flight >= cap) {
        // Asana answers with a Retry-After long enough for the requests in
        // flight to finish; how long exactly is not documented.
        return Err(1);
    }
    *in_flight += 1;
    Ok(Some(InFlight {
        state: state.clone(),
        token: token.to_string(),
        write,
    }))
}
