//! `/api/v1/connectors`: the connectors this host knows (built in or
//! installed), with their auth methods and scope catalogues; installing one
//! from its definition and removing an installed one.

use aide::transform::TransformOperation;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use super::cards::{upgrade_query, InstallQuery};
use super::json::{has_content_type, ApiResult, PathOf};
use super::openapi::{empty, errors, json, op, List};
use crate::app::App;
use crate::connectors::Connector;
use crate::error::{AppError, Kind};

/// `{id}` of `/connectors/{id}`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct ConnectorId {
    /// The connector's id, e.g. `asana`.
    pub id: String,
}

crate::view_schema! {
    /// A connector as the API shows it ([`connector_json`]); `GET
    /// /connectors/{id}` adds its whole `definition`.
    ConnectorView {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "builtin": {"type": "boolean"},
        "api_base": {"type": "string"},
        "allowed_hosts": {"type": "array"},
        "auth_methods": {"type": "array"},
        "scopes": {"type": "array"},
        "oauth_configured": {"type": "boolean"},
        "settings": {"type": "object"},
    }
}

/// A connector as the API shows it: what it is, how a connection
/// authenticates, and the scopes a new OAuth connection would ask for now.
/// Never a secret: for the OAuth app, only whether one is configured.
pub async fn connector_json(app: &App, c: &Connector) -> Value {
    let d = &c.definition;
    let mut auth_methods = Vec::new();
    if let (Some(o), Some(endpoints)) = (c.oauth2(), &c.oauth) {
        let scopes: Vec<Value> = o
            .scopes
            .iter()
            .map(|(name, description)| json!({"name": name, "description": description}))
            .collect();
        auth_methods.push(json!({
            "type": "oauth2",
            "authorize_url": endpoints.authorize_url.as_str(),
            "token_url": endpoints.token_url.as_str(),
            "pkce": o.pkce,
            "refresh_tokens": o.refresh_tokens,
            "client_auth": o.client_auth,
            "revoke": {"method": o.revoke.method, "token": o.revoke.token, "client_auth": o.revoke.client_auth},
            "configured": app.connections.oauth_app(c).is_ok(),
            "redirect_uri": app.connections.redirect_uri(c),
            "scopes": scopes,
            "scope_implies": o.scope_implies,
            "full_access_scope": o.full_access_scope,
        }));
    }
    if let Some(t) = &d.auth.token {
        auth_methods.push(json!({
            "type": "token",
            "label": t.label,
            "description": t.description,
            "scheme": t.scheme,
        }));
    }
    if let Some(sa) = &d.auth.service_account {
        auth_methods.push(json!({"type": "service_account", "description": sa.description}));
    }
    json!({
        "id": c.id,
        "name": c.name,
        "description": d.description,
        "docs_url": d.docs_url,
        "builtin": c.builtin,
        "api_base": c.api_base.as_str(),
        "allowed_hosts": c.allowed_hosts,
        "auth_methods": auth_methods,
        // Kept at the top level for clients of the first API version.
        "scopes": auth_methods.first().and_then(|m| m.get("scopes")).cloned().unwrap_or(json!([])),
        "full_access_scope": c.full_access_scope(),
        "full_permissions": app.connections.full_permissions(c),
        "cards_need": app.connections.cards_need(c).await,
        "default_scopes": app.connections.scopes_to_request(c, None).await,
        "oauth_configured": app.connections.oauth_app(c).is_ok(),
        "redirect_uri": app.connections.redirect_uri(c),
        "settings": d.settings,
        "default_workspace": d.default_workspace.as_ref().map(|w| &w.label),
    })
}

pub fn list_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connectors",
        "listConnectors",
        "The connectors this host knows",
    );
    json::<List<ConnectorView>>(t, 200, "Built-in and installed connectors")
}

/// `GET /api/v1/connectors`.
pub async fn list(State(app): State<App>) -> Json<Value> {
    let mut list = Vec::new();
    for c in app.registry.all() {
        list.push(connector_json(&app, &c).await);
    }
    Json(json!({ "data": list }))
}

pub fn get_one_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connectors",
        "getConnector",
        "A connector, with its definition",
    );
    let t = json::<ConnectorView>(t, 200, "The connector and its `definition`");
    errors(t, &[400, 404])
}

/// `GET /api/v1/connectors/{id}`: the connector, with its whole definition.
pub async fn get_one(
    State(app): State<App>,
    PathOf(ConnectorId { id }): PathOf<ConnectorId>,
) -> ApiResult<Json<Value>> {
    let c = app.connections.connector_or_404(&id)?;
    let mut v = connector_json(&app, &c).await;
    v["definition"] = json!(*c.definition);
    Ok(Json(v))
}

pub fn install_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connectors",
        "installConnector",
        "Install a connector from its definition",
    )
    .description(
        "The body is a connector definition (see schemas/json/connector.json), as TOML \
         (`Content-Type: application/toml`) or JSON (`application/json`). \
         `?upgrade=true` replaces an installed connector of the same id.",
    );
    let t = definition_body(t);
    let t = json::<ConnectorView>(t, 201, "Installed");
    let t = json::<ConnectorView>(t, 200, "Replaced the installed connector of the same id");
    errors(t, &[400, 409, 413, 422])
}

/// The request body of an install: a definition in TOML or JSON.
fn definition_body(mut t: TransformOperation) -> TransformOperation {
    let operation = t.inner_mut();
    let json = aide::generate::in_context(|ctx| {
        ctx.schema
            .subschema_for::<crate::connectors::ConnectorDefinition>()
    });
    let media = |schema: schemars::Schema| aide::openapi::MediaType {
        schema: Some(aide::openapi::SchemaObject {
            json_schema: schema,
            example: None,
            external_docs: None,
        }),
        ..Default::default()
    };
    operation.request_body = Some(aide::openapi::ReferenceOr::Item(
        aide::openapi::RequestBody {
            description: Some("A connector definition".into()),
            content: indexmap::IndexMap::from([
                ("application/json".to_string(), media(json)),
                (
                    "application/toml".to_string(),
                    media(schemars::json_schema!({"type": "string"})),
                ),
            ]),
            required: true,
            extensions: Default::default(),
        },
    ));
    t
}

/// `POST /api/v1/connectors[?upgrade=true]`: install a connector from its
/// definition, TOML (`application/toml`) or JSON (`application/json`).
/// 201 when new, 200 when it replaced an installed one.
pub async fn install(
    State(app): State<App>,
    query: Result<Query<InstallQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let query = upgrade_query(query)?;
    if !has_content_type(&headers, "application/toml")
        && !has_content_type(&headers, "application/json")
    {
        return Err(AppError::new(
            Kind::BadRequest,
            "unsupported_media_type",
            "the body must be a connector definition with Content-Type: application/toml or application/json",
        )
        .into());
    }
    let bytes = body.map_err(|rejection| {
        super::json::body_rejection(
            &rejection,
            AppError::new(
                Kind::TooLarge,
                "body_too_large",
                "the definition is larger than this endpoint accepts",
            ),
        )
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AppError::invalid("definition", "the definition is not UTF-8 text"))?;
    let installed = app
        .connections
        .install_connector(text, query.upgrade)
        .await?;
    let c = app.connections.connector_or_404(&installed.id)?;
    let status = if installed.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(connector_json(&app, &c).await)))
}

pub fn delete_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connectors",
        "deleteConnector",
        "Remove an installed connector",
    );
    let t = empty(t, 204, "Removed");
    errors(t, &[400, 404, 409])
}

/// `DELETE /api/v1/connectors/{id}`: remove an installed connector that no
/// connection or card uses.
pub async fn delete(
    State(app): State<App>,
    PathOf(ConnectorId { id }): PathOf<ConnectorId>,
) -> ApiResult<StatusCode> {
    app.connections.delete_connector(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
