//! `{{name}}` templates in checklist parameters, input defaults and assets.

/// One `{{name}}` occurrence: the name and its byte range in the text.
fn occurrences(text: &str) -> impl Iterator<Item = Result<(&str, std::ops::Range<usize>), usize>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let start = pos + text[pos..].find("{{")?;
        let Some(len) = text[start + 2..].find("}}") else {
            pos = text.len();
            return Some(Err(start));
        };
        let end = start + 2 + len + 2;
        pos = end;
        Some(Ok((text[start + 2..end - 2].trim(), start..end)))
    })
}

/// Names referenced by a template, in order of appearance.
pub fn names(text: &str) -> Result<Vec<String>, String> {
    occurrences(text)
        .map(|o| match o {
            Ok((name, _)) if is_name(name) => Ok(name.to_string()),
            Ok((name, _)) => Err(format!("`{{{{{name}}}}}` is not a valid template name (letters, digits, `_`)")),
            Err(at) => Err(format!("`{{{{` at byte {at} is never closed with `}}}}`")),
        })
        .collect()
}

/// Letters, digits and `_`; `each.FIELD` names a field of a repeated step's entry.
fn is_name(name: &str) -> bool {
    let plain = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match name.split_once('.') {
        Some(("each", field)) => plain(field),
        _ => plain(name),
    }
}

/// Replaces every `{{name}}` with `lookup(name)`; the first unknown name is the error.
pub fn render(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for o in occurrences(text) {
        let (name, range) = o.map_err(|at| format!("unclosed `{{{{` at byte {at}"))?;
        out.push_str(&text[last..range.start]);
        out.push_str(&lookup(name).ok_or_else(|| name.to_string())?);
        last = range.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// Renders every string inside a JSON value (keys stay as written), so that
/// substituted values can never break the document's structure.
pub fn render_json(
    value: &serde_json::Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    Ok(match value {
        Value::String(s) => Value::String(render(s, lookup)?),
        Value::Array(items) => Value::Array(items.iter().map(|v| render_json(v, lookup)).collect::<Result<_, _>>()?),
        Value::Object(map) => Value::Object(
            map.iter().map(|(k, v)| Ok((k.clone(), render_json(v, lookup)?))).collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Renders every string inside a TOML value.
pub fn render_toml(value: &toml::Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<toml::Value, String> {
    use toml::Value;
    Ok(match value {
        Value::String(s) => Value::String(render(s, lookup)?),
        Value::Array(items) => Value::Array(items.iter().map(|v| render_toml(v, lookup)).collect::<Result<_, _>>()?),
        Value::Table(map) => Value::Table(
            map.iter().map(|(k, v)| Ok((k.clone(), render_toml(v, lookup)?))).collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Every template name used by the strings of a TOML value.
pub fn toml_names(value: &toml::Value) -> Result<Vec<String>, String> {
    match value {
        toml::Value::String(s) => names(s),
        toml::Value::Array(items) => items.iter().map(toml_names).collect::<Result<Vec<_>, _>>().map(|v| v.concat()),
        toml::Value::Table(map) => map.values().map(toml_names).collect::<Result<Vec<_>, _>>().map(|v| v.concat()),
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "project" => Some("comafi".into()),
            "account_id" => Some("123456789012".into()),
            _ => None,
        }
    }

    #[test]
    fn renders_names_with_optional_spaces() {
        assert_eq!(render("{{project}}-ecs-task-role", &vars).unwrap(), "comafi-ecs-task-role");
        assert_eq!(
            render("arn:aws:iam::{{ account_id }}:role/{{project}}", &vars).unwrap(),
            "arn:aws:iam::123456789012:role/comafi"
        );
        assert_eq!(render("no templates", &vars).unwrap(), "no templates");
    }

    #[test]
    fn unknown_names_and_bad_syntax_are_errors() {
        assert_eq!(render("{{projet}}", &vars).unwrap_err(), "projet");
        assert_eq!(names("a {{x}} b {{ y_2 }}").unwrap(), vec!["x", "y_2"]);
        assert!(names("{{a-b}}").is_err());
        assert!(names("{{open").is_err());
    }

    #[test]
    fn json_values_stay_well_formed() {
        let doc = serde_json::json!({"Resource": ["arn:{{project}}\""], "n": 1});
        let out = render_json(&doc, &|_| Some("a\"b".into())).unwrap();
        assert_eq!(out["Resource"][0], "arn:a\"b\"");
        assert_eq!(out["n"], 1);
    }
}
