//! Webhook triggers: a flow's API endpoint, `POST /hooks/flows/{id}`. The
//! caller proves it knows the flow's secret with `Authorization: Bearer
//! <secret>`, or signs the body with `X-Cardhost-Signature: sha256=<hex
//! HMAC-SHA256 of the body>`. The JSON body is the run's `$.input`.

use serde_json::Value;

use super::model::{RunTrigger, Trigger};
use super::signature;
use super::Triggers;
use crate::error::{AppError, Kind};
use crate::flows::{RunFlowRequest, Started};

/// The header of a signed call.
pub const SIGNATURE_HEADER: &str = "x-cardhost-signature";

impl Triggers {
    /// A call to a flow's endpoint: checked, then run (waited for when `wait`).
    pub async fn call_endpoint(
        &self,
        flow_id: &str,
        header: impl Fn(&str) -> Option<String>,
        body: &[u8],
        wait: bool,
    ) -> Result<Started, AppError> {
        let no_endpoint = || {
            AppError::new(
                Kind::NotFound,
                "no_endpoint",
                "no flow has an endpoint at this address",
            )
        };
        let flow = self.inner.flows.get(flow_id).map_err(|_| no_endpoint())?;
        if !matches!(flow.definition.trigger, Trigger::Webhook) {
            return Err(no_endpoint());
        }
        let state = self.state(flow_id)?;
        let authorized = state.endpoint_secret.as_deref().is_some_and(|secret| {
            let bearer = header("authorization")
                .and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
                .is_some_and(|given| signature::same_secret(given.trim(), secret));
            let signed = header(SIGNATURE_HEADER)
                .and_then(|h| h.strip_prefix("sha256=").map(str::to_string))
                .is_some_and(|sig| signature::verify(secret.as_bytes(), body, &sig));
            bearer || signed
        });
        if !authorized {
            return Err(AppError::new(
                Kind::Unauthorized,
                "bad_secret",
                "this endpoint needs the flow's secret: Authorization: Bearer <secret>, or X-Cardhost-Signature: sha256=<HMAC-SHA256 of the body, hex>",
            ));
        }
        if !state.enabled {
            return Err(AppError::new(
                Kind::Conflict,
                "flow_disabled",
                "the flow is disabled: enable it to accept calls",
            ));
        }
        let input = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice::<Value>(body)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| {
                    AppError::invalid(
                        "body",
                        "the body must be a JSON object: it is the run's $.input",
                    )
                })?
        };
        let req = RunFlowRequest {
            input,
            wait,
            timeout_secs: None,
        };
        self.inner
            .flows
            .run_as(flow_id, req, RunTrigger::Webhook)
            .await
    }
}
