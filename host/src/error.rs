//! The one error type of the host's services: a kind that decides the HTTP
//! status, a stable code, a message a person can act on, and the field at
//! fault. Never carries a secret.

use serde::Serialize;

/// What sort of failure, which decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Malformed or invalid input (400).
    BadRequest,
    /// Missing or wrong API key (401).
    Unauthorized,
    /// Known, but not allowed: e.g. a connection lacking a card's scopes (403).
    Forbidden,
    /// No such thing (404).
    NotFound,
    /// Conflicts with what exists (409).
    Conflict,
    /// Body too large (413).
    TooLarge,
    /// Well-formed but cannot be done as asked (422).
    Unprocessable,
    /// The provider failed or could not be reached (502).
    Provider,
    /// Busy or shutting down (503).
    Unavailable,
    /// A bug or an I/O failure in the host (500).
    Internal,
}

/// A service error.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, schemars::JsonSchema)]
#[error("{message}")]
pub struct AppError {
    #[serde(skip)]
    pub kind: Kind,
    /// Stable, machine-readable: `not_found`, `invalid_body`, `unauthorized`, ...
    pub code: String,
    /// What went wrong and what to do about it, for a person.
    pub message: String,
    /// The input field at fault (`nickname`, `steps[0].card`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    /// An error of `kind` with a code and message.
    pub fn new(kind: Kind, code: &str, message: impl Into<String>) -> AppError {
        AppError {
            kind,
            code: code.to_string(),
            message: message.into(),
            field: None,
        }
    }

    /// The same error, naming the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> AppError {
        self.field = Some(field.into());
        self
    }

    /// Invalid input in `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::new(Kind::BadRequest, "invalid_input", message).field(field)
    }

    /// No `what` with this id.
    pub fn not_found(what: &str, id: &str) -> AppError {
        AppError::new(Kind::NotFound, "not_found", format!("no {what} {id:?}"))
    }

    /// An internal failure; the message is logged, a generic one is returned.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> AppError {
        tracing::error!(%error, "{context}");
        AppError::new(
            Kind::Internal,
            "internal",
            format!("{context}; see the host's log"),
        )
    }
}
