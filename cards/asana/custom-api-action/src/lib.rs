//! Custom API Action (`asana.custom-api-action`): any request to the Asana
//! API with the connection's credential, for what no card covers yet. The
//! answer is returned as output whatever its status. It declares no scope:
//! it runs on any connection, and Asana answers 403 to a request the
//! connection's scopes do not cover.

mod url;

use cardhost_sdk::prelude::*;
use std::collections::BTreeMap;

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The HTTP method.
    method: HttpMethod,
    /// The path below the Asana API base (`https://app.asana.com/api/1.0`),
    /// starting with `/`, e.g. `/users/me`. Put query parameters in `query`.
    #[schemars(length(min = 1))]
    relative_url: String,
    /// Query parameters, by name.
    query: Option<BTreeMap<String, String>>,
    /// Extra request headers, by name. `Authorization`, `Cookie` and
    /// `Proxy-Authorization` are ignored: the host attaches the connection's
    /// credential.
    headers: Option<BTreeMap<String, String>>,
    /// The request body: any JSON, sent as is as `application/json` (Asana
    /// expects `{"data": {...}}`).
    body: Option<Value>,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The HTTP status Asana answered (errors included).
    status: u16,
    /// The response headers, names in lower case; repeated headers joined
    /// with `, `. `set-cookie` is left out.
    headers: BTreeMap<String, String>,
    /// The response body: JSON when the response is JSON, otherwise text.
    body: Value,
}

/// Headers a card may not set (the host drops the first three anyway).
const IGNORED_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "host",
    "content-length",
];

struct CustomApiAction;

impl Card for CustomApiAction {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.custom-api-action";
    const NAME: &'static str = "Custom API Action";
    const DESCRIPTION: &'static str =
        "Sends any request to the Asana API with the connection's credential and returns the status, headers and body. \
         It needs no scope of its own: it may do what the connection was granted. A request outside the \
         connection's scopes comes back as Asana's 403, returned like any answer; to make it, reauthorize \
         the connection with the scope the endpoint names, or with Full permissions (`default`).";
    const VERSION: &'static str = "1.1.0";
    /// None: the endpoint, so the scope it needs, is only known at run time.
    /// Asana itself refuses (403) what the connection's scopes do not cover.
    const SCOPES: &'static [&'static str] = &[];
    const USES_SERVICE_ACCOUNT: bool = false;

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let request = build_request(&input, ctx)?;
        let response = ctx.http().send(request)?;
        Ok(output_of(response))
    }
}

export_card!(CustomApiAction);

/// The request for `input`, validated; no HTTP.
fn build_request(input: &Input, ctx: &Context) -> Result<Request, CardError> {
    url::check_relative_url(&input.relative_url)
        .map_err(|why| CardError::invalid_input("relative_url", format!("`relative_url` {why}")))?;
    let method = match input.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
        HttpMethod::Put => Method::Put,
        HttpMethod::Patch => Method::Patch,
        HttpMethod::Delete => Method::Delete,
    };
    let mut request = Request::new(method, input.relative_url.as_str());
    for (name, value) in input.query.iter().flatten() {
        if name.is_empty() {
            return Err(CardError::invalid_input(
                "query",
                "query parameter names must not be empty",
            ));
        }
        request = request.query(name.as_str(), value.as_str());
    }
    for (name, value) in input.headers.iter().flatten() {
        let field = format!("headers.{name}");
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(CardError::invalid_input(field, "not a valid header name"));
        }
        // The value is never repeated in a message or a log: it may be a secret.
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(CardError::invalid_input(
                field,
                "a header value must not hold line breaks",
            ));
        }
        if IGNORED_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            ctx.warn(format!("header `{name}` is ignored: the host sets it"));
            continue;
        }
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = &input.body {
        request = request.json_body(body)?;
    }
    Ok(request.credential(Credential::Connection))
}

/// A header name character (RFC 9110 `tchar`).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The output for any response.
fn output_of(response: Response) -> Output {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &response.headers {
        let name = name.to_ascii_lowercase();
        if name == "set-cookie" {
            continue;
        }
        headers
            .entry(name)
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    let json = match response.header("content-type") {
        Some(_) => response.is_json(),
        None => !response.body.is_empty(),
    };
    let body = json
        .then(|| serde_json::from_slice(&response.body).ok())
        .flatten()
        .unwrap_or_else(|| Value::String(response.text()));
    Output {
        status: response.status,
        headers,
        body,
    }
}

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
