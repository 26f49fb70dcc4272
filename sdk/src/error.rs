//! [`CardError`], the error a card returns, with constructors for each kind.
//!
//! `CardError` and [`ErrorKind`] are the WIT types of the contract
//! (`cardhost:card/types`), re-exported; this module adds constructors and
//! the conversion from the host's [`HttpError`].

pub use crate::bindings::cardhost::card::http::HttpError;
pub use crate::bindings::cardhost::card::types::{CardError, ErrorKind};

impl CardError {
    /// An error of `kind` with `message` and no field.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CardError {
            kind,
            message: message.into(),
            field: None,
        }
    }

    /// The input is wrong; `field` names the input field at fault
    /// (a path such as `projects[1]` or `custom_fields.123`).
    pub fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::InvalidInput, message).with_field(field)
    }

    /// The thing asked for does not exist at the provider.
    pub fn not_found(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::NotFound, message)
    }

    /// The provider refused the credential (401).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::Unauthorized, message)
    }

    /// The credential lacks permission (403).
    pub fn forbidden(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::Forbidden, message)
    }

    /// The provider kept answering 429.
    pub fn rate_limited(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::RateLimited, message)
    }

    /// The provider answered with another error.
    pub fn provider(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::Provider, message)
    }

    /// The host refused or could not complete an HTTP request.
    pub fn http(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::Http, message)
    }

    /// A bug in the card.
    pub fn internal(message: impl Into<String>) -> Self {
        CardError::new(ErrorKind::Internal, message)
    }

    /// The same error, naming `field`.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// A sentence describing a capability error, for a person to read.
///
/// The host's own messages never carry a credential; this adds none.
pub fn describe_http_error(err: &HttpError) -> String {
    match err {
        HttpError::Denied(why) => format!("the host refused the request: {why}"),
        HttpError::NoCredential(why) => {
            format!("the credential asked for is not available on this connection: {why}")
        }
        // The host's message already says what a person must do.
        HttpError::NeedsReauth(why) => why.clone(),
        HttpError::Timeout => "the run's deadline passed before the provider answered".into(),
        HttpError::TooLarge(limit) => {
            format!("the provider's answer was larger than the host allows ({limit} bytes)")
        }
        HttpError::Transport(why) => format!("the request could not be completed: {why}"),
    }
}

impl From<HttpError> for CardError {
    /// Every capability error is kind `http`; `needs-reauth` keeps the host's message.
    fn from(err: HttpError) -> Self {
        CardError::http(describe_http_error(&err))
    }
}

impl From<serde_json::Error> for CardError {
    /// A JSON error the card did not expect is a bug in the card.
    fn from(err: serde_json::Error) -> Self {
        CardError::internal(format!("JSON error: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_kind_and_field() {
        let e = CardError::invalid_input("limit", "too big");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("limit"));
        assert_eq!(e.message, "too big");
        assert_eq!(CardError::not_found("x").kind, ErrorKind::NotFound);
        assert_eq!(CardError::internal("x").field, None);
    }

    #[test]
    fn http_errors_are_kind_http() {
        let e: CardError = HttpError::NeedsReauth("reconnect the Asana connection".into()).into();
        assert_eq!(e.kind, ErrorKind::Http);
        assert_eq!(e.message, "reconnect the Asana connection");
        let e: CardError = HttpError::Denied("host example.com is not allowed".into()).into();
        assert!(
            e.message.contains("example.com is not allowed"),
            "{}",
            e.message
        );
        let e: CardError = HttpError::TooLarge(1024).into();
        assert!(e.message.contains("1024"));
    }
}
