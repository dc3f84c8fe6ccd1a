//! Gadget configuration: three layers merged, then validated.
//!
//! 1. build-time defaults from `.env` (keys `TTEC_*`, baked in by `build.rs`);
//! 2. `config.json` beside `gadget.xml` (lowerCamelCase keys, any JSON type),
//!    so an administrator changes settings without a rebuild;
//! 3. gadget URL parameters (Finesse passes them to the gadget as user prefs).
//!
//! Later layers win. Every problem names its key, in the words an
//! administrator needs; the phone does not start with an invalid config.

use std::fmt;

use crate::json::Json;

use crate::routing::RoutingConfig;
use crate::store::{AgentState, AutoAnswer, ConfigProblem};

/// Every key the gadget understands, in `config.json` / URL spelling.
pub const KEYS: &[&str] = &[
    "brokerKind",
    "brokerHost",
    "wsUrl",
    "sipDomain",
    "iceServers",
    "autoAnswer",
    "autoAnswerDelayMs",
    "autoAnswerStates",
    "answerTone",
    "webrtcNumberRule",
    "devFeatures",
    "keepaliveS",
    "keepaliveMode",
    "registerExpiresS",
    "previewMode",
    "domainName",
    "qualityCollector",
    "qualityCollectorCallerNumber",
    "qualityCollectorIntervalS",
    "sipCredentialsUrl",
    "routingNotReady",
    "routingReasonCodeId",
    "routingGraceS",
    "routingAutoReady",
];

/// `TTEC_AUTO_ANSWER_DELAY_MS` → `autoAnswerDelayMs`; None for keys that are not ours.
pub fn env_key_to_config_key(env_key: &str) -> Option<String> {
    let rest = env_key.strip_prefix("TTEC_")?;
    let mut out = String::with_capacity(rest.len());
    for (i, word) in rest.split('_').filter(|w| !w.is_empty()).enumerate() {
        let lower = word.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    // Acronyms are spelt as words in our keys (wsUrl, keepaliveS): map the
    // mechanical camel-case onto the canonical list case-insensitively.
    KEYS.iter()
        .find(|k| k.eq_ignore_ascii_case(&out))
        .map(|k| (*k).to_string())
}

/// Which broker the phone logs into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerKind {
    /// Wazo: wazo-auth token, SIP line from confd, WebSocket `/api/asterisk/ws`.
    Wazo,
    /// Any SIP-over-WebSocket server; SIP credentials from Finesse/config.
    Sip,
}

/// How the phone checks that its WebSocket to the broker is alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepaliveMode {
    /// An OPTIONS request: every SIP server answers it (Asterisk at once, with 401 or
    /// 200), and any answer proves the connection.
    Options,
    /// A CRLFCRLF ping (RFC 5626): cheaper, but only for brokers that answer it with a
    /// CRLF (Kamailio). Asterisk/pjproject never does, so the phone would reconnect
    /// after every ping.
    Crlf,
}

/// An `RTCIceServer`. The TURN credential is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

impl fmt::Debug for IceServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceServer")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// How the WebRTC number follows from the agent's DN when Finesse gives none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberRule {
    /// Only `getMobileAgentDialNumber()`.
    None,
    /// DN plus a fixed offset: `+2000` maps 1000 to 3000.
    Offset(i64),
    /// A prefix replacing the DN's first digit: `prefix:3` maps 1000 to 3000.
    Prefix(String),
    /// An explicit table: `map:1000=3000,1001=3001`.
    Map(Vec<(String, String)>),
}

impl NumberRule {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        if let Some(offset) = text
            .strip_prefix('+')
            .or_else(|| text.strip_prefix("offset:"))
        {
            return offset
                .trim()
                .parse::<i64>()
                .map(Self::Offset)
                .map_err(|_| format!("`{text}` is not an offset like +2000"));
        }
        if let Some(prefix) = text.strip_prefix("prefix:") {
            let prefix = prefix.trim();
            return if !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_digit()) {
                Ok(Self::Prefix(prefix.to_string()))
            } else {
                Err(format!(
                    "`{text}` needs digits after prefix:, like prefix:3"
                ))
            };
        }
        if let Some(pairs) = text.strip_prefix("map:") {
            let mut map = Vec::new();
            for pair in pairs.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((dn, number)) if !dn.trim().is_empty() && !number.trim().is_empty() => {
                        map.push((dn.trim().to_string(), number.trim().to_string()))
                    }
                    _ => return Err(format!("`{pair}` is not a DN=number pair")),
                }
            }
            return Ok(Self::Map(map));
        }
        Err(format!(
            "`{text}` is not a rule: use +2000, prefix:3, map:1000=3000 or none"
        ))
    }

    /// The WebRTC number for `dn`, if the rule gives one.
    pub fn apply(&self, dn: &str) -> Option<String> {
        let dn = dn.trim();
        if dn.is_empty() {
            return None;
        }
        match self {
            Self::None => None,
            Self::Offset(offset) => {
                if !dn.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let value = dn.parse::<i64>().ok()?.checked_add(*offset)?;
                // Keep the DN's width (leading zeros matter in dial plans).
                (value >= 0).then(|| format!("{value:0width$}", width = dn.len()))
            }
            Self::Prefix(prefix) => {
                let mut chars = dn.chars();
                chars.next()?;
                Some(format!("{prefix}{}", chars.as_str()))
            }
            Self::Map(map) => map.iter().find(|(d, _)| d == dn).map(|(_, n)| n.clone()),
        }
    }
}

/// The validated configuration the app runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GadgetConfig {
    pub broker_kind: BrokerKind,
    pub broker_host: Option<String>,
    /// The broker's REST base (`https://host`; `http://` only for a loopback
    /// test broker), used by the `wazo` kind for wazo-auth and confd.
    pub broker_api: Option<String>,
    pub ws_url: String,
    pub sip_domain: String,
    pub ice_servers: Vec<IceServer>,
    pub auto_answer: AutoAnswer,
    pub number_rule: NumberRule,
    pub dev_features: bool,
    pub keepalive_s: u32,
    pub keepalive_mode: KeepaliveMode,
    pub register_expires_s: u32,
    /// Supervisor preview forced on: never answer, watch the team (a Finesse user with
    /// the supervisor role who is not a mobile agent with a WebRTC number gets it anyway).
    pub preview_mode: bool,
    /// `wazo`: the tenant's domain name, sent as `domain_name` in the login so wazo-auth
    /// checks the password against the tenant's LDAP directory (None: Wazo's own users).
    pub domain_name: Option<String>,
    /// `qualityCollector`: an `https://` URL that receives one JSON record per call
    /// (and one every 30 s during it) by `sendBeacon` (`http://` only for loopback).
    pub quality_collector: Option<String>,
    /// `qualityCollectorCallerNumber`: the records name the caller's number.
    pub quality_collector_caller_number: bool,
    /// `qualityCollectorIntervalS`: seconds between a call's records (5–300, default 30);
    /// a supervisor board's badges are at most this much (plus its 5 s poll) behind.
    pub quality_collector_interval_s: u32,
    /// `sipCredentialsUrl`: `sip` kind under Finesse single sign-on: the administrator's
    /// `https://` service that answers the agent's Finesse bearer token with that agent's
    /// SIP credentials (`http://` only for loopback). None: SSO cannot register `sip`.
    pub sip_credentials_url: Option<String>,
    /// `routingNotReady`, `routingReasonCodeId`, `routingGraceS`, `routingAutoReady`.
    pub routing: RoutingConfig,
}

/// Where a layer came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    BuildDefaults,
    ConfigJson,
    UrlParameters,
}

/// Collects the layers; `finish` validates.
#[derive(Default, Debug)]
pub struct ConfigBuilder {
    /// Every layer's values in the order they came; the last one of a key wins.
    values: Vec<(String, String)>,
    problems: Vec<ConfigProblem>,
}

impl ConfigBuilder {
    /// Build-time `.env` pairs (`TTEC_*` keys; others ignored).
    pub fn with_env_defaults<'a>(
        mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        for (key, value) in pairs {
            if let Some(key) = env_key_to_config_key(key) {
                self.values.push((key, value.to_string()));
            }
        }
        self
    }

    /// The text of `config.json`. Unknown keys are errors: a typo must not be silently ignored.
    pub fn with_config_json(mut self, text: &str) -> Self {
        match Json::parse(text) {
            Ok(Json::Object(map)) => {
                for (key, value) in map {
                    if !KEYS.contains(&key.as_str()) {
                        self.problem(
                            &key,
                            "is not a TTECPhone setting (check the spelling in config.json)",
                        );
                        continue;
                    }
                    let text = match value {
                        Json::String(s) => s,
                        Json::Null => continue,
                        // Arrays join with commas where a list is expected; iceServers keeps JSON.
                        Json::Array(items) if key == "autoAnswerStates" => items
                            .iter()
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join(","),
                        other => other.to_string(),
                    };
                    self.values.push((key, text));
                }
            }
            Ok(_) => self.problem(
                "config.json",
                "must be a JSON object like {\"autoAnswerDelayMs\": 0}",
            ),
            Err(e) => self.problem("config.json", &format!("is not valid JSON ({e})")),
        }
        self
    }

    /// Gadget URL parameters / user prefs: only our keys are taken, others belong to Finesse.
    pub fn with_url_parameters<'a>(
        mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        for (key, value) in pairs {
            if KEYS.contains(&key) {
                self.values.push((key.to_string(), value.to_string()));
            }
        }
        self
    }

    /// An optional `https://` URL setting (`http://` only for a loopback test `what`).
    fn https_url(&mut self, key: &str, what: &str) -> Option<String> {
        let url = self.text(key).map(str::to_string)?;
        match url_host(&url, &["https", "http"]) {
            Ok((scheme, host)) if scheme == "http" && !is_loopback(&host) => self.problem(
                key,
                &format!("`{url}` is not encrypted: use https:// (plain http:// only for a local test {what})"),
            ),
            Ok(_) => {}
            Err(message) => self.problem(key, &message),
        }
        Some(url)
    }

    fn problem(&mut self, key: &str, message: &str) {
        self.problems.push(ConfigProblem {
            key: key.to_string(),
            message: message.to_string(),
        });
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn bool(&mut self, key: &str, default: bool) -> bool {
        match self.text(key).map(str::to_ascii_lowercase).as_deref() {
            None => default,
            Some("true" | "1" | "yes" | "on") => true,
            Some("false" | "0" | "no" | "off") => false,
            Some(other) => {
                let message = format!("must be true or false, not `{other}`");
                self.problem(key, &message);
                default
            }
        }
    }

    fn number(&mut self, key: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> u32 {
        let Some(text) = self.text(key).map(str::to_string) else {
            return default;
        };
        match text.parse::<u32>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                let message = format!(
                    "must be a whole number from {} to {}, not `{text}`",
                    range.start(),
                    range.end()
                );
                self.problem(key, &message);
                default
            }
        }
    }

    /// Validates everything; all problems at once, so one edit fixes them.
    pub fn finish(mut self) -> Result<GadgetConfig, Vec<ConfigProblem>> {
        let dev_features = self.bool("devFeatures", false);
        let preview_mode = self.bool("previewMode", false);
        let broker_kind = match self
            .text("brokerKind")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("wazo") => Some(BrokerKind::Wazo),
            Some("sip") => Some(BrokerKind::Sip),
            Some(other) => {
                let message = format!("must be `wazo` or `sip`, not `{other}`");
                self.problem("brokerKind", &message);
                None
            }
            None => {
                self.problem("brokerKind", "is missing: set `wazo` or `sip`");
                None
            }
        };
        let broker_host = self.text("brokerHost").map(str::to_string);
        if let Some(host) = &broker_host {
            if !is_host(host) {
                let message = format!(
                    "`{host}` is not a host name (no scheme or path, e.g. wazo.example.com)"
                );
                self.problem("brokerHost", &message);
            }
        }
        // Production brokers are reached over TLS only; a loopback host
        // (`127.0.0.1:PORT`, `localhost`) is a local test broker without TLS.
        let plain = broker_host.as_deref().is_some_and(is_loopback);
        let broker_api = broker_host
            .as_ref()
            .filter(|host| is_host(host))
            .map(|host| format!("{}://{host}", if plain { "http" } else { "https" }));
        let ws_url = match (
            self.text("wsUrl").map(str::to_string),
            broker_kind,
            &broker_host,
        ) {
            (Some(url), _, _) => url,
            (None, Some(BrokerKind::Wazo), Some(host)) => {
                format!(
                    "{}://{host}/api/asterisk/ws",
                    if plain { "ws" } else { "wss" }
                )
            }
            (None, Some(BrokerKind::Wazo), None) => {
                self.problem(
                    "brokerHost",
                    "is missing: the wazo broker needs its host name",
                );
                String::new()
            }
            // brokerKind is already reported; a derived complaint would only confuse.
            (None, None, _) => String::new(),
            (None, Some(BrokerKind::Sip), _) => {
                self.problem(
                    "wsUrl",
                    "is missing: the SIP WebSocket URL, e.g. wss://sip.example.com:8089/ws",
                );
                String::new()
            }
        };
        let ws_host = if ws_url.is_empty() {
            None
        } else {
            match url_host(&ws_url, &["wss", "ws"]) {
                Ok((scheme, host)) => {
                    if scheme == "ws" && !is_loopback(&host) && !dev_features {
                        let message = format!(
                            "`{ws_url}` is not encrypted: use wss:// (plain ws:// only for a local test broker)"
                        );
                        self.problem("wsUrl", &message);
                    }
                    Some(host)
                }
                Err(message) => {
                    self.problem("wsUrl", &message);
                    None
                }
            }
        };
        let sip_domain = self
            .text("sipDomain")
            .map(str::to_string)
            // A port (a loopback test broker's) is not part of the SIP domain.
            .or_else(|| broker_host.as_deref().map(|h| strip_port(h).to_string()))
            .or_else(|| ws_host.map(|h| strip_port(&h).to_string()))
            .unwrap_or_default();
        let ice_servers = match self.text("iceServers").map(str::to_string) {
            None => Vec::new(),
            Some(text) => parse_ice_servers(&text).unwrap_or_else(|message| {
                self.problem("iceServers", &message);
                Vec::new()
            }),
        };
        let enabled = self.bool("autoAnswer", true);
        if !enabled && !dev_features {
            self.problem(
                "autoAnswer",
                "can only be false in a QA build (devFeatures=true): this phone answers automatically",
            );
        }
        let delay_ms = self.number("autoAnswerDelayMs", 0, 0..=60_000);
        let tone = self.bool("answerTone", true);
        let allowed_states = match self.text("autoAnswerStates").map(str::to_string) {
            None => AutoAnswer::default().allowed_states,
            Some(text) => {
                let mut states = Vec::new();
                for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    match AgentState::from_finesse(name) {
                        AgentState::Other(_) | AgentState::Unknown => {
                            let message = format!(
                                "`{name}` is not a Finesse state (READY, RESERVED, TALKING, …)"
                            );
                            self.problem("autoAnswerStates", &message);
                        }
                        state => states.push(state),
                    }
                }
                states
            }
        };
        let number_rule = match self.text("webrtcNumberRule").map(str::to_string) {
            None => NumberRule::None,
            Some(text) => NumberRule::parse(&text).unwrap_or_else(|message| {
                self.problem("webrtcNumberRule", &message);
                NumberRule::None
            }),
        };
        let keepalive_s = self.number("keepaliveS", 30, 0..=300);
        let keepalive_mode = match self
            .text("keepaliveMode")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("options") => KeepaliveMode::Options,
            Some("crlf") => KeepaliveMode::Crlf,
            Some(other) => {
                let message = format!("must be `options` or `crlf`, not `{other}`");
                self.problem("keepaliveMode", &message);
                KeepaliveMode::Options
            }
        };
        let register_expires_s = self.number("registerExpiresS", 600, 60..=3600);
        let domain_name = self.text("domainName").map(str::to_string);
        if let Some(name) = &domain_name {
            if !is_domain_name(name) {
                let message = format!(
                    "`{name}` is not a domain name (the Wazo tenant's, e.g. example.com; no scheme, port or path)"
                );
                self.problem("domainName", &message);
            }
        }
        let quality_collector = self.https_url("qualityCollector", "collector");
        let quality_collector_caller_number = self.bool("qualityCollectorCallerNumber", false);
        let quality_collector_interval_s = self.number("qualityCollectorIntervalS", 30, 5..=300);
        let sip_credentials_url = self.https_url("sipCredentialsUrl", "service");
        let routing = RoutingConfig {
            enabled: self.bool("routingNotReady", false),
            // Finesse's reason code ids are positive integers (`ReasonCode.id`).
            reason_code_id: self
                .text("routingReasonCodeId")
                .is_some()
                .then(|| self.number("routingReasonCodeId", 0, 1..=999_999)),
            grace_ms: self.number("routingGraceS", 20, 0..=600) * 1000,
            auto_ready: self.bool("routingAutoReady", false),
        };

        match broker_kind {
            Some(broker_kind) if self.problems.is_empty() => Ok(GadgetConfig {
                broker_kind,
                broker_host,
                broker_api,
                ws_url,
                sip_domain,
                ice_servers,
                auto_answer: AutoAnswer {
                    enabled,
                    delay_ms,
                    tone,
                    allowed_states,
                },
                number_rule,
                dev_features,
                keepalive_s,
                keepalive_mode,
                register_expires_s,
                preview_mode,
                domain_name,
                quality_collector,
                quality_collector_caller_number,
                quality_collector_interval_s,
                sip_credentials_url,
                routing,
            }),
            _ => Err(self.problems),
        }
    }
}

fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// A DNS name of two or more labels (wazo-auth's tenant `domain_names`), e.g. `example.com`.
fn is_domain_name(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').count() >= 2
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        })
}

/// `host:port` / `[v6]:port` → host.
fn strip_port(host: &str) -> &str {
    if let Some(end) = host.find(']') {
        return &host[..=end];
    }
    host.split(':').next().unwrap_or(host)
}

/// `127.x.y.z`, `localhost` or `[::1]`, with an optional port. A name that only
/// starts like an address (`127.0.0.1.example.com`) is not loopback.
fn is_loopback(host: &str) -> bool {
    let bare = strip_port(host);
    let port_ok = host[bare.len()..]
        .strip_prefix(':')
        .map_or(host.len() == bare.len(), |port| port.parse::<u16>().is_ok());
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare == "[::1]"
        || bare
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback && port_ok
}

/// Splits `scheme://host[:port]/path` without a URL crate (it would double the wasm size).
fn url_host(url: &str, schemes: &[&str]) -> Result<(String, String), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("`{url}` is not a URL like wss://host/path"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err(format!(
            "`{url}` must start with {}://",
            schemes.join(":// or ")
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || !is_host(host) {
        return Err(format!("`{url}` has no valid host"));
    }
    Ok((scheme, host.to_string()))
}

fn parse_ice_servers(text: &str) -> Result<Vec<IceServer>, String> {
    let value =
        Json::parse(text).map_err(|e| format!("must be a JSON array of ICE servers ({e})"))?;
    let Json::Array(items) = value else {
        return Err("must be a JSON array like [{\"urls\":\"stun:stun.example.com:3478\"}]".into());
    };
    let mut servers = Vec::new();
    for item in items {
        let urls = match item.get("urls") {
            Some(Json::String(url)) => vec![url.clone()],
            Some(Json::Array(urls)) => urls
                .iter()
                .map(|u| u.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or("each `urls` entry must be a string")?,
            _ => return Err("every ICE server needs `urls`".into()),
        };
        for url in &urls {
            let scheme = url.split(':').next().unwrap_or_default();
            if !matches!(scheme, "stun" | "stuns" | "turn" | "turns") {
                return Err(format!(
                    "`{url}` is not a stun:, stuns:, turn: or turns: URL"
                ));
            }
        }
        let text_field = |name: &str| item.get(name).and_then(Json::as_str).map(str::to_string);
        servers.push(IceServer {
            urls,
            username: text_field("username"),
            credential: text_field("credential"),
        });
    }
    Ok(servers)
}
