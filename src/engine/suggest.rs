//! "Did you mean …?": the closest of a set of known names to a misspelt one.

/// The known name most like `name`, when one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// ` (did you mean `x`?)`, or nothing.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, known).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let known = ["project", "region", "runtime_principal_name", "github_repository"];
        assert_eq!(closest("projet", known), Some("project"));
        assert_eq!(closest("Project", known), Some("project"));
        assert_eq!(closest("regoin", known), Some("region"));
        assert_eq!(closest("github_repo", known), Some("github_repository"));
        assert_eq!(closest("zzz", known), None);
        assert_eq!(did_you_mean("projct", known), " (did you mean `project`?)");
        assert_eq!(did_you_mean("xyzzy", known), "");
    }
}
