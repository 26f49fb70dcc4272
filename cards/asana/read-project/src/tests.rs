use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

fn project() -> Value {
    json!({"data": {
        "gid": "31", "resource_type": "project", "name": "Launch", "notes": "", "color": null,
        "default_view": "list", "privacy_setting": "public_to_workspace", "archived": true,
        "completed": false, "start_on": null, "due_on": "2027-02-26",
        "created_at": "2027-01-01T09:00:00.000Z", "modified_at": "2027-01-02T09:00:00.000Z",
        "owner": {"gid": "5", "resource_type": "user", "name": "Ada"},
        "team": {"gid": "21", "resource_type": "team", "name": "Eng"},
        "workspace": {"gid": "11", "resource_type": "workspace", "name": "Acme"},
        "members": [{"gid": "5", "resource_type": "user", "name": "Ada"},
                    {"gid": "6", "resource_type": "user", "name": "Grace"}],
        "current_status_update": {"gid": "71", "resource_type": "status_update", "title": "On track"},
        "permalink_url": "https://app.asana.com/1/11/project/31"
    }})
}

#[test]
fn reads_a_project_with_the_fields_it_promises() {
    mock_http(|req| {
        assert_eq!(
            (req.method.as_str(), req.url.as_str()),
            ("GET", "/projects/31")
        );
        assert_eq!(
            req.query,
            vec![("opt_fields".to_string(), PROJECT_FIELDS.to_string())]
        );
        assert!(req.body.is_none());
        Ok(Response::json_of(200, &project()))
    });
    let out = run(json!({"project": " 31 "})).unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({
            "gid": "31", "name": "Launch", "notes": "", "color": null, "default_view": "list",
            "privacy_setting": "public_to_workspace", "archived": true, "completed": false,
            "start_on": null, "due_on": "2027-02-26", "created_at": "2027-01-01T09:00:00.000Z",
            "modified_at": "2027-01-02T09:00:00.000Z", "owner": {"gid": "5", "name": "Ada"},
            "team": {"gid": "21", "name": "Eng"}, "workspace": {"gid": "11", "name": "Acme"},
            "members": [{"gid": "5", "name": "Ada"}, {"gid": "6", "name": "Grace"}],
            "current_status_update": {"gid": "71", "title": "On track"},
            "permalink_url": "https://app.asana.com/1/11/project/31"
        })
    );
}

#[test]
fn refuses_bad_gids_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    for (bad, field) in [
        (json!({"project": ""}), "project"),
        (json!({"project": "1/tasks"}), "project"),
        (json!({"project": "../users"}), "project"),
        (json!({}), "project"),
        (json!({"project": "1", "opt_fields": "x"}), "opt_fields"),
    ] {
        let err = run(bad.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{bad}");
        assert_eq!(err.field.as_deref(), Some(field), "{bad}");
    }
    clear_mock();
}

#[test]
fn maps_asanas_refusals() {
    for (status, kind) in [
        (404, ErrorKind::NotFound),
        (403, ErrorKind::Forbidden),
        (401, ErrorKind::Unauthorized),
    ] {
        mock_http(move |_| {
            Ok(Response::json_of(
                status,
                &json!({"errors": [{"message": "Unknown object: 9"}]}),
            ))
        });
        let err = run(json!({"project": "9"})).unwrap_err();
        assert_eq!(err.kind, kind, "{status}");
        if status == 404 {
            assert_eq!(err.field.as_deref(), Some("project"));
        }
    }
    clear_mock();
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.read-project", "1.0.0")
    );
    assert_eq!(m.scopes, ["projects:read", "teams:read"]);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["project"]));
}
