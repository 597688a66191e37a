//! The registry behind an ECR repository, reached over the OCI distribution
//! API (oci-client) with the token `ecr:GetAuthorizationToken` hands out. The
//! token lives in memory only: it is never printed, logged or stored. Errors
//! are sorted like AWS's: unreachable (exit 3, after bounded retries), token
//! refused, not found, other.

use std::time::Duration;

use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::aws::error::{AwsError, ErrorKind, Op, causes};
use crate::aws::exec::Exec;
use crate::image::Doc;
use crate::image::store::Store;

/// Attempts of a registry call that could not connect, with a growing pause.
const CONNECT_ATTEMPTS: u32 = 3;
/// Progress is reported at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

pub struct Distribution {
    client: Client,
    auth: RegistryAuth,
    /// host[:port] of the endpoint, as references name it.
    host: String,
    pub endpoint: String,
    repository: String,
    /// The repository as operators name it: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`.
    pub uri: String,
    /// Why a refused token would be refused, for the fix.
    context: String,
    /// When the token expires, as a sentence (the token itself is never shown).
    pub token: String,
}

/// Media types a manifest may have when read back.
pub const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// `https://host[:port]` or, for loopback only, `http://…` → (host[:port], plain http?).
fn endpoint_host(url: &str) -> Result<(String, bool), AwsError> {
    let (plain, rest) = match url.split_once("://") {
        Some(("https", rest)) => (false, rest),
        Some(("http", rest)) => (true, rest),
        _ => {
            return Err(AwsError::new(
                ErrorKind::Input,
                format!("registry URL {url} must start with https:// (or http:// on 127.0.0.1)"),
            ));
        }
    };
    let host = rest.trim_end_matches('/').to_string();
    if host.is_empty() || host.contains('/') {
        return Err(AwsError::new(
            ErrorKind::Input,
            format!("registry URL {url} must be a scheme and a host[:port], nothing more"),
        ));
    }
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    if plain && !["127.0.0.1", "localhost", "[::1]"].contains(&name) {
        return Err(AwsError::new(
            ErrorKind::Input,
            format!(
                "registry URL {url} is plain http to a host that is not loopback: the ECR token would travel in clear"
            ),
        )
        .with_fix("use https://, or http:// only for 127.0.0.1 or localhost"));
    }
    Ok((host, plain))
}

impl Distribution {
    /// Asks ECR for a registry token and prepares a client for `repository`,
    /// at `url` when given (a proxy, or a registry on loopback in tests), else
    /// at the endpoint ECR names.
    pub async fn connect(x: &Exec, repository: &str, url: &str) -> Result<Self, AwsError> {
        let ecr = x.aws.ecr();
        let op = Op::new("ecr", "GetAuthorizationToken", "*");
        // One token per command (it stays in memory, like every read).
        let out = x.read_once(op, "", ecr.get_authorization_token().send()).await?;
        let data = out
            .authorization_data()
            .first()
            .ok_or_else(|| AwsError::other("ecr:GetAuthorizationToken returned no authorization data"))?;
        let decoded = data
            .authorization_token()
            .and_then(|t| aws_smithy_types::base64::decode(t).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| AwsError::other("the ECR authorization token is not base64 of USER:PASSWORD"))?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| AwsError::other("the ECR authorization token is not USER:PASSWORD"))?;
        let proxy = data.proxy_endpoint().unwrap_or_default().to_string();
        let token = match data.expires_at() {
            Some(expires) => {
                let when = expires.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default();
                if std::time::SystemTime::try_from(*expires).is_ok_and(|t| t < std::time::SystemTime::now()) {
                    format!(
                        "ECR token obtained; it says it expired at {when}: a clock or an emulator; it is tried anyway, the registry decides"
                    )
                } else {
                    format!("ECR token obtained, valid until {when}")
                }
            }
            None => "ECR token obtained (no expiry given)".to_string(),
        };
        x.note(token.clone());
        let endpoint = if url.is_empty() { proxy.clone() } else { url.to_string() };
        let (host, plain) = endpoint_host(&endpoint)?;
        let proxy_host = endpoint_host(&proxy).map(|(h, _)| h).unwrap_or_else(|_| host.clone());
        let config = ClientConfig {
            protocol: if plain { ClientProtocol::HttpsExcept(vec![host.clone()]) } else { ClientProtocol::Https },
            // ECR rejects chunks under 5 MB and mishandles PATCH sequences: one PUT per blob.
            use_monolithic_push: true,
            connect_timeout: Some(Duration::from_secs(5)),
            read_timeout: Some(Duration::from_secs(120)),
            platform_resolver: None,
            ..Default::default()
        };
        Ok(Self {
            client: Client::new(config),
            auth: RegistryAuth::Basic(user.to_string(), password.to_string()),
            host,
            endpoint: endpoint.clone(),
            repository: repository.to_string(),
            uri: format!("{proxy_host}/{repository}"),
            context: format!("account {} in {}", x.aws.account_id, x.aws.region),
            token,
        })
    }

    pub fn reference(&self, tag: &str) -> Reference {
        Reference::with_tag(self.host.clone(), self.repository.clone(), tag.to_string())
    }

    fn by_digest(&self, digest: &str) -> Reference {
        Reference::with_digest(self.host.clone(), self.repository.clone(), digest.to_string())
    }

    /// What an oci-client error means for the operator.
    fn error(&self, e: OciDistributionError) -> AwsError {
        let refused = || {
            AwsError::other(format!("the registry {} refused the ECR token (HTTP 401)", self.endpoint)).with_fix(format!(
                "the token is ecr:GetAuthorizationToken's for {}: check that {} is that account's registry in that region (ecr_registry_url points elsewhere?) and that the caller may ecr:GetAuthorizationToken; then run again",
                self.context, self.endpoint
            ))
        };
        let not_found = |what: String| AwsError::new(ErrorKind::NotFound, what);
        match e {
            OciDistributionError::RequestError(r) if r.is_connect() || r.is_timeout() => AwsError::new(
                ErrorKind::Unreachable,
                format!("the registry {} could not be reached: {}", self.endpoint, causes(&r)),
            )
            .with_fix("check the network, and ecr_registry_url if it is set; then run again"),
            OciDistributionError::RequestError(r) if r.status().is_some_and(|s| s.as_u16() == 401) => refused(),
            OciDistributionError::UnauthorizedError { .. } | OciDistributionError::AuthenticationFailure(_) => {
                refused()
            }
            OciDistributionError::ServerError { code: 401, .. } => refused(),
            OciDistributionError::ServerError { code: 404, url, .. } => not_found(format!("{url}: not found")),
            OciDistributionError::ImageManifestNotFoundError(what) => not_found(what),
            OciDistributionError::RegistryError { envelope, url } => {
                let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
                if codes.iter().any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied)) {
                    return refused();
                }
                let message = envelope
                    .errors
                    .iter()
                    .map(|e| format!("{:?}: {}", e.code, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                if codes.iter().any(|c| {
                    matches!(c, OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::BlobUnknown)
                }) {
                    return not_found(format!("{url}: {message}"));
                }
                AwsError::other(format!("the registry answered {url}: {message}"))
            }
            other => AwsError::other(format!("registry {}: {other}", self.endpoint)),
        }
    }

    /// Runs a registry call, again after a pause when it could not connect (bounded).
    async fn retrying<T, F, Fut>(&self, call: F) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = oci_client::errors::Result<T>>,
    {
        let mut attempt = 1;
        loop {
            match call().await.map_err(|e| self.error(e)) {
                Err(e) if e.kind == ErrorKind::Unreachable && attempt < CONNECT_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    pub async fn blob_exists(&self, digest: &str) -> Result<bool, AwsError> {
        let image = self.reference("latest");
        // blob_exists needs the credentials stored for the registry first.
        self.client.store_auth_if_needed(image.resolve_registry(), &self.auth).await;
        self.retrying(|| self.client.blob_exists(&image, digest)).await
    }

    /// The digest a tag (or digest) resolves to; None when it does not exist.
    pub async fn manifest_digest(&self, tag: &str) -> Result<Option<String>, AwsError> {
        let image = if tag.starts_with("sha256:") { self.by_digest(tag) } else { self.reference(tag) };
        match self.retrying(|| self.client.fetch_manifest_digest(&image, &self.auth)).await {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A manifest (or index) as stored, and its media type; None when the tag does not exist.
    pub async fn manifest(&self, tag: &str) -> Result<Option<(Vec<u8>, String)>, AwsError> {
        let image = if tag.starts_with("sha256:") { self.by_digest(tag) } else { self.reference(tag) };
        match self.retrying(|| self.client.pull_manifest_raw(&image, &self.auth, &MANIFEST_TYPES)).await {
            Ok((bytes, _)) => {
                let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["mediaType"].as_str().map(str::to_string))
                    .unwrap_or_default();
                Ok(Some((bytes.to_vec(), media_type)))
            }
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A small blob (a config), whole.
    pub async fn small_blob(&self, digest: &str) -> Result<Vec<u8>, AwsError> {
        let image = self.reference("latest");
        self.client.store_auth_if_needed(image.resolve_registry(), &self.auth).await;
        let mut out = Vec::new();
        self.client.pull_blob(&image, digest, &mut out).await.map_err(|e| self.error(e))?;
        Ok(out)
    }

    /// Uploads one blob in a single PUT, streamed from the source (never held
    /// in memory whole), reporting progress as it goes.
    pub async fn push_blob(
        &self,
        store: &Store,
        name: &str,
        digest: &str,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<(), AwsError> {
        let (file, len) = store.open_entry(name).map_err(|e| AwsError::new(ErrorKind::Input, e))?;
        let progress = std::sync::Arc::new(progress);
        let report = progress.clone();
        let image = self.reference("latest");
        self.client.store_auth_if_needed(image.resolve_registry(), &self.auth).await;
        let file = tokio::fs::File::from_std(file);
        let mut sent = 0u64;
        let mut last = std::time::Instant::now() - PROGRESS_EVERY;
        progress(0, len);
        let stream = tokio_util::io::ReaderStream::with_capacity(tokio::io::AsyncReadExt::take(file, len), 1 << 20)
            .map(move |chunk| {
                let chunk = chunk.map_err(OciDistributionError::IoError)?;
                sent += chunk.len() as u64;
                if last.elapsed() >= PROGRESS_EVERY && sent < len {
                    last = std::time::Instant::now();
                    report(sent, len);
                }
                Ok(chunk)
            });
        self.client.push_blob_stream(&image, stream, digest, Some(len)).await.map_err(|e| self.error(e))?;
        progress(len, len);
        Ok(())
    }

    /// Puts a manifest (or index) under `tag` (or its own digest), byte for byte.
    pub async fn push_manifest(&self, tag: &str, doc: &Doc) -> Result<(), AwsError> {
        let image = if tag.starts_with("sha256:") { self.by_digest(tag) } else { self.reference(tag) };
        self.client.store_auth_if_needed(image.resolve_registry(), &self.auth).await;
        let content_type = doc
            .media_type
            .parse()
            .map_err(|_| AwsError::other(format!("{} is not a usable media type", doc.media_type)))?;
        self.client.push_manifest_raw(&image, doc.bytes.clone(), content_type).await.map_err(|e| self.error(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint_host;

    #[test]
    fn plain_http_only_to_loopback() {
        assert_eq!(
            endpoint_host("https://1.dkr.ecr.us-east-1.amazonaws.com").unwrap(),
            ("1.dkr.ecr.us-east-1.amazonaws.com".into(), false)
        );
        assert_eq!(endpoint_host("http://127.0.0.1:5000/").unwrap(), ("127.0.0.1:5000".into(), true));
        assert!(endpoint_host("http://registry.example.com").is_err());
        assert!(endpoint_host("ftp://x").is_err());
        assert!(endpoint_host("https://host/path").is_err());
    }
}
