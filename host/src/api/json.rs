//! JSON in and out of the REST API: a body extractor that names the field a
//! bad body got wrong, path and query extractors that answer in the same
//! shape, and the `{"error": {code, message, field}}` response. Each
//! extractor also describes itself in the OpenAPI document (see
//! [`openapi`](super::openapi)).

use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::operation::{OperationInput, OperationOutput};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, Kind};

/// A JSON body, deserialized with the path of the first bad field kept.
pub struct Body<T>(pub T);

/// Documented as a required `application/json` body of `T`'s schema.
impl<T: JsonSchema> OperationInput for Body<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::Json::<T>::operation_input(ctx, operation);
    }
}

/// Path parameters (a struct naming each): a value that does not decode,
/// such as bad percent-encoding, is a JSON 400 `invalid_path`.
pub struct PathOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathOf(value))
            .map_err(|e| AppError::new(Kind::BadRequest, "invalid_path", e.body_text()).into())
    }
}

impl<T: JsonSchema> OperationInput for PathOf<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Path::<T>::operation_input(ctx, operation);
    }
}

/// Query parameters: an unknown parameter or a bad value is a JSON 400
/// `invalid_query`.
pub struct QueryOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryOf(value))
            .map_err(|e| AppError::new(Kind::BadRequest, "invalid_query", e.body_text()).into())
    }
}

impl<T: JsonSchema> OperationInput for QueryOf<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Query::<T>::operation_input(ctx, operation);
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = has_content_type(req.headers(), "application/json");
        if !is_json {
            return Err(AppError::new(
                Kind::BadRequest,
                "unsupported_media_type",
                "the body must be JSON with Content-Type: application/json",
            )
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            body_rejection(
                &rejection,
                AppError::new(
                    Kind::TooLarge,
                    "body_too_large",
                    "the request body is larger than this endpoint accepts",
                ),
            )
        })?;
        parse(&bytes).map(Body).map_err(ApiError)
    }
}

/// A body that could not be read: `too_large` when it passed the route's
/// limit, a plain 400 otherwise.
pub fn body_rejection(
    rejection: &axum::extract::rejection::BytesRejection,
    too_large: AppError,
) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large
    } else {
        AppError::new(
            Kind::BadRequest,
            "bad_body",
            "the request body could not be read",
        )
    }
}

/// Whether a request's `Content-Type` is `expected` (parameters ignored).
pub fn has_content_type(headers: &axum::http::HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(expected)
        })
}

/// Deserialize JSON, naming the failing field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::new(
                Kind::BadRequest,
                "malformed_json",
                format!(
                    "the body is not valid JSON (line {}, column {})",
                    inner.line(),
                    inner.column()
                ),
            );
        }
        let text = inner.to_string();
        let message = text.split(" at line ").next().unwrap_or(&text).to_string();
        // serde_path_to_error's path already ends at an unknown field, but
        // stops at the parent of a missing one.
        let field = match missing_field(&message) {
            Some(f) if path == "." => f,
            Some(f) => format!("{path}.{f}"),
            None => path.clone(),
        };
        let mut err = AppError::new(
            Kind::BadRequest,
            "invalid_body",
            format!("{field}: {message}"),
        );
        if field != "." {
            err = err.field(field);
        }
        err
    })
}

fn quoted(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    let rest = rest.strip_prefix('`')?;
    Some(rest.split('`').next()?.to_string())
}

fn missing_field(message: &str) -> Option<String> {
    quoted(message, "missing field ")
}

/// The body of every error response: `{"error": {code, message, field}}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub error: AppError,
}

/// An [`AppError`] as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// Documented as an [`ErrorBody`]; each operation lists the statuses it can
/// answer with (see [`openapi`](super::openapi)).
impl OperationOutput for ApiError {
    type Inner = ErrorBody;

    fn operation_response(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Option<aide::openapi::Response> {
        axum::Json::<ErrorBody>::operation_response(ctx, operation)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        ApiError(e)
    }
}

/// The HTTP status of an error kind.
pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadRequest => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Provider => StatusCode::BAD_GATEWAY,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (status(self.0.kind), axum::Json(ErrorBody { error: self.0 })).into_response()
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Create {
        nickname: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn names_the_bad_field() {
        let e = parse::<Create>(br#"{"nickname": 5}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("nickname"));
        let e = parse::<Create>(br#"{"nickname": "a", "extra": 1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("extra"));
        let e = parse::<Create>(br#"{}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("nickname"));
        let e = parse::<Create>(br#"{"nickname": "a", "inner": {"count": "x"}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.count"));
        let e = parse::<Create>(br#"{"nickname": "#).unwrap_err();
        assert_eq!(e.code, "malformed_json");
    }
}
