//! Query strings and pagination: `limit` (1..=100), opaque `offset` tokens
//! and the `next_page` object whose `uri` points back at the fake.

use super::errors::ApiError;
use super::fields::FieldTree;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::convert::Infallible;

/// The decoded query string, in order; never rejects.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Decodes a raw query string.
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-blank value of `name`.
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// The `opt_fields` selection.
    pub fn fields(&self) -> Option<FieldTree> {
        FieldTree::parse(self.get("opt_fields"))
    }

    /// An integer parameter within `min..=max`, or `default` when absent.
    pub fn bounded(&self, name: &str, min: usize, max: usize) -> Result<Option<usize>, ApiError> {
        let Some(raw) = self.non_blank(name) else {
            return Ok(None);
        };
        let value: i64 = raw
            .trim()
            .parse()
            .map_err(|_| ApiError::bad(name, &format!("Not a valid integer: {raw}")))?;
        if value < min as i64 || value > max as i64 {
            return Err(ApiError::bad(
                name,
                &format!("Must be between {min} and {max} inclusive"),
            ));
        }
        Ok(Some(value as usize))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Params, Infallible> {
        Ok(Params::parse(parts.uri.query()))
    }
}

/// Pagination requested by `limit` and `offset`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    limit: Option<usize>,
    start: usize,
}

impl Page {
    /// Reads `limit` and `offset` for the list at `path` (relative to the API base).
    pub fn from_params(params: &Params, path: &str) -> Result<Page, ApiError> {
        let limit = params.bounded("limit", 1, 100)?;
        let start = match params.non_blank("offset") {
            None => 0,
            Some(token) => decode_offset(token, path)
                .ok_or_else(|| ApiError::bad("offset", "Your pagination token is invalid"))?,
        };
        Ok(Page { limit, start })
    }

    /// `{"data": [...]}` for `items`, plus `next_page` when a `limit` was given.
    pub fn respond(&self, items: Vec<Value>, api_base: &str, path: &str, params: &Params) -> Value {
        let Some(limit) = self.limit else {
            return json!({ "data": items.into_iter().skip(self.start).collect::<Vec<_>>() });
        };
        let total = items.len();
        let end = self.start.saturating_add(limit).min(total);
        let data: Vec<Value> = items.into_iter().skip(self.start).take(limit).collect();
        let next_page = if end < total {
            let offset = encode_offset(end, path);
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in params.0.iter().filter(|(k, _)| k != "offset") {
                query.append_pair(k, v);
            }
            query.append_pair("offset", &offset);
            let relative = format!("{path}?{}", query.finish());
            json!({
                "offset": offset,
                "path": relative,
                "uri": format!("{api_base}{relative}"),
            })
        } else {
            Value::Null
        };
        json!({ "data": data, "next_page": next_page })
    }
}

/// An opaque token naming the position `index` in the list at `path`.
fn encode_offset(index: usize, path: &str) -> String {
    let claims = json!({ "o": index, "p": path });
    format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.{}",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The position a token names, if it was issued for `path`.
fn decode_offset(token: &str, path: &str) -> Option<usize> {
    let (_, payload) = token.split_once('.')?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    if claims.get("p")?.as_str()? != path {
        return None;
    }
    usize::try_from(claims.get("o")?.as_u64()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_only_for_their_list() {
        let token = encode_offset(3, "/users");
        assert_eq!(decode_offset(&token, "/users"), Some(3));
        assert_eq!(decode_offset(&token, "/workspaces"), None);
        assert_eq!(decode_offset("garbage", "/users"), None);
    }

    #[test]
    fn limit_is_bounded() {
        let params = Params::parse(Some("limit=0"));
        let err = Page::from_params(&params, "/users").unwrap_err();
        assert!(err.message().starts_with("limit: "));
        let params = Params::parse(Some("limit=101"));
        assert!(Page::from_params(&params, "/users").is_err());
        let params = Params::parse(Some("limit=100"));
        assert!(Page::from_params(&params, "/users").is_ok());
    }
}
