//! The limit on guessing the API key: wrong keys on `/api/v1` and on the console's sign-in form are
//! counted in token buckets, one per client address and one for the whole host, and an attempt that
//! finds a bucket empty is answered 429 with `Retry-After`.
//!
//! - Only failures spend a token; a right key costs nothing, so a busy client is never slowed down.
//! - An address whose bucket is empty is refused before its key is looked at. Answering a right key
//!   there would tell a guesser which of its guesses was right, and the limit would not slow
//!   guessing at all; the client with the key at that address waits out the same `Retry-After`.
//! - The host-wide bucket stops a guesser spread over many addresses. While it is empty, addresses
//!   that presented the right key within the last [`Limits::trust`] are still served, so someone
//!   else's flood does not lock the operator out.
//! - The check, the key comparison and the count happen under one lock: parallel guesses cannot
//!   slip through before the first failure is counted (which a sleep per failure never stopped).
//! - IPv6 clients are counted per /64, the block one client usually holds. Without a known peer
//!   address (a router driven in-process) every attempt counts against one shared bucket.
//! - The tables are bounded: at most [`MAX_TRACKED`] addresses, dropping full buckets first.
//!
//! This is a few token buckets rather than `governor`: governor's keyed limiter spends a cell on every
//! check and cannot look without spending, but here only a failure may spend and the check must come
//! before the key is compared.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many client addresses are tracked (and as many trusted ones).
pub const MAX_TRACKED: usize = 4096;

/// A bucket's size and how fast it refills.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Failures allowed in a burst.
    pub burst: u32,
    /// One more failure is allowed after each such interval.
    pub every: Duration,
}

/// The limits of a [`FailureLimiter`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Per client address (or IPv6 /64).
    pub per_address: Rate,
    /// For the whole host.
    pub global: Rate,
    /// How long a right key exempts its address from the host-wide bucket.
    pub trust: Duration,
}

impl Default for Limits {
    /// 10 wrong keys per address, then one per 6 s (10 a minute); 100 for the whole host, then 100 a
    /// minute; an address that used the right key stays trusted for an hour.
    fn default() -> Limits {
        Limits {
            per_address: Rate {
                burst: 10,
                every: Duration::from_secs(6),
            },
            global: Rate {
                burst: 100,
                every: Duration::from_millis(600),
            },
            trust: Duration::from_secs(3600),
        }
    }
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The key was right.
    Passed,
    /// The key was wrong; the failure was counted.
    Failed,
    /// Refused without looking at the key; try again after this long.
    Limited(Duration),
}

/// Who a bucket belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    Address(IpAddr),
    /// No peer address is known.
    Unknown,
}

impl Client {
    fn of(peer: Option<IpAddr>) -> Client {
        match peer.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                Client::Address(IpAddr::V6(Ipv6Addr::new(
                    s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                )))
            }
            Some(v4) => Client::Address(v4),
            None => Client::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(rate.burst),
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at);
        let earned = elapsed.as_secs_f64() / rate.every.as_secs_f64();
        self.tokens = (self.tokens + earned).min(f64::from(rate.burst));
        self.at = now;
    }

    /// How long until one failure is allowed again, if none is now.
    fn wait(&self, rate: Rate) -> Option<Duration> {
        (self.tokens < 1.0).then(|| rate.every.mul_f64(1.0 - self.tokens))
    }

    fn is_full(&self, rate: Rate) -> bool {
        self.tokens >= f64::from(rate.burst)
    }
}

struct State {
    clients: HashMap<Client, Bucket>,
    global: Bucket,
    /// When each address last presented the right key.
    trusted: HashMap<Client, Instant>,
}

/// Counts failed attempts and holds back clients that fail too often.
pub struct FailureLimiter {
    limits: Limits,
    state: Mutex<State>,
}

impl FailureLimiter {
    /// A limiter with every bucket full.
    pub fn new(limits: Limits) -> FailureLimiter {
        FailureLimiter {
            limits,
            state: Mutex::new(State {
                clients: HashMap::new(),
                global: Bucket::full(limits.global, Instant::now()),
                trusted: HashMap::new(),
            }),
        }
    }

    /// One attempt by `peer` at `now`: refused while one of its buckets is empty, else `is_right`
    /// (the key comparison, which must not block) decides, and a failure is counted.
    pub fn attempt(
        &self,
        peer: Option<IpAddr>,
        now: Instant,
        is_right: impl FnOnce() -> bool,
    ) -> Attempt {
        let limits = self.limits;
        let client = Client::of(peer);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State {
            clients,
            global,
            trusted,
        } = &mut *state;
        let is_trusted = trusted
            .get(&client)
            .is_some_and(|t| now.saturating_duration_since(*t) < limits.trust);
        if !clients.contains_key(&client) && clients.len() >= MAX_TRACKED {
            make_room(clients, limits.per_address, now);
        }
        let bucket = clients
            .entry(client)
            .or_insert_with(|| Bucket::full(limits.per_address, now));
        bucket.refill(limits.per_address, now);
        global.refill(limits.global, now);
        let wait = match (bucket.wait(limits.per_address), is_trusted) {
            (Some(w), _) => Some(w),
            (None, true) => None,
            (None, false) => global.wait(limits.global),
        };
        if let Some(wait) = wait {
            return Attempt::Limited(wait);
        }
        if is_right() {
            if !trusted.contains_key(&client) && trusted.len() >= MAX_TRACKED {
                trusted.retain(|_, t| now.saturating_duration_since(*t) < limits.trust);
                if let Some(oldest) = trusted.iter().min_by_key(|(_, t)| **t).map(|(c, _)| *c) {
                    trusted.remove(&oldest);
                }
            }
            trusted.insert(client, now);
            return Attempt::Passed;
        }
        bucket.tokens -= 1.0;
        global.tokens = (global.tokens - 1.0).max(-f64::from(limits.global.burst));
        if bucket.wait(limits.per_address).is_some() {
            match client {
                Client::Address(ip) => tracing::warn!(
                    address = %ip,
                    "too many wrong API keys from this address: its attempts are refused for a while"
                ),
                Client::Unknown => tracing::warn!(
                    "too many wrong API keys from clients of unknown address: their attempts are refused for a while"
                ),
            }
        }
        if global.tokens < 1.0 && global.tokens >= 0.0 {
            tracing::warn!(
                "too many wrong API keys across all addresses: attempts from addresses without a recent sign-in are refused for a while"
            );
        }
        Attempt::Failed
    }
}

/// Drops buckets that are full again; failing that, the least recently used one.
fn make_room(clients: &mut HashMap<Client, Bucket>, rate: Rate, now: Instant) {
    clients.retain(|_, b| {
        let mut b = *b;
        b.refill(rate, now);
        !b.is_full(rate)
    });
    if clients.len() >= MAX_TRACKED {
        if let Some(oldest) = clients.iter().min_by_key(|(_, b)| b.at).map(|(c, _)| *c) {
            clients.remove(&oldest);
        }
    }
}

/// A `Retry-After` value: whole seconds, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            per_address: Rate {
                burst: 3,
                every: Duration::from_secs(10),
            },
            global: Rate {
                burst: 5,
                every: Duration::from_secs(1),
            },
            trust: Duration::from_secs(60),
        }
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_address_is_held_back_after_its_burst_and_lets_up_with_time() {
        let l = FailureLimiter::new(limits());
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.attempt(ip("10.0.0.1"), t, || false), Attempt::Failed);
        }
        let mut looked = false;
        let held = l.attempt(ip("10.0.0.1"), t, || {
            looked = true;
            true
        });
        assert_eq!(held, Attempt::Limited(Duration::from_secs(10)));
        assert!(!looked, "a held-back address's key is not compared");
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(9001)), 10);
        assert_eq!(
            l.attempt(ip("10.0.0.2"), t, || true),
            Attempt::Passed,
            "another address is not affected"
        );
        let later = t + Duration::from_secs(10);
        assert_eq!(l.attempt(ip("10.0.0.1"), later, || true), Attempt::Passed);
        assert_eq!(l.attempt(ip("10.0.0.1"), later, || false), Attempt::Failed);
        assert!(matches!(
            l.attempt(ip("10.0.0.1"), later, || false),
            Attempt::Limited(_)
        ));
    }

    #[test]
    fn right_keys_never_spend() {
        let l = FailureLimiter::new(limits());
        let t = Instant::now();
        for _ in 0..1000 {
            assert_eq!(l.attempt(ip("10.0.0.1"), t, || true), Attempt::Passed);
        }
        assert_eq!(l.attempt(None, t, || true), Attempt::Passed);
    }

    #[test]
    fn the_host_wide_bucket_spares_trusted_addresses() {
        let l = FailureLimiter::new(limits());
        let t = Instant::now();
        assert_eq!(l.attempt(ip("10.0.0.1"), t, || true), Attempt::Passed);
        for n in 2..7 {
            assert_eq!(
                l.attempt(ip(&format!("10.0.1.{n}")), t, || false),
                Attempt::Failed
            );
        }
        assert!(matches!(
            l.attempt(ip("10.0.2.1"), t, || true),
            Attempt::Limited(_)
        ));
        assert_eq!(l.attempt(ip("10.0.0.1"), t, || true), Attempt::Passed);
        let past_trust = t + Duration::from_secs(61);
        assert_eq!(
            l.attempt(ip("10.0.2.1"), past_trust, || true),
            Attempt::Passed
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = FailureLimiter::new(limits());
        let t = Instant::now();
        for host in ["2001:db8::1", "2001:db8::2", "2001:db8::ffff:3"] {
            assert_eq!(l.attempt(ip(host), t, || false), Attempt::Failed);
        }
        assert!(matches!(
            l.attempt(ip("2001:db8::4"), t, || true),
            Attempt::Limited(_)
        ));
        assert_eq!(
            l.attempt(ip("2001:db8:0:1::1"), t, || true),
            Attempt::Passed
        );
        let l = FailureLimiter::new(limits());
        for _ in 0..3 {
            l.attempt(ip("::ffff:10.0.0.9"), t, || false);
        }
        assert!(matches!(
            l.attempt(ip("10.0.0.9"), t, || true),
            Attempt::Limited(_)
        ));
    }

    #[test]
    fn without_an_address_one_shared_bucket_counts() {
        let l = FailureLimiter::new(limits());
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.attempt(None, t, || false), Attempt::Failed);
        }
        assert!(matches!(l.attempt(None, t, || true), Attempt::Limited(_)));
    }

    #[test]
    fn the_table_stays_bounded() {
        let l = FailureLimiter::new(Limits {
            global: Rate {
                burst: u32::MAX,
                every: Duration::from_nanos(1),
            },
            ..limits()
        });
        let t = Instant::now();
        for n in 0..(MAX_TRACKED as u32 + 50) {
            let addr = std::net::Ipv4Addr::from(0x0a00_0000 + n);
            l.attempt(Some(IpAddr::V4(addr)), t, || false);
            l.attempt(Some(IpAddr::V4(addr)), t, || true);
        }
        let state = l.state.lock().unwrap();
        assert!(state.clients.len() <= MAX_TRACKED);
        assert!(state.trusted.len() <= MAX_TRACKED);
    }
}
