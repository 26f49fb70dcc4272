//! Small HTML helpers: escaping for the fake's pages, and the checks and
//! conversions of Asana's rich text (`html_notes`, an XML fragment in `<body>`).

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

/// Why rich text was refused.
pub fn check_rich_text(xml: &str) -> Result<(), &'static str> {
    let trimmed = xml.trim();
    if !trimmed.starts_with("<body>") || !trimmed.ends_with("</body>") {
        return Err("The root element must be <body>");
    }
    let mut stack: Vec<String> = Vec::new();
    let mut rest = trimmed;
    let mut closed_root = false;
    while let Some(open) = rest.find('<') {
        if closed_root && !rest[..open].trim().is_empty() {
            return Err("Content is not allowed after the <body> element");
        }
        let after = &rest[open + 1..];
        let close = after.find('>').ok_or("Unterminated tag")?;
        let tag = after[..close].trim();
        rest = &after[close + 1..];
        if closed_root {
            return Err("Content is not allowed after the <body> element");
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some(open_name) if open_name == name => {}
                _ => return Err("Mismatched closing tag"),
            }
            if stack.is_empty() {
                closed_root = true;
            }
        } else if tag.ends_with('/') {
            continue;
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if name.is_empty() {
                return Err("Invalid tag");
            }
            if closed_root || (stack.is_empty() && name != "body") {
                return Err("The root element must be <body>");
            }
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return Err("Unclosed tag");
    }
    Ok(())
}

/// Plain text of rich text: tags dropped, the common entities decoded.
pub fn strip_tags(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_text_must_be_one_balanced_body() {
        assert!(check_rich_text("<body>Hi <strong>there</strong><br/></body>").is_ok());
        assert!(check_rich_text("Hi").is_err());
        assert!(check_rich_text("<body>Hi <em>there</body>").is_err());
        assert!(check_rich_text("<body>a</body><body>b</body>").is_err());
        assert_eq!(strip_tags("<body>A &amp; <em>B</em></body>"), "A & B");
        assert_eq!(escape("<a href=\"x\">"), "&lt;a href=&quot;x&quot;&gt;");
    }
}
