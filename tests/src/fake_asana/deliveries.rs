//! The delivery task of each webhook, a background tokio task started when
//! the webhook is created (never run inside the request that made an event):
//!
//! - queued events go out batched as `{"events":[...]}`, heartbeats as
//!   `{"events":[]}`, each POSTed with `X-Hook-Signature`, the lowercase hex
//!   HMAC-SHA256 of the exact body keyed with the webhook's secret;
//! - a delivery succeeds on a 2xx within the timeout; otherwise the same
//!   bytes are sent again after an exponential backoff, and the webhook's
//!   `last_failure_*`, `delivery_retry_count` and `next_attempt_after` say
//!   so; once failures have lasted the failure window the webhook is deleted;
//! - nothing is sent while deliveries are paused.
//!
//! Timings come from [`super::WebhookOptions`], read afresh before each step.

use super::state::AppState;
use super::webhooks::{Delivery, DeliveryKind, DeliveryStatus, Outgoing, HOOK_SIGNATURE};
use axum::http::header;
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How much of a failing answer's body `last_failure_content` keeps.
const FAILURE_CONTENT_CHARS: usize = 1000;

/// Starts the delivery task of webhook `gid`.
pub fn spawn(state: AppState, gid: String) -> JoinHandle<()> {
    tokio::spawn(run(state, gid))
}

/// The lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes keys of any length.
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One delivery in progress: its entry in the log and what to POST.
struct Job {
    index: usize,
    body: Vec<u8>,
    signature: String,
    target: String,
}

/// What the task does next.
enum Step {
    Send(Job),
    /// Wait for a wake-up, or at most this long.
    Wait(Option<Duration>, Arc<Notify>),
    /// The webhook is gone.
    Stop,
}

/// Delivers until the webhook is gone.
async fn run(state: AppState, gid: String) {
    loop {
        match next_step(&state, &gid) {
            Step::Stop => return,
            Step::Wait(Some(limit), wake) => {
                let _ = tokio::time::timeout(limit, wake.notified()).await;
            }
            Step::Wait(None, wake) => wake.notified().await,
            Step::Send(job) => {
                if !deliver(&state, &gid, job).await {
                    return;
                }
            }
        }
    }
}

/// Takes what is due: a heartbeat when its time has come, else the queue's
/// head (consecutive events in one batch).
fn next_step(state: &AppState, gid: &str) -> Step {
    let mut inner = state.lock();
    let webhooks = &mut inner.webhooks;
    let interval = webhooks.options.heartbeat_interval;
    let paused = webhooks.paused;
    let Some(hook) = webhooks.hooks.iter_mut().find(|h| h.gid == gid) else {
        return Step::Stop;
    };
    if paused {
        return Step::Wait(None, hook.wake.clone());
    }
    let now = Instant::now();
    if now >= hook.next_heartbeat {
        hook.outgoing.push_back(Outgoing::Heartbeat);
        hook.next_heartbeat = now + interval;
    }
    let (kind, body) = match hook.outgoing.pop_front() {
        None => {
            let until = hook.next_heartbeat.saturating_duration_since(now);
            return Step::Wait(Some(until), hook.wake.clone());
        }
        Some(Outgoing::Event(first)) => {
            let mut batch = vec![first];
            while matches!(hook.outgoing.front(), Some(Outgoing::Event(_))) {
                if let Some(Outgoing::Event(e)) = hook.outgoing.pop_front() {
                    batch.push(e);
                }
            }
            (
                DeliveryKind::Events,
                json!({ "events": batch }).to_string().into_bytes(),
            )
        }
        Some(Outgoing::Heartbeat) => (
            DeliveryKind::Heartbeat,
            json!({ "events": [] }).to_string().into_bytes(),
        ),
        Some(Outgoing::Replay(bytes)) => (DeliveryKind::Redelivery, bytes),
    };
    let signature = signature(&hook.secret, &body);
    let target = hook.target.clone();
    let log = webhooks.log.entry(gid.to_string()).or_default();
    log.push(Delivery {
        kind,
        body: body.clone(),
        signature: signature.clone(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        last_response_status: None,
    });
    Step::Send(Job {
        index: log.len() - 1,
        body,
        signature,
        target,
    })
}

/// The outcome of one POST: `Ok` on 2xx, else the status (if an answer
/// came) and what `last_failure_content` should say.
type Attempt = Result<u16, (Option<u16>, String)>;

/// POSTs a job once.
async fn attempt(client: &reqwest::Client, job: &Job, timeout: Duration) -> Attempt {
    let sent = client
        .post(&job.target)
        .header(header::CONTENT_TYPE, "application/json")
        .header(HOOK_SIGNATURE, &job.signature)
        .timeout(timeout)
        .body(job.body.clone())
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Err((
                None,
                format!("Timed out: no answer within {} s", timeout.as_secs_f32()),
            ))
        }
        Err(_) => return Err((None, "Could not connect to the target".to_string())),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(FAILURE_CONTENT_CHARS).collect();
    Err((
        Some(status.as_u16()),
        format!(
            "{} {}\n\n{text}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
    ))
}

/// Sends a job until it gets through (true) or the webhook is gone (false).
async fn deliver(state: &AppState, gid: &str, job: Job) -> bool {
    loop {
        let (client, timeout, paused) = {
            let inner = state.lock();
            let webhooks = &inner.webhooks;
            let Some(hook) = webhooks.hooks.iter().find(|h| h.gid == gid) else {
                return false;
            };
            let paused = webhooks.paused.then(|| hook.wake.clone());
            (
                webhooks.client.clone(),
                webhooks.options.delivery_timeout,
                paused,
            )
        };
        if let Some(wake) = paused {
            wake.notified().await;
            continue;
        }
        let outcome = attempt(&client, &job, timeout).await;
        let backoff = {
            let mut inner = state.lock();
            let webhooks = &mut inner.webhooks;
            let options = webhooks.options.clone();
            let entry = webhooks
                .log
                .get_mut(gid)
                .and_then(|log| log.get_mut(job.index));
            let Some(entry) = entry else {
                return false;
            };
            entry.attempts += 1;
            entry.last_response_status = match &outcome {
                Ok(status) => Some(*status),
                Err((status, _)) => *status,
            };
            entry.status = match outcome {
                Ok(_) => DeliveryStatus::Delivered,
                Err(_) => DeliveryStatus::Retrying,
            };
            let Some(hook) = webhooks.hooks.iter_mut().find(|h| h.gid == gid) else {
                entry.status = DeliveryStatus::Abandoned;
                return false;
            };
            let now = Utc::now();
            match outcome {
                Ok(_) => {
                    hook.last_success_at = Some(now);
                    hook.delivery_retry_count = 0;
                    hook.next_attempt_after = None;
                    hook.failing_since = None;
                    return true;
                }
                Err((_, content)) => {
                    hook.last_failure_at = Some(now);
                    hook.last_failure_content = Some(content);
                    hook.delivery_retry_count += 1;
                    let (since, _) = *hook.failing_since.get_or_insert((Instant::now(), now));
                    let failing_for = since.elapsed();
                    if failing_for >= options.failure_window {
                        tracing::info!(webhook = gid, "fake asana deletes a webhook whose deliveries failed for the whole failure window");
                        webhooks.remove(gid, true);
                        return false;
                    }
                    let exponent = hook.delivery_retry_count.saturating_sub(1).min(30);
                    let backoff = options
                        .retry_base
                        .saturating_mul(1u32 << exponent)
                        .min(options.failure_window - failing_for)
                        .max(Duration::from_millis(1));
                    hook.next_attempt_after =
                        chrono::Duration::from_std(backoff).ok().map(|d| now + d);
                    backoff
                }
            }
        };
        tokio::time::sleep(backoff).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_lowercase_hex_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
