//! The AWS context: credentials and region from the standard aws-config chain
//! (environment, shared profile, SSO, `--profile`, `--region`, and
//! `AWS_ENDPOINT_URL[_<SERVICE>]`), checked with sts:GetCallerIdentity before
//! any step runs.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig, timeout::TimeoutConfig};
use aws_smithy_http_client::tls;

use super::error::{AwsError, Op};

#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
}

/// Used when no region is configured anywhere (and said so in the banner).
pub const FALLBACK_REGION: &str = "us-east-1";

#[derive(Debug)]
pub struct AwsContext {
    pub config: SdkConfig,
    pub account_id: String,
    pub principal_arn: String,
    pub region: String,
    /// Where the region came from, for the banner.
    pub region_source: &'static str,
    iam: OnceLock<aws_sdk_iam::Client>,
}

impl AwsContext {
    /// Loads the configuration and asks STS who we are.
    pub async fn connect(opts: &AwsOptions) -> Result<Self, AwsError> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http).timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        );
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        let mut config = loader.load().await;
        let region_source = if opts.region.is_some() {
            "--region"
        } else if config.region().is_some() {
            "configuration"
        } else {
            config = config.into_builder().region(aws_config::Region::new(FALLBACK_REGION)).build();
            "default (no region configured)"
        };
        let region = config.region().map(|r| r.to_string()).unwrap_or_else(|| FALLBACK_REGION.into());
        let sts = aws_sdk_sts::Client::new(&config);
        let op = Op::new("sts", "GetCallerIdentity", "");
        let who = sts.get_caller_identity().send().await.map_err(|e| AwsError::from_sdk(e, Some(&op)))?;
        Ok(Self {
            account_id: who.account().unwrap_or_default().to_string(),
            principal_arn: who.arn().unwrap_or_default().to_string(),
            region,
            region_source,
            config,
            iam: OnceLock::new(),
        })
    }

    pub fn iam(&self) -> &aws_sdk_iam::Client {
        self.iam.get_or_init(|| aws_sdk_iam::Client::new(&self.config))
    }

    /// Bedrock's control plane in `region` (the model's region, which may differ from the context's).
    pub fn bedrock(&self, region: &str) -> aws_sdk_bedrock::Client {
        let conf = aws_sdk_bedrock::config::Builder::from(&self.config)
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_bedrock::Client::from_conf(conf)
    }

    /// Bedrock's runtime (model invocation) in `region`.
    pub fn bedrock_runtime(&self, region: &str) -> aws_sdk_bedrockruntime::Client {
        let conf = aws_sdk_bedrockruntime::config::Builder::from(&self.config)
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_bedrockruntime::Client::from_conf(conf)
    }

    /// The partition of the account (`aws`, `aws-cn`, `aws-us-gov`), from the caller's ARN.
    pub fn partition(&self) -> &str {
        self.principal_arn.split(':').nth(1).filter(|p| !p.is_empty()).unwrap_or("aws")
    }
}
