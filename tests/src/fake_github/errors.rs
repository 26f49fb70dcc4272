//! Error answers in GitHub's shapes: the REST API's
//! `{"message", "documentation_url", "status"}` (with `errors` on 422
//! "Validation Failed"), and the token endpoint's
//! `{"error", "error_description", "error_uri"}`, sent with HTTP 200 in the
//! format the `Accept` header asks for.

use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// The documentation root GitHub points to for generic errors.
pub const DOCS: &str = "https://docs.github.com/rest";

/// GitHub's message for an API version it does not support (observed
/// wording; the docs say only "a message about the version not being
/// supported").
pub fn unsupported_version_message(given: &str, supported: &[&str]) -> String {
    let list: Vec<String> = supported.iter().map(|v| format!("\"{v}\"")).collect();
    format!(
        "The version you specified in the \"X-GitHub-Api-Version\" request header, \"{given}\", is not a supported version. The following versions are currently supported: {} (most recent).",
        list.join(", ")
    )
}

/// The body GitHub's front end answers a request without a `User-Agent`
/// with (plain text; the docs say only that such requests are rejected).
pub const USER_AGENT_REQUIRED: &str = "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n";

/// An error of the REST API, rendered as GitHub renders it.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    documentation_url: String,
    errors: Option<Vec<Value>>,
    headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    /// Any status with a message.
    pub fn new(status: StatusCode, message: impl Into<String>, doc: &str) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            documentation_url: doc.to_string(),
            errors: None,
            headers: Vec::new(),
        }
    }

    /// 401 for a request without credentials to an endpoint that needs them.
    pub fn requires_authentication(doc: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Requires authentication", doc)
    }

    /// 401 for unknown, malformed or revoked credentials.
    pub fn bad_credentials() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS)
    }

    /// 404, also GitHub's answer for what the caller may not see.
    pub fn not_found(doc: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not Found", doc)
    }

    /// 403 with a message.
    pub fn forbidden(message: impl Into<String>, doc: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message, doc)
    }

    /// 400 for a body that is not JSON.
    pub fn problems_parsing_json(doc: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Problems parsing JSON", doc)
    }

    /// 400 for a JSON body that is not an object.
    pub fn body_not_object(doc: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Body should be a JSON object", doc)
    }

    /// 422 "Invalid request" for a body the endpoint's schema refuses (a
    /// required parameter missing, a parameter of the wrong type), with
    /// GitHub's `Invalid request.\n\n<detail>` message.
    pub fn invalid_request(detail: &str, doc: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Invalid request.\n\n{detail}"),
            doc,
        )
    }

    /// 422 "Validation Failed" with `errors` (`{"resource", "field", "code"}`
    /// and, for `invalid`, the `value`).
    pub fn validation_failed(errors: Vec<Value>, doc: &str) -> ApiError {
        ApiError {
            errors: Some(errors),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed", doc)
        }
    }

    /// 400 for an unsupported `X-GitHub-Api-Version`.
    pub fn unsupported_version(given: &str, supported: &[&str]) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            unsupported_version_message(given, supported),
            "https://docs.github.com/rest/overview/api-versions",
        )
    }

    /// 403 for a used-up primary rate limit. GitHub documents 403 or 429
    /// with `x-ratelimit-remaining: 0`; the fake answers 403, the status
    /// GitHub sends for the primary limit of a user, with its message.
    pub fn primary_rate_limited(who: &str, request_id: &str) -> ApiError {
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "API rate limit exceeded for {who}. If you reach out to GitHub Support for help, please include the request ID {request_id} and timestamp {timestamp}."
            ),
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        )
    }

    /// 403 for a secondary rate limit, with `Retry-After` (GitHub documents
    /// 403 or 429 and "an error message that indicates that you exceeded a
    /// secondary rate limit").
    pub fn secondary_rate_limited(request_id: &str, retry_after: u64) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID {request_id}."
            ),
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        )
        .with_header(header::RETRY_AFTER, retry_after.to_string())
    }

    /// The answer to an injected fault with this status.
    pub fn for_status(status: StatusCode, retry_after: Option<u64>) -> ApiError {
        let message = match status.as_u16() {
            401 => "Bad credentials",
            403 => "Forbidden",
            404 => "Not Found",
            409 => "Conflict",
            410 => "Gone",
            422 => "Validation Failed",
            429 => "Too Many Requests",
            500 => "Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        let mut error = ApiError::new(status, message, DOCS);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            error.errors = Some(Vec::new());
        }
        if let Some(secs) = retry_after {
            error = error.with_header(header::RETRY_AFTER, secs.to_string());
        }
        error
    }

    /// The same error with one more response header.
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
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
        let mut body = Map::new();
        body.insert("message".into(), json!(self.message));
        if let Some(errors) = &self.errors {
            body.insert("errors".into(), json!(errors));
        }
        body.insert("documentation_url".into(), json!(self.documentation_url));
        body.insert("status".into(), json!(self.status.as_u16().to_string()));
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(name.clone(), value);
            }
        }
        response
    }
}

/// An `errors` entry of a 422 "Validation Failed".
pub fn field_error(field: &str, code: &str, value: Option<Value>) -> Value {
    let mut error = json!({ "resource": "Issue", "field": field, "code": code });
    if let Some(value) = value {
        error["value"] = value;
    }
    error
}

/// The answer for a path or method the API does not serve: GitHub answers
/// 404 for both (an unsupported method is not a 405), and the web origin
/// answers its plain 404.
pub async fn no_route(uri: Uri) -> Response {
    if uri.path() == super::API_PREFIX || uri.path().starts_with("/api/v3/") {
        ApiError::not_found(DOCS).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Not Found",
        )
            .into_response()
    }
}

/// Where the token endpoint's errors are documented.
const TOKEN_ERRORS_DOC: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

/// An error of the token endpoint. GitHub answers them with HTTP 200.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
    pub uri: String,
}

impl OAuthError {
    /// Wrong or unknown `client_id` / `client_secret`.
    pub fn incorrect_client_credentials() -> OAuthError {
        OAuthError {
            error: "incorrect_client_credentials",
            description: "The client_id and/or client_secret passed are incorrect.".into(),
            uri: format!("{TOKEN_ERRORS_DOC}/#incorrect-client-credentials"),
        }
    }

    /// A `redirect_uri` that does not match the app's callback URL.
    pub fn redirect_uri_mismatch() -> OAuthError {
        OAuthError {
            error: "redirect_uri_mismatch",
            description: "The redirect_uri MUST match the registered callback URL for this application.".into(),
            uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2".into(),
        }
    }

    /// A code that is wrong, used, expired or of another app.
    pub fn bad_verification_code() -> OAuthError {
        OAuthError {
            error: "bad_verification_code",
            description: "The code passed is incorrect or expired.".into(),
            uri: format!("{TOKEN_ERRORS_DOC}/#bad-verification-code"),
        }
    }

    /// An unknown refresh token (GitHub's wording for GitHub Apps' expiring
    /// user tokens; OAuth apps are never issued refresh tokens).
    pub fn bad_refresh_token() -> OAuthError {
        OAuthError {
            error: "bad_refresh_token",
            description: "The refresh token passed is incorrect or expired.".into(),
            uri: "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens".into(),
        }
    }

    /// A `grant_type` the endpoint does not serve (the description is the
    /// fake's: GitHub documents only the code).
    pub fn unsupported_grant_type(given: &str) -> OAuthError {
        OAuthError {
            error: "unsupported_grant_type",
            description: format!("The grant_type '{given}' is not supported."),
            uri: TOKEN_ERRORS_DOC.into(),
        }
    }

    /// The fields, in GitHub's order.
    fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            ("error", self.error),
            ("error_description", &self.description),
            ("error_uri", &self.uri),
        ]
    }

    /// The answer, with HTTP 200, in the format `accept` asks for.
    pub fn render(&self, accept: Option<&str>) -> Response {
        render_oauth(&self.pairs(), accept)
    }
}

/// How the token endpoint answers: JSON for `Accept: application/json`, XML
/// for `application/xml`, form-encoded otherwise (GitHub's default).
pub fn render_oauth(pairs: &[(&str, &str)], accept: Option<&str>) -> Response {
    let accept = accept.unwrap_or("").to_ascii_lowercase();
    let (content_type, body) = if accept.contains("json") {
        let map: Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        (
            "application/json; charset=utf-8",
            Value::Object(map).to_string(),
        )
    } else if accept.contains("xml") {
        let fields: String = pairs
            .iter()
            .map(|(k, v)| format!("<{k}>{}</{k}>", super::consent::escape(v)))
            .collect();
        (
            "application/xml; charset=utf-8",
            format!("<OAuth>{fields}</OAuth>"),
        )
    } else {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            form.append_pair(k, v);
        }
        (
            "application/x-www-form-urlencoded; charset=utf-8",
            form.finish(),
        )
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_carry_documentation_url_and_string_status() {
        let body = ApiError::not_found(DOCS).body();
        assert_eq!(
            body,
            json!({"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        );
        let body =
            ApiError::validation_failed(vec![field_error("title", "missing_field", None)], DOCS)
                .body();
        assert_eq!(
            body["errors"][0],
            json!({"resource": "Issue", "field": "title", "code": "missing_field"})
        );
        assert_eq!(body["status"], "422");
    }

    #[test]
    fn version_message_lists_the_supported_versions() {
        assert_eq!(
            unsupported_version_message("v3", &["2022-11-28"]),
            "The version you specified in the \"X-GitHub-Api-Version\" request header, \"v3\", is not a supported version. The following versions are currently supported: \"2022-11-28\" (most recent)."
        );
    }
}
