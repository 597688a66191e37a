//! What the CLI's texts say as commands, said as the wizard's keys: a probe's
//! fix names `preflight confirm …` or `preflight run …`, which in the wizard
//! are a key on a step (`c`, Enter), and `--invoke` is `i`.

use std::sync::OnceLock;

use regex_lite::{Captures, Regex};

fn commands() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:(?:run )?`?preflight (run|confirm) ([a-z0-9-]+)(?: --step ([^\s,;)`]+))?(?: --(?:profile-file|set|region|profile) [^\s,;)`]+)*`?)|(?:verify with --invoke)|(?:`?preflight verify [a-z0-9-]+ --invoke`?)",
        )
        .expect("regex")
    })
}

/// `text` with each command replaced by the key that does it, on this step
/// (`checklist`/`step`, the one shown) or on the step it names.
pub fn as_keys(text: &str, checklist: &str, step: &str) -> String {
    commands()
        .replace_all(text, |c: &Captures| {
            let Some(verb) = c.get(1) else { return "press i (verify with one real call)".to_string() };
            let list = &c[2];
            let target = c.get(3).map(|s| s.as_str());
            let here = list == checklist && target == Some(step);
            let on = match target {
                _ if here => "this step".to_string(),
                Some(s) => format!("{list} / {s}"),
                None => list.to_string(),
            };
            match (verb.as_str(), target) {
                ("confirm", _) => format!("press c on {on}"),
                (_, Some(_)) => format!("press Enter on {on}"),
                (_, None) => format!("press a on {on}"),
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::as_keys;

    #[test]
    fn commands_read_as_keys() {
        assert_eq!(
            as_keys(
                "when it is done, record it: preflight confirm oidc-provider --step github-secret --profile-file a/b.toml",
                "oidc-provider",
                "github-secret"
            ),
            "when it is done, record it: press c on this step"
        );
        assert_eq!(
            as_keys("create it: preflight run iam-policy --step runtime-policy --set project=x", "model-access", "x"),
            "create it: press Enter on iam-policy / runtime-policy"
        );
        assert_eq!(as_keys("or run preflight run iam-policy", "a", "b"), "or press a on iam-policy");
        assert_eq!(
            as_keys("costs a fraction of a cent; verify with --invoke to make it", "a", "b"),
            "costs a fraction of a cent; press i (verify with one real call) to make it"
        );
        assert_eq!(as_keys("aws iam get-role --role-name x", "a", "b"), "aws iam get-role --role-name x");
        // Quoted commands lose their quotes with the command; a closing quote is not a step's.
        assert_eq!(
            as_keys("run `preflight run secrets --step read-access --profile-file a.toml`: it grants them", "x", "y"),
            "press Enter on secrets / read-access: it grants them"
        );
        assert_eq!(
            as_keys("then run `preflight run ecs-service --step execution-role`", "ecs-service", "execution-role"),
            "then press Enter on this step"
        );
    }
}
