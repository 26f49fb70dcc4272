//! The resilience suite: `cardhost serve` run as a child process, killed with
//! SIGKILL at random moments while clients write to it (`crash`), pointed
//! at a provider that misbehaves in every way a network can (`faults`), and
//! kept under a steady mix of load at a bounded rate while its memory and
//! data dir are watched (`soak`).
//!
//! It is sized for CI (about two minutes in a debug build on two cores; the
//! soak takes about 90 s of it, beside the others). Longer runs:
//! - `CARDHOST_RESILIENCE_ROUNDS=N`: crash rounds (default 20);
//! - `CARDHOST_FAULT_RUNS=N`: faulty runs of the leak check (default 1000);
//! - `CARDHOST_SOAK_SECS=N`: the soak's length (default 60: a third of it
//!   warm-up, prolonged until 4,000 flow runs are recorded, about 90 s in
//!   all); the full soak is ten minutes:
//!   `CARDHOST_SOAK_SECS=600 cargo test -p cardhost --test resilience soak -- --nocapture`;
//!   `CARDHOST_SOAK_RATE=N` bounds its requests per second (default 200);
//! - `CARDHOST_RESILIENCE_SEED=N`: replay the random choices of a run (each
//!   test prints the seed it used).

mod child;
mod crash;
mod faults;
mod soak;

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
