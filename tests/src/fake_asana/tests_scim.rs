//! SCIM user writes over real HTTP, and what deprovisioning does to the
//! REST API.

use super::errors::SCIM_ERROR_SCHEMA;
use super::seed::*;
use super::tests::{get, gids, http, send};
use super::FakeAsana;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn scim(
    fake: &FakeAsana,
    method: &str,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http()
        .request(method, format!("{}/scim{path}", fake.api_base()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn patch(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH], "Operations": ops}))
}

#[tokio::test]
async fn users_are_created_once_per_user_name() {
    let fake = FakeAsana::start().await;
    let new_user = json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "frances.allen@example.com",
        "name": {"givenName": "Frances", "familyName": "Allen"},
        "emails": [{"value": "frances.allen@example.com", "primary": true, "type": "work"}],
        "title": "Compiler Engineer",
        "active": true,
        ENTERPRISE: {"department": "Engineering", "manager": {"value": MANAGER_GID}},
    });
    let (status, body) = scim(
        &fake,
        "POST",
        SERVICE_ACCOUNT_TOKEN,
        "/Users",
        Some(new_user.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["userName"], "frances.allen@example.com");
    assert_eq!(body["name"]["formatted"], "Frances Allen");
    assert_eq!(body["title"], "Compiler Engineer");
    assert_eq!(body[ENTERPRISE]["department"], "Engineering");
    assert_eq!(body[ENTERPRISE]["manager"]["value"], MANAGER_GID);
    assert_eq!(body["active"], true);
    assert_eq!(
        fake.scim_user("frances.allen@example.com").unwrap()["id"],
        id.as_str()
    );
    let (status, body) = get(&fake, PAT, &format!("/users/{id}?opt_fields=name,email")).await;
    assert_eq!(status, StatusCode::OK, "the new person is in the REST API");
    assert_eq!(body["data"]["name"], "Frances Allen");

    let (status, body) = scim(
        &fake,
        "POST",
        SERVICE_ACCOUNT_TOKEN,
        "/Users",
        Some(new_user),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]));
    assert_eq!(body["status"], "409");
    assert_eq!(body["scimType"], "uniqueness");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("frances.allen@example.com"));
    let (status, body) = scim(
        &fake,
        "POST",
        SERVICE_ACCOUNT_TOKEN,
        "/Users",
        Some(json!({"schemas": [USER], "userName": ME_EMAIL.to_uppercase()})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    for (user, scim_type) in [
        (
            json!({"schemas": [USER], "name": {"formatted": "X"}}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "not-an-email"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a@example.com", "nickName": "A"}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [USER], "userName": "a@example.com", "active": "maybe"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a@example.com", "emails": [{"value": "a@example.com", "primary": true}, {"value": "b@example.com", "primary": true}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a@example.com", ENTERPRISE: {"manager": {"value": "999"}}}),
            "invalidValue",
        ),
    ] {
        let (status, body) = scim(
            &fake,
            "POST",
            SERVICE_ACCOUNT_TOKEN,
            "/Users",
            Some(user.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{user}");
        assert_eq!(body["scimType"], scim_type, "{user}: {body}");
        assert_eq!(body["status"], "400");
    }
    let (status, body) = scim(
        &fake,
        "POST",
        PAT,
        "/Users",
        Some(json!({"userName": "b@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]));
    let (status, _) = scim(
        &fake,
        "POST",
        "bogus",
        "/Users",
        Some(json!({"userName": "b@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(fake.scim_user("a@example.com").is_none());
    assert!(fake.scim_user("b@example.com").is_none());
}

#[tokio::test]
async fn patch_replaces_attributes_and_refuses_given_and_family_names() {
    let fake = FakeAsana::start().await;
    let path = format!("/Users/{OFFBOARD_USER_GID}");
    let (status, body) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        patch(json!([
            {"op": "replace", "path": "name.formatted", "value": "Edsger W. Dijkstra"},
            {"op": "Replace", "path": "title", "value": "Principal Engineer"},
            {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Research"},
            {"op": "replace", "value": {"preferredLanguage": "nl"}},
        ])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"]["formatted"], "Edsger W. Dijkstra");
    assert_eq!(body["title"], "Principal Engineer");
    assert_eq!(body[ENTERPRISE]["department"], "Research");
    let (_, body) = get(&fake, PAT, &format!("/users/{OFFBOARD_USER_GID}")).await;
    assert_eq!(body["data"]["name"], "Edsger W. Dijkstra");
    let (_, body) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        patch(json!([{"op": "remove", "path": "title"}])),
    )
    .await;
    assert!(body.get("title").is_none());

    let (status, body) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        patch(json!([
            {"op": "replace", "path": "title", "value": "Should not stick"},
            {"op": "replace", "path": "name.givenName", "value": "E."},
        ])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["scimType"], "invalidPath");
    assert!(body["detail"].as_str().unwrap().contains("name.formatted"));
    assert!(
        fake.scim_user(OFFBOARD_USER_EMAIL)
            .unwrap()
            .get("title")
            .is_none(),
        "all or nothing"
    );
    for (body, status) in [
        (json!({"schemas": [PATCH]}), StatusCode::BAD_REQUEST),
        (
            json!({"schemas": [PATCH], "Operations": [{"op": "move", "path": "title"}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "nickName", "value": "E"}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": ME_EMAIL}]}),
            StatusCode::CONFLICT,
        ),
    ] {
        let (got, answer) = scim(
            &fake,
            "PATCH",
            SERVICE_ACCOUNT_TOKEN,
            &path,
            Some(body.clone()),
        )
        .await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["schemas"], json!([SCIM_ERROR_SCHEMA]));
    }
    let (status, body) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        "/Users/999",
        patch(json!([{"op": "replace", "path": "active", "value": false}])),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], "404");
    let (status, _) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        &format!("/Users/{HEDY_LAMARR_GID}"),
        patch(json!([{"op": "replace", "path": "title", "value": "x"}])),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not a person of the organization"
    );
}

#[tokio::test]
async fn deprovisioning_removes_the_person_from_the_rest_api_but_keeps_their_tasks() {
    let fake = FakeAsana::start().await;
    fake.add_personal_access_token("edsger-token", OFFBOARD_USER_GID);
    let (status, _) = get(&fake, "edsger-token", "/users/me").await;
    assert_eq!(status, StatusCode::OK);

    let path = format!("/Users/{OFFBOARD_USER_GID}");
    let (status, body) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        patch(json!([{"op": "replace", "value": {"active": "False"}}])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(fake.user_active(OFFBOARD_USER_GID), Some(false));

    let (status, _) = get(&fake, "edsger-token", "/users/me").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a deprovisioned user's tokens stop working"
    );
    let (_, body) = get(&fake, PAT, &format!("/users?workspace={WORKSPACE_GID}")).await;
    assert_eq!(gids(&body).len(), WORKSPACE_USER_COUNT - 1);
    let (_, body) = get(&fake, PAT, &format!("/teams/{TEAM_GID}/users")).await;
    assert!(!gids(&body).contains(&OFFBOARD_USER_GID.to_string()));
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{WORKSPACE_GID}/typeahead?resource_type=user&query=edsger"),
    )
    .await;
    assert_eq!(body["data"], json!([]));
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/projects/{OPS_PROJECT_GID}?opt_fields=members"),
    )
    .await;
    assert_eq!(body["data"]["members"], json!([]));
    assert_eq!(
        fake.team_members(TEAM_GID)
            .iter()
            .filter(|m| *m == OFFBOARD_USER_GID)
            .count(),
        1,
        "the record stays"
    );

    // Their tasks stay theirs until reassigned, and can still be found.
    assert_eq!(
        fake.open_tasks_of(OFFBOARD_USER_GID),
        OFFBOARD_OPEN_TASK_GIDS
    );
    let (status, body) = get(
        &fake,
        PAT,
        &format!(
            "/tasks?assignee={OFFBOARD_USER_GID}&workspace={WORKSPACE_GID}&completed_since=now"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(gids(&body), OFFBOARD_OPEN_TASK_GIDS);
    for gid in OFFBOARD_OPEN_TASK_GIDS {
        let (status, body) = send(
            &fake,
            "PUT",
            PAT,
            &format!("/tasks/{gid}"),
            Some(json!({"data": {"assignee": MANAGER_GID}})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert!(fake.open_tasks_of(OFFBOARD_USER_GID).is_empty());
    let (status, _) = send(
        &fake,
        "PUT",
        PAT,
        &format!("/tasks/{}", OFFBOARD_OPEN_TASK_GIDS[0]),
        Some(json!({"data": {"assignee": OFFBOARD_USER_GID}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a deprovisioned user cannot be assigned"
    );
    let (status, _) = send(
        &fake,
        "POST",
        PAT,
        &format!("/teams/{TEAM_GID}/removeUser"),
        Some(json!({"data": {"user": OFFBOARD_USER_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!fake
        .team_members(TEAM_GID)
        .contains(&OFFBOARD_USER_GID.to_string()));

    // Asana cannot reactivate through SCIM.
    let (status, body) = scim(
        &fake,
        "PATCH",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        patch(json!([{"op": "replace", "path": "active", "value": true}])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["scimType"], "mutability");
    assert_eq!(fake.user_active(OFFBOARD_USER_GID), Some(false));
    let (_, body) = scim(&fake, "GET", SERVICE_ACCOUNT_TOKEN, &path, None).await;
    assert_eq!(body["active"], false, "still listed by SCIM");
}

#[tokio::test]
async fn put_replaces_and_delete_deprovisions() {
    let fake = FakeAsana::start().await;
    let path = format!("/Users/{MANAGER_GID}");
    let (status, body) = scim(
        &fake,
        "PUT",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        Some(json!({"schemas": [USER], "userName": MANAGER_EMAIL, "name": {"givenName": "Dorothy", "familyName": "Johnson Vaughan"}, "active": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"]["formatted"], "Dorothy Johnson Vaughan");
    assert!(
        body.get("title").is_none(),
        "PUT removes what it leaves out"
    );
    assert!(body.get(ENTERPRISE).is_none());
    let (status, body) = scim(
        &fake,
        "PUT",
        SERVICE_ACCOUNT_TOKEN,
        &path,
        Some(json!({"schemas": [USER], "userName": ME_EMAIL})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = scim(
        &fake,
        "PUT",
        SERVICE_ACCOUNT_TOKEN,
        "/Users/999",
        Some(json!({"userName": "x@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = scim(&fake, "DELETE", SERVICE_ACCOUNT_TOKEN, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fake.user_active(MANAGER_GID), Some(false));
    let (status, _) = scim(&fake, "DELETE", SERVICE_ACCOUNT_TOKEN, "/Users/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
