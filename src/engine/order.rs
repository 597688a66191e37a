//! Dependency order: steps by `needs`, input defaults by the inputs they use.

use std::collections::BTreeSet;

use super::model::{Checklist, InputDef, Step, foreign};
use super::template;

/// Depth-first topological sort that keeps the declared order wherever the
/// dependencies allow it. `deps(i)` are indices; Err is a cycle of names.
fn topo(names: &[String], deps: &dyn Fn(usize) -> Vec<usize>) -> Result<Vec<usize>, Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        names: &[String],
        deps: &dyn Fn(usize) -> Vec<usize>,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), Vec<String>> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let from = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut cycle: Vec<String> = path[from..].iter().map(|&p| names[p].clone()).collect();
                cycle.push(names[i].clone());
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        path.push(i);
        for d in deps(i) {
            visit(d, names, deps, marks, path, out)?;
        }
        path.pop();
        marks[i] = Mark::Done;
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; names.len()];
    let mut out = Vec::new();
    for i in 0..names.len() {
        visit(i, names, deps, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

/// Step indices in an order where every step comes after the steps it needs.
pub fn step_order(steps: &[Step]) -> Result<Vec<usize>, Vec<String>> {
    let names: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
    let deps = |i: usize| steps[i].needs.iter().filter_map(|n| names.iter().position(|x| x == n)).collect();
    topo(&names, &deps)
}

/// The steps to run for `target` (itself and everything it needs, transitively), in order;
/// all steps when `target` is None.
pub fn selection(steps: &[Step], target: Option<&str>) -> Vec<usize> {
    let order = step_order(steps).expect("checked by the loader");
    let Some(target) = target else { return order };
    let mut wanted = BTreeSet::new();
    let mut stack: Vec<&str> = vec![target];
    while let Some(id) = stack.pop() {
        if let Some(i) = steps.iter().position(|s| s.id == id)
            && wanted.insert(i)
        {
            stack.extend(steps[i].needs.iter().map(String::as_str));
        }
    }
    order.into_iter().filter(|i| wanted.contains(i)).collect()
}

/// Checklist indices in deploy order: every checklist after the checklists its
/// steps need (`checklist/step`), the declared order kept wherever that allows.
pub fn checklist_order(checklists: &[Checklist]) -> Result<Vec<usize>, Vec<String>> {
    let names: Vec<String> = checklists.iter().map(|c| c.id.clone()).collect();
    let deps = |i: usize| {
        let mut on = BTreeSet::new();
        for need in checklists[i].steps.iter().flat_map(|s| &s.needs) {
            if let Some((other, _)) = foreign(need)
                && let Some(j) = names.iter().position(|n| n == other)
                && j != i
            {
                on.insert(j);
            }
        }
        on.into_iter().collect()
    };
    topo(&names, &deps)
}

/// Input indices in an order where every default comes after the inputs it uses.
pub fn input_default_order(inputs: &[InputDef]) -> Result<Vec<usize>, Vec<String>> {
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let deps = |i: usize| {
        let used = inputs[i].default.as_deref().map(|d| template::names(d).unwrap_or_default()).unwrap_or_default();
        // An input's default naming itself reads the context value of that name (`region`).
        used.iter().filter(|n| **n != names[i]).filter_map(|n| names.iter().position(|x| x == n)).collect()
    };
    topo(&names, &deps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, needs: &[&str]) -> Step {
        Step {
            id: id.into(),
            title: String::new(),
            explain: String::new(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            action: None,
            probes: Vec::new(),
            for_each: None,
        }
    }

    fn ids(steps: &[Step], idx: Vec<usize>) -> Vec<&str> {
        idx.into_iter().map(|i| steps[i].id.as_str()).collect()
    }

    #[test]
    fn keeps_declared_order_when_free() {
        let steps = vec![step("a", &[]), step("b", &[]), step("c", &["a"])];
        assert_eq!(ids(&steps, step_order(&steps).unwrap()), vec!["a", "b", "c"]);
    }

    #[test]
    fn dependencies_come_first() {
        let steps = vec![step("attach", &["policy", "role"]), step("policy", &[]), step("role", &[])];
        assert_eq!(ids(&steps, step_order(&steps).unwrap()), vec!["policy", "role", "attach"]);
    }

    #[test]
    fn cycles_are_named() {
        let steps = vec![step("a", &["c"]), step("b", &["a"]), step("c", &["b"])];
        assert_eq!(step_order(&steps).unwrap_err(), vec!["a", "c", "b", "a"]);
    }

    fn checklist(id: &str, needs: &[&str]) -> Checklist {
        Checklist {
            id: id.into(),
            title: String::new(),
            summary: String::new(),
            order: 0,
            file: String::new(),
            inputs: Vec::new(),
            steps: vec![step("s", needs)],
        }
    }

    #[test]
    fn checklists_come_after_the_checklists_their_steps_need() {
        let lists = vec![
            checklist("service", &["push/image", "policy/grant"]),
            checklist("policy", &[]),
            checklist("push", &["s"]),
            checklist("model", &["policy/grant"]),
        ];
        let order: Vec<&str> = checklist_order(&lists).unwrap().into_iter().map(|i| lists[i].id.as_str()).collect();
        assert_eq!(order, vec!["policy", "push", "service", "model"]);
        let circle = vec![checklist("a", &["b/s"]), checklist("b", &["a/s"])];
        assert_eq!(checklist_order(&circle).unwrap_err(), vec!["a", "b", "a"]);
    }

    #[test]
    fn selection_is_the_step_and_what_it_needs() {
        let steps = vec![step("p", &[]), step("r", &[]), step("x", &[]), step("a", &["p", "r"])];
        assert_eq!(ids(&steps, selection(&steps, Some("a"))), vec!["p", "r", "a"]);
        assert_eq!(ids(&steps, selection(&steps, Some("r"))), vec!["r"]);
        assert_eq!(selection(&steps, None).len(), 4);
    }
}
