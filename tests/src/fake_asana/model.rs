//! The resources the fake holds (workspaces, users, projects and their
//! sections, tags, custom fields, tasks) and their full JSON forms as Asana
//! renders them.

use serde_json::{json, Value};

/// A workspace or organization.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub gid: String,
    pub name: String,
    pub is_organization: bool,
    pub email_domains: Vec<String>,
}

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    pub gid: String,
    pub name: String,
    /// Primary email: the SCIM `userName` and the address `/users/{email}` accepts.
    pub email: String,
    /// Further addresses, only visible through SCIM.
    pub secondary_emails: Vec<String>,
    pub has_photo: bool,
    /// Workspaces the account belongs (or, when deactivated, belonged) to.
    pub workspaces: Vec<String>,
    /// False once an admin deactivated the account.
    pub active: bool,
    pub title: Option<String>,
    /// Service accounts act through the API but are not listed as people.
    pub service_account: bool,
}

impl User {
    /// Whether the account is a live member of the workspace.
    pub fn member_of(&self, workspace: &str) -> bool {
        self.active && self.workspaces.iter().any(|w| w == workspace)
    }

    /// Whether the account shows up in listings and typeahead.
    pub fn listed(&self) -> bool {
        self.active && !self.service_account
    }
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    pub gid: String,
    pub name: String,
    pub workspace: String,
    /// Custom fields attached to the project, in order.
    pub custom_fields: Vec<String>,
}

/// A section of a project. Every project has at least one; a task added to
/// a project without a section goes to its first.
#[derive(Debug, Clone)]
pub struct Section {
    pub gid: String,
    pub name: String,
    pub project: String,
}

/// A tag.
#[derive(Debug, Clone)]
pub struct Tag {
    pub gid: String,
    pub name: String,
    pub workspace: String,
}

/// One option of an enum custom field.
#[derive(Debug, Clone)]
pub struct EnumOption {
    pub gid: String,
    pub name: String,
    pub color: String,
}

/// The type of a custom field.
#[derive(Debug, Clone)]
pub enum CustomFieldKind {
    Text,
    Number { precision: u32 },
    Enum(Vec<EnumOption>),
    Date,
}

/// A custom field definition.
#[derive(Debug, Clone)]
pub struct CustomField {
    pub gid: String,
    pub name: String,
    pub workspace: String,
    pub kind: CustomFieldKind,
}

/// The value a task holds for a custom field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Enum(EnumOption),
    /// A date field's value: a date, or a UTC date-time (`date` is then its day).
    Date {
        date: String,
        date_time: Option<String>,
    },
}

/// A task: its workspace for access checks and its full JSON form.
#[derive(Debug, Clone)]
pub struct Task {
    pub gid: String,
    pub workspace: String,
    /// True for tasks created through the API (as opposed to seeded ones).
    pub created: bool,
    pub full: Value,
}

/// Everything the fake knows about.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub workspaces: Vec<Workspace>,
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub sections: Vec<Section>,
    pub tags: Vec<Tag>,
    pub custom_fields: Vec<CustomField>,
    pub tasks: Vec<Task>,
}

impl Store {
    pub fn workspace(&self, gid: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|w| w.gid == gid)
    }

    pub fn user(&self, gid: &str) -> Option<&User> {
        self.users.iter().find(|u| u.gid == gid)
    }

    /// A user named the way Asana accepts: `me`, a gid or a primary email.
    pub fn identify_user(&self, id: &str, me: &str) -> Option<&User> {
        if id == "me" {
            return self.user(me);
        }
        if id.contains('@') {
            return self.users.iter().find(|u| u.email.eq_ignore_ascii_case(id));
        }
        self.user(id)
    }

    pub fn project(&self, gid: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.gid == gid)
    }

    pub fn section(&self, gid: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.gid == gid)
    }

    /// The first section of a project.
    pub fn first_section(&self, project: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.project == project)
    }

    pub fn tag(&self, gid: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.gid == gid)
    }

    pub fn custom_field(&self, gid: &str) -> Option<&CustomField> {
        self.custom_fields.iter().find(|c| c.gid == gid)
    }

    pub fn task(&self, gid: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.gid == gid)
    }

    /// Whether `viewer` may see `user`: themselves, or someone in a shared workspace.
    pub fn can_see_user(&self, viewer: &User, user: &User) -> bool {
        viewer.gid == user.gid || user.workspaces.iter().any(|w| viewer.member_of(w))
    }

    /// The full form of a workspace (`WorkspaceResponse`).
    pub fn workspace_json(&self, workspace: &Workspace) -> Value {
        json!({
            "gid": workspace.gid,
            "resource_type": "workspace",
            "name": workspace.name,
            "email_domains": workspace.email_domains,
            "is_organization": workspace.is_organization,
        })
    }

    /// The full form of a user (`UserResponse`) as `viewer` sees it: only
    /// workspaces both share are listed.
    pub fn user_json(&self, user: &User, viewer: &User) -> Value {
        let workspaces: Vec<Value> = self
            .workspaces
            .iter()
            .filter(|w| user.member_of(&w.gid) && viewer.member_of(&w.gid))
            .map(|w| self.workspace_json(w))
            .collect();
        json!({
            "gid": user.gid,
            "resource_type": "user",
            "name": user.name,
            "email": user.email,
            "photo": photo_json(user),
            "workspaces": workspaces,
            "custom_fields": [],
        })
    }

    /// The full form of a project as it appears inside a task.
    pub fn project_json(&self, project: &Project) -> Value {
        let workspace = self
            .workspace(&project.workspace)
            .map(|w| self.workspace_json(w))
            .unwrap_or(Value::Null);
        json!({
            "gid": project.gid,
            "resource_type": "project",
            "name": project.name,
            "workspace": workspace,
        })
    }

    /// The compact form of a section.
    pub fn section_json(&self, section: &Section) -> Value {
        json!({ "gid": section.gid, "resource_type": "section", "name": section.name })
    }

    /// The full form of a tag.
    pub fn tag_json(&self, tag: &Tag) -> Value {
        json!({ "gid": tag.gid, "resource_type": "tag", "name": tag.name })
    }

    /// The definition of a custom field (`CustomFieldResponse`), without a value.
    pub fn custom_field_json(&self, field: &CustomField) -> Value {
        custom_field_value_json(field, None)
    }
}

/// A user's photo object, or null.
fn photo_json(user: &User) -> Value {
    if !user.has_photo {
        return Value::Null;
    }
    let mut photo = serde_json::Map::new();
    for size in ["21x21", "27x27", "36x36", "60x60", "128x128"] {
        photo.insert(
            format!("image_{size}"),
            Value::String(format!(
                "https://s3.amazonaws.com/profile_photos/{}.fake_{size}.png",
                user.gid
            )),
        );
    }
    photo.insert(
        "image_1024x1024".to_string(),
        Value::String(format!(
            "https://s3.amazonaws.com/profile_photos/{}.fake_1024x1024.jpg",
            user.gid
        )),
    );
    Value::Object(photo)
}

/// An enum option's JSON form.
pub fn enum_option_json(option: &EnumOption) -> Value {
    json!({
        "gid": option.gid,
        "resource_type": "enum_option",
        "name": option.name,
        "enabled": true,
        "color": option.color,
    })
}

/// A custom field with the value a task holds for it (all value slots null when unset).
pub fn custom_field_value_json(field: &CustomField, value: Option<&FieldValue>) -> Value {
    let (subtype, display) = match (&field.kind, value) {
        (CustomFieldKind::Text, Some(FieldValue::Text(t))) => ("text", Value::String(t.clone())),
        (CustomFieldKind::Number { precision }, Some(FieldValue::Number(n))) => (
            "number",
            Value::String(format!("{:.*}", *precision as usize, n)),
        ),
        (CustomFieldKind::Enum(_), Some(FieldValue::Enum(o))) => {
            ("enum", Value::String(o.name.clone()))
        }
        (CustomFieldKind::Date, Some(FieldValue::Date { date, date_time })) => (
            "date",
            Value::String(date_time.clone().unwrap_or_else(|| date.clone())),
        ),
        (CustomFieldKind::Text, _) => ("text", Value::Null),
        (CustomFieldKind::Number { .. }, _) => ("number", Value::Null),
        (CustomFieldKind::Enum(_), _) => ("enum", Value::Null),
        (CustomFieldKind::Date, _) => ("date", Value::Null),
    };
    let mut json = json!({
        "gid": field.gid,
        "resource_type": "custom_field",
        "name": field.name,
        "type": subtype,
        "resource_subtype": subtype,
        "representation_type": subtype,
        "enabled": true,
        "is_formula_field": false,
        "display_value": display,
    });
    match &field.kind {
        CustomFieldKind::Text => {
            json["text_value"] = match value {
                Some(FieldValue::Text(t)) => Value::String(t.clone()),
                _ => Value::Null,
            };
        }
        CustomFieldKind::Number { precision } => {
            json["precision"] = json!(precision);
            json["number_value"] = match value {
                Some(FieldValue::Number(n)) => json!(n),
                _ => Value::Null,
            };
        }
        CustomFieldKind::Enum(options) => {
            json["enum_options"] = options.iter().map(enum_option_json).collect();
            json["enum_value"] = match value {
                Some(FieldValue::Enum(o)) => enum_option_json(o),
                _ => Value::Null,
            };
        }
        CustomFieldKind::Date => {
            json["date_value"] = match value {
                Some(FieldValue::Date { date, date_time }) => {
                    json!({ "date": date, "date_time": date_time })
                }
                _ => Value::Null,
            };
        }
    }
    json
}
