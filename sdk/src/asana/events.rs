//! Asana's webhook terms for event cards: the [`Subscription`] a trigger
//! asks the host to create (`POST /webhooks`' `resource` and `filters`) and
//! the [`Event`]s Asana delivers for it (`EventResponse`), as documented at
//! <https://developers.asana.com/docs/webhooks-guide> and
//! <https://developers.asana.com/reference/createwebhook>.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Asana;
use crate::{CardError, Context};

/// What a webhook watches: a resource (a project's gid, ...) and the
/// filters that choose which of its events Asana delivers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscription {
    /// The gid of the watched resource.
    pub resource: String,
    /// Which events Asana delivers; all of them when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
}

impl Subscription {
    /// A subscription to `resource` with one filter.
    pub fn new(resource: impl Into<String>, filter: Filter) -> Subscription {
        Subscription {
            resource: resource.into(),
            filters: vec![filter],
        }
    }

    /// As JSON, what [`crate::EventCard::subscription`] returns.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a subscription encodes as JSON")
    }
}

/// One webhook filter: events on resources of `resource_type` (and
/// `resource_subtype`), of `action`, and for `changed` events on one of
/// `fields`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Filter {
    pub resource_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_subtype: Option<String>,
    pub action: String,
    /// For `changed`: only changes of these fields; any field when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl Filter {
    /// Events of `action` on resources of `resource_type`.
    pub fn new(resource_type: &str, action: &str) -> Filter {
        Filter {
            resource_type: resource_type.into(),
            resource_subtype: None,
            action: action.into(),
            fields: Vec::new(),
        }
    }

    /// The same filter, only for resources of this subtype.
    pub fn subtype(mut self, resource_subtype: &str) -> Filter {
        self.resource_subtype = Some(resource_subtype.into());
        self
    }

    /// The same filter, only for changes of these fields.
    pub fn fields(mut self, fields: impl IntoIterator<Item = impl Into<String>>) -> Filter {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }
}

/// One event as Asana delivers it (`EventResponse`). `change` is there only
/// when `action` is `changed`; `user` may be null (an integration or a
/// rule); `parent` is null where no parent applies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    /// Who caused the event, if a person did.
    #[serde(default)]
    pub user: Option<EventObject>,
    /// When it happened.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `changed`, `added`, `removed`, `deleted` or `undeleted`.
    pub action: String,
    /// What the event is about.
    pub resource: EventObject,
    /// Where the resource was added to or removed from, for `added` and
    /// `removed` (the project of a task, the task of a story).
    #[serde(default)]
    pub parent: Option<EventObject>,
    /// What changed, for `changed`.
    #[serde(default)]
    pub change: Option<Change>,
}

impl Event {
    /// Whether this is `action` on a resource of `resource_type`.
    pub fn is(&self, action: &str, resource_type: &str) -> bool {
        self.action == action && self.resource.resource_type.as_deref() == Some(resource_type)
    }

    /// The gid of the parent, if there is one.
    pub fn parent_gid(&self) -> Option<&str> {
        self.parent.as_ref().map(|p| p.gid.as_str())
    }

    /// The field that changed, for a `changed` event.
    pub fn changed_field(&self) -> Option<&str> {
        self.change.as_ref().map(|c| c.field.as_str())
    }
}

/// An object an event names, in compact form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventObject {
    pub gid: String,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub resource_subtype: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// What a `changed` event changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Change {
    /// The field, e.g. `completed`, `assignee`, `custom_fields`.
    pub field: String,
    /// `changed`, `added` or `removed`.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub new_value: Option<Value>,
    #[serde(default)]
    pub added_value: Option<Value>,
    #[serde(default)]
    pub removed_value: Option<Value>,
}

/// `GET path?query` for what an event names, or `None` when Asana answers
/// 404: the object was deleted (or is no longer visible to the connection)
/// between the event and now, which is not a failure of the card. The miss
/// is logged.
pub fn fetch_if_there<T: serde::de::DeserializeOwned>(
    ctx: &Context,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Option<T>, CardError> {
    match Asana::new(ctx).get(path, query) {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.is_not_found() => {
            ctx.info(format!("{path} is gone (404): the event is not reported"));
            Ok(None)
        }
        Err(e) => Err(CardError::from(e)),
    }
}
