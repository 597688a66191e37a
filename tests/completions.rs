//! `preflight completions SHELL`: each shell's script names the subcommands,
//! the built-in checklists and their steps; the bash script, loaded into a real
//! bash, completes a checklist id after `run` and a step id after `--step`.

mod support;

use support::Sandbox;

#[test]
fn every_shell_gets_a_script_with_the_checklists_and_steps() {
    let sb = Sandbox::new("completions", "http://127.0.0.1:9");
    // clap_complete gives each shell what it can: bash and zsh complete checklist ids and step
    // ids, fish step ids after --step, PowerShell and elvish subcommands and flags.
    for (shell, words) in [
        ("bash", &["verify", "iam-policy", "ecs-service", "runtime-policy", "--step"][..]),
        ("zsh", &["verify", "iam-policy", "ecs-service", "runtime-policy", "--step"]),
        ("fish", &["verify", "runtime-policy", "step"]),
        ("powershell", &["verify", "--step"]),
        ("elvish", &["verify", "--step"]),
    ] {
        let out = sb.run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {out:?}");
        for word in words {
            assert!(out.stdout.contains(word), "{shell} script lacks {word}");
        }
    }
    // Where the shell shows descriptions, a step id says which checklist it is a step of.
    let zsh = sb.run(&["completions", "zsh"]).stdout;
    assert!(zsh.contains(r#"runtime-policy\:"step of iam-policy""#), "zsh: the step's checklist");
    let fish = sb.run(&["completions", "fish"]).stdout;
    assert!(fish.contains(r"service\t'step of ecs-service'"), "fish: the step's checklist");
    let out = sb.run(&["completions", "tcsh"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("possible values: bash"), "{out:?}");
}

#[test]
fn bash_completes_checklists_and_steps() {
    let sb = Sandbox::new("completions-bash", "http://127.0.0.1:9");
    let script = sb.dir.join("preflight.bash");
    std::fs::write(&script, sb.run(&["completions", "bash"]).stdout).unwrap();
    let complete = |words: &str| -> Vec<String> {
        let line = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; _preflight preflight \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash").args(["-c", &line]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    };
    let ids = complete("preflight run ''");
    assert!(ids.contains(&"iam-policy".to_string()) && ids.contains(&"ecs-service".to_string()), "{ids:?}");
    let steps = complete("preflight run iam-policy --step run");
    assert!(
        steps.contains(&"runtime-policy".to_string()) && steps.contains(&"runtime-principal".to_string()),
        "{steps:?}"
    );
    let commands = complete("preflight ver");
    assert_eq!(commands, vec!["verify".to_string()]);
}
