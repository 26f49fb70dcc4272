//! The resilience suite: `cardhost serve` run as a child process, killed with
//! SIGKILL at random moments while clients write to it (`crash`), and pointed
//! at a provider that misbehaves in every way a network can (`faults`).
//!
//! It is sized for CI (well under three minutes in a debug build on two
//! cores). Longer runs:
//! - `CARDHOST_RESILIENCE_ROUNDS=N`: crash rounds (default 20);
//! - `CARDHOST_FAULT_RUNS=N`: faulty runs of the leak check (default 1000);
//! - `CARDHOST_RESILIENCE_SEED=N`: replay the random choices of a run (each
//!   test prints the seed it used).

mod child;
mod crash;
mod faults;

/// A number from the env key `key`, else `default`.
pub fn env_number(key: &str, default: u64) -> u64 {
    match std::env::var(key) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{key}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The seed of a test's random choices: `CARDHOST_RESILIENCE_SEED`, else
/// the clock. Printed, so that a failure can be replayed.
pub fn seed(test: &str) -> u64 {
    let seed = env_number(
        "CARDHOST_RESILIENCE_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    eprintln!("{test}: seed {seed} (replay with CARDHOST_RESILIENCE_SEED={seed})");
    seed
}
