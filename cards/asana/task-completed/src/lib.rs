//! Task Completed (`asana.task-completed`): an event card that starts a
//! flow when a task of an Asana project is marked complete.

use cardhost_sdk::asana::events::{fetch_if_there, Event, Filter, Subscription};
use cardhost_sdk::asana::{Task, TASK_FIELDS};
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the project to watch.
    #[schemars(length(min = 1))]
    project: String,
}

/// What a flow started by a completed task receives.
#[derive(Serialize, JsonSchema)]
struct Output {
    /// The task, as it is now (completed).
    task: Task,
}

struct TaskCompleted;

impl EventCard for TaskCompleted {
    type Input = Input;
    type Output = Output;
    type Event = Event;
    const ID: &'static str = "asana.task-completed";
    const NAME: &'static str = "Task Completed";
    const DESCRIPTION: &'static str =
        "Starts a flow when a task of an Asana project is marked complete (not when it is \
         marked incomplete again), with the task.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["webhooks:write", "webhooks:delete", "tasks:read"];

    fn subscription(input: &Input, _ctx: &Context) -> Result<Value, CardError> {
        let project = asana::gid("project", &input.project)?;
        let filter = Filter::new("task", "changed").fields(["completed"]);
        Ok(Subscription::new(project, filter).to_value())
    }

    fn on_event(input: &Input, event: Event, ctx: &Context) -> Result<Option<Output>, CardError> {
        asana::gid("project", &input.project)?;
        if !event.is("changed", "task") || event.changed_field() != Some("completed") {
            return Ok(None);
        }
        // The event says that `completed` changed, not to what: marking a
        // task incomplete is a change too. The task as it is now decides.
        let path = format!(
            "/tasks/{}",
            asana::gid("resource.gid", &event.resource.gid)?
        );
        let Some(task) = fetch_if_there::<Task>(ctx, &path, &[("opt_fields", TASK_FIELDS)])? else {
            return Ok(None);
        };
        if task.completed != Some(true) {
            ctx.debug(format!("task {} is not completed: not reported", task.gid));
            return Ok(None);
        }
        Ok(Some(Output { task }))
    }
}

export_event_card!(TaskCompleted);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
