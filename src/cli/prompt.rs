//! Asking the operator with inquire, using the checklist's prompt and validation.

use inquire::validator::Validation;
use inquire::{Confirm, Password, PasswordDisplayMode, Select, Text};

use crate::engine::inputs::validate;
use crate::engine::model::{InputDef, InputKind};

pub fn ask(def: &InputDef) -> Result<String, String> {
    let checker = def.clone();
    let validator = move |v: &str| {
        Ok(match validate(&checker, v) {
            Ok(()) => Validation::Valid,
            Err(e) => Validation::Invalid(e.into()),
        })
    };
    let help = def.help.clone().unwrap_or_default();
    let answer = match &def.kind {
        InputKind::Choice(choices) => Select::new(&def.prompt, choices.clone()).with_help_message(&help).prompt(),
        InputKind::Secret => Password::new(&def.prompt)
            .with_display_mode(PasswordDisplayMode::Masked)
            .with_custom_confirmation_message("Again, to confirm:")
            .with_validator(validator)
            .with_help_message(&help)
            .prompt(),
        _ => Text::new(&def.prompt).with_validator(validator).with_help_message(&help).prompt(),
    };
    answer.map_err(|e| e.to_string())
}

pub fn confirm(question: &str) -> Result<bool, String> {
    Confirm::new(question).with_default(false).prompt().map_err(|e| e.to_string())
}
