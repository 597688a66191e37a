//! The wizard's render time over ratatui's TestBackend: a tree of at least 100
//! steps (the built-in checklists, repeated under other ids), one step
//! selected, drawn 2000 times. Prints the median and the 99th percentile per
//! frame. Run by scripts/bench-verify.sh (`cargo bench --bench render`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use preflight::engine::library::Library;
use preflight::engine::loader::load_all;
use preflight::engine::usage::needed_inputs;
use preflight::kinds::registry::Registry;
use preflight::runner::StepReport;
use preflight::tui::app::{App, Header, ListView};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    let library = Library::builtin();
    let builtin = load_all(&library, &Registry).expect("the built-in checklists load").all;
    let mut views = Vec::new();
    let mut steps = 0;
    for copy in 1.. {
        for c in &builtin {
            let mut c = c.clone();
            c.id = format!("{}-{copy}", c.id);
            let reports = c.steps.iter().map(|s| StepReport::recorded(s, None)).collect();
            let names = |probes_only| -> Vec<Vec<String>> {
                (0..c.steps.len())
                    .map(|i| needed_inputs(&c, &[i], &library, probes_only).into_iter().map(|d| d.name).collect())
                    .collect()
            };
            let (inputs, probe_inputs) = (names(false), names(true));
            let skipped = vec![false; c.steps.len()];
            steps += c.steps.len();
            views.push(ListView::new(c, reports, inputs, probe_inputs, skipped));
        }
        if steps >= 100 {
            break;
        }
    }
    let lists = views.len();
    let header = Header {
        account_id: "123456789012".into(),
        principal_arn: "arn:aws:sts::123456789012:user/bench".into(),
        region: "us-east-1".into(),
        profile_file: "preflight.toml".into(),
        mismatch: None,
    };
    let mut app = App::new(header, views, BTreeMap::new(), BTreeSet::new());
    app.selected = 3;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("a test terminal");
    for _ in 0..100 {
        terminal.draw(|f| preflight::tui::view::draw(f, &app)).expect("draw");
    }
    let mut frames: Vec<f64> = (0..2000)
        .map(|_| {
            let started = Instant::now();
            terminal.draw(|f| preflight::tui::view::draw(f, &app)).expect("draw");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    frames.sort_by(f64::total_cmp);
    println!(
        "wizard render of {steps} steps in {lists} checklists on a 120×40 TestBackend: median {:.3} ms, p99 {:.3} ms per frame (2000 frames)",
        frames[frames.len() / 2],
        frames[frames.len() * 99 / 100]
    );
}
