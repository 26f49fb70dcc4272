//! Save-time checks of a flow's trigger: a schedule's cron and time zone
//! parse, and an event trigger names an event card whose connector has
//! webhooks, a connection of that connector, and an input the card accepts.
//! Each error names its field, e.g. `trigger.timezone`.

use serde_json::Value;

use super::model::Trigger;
use super::schedule::Schedule;
use crate::connections::Connections;
use crate::error::{AppError, Kind};
use crate::flows::limits;
use crate::flows::validate::connection_for_card;
use crate::runtime::catalogue::Catalogue;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::new(Kind::Unprocessable, "invalid_trigger", message).field(field)
}

/// Check a trigger; the connection id an event trigger resolves to.
pub async fn check(
    catalogue: &Catalogue,
    connections: &Connections,
    trigger: &Trigger,
) -> Result<Option<String>, AppError> {
    match trigger {
        Trigger::Manual | Trigger::Webhook => Ok(None),
        Trigger::Schedule { cron, timezone, .. } => {
            Schedule::parse(cron, timezone).map_err(|(field, message)| invalid(field, message))?;
            Ok(None)
        }
        Trigger::Event {
            card,
            connection,
            input,
        } => {
            let loaded = catalogue.get(card).await.ok_or_else(|| {
                AppError::new(
                    Kind::Unprocessable,
                    "unknown_card",
                    format!("no card {card:?} is installed"),
                )
                .field("trigger.card")
            })?;
            if loaded.manifest().kind != crate::runtime::CardKind::Event {
                return Err(invalid(
                    "trigger.card",
                    format!("{card} is an action card; an event trigger needs an event card"),
                ));
            }
            let conn = connection_for_card(
                connections,
                card,
                connection,
                "trigger.connection",
                "invalid_trigger",
            )?;
            let connector = connections.connector(&conn.connector, "trigger.connection")?;
            if connector.definition.webhooks.is_none() {
                return Err(invalid(
                    "trigger.card",
                    format!(
                        "connector {} does not say how to subscribe to its events (no webhooks in its definition)",
                        connector.id
                    ),
                ));
            }
            let input = Value::Object(input.clone());
            if limits::depth(&input) > limits::MAX_DEPTH {
                return Err(invalid("trigger.input", "the input is nested too deeply"));
            }
            let mut dynamic = Vec::new();
            crate::flows::reference::dynamic_in(&input, "", &mut dynamic);
            if let Some((at, _)) = dynamic.first() {
                return Err(invalid(
                    &format!("trigger.input.{at}"),
                    "a trigger's input holds literals only: no references or templates (nothing has run yet)",
                ));
            }
            loaded.input_schema().check(&input).map_err(|v| {
                let field = match v.field {
                    Some(f) => format!("trigger.input.{f}"),
                    None => "trigger.input".to_string(),
                };
                AppError::new(Kind::Unprocessable, "invalid_trigger", v.message).field(field)
            })?;
            Ok(Some(conn.id))
        }
    }
}
