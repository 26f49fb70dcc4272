//! The data every fake starts with, and the constants tests refer to.
//!
//! Three workspaces: "Acme Corp" (an organization on `example.com`, where the
//! service account and SCIM live), "Personal Projects" and "Globex Labs"
//! (which Ada is not in). Eight people: Ada Lovelace (the authenticated user
//! of [`PAT`] and of the consent page), Grace Hopper and Grace Kelly (names
//! sharing a prefix), Alan Turing, Katherine Johnson, Margaret Hamilton (only
//! in Personal Projects, which Ada shares), Hedy Lamarr (only in Globex Labs)
//! and Charles Babbage (deactivated). Grace Hopper and Alan Turing have
//! secondary email addresses that differ from their primary one.
//!
//! Two OAuth apps: [`CLIENT_ID`], registered with Full permissions, and
//! [`GRANULAR_CLIENT_ID`], registered with the granular [`GRANULAR_SCOPES`].

use super::model::{
    CustomField, CustomFieldKind, EnumOption, Project, Section, Store, Tag, Task, User, Workspace,
};
use serde_json::json;

/// "Acme Corp", an organization.
pub const WORKSPACE_GID: &str = "1200000000000001";
/// Name of [`WORKSPACE_GID`].
pub const WORKSPACE_NAME: &str = "Acme Corp";
/// "Personal Projects", a plain workspace.
pub const SECOND_WORKSPACE_GID: &str = "1200000000000002";
/// Name of [`SECOND_WORKSPACE_GID`].
pub const SECOND_WORKSPACE_NAME: &str = "Personal Projects";
/// "Globex Labs", a plain workspace Ada is not in.
pub const THIRD_WORKSPACE_GID: &str = "1200000000000003";

/// Ada Lovelace, the user behind [`PAT`] and the consent page.
pub const ME_GID: &str = "1200000000000101";
/// Ada's name.
pub const ME_NAME: &str = "Ada Lovelace";
/// Ada's email.
pub const ME_EMAIL: &str = "ada@example.com";
/// Grace Hopper, in both workspaces, with a secondary email.
pub const GRACE_HOPPER_GID: &str = "1200000000000102";
/// Grace Hopper's primary email.
pub const GRACE_HOPPER_EMAIL: &str = "grace.hopper@example.com";
/// Grace Hopper's secondary email (SCIM only).
pub const GRACE_HOPPER_SECONDARY_EMAIL: &str = "amazing.grace@navy.example.org";
/// Grace Kelly, in Acme Corp, without a photo.
pub const GRACE_KELLY_GID: &str = "1200000000000103";
/// Grace Kelly's email.
pub const GRACE_KELLY_EMAIL: &str = "grace.kelly@example.com";
/// Alan Turing, in Acme Corp, with a secondary email.
pub const ALAN_TURING_GID: &str = "1200000000000104";
/// Alan Turing's primary email.
pub const ALAN_TURING_EMAIL: &str = "alan.turing@example.com";
/// Alan Turing's secondary email (SCIM only).
pub const ALAN_TURING_SECONDARY_EMAIL: &str = "alan@bletchley.example.org";
/// Katherine Johnson, in Acme Corp.
pub const KATHERINE_JOHNSON_GID: &str = "1200000000000105";
/// Katherine Johnson's email.
pub const KATHERINE_JOHNSON_EMAIL: &str = "katherine.johnson@example.com";
/// Margaret Hamilton, only in Personal Projects: Ada can see her, but she is
/// not a user of Acme Corp.
pub const MARGARET_HAMILTON_GID: &str = "1200000000000106";
/// Margaret Hamilton's email.
pub const MARGARET_HAMILTON_EMAIL: &str = "margaret.hamilton@example.org";
/// Charles Babbage, deactivated in Acme Corp (SCIM `active: false`).
pub const CHARLES_BABBAGE_GID: &str = "1200000000000107";
/// Charles Babbage's email.
pub const CHARLES_BABBAGE_EMAIL: &str = "charles.babbage@example.com";
/// Hedy Lamarr, only in Globex Labs: no workspace in common with Ada.
pub const HEDY_LAMARR_GID: &str = "1200000000000108";
/// Hedy Lamarr's email.
pub const HEDY_LAMARR_EMAIL: &str = "hedy.lamarr@globex.example.net";
/// The service account of Acme Corp.
pub const SERVICE_ACCOUNT_GID: &str = "1200000000000190";

/// Ada's personal access token (Asana's `2/<user>/<token>:<secret>` shape).
pub const PAT: &str = "2/1200000000000101/1200000000000901:8c3f1e0d6b2a4f7e9d5c1b3a7f0e2d4c";
/// The service account token of Acme Corp: the only token SCIM accepts.
pub const SERVICE_ACCOUNT_TOKEN: &str =
    "2/1200000000000190/1200000000000902:5e7a9c1b3d2f4a6c8e0b1d3f5a7c9e2b";

/// The registered OAuth app's client id.
pub const CLIENT_ID: &str = "1200000000000801";
/// The registered OAuth app's client secret.
pub const CLIENT_SECRET: &str = "fake-asana-secret-7d1c5e9a3b2f4e6a";
/// The registered OAuth app's name, shown on the consent page.
pub const CLIENT_NAME: &str = "Cardhost";
/// The redirect URI registered for [`CLIENT_ID`]. The default client also
/// accepts `http://127.0.0.1:<port>/oauth/callback` and
/// `http://localhost:<port>/oauth/callback` on any port.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/oauth/callback";

/// An OAuth app registered with granular scopes ([`GRANULAR_SCOPES`]): it
/// must ask for some of them, and gets `forbidden_scopes` for `default` or
/// any other. It accepts the same redirect URIs as [`CLIENT_ID`].
pub const GRANULAR_CLIENT_ID: &str = "1200000000000802";
/// The granular app's client secret.
pub const GRANULAR_CLIENT_SECRET: &str = "fake-asana-granular-secret-3b9e1f7c5a2d";
/// The granular app's name, shown on the consent page.
pub const GRANULAR_CLIENT_NAME: &str = "Cardhost (granular scopes)";
/// The scopes the granular app is registered with.
pub const GRANULAR_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "users:read",
    "workspaces:read",
    "workspaces.typeahead:read",
    "teams:read",
    "projects:read",
    "tags:read",
    "custom_fields:read",
    "tasks:read",
    "tasks:write",
];

/// "Launch Plan", a project in Acme Corp carrying the custom fields.
pub const PROJECT_GID: &str = "1200000000000301";
/// Name of [`PROJECT_GID`].
pub const PROJECT_NAME: &str = "Launch Plan";
/// "Garden", a project in Personal Projects.
pub const SECOND_PROJECT_GID: &str = "1200000000000302";
/// "Backlog", the first section of [`PROJECT_GID`] (where tasks added to the
/// project without a section go).
pub const SECTION_GID: &str = "1200000000000351";
/// "In progress", the second section of [`PROJECT_GID`].
pub const SECOND_SECTION_GID: &str = "1200000000000352";
/// "Untitled section", the only section of [`SECOND_PROJECT_GID`].
pub const SECOND_PROJECT_SECTION_GID: &str = "1200000000000353";
/// "Prepare launch", a task in [`PROJECT_GID`] to create subtasks under.
pub const PARENT_TASK_GID: &str = "1200000000000401";
/// Name of [`PARENT_TASK_GID`].
pub const PARENT_TASK_NAME: &str = "Prepare launch";
/// The tag "urgent" in Acme Corp.
pub const TAG_GID: &str = "1200000000000501";
/// "Priority", an enum custom field on [`PROJECT_GID`].
pub const CUSTOM_FIELD_GID: &str = "1200000000000601";
/// Option "High" of [`CUSTOM_FIELD_GID`].
pub const PRIORITY_HIGH_GID: &str = "1200000000000611";
/// Option "Medium" of [`CUSTOM_FIELD_GID`].
pub const PRIORITY_MEDIUM_GID: &str = "1200000000000612";
/// Option "Low" of [`CUSTOM_FIELD_GID`].
pub const PRIORITY_LOW_GID: &str = "1200000000000613";
/// "Ticket ID", a text custom field on [`PROJECT_GID`].
pub const TEXT_CUSTOM_FIELD_GID: &str = "1200000000000602";
/// "Estimate", a number custom field (precision 1) on [`PROJECT_GID`].
pub const NUMBER_CUSTOM_FIELD_GID: &str = "1200000000000603";
/// "Launch date", a date custom field on [`PROJECT_GID`].
pub const DATE_CUSTOM_FIELD_GID: &str = "1200000000000604";

/// Timestamp of the seeded parent task.
const SEED_CREATED_AT: &str = "2024-01-15T09:30:00.000Z";

fn user(gid: &str, name: &str, email: &str, workspaces: &[&str]) -> User {
    User {
        gid: gid.to_string(),
        name: name.to_string(),
        email: email.to_string(),
        secondary_emails: Vec::new(),
        has_photo: true,
        workspaces: workspaces.iter().map(|w| w.to_string()).collect(),
        active: true,
        title: None,
        service_account: false,
    }
}

fn section(gid: &str, name: &str, project: &str) -> Section {
    Section {
        gid: gid.to_string(),
        name: name.to_string(),
        project: project.to_string(),
    }
}

fn option(gid: &str, name: &str, color: &str) -> EnumOption {
    EnumOption {
        gid: gid.to_string(),
        name: name.to_string(),
        color: color.to_string(),
    }
}

/// The seeded store.
pub(crate) fn store() -> Store {
    let both = [WORKSPACE_GID, SECOND_WORKSPACE_GID];
    let acme = [WORKSPACE_GID];
    let users = vec![
        User {
            title: Some("Analyst".into()),
            ..user(ME_GID, ME_NAME, ME_EMAIL, &both)
        },
        User {
            secondary_emails: vec![GRACE_HOPPER_SECONDARY_EMAIL.into()],
            title: Some("Rear Admiral".into()),
            ..user(GRACE_HOPPER_GID, "Grace Hopper", GRACE_HOPPER_EMAIL, &both)
        },
        User {
            has_photo: false,
            ..user(GRACE_KELLY_GID, "Grace Kelly", GRACE_KELLY_EMAIL, &acme)
        },
        User {
            secondary_emails: vec![ALAN_TURING_SECONDARY_EMAIL.into()],
            ..user(ALAN_TURING_GID, "Alan Turing", ALAN_TURING_EMAIL, &acme)
        },
        user(
            KATHERINE_JOHNSON_GID,
            "Katherine Johnson",
            KATHERINE_JOHNSON_EMAIL,
            &acme,
        ),
        user(
            MARGARET_HAMILTON_GID,
            "Margaret Hamilton",
            MARGARET_HAMILTON_EMAIL,
            &[SECOND_WORKSPACE_GID],
        ),
        User {
            active: false,
            ..user(
                CHARLES_BABBAGE_GID,
                "Charles Babbage",
                CHARLES_BABBAGE_EMAIL,
                &acme,
            )
        },
        User {
            has_photo: false,
            ..user(
                HEDY_LAMARR_GID,
                "Hedy Lamarr",
                HEDY_LAMARR_EMAIL,
                &[THIRD_WORKSPACE_GID],
            )
        },
        User {
            has_photo: false,
            service_account: true,
            ..user(
                SERVICE_ACCOUNT_GID,
                "Acme Service Account",
                "service-account@example.com",
                &acme,
            )
        },
    ];
    let mut store = Store {
        workspaces: vec![
            Workspace {
                gid: WORKSPACE_GID.into(),
                name: WORKSPACE_NAME.into(),
                is_organization: true,
                email_domains: vec!["example.com".into()],
            },
            Workspace {
                gid: SECOND_WORKSPACE_GID.into(),
                name: SECOND_WORKSPACE_NAME.into(),
                is_organization: false,
                email_domains: Vec::new(),
            },
            Workspace {
                gid: THIRD_WORKSPACE_GID.into(),
                name: "Globex Labs".into(),
                is_organization: false,
                email_domains: Vec::new(),
            },
        ],
        users,
        projects: vec![
            Project {
                gid: PROJECT_GID.into(),
                name: PROJECT_NAME.into(),
                workspace: WORKSPACE_GID.into(),
                custom_fields: vec![
                    CUSTOM_FIELD_GID.into(),
                    TEXT_CUSTOM_FIELD_GID.into(),
                    NUMBER_CUSTOM_FIELD_GID.into(),
                    DATE_CUSTOM_FIELD_GID.into(),
                ],
            },
            Project {
                gid: SECOND_PROJECT_GID.into(),
                name: "Garden".into(),
                workspace: SECOND_WORKSPACE_GID.into(),
                custom_fields: Vec::new(),
            },
        ],
        sections: vec![
            section(SECTION_GID, "Backlog", PROJECT_GID),
            section(SECOND_SECTION_GID, "In progress", PROJECT_GID),
            section(
                SECOND_PROJECT_SECTION_GID,
                "Untitled section",
                SECOND_PROJECT_GID,
            ),
        ],
        tags: vec![Tag {
            gid: TAG_GID.into(),
            name: "urgent".into(),
            workspace: WORKSPACE_GID.into(),
        }],
        custom_fields: vec![
            CustomField {
                gid: CUSTOM_FIELD_GID.into(),
                name: "Priority".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Enum(vec![
                    option(PRIORITY_HIGH_GID, "High", "red"),
                    option(PRIORITY_MEDIUM_GID, "Medium", "yellow"),
                    option(PRIORITY_LOW_GID, "Low", "green"),
                ]),
            },
            CustomField {
                gid: TEXT_CUSTOM_FIELD_GID.into(),
                name: "Ticket ID".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Text,
            },
            CustomField {
                gid: NUMBER_CUSTOM_FIELD_GID.into(),
                name: "Estimate".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Number { precision: 1 },
            },
            CustomField {
                gid: DATE_CUSTOM_FIELD_GID.into(),
                name: "Launch date".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Date,
            },
        ],
        tasks: Vec::new(),
    };
    let parent = parent_task(&store);
    store.tasks.push(parent);
    store
}

/// The seeded task "Prepare launch", assigned to Ada in "Launch Plan".
fn parent_task(store: &Store) -> Task {
    let ada = store.user(ME_GID);
    let ada_json = ada.map(|u| store.user_json(u, u)).unwrap_or_default();
    let project = store
        .project(PROJECT_GID)
        .map(|p| store.project_json(p))
        .unwrap_or_default();
    let section = store
        .section(SECTION_GID)
        .map(|s| store.section_json(s))
        .unwrap_or_default();
    let workspace = store
        .workspace(WORKSPACE_GID)
        .map(|w| store.workspace_json(w))
        .unwrap_or_default();
    let custom_fields: Vec<_> = store
        .custom_fields
        .iter()
        .map(|f| store.custom_field_json(f))
        .collect();
    let full = json!({
        "gid": PARENT_TASK_GID,
        "resource_type": "task",
        "resource_subtype": "default_task",
        "name": PARENT_TASK_NAME,
        "notes": "Everything that has to happen before launch day.",
        "html_notes": "<body>Everything that has to happen before launch day.</body>",
        "assignee": ada_json,
        "assignee_status": "upcoming",
        "completed": false,
        "completed_at": null,
        "created_at": SEED_CREATED_AT,
        "modified_at": SEED_CREATED_AT,
        "created_by": { "gid": ME_GID, "resource_type": "user" },
        "due_on": "2024-03-01",
        "due_at": null,
        "start_on": null,
        "start_at": null,
        "completed_by": null,
        "followers": [ada_json],
        "projects": [project],
        "memberships": [{ "project": project, "section": section }],
        "tags": [],
        "custom_fields": custom_fields,
        "workspace": workspace,
        "parent": null,
        "num_subtasks": 0,
        "liked": false,
        "num_likes": 0,
        "permalink_url": format!("https://app.asana.com/1/{WORKSPACE_GID}/task/{PARENT_TASK_GID}"),
    });
    Task {
        gid: PARENT_TASK_GID.into(),
        workspace: WORKSPACE_GID.into(),
        created: false,
        full,
    }
}
