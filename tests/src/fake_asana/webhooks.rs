//! Asana's webhooks (https://developers.asana.com/docs/webhooks-guide):
//! `POST /webhooks` with its synchronous handshake, `GET /webhooks`,
//! `GET /webhooks/{webhook_gid}` and `DELETE /webhooks/{webhook_gid}`, and the
//! records they keep. Events are made in `webhook_events.rs` and delivered
//! by `deliveries.rs`; tests steer them through `webhook_controls.rs`.

use super::auth::{bearer, Auth};
use super::deliveries;
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::model::Store;
use super::query::{Page, Params};
use super::state::{random_secret, AppState, Inner, TokenKind};
use super::task_input::{opt_string, render_date_time, request_data};
use super::users::{viewer, workspace_param};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use url::{Host, Url};

/// The header of the handshake (and of the 201 body) carrying the secret.
pub const HOOK_SECRET: &str = "X-Hook-Secret";

/// The header of every delivery carrying the body's HMAC-SHA256.
pub const HOOK_SIGNATURE: &str = "X-Hook-Signature";

/// What `Event.action` (and a filter's `action`) may be
/// (https://developers.asana.com/docs/webhooks-guide#actions).
const ACTIONS: &[&str] = &["changed", "added", "removed", "deleted", "undeleted"];

/// How webhooks behave: Asana's documented timings by default, shorter ones
/// for tests. Set with [`super::FakeAsana::set_webhook_options`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    /// TEST DEVIATION from Asana: accept `http://` targets on loopback hosts
    /// (`127.0.0.0/8`, `::1`, `localhost`). Asana answers 403 to such
    /// targets and 400 to plain http; the host's tests receive webhooks on
    /// 127.0.0.1 over http, so they turn this on. Off by default.
    pub allow_loopback_targets: bool,
    /// How long the handshake and each delivery may take before it counts
    /// as failed (Asana: 10 s).
    pub delivery_timeout: Duration,
    /// The first retry delay after a failed delivery; each further failure
    /// doubles it. Asana documents exponential backoff without its base
    /// ("if your servers are not available for an hour, you can expect it to
    /// take no longer than approximately an hour after they come back"),
    /// which doubling from any base satisfies; the fake uses one minute.
    pub retry_base: Duration,
    /// How long deliveries may keep failing before Asana deletes the
    /// webhook (24 h).
    pub failure_window: Duration,
    /// How often an empty, signed heartbeat is sent (every 8 h).
    pub heartbeat_interval: Duration,
}

impl Default for WebhookOptions {
    /// Asana's behaviour: https and public targets only, 10 s timeout,
    /// backoff from one minute, deletion after 24 h of failures, heartbeats
    /// every 8 h.
    fn default() -> WebhookOptions {
        WebhookOptions {
            allow_loopback_targets: false,
            delivery_timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(60),
            failure_window: Duration::from_secs(24 * 3600),
            heartbeat_interval: Duration::from_secs(8 * 3600),
        }
    }
}

impl WebhookOptions {
    /// For tests on loopback: http and loopback targets accepted, 2 s
    /// timeout, retries from 50 ms; the failure window and the heartbeat
    /// interval stay Asana's.
    pub fn for_tests() -> WebhookOptions {
        WebhookOptions {
            allow_loopback_targets: true,
            delivery_timeout: Duration::from_secs(2),
            retry_base: Duration::from_millis(50),
            ..WebhookOptions::default()
        }
    }
}

/// Whose a webhook is: Asana lists "all webhooks your app has registered
/// for the authenticated user".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user_gid: String,
    /// The OAuth app's client id; `None` for personal access tokens and the
    /// service account token, which the fake counts as one app per user
    /// (Asana does not say how it groups them).
    pub app: Option<String>,
}

/// Extracts the owner of the calling token (the route has `Auth` too).
#[derive(Debug, Clone)]
pub struct CallingOwner(pub Owner);

impl FromRequestParts<AppState> for CallingOwner {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<CallingOwner, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let inner = state.lock();
        let record = inner.tokens.get(token).ok_or_else(ApiError::unauthorized)?;
        let app = match &record.kind {
            TokenKind::OAuth {
                refresh_token: Some(refresh),
                ..
            } => inner.refresh.get(refresh).map(|r| r.client_id.clone()),
            _ => None,
        };
        Ok(CallingOwner(Owner {
            user_gid: record.user_gid.clone(),
            app,
        }))
    }
}

/// One entry of a webhook's `filters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub resource_type: Option<String>,
    pub resource_subtype: Option<String>,
    pub action: Option<String>,
    pub fields: Option<Vec<String>>,
}

impl Filter {
    /// Whether an event (`EventResponse`) passes this filter: every key the
    /// filter gives must match; `fields` only passes `changed` events whose
    /// `change.field` it lists.
    pub fn passes(&self, event: &Value) -> bool {
        let same = |wanted: &Option<String>, actual: &Value| {
            wanted.as_deref().is_none_or(|w| actual.as_str() == Some(w))
        };
        same(&self.resource_type, &event["resource"]["resource_type"])
            && same(
                &self.resource_subtype,
                &event["resource"]["resource_subtype"],
            )
            && same(&self.action, &event["action"])
            && self.fields.as_ref().is_none_or(|fields| {
                event["action"] == "changed"
                    && event["change"]["field"]
                        .as_str()
                        .is_some_and(|f| fields.iter().any(|w| w == f))
            })
    }

    /// The filter as Asana renders it (only the keys given).
    pub fn json(&self) -> Value {
        let mut out = Map::new();
        for (key, value) in [
            ("resource_type", &self.resource_type),
            ("resource_subtype", &self.resource_subtype),
            ("action", &self.action),
        ] {
            if let Some(v) = value {
                out.insert(key.to_string(), json!(v));
            }
        }
        if let Some(fields) = &self.fields {
            out.insert("fields".to_string(), json!(fields));
        }
        Value::Object(out)
    }
}

/// What a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A batch of events.
    Events,
    /// An empty `{"events":[]}`, periodic or asked for.
    Heartbeat,
    /// An earlier delivery sent again byte for byte
    /// ([`super::FakeAsana::redeliver_last`]).
    Redelivery,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not attempted yet (or waiting while deliveries are paused).
    Pending,
    /// Failed at least once; it will be retried.
    Retrying,
    /// The target answered 2xx in time.
    Delivered,
    /// The webhook was deleted before it got through.
    Abandoned,
}

/// One POST to a webhook's target (with its retries), as the fake made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub kind: DeliveryKind,
    /// The exact bytes sent (the same on every attempt).
    pub body: Vec<u8>,
    /// The `X-Hook-Signature` sent: lowercase hex HMAC-SHA256 of `body`.
    pub signature: String,
    pub status: DeliveryStatus,
    /// How many times it was POSTed.
    pub attempts: u32,
    /// The status of the last answer, if any came (none on timeouts and
    /// connection failures).
    pub last_response_status: Option<u16>,
}

impl Delivery {
    /// The events of the body (empty for a heartbeat).
    pub fn events(&self) -> Vec<Value> {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["events"].as_array().cloned())
            .unwrap_or_default()
    }
}

/// Something waiting to be sent to a target.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// One event, batched with the events queued after it.
    Event(Value),
    Heartbeat,
    /// A body sent before, sent again unchanged.
    Replay(Vec<u8>),
}

/// A live webhook.
#[derive(Debug)]
pub struct Webhook {
    pub gid: String,
    pub owner: Owner,
    /// The workspace its resource is in (a team's organization).
    pub workspace: String,
    /// `{gid, resource_type, name}` of the resource.
    pub resource: Value,
    pub target: String,
    pub filters: Vec<Filter>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub last_failure_content: Option<String>,
    pub delivery_retry_count: u32,
    pub next_attempt_after: Option<DateTime<Utc>>,
    /// When the current run of failures began.
    pub failing_since: Option<(Instant, DateTime<Utc>)>,
    pub outgoing: VecDeque<Outgoing>,
    pub next_heartbeat: Instant,
    /// Wakes the webhook's delivery task.
    pub wake: Arc<Notify>,
}

impl Webhook {
    /// The resource's gid.
    pub fn resource_gid(&self) -> &str {
        self.resource["gid"].as_str().unwrap_or_default()
    }

    /// Whether an event passes the filters (all pass without any).
    pub fn wants(&self, event: &Value) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| f.passes(event))
    }

    /// The full form (`WebhookResponse`).
    pub fn json(&self, window: Duration) -> Value {
        let time = |t: &Option<DateTime<Utc>>| t.as_ref().map(render_date_time);
        let deletion = self.failing_since.map(|(_, since)| {
            render_date_time(
                &(since + chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX)),
            )
        });
        json!({
            "gid": self.gid,
            "resource_type": "webhook",
            // Asana's example shows `false` right after creation; the
            // schema says true means "the webhook will send events", which
            // a webhook past its handshake does.
            "active": true,
            "resource": self.resource,
            "target": self.target,
            "created_at": render_date_time(&self.created_at),
            "last_success_at": time(&self.last_success_at),
            "last_failure_at": time(&self.last_failure_at),
            "last_failure_content": self.last_failure_content,
            "delivery_retry_count": self.delivery_retry_count,
            "next_attempt_after": time(&self.next_attempt_after),
            "failure_deletion_timestamp": deletion,
            "filters": self.filters.iter().map(Filter::json).collect::<Vec<_>>(),
        })
    }
}

/// Every webhook of a fake, their deliveries and the delivery tasks.
#[derive(Debug)]
pub struct WebhookState {
    pub options: WebhookOptions,
    /// Live webhooks, oldest first.
    pub hooks: Vec<Webhook>,
    /// Deliveries per webhook gid, oldest first; kept after the webhook goes.
    pub log: HashMap<String, Vec<Delivery>>,
    /// While true, nothing is sent (events queue up).
    pub paused: bool,
    /// Sends handshakes and deliveries; redirects are not followed.
    pub client: reqwest::Client,
    /// The delivery task of each live webhook.
    pub tasks: HashMap<String, JoinHandle<()>>,
}

impl Default for WebhookState {
    fn default() -> WebhookState {
        WebhookState {
            options: WebhookOptions::default(),
            hooks: Vec::new(),
            log: HashMap::new(),
            paused: false,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            tasks: HashMap::new(),
        }
    }
}

impl WebhookState {
    /// The live webhook with this gid.
    pub fn hook(&self, gid: &str) -> Option<&Webhook> {
        self.hooks.iter().find(|h| h.gid == gid)
    }

    /// The live webhook with this gid, to change.
    pub fn hook_mut(&mut self, gid: &str) -> Option<&mut Webhook> {
        self.hooks.iter_mut().find(|h| h.gid == gid)
    }

    /// Removes a webhook: its task stops (unless `keep_task`, when the task
    /// itself is the one removing it), and what it had not delivered is
    /// abandoned. False if there was no such webhook.
    pub fn remove(&mut self, gid: &str, keep_task: bool) -> bool {
        let before = self.hooks.len();
        self.hooks.retain(|h| h.gid != gid);
        if let Some(task) = self.tasks.remove(gid) {
            if !keep_task {
                task.abort();
            }
        }
        for delivery in self.log.get_mut(gid).into_iter().flatten() {
            if matches!(
                delivery.status,
                DeliveryStatus::Pending | DeliveryStatus::Retrying
            ) {
                delivery.status = DeliveryStatus::Abandoned;
            }
        }
        self.hooks.len() != before
    }

    /// Stops every delivery task (the fake is going away).
    pub fn stop_all(&mut self) {
        for (_, task) in self.tasks.drain() {
            task.abort();
        }
    }

    /// Queues `event` for every webhook on one of `scope` (resource gids)
    /// whose filters pass it.
    pub fn dispatch(&mut self, event: &Value, scope: &[String]) {
        for hook in self.hooks.iter_mut() {
            if scope.iter().any(|g| g == hook.resource_gid()) && hook.wants(event) {
                hook.outgoing.push_back(Outgoing::Event(event.clone()));
                hook.wake.notify_one();
            }
        }
    }
}

/// What a webhook is on, as the fake knows it.
struct Resource {
    json: Value,
    workspace: String,
    /// Teams, portfolios and workspaces: filters are required and may not
    /// name `fields`.
    high_level: bool,
}

/// Finds the resource of a new webhook among those the viewer can see.
fn find_resource(store: &Store, viewer_gid: &str, gid: &str) -> Result<Resource, ApiError> {
    let me = store.user(viewer_gid).ok_or_else(ApiError::unauthorized)?;
    let named = |kind: &str, name: &Value| json!({"gid": gid, "resource_type": kind, "name": name});
    if let Some(p) = store.project(gid).filter(|p| store.can_see_project(me, p)) {
        return Ok(Resource {
            json: named("project", &json!(p.name)),
            workspace: p.workspace.clone(),
            high_level: false,
        });
    }
    if let Some(t) = store.task(gid).filter(|t| me.member_of(&t.workspace)) {
        return Ok(Resource {
            json: named("task", &t.full["name"]),
            workspace: t.workspace.clone(),
            high_level: false,
        });
    }
    if let Some(t) = store.team(gid).filter(|t| store.can_see_team(me, t)) {
        return Ok(Resource {
            json: named("team", &json!(t.name)),
            workspace: t.organization.clone(),
            high_level: true,
        });
    }
    if let Some(w) = store.workspace(gid).filter(|w| me.member_of(&w.gid)) {
        return Ok(Resource {
            json: named("workspace", &json!(w.name)),
            workspace: w.gid.clone(),
            high_level: true,
        });
    }
    // Asana takes webhooks on more kinds (sections, tags, goals, ...); the
    // fake makes events for tasks and stories only, so it says so rather
    // than keep a webhook that would never fire.
    let other = if store.section(gid).is_some() {
        Some("sections")
    } else if store.tag(gid).is_some() {
        Some("tags")
    } else if store.user(gid).is_some() {
        Some("users")
    } else if store.stories.iter().any(|s| s.gid == gid) {
        Some("stories")
    } else {
        None
    };
    Err(match other {
        Some(kind) => ApiError::bad(
            "resource",
            &format!("The fake Asana does not model webhooks on {kind} (only projects, tasks, teams and workspaces)"),
        ),
        None => ApiError::not_recognized("resource", gid),
    })
}

/// Reads `filters`: objects whose `action` Asana knows, `fields` only for
/// `changed` and never on high-level resources.
fn read_filters(data: &Map<String, Value>, high_level: bool) -> Result<Vec<Filter>, ApiError> {
    let items = match data.get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(ApiError::bad("filters", "Not an array")),
    };
    let mut filters = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(ApiError::bad(&format!("filters[{i}]"), "Not an object"));
        };
        let field = |name: &str| format!("filters[{i}].{name}");
        let string = |name: &str| match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Some(_) => Err(ApiError::bad(&field(name), "Not a non-empty string")),
        };
        let action = string("action")?;
        if let Some(a) = &action {
            if !ACTIONS.contains(&a.as_str()) {
                return Err(ApiError::bad(
                    &field("action"),
                    &format!("Not a valid value: {a} (one of {})", ACTIONS.join(", ")),
                ));
            }
        }
        let fields = match map.get("fields") {
            None | Some(Value::Null) => None,
            Some(Value::Array(list)) => Some(
                list.iter()
                    .map(|f| f.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| ApiError::bad(&field("fields"), "Not a list of strings"))?,
            ),
            Some(_) => return Err(ApiError::bad(&field("fields"), "Not a list of strings")),
        };
        if fields.is_some() {
            if high_level {
                return Err(ApiError::bad(
                    &field("fields"),
                    "Webhooks on workspaces, teams and portfolios do not support fields",
                ));
            }
            if action.as_deref().is_some_and(|a| a != "changed") {
                return Err(ApiError::bad(
                    &field("fields"),
                    "Only valid for filters whose action is changed",
                ));
            }
        }
        filters.push(Filter {
            resource_type: string("resource_type")?,
            resource_subtype: string("resource_subtype")?,
            action,
            fields,
        });
    }
    if high_level && filters.is_empty() {
        return Err(ApiError::bad(
            "filters",
            "Webhooks on workspaces, teams and portfolios must specify filters",
        ));
    }
    Ok(filters)
}

/// Whether an address is loopback.
fn loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    }
}

/// Whether an IPv4 address cannot be reached from the internet.
fn non_public_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        // 100.64.0.0/10, carrier-grade NAT.
        || (ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64)
}

/// Whether an IPv6 address cannot be reached from the internet.
fn non_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || ip.to_ipv4_mapped().is_some_and(non_public_v4)
}

/// Checks a target: https to a publicly reachable host, as Asana requires.
/// With `allow_loopback` (a test deviation, see [`WebhookOptions`]), http and
/// https to loopback hosts pass too. Hostnames other than `localhost` are
/// not resolved. The wording of both refusals is not documented.
fn check_target(raw: &str, allow_loopback: bool) -> Result<Url, ApiError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| ApiError::bad("target", &format!("Not a valid URL: {e}")))?;
    let (loopback, public) = match url.host() {
        None => return Err(ApiError::bad("target", "Not a valid URL: it has no host")),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            let local = d == "localhost" || d.ends_with(".localhost");
            (local, !local)
        }
        Some(Host::Ipv4(ip)) => (ip.is_loopback(), !non_public_v4(ip)),
        Some(Host::Ipv6(ip)) => (loopback_ip(IpAddr::V6(ip)), !non_public_v6(ip)),
    };
    let allowed_loopback = loopback && allow_loopback;
    if !public && !allowed_loopback {
        return Err(ApiError::forbidden(format!(
            "target: Invalid hostname {}: webhook targets must be publicly reachable",
            url.host_str().unwrap_or_default()
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if allowed_loopback => Ok(url),
        other => Err(ApiError::bad(
            "target",
            &format!("The target must be an https URL, not {other}"),
        )),
    }
}

/// The handshake: POSTs `X-Hook-Secret` to the target (empty body, as in
/// Asana's example) and expects 200 or 204 echoing it.
async fn handshake(
    client: &reqwest::Client,
    target: &Url,
    secret: &str,
    timeout: Duration,
) -> Result<(), String> {
    let response = client
        .post(target.clone())
        .header(HOOK_SECRET, secret)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!(
                    "the target did not answer within {} s",
                    timeout.as_secs_f32()
                )
            } else {
                "the target could not be reached".to_string()
            }
        })?;
    let status = response.status().as_u16();
    if status != 200 && status != 204 {
        return Err(format!("the target answered {status}, not 200 or 204"));
    }
    let echoed = response
        .headers()
        .get(HOOK_SECRET)
        .and_then(|v| v.to_str().ok());
    if echoed != Some(secret) {
        return Err(format!(
            "the target did not echo the {HOOK_SECRET} header it was sent"
        ));
    }
    Ok(())
}

/// `POST /webhooks`: validates, runs the handshake while the request waits,
/// then answers 201 `{"data": WebhookResponse, "X-Hook-Secret": secret}`.
pub async fn create_webhook(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CallingOwner(owner): CallingOwner,
    params: Params,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let data = request_data(&body)?;
    let resource_gid = opt_string(&data, "resource")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("resource"))?;
    let target_raw = opt_string(&data, "target")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::missing("target"))?;
    let (resource, filters, target, client, timeout) = {
        let inner = state.lock();
        let resource = find_resource(&inner.store, &principal.user_gid, &resource_gid)?;
        let filters = read_filters(&data, resource.high_level)?;
        let options = &inner.webhooks.options;
        let target = check_target(&target_raw, options.allow_loopback_targets)?;
        (
            resource,
            filters,
            target,
            inner.webhooks.client.clone(),
            options.delivery_timeout,
        )
    };
    let secret = random_secret(32);
    if let Err(why) = handshake(&client, &target, &secret, timeout).await {
        // Asana documents that the create fails; the wording is not documented.
        return Err(ApiError::bad(
            "target",
            &format!("The webhook handshake failed: {why}"),
        ));
    }
    let mut inner = state.lock();
    let gid = inner.next_gid();
    let interval = inner.webhooks.options.heartbeat_interval;
    let window = inner.webhooks.options.failure_window;
    let hook = Webhook {
        gid: gid.clone(),
        owner,
        workspace: resource.workspace,
        resource: resource.json,
        target: target.to_string(),
        filters,
        secret: secret.clone(),
        created_at: Utc::now(),
        last_success_at: None,
        last_failure_at: None,
        last_failure_content: None,
        delivery_retry_count: 0,
        next_attempt_after: None,
        failing_since: None,
        outgoing: VecDeque::new(),
        // Asana sends a heartbeat "at the initial handshake, and then every
        // eight hours": the handshake counts as the first one.
        next_heartbeat: Instant::now() + interval,
        wake: Arc::new(Notify::new()),
    };
    let full = hook.json(window);
    inner.webhooks.hooks.push(hook);
    inner.webhooks.log.insert(gid.clone(), Vec::new());
    let task = deliveries::spawn(state.clone(), gid.clone());
    inner.webhooks.tasks.insert(gid, task);
    let rendered = render(
        &full,
        params.fields().as_ref(),
        DefaultView::Full { opt_in: &[] },
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": rendered, (HOOK_SECRET): secret })),
    ))
}

/// `GET /webhooks?workspace=[&resource=]`: the caller's app's webhooks for
/// the calling user in that workspace, as Asana documents; paginated.
pub async fn list_webhooks(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CallingOwner(owner): CallingOwner,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let me = viewer(&inner.store, &principal)?;
    let workspace = workspace_param(&inner.store, me, &params)?
        .ok_or_else(|| ApiError::missing("workspace"))?;
    let resource = params.non_blank("resource");
    let page = Page::from_params(&params, "/webhooks")?;
    let fields = params.fields();
    let window = inner.webhooks.options.failure_window;
    let items = inner
        .webhooks
        .hooks
        .iter()
        .filter(|h| h.owner == owner && h.workspace == workspace)
        .filter(|h| resource.is_none_or(|r| h.resource_gid() == r))
        .map(|h| {
            render(
                &h.json(window),
                fields.as_ref(),
                DefaultView::Full { opt_in: &[] },
            )
        })
        .collect();
    Ok(Json(page.respond(
        items,
        &state.api_base(),
        "/webhooks",
        &params,
    )))
}

/// The webhook a caller may read or delete: Asana's docs restrict listing to
/// the caller's app and user but are silent for one webhook by gid, so any
/// member of the webhook's workspace may reach it here.
fn reachable<'a>(inner: &'a Inner, viewer_gid: &str, gid: &str) -> Result<&'a Webhook, ApiError> {
    let me = inner
        .store
        .user(viewer_gid)
        .ok_or_else(ApiError::unauthorized)?;
    inner
        .webhooks
        .hook(gid)
        .filter(|h| me.member_of(&h.workspace))
        .ok_or_else(|| ApiError::unknown_object("webhook", gid))
}

/// `GET /webhooks/{webhook_gid}`.
pub async fn get_webhook(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let hook = reachable(&inner, &principal.user_gid, &gid)?;
    let data = render(
        &hook.json(inner.webhooks.options.failure_window),
        params.fields().as_ref(),
        DefaultView::Full { opt_in: &[] },
    );
    Ok(Json(json!({ "data": data })))
}

/// `DELETE /webhooks/{webhook_gid}`: no further deliveries; 200 `{"data":{}}`.
pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    reachable(&inner, &principal.user_gid, &gid)?;
    inner.webhooks.remove(&gid, false);
    Ok(Json(json!({ "data": {} })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_https_and_public_unless_loopback_is_allowed() {
        let status = |raw: &str, allow: bool| check_target(raw, allow).err().map(|e| e.status());
        assert_eq!(status("https://hooks.example.com/x?a=1", false), None);
        assert_eq!(
            status("http://hooks.example.com/x", false),
            Some(StatusCode::BAD_REQUEST)
        );
        for local in [
            "https://localhost/x",
            "https://127.0.0.1:9000/x",
            "https://[::1]/x",
            "https://10.1.2.3/x",
            "https://192.168.0.4/x",
            "https://169.254.169.254/latest",
            "https://[fd00::1]/x",
            "http://app.localhost/x",
        ] {
            assert_eq!(status(local, false), Some(StatusCode::FORBIDDEN), "{local}");
        }
        assert_eq!(status("http://127.0.0.1:9000/hooks", true), None);
        assert_eq!(status("http://localhost:9000/hooks", true), None);
        assert_eq!(
            status("http://10.1.2.3/x", true),
            Some(StatusCode::FORBIDDEN),
            "only loopback is let through"
        );
        assert_eq!(
            status("http://hooks.example.com/x", true),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(status("not a url", true), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            status("ftp://127.0.0.1/x", true),
            Some(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn filters_pass_on_any_match_and_fields_only_for_changes() {
        let event = |action: &str, field: Option<&str>| {
            let mut e = json!({"action": action, "resource": {"gid": "1", "resource_type": "task", "resource_subtype": "default_task"}});
            if let Some(f) = field {
                e["change"] = json!({"field": f, "action": "changed"});
            }
            e
        };
        let completed = Filter {
            resource_type: Some("task".into()),
            resource_subtype: None,
            action: Some("changed".into()),
            fields: Some(vec!["completed".into()]),
        };
        assert!(completed.passes(&event("changed", Some("completed"))));
        assert!(!completed.passes(&event("changed", Some("name"))));
        assert!(!completed.passes(&event("added", None)));
        let stories = Filter {
            resource_type: Some("story".into()),
            resource_subtype: None,
            action: None,
            fields: None,
        };
        assert!(!stories.passes(&event("changed", Some("completed"))));
        assert_eq!(
            stories.json(),
            json!({"resource_type": "story"}),
            "only the keys given are rendered"
        );
        let data = json!({"filters": [{"action": "added", "fields": ["name"]}]});
        let err = read_filters(data.as_object().unwrap(), false).unwrap_err();
        assert!(
            err.message().starts_with("filters[0].fields: "),
            "{}",
            err.message()
        );
        let data = json!({"filters": [{"action": "moved"}]});
        let err = read_filters(data.as_object().unwrap(), false).unwrap_err();
        assert!(
            err.message().starts_with("filters[0].action: "),
            "{}",
            err.message()
        );
        let err = read_filters(&Map::new(), true).unwrap_err();
        assert!(err.message().starts_with("filters: "), "{}", err.message());
        let data = json!({"filters": [{"resource_type": "project", "fields": ["name"]}]});
        let err = read_filters(data.as_object().unwrap(), true).unwrap_err();
        assert!(
            err.message().starts_with("filters[0].fields: "),
            "{}",
            err.message()
        );
    }
}
