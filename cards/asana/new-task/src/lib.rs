//! New Task (`asana.new-task`): an event card that starts a flow when a task
//! is added to an Asana project, with the task read in full.

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

/// What a flow started by a new task receives.
#[derive(Serialize, JsonSchema)]
struct Output {
    /// The task added to the project.
    task: Task,
}

struct NewTask;

impl EventCard for NewTask {
    type Input = Input;
    type Output = Output;
    type Event = Event;
    const ID: &'static str = "asana.new-task";
    const NAME: &'static str = "New Task";
    const DESCRIPTION: &'static str =
        "Starts a flow when a task is added to an Asana project, with the task: name, notes, \
         assignee, due date, completion, projects and sections, tags, link and custom field \
         values.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["webhooks:write", "webhooks:delete", "tasks:read"];

    fn subscription(input: &Input, _ctx: &Context) -> Result<Value, CardError> {
        let project = asana::gid("project", &input.project)?;
        Ok(Subscription::new(project, Filter::new("task", "added")).to_value())
    }

    fn on_event(input: &Input, event: Event, ctx: &Context) -> Result<Option<Output>, CardError> {
        let project = asana::gid("project", &input.project)?;
        // A task added to this project (not a subtask added to a task, nor a
        // task added to a section of another project).
        if !event.is("added", "task") || event.parent_gid() != Some(project) {
            return Ok(None);
        }
        let path = format!(
            "/tasks/{}",
            asana::gid("resource.gid", &event.resource.gid)?
        );
        let task = fetch_if_there::<Task>(ctx, &path, &[("opt_fields", TASK_FIELDS)])?;
        Ok(task.map(|task| Output { task }))
    }
}

export_event_card!(NewTask);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
