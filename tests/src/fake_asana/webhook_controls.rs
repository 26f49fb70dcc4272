//! What tests do to the fake's webhooks from outside the API: set their
//! timings, look at them and their deliveries, send a heartbeat now, send a
//! delivery again, drop a webhook as Asana does after failures, and pause
//! deliveries.

use super::webhooks::{Delivery, DeliveryKind, DeliveryStatus, Outgoing, WebhookOptions};
use super::FakeAsana;
use serde_json::Value;
use std::time::{Duration, Instant};

impl FakeAsana {
    /// Webhook behaviour from now on, for new and existing webhooks
    /// ([`WebhookOptions::default`] is Asana's; tests on loopback use
    /// [`WebhookOptions::for_tests`]).
    pub fn set_webhook_options(&self, options: WebhookOptions) {
        let mut inner = self.state.lock();
        inner.webhooks.options = options;
        for hook in &inner.webhooks.hooks {
            hook.wake.notify_one();
        }
    }

    /// Every live webhook, oldest first, as `GET /webhooks/{gid}` renders it.
    pub fn webhooks(&self) -> Vec<Value> {
        let inner = self.state.lock();
        let window = inner.webhooks.options.failure_window;
        inner
            .webhooks
            .hooks
            .iter()
            .map(|h| h.json(window))
            .collect()
    }

    /// The secret a live webhook signs its deliveries with (the one its
    /// handshake sent).
    pub fn webhook_secret(&self, webhook_gid: &str) -> Option<String> {
        self.state
            .lock()
            .webhooks
            .hook(webhook_gid)
            .map(|h| h.secret.clone())
    }

    /// Queues a heartbeat (`{"events":[]}`, signed) for a live webhook;
    /// false if there is none with this gid.
    pub fn send_heartbeat(&self, webhook_gid: &str) -> bool {
        self.queue(webhook_gid, Outgoing::Heartbeat)
    }

    /// Queues the body of the webhook's last delivery that carried events
    /// (itself possibly a redelivery) to be sent again byte for byte, as a
    /// receiver sees a duplicate. False if the webhook is gone or never
    /// carried events.
    pub fn redeliver_last(&self, webhook_gid: &str) -> bool {
        let body = {
            let inner = self.state.lock();
            inner
                .webhooks
                .log
                .get(webhook_gid)
                .into_iter()
                .flatten()
                .rev()
                .find(|d| d.kind != DeliveryKind::Heartbeat)
                .map(|d| d.body.clone())
        };
        match body {
            Some(body) => self.queue(webhook_gid, Outgoing::Replay(body)),
            None => false,
        }
    }

    /// Deletes a webhook the way Asana does when its deliveries kept
    /// failing: no call reaches the owner, `GET` answers 404 and nothing
    /// more is sent. False if there was none.
    pub fn drop_webhook(&self, webhook_gid: &str) -> bool {
        self.state.lock().webhooks.remove(webhook_gid, false)
    }

    /// The deliveries made (or being made) to a webhook, oldest first; kept
    /// after the webhook is deleted. The handshake is not one of them.
    pub fn deliveries(&self, webhook_gid: &str) -> Vec<Delivery> {
        self.state
            .lock()
            .webhooks
            .log
            .get(webhook_gid)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until at least `count` deliveries to the webhook got through,
    /// or `timeout` passed; then returns [`FakeAsana::deliveries`] (check
    /// its length).
    pub async fn wait_for_deliveries(
        &self,
        webhook_gid: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<Delivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let deliveries = self.deliveries(webhook_gid);
            let delivered = deliveries
                .iter()
                .filter(|d| d.status == DeliveryStatus::Delivered)
                .count();
            if delivered >= count || Instant::now() >= deadline {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Holds every delivery (events queue up) until
    /// [`FakeAsana::resume_deliveries`].
    pub fn pause_deliveries(&self) {
        self.state.lock().webhooks.paused = true;
    }

    /// Sends what queued up while paused.
    pub fn resume_deliveries(&self) {
        let mut inner = self.state.lock();
        inner.webhooks.paused = false;
        for hook in &inner.webhooks.hooks {
            hook.wake.notify_one();
        }
    }

    /// Queues something for a live webhook and wakes its task.
    fn queue(&self, webhook_gid: &str, item: Outgoing) -> bool {
        let mut inner = self.state.lock();
        let Some(hook) = inner.webhooks.hook_mut(webhook_gid) else {
            return false;
        };
        hook.outgoing.push_back(item);
        hook.wake.notify_one();
        true
    }
}
