//! Small HTML helpers: escaping for the fake's pages, and the check of
//! Asana's rich text (`html_notes`, an XML document rooted in `<body>`).

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Checks Asana rich text (`html_notes`): well-formed XML whose root
/// element is `<body>` (https://developers.asana.com/docs/rich-text). On
/// success, its plain text (the `notes` Asana derives from it); otherwise why
/// it was refused. Which elements Asana accepts inside `<body>` is not
/// checked: the fake takes any well-formed content.
pub fn rich_text(xml: &str) -> Result<String, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "body" || root.tag_name().namespace().is_some() {
        return Err(format!(
            "The root element must be <body>, not <{}>",
            root.tag_name().name()
        ));
    }
    Ok(root
        .descendants()
        .filter_map(|node| node.is_text().then(|| node.text()).flatten())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_text_must_be_well_formed_xml_in_one_body() {
        assert_eq!(
            rich_text("<body>Hi <strong>there</strong><br/> &amp; bye</body>").as_deref(),
            Ok("Hi there & bye")
        );
        assert!(rich_text("Hi").is_err());
        assert!(rich_text("<body>Hi <em>there</body>").is_err());
        assert!(rich_text("<body>a</body><body>b</body>").is_err());
        assert!(rich_text("<p>a</p>").unwrap_err().contains("<body>"));
        assert!(rich_text("<body>a &nbsp; b</body>").is_err());
        assert!(rich_text("<body><a href=\"x>y</a></body>").is_err());
        assert_eq!(escape("<a href=\"x\">"), "&lt;a href=&quot;x&quot;&gt;");
    }
}
