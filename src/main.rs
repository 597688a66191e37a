//! The binary: the CLI front end, with the wizard plugged in.

fn main() -> std::process::ExitCode {
    preflight::cli::main(|g, checklist, yes| Box::pin(preflight::tui::run(g, checklist, yes)))
}
