//! Update Task (`asana.update-task`): changes an Asana task's name, notes,
//! assignee, due date or completion (`PUT /tasks/{gid}`); only the fields
//! given change. Reassigning a task (as offboarding does) is `assignee`.

use cardhost_sdk::asana::{Task, TASK_FIELDS};
use cardhost_sdk::dates;
use cardhost_sdk::input::present;
use cardhost_sdk::prelude::*;

/// A task and what to change on it: only the fields given change.
// Sent as `data` of `PUT /tasks/{gid}` once checked: without `task` and
// without the fields not given.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the task to change. Give at least one field to change too.
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schemars(length(min = 1))]
    task: String,
    /// The new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The new description, as plain text; it replaces the old one.
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    /// Who to assign the task to: a user gid, an email or `me`; null to
    /// unassign it.
    #[serde(default, deserialize_with = "present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<Option<String>>,
    /// The new due date, `YYYY-MM-DD`; null clears the due date. Give
    /// `due_on` or `due_at`, not both.
    #[serde(default, deserialize_with = "present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    due_on: Option<Option<String>>,
    /// The new due date and time, RFC 3339 (`2024-05-01T17:00:00Z`), sent to
    /// Asana in UTC; null clears the due date. Give `due_on` or `due_at`, not
    /// both.
    #[serde(default, deserialize_with = "present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    due_at: Option<Option<String>>,
    /// Whether the task is completed (true) or not (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    completed: Option<bool>,
}

struct UpdateTask;

impl Card for UpdateTask {
    type Input = Input;
    type Output = Task;
    const ID: &'static str = "asana.update-task";
    const NAME: &'static str = "Update Task";
    const DESCRIPTION: &'static str =
        "Changes an Asana task's name, notes, assignee (or unassigns it), due date or completion; \
         fields not given stay as they are.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:write"];

    fn run(mut input: Input, ctx: &Context) -> Result<Task, CardError> {
        // Taken out, so that it is not sent (and not marked `writeOnly`,
        // which a flow run would redact as a secret).
        let task = std::mem::take(&mut input.task);
        let path = format!("/tasks/{}", asana::gid("task", &task)?);
        check(&mut input)?;
        Asana::new(ctx)
            .put_with_query(&path, &[("opt_fields", TASK_FIELDS)], &input)
            .map_err(|e| e.naming("task"))
    }
}

export_card!(UpdateTask);

/// Checks the input and writes it as Asana takes it (trimmed, `due_at` in
/// UTC); no HTTP.
fn check(input: &mut Input) -> Result<(), CardError> {
    if let Some(name) = &mut input.name {
        *name = name.trim().to_string();
        if name.is_empty() {
            return Err(CardError::invalid_input("name", "`name` must not be empty"));
        }
    }
    if let Some(Some(assignee)) = &mut input.assignee {
        *assignee = asana::path_segment("assignee", assignee).map(|_| assignee.trim().into())?;
    }
    if input.due_on.is_some() && input.due_at.is_some() {
        let both = "give `due_on` or `due_at`, not both";
        return Err(CardError::invalid_input("due_at", both));
    }
    if let Some(Some(due_on)) = &input.due_on {
        dates::date_field("due_on", due_on)?;
    }
    if let Some(Some(due_at)) = &mut input.due_at {
        *due_at = dates::date_time_field("due_at", due_at)?;
    }
    if serde_json::to_value(&*input)? == json!({}) {
        return Err(CardError::invalid_input(
            "task",
            "nothing to change on `task`: give at least one of `name`, `notes`, `assignee`, \
             `due_on`, `due_at` or `completed`",
        ));
    }
    Ok(())
}

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
