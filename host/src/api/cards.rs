//! `/api/v1/cards`: the catalogue (list, get, install, delete) and running a
//! card on a connection.

use aide::transform::TransformOperation;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{status, ApiResult, Body, ErrorBody, PathOf};
use super::openapi::{errors, json, op, List};
use crate::app::App;
use crate::error::{AppError, Kind};
use crate::runtime::catalogue::{CardRecord, Listed, MAX_CARD_BYTES};

/// `{card}` of `/cards/{card}`.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct CardPath {
    /// The card's id, e.g. `asana.read-user`.
    pub card: String,
}

crate::view_schema! {
    /// A card as the API shows it ([`listed_json`]): its manifest (see
    /// schemas/json/card-manifest.json), `hash`, `builtin`, `installed_at`,
    /// `available`, and `unavailable_reason` when it cannot run.
    CardView {
        "id": {"type": "string"},
        "hash": {"type": "string"},
        "builtin": {"type": "boolean"},
        "available": {"type": "boolean"},
    }
}

crate::view_schema! {
    /// A card as installed or deleted ([`card_json`]).
    CardRecordView {
        "id": {"type": "string"},
        "hash": {"type": "string"},
        "builtin": {"type": "boolean"},
    }
}

crate::view_schema! {
    /// An installed card, and the version it replaced.
    InstalledCard {
        "card": {"type": "object"},
        "upgraded_from": {},
    }
}

crate::view_schema! {
    /// A deleted card.
    DeletedCard {
        "deleted": {"type": "object"},
    }
}

crate::view_schema! {
    /// A card run that succeeded: its output, HTTP calls and logs.
    CardRunView {
        "card": {"type": "string"},
        "connection": {"type": "string"},
        "output": {},
        "calls": {"type": "array"},
        "logs": {"type": "array"},
        "duration_ms": {"type": "number"},
    }
}

/// A card as the API shows it: its manifest, plus hash, builtin and
/// installed_at.
pub fn card_json(record: &CardRecord) -> Value {
    let mut v = json!(record.manifest);
    v["hash"] = json!(record.hash);
    v["builtin"] = json!(record.builtin);
    v["installed_at"] = json!(record.installed_at);
    v
}

/// A listed card as the API shows it: [`card_json`] plus `available`, and
/// `unavailable_reason` when it cannot run.
pub fn listed_json(listed: &Listed) -> Value {
    let mut v = card_json(&listed.record);
    v["available"] = json!(listed.unavailable.is_none());
    if let Some(reason) = &listed.unavailable {
        v["unavailable_reason"] = json!(reason);
    }
    v
}

fn unknown(card: &str) -> AppError {
    AppError::new(
        Kind::NotFound,
        "unknown_card",
        format!("no card {card:?}; GET /api/v1/cards lists them"),
    )
}

pub fn list_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "cards", "listCards", "The card catalogue");
    json::<List<CardView>>(t, 200, "Built-in and installed cards")
}

/// `GET /api/v1/cards`.
pub async fn list(State(app): State<App>) -> Json<Value> {
    let cards: Vec<Value> = app.catalogue.list().await.iter().map(listed_json).collect();
    Json(json!({ "data": cards }))
}

pub fn get_one_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "cards", "getCard", "A card");
    let t = json::<CardView>(t, 200, "The card");
    errors(t, &[400, 404])
}

/// `GET /api/v1/cards/{card}`.
pub async fn get_one(
    State(app): State<App>,
    PathOf(CardPath { card }): PathOf<CardPath>,
) -> ApiResult<Json<Value>> {
    let listed = app
        .catalogue
        .listed(&card)
        .await
        .ok_or_else(|| unknown(&card))?;
    Ok(Json(listed_json(&listed)))
}

pub fn delete_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "cards", "deleteCard", "Remove an installed card");
    let t = json::<DeletedCard>(t, 200, "Removed");
    errors(t, &[400, 404, 409])
}

/// `DELETE /api/v1/cards/{card}`: remove an installed card, its component
/// and its compiled artifact. 409 for a built-in card, and for a card that
/// flows use (they are named: change or delete them first).
pub async fn delete(
    State(app): State<App>,
    PathOf(CardPath { card }): PathOf<CardPath>,
) -> ApiResult<Json<Value>> {
    if app.catalogue.record(&card).await.is_none() {
        return Err(unknown(&card).into());
    }
    let users: Vec<String> = app
        .flows
        .list()?
        .into_iter()
        .filter(|f| f.definition.card_steps().iter().any(|s| s.card == card))
        .map(|f| format!("{} ({})", f.id, f.definition.name))
        .collect();
    if !users.is_empty() {
        return Err(AppError::new(
            Kind::Conflict,
            "card_in_use",
            format!(
                "card {card} is used by {} flow(s): {}; change or delete them first",
                users.len(),
                users.join(", ")
            ),
        )
        .into());
    }
    let record = app.catalogue.delete(&card).await.map_err(AppError::from)?;
    Ok(Json(json!({ "deleted": card_json(&record) })))
}

/// The query of `POST /api/v1/cards`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallQuery {
    /// Replace the installed card of the same id by this different version.
    #[serde(default)]
    pub upgrade: bool,
}

/// The `?upgrade=true|false` query of an install, or a 400 that says so.
pub fn upgrade_query(
    query: Result<Query<InstallQuery>, QueryRejection>,
) -> Result<InstallQuery, AppError> {
    query.map(|Query(q)| q).map_err(|e| {
        AppError::new(
            Kind::BadRequest,
            "invalid_query",
            format!(
                "{}; the only parameter is upgrade=true|false",
                e.body_text()
            ),
        )
    })
}

pub fn install_docs(mut t: TransformOperation) -> TransformOperation {
    t.inner_mut().request_body = Some(aide::openapi::ReferenceOr::Item(
        aide::openapi::RequestBody {
            description: Some(format!(
                "The card's WebAssembly component, at most {MAX_CARD_BYTES} bytes"
            )),
            content: indexmap::IndexMap::from([(
                "application/wasm".to_string(),
                aide::openapi::MediaType {
                    schema: Some(aide::openapi::SchemaObject {
                        json_schema: schemars::json_schema!({"type": "string", "contentMediaType": "application/wasm"}),
                        example: None,
                        external_docs: None,
                    }),
                    ..Default::default()
                },
            )]),
            required: true,
            extensions: Default::default(),
        },
    ));
    let t = op(
        t,
        "cards",
        "installCard",
        "Install a card from its component",
    );
    let t = json::<InstalledCard>(t, 201, "Installed");
    let t = json::<InstalledCard>(t, 200, "Upgraded (`?upgrade=true`)");
    errors(t, &[400, 409, 413, 422])
}

/// `POST /api/v1/cards` (body: the component, `Content-Type:
/// application/wasm`, at most 16 MiB): install a card, or with
/// `?upgrade=true` replace the installed version. 201 for a new card, 200
/// for an upgrade.
pub async fn install(
    State(app): State<App>,
    query: Result<Query<InstallQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let query = upgrade_query(query)?;
    let is_wasm = super::json::has_content_type(&headers, "application/wasm");
    if !is_wasm {
        return Err(AppError::new(
            Kind::BadRequest,
            "unsupported_media_type",
            "the body must be the card's component bytes with Content-Type: application/wasm",
        )
        .into());
    }
    let bytes = body.map_err(|rejection| {
        super::json::body_rejection(
            &rejection,
            AppError::new(
                Kind::TooLarge,
                "card_too_large",
                format!("the component is larger than the {MAX_CARD_BYTES} bytes a card may have"),
            ),
        )
    })?;
    let installed = app
        .catalogue
        .install(bytes.to_vec(), query.upgrade)
        .await
        .map_err(AppError::from)?;
    let code = match installed.upgraded_from {
        Some(_) => StatusCode::OK,
        None => StatusCode::CREATED,
    };
    Ok((
        code,
        Json(json!({
            "card": card_json(&installed.card),
            "upgraded_from": installed.upgraded_from,
        })),
    ))
}

/// `POST /api/v1/cards/{card}/run`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCard {
    /// The connection's id or nickname.
    pub connection: String,
    /// The card's input; it must match the card's input schema.
    #[serde(default = "empty_object")]
    pub input: Value,
}

fn empty_object() -> Value {
    json!({})
}

pub fn run_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "cards", "runCard", "Run a card on a connection").description(
        "A run that fails answers with the status of its failure, and the body has `run` \
         (its calls and logs) beside `error`.",
    );
    let t = json::<CardRunView>(t, 200, "The run succeeded");
    let t = errors(t, &[400, 403, 404, 409, 413, 422, 502, 503]);
    json::<ErrorBody>(
        t,
        500,
        "The card failed in a way that is a bug (a trap, a bad answer)",
    )
}

pub async fn run(
    State(app): State<App>,
    PathOf(CardPath { card }): PathOf<CardPath>,
    Body(req): Body<RunCard>,
) -> ApiResult<Response> {
    let run = app.runner.run(&card, &req.connection, &req.input).await?;
    Ok(match &run.error {
        None => Json(run).into_response(),
        Some(failure) => {
            let body = json!({
                "error": failure,
                "run": {"card": run.card, "connection": run.connection, "calls": run.calls, "logs": run.logs, "duration_ms": run.duration_ms},
            });
            (status(failure.kind), Json(body)).into_response()
        }
    })
}
