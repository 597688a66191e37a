//! `os/architecture[/variant]`, as Docker and Fargate name platforms.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, `linux/arm64/v8`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts[..] {
            [os, arch] if !os.is_empty() && !arch.is_empty() => {
                Ok(Self { os: os.into(), architecture: arch.into(), variant: None })
            }
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Self { os: os.into(), architecture: arch.into(), variant: Some(variant.into()) })
            }
            _ => Err(format!("\"{text}\" is not a platform like linux/amd64")),
        }
    }

    /// Whether an image built for `self` runs where `want` is asked for: same
    /// OS and architecture, and the variant when `want` names one (arm64's v8
    /// is the only arm64 there is).
    pub fn runs(&self, want: &Platform) -> bool {
        let variant = |p: &Platform| match (p.architecture.as_str(), p.variant.as_deref()) {
            ("arm64", None) => Some("v8".to_string()),
            (_, v) => v.map(str::to_string),
        };
        self.os == want.os
            && self.architecture == want.architecture
            && (want.variant.is_none() || variant(self) == variant(want))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Platform;

    #[test]
    fn platforms_parse_and_match() {
        let amd64 = Platform::parse("linux/amd64").unwrap();
        let arm64 = Platform::parse("linux/arm64").unwrap();
        let arm64_v8 = Platform::parse("linux/arm64/v8").unwrap();
        assert!(amd64.runs(&amd64) && !arm64.runs(&amd64) && !amd64.runs(&arm64));
        assert!(arm64_v8.runs(&arm64) && arm64.runs(&arm64_v8));
        assert_eq!(arm64_v8.to_string(), "linux/arm64/v8");
        assert!(Platform::parse("amd64").is_err() && Platform::parse("linux/").is_err());
    }
}
