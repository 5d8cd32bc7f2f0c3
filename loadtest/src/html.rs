//! Just enough HTML reading for a browser without JavaScript: the forms of a
//! page (action and fields, hidden ones included) and a few numbers shown.

/// One `<form>`: where it posts and the named inputs it would send.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|(n, _)| n == name)
    }

    /// The fields with `values` set (replacing or adding each).
    pub fn filled(&self, values: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|(n, _)| !values.iter().any(|(k, _)| k == n))
            .cloned()
            .collect();
        out.extend(values.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        out
    }
}

/// The attributes of the tag starting at `tag` (`<input ...>`), unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = tag.as_bytes();
    // Skip "<name".
    let mut i = 1;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
        i += 1;
    }
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' {
            break;
        }
        let start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && bytes[i] != b'='
            && bytes[i] != b'>'
        {
            i += 1;
        }
        let name = tag[start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                i += 1;
                let vstart = i;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                value = unescape(&tag[vstart..i.min(bytes.len())]);
                i += 1;
            } else {
                let vstart = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = unescape(&tag[vstart..i]);
            }
        }
        out.push((name, value));
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every form of the page with its named `input`, `textarea` and `select`
/// fields (a select sends its first option when none is selected; a
/// textarea sends nothing here: the caller fills it).
pub fn forms(html: &str) -> Vec<Form> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after.find("</form>").unwrap_or(after.len());
        let body = &after[..end];
        let tag_end = body.find('>').map_or(body.len(), |i| i + 1);
        let form_attrs = attributes(&body[..tag_end]);
        let mut form = Form {
            action: attr(&form_attrs, "action").unwrap_or("").to_string(),
            fields: Vec::new(),
        };
        let mut pos = tag_end;
        while let Some(lt) = body[pos..].find('<') {
            let at = pos + lt;
            let tag_close = body[at..].find('>').map_or(body.len(), |i| at + i + 1);
            let tag = &body[at..tag_close];
            let lower = tag.get(..9).unwrap_or(tag).to_ascii_lowercase();
            if lower.starts_with("<input") {
                let a = attributes(tag);
                let kind = attr(&a, "type").unwrap_or("text").to_ascii_lowercase();
                if let Some(name) = attr(&a, "name") {
                    if !matches!(
                        kind.as_str(),
                        "submit" | "button" | "image" | "reset" | "checkbox" | "radio"
                    ) {
                        form.fields
                            .push((name.to_string(), attr(&a, "value").unwrap_or("").into()));
                    }
                }
            } else if lower.starts_with("<select") {
                let a = attributes(tag);
                if let Some(name) = attr(&a, "name") {
                    let close = body[tag_close..]
                        .find("</select>")
                        .map_or(body.len(), |i| tag_close + i);
                    let options = &body[tag_close..close];
                    let value = options
                        .find("<option")
                        .map(|o| {
                            let t = &options[o..];
                            let e = t.find('>').map_or(t.len(), |i| i + 1);
                            attr(&attributes(&t[..e]), "value")
                                .unwrap_or("")
                                .to_string()
                        })
                        .unwrap_or_default();
                    form.fields.push((name.to_string(), value));
                }
            } else if lower.starts_with("<textarea") {
                let a = attributes(tag);
                if let Some(name) = attr(&a, "name") {
                    form.fields.push((name.to_string(), String::new()));
                }
            }
            pos = tag_close;
            if pos >= body.len() {
                break;
            }
        }
        out.push(form);
        rest = &after[end..];
    }
    out
}

/// The form posting to an action ending in `/<endpoint>`.
pub fn form_for<'a>(forms: &'a [Form], endpoint: &str) -> Option<&'a Form> {
    let suffix = format!("/{endpoint}");
    forms.iter().find(|f| {
        let path = f.action.split('?').next().unwrap_or("");
        path.ends_with(&suffix)
    })
}

/// The number in the first `<span class="... upvote-count">N</span>` after
/// `from` (e.g. after a card's `id="p-<uuid>"`), if any.
pub fn upvote_count_after(html: &str, from: usize) -> Option<i64> {
    let marker = "upvote-count\">";
    let at = html[from..].find(marker)? + from + marker.len();
    let end = html[at..].find('<')? + at;
    html[at..end].trim().replace(',', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forms_and_fields() {
        let html = r#"<main><form action="/api/login" method="post" class="stack"><input type="hidden" name="next" value="/p/1?x=1&amp;y=2"/>
            <input id="login" name="login" type="text"><input name="password" type="password">
            <select name="category"><option value="ai">AI</option><option value="web">Web</option></select>
            <textarea name="description"></textarea><button type="submit">Go</button></form>
            <form action='/api/upvote'><input type=hidden name=project_id value=abc></form></main>"#;
        let f = forms(html);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].action, "/api/login");
        let names: Vec<_> = f[0].fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["next", "login", "password", "category", "description"]
        );
        assert_eq!(f[0].fields[0].1, "/p/1?x=1&y=2");
        assert_eq!(f[0].fields[3].1, "ai");
        let up = form_for(&f, "upvote").expect("upvote form");
        assert_eq!(up.fields, vec![("project_id".into(), "abc".into())]);
        assert!(form_for(&f, "remove_upvote").is_none());
        let filled = f[0].filled(&[("login", "me"), ("password", "pw")]);
        assert!(filled.contains(&("login".into(), "me".into())));
        assert_eq!(filled.len(), 5);
    }

    #[test]
    fn reads_counts() {
        let html = r#"<li id="p-1"><span class="stat-value upvote-count">12</span></li><li id="p-2"><span class="stat-value upvote-count">1,204</span>"#;
        assert_eq!(upvote_count_after(html, 0), Some(12));
        let at = html.find("id=\"p-2\"").unwrap();
        assert_eq!(upvote_count_after(html, at), Some(1204));
        assert_eq!(upvote_count_after("<p>none</p>", 0), None);
    }
}
