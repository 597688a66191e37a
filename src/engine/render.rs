//! What people read of a checklist (its title and summary, a step's title and
//! explanation, the fix made of an explanation), rendered with the run's values
//! as they may be shown (secrets masked). A value that is unset, or set empty,
//! reads as what it stands for: `(not set: the default VPC's subnets)`, never
//! `{{subnets}}`, `""` or `[]`.

use super::inputs::Values;
use super::model::{InputDef, Step};
use super::template;
use super::text::shorten;

/// `text` with every `{{name}}` replaced by `value(name)` (what may be shown of
/// it), or, when that is unset or blank, by [`unset`].
pub fn text(text: &str, inputs: &[InputDef], value: &dyn Fn(&str) -> Option<String>) -> String {
    let fill = |name: &str| Some(value(name).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| unset(name, inputs)));
    // Only a template the loader would have refused fails: then the text stays as written.
    template::render(text, &fill).unwrap_or_else(|_| text.to_string())
}

/// A run's values as a text may show them: an input as it may be shown (a
/// secret masked), then the AWS context.
pub fn shown(values: &Values) -> impl Fn(&str) -> Option<String> + '_ {
    |name| values.inputs.get(name).map(|v| v.shown()).or_else(|| values.context.get(name).cloned())
}

/// What a step that has no action says when its probes do not pass: what it is
/// about, in its explanation's first paragraph, rendered (cut with … only when long).
pub fn nothing_to_run(step: &Step, inputs: &[InputDef], value: &dyn Fn(&str) -> Option<String>) -> String {
    let about = step.explain.split("\n\n").next().unwrap_or("");
    let about = text(about, inputs, value).split_whitespace().collect::<Vec<_>>().join(" ");
    format!("nothing to run here: {}", shorten(&about, 300))
}

/// `(not set: what it is)`: an unset value, as the reader understands it.
pub fn unset(name: &str, inputs: &[InputDef]) -> String {
    format!("(not set: {})", meaning(name, inputs))
}

/// What an input stands for, in a few words: what its prompt says an empty value
/// means (`(empty: …)`), else the prompt's first clause; the AWS context's names
/// and a repeated step's entry fields by what they are.
pub fn meaning(name: &str, inputs: &[InputDef]) -> String {
    if let Some(def) = inputs.iter().find(|d| d.name == name) {
        return prompt_meaning(&def.prompt);
    }
    match name {
        "account_id" => "the AWS account's id".into(),
        "region" => "the AWS region".into(),
        _ => match name.strip_prefix("each.") {
            Some(field) => format!("the entry's {}", field.replace('_', " ")),
            None => name.replace('_', " "),
        },
    }
}

/// Words that keep their capital at the start of a meaning.
const PROPER: [&str; 3] = ["Anthropic", "Bedrock", "Fargate"];

fn prompt_meaning(prompt: &str) -> String {
    if let Some((_, rest)) = prompt.split_once("(empty: ")
        && let Some((empty, _)) = rest.split_once(')')
    {
        return empty.trim().to_string();
    }
    // The prompt without its asides, to its first question mark or semicolon.
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in prompt.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut head = plain.split(['?', ';']).next().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
    // `What: this, that, or the other`: what it is, without the choices.
    if let Some((what, choices)) = head.split_once(": ")
        && choices.contains(" or ")
    {
        head = what.to_string();
    }
    let head = head.trim_end_matches([',', ':', ' ']).to_string();
    let first = head.split(' ').next().unwrap_or("");
    let capital_only_first = first.chars().skip(1).all(|c| !c.is_uppercase());
    if capital_only_first && !PROPER.contains(&first) {
        let mut chars = head.chars();
        return chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default();
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::InputKind;

    fn def(name: &str, prompt: &str) -> InputDef {
        InputDef {
            name: name.into(),
            prompt: prompt.into(),
            help: None,
            rule: None,
            kind: InputKind::Text,
            required: false,
            default: None,
            pattern: None,
            from: None,
        }
    }

    #[test]
    fn an_unset_value_reads_as_what_it_stands_for() {
        let inputs = [
            def("health_url", "URL the health step calls (empty: the load balancer's address)"),
            def("project", "Project name (the prefix of every resource name)"),
            def("image_source", "Image to push: a docker save archive (.tar), or a build context"),
            def("cluster", "ECS cluster"),
            def("companyName", "Anthropic use-case form: company name"),
            def("kind", "Who runs the application: an ECS task role, or an IAM user?"),
        ];
        let value = |n: &str| match n {
            "project" => Some("comafi".to_string()),
            "health_url" => Some(String::new()),
            _ => None,
        };
        assert_eq!(
            text("GET {{health_url}} for {{project}}", &inputs, &value),
            "GET (not set: the load balancer's address) for comafi"
        );
        assert_eq!(text("{{ image_source }}", &inputs, &value), "(not set: image to push)");
        assert_eq!(text("{{cluster}}", &inputs, &value), "(not set: ECS cluster)");
        assert_eq!(text("{{companyName}}", &inputs, &value), "(not set: Anthropic use-case form: company name)");
        assert_eq!(text("{{kind}}", &inputs, &value), "(not set: who runs the application)");
        assert_eq!(
            text("{{region}} {{each.name}}", &inputs, &value),
            "(not set: the AWS region) (not set: the entry's name)"
        );
    }

    #[test]
    fn a_fix_of_a_step_without_action_is_its_first_paragraph_rendered() {
        let step = Step {
            id: "s".into(),
            title: "S".into(),
            explain: "{{cluster}} must\nexist.\n\nMore.".into(),
            needs: vec![],
            action: None,
            probes: vec![],
            for_each: None,
        };
        let value = |n: &str| (n == "cluster").then(|| "c1".to_string());
        assert_eq!(
            nothing_to_run(&step, &[def("cluster", "ECS cluster")], &value),
            "nothing to run here: c1 must exist."
        );
    }
}
