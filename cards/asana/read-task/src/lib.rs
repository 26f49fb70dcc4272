//! Read Task (`asana.read-task`): one Asana task by gid, with its assignee,
//! dates, projects and sections, tags and custom field values.

use cardhost_sdk::asana::{Task, TASK_FIELDS};
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The task's gid.
    #[schemars(length(min = 1))]
    task: String,
}

struct ReadTask;

impl Card for ReadTask {
    type Input = Input;
    type Output = Task;
    const ID: &'static str = "asana.read-task";
    const NAME: &'static str = "Read Task";
    const DESCRIPTION: &'static str =
        "Reads an Asana task by gid: name, notes, assignee, due date, completion, projects and \
         sections, tags, link and custom field values.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["tasks:read"];

    fn run(input: Input, ctx: &Context) -> Result<Task, CardError> {
        let path = format!("/tasks/{}", asana::gid("task", &input.task)?);
        Asana::new(ctx)
            .get(&path, &[("opt_fields", TASK_FIELDS)])
            .map_err(|e| e.naming("task"))
    }
}

export_card!(ReadTask);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
