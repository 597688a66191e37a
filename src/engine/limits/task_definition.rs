//! A rendered task definition's size, checked before it is sent (ECS's 64 KiB).

use super::table::{Rule, row};

/// A rendered task definition too large for ECS: what it says and the fix.
#[derive(Debug, PartialEq)]
pub struct TooLarge {
    pub message: String,
    pub fix: String,
}

/// Checks a rendered task definition's size before it is sent.
pub fn task_definition_size(task_definition: &serde_json::Value) -> Result<(), TooLarge> {
    let row = row("ecs.task_definition_size");
    let Rule::Bytes(max) = row.rule else { unreachable!("a Bytes row") };
    let size = serde_json::to_vec(task_definition).map(|v| v.len()).unwrap_or(0);
    if size <= max {
        return Ok(());
    }
    Err(TooLarge {
        message: format!(
            "the task definition {} is {size} bytes of JSON; ECS takes at most {max} ({})",
            task_definition["family"].as_str().unwrap_or(""),
            row.source
        ),
        fix: "make it smaller: move long values of the profile's [environment] into a secret or SSM parameter read through [container_secrets]".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_definition_over_64_kib_is_refused_before_it_is_sent() {
        let small = serde_json::json!({"family": "app", "containerDefinitions": [{"name": "app"}]});
        assert_eq!(task_definition_size(&small), Ok(()));
        let pad = |n: usize| serde_json::json!({"family": "app", "x": "v".repeat(n)});
        let at = serde_json::to_vec(&pad(0)).unwrap().len();
        assert_eq!(task_definition_size(&pad(65_536 - at)), Ok(()), "exactly 64 KiB is allowed");
        let e = task_definition_size(&pad(65_537 - at)).unwrap_err();
        assert!(e.message.contains("65537 bytes") && e.message.contains("at most 65536"), "{e:?}");
        assert!(e.message.contains("service quotas"), "{e:?}");
    }
}
