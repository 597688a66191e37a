//! Fargate: the task sizes (each CPU value with the memory it takes and the
//! platform version it needs) and the FARGATE_SPOT architecture guard.

use super::table::{Rule, row};

/// A Fargate task's memory for one CPU value.
#[derive(Debug)]
pub enum Memory {
    /// These values (MiB).
    Listed(&'static [u32]),
    /// From `min` to `max` MiB, in steps of `step`.
    Steps { min: u32, max: u32, step: u32 },
}

impl Memory {
    pub fn values(&self) -> Vec<u32> {
        match self {
            Memory::Listed(v) => v.to_vec(),
            Memory::Steps { min, max, step } => (*min..=*max).step_by(*step as usize).collect(),
        }
    }

    pub fn takes(&self, mib: u32) -> bool {
        self.values().contains(&mib)
    }

    /// "512, 1024 or 2048"; a long range as "4096 to 16384 in steps of 1024".
    pub fn said(&self) -> String {
        match self {
            Memory::Steps { min, max, step } if self.values().len() > 7 => {
                format!("{min} to {max} in steps of {step}")
            }
            _ => or_list(&self.values()),
        }
    }
}

/// One CPU value of Fargate's task sizes.
#[derive(Debug)]
pub struct TaskSize {
    pub cpu: u32,
    pub memory: Memory,
    /// The least Linux platform version that runs it, when not every one does.
    pub platform: Option<&'static str>,
}

/// Fargate's task sizes.
pub fn task_sizes() -> &'static [TaskSize] {
    match &row("fargate.task_size").rule {
        Rule::TaskSizes(s) => s,
        _ => unreachable!("fargate.task_size is a table of task sizes"),
    }
}

/// Whether platform version `have` ("LATEST", "1.3.0") is at least `least`.
fn platform_at_least(have: &str, least: &str) -> bool {
    if have == "LATEST" {
        return true;
    }
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    parts(have) >= parts(least)
}

/// Why a Fargate task of `cpu` units and `memory` MiB (on `platform`, when
/// known) cannot run; Ok when it can.
pub fn task_size(cpu: &str, memory: &str, platform: Option<&str>) -> Result<(), TaskSizeError> {
    let sizes = task_sizes();
    let mib: Option<u32> = memory.trim().parse().ok();
    let Some(size) = cpu.trim().parse::<u32>().ok().and_then(|c| sizes.iter().find(|s| s.cpu == c)) else {
        return Err(TaskSizeError::Cpu);
    };
    if !mib.is_some_and(|m| size.memory.takes(m)) {
        let cpus: Vec<u32> = sizes.iter().filter(|s| mib.is_some_and(|m| s.memory.takes(m))).map(|s| s.cpu).collect();
        return Err(TaskSizeError::Memory { takes: size.memory.said(), other_cpus: cpus });
    }
    match (size.platform, platform) {
        (Some(least), Some(have)) if !platform_at_least(have, least) => Err(TaskSizeError::Platform(least)),
        _ => Ok(()),
    }
}

#[derive(Debug, PartialEq)]
pub enum TaskSizeError {
    /// Not one of Fargate's CPU values.
    Cpu,
    /// The memory does not go with the CPU: what it takes, and the CPU values that take the memory.
    Memory { takes: String, other_cpus: Vec<u32> },
    /// The CPU needs this platform version or later.
    Platform(&'static str),
}

/// Why a task on FARGATE_SPOT of this architecture and platform version cannot
/// run there. A guard: preflight chooses no capacity provider today (see the row).
pub fn spot(cpu_architecture: &str, platform: &str) -> Result<(), String> {
    let row = row("fargate.spot_architecture");
    let Rule::Spot(archs) = &row.rule else { unreachable!("a Spot row") };
    match archs.iter().find(|(a, _)| *a == cpu_architecture) {
        None => Err(format!("FARGATE_SPOT does not run {cpu_architecture} tasks ({})", row.source)),
        Some((_, least)) if !platform_at_least(platform, least) => Err(format!(
            "FARGATE_SPOT runs {cpu_architecture} tasks on platform version {least} or later, not {platform} ({})",
            row.source
        )),
        Some(_) => Ok(()),
    }
}

/// "a", "a or b", "a, b or c".
pub(super) fn or_list<T: std::fmt::Display>(items: &[T]) -> String {
    let items: Vec<String> = items.iter().map(ToString::to_string).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_pairs_at_every_cpu_its_least_its_most_a_value_off_step_and_one_outside() {
        // (cpu, least, most, off the steps, outside)
        let cases = [
            (256, 512, 2048, 1536, 4096),
            (512, 1024, 4096, 1536, 512),
            (1024, 2048, 8192, 2560, 9216),
            (2048, 4096, 16384, 4608, 17408),
            (4096, 8192, 30720, 9000, 31744),
            (8192, 16384, 61440, 17408, 65536),
            (16384, 32768, 122880, 36864, 131072),
        ];
        for (cpu, least, most, off, outside) in cases {
            let (c, ok) = (cpu.to_string(), |m: u32| task_size(&cpu.to_string(), &m.to_string(), None));
            assert_eq!(ok(least), Ok(()), "{c} / {least}");
            assert_eq!(ok(most), Ok(()), "{c} / {most}");
            assert!(matches!(ok(off), Err(TaskSizeError::Memory { .. })), "{c} / {off} is off the steps");
            assert!(matches!(ok(outside), Err(TaskSizeError::Memory { .. })), "{c} / {outside} is outside");
            assert!(matches!(ok(least - 1), Err(TaskSizeError::Memory { .. })), "{c} / {}", least - 1);
        }
        assert_eq!(task_size("512", "1024", None), Ok(()), "the defaults pass");
        assert_eq!(task_size("300", "1024", None), Err(TaskSizeError::Cpu));
        assert_eq!(task_size("8192", "16384", Some("1.3.0")), Err(TaskSizeError::Platform("1.4.0")));
        assert_eq!(task_size("8192", "16384", Some("LATEST")), Ok(()));
        assert_eq!(task_size("16384", "32768", Some("1.4.0")), Ok(()));
        assert_eq!(task_size("4096", "8192", Some("1.3.0")), Ok(()), "only 8192 and 16384 need 1.4.0");
        assert_eq!(
            task_size("256", "8192", None),
            Err(TaskSizeError::Memory { takes: "512, 1024 or 2048".into(), other_cpus: vec![1024, 2048, 4096] })
        );
        assert_eq!(
            task_size("2048", "1024", None),
            Err(TaskSizeError::Memory { takes: "4096 to 16384 in steps of 1024".into(), other_cpus: vec![256, 512] })
        );
    }

    #[test]
    fn fargate_spot_runs_both_architectures_on_their_platform_versions() {
        assert!(spot("X86_64", "1.3.0").is_ok() && spot("X86_64", "LATEST").is_ok());
        assert!(spot("ARM64", "1.4.0").is_ok());
        assert!(spot("ARM64", "1.3.0").unwrap_err().contains("1.4.0 or later"));
        assert!(spot("X86_64", "1.2.0").is_err());
    }
}
