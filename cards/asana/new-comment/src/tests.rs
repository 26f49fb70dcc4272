use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, on_event, subscription};

fn ctx() -> Context {
    Context::new("asana")
}

fn story_added(subtype: &str) -> Value {
    json!({
        "user": {"gid": "7", "resource_type": "user"},
        "created_at": "2026-11-30T10:00:00.000Z",
        "action": "added",
        "resource": {"gid": "90", "resource_type": "story", "resource_subtype": subtype},
        "parent": {"gid": "42", "resource_type": "task"},
    })
}

fn story(subtype: &str) -> Value {
    json!({"data": {
        "gid": "90", "resource_type": "story", "text": "Looks good",
        "created_at": "2026-11-30T10:00:00.000Z",
        "created_by": {"gid": "7", "resource_type": "user", "name": "Ada"},
        "resource_subtype": subtype,
        "target": {"gid": "42", "resource_type": "task", "name": "Ship"}
    }})
}

#[test]
fn subscribes_to_comments_added_in_the_project() {
    let sub = subscription::<NewComment>(json!({"project": "3"}), &ctx()).unwrap();
    assert_eq!(
        sub,
        json!({"resource": "3", "filters": [
            {"resource_type": "story", "resource_subtype": "comment_added", "action": "added"}
        ]})
    );
}

#[test]
fn a_comment_is_reported_with_its_task() {
    mock_http(|req| {
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.url, "/stories/90");
        assert_eq!(
            req.query,
            [("opt_fields".to_string(), STORY_FIELDS.to_string())]
        );
        Ok(Response::json_of(200, &story("comment_added")))
    });
    let out = on_event::<NewComment>(
        json!({"project": "3"}),
        story_added("comment_added"),
        &ctx(),
    )
    .unwrap()
    .expect("reported");
    clear_mock();
    assert_eq!(
        out,
        json!({
            "comment": {"gid": "90", "text": "Looks good", "created_at": "2026-11-30T10:00:00.000Z",
                        "created_by": {"gid": "7", "name": "Ada"}},
            "task": {"gid": "42", "name": "Ship"}
        })
    );
}

#[test]
fn other_stories_and_events_are_not_reported() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for event in [
        story_added("assigned"),
        json!({"user": null, "action": "removed", "resource": {"gid": "90", "resource_type": "story"},
               "parent": {"gid": "42", "resource_type": "task"}}),
        json!({"user": null, "action": "added", "resource": {"gid": "42", "resource_type": "task"},
               "parent": {"gid": "3", "resource_type": "project"}}),
    ] {
        let out = on_event::<NewComment>(json!({"project": "3"}), event.clone(), &ctx()).unwrap();
        assert_eq!(out, None, "{event}");
    }
    // An event without a subtype is read, and the story's own subtype decides.
    mock_http(|_| Ok(Response::json_of(200, &story("assigned"))));
    let mut event = story_added("comment_added");
    event["resource"]
        .as_object_mut()
        .unwrap()
        .remove("resource_subtype");
    let out = on_event::<NewComment>(json!({"project": "3"}), event, &ctx()).unwrap();
    clear_mock();
    assert_eq!(out, None);
}

#[test]
fn a_comment_deleted_since_is_not_reported() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "story: Unknown object: 90"}]}),
        ))
    });
    let out = on_event::<NewComment>(
        json!({"project": "3"}),
        story_added("comment_added"),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    assert_eq!(out, None);
}
