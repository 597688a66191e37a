//! Asking the operator with inquire, using the checklist's prompt and validation.

use inquire::validator::Validation;
use inquire::{Confirm, Password, PasswordDisplayMode, Select, Text};

use crate::engine::inputs::validate;
use crate::engine::model::{InputDef, InputKind};

pub fn ask(def: &InputDef) -> Result<String, String> {
    ask_with(def, None)
}

/// Asks with `current` as the starting text (editing an input).
pub fn ask_with(def: &InputDef, current: Option<&str>) -> Result<String, String> {
    ask_checked(def, current, |_: &str| Ok(()))
}

/// Asks with `default` offered: Enter on an empty field takes it.
pub fn ask_default(def: &InputDef, default: &str) -> Result<String, String> {
    let mut def = def.clone();
    def.default = Some(default.to_string());
    ask_unchecked(&def, None, true, |_: &str| Ok(()))
}

/// [`ask_with`], the answer also checked by `check` (with the other values:
/// `inputs::check_answer`); a choice that `check` refuses is said and asked again.
pub fn ask_checked(
    def: &InputDef,
    current: Option<&str>,
    check: impl Fn(&str) -> Result<(), String> + Clone + 'static,
) -> Result<String, String> {
    if let InputKind::Choice(_) = def.kind {
        // A selection has no validator: check it after it is made.
        let mut current = current.map(str::to_string);
        loop {
            let answer = ask_unchecked(def, current.as_deref(), false, |_: &str| Ok(()))?;
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(e) => eprintln!("{e}"),
            }
            current = Some(answer);
        }
    }
    ask_unchecked(def, current, false, check)
}

/// `offer_default`: a text's default is shown and taken on an empty answer.
fn ask_unchecked(
    def: &InputDef,
    current: Option<&str>,
    offer_default: bool,
    check: impl Fn(&str) -> Result<(), String> + Clone + 'static,
) -> Result<String, String> {
    let checker = def.clone();
    let recheck = check.clone();
    let validator = move |v: &str| {
        Ok(match validate(&checker, v).and_then(|()| check(v)) {
            Ok(()) => Validation::Valid,
            Err(e) => Validation::Invalid(e.into()),
        })
    };
    // An input without help or rule shows none (an empty help reads as `[]`).
    let help = def.help.clone().or_else(|| def.rule.clone()).filter(|h| !h.trim().is_empty());
    let answer = match &def.kind {
        InputKind::Choice(choices) => {
            let start = current.and_then(|c| choices.iter().position(|x| x == c)).unwrap_or(0);
            let select = Select::new(&def.prompt, choices.clone()).with_starting_cursor(start);
            match &help {
                Some(h) => select.with_help_message(h).prompt(),
                None => select.prompt(),
            }
        }
        InputKind::Secret => {
            let password = Password::new(&def.prompt)
                .with_display_mode(PasswordDisplayMode::Masked)
                .with_custom_confirmation_message("Again, to confirm:")
                .with_validator(validator);
            match &help {
                Some(h) => password.with_help_message(h).prompt(),
                None => password.prompt(),
            }
        }
        _ => {
            // A refused answer is said, and the question asked again with an empty field: the
            // refused text is not left to be deleted key by key.
            let mut start = current.unwrap_or_default().to_string();
            loop {
                let mut text = Text::new(&def.prompt).with_initial_value(&start);
                if let Some(h) = &help {
                    text = text.with_help_message(h);
                }
                if let Some(default) = def.default.as_deref().filter(|_| offer_default) {
                    text = text.with_default(default);
                }
                let answer = text.prompt().map_err(|e| e.to_string())?;
                match validate(def, &answer).and_then(|()| recheck(&answer)) {
                    Ok(()) => break Ok(answer),
                    Err(why) => {
                        // The rule's words may already quote the answer.
                        match why.contains(&format!("{answer:?}")) {
                            true => eprintln!("✘ {why}"),
                            false => eprintln!("✘ {answer:?}: {why}"),
                        }
                        start.clear();
                    }
                }
            }
        }
    };
    answer.map_err(|e| e.to_string())
}

/// Why a step is skipped: a sentence, kept in the state and shown by `status` and `verify`.
pub fn reason(question: &str) -> Result<String, String> {
    Text::new(question)
        .with_validator(|v: &str| {
            Ok(if v.trim().is_empty() {
                Validation::Invalid("say why, for whoever reads the record later".into())
            } else {
                Validation::Valid
            })
        })
        .with_help_message("e.g. done by hand in the console on 2026-12-07 (ticket OPS-123); Esc: not skipped")
        .prompt()
        .map(|r| r.trim().to_string())
        .map_err(|e| e.to_string())
}

pub fn confirm(question: &str) -> Result<bool, String> {
    Confirm::new(question).with_default(false).prompt().map_err(|e| e.to_string())
}

/// Picks one of several inputs to edit, showing their current values.
pub fn pick(names: &[String], shown: &dyn Fn(&str) -> String) -> Result<String, String> {
    let options: Vec<String> = names.iter().map(|n| format!("{n} = {}", shown(n))).collect();
    let choice = Select::new("Which input?", options.clone()).prompt().map_err(|e| e.to_string())?;
    let i = options.iter().position(|o| *o == choice).unwrap_or(0);
    Ok(names[i].clone())
}

/// A value a step needs, asked for when the step runs: at a prompt in a
/// terminal (masked for a secret), else an error naming the input and how to give it.
pub struct PromptAsk {
    /// The profile, which an error names.
    pub profile: std::path::PathBuf,
}

impl crate::runner::Ask for PromptAsk {
    fn ask(&self, def: &InputDef) -> Result<String, String> {
        if !super::setup::interactive() {
            return Err(crate::engine::inputs::missing_error(def).placed(&self.profile, None).to_string());
        }
        tokio::task::block_in_place(|| ask(def))
    }
}
