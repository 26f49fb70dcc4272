//! How a card run can fail, each way distinct and said plainly.

use serde::{Deserialize, Serialize};

/// The kinds of failure a card itself reports (mirrors the WIT `error-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardErrorKind {
    InvalidInput,
    NotFound,
    Unauthorized,
    Forbidden,
    RateLimited,
    Provider,
    Http,
    Internal,
}

/// Why a run produced no output.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RunError {
    /// The input does not match the card's input schema (checked before the card runs).
    #[error("invalid input: {message}")]
    InvalidInput {
        field: Option<String>,
        message: String,
    },
    /// The card ran and reported an error of its own.
    #[error("{message}")]
    Card {
        kind: CardErrorKind,
        message: String,
        field: Option<String>,
    },
    /// The connection must be authorized again before this card can run.
    #[error("{0}")]
    NeedsReauth(String),
    /// The card ran past its wall-clock deadline and was stopped.
    #[error("the card ran longer than its {limit_ms} ms deadline and was stopped")]
    Timeout { limit_ms: u64 },
    /// The card asked for more memory than a run may have.
    #[error("the card used more than its {limit_bytes} bytes of memory and was stopped")]
    OutOfMemory { limit_bytes: usize },
    /// The card crashed (a panic, or any other WebAssembly trap).
    #[error("the card crashed: {message}")]
    Trap { message: String },
    /// The card's output is larger than a run may return.
    #[error("the card's output is larger than the {limit_bytes} bytes allowed")]
    OutputTooLarge { limit_bytes: usize },
    /// The card's output does not match its own output schema.
    #[error("the card's output does not match its output schema: {message}")]
    InvalidOutput {
        field: Option<String>,
        message: String,
    },
    /// The host could not run the card at all.
    #[error("the host could not run the card: {0}")]
    Host(String),
}

impl RunError {
    /// A short stable code for APIs and history (`timeout`, `card_error`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            RunError::InvalidInput { .. } => "invalid_input",
            RunError::Card { kind, .. } => match kind {
                CardErrorKind::InvalidInput => "invalid_input",
                CardErrorKind::NotFound => "not_found",
                CardErrorKind::Unauthorized => "provider_unauthorized",
                CardErrorKind::Forbidden => "provider_forbidden",
                CardErrorKind::RateLimited => "rate_limited",
                CardErrorKind::Provider => "provider_error",
                CardErrorKind::Http => "http_error",
                CardErrorKind::Internal => "card_error",
            },
            RunError::NeedsReauth(_) => "needs_reauth",
            RunError::Timeout { .. } => "timeout",
            RunError::OutOfMemory { .. } => "out_of_memory",
            RunError::Trap { .. } => "card_crashed",
            RunError::OutputTooLarge { .. } => "output_too_large",
            RunError::InvalidOutput { .. } => "invalid_output",
            RunError::Host(_) => "host_error",
        }
    }

    /// The input or provider field at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            RunError::InvalidInput { field, .. }
            | RunError::Card { field, .. }
            | RunError::InvalidOutput { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// Whether trying the same run again later may succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            RunError::Timeout { .. }
                | RunError::Card {
                    kind: CardErrorKind::RateLimited
                        | CardErrorKind::Provider
                        | CardErrorKind::Http,
                    ..
                }
        )
    }
}
