//! The one store every component reads: state, actions and a pure reducer.
//!
//! Data flows one way: the edges and the SIP core (through the agent driver)
//! dispatch [`Action`]s, the reducer folds them into [`PhoneState`], and the
//! components render slices of it. Components never change state directly:
//! what the agent asks for (answer, reject, hang up, …) travels back to the
//! driver as a [`UserCommand`] through [`crate::StoreContext`].
//!
//! Everything here is plain data so the reducer is unit-tested natively.

use std::rc::Rc;

use yew::Reducible;

use crate::devices::{AudioDevice, DeviceKind, Devices};
use crate::quality::LiveQuality;
use crate::routing::{Routing, RoutingConfig};
use crate::team::{reduce_board, TeamAction, TeamBoard};

/// Milliseconds on the page's monotonic clock (`performance.now()`).
pub type Millis = u64;

/// The Finesse agent states we care about (`finesse.restservices.User.States`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentState {
    /// Finesse has not told us yet.
    Unknown,
    Login,
    Logout,
    NotReady,
    Ready,
    Reserved,
    ReservedOutbound,
    ReservedOutboundPreview,
    Talking,
    Hold,
    Work,
    WorkReady,
    /// A state string this build does not know; kept verbatim for display.
    Other(String),
}

impl AgentState {
    /// Parses Finesse's upper-case state names (`"NOT_READY"`, …).
    pub fn from_finesse(name: &str) -> Self {
        match name.trim().to_ascii_uppercase().as_str() {
            "" => Self::Unknown,
            "LOGIN" => Self::Login,
            "LOGOUT" => Self::Logout,
            "NOT_READY" => Self::NotReady,
            "READY" => Self::Ready,
            "RESERVED" => Self::Reserved,
            "RESERVED_OUTBOUND" => Self::ReservedOutbound,
            "RESERVED_OUTBOUND_PREVIEW" => Self::ReservedOutboundPreview,
            "TALKING" => Self::Talking,
            "HOLD" => Self::Hold,
            "WORK" => Self::Work,
            "WORK_READY" => Self::WorkReady,
            _ => Self::Other(name.trim().to_string()),
        }
    }

    /// The Finesse name, as shown to agents and used in configuration.
    pub fn finesse_name(&self) -> &str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Login => "LOGIN",
            Self::Logout => "LOGOUT",
            Self::NotReady => "NOT_READY",
            Self::Ready => "READY",
            Self::Reserved => "RESERVED",
            Self::ReservedOutbound => "RESERVED_OUTBOUND",
            Self::ReservedOutboundPreview => "RESERVED_OUTBOUND_PREVIEW",
            Self::Talking => "TALKING",
            Self::Hold => "HOLD",
            Self::Work => "WORK",
            Self::WorkReady => "WORK_READY",
            Self::Other(name) => name,
        }
    }

    /// Words for people ("Not Ready"), never only a code.
    pub fn label(&self) -> String {
        match self {
            Self::Unknown => "unknown".into(),
            Self::Other(name) => name.clone(),
            other => {
                let lower = other.finesse_name().replace('_', " ").to_ascii_lowercase();
                let mut chars = lower.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                    None => lower,
                }
            }
        }
    }
}

/// Who is logged into Finesse, as far as the phone is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentInfo {
    pub id: String,
    pub extension: String,
    pub mobile_agent: bool,
    pub supervisor: bool,
    /// The number the broker registers and CUCM routes to (`getMobileAgentDialNumber`,
    /// or derived from the DN by the configured rule).
    pub webrtc_number: Option<String>,
    pub state: AgentState,
}

impl Default for AgentInfo {
    fn default() -> Self {
        Self {
            id: String::new(),
            extension: String::new(),
            mobile_agent: false,
            supervisor: false,
            webrtc_number: None,
            state: AgentState::Unknown,
        }
    }
}

/// The phone's registration with the broker, as the agent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registration {
    /// Waiting for configuration / Finesse before doing anything.
    Starting,
    /// Logging into the broker or opening the WebSocket.
    Connecting,
    /// REGISTER sent, no final answer yet.
    Registering,
    Registered {
        expires_s: u32,
    },
    /// The connection dropped; the next attempt is due at `retry_at`.
    Reconnecting {
        retry_at: Option<Millis>,
        reason: String,
    },
    /// Deliberately not registered (agent logged out, not a WebRTC agent, page closing).
    Unregistered {
        reason: String,
    },
    /// The broker refused our credentials; no automatic retry storm.
    AuthFailed {
        reason: String,
    },
    /// The phone system refused the phone for a reason it named, with its own
    /// words and next step ([`crate::problems`]); `detail` is for support.
    Refused {
        refusal: Refusal,
        detail: String,
    },
    /// Any other failure that needs the agent or support to act.
    Failed {
        reason: String,
    },
}

/// Why the phone system refused the phone, when it said why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `wazo`: the user's lines include no WebRTC line (`webrtc` `yes`).
    NoWebrtcLine,
    /// `wazo`: wazo-auth answered 429, the user already has its maximum of sessions.
    TooManySessions,
    /// `wazo`: REGISTER answered 403, Asterisk's line already has its maximum of
    /// devices (`max_contacts`, with `remove_existing=false`).
    TooManyDevices,
    /// Finesse single sign-on gave no password, and the configured broker kind has no
    /// way to sign in without one (`sip` without `sipCredentialsUrl`, `wazo` without
    /// `domainName` for its SAML login).
    SsoNoPassword,
    /// SSO: the company's sign-in page (the IdP) needs the agent: the bar offers a
    /// "Sign in to the phone" button (a click lets the gadget open it in a window).
    SsoSignIn,
    /// SSO: the browser blocked the sign-in window (pop-ups).
    SsoPopupBlocked,
    /// SSO: the sign-in was refused (the IdP's answer, wazo-auth, or the credential
    /// service refused the Finesse token). Not retried.
    SsoRefused,
    /// SSO: the administrator's credential service has no SIP account for this agent.
    SsoNoAccount,
}

impl Registration {
    /// The SIP core's refused registration (`AuthFailed { status }`) as the bar shows it.
    /// On Wazo, a REGISTER's `403` is the line refusing one more device (Asterisk's
    /// `max_contacts`), while a wrong password is a second `401`; other SIP servers
    /// (FreeSWITCH) answer a wrong password with `403`, so the `sip` kind keeps the
    /// credentials words.
    pub fn sip_auth_failed(status: u16, broker: crate::config::BrokerKind) -> Self {
        match (status, broker) {
            (403, crate::config::BrokerKind::Wazo) => Self::Refused {
                refusal: Refusal::TooManyDevices,
                detail: "SIP 403 to REGISTER".into(),
            },
            _ => Self::AuthFailed {
                reason: format!("SIP {status}: wrong SIP user or password"),
            },
        }
    }
}

/// Where an incoming or active call stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallPhase {
    /// Development-only outcalling: our INVITE is out, no answer yet.
    Dialing,
    /// INVITE received; auto-answer at `answer_at` (None: waiting for a manual answer).
    Ringing { answer_at: Option<Millis> },
    /// 200 OK sent, waiting for the ACK / media.
    Answering,
    Active {
        since: Millis,
        held: bool,
        muted: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub id: String,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub phase: CallPhase,
}

impl Call {
    /// "Jane Doe (5551234)" or just the number.
    pub fn caller_label(&self) -> String {
        match self.caller_name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() && name != self.caller_number => {
                format!("{name} ({})", self.caller_number)
            }
            _ => self.caller_number.clone(),
        }
    }
}

/// Auto-answer settings in force (from configuration, changed only by QA builds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoAnswer {
    pub enabled: bool,
    pub delay_ms: u32,
    pub tone: bool,
    /// Agent states in which a call may be answered.
    pub allowed_states: Vec<AgentState>,
}

impl Default for AutoAnswer {
    fn default() -> Self {
        Self {
            enabled: true,
            delay_ms: 0,
            tone: true,
            allowed_states: vec![
                AgentState::Reserved,
                AgentState::Ready,
                AgentState::Talking,
                AgentState::Hold,
            ],
        }
    }
}

/// What the auto-answer controls show: derived, never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoAnswerStatus {
    On {
        delay_ms: u32,
    },
    /// Auto-answer is on, but the agent's Finesse state gates calls off.
    Paused {
        state: AgentState,
    },
    /// QA builds only: calls wait for a manual Answer/Reject.
    Off,
}

/// A configuration problem, naming the key so an administrator can fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

/// May the page play sound? Browsers block playback until the agent clicked
/// the page once (autoplay policy); the gadget asks for that click at login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Playback {
    Unknown,
    Blocked,
    Allowed,
}

/// The audio test in the settings popover: the test sound on the chosen
/// speaker and a live microphone level, without registering or calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AudioTest {
    Idle,
    Running {
        /// Microphone level 0–100 (RMS, scaled).
        level: u8,
        /// The test sound is playing.
        playing: bool,
    },
    Failed(String),
}

/// A microphone problem found when opening it (for a call or the audio test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaProblem {
    MicrophoneDenied,
    NoMicrophone,
}

/// The broker session (wazo token) could not be renewed. SIP registration
/// does not depend on the token, so calls keep coming; a reload would not sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionTrouble {
    /// The refresh was refused and the fresh sign-in refused too (password
    /// changed or account locked): retried slowly, at most 3 tries a minute.
    Refused {
        detail: String,
        retry_at: Option<Millis>,
    },
    /// The broker did not answer the renewal: retried with backoff.
    Unreachable {
        detail: String,
        retry_at: Option<Millis>,
    },
    /// Single sign-on: the fresh sign-in needs the agent at the company's sign-in
    /// page (its session there ended): the bar offers "Sign in to the phone";
    /// silent tries go on slowly meanwhile.
    NeedsAgent { retry_at: Option<Millis> },
}

/// Something this browser lacks, found by the start-up check (`src/browser_support.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserGap {
    /// `RTCPeerConnection`: no calls at all.
    WebRtc,
    /// `navigator.mediaDevices.getUserMedia`: no microphone.
    Microphone,
    /// `navigator.locks` (Web Locks): one phone per agent across tabs.
    TabLocks,
    /// `HTMLMediaElement.setSinkId`: sound plays on the default device (not fatal).
    SpeakerChoice,
}

impl BrowserGap {
    /// What it is, in plain words.
    pub fn words(self) -> &'static str {
        match self {
            Self::WebRtc => "internet calls (WebRTC)",
            Self::Microphone => "microphone access",
            Self::TabLocks => "coordination between tabs (Web Locks)",
            Self::SpeakerChoice => "speaker choice",
        }
    }

    /// The phone cannot work without it.
    pub fn fatal(self) -> bool {
        self != Self::SpeakerChoice
    }
}

/// What finesse.js failed to give the gadget (reported by an `onError` callback, or
/// `ClientServices.init` throwing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinesseObject {
    /// `ClientServices.init`: Finesse's services for the gadget did not start.
    Services,
    /// The agent's own User (GET /finesse/api/User/{id}).
    User,
    /// A supervised Team, or its Users subscription.
    Team,
    /// Finesse itself: the desktop lost its server and is failing over
    /// (`ClientServices.registerOnDisconnectHandler`), until it connects again.
    Failover,
}

/// The failover policy: while Finesse is failing over, the SIP phone stays registered and
/// auto-answer follows the agent's last known Finesse state for at most this long; then
/// the state counts as unknown (auto-answer paused) until Finesse is back and re-read.
pub const FAILOVER_TRUST_MS: u32 = 120_000;

/// A finesse.js failure the bar shows until the object loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinesseTrouble {
    pub what: FinesseObject,
    /// The HTTP status finesse.js reported (0 when it gave none).
    pub status: u16,
    /// When the gadget asks again; `None`: it does not (sign in again, or tries used up).
    pub retry_at: Option<Millis>,
}

impl FinesseTrouble {
    /// 401/403: Finesse does not accept this sign-in any more; asking again cannot help.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self.status, 401 | 403) && self.what == FinesseObject::User
    }
}

/// How many times the gadget asks finesse.js again for an object that failed to load.
pub const FINESSE_RETRIES: u32 = 6;

/// The wait before asking finesse.js again for `what` after its `attempt`-th failure
/// (0-based) with HTTP `status`, or `None` when asking again cannot help: the agent's
/// User refused (401/403: sign in again), ClientServices (runs once per page), or the
/// tries used up. 5 s, 10 s, 20 s, then every 30 s.
pub fn finesse_retry_ms(what: FinesseObject, status: u16, attempt: u32) -> Option<u32> {
    let refused = matches!(status, 401 | 403) && what == FinesseObject::User;
    let once = matches!(what, FinesseObject::Services | FinesseObject::Failover);
    if refused || once || attempt >= FINESSE_RETRIES {
        return None;
    }
    Some((5_000u32 << attempt.min(3)).min(30_000))
}

/// The one popover open below the bar, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Settings,
    Diagnostics,
    Dialpad,
}

/// What a diagnostics line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    SipIn,
    SipOut,
    State,
}

/// One line of the diagnostics trace. `text` is redacted before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    /// Wall-clock time, milliseconds since the Unix epoch (UTC).
    pub at: u64,
    pub kind: TraceKind,
    pub text: String,
}

/// How many trace entries the diagnostics keep (oldest dropped first).
pub const TRACE_CAPACITY: usize = 300;

/// The whole UI state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneState {
    pub now: Millis,
    pub agent: AgentInfo,
    pub registration: Registration,
    pub call: Option<Call>,
    pub auto_answer: AutoAnswer,
    /// Development-only features (QA manual answer, outcalling) are enabled.
    pub dev_features: bool,
    pub config_problems: Vec<ConfigProblem>,
    /// The last call's end, for the agent and the screen reader ("Call ended: caller hung up").
    pub last_call_end: Option<String>,
    /// What the ARIA live region says: incoming, answered and ended calls.
    pub announcement: String,
    /// A registration succeeded once since the page loaded (a later loss is a
    /// dropped connection, not an unreachable broker).
    pub connected_once: bool,
    pub devices: Devices,
    pub playback: Playback,
    pub audio_test: AudioTest,
    pub media_problem: Option<MediaProblem>,
    /// The broker session could not be renewed (cleared when a renewal succeeds).
    pub session_trouble: Option<SessionTrouble>,
    /// The call's audio path was lost and an ICE restart is under way.
    pub audio_reconnecting: bool,
    /// finesse.js could not load what the phone needs from Finesse (cleared on load).
    pub finesse_trouble: Option<FinesseTrouble>,
    pub panel: Option<Panel>,
    /// The diagnostics trace, oldest first, at most [`TRACE_CAPACITY`] entries.
    pub trace: Vec<Rc<TraceEntry>>,
    /// Supervisor preview: the team board (inactive for agents).
    pub board: TeamBoard,
    /// What this browser lacks (start-up check).
    pub browser_gaps: Vec<BrowserGap>,
    /// The current call's measured quality ([`crate::quality`]), once there is some.
    pub quality: Option<LiveQuality>,
    /// Routing follows the phone ([`crate::routing`]): what the gadget did in Finesse.
    pub routing: Routing,
}

impl Default for PhoneState {
    fn default() -> Self {
        Self {
            now: 0,
            agent: AgentInfo::default(),
            registration: Registration::Starting,
            call: None,
            auto_answer: AutoAnswer::default(),
            dev_features: false,
            config_problems: Vec::new(),
            last_call_end: None,
            announcement: String::new(),
            connected_once: false,
            devices: Devices::default(),
            playback: Playback::Unknown,
            audio_test: AudioTest::Idle,
            media_problem: None,
            session_trouble: None,
            audio_reconnecting: false,
            finesse_trouble: None,
            panel: None,
            trace: Vec::new(),
            board: TeamBoard::default(),
            browser_gaps: Vec::new(),
            quality: None,
            routing: Routing::default(),
        }
    }
}

impl PhoneState {
    /// The development-only dialpad is there: built in (cargo feature `outcall`) and
    /// switched on (`devFeatures`).
    pub fn outcalling(&self) -> bool {
        cfg!(feature = "outcall") && self.dev_features
    }

    /// Auto-answer as the agent should read it right now.
    pub fn auto_answer_status(&self) -> AutoAnswerStatus {
        if !self.auto_answer.enabled {
            AutoAnswerStatus::Off
        } else if self.auto_answer.allowed_states.contains(&self.agent.state) {
            AutoAnswerStatus::On {
                delay_ms: self.auto_answer.delay_ms,
            }
        } else {
            AutoAnswerStatus::Paused {
                state: self.agent.state.clone(),
            }
        }
    }

    /// Whole seconds left before an auto-answer, rounded up, while ringing.
    pub fn answer_countdown_s(&self) -> Option<u64> {
        match self.call.as_ref()?.phase {
            CallPhase::Ringing {
                answer_at: Some(at),
            } => Some(at.saturating_sub(self.now).div_ceil(1000)),
            _ => None,
        }
    }

    /// Seconds the active call has lasted.
    pub fn call_elapsed_s(&self) -> Option<u64> {
        match self.call.as_ref()?.phase {
            CallPhase::Active { since, .. } => Some(self.now.saturating_sub(since) / 1000),
            _ => None,
        }
    }
}

/// Everything that can change the state. Sent by the driver and the edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The page clock advanced (drives countdowns and call timers).
    Tick(Millis),
    /// Configuration loaded: auto-answer settings and dev features.
    Configured {
        auto_answer: AutoAnswer,
        dev_features: bool,
        routing: RoutingConfig,
    },
    /// Configuration is invalid; the phone must not start.
    ConfigInvalid(Vec<ConfigProblem>),
    /// Finesse told us who the user is.
    AgentLoaded(AgentInfo),
    /// Finesse state change for the logged-in user.
    AgentStateChanged(AgentState),
    Registration(Registration),
    IncomingCall {
        id: String,
        caller_number: String,
        caller_name: Option<String>,
        answer_at: Option<Millis>,
    },
    /// 200 OK sent for the call.
    Answering {
        id: String,
    },
    /// ACK received / media flowing.
    Connected {
        id: String,
        at: Millis,
    },
    Held {
        id: String,
        held: bool,
    },
    /// The call's audio path was lost and is being restored (`true`), or is back.
    MediaPath {
        id: String,
        reconnecting: bool,
    },
    Muted {
        id: String,
        muted: bool,
    },
    Ended {
        id: String,
        reason: String,
    },
    /// QA builds: switch auto-answer on or off. Ignored unless dev features are on.
    SetAutoAnswer(bool),
    /// Development-only outcalling: our INVITE to `number` is out.
    Dialing {
        id: String,
        number: String,
    },
    /// `enumerateDevices()` answered (at start, after permission, on `devicechange`).
    DevicesListed {
        microphones: Vec<AudioDevice>,
        speakers: Vec<AudioDevice>,
        speaker_selectable: bool,
        /// `navigator.mediaDevices.selectAudioOutput` exists.
        speaker_picker: bool,
    },
    /// The agent chose a device of the list (`""` or `"default"`: the default).
    DeviceChosen {
        kind: DeviceKind,
        id: String,
    },
    /// The choices remembered in this browser, at start-up (before the first listing).
    DevicesRemembered {
        microphone: Option<AudioDevice>,
        speaker: Option<AudioDevice>,
    },
    /// The agent chose a speaker in the browser's own chooser (`selectAudioOutput`).
    SpeakerPicked(AudioDevice),
    DismissDeviceNotice,
    Playback(Playback),
    AudioTest(AudioTest),
    /// A microphone problem appeared (`Some`) or was solved (`None`).
    MediaProblem(Option<MediaProblem>),
    /// The broker session renewal failed (`Some`) or succeeded again (`None`).
    SessionTrouble(Option<SessionTrouble>),
    /// finesse.js failed to load an object (`Some`), or loaded the one that had failed.
    Finesse(Option<FinesseTrouble>),
    /// Open a popover (closing any other), or close it with `None`.
    OpenPanel(Option<Panel>),
    /// One diagnostics line; redacted here, so nothing secret is ever stored.
    Trace(TraceEntry),
    /// Supervisor preview: the team board.
    Team(TeamAction),
    /// The start-up check: what this browser lacks (empty: nothing).
    BrowserChecked(Vec<BrowserGap>),
    /// The call's quality from its last getStats sample (`src/media/stats.rs`).
    Quality {
        id: String,
        live: Option<LiveQuality>,
    },
    /// Finesse answered the routing request `id` (`User.setState`): HTTP status, 0 if none.
    RoutingAnswer {
        id: u32,
        status: u16,
    },
    /// The agent clicked Go Ready (routing's offer once the phone works again).
    GoReady,
}

/// What the agent asked for, sent from components to the driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserCommand {
    Answer {
        call: String,
    },
    Reject {
        call: String,
    },
    HangUp {
        call: String,
    },
    Mute {
        call: String,
        muted: bool,
    },
    SetAutoAnswer(bool),
    /// Development-only dialpad: call this number.
    Call {
        target: String,
    },
    ChooseDevice {
        kind: DeviceKind,
        id: String,
    },
    /// Open the browser's speaker chooser (`selectAudioOutput`, Firefox).
    PickSpeaker,
    DismissDeviceNotice,
    /// The agent's one click that lets the page play sound.
    EnableAudio,
    StartAudioTest,
    StopAudioTest,
    OpenPanel(Option<Panel>),
    CopyTrace,
    DownloadTrace,
    /// Routing: go Ready in Finesse now that the phone works again.
    GoReady,
    /// SSO: the agent's click that opens the company's sign-in page for the phone.
    SignInToPhone,
}

impl Reducible for PhoneState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let next = reduce(&self, action);
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// The pure transition function (`Reducible::reduce` wraps it in `Rc`s).
// Not inlined: the app folds held actions through it too (see `first_state`), and one copy
// of this large function is enough.
#[inline(never)]
pub fn reduce(state: &PhoneState, action: Action) -> PhoneState {
    let mut next = state.clone();
    let is_trace = matches!(action, Action::Trace(_));
    match action {
        Action::Tick(now) => {
            next.now = now.max(state.now);
            next.routing = state.routing.ticked(next.now);
        }
        Action::Configured {
            auto_answer,
            dev_features,
            routing,
        } => {
            next.auto_answer = auto_answer;
            next.dev_features = dev_features;
            next.routing.config = routing;
            next.config_problems.clear();
        }
        Action::ConfigInvalid(problems) => {
            next.config_problems = problems;
            next.registration = Registration::Failed {
                reason: "The phone is not configured correctly.".into(),
            };
        }
        Action::AgentLoaded(agent) => {
            next.agent = agent;
            if matches!(&next.finesse_trouble, Some(t) if t.what == FinesseObject::User) {
                next.finesse_trouble = None;
            }
        }
        Action::AgentStateChanged(agent_state) => next.agent.state = agent_state,
        Action::Registration(registration) => {
            if matches!(registration, Registration::Registered { .. }) {
                next.connected_once = true;
            }
            next.registration = registration;
        }
        Action::IncomingCall {
            id,
            caller_number,
            caller_name,
            answer_at,
        } => {
            // A second INVITE while a call is up is the core's to refuse (486);
            // the banner keeps showing the call the agent has.
            if state.call.is_none() {
                let call = Call {
                    id,
                    caller_number,
                    caller_name,
                    phase: CallPhase::Ringing { answer_at },
                };
                next.announcement = format!("Incoming call from {}.", call.caller_label());
                next.call = Some(call);
                next.last_call_end = None;
            }
        }
        Action::Answering { id } => {
            if let Some(call) = next.call.as_mut().filter(|c| c.id == id) {
                if matches!(call.phase, CallPhase::Ringing { .. }) {
                    call.phase = CallPhase::Answering;
                }
            }
        }
        Action::Connected { id, at } => {
            if let Some(call) = next.call.as_mut().filter(|c| c.id == id) {
                if !matches!(call.phase, CallPhase::Active { .. }) {
                    call.phase = CallPhase::Active {
                        since: at,
                        held: false,
                        muted: false,
                    };
                    next.announcement = format!("Call answered: {}.", call.caller_label());
                }
            }
        }
        Action::Held { id, held: now_held } => {
            if let Some(call) = next.call.as_mut().filter(|c| c.id == id) {
                if let CallPhase::Active { held, .. } = &mut call.phase {
                    *held = now_held;
                }
            }
        }
        Action::MediaPath { id, reconnecting } => {
            if state.call.as_ref().is_some_and(|c| c.id == id) {
                next.audio_reconnecting = reconnecting;
            }
        }
        Action::Muted {
            id,
            muted: now_muted,
        } => {
            if let Some(call) = next.call.as_mut().filter(|c| c.id == id) {
                if let CallPhase::Active { muted, .. } = &mut call.phase {
                    *muted = now_muted;
                }
            }
        }
        Action::Ended { id, reason } => {
            if state.call.as_ref().is_some_and(|c| c.id == id) {
                next.call = None;
                next.quality = None;
                next.audio_reconnecting = false;
                next.announcement = reason.clone();
                next.last_call_end = Some(reason);
            }
        }
        Action::SetAutoAnswer(enabled) => {
            if state.dev_features {
                next.auto_answer.enabled = enabled;
            }
        }
        Action::Dialing { id, number } => {
            if state.call.is_none() && state.dev_features {
                next.announcement = format!("Calling {number}.");
                next.call = Some(Call {
                    id,
                    caller_number: number,
                    caller_name: None,
                    phase: CallPhase::Dialing,
                });
                next.last_call_end = None;
            }
        }
        Action::DevicesListed {
            microphones,
            speakers,
            speaker_selectable,
            speaker_picker,
        } => {
            next.devices
                .listed(microphones, speakers, speaker_selectable, speaker_picker);
            if next.media_problem == Some(MediaProblem::NoMicrophone)
                && !next.devices.microphones.is_empty()
            {
                next.media_problem = None;
            }
        }
        Action::DeviceChosen { kind, id } => next.devices.choose(kind, id),
        Action::DevicesRemembered {
            microphone,
            speaker,
        } => next.devices.remembered(microphone, speaker),
        Action::SpeakerPicked(device) => next.devices.speaker_picked(device),
        Action::DismissDeviceNotice => next.devices.notice = None,
        Action::Playback(playback) => next.playback = playback,
        Action::AudioTest(test) => next.audio_test = test,
        Action::MediaProblem(problem) => next.media_problem = problem,
        Action::SessionTrouble(trouble) => next.session_trouble = trouble,
        Action::Finesse(trouble) => next.finesse_trouble = trouble,
        Action::OpenPanel(panel) => {
            next.panel = match panel {
                Some(Panel::Dialpad) if !state.outcalling() => None,
                other => other,
            };
        }
        Action::Trace(mut entry) => {
            entry.text = crate::diagnostics::redact(&entry.text, &[]);
            if next.trace.len() >= TRACE_CAPACITY {
                let excess = next.trace.len() + 1 - TRACE_CAPACITY;
                next.trace.drain(..excess);
            }
            next.trace.push(Rc::new(entry));
        }
        Action::BrowserChecked(gaps) => next.browser_gaps = gaps,
        Action::Quality { id, live } => {
            if state.call.as_ref().is_some_and(|c| c.id == id) {
                next.quality = live;
            }
        }
        Action::RoutingAnswer { id, status } => next.routing = state.routing.answered(id, status),
        Action::GoReady => {
            next.routing = state.routing.go_ready(&crate::routing::View::of(state));
        }
        Action::Team(action) => {
            // A roster arrived: the team that had failed has loaded.
            if matches!(action, TeamAction::Roster(_))
                && matches!(&next.finesse_trouble, Some(t) if t.what == FinesseObject::Team)
            {
                next.finesse_trouble = None;
            }
            next.board = reduce_board(&state.board, action)
        }
    }
    // Routing follows what the state now says (a trace line changes nothing it reads).
    if next.routing.config.enabled && !is_trace {
        next.routing = crate::routing::step(&next.routing, &crate::routing::View::of(&next));
    }
    next
}
