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
    /// Where `region` came from when it is set: `--region` unless said otherwise.
    pub region_source: Option<RegionSource>,
}

/// Used when no region is configured anywhere (and said so in the banner).
pub const FALLBACK_REGION: &str = "us-east-1";

/// Where the region came from: for the banner, and for messages about a bad
/// region that name the real origin and the matching fix.
#[derive(Debug, Clone, PartialEq)]
pub enum RegionSource {
    /// `--region`.
    Flag,
    /// `--set region=…`.
    Set,
    /// The preflight profile's `[inputs] region`, at this file:line.
    ProfileFile(String),
    /// An environment variable (`AWS_REGION`, `AWS_DEFAULT_REGION`).
    Env(&'static str),
    /// The shared config file's profile of this name.
    Profile(String),
    /// Nothing configured anywhere: `FALLBACK_REGION`.
    Fallback,
}

impl RegionSource {
    pub fn describe(&self) -> String {
        match self {
            RegionSource::Flag => "--region".into(),
            RegionSource::Set => "--set region".into(),
            RegionSource::ProfileFile(at) => at.clone(),
            RegionSource::Env(var) => (*var).into(),
            RegionSource::Profile(p) => format!("the AWS config profile `{p}`"),
            RegionSource::Fallback => "default (no region configured)".into(),
        }
    }

    /// How to set another region where this one came from.
    pub fn fix(&self) -> String {
        match self {
            RegionSource::Flag => "pass a region such as --region us-east-1".into(),
            RegionSource::Set => "pass a region such as --region us-east-1".into(),
            RegionSource::ProfileFile(at) => format!("set region = \"us-east-1\" at {at} (or pass --region)"),
            RegionSource::Env(var) => format!("export {var}=us-east-1 (or pass --region)"),
            RegionSource::Profile(p) => {
                format!("set `region = us-east-1` in the profile `{p}` of the AWS config file (or pass --region)")
            }
            RegionSource::Fallback => "pass --region, or export AWS_REGION".into(),
        }
    }
}

/// The configuration, loaded from the aws-config chain; the region is known,
/// nobody has been asked who we are yet.
pub struct Loaded {
    config: SdkConfig,
    pub region: String,
    pub region_source: RegionSource,
}

#[derive(Debug)]
pub struct AwsContext {
    pub config: SdkConfig,
    pub account_id: String,
    pub principal_arn: String,
    pub region: String,
    /// Where the region came from, for the banner and messages.
    pub region_source: RegionSource,
    iam: OnceLock<aws_sdk_iam::Client>,
}

impl AwsContext {
    /// Loads the configuration (no network call yet).
    pub async fn load(opts: &AwsOptions) -> Loaded {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        // Every client's requests pass the capture: a change's parameters are read off the wire.
        let http = super::wire::http_client(http);
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
        // Throttling is retried by the SDK's standard mode (exponential backoff with jitter,
        // AWS_MAX_ATTEMPTS or the profile's max_attempts, else 3 attempts). Its adaptive mode adds a
        // client-side rate limiter that would hold back the burst of reads a verify makes at once.
        let env = |var: &'static str| std::env::var(var).ok().filter(|v| !v.is_empty()).map(|_| var);
        let region_source = if opts.region.is_some() {
            opts.region_source.clone().unwrap_or(RegionSource::Flag)
        } else if config.region().is_none() {
            config = config.into_builder().region(aws_config::Region::new(FALLBACK_REGION)).build();
            RegionSource::Fallback
        } else if let Some(var) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) {
            RegionSource::Env(var)
        } else {
            let name = opts.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()).unwrap_or("default".into());
            RegionSource::Profile(name)
        };
        let region = config.region().map(|r| r.to_string()).unwrap_or_else(|| FALLBACK_REGION.into());
        Loaded { config, region, region_source }
    }

    /// Loads the configuration and asks STS who we are.
    pub async fn connect(opts: &AwsOptions) -> Result<Self, AwsError> {
        Self::load(opts).await.identify().await
    }
}

impl Loaded {
    /// Asks STS who we are.
    pub async fn identify(self) -> Result<AwsContext, AwsError> {
        let sts = aws_sdk_sts::Client::new(&self.config);
        let op = Op::new("sts", "GetCallerIdentity", "");
        let who = sts.get_caller_identity().send().await.map_err(|e| AwsError::from_sdk(e, Some(&op)))?;
        Ok(AwsContext {
            account_id: who.account().unwrap_or_default().to_string(),
            principal_arn: who.arn().unwrap_or_default().to_string(),
            region: self.region,
            region_source: self.region_source,
            config: self.config,
            iam: OnceLock::new(),
        })
    }
}

impl AwsContext {
    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.config)
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.config)
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config)
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.config)
    }

    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.config)
    }

    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config)
    }

    pub fn elb(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.config)
    }

    pub fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::new(&self.config)
    }

    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::new(&self.config)
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
