//! Error bodies in the three shapes the fake speaks: Asana's REST errors
//! (`{"errors":[{"message","help"}]}`), SCIM 2.0 errors and OAuth 2.0 errors.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::seq::SliceRandom;
use serde_json::{json, Value};

/// The `help` text Asana attaches to every error.
pub const HELP: &str = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";

/// Asana's message when a client exceeds a rate limit
/// (https://developers.asana.com/docs/rate-limits).
pub const RATE_LIMIT_MESSAGE: &str =
    "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

/// An error of the REST API, rendered as Asana renders it.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
    phrase: Option<String>,
}

impl ApiError {
    /// Any status with the given message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
            phrase: None,
        }
    }

    /// 400 `field: message`.
    pub fn bad(field: &str, message: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
    }

    /// 400 `field: Missing input`.
    pub fn missing(field: &str) -> ApiError {
        ApiError::bad(field, "Missing input")
    }

    /// 400 `field: Not a recognized ID: id`.
    pub fn not_recognized(field: &str, id: &str) -> ApiError {
        ApiError::bad(field, &format!("Not a recognized ID: {id}"))
    }

    /// 404 `kind: Unknown object: id`.
    pub fn unknown_object(kind: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{kind}: Unknown object: {id}"),
        )
    }

    /// 404 for a path the API does not serve.
    pub fn no_route() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "No matching route for request")
    }

    /// 401, the answer to a missing, unknown, expired or revoked token.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Not Authorized")
    }

    /// 403 with a message.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, RATE_LIMIT_MESSAGE)
        }
    }

    /// The body Asana sends for any other status, with a phrase on 5xx.
    pub fn for_status(status: StatusCode, retry_after: Option<u64>) -> ApiError {
        let mut error = match status {
            StatusCode::TOO_MANY_REQUESTS => ApiError::rate_limited(retry_after.unwrap_or(30)),
            StatusCode::UNAUTHORIZED => ApiError::unauthorized(),
            _ => ApiError::new(status, default_message(status)),
        };
        if status.is_server_error() {
            error.phrase = Some(error_phrase());
        }
        if retry_after.is_some() {
            error.retry_after = retry_after;
        }
        error
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = json!({ "message": self.message, "help": HELP });
        if let Some(phrase) = &self.phrase {
            error["phrase"] = Value::String(phrase.clone());
        }
        json!({ "errors": [error] })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The message Asana uses for a bare status.
fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Not Authorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        500 => "Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// A phrase in the style of node-asana-phrase ("6 sad squid snuggle softly").
fn error_phrase() -> String {
    const ADJECTIVES: &[&str] = &["sad", "happy", "sleepy", "brave", "tiny", "purple"];
    const NOUNS: &[&str] = &["squid", "otters", "pandas", "llamas", "koalas", "geese"];
    const VERBS: &[&str] = &["snuggle", "dance", "giggle", "wander", "paddle", "hum"];
    const ADVERBS: &[&str] = &["softly", "loudly", "slowly", "gladly", "boldly", "oddly"];
    let mut rng = rand::thread_rng();
    let pick = |list: &[&'static str], rng: &mut rand::rngs::ThreadRng| {
        list.choose(rng).copied().unwrap_or("quiet")
    };
    let count = rand::Rng::gen_range(&mut rng, 2..=30);
    format!(
        "{count} {} {} {} {}",
        pick(ADJECTIVES, &mut rng),
        pick(NOUNS, &mut rng),
        pick(VERBS, &mut rng),
        pick(ADVERBS, &mut rng)
    )
}

/// The schema URN of a SCIM error.
pub const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM 2.0 error (RFC 7644 section 3.12).
#[derive(Debug, Clone)]
pub struct ScimError {
    status: StatusCode,
    detail: String,
    scim_type: Option<&'static str>,
    retry_after: Option<u64>,
}

impl ScimError {
    /// Any status with a detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            detail: detail.into(),
            scim_type: None,
            retry_after: None,
        }
    }

    /// 400 with a `scimType`.
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError {
            scim_type: Some(scim_type),
            ..ScimError::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    /// Sets the `scimType`.
    pub fn set_scim_type(&mut self, scim_type: &'static str) {
        self.scim_type = Some(scim_type);
    }

    /// The SCIM form of a fault or an API error.
    pub fn for_status(status: StatusCode, retry_after: Option<u64>) -> ScimError {
        let detail = if status == StatusCode::TOO_MANY_REQUESTS {
            RATE_LIMIT_MESSAGE
        } else {
            default_message(status)
        };
        ScimError {
            retry_after,
            ..ScimError::new(status, detail)
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [SCIM_ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = Value::String(scim_type.to_string());
        }
        let mut response = scim_json(self.status, &body);
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A response with the `application/scim+json` media type.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/scim+json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// An OAuth 2.0 error of the token and revocation endpoints (RFC 6749 section 5.2).
#[derive(Debug, Clone)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    /// 400 with the given error code.
    pub fn bad(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    /// 400 `invalid_grant`.
    pub fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::bad("invalid_grant", description)
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::bad("invalid_request", description)
    }

    /// 401 `invalid_client`: unknown client or wrong secret.
    pub fn invalid_client() -> OAuthError {
        OAuthError::client_refused("The client_id or client_secret is invalid.")
    }

    /// 401 `invalid_client` with a description (RFC 6749 section 5.2;
    /// Asana documents no body for it).
    pub fn client_refused(description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asana_error_bodies_carry_help_and_phrase_on_5xx() {
        let body = ApiError::missing("workspace").body();
        assert_eq!(body["errors"][0]["message"], "workspace: Missing input");
        assert_eq!(body["errors"][0]["help"], HELP);
        let server = ApiError::for_status(StatusCode::INTERNAL_SERVER_ERROR, None).body();
        assert_eq!(server["errors"][0]["message"], "Server Error");
        assert!(server["errors"][0]["phrase"].is_string());
    }
}
