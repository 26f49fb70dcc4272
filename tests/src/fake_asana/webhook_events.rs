//! The events webhooks carry (`EventResponse`), made when tasks and comments
//! change through the fake's API, and the resources each reaches.
//!
//! Events "propagate up" (https://developers.asana.com/docs/webhooks-guide#filtering):
//! a change on a task reaches webhooks on the task, on its ancestors and on
//! the projects of each, and so does a comment on it. A task added to a
//! project or to a parent task reaches webhooks on that parent (and those a
//! parent task's changes reach). Events from tasks and stories do not reach
//! webhooks on teams and workspaces, so nothing here reaches them.
//!
//! Handlers call these with the state locked, after the change is made
//! (before it, for a deletion); the events only queue up: the delivery
//! tasks send them later.

use super::model::Store;
use super::state::Inner;
use super::task_input::render_date_time;
use chrono::Utc;
use serde_json::{json, Value};

/// Task fields whose change is one event each, compared as they are.
const PLAIN_FIELDS: &[&str] = &[
    "name",
    "completed",
    "due_on",
    "due_at",
    "start_on",
    "start_at",
    "resource_subtype",
    "approval_status",
    "liked",
];

/// How many parents up a change is followed.
const MAX_DEPTH: usize = 32;

/// An event by `actor` (`EventResponse`; `change` is added for `changed`).
fn event(actor: &str, action: &str, resource: Value, parent: Value) -> Value {
    json!({
        "user": { "gid": actor, "resource_type": "user" },
        "created_at": render_date_time(&Utc::now()),
        "action": action,
        "resource": resource,
        "parent": parent,
    })
}

/// A task as an event names it.
fn task_ref(task: &Value) -> Value {
    json!({
        "gid": task["gid"],
        "resource_type": "task",
        "resource_subtype": task["resource_subtype"],
    })
}

/// `{gid, resource_type}` of a task, project or user.
fn reference(gid: &str, resource_type: &str) -> Value {
    json!({ "gid": gid, "resource_type": resource_type })
}

/// The resources a change on task `gid` reaches: the task, its ancestors
/// and the projects of each.
fn upward(store: &Store, gid: &str) -> Vec<String> {
    let mut scope = Vec::new();
    let mut current = Some(gid.to_string());
    for _ in 0..MAX_DEPTH {
        let Some(task) = current.take().and_then(|g| store.task(&g)) else {
            break;
        };
        if scope.contains(&task.gid) {
            break;
        }
        scope.push(task.gid.clone());
        scope.extend(task.projects().into_iter().map(String::from));
        current = task.full["parent"]["gid"].as_str().map(String::from);
    }
    scope
}

/// Queues each event for the webhooks its scope reaches.
fn dispatch(inner: &mut Inner, events: Vec<(Value, Vec<String>)>) {
    for (event, scope) in events {
        inner.webhooks.dispatch(&event, &scope);
    }
}

/// A task created through the API (already in the store): `added` to each
/// of its projects and to its parent task.
pub fn task_created(inner: &mut Inner, actor: &str, task: &Value) {
    if inner.webhooks.hooks.is_empty() {
        return;
    }
    let mut events = Vec::new();
    for project in task["projects"].as_array().into_iter().flatten() {
        if let Some(p) = project["gid"].as_str() {
            events.push((
                event(actor, "added", task_ref(task), reference(p, "project")),
                vec![p.to_string()],
            ));
        }
    }
    if let Some(parent) = task["parent"]["gid"].as_str() {
        events.push((
            event(actor, "added", task_ref(task), reference(parent, "task")),
            upward(&inner.store, parent),
        ));
    }
    dispatch(inner, events);
}

/// The `change` of one changed field.
fn change(field: &str, new_value: Option<Value>) -> Value {
    let mut change = json!({ "field": field, "action": "changed" });
    if let Some(value) = new_value {
        change["new_value"] = value;
    }
    change
}

/// The gids in a list of resources.
fn gid_list(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["gid"].as_str())
        .collect()
}

/// A task updated through the API (already stored as `after`): one
/// `changed` event per field that changed (`new_value` for the assignee and
/// custom fields, `added_value`/`removed_value` for followers), and
/// `removed`/`added` when it moved to another parent task.
pub fn task_changed(inner: &mut Inner, actor: &str, before: &Value, after: &Value) {
    if inner.webhooks.hooks.is_empty() {
        return;
    }
    let gid = after["gid"].as_str().unwrap_or_default();
    let store = &inner.store;
    let scope = upward(store, gid);
    let resource = task_ref(after);
    let changed = |change: Value| {
        let mut e = event(actor, "changed", resource.clone(), Value::Null);
        e["change"] = change;
        (e, scope.clone())
    };
    let mut events = Vec::new();
    for field in PLAIN_FIELDS {
        if before.get(*field) != after.get(*field) {
            events.push(changed(change(field, None)));
        }
    }
    if before["notes"] != after["notes"] || before["html_notes"] != after["html_notes"] {
        events.push(changed(change("notes", None)));
    }
    if before["assignee"]["gid"] != after["assignee"]["gid"] {
        let new_value = after["assignee"]["gid"]
            .as_str()
            .map(|g| reference(g, "user"));
        events.push(changed(change("assignee", new_value)));
    }
    let (old, new) = (
        gid_list(&before["followers"]),
        gid_list(&after["followers"]),
    );
    for user in new.iter().filter(|u| !old.contains(u)) {
        events.push(changed(json!({
            "field": "followers", "action": "added", "added_value": reference(user, "user"),
        })));
    }
    for user in old.iter().filter(|u| !new.contains(u)) {
        events.push(changed(json!({
            "field": "followers", "action": "removed", "removed_value": reference(user, "user"),
        })));
    }
    let empty = Vec::new();
    let old_fields = before["custom_fields"].as_array().unwrap_or(&empty);
    for field in after["custom_fields"].as_array().unwrap_or(&empty) {
        let was = old_fields.iter().find(|f| f["gid"] == field["gid"]);
        if was != Some(field) {
            let value = field["gid"].as_str().map(|g| reference(g, "custom_field"));
            events.push(changed(change("custom_fields", value)));
        }
    }
    let (old_parent, new_parent) = (
        before["parent"]["gid"].as_str(),
        after["parent"]["gid"].as_str(),
    );
    if old_parent != new_parent {
        if let Some(p) = old_parent {
            events.push((
                event(actor, "removed", resource.clone(), reference(p, "task")),
                upward(store, p),
            ));
        }
        if let Some(p) = new_parent {
            events.push((
                event(actor, "added", resource.clone(), reference(p, "task")),
                upward(store, p),
            ));
        }
    }
    dispatch(inner, events);
}

/// A task about to be deleted through the API (still in the store).
pub fn task_deleted(inner: &mut Inner, actor: &str, task: &Value) {
    if inner.webhooks.hooks.is_empty() {
        return;
    }
    let gid = task["gid"].as_str().unwrap_or_default();
    let scope = upward(&inner.store, gid);
    let deleted = event(actor, "deleted", task_ref(task), Value::Null);
    dispatch(inner, vec![(deleted, scope)]);
}

/// A comment added to a task through the API.
pub fn comment_added(inner: &mut Inner, actor: &str, story_gid: &str, task_gid: &str) {
    if inner.webhooks.hooks.is_empty() {
        return;
    }
    let story = json!({
        "gid": story_gid,
        "resource_type": "story",
        "resource_subtype": "comment_added",
    });
    let added = event(actor, "added", story, reference(task_gid, "task"));
    let scope = upward(&inner.store, task_gid);
    dispatch(inner, vec![(added, scope)]);
}
