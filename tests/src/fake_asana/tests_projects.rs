//! Projects and project memberships over real HTTP.

use super::seed::*;
use super::tests::{get, gids, granular_token, message, send, walk};
use super::FakeAsana;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn projects_are_created_in_a_team_of_an_organization() {
    let fake = FakeAsana::start().await;
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects",
        Some(json!({"data": {"workspace": WORKSPACE_GID, "name": "Offboarding"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "team: Missing input");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects",
        Some(json!({"data": {"name": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "workspace: Missing input");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects",
        Some(json!({"data": {"workspace": WORKSPACE_GID, "team": "42", "name": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "team: Not a recognized ID: 42");

    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects?opt_fields=name,team.name,owner,members,html_notes,archived",
        Some(json!({"data": {"workspace": WORKSPACE_GID, "team": OPS_TEAM_GID, "name": "Offboarding", "notes": "a < b"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let gid = body["data"]["gid"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["team"]["name"], OPS_TEAM_NAME);
    assert_eq!(body["data"]["owner"]["gid"], ME_GID);
    assert_eq!(
        body["data"]["members"],
        json!([{"gid": ME_GID, "resource_type": "user", "name": ME_NAME}])
    );
    assert_eq!(body["data"]["html_notes"], "<body>a &lt; b</body>");
    assert_eq!(body["data"]["archived"], false);
    let project = fake.project(&gid).unwrap();
    assert_eq!(project["workspace"]["gid"], WORKSPACE_GID);
    assert_eq!(
        fake.project_members(&gid),
        [
            (ME_GID.to_string(), "user", "admin".to_string()),
            (OPS_TEAM_GID.to_string(), "team", "editor".to_string())
        ]
    );

    // A plain workspace needs no team; a team's own route needs no workspace.
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects",
        Some(json!({"data": {"workspace": SECOND_WORKSPACE_GID, "name": "Herbs"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["team"], Value::Null);
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("/teams/{MARKETING_TEAM_GID}/projects"),
        Some(json!({"data": {"name": "Launch video", "color": "dark-pink"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["team"]["gid"], MARKETING_TEAM_GID);
    assert_eq!(body["data"]["color"], "dark-pink");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects",
        Some(json!({"data": {"workspace": WORKSPACE_GID, "team": TEAM_GID, "colour": "red"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.colour: "), "{body}");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/projects",
        Some(json!({"data": {"workspace": WORKSPACE_GID, "team": TEAM_GID, "color": "red"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.color: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 2);

    let reader = granular_token(&fake, "projects:read").await;
    let (status, body) = send(
        &fake,
        "POST",
        &reader,
        "/projects",
        Some(json!({"data": {"workspace": WORKSPACE_GID, "team": TEAM_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("projects:write"));
}

#[tokio::test]
async fn projects_are_read_updated_and_deleted() {
    let fake = FakeAsana::start().await;
    let path = format!("/projects/{ROADMAP_PROJECT_GID}");
    let (status, body) = get(&fake, PAT, &path).await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["data"];
    assert_eq!(data["name"], ROADMAP_PROJECT_NAME);
    assert_eq!(
        data["team"],
        json!({"gid": TEAM_GID, "resource_type": "team", "name": TEAM_NAME})
    );
    assert_eq!(data["owner"]["gid"], MANAGER_GID);
    assert!(data.get("html_notes").is_none(), "html_notes is opt-in");
    assert_eq!(data["notes"], "What the platform team ships this year.");
    let (status, body) = get(&fake, PAT, "/projects/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "project: Unknown object: 999");

    let (status, body) = send(
        &fake,
        "PUT",
        PAT,
        &path,
        Some(json!({"data": {"name": "Platform Roadmap 2025", "archived": true, "owner": OFFBOARD_USER_EMAIL, "team": OPS_TEAM_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["name"], "Platform Roadmap 2025");
    assert_eq!(body["data"]["archived"], true);
    assert_eq!(body["data"]["owner"]["gid"], OFFBOARD_USER_GID);
    assert_eq!(body["data"]["team"]["gid"], OPS_TEAM_GID);
    assert_eq!(
        fake.task(OFFBOARD_TASK_GID).unwrap()["projects"][0]["name"],
        "Platform Roadmap 2025"
    );
    for (data, prefix) in [
        (json!({"followers": ME_GID}), "followers: "),
        (json!({"owner": MARGARET_HAMILTON_GID}), "owner: "),
        (
            json!({"team": MARKETING_TEAM_GID.to_string() + "0"}),
            "team: ",
        ),
        (json!({"due_on": "2024-13-01"}), "due_on: "),
        (
            json!({"custom_fields": {CUSTOM_FIELD_GID: PRIORITY_HIGH_GID}}),
            "custom_fields: ",
        ),
    ] {
        let (status, body) = send(&fake, "PUT", PAT, &path, Some(json!({"data": data}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}");
        assert!(message(&body).starts_with(prefix), "{body}");
    }
    let (status, body) = send(
        &fake,
        "PUT",
        PAT,
        &path,
        Some(json!({"data": {"workspace": WORKSPACE_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "workspace cannot change");
    assert!(message(&body).starts_with("data.workspace: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 1);

    let writer = granular_token(&fake, "projects:read projects:write").await;
    let (status, body) = send(&fake, "DELETE", &writer, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("projects:delete"));
    let (status, body) = send(&fake, "DELETE", PAT, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {}}));
    assert!(fake.project(ROADMAP_PROJECT_GID).is_none());
    assert_eq!(fake.task(OFFBOARD_TASK_GID).unwrap()["projects"], json!([]));
    let (status, _) = get(&fake, PAT, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn projects_are_listed_by_workspace_team_and_archived() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(&fake, PAT, &format!("/projects?workspace={WORKSPACE_GID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gids(&body).len(), 6);
    assert_eq!(
        body["data"][0],
        json!({"gid": PROJECT_GID, "resource_type": "project", "name": PROJECT_NAME})
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/projects?workspace={WORKSPACE_GID}&team={TEAM_GID}&archived=false"),
    )
    .await;
    assert_eq!(
        gids(&body),
        [PROJECT_GID, ROADMAP_PROJECT_GID, INCIDENT_PROJECT_GID]
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/projects?workspace={WORKSPACE_GID}&archived=true"),
    )
    .await;
    assert_eq!(gids(&body), [ARCHIVED_PROJECT_GID]);
    let (seen, pages) = walk(&fake, PAT, "/projects?limit=2").await;
    assert_eq!((seen.len(), pages), (7, 4));
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/teams/{TEAM_GID}/projects?archived=false&opt_fields=name,archived"),
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(body["data"][0]["archived"], false);
    let (status, body) = get(&fake, PAT, "/projects?archived=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("archived: "));
    let (status, _) = get(&fake, PAT, "/projects?workspace=999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&fake, PAT, "/teams/999/projects").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{WORKSPACE_GID}/typeahead?resource_type=project&query=incident"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"gid": INCIDENT_PROJECT_GID, "resource_type": "project", "name": "Incident Review"}])
    );
    let tasks_only = granular_token(&fake, "tasks:read").await;
    let (status, _) = get(&fake, &tasks_only, "/projects").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn members_are_added_and_removed() {
    let fake = FakeAsana::start().await;
    let path = format!("/projects/{INCIDENT_PROJECT_GID}");
    let (status, body) = get(&fake, PAT, &format!("{path}/project_memberships")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(body["data"][0]["resource_type"], "project_membership");
    assert_eq!(body["data"][0]["member"]["gid"], MANAGER_GID);
    assert_eq!(body["data"][0]["access_level"], "admin");
    assert_eq!(body["data"][2]["member"]["resource_type"], "team");
    let (_, body) = get(
        &fake,
        PAT,
        &format!("{path}/project_memberships?user={OFFBOARD_USER_EMAIL}"),
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    let (seen, pages) = walk(&fake, PAT, &format!("{path}/project_memberships?limit=2")).await;
    assert_eq!((seen.len(), pages), (3, 2));

    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}/addMembers?opt_fields=members"),
        Some(json!({"data": {"members": format!("{ALAN_TURING_GID},{BARBARA_LISKOV_EMAIL}")}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let members: Vec<&str> = body["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["gid"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        [
            MANAGER_GID,
            OFFBOARD_USER_GID,
            ALAN_TURING_GID,
            BARBARA_LISKOV_GID
        ]
    );
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}/removeMembers"),
        Some(json!({"data": {"members": OFFBOARD_USER_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["gid"] == OFFBOARD_USER_GID));
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}/addMembers"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&body).starts_with("data.members: Missing input"),
        "{body}"
    );
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}/addMembers"),
        Some(json!({"data": {"members": "1,2"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "members: Not a recognized ID: 1");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}/addMembers"),
        Some(json!({"data": {"members": [ME_GID]}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "members is a comma separated string"
    );
    assert!(message(&body).starts_with("data.members: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 2);
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}/addMembers"),
        Some(json!({"data": {"members": " , "}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "members: Missing input");
    let (status, _) = send(
        &fake,
        "POST",
        PAT,
        "/projects/999/addMembers",
        Some(json!({"data": {"members": "me"}})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let every = granular_token(&fake, &GRANULAR_SCOPES.join(" ")).await;
    let (status, body) = send(
        &fake,
        "POST",
        &every,
        &format!("{path}/addMembers"),
        Some(json!({"data": {"members": "me"}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "addMembers has no granular scope"
    );
    assert!(message(&body).contains("Full permissions"));
}

#[tokio::test]
async fn memberships_share_projects_with_users_and_teams() {
    let fake = FakeAsana::start().await;
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/memberships",
        Some(json!({"data": {"parent": MARKETING_PROJECT_GID, "member": DESIGN_TEAM_GID, "access_level": "commenter"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["resource_type"], "membership");
    assert_eq!(body["data"]["resource_subtype"], "project_membership");
    assert_eq!(body["data"]["member"]["resource_type"], "team");
    assert_eq!(body["data"]["access_level"], "commenter");
    let team_membership = body["data"]["gid"].as_str().unwrap().to_string();
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/memberships",
        Some(json!({"data": {"parent": MARKETING_PROJECT_GID, "member": ME_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["data"]["access_level"], "editor");

    let (_, body) = get(
        &fake,
        PAT,
        &format!("/memberships?parent={MARKETING_PROJECT_GID}"),
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 4);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/memberships?parent={MARKETING_PROJECT_GID}&member={DESIGN_TEAM_GID}"),
    )
    .await;
    assert_eq!(gids(&body), vec![team_membership.clone()]);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/memberships?member={TEAM_GID}&resource_subtype=project_membership&limit=2"),
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(body["next_page"]["offset"].is_string());
    let (status, _) = get(&fake, PAT, "/memberships").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&fake, PAT, &format!("/memberships?member={TEAM_GID}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    for (data, text) in [
        (json!({"member": ME_GID}), "parent: Missing input"),
        (
            json!({"parent": MARKETING_PROJECT_GID}),
            "member: Missing input",
        ),
        (
            json!({"parent": "999", "member": ME_GID}),
            "parent: Not a recognized ID: 999",
        ),
        (
            json!({"parent": MARKETING_PROJECT_GID, "member": HEDY_LAMARR_GID}),
            "member: Not a recognized ID",
        ),
        (
            json!({"parent": MARKETING_PROJECT_GID, "member": ME_GID, "access_level": "owner"}),
            "access_level: ",
        ),
    ] {
        let (status, body) = send(
            &fake,
            "POST",
            PAT,
            "/memberships",
            Some(json!({"data": data})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}");
        assert!(message(&body).starts_with(text), "{body}");
    }

    let (status, body) = get(&fake, PAT, &format!("/memberships/{team_membership}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["parent"]["gid"], MARKETING_PROJECT_GID);
    let (status, body) = send(
        &fake,
        "DELETE",
        PAT,
        &format!("/memberships/{team_membership}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {}}));
    let (status, _) = send(
        &fake,
        "DELETE",
        PAT,
        &format!("/memberships/{team_membership}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!fake
        .project_members(MARKETING_PROJECT_GID)
        .iter()
        .any(|(m, _, _)| m == DESIGN_TEAM_GID));
}
