//! Task Updated (`asana.task-updated`): an event card that starts a flow
//! when a task of an Asana project changes (any field, or only the fields
//! the trigger names).

use cardhost_sdk::asana::events::{fetch_if_there, Event, Filter, Subscription};
use cardhost_sdk::asana::{Task, TASK_FIELDS};
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the project to watch.
    #[schemars(length(min = 1))]
    project: String,
    /// Only changes of these task fields (e.g. `name`, `assignee`,
    /// `due_on`, `custom_fields`); any field when absent.
    #[serde(default)]
    #[schemars(length(min = 1), inner(length(min = 1)))]
    fields: Option<Vec<String>>,
}

impl Input {
    /// The fields named, trimmed; an empty name is an error naming it.
    fn fields(&self) -> Result<Option<Vec<&str>>, CardError> {
        let Some(fields) = &self.fields else {
            return Ok(None);
        };
        if fields.is_empty() {
            return Err(CardError::invalid_input(
                "fields",
                "`fields` must name at least one field, or be left out for any field",
            ));
        }
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| match f.trim() {
                "" => Err(CardError::invalid_input(
                    format!("fields[{i}]"),
                    format!("`fields[{i}]` must be a field name, not empty"),
                )),
                f => Ok(f),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// What a flow started by a task change receives.
#[derive(Serialize, JsonSchema)]
struct Output {
    /// The task, as it is now.
    task: Task,
    /// The task field that changed, e.g. `name`.
    changed_field: String,
}

struct TaskUpdated;

impl EventCard for TaskUpdated {
    type Input = Input;
    type Output = Output;
    type Event = Event;
    const ID: &'static str = "asana.task-updated";
    const NAME: &'static str = "Task Updated";
    const DESCRIPTION: &'static str =
        "Starts a flow when a task of an Asana project changes (any field, or only the fields \
         named), with the task and the field that changed.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["webhooks:write", "webhooks:delete", "tasks:read"];

    fn subscription(input: &Input, _ctx: &Context) -> Result<Value, CardError> {
        let project = asana::gid("project", &input.project)?;
        let mut filter = Filter::new("task", "changed");
        if let Some(fields) = input.fields()? {
            filter = filter.fields(fields);
        }
        Ok(Subscription::new(project, filter).to_value())
    }

    fn on_event(input: &Input, event: Event, ctx: &Context) -> Result<Option<Output>, CardError> {
        asana::gid("project", &input.project)?;
        let fields = input.fields()?;
        if !event.is("changed", "task") {
            return Ok(None);
        }
        let Some(field) = event.changed_field() else {
            return Ok(None);
        };
        if fields.is_some_and(|fields| !fields.contains(&field)) {
            return Ok(None);
        }
        let changed_field = field.to_string();
        let path = format!(
            "/tasks/{}",
            asana::gid("resource.gid", &event.resource.gid)?
        );
        let task = fetch_if_there::<Task>(ctx, &path, &[("opt_fields", TASK_FIELDS)])?;
        Ok(task.map(|task| Output {
            task,
            changed_field,
        }))
    }
}

export_event_card!(TaskUpdated);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
