//! The OpenAPI 3.1 document of `/api/v1`, generated from the router itself
//! ([`aide`]): each route of [`super::v1`] is declared with its handler and a
//! `*_docs` function beside the handler, so a route cannot be served without
//! being documented, and request bodies, path and query parameters come from
//! the extractors' schemars types.
//!
//! - Served at `GET /api/v1/openapi.json`, without the API key: the document
//!   holds no secret and nothing about this host's data, and tools (code
//!   generators, schemathesis) fetch it before they have a key.
//! - Checked in as `schemas/json/openapi.json` with the JSON Schemas (see
//!   [`crate::schemas`]); the catalogue tests fail when it drifts.
//! - Success bodies the handlers build by hand are described by their
//!   top-level properties ([`view_schema!`]); nested objects are left open.
//!   Every error is an [`ErrorBody`]; each operation lists the statuses it
//!   can answer with, and every one of them can answer 401 (no key or a
//!   wrong one), 421 (a foreign `Host`) and 429 (too many wrong keys, with
//!   `Retry-After`). The guard's 403 for a cross-site state change is for
//!   browsers and is left out.

use std::sync::Arc;

use aide::axum::ApiRouter;
use aide::generate::in_context;
use aide::openapi::{
    Components, Header, Info, OpenApi, Operation, ParameterSchemaOrContent, ReferenceOr, Response,
    SchemaObject, SecurityScheme, Server, StatusCode,
};
use aide::operation::OperationOutput;
use aide::transform::TransformOperation;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Router};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde_json::Value;

use super::json::ErrorBody;
use crate::app::App;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// The name of the bearer security scheme (the API key).
const BEARER: &str = "api_key";

/// The document, as served and as checked in.
pub fn document() -> Value {
    finish(super::v1()).1.as_ref().clone()
}

/// Turn the documented routes into the router that serves them, and the
/// document (JSON) that describes them.
pub(super) fn finish(routes: ApiRouter<App>) -> (Router<App>, Arc<Value>) {
    // Every response is declared by the operation's docs, not inferred from
    // the handler's return type (a `Json<Value>` would say nothing).
    aide::generate::infer_responses(false);
    let mut api = OpenApi {
        info: Info {
            title: "cardhost".into(),
            version: "1".into(),
            description: Some(
                "The REST API of a cardhost: connectors, connections, org settings, \
                 cards and card runs, flows, their runs and triggers. Send the API key as \
                 `Authorization: Bearer <key>` (CARDHOST_API_KEY, or the api.key file in the \
                 data dir). Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`."
                    .into(),
            ),
            ..Info::default()
        },
        servers: vec![Server {
            url: "/api/v1".into(),
            ..Server::default()
        }],
        security: vec![IndexMap::from([(BEARER.to_string(), Vec::new())])],
        ..OpenApi::default()
    };
    let router = routes.finish_api(&mut api);
    api.components
        .get_or_insert_with(Components::default)
        .security_schemes
        .insert(
            BEARER.into(),
            ReferenceOr::Item(SecurityScheme::Http {
                scheme: "bearer".into(),
                bearer_format: None,
                description: Some(
                    "The host's API key: CARDHOST_API_KEY, or the api.key file in its data dir."
                        .into(),
                ),
                extensions: IndexMap::new(),
            }),
        );
    let mut value = serde_json::to_value(&api).expect("the OpenAPI document is JSON");
    value["paths"]["/openapi.json"] = document_path_item();
    (router, Arc::new(value))
}

/// The document's own operation: public (an empty security requirement).
fn document_path_item() -> Value {
    serde_json::json!({
        "get": {
            "tags": ["meta"],
            "operationId": "getOpenApiDocument",
            "summary": "This document (no API key needed)",
            "security": [{}],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document of /api/v1",
                    "content": {"application/json": {"schema": {"type": "object"}}}
                },
                "421": {
                    "description": MISDIRECTED,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                }
            }
        }
    })
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn serve(Extension(document): Extension<Arc<Value>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::Json(document.as_ref().clone()),
    )
}

/// An operation of `/api/v1`: its tag, id and summary, and the refusals
/// every operation can answer with: the key check's (401, 429) and the
/// guard's for a `Host` that is not one of this host's names (421).
pub fn op<'t>(
    t: TransformOperation<'t>,
    tag: &str,
    id: &str,
    summary: &str,
) -> TransformOperation<'t> {
    let t = t.tag(tag).id(id).summary(summary);
    let t = error(t, 401, "No API key, or a wrong one");
    let t = error(t, 421, MISDIRECTED);
    error(
        t,
        429,
        "Too many wrong API keys from this address; see Retry-After",
    )
}

const MISDIRECTED: &str = "The `Host` header is not one of this host's names";

/// A JSON response of `T` with `status`.
pub fn json<'t, T: JsonSchema>(
    mut t: TransformOperation<'t>,
    status: u16,
    description: &str,
) -> TransformOperation<'t> {
    let operation = t.inner_mut();
    let response = in_context(|ctx| axum::Json::<T>::operation_response(ctx, operation));
    if let Some(mut response) = response {
        response.description = description.into();
        insert(operation, status, response);
    }
    t
}

/// A response with no body.
pub fn empty<'t>(
    mut t: TransformOperation<'t>,
    status: u16,
    description: &str,
) -> TransformOperation<'t> {
    insert(
        t.inner_mut(),
        status,
        Response {
            description: description.into(),
            ..Response::default()
        },
    );
    t
}

/// Error responses ([`ErrorBody`]) with these statuses, each described by
/// what it means across the API.
pub fn errors<'t>(mut t: TransformOperation<'t>, statuses: &[u16]) -> TransformOperation<'t> {
    for &status in statuses {
        let description = match status {
            400 => "The input is malformed or invalid; `field` names what is wrong",
            403 => "Not allowed: e.g. the connection lacks a scope the card needs",
            404 => "No such thing",
            409 => "Conflicts with what exists",
            413 => "The body is larger than this operation accepts",
            422 => "Well-formed, but it cannot be done as asked",
            502 => "The provider failed or could not be reached",
            503 => "Busy or shutting down; try again",
            _ => "An error",
        };
        t = error(t, status, description);
    }
    t
}

fn error<'t>(
    mut t: TransformOperation<'t>,
    status: u16,
    description: &str,
) -> TransformOperation<'t> {
    let operation = t.inner_mut();
    let response = in_context(|ctx| axum::Json::<ErrorBody>::operation_response(ctx, operation));
    if let Some(mut response) = response {
        response.description = description.into();
        let header = match status {
            401 => Some((header::WWW_AUTHENTICATE, "`Bearer`")),
            429 => Some((header::RETRY_AFTER, "Seconds to wait before trying again")),
            _ => None,
        };
        if let Some((name, about)) = header {
            response
                .headers
                .insert(name.to_string(), ReferenceOr::Item(string_header(about)));
        }
        insert(operation, status, response);
    }
    t
}

/// A required response header holding a string.
pub fn string_header(description: &str) -> Header {
    Header {
        description: Some(description.into()),
        style: Default::default(),
        required: true,
        deprecated: None,
        format: ParameterSchemaOrContent::Schema(SchemaObject {
            json_schema: schemars::json_schema!({"type": "string"}),
            example: None,
            external_docs: None,
        }),
        example: None,
        examples: IndexMap::new(),
        extensions: IndexMap::new(),
    }
}

fn insert(operation: &mut Operation, status: u16, response: Response) {
    operation
        .responses
        .get_or_insert_with(Default::default)
        .responses
        .insert(StatusCode::Code(status), ReferenceOr::Item(response));
}

/// `{"data": [T, ...]}`: a list as the API answers it.
#[derive(JsonSchema)]
#[schemars(rename = "ListOf{T}")]
#[allow(dead_code)]
pub struct List<T> {
    pub data: Vec<T>,
}

/// The schema of a JSON object a handler builds by hand: a named schema
/// with its required top-level properties (each with a schema, `{}` for any
/// JSON); other properties may appear.
#[macro_export]
macro_rules! view_schema {
    ($(#[$doc:meta])* $name:ident { $($field:literal : $schema:tt),* $(,)? }) => {
        $(#[$doc])*
        pub struct $name;

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "object",
                    "required": [$($field),*],
                    "properties": { $($field: $schema),* }
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
        out
    }

    #[test]
    fn every_route_is_documented_with_its_errors() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops = operations(&doc);
        assert_eq!(
            ops.len(),
            30,
            "{:?}",
            ops.iter().map(|o| (&o.0, &o.1)).collect::<Vec<_>>()
        );
        let mut ids = std::collections::HashSet::new();
        for (path, method, op) in &ops {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no id"));
            assert!(ids.insert(id.to_string()), "{id} twice");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{id}: no success"
            );
            if path == "/openapi.json" {
                assert_eq!(
                    op["security"],
                    serde_json::json!([{}]),
                    "the document is public"
                );
                continue;
            }
            for status in ["401", "421", "429"] {
                assert!(responses.contains_key(status), "{id}: no {status}");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{id}: no 404");
                assert!(
                    !op["parameters"]
                        .as_array()
                        .expect("path parameters")
                        .is_empty(),
                    "{id}"
                );
            }
            if matches!(method.as_str(), "post" | "put" | "patch")
                && op.get("requestBody").is_some()
            {
                assert!(responses.contains_key("400"), "{id}: a body and no 400");
            }
        }
        assert_eq!(doc["security"], serde_json::json!([{BEARER: []}]));
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn bodies_and_errors_use_the_schemars_types() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for name in [
            "ErrorBody",
            "AppError",
            "FlowDefinition",
            "CreateConnection",
            "RunCard",
        ] {
            assert!(schemas.get(name).is_some(), "{name} is not a component");
        }
        let create = &doc["paths"]["/connections"]["post"];
        assert_eq!(
            create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CreateConnection"
        );
        assert_eq!(
            create["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
        assert_eq!(
            doc["paths"]["/flows/{id}"]["get"]["responses"]["429"]["headers"]["retry-after"]
                ["required"],
            true
        );
    }

    #[test]
    fn generating_twice_gives_the_same_document() {
        assert_eq!(document(), document());
    }
}
