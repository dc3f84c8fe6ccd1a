//! The WebRTC edge: one `RTCPeerConnection` per call, audio only.
//!
//! It does what the SIP core asks ([`MediaRequest`]) and reports back
//! ([`MediaResult`]). The microphone is opened only when the core asks for an
//! answer (so a call the policy rejects never opens it) and every track is
//! stopped when the call is released.

mod ice_wait;
mod stats;
mod warm;

pub use stats::QualitySink;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use ttecphone_components::config::IceServer;
use ttecphone_sip::{sdp, CallId, MediaFailure, MediaRequest, MediaResult};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlAudioElement, MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceConnectionState,
    RtcPeerConnection, RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

/// How long ICE may stay "disconnected" before the audio path counts as lost and the
/// core restarts ICE (re-INVITE): Chrome often recovers a short blip by itself, and
/// a restart costs a signalling round trip; the caller should not wait much longer.
const ICE_DISCONNECTED_GRACE_MS: u32 = 2_500;

/// How long a new call's ICE may stay `new`/`checking` after our answer went out before
/// the audio path counts as lost (the core then restarts ICE, or ends the call with its
/// plain reason). A working path connects within a second; a connection stuck in
/// `checking` (candidates the broker cannot reach) otherwise never says a word.
pub const ICE_CONNECT_WATCHDOG_MS: u32 = 5_000;

/// The media of one call.
struct CallMedia {
    pc: RtcPeerConnection,
    /// Created ahead of time with a candidate pool (see `warm.rs`): its candidates
    /// are already gathered when the answer is made.
    pooled: bool,
    /// The agent's mute, also for a microphone track that is attached later.
    muted: std::cell::Cell<bool>,
    /// Replaced when the agent's microphone changes mid-call (hot-plug fallback).
    microphone: RefCell<Option<MediaStream>>,
    /// The caller's audio, played once our answer is made (see [`Speaker`]).
    speaker: Rc<Speaker>,
    /// Reports the audio path lost (once per loss; see `new_call_media`).
    lose: Rc<dyn Fn()>,
    /// Armed when our answer is out: ICE not connected by then counts as a lost path.
    watchdog: RefCell<Option<gloo::timers::callback::Timeout>>,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
    _on_ice_state: Closure<dyn FnMut()>,
    /// Call quality sampling (`stats.rs`), once the call is answered.
    quality: RefCell<Option<stats::Sampler>>,
}

impl CallMedia {
    fn close(&self) {
        self.watchdog.borrow_mut().take();
        self.quality.take(); // its summary, before the connection closes
        self.pc.set_oniceconnectionstatechange(None);
        if let Some(stream) = self.microphone.borrow().as_ref() {
            stop_tracks(stream);
        }
        self.pc.set_ontrack(None);
        self.pc.close();
    }
}

/// Plays a call's remote audio. Attaching a stream to the audio element is several
/// milliseconds of main-thread work, and the `track` event fires inside
/// setRemoteDescription: done there, it delays our answer. So the stream waits until
/// the answer is made (the caller's audio cannot flow before ICE and DTLS anyway).
struct Speaker {
    element: HtmlAudioElement,
    stream: RefCell<Option<MediaStream>>,
    live: std::cell::Cell<bool>,
}

impl Speaker {
    fn offer(&self, stream: Option<MediaStream>) {
        if self.live.get() {
            self.play(stream.as_ref());
        } else {
            *self.stream.borrow_mut() = stream;
        }
    }

    /// The answer is made: play what came, and from now on at once.
    fn go_live(&self) {
        if !self.live.replace(true) {
            if let Some(stream) = self.stream.borrow_mut().take() {
                self.play(Some(&stream));
            }
        }
    }

    fn play(&self, stream: Option<&MediaStream>) {
        self.element.set_src_object(stream);
        let _ = self.element.play();
    }
}

struct Inner {
    /// The calls with media (one, rarely two while a call ends and the next rings).
    calls: Vec<(CallId, Rc<CallMedia>)>,
    warm: warm::Warm,
    speaker: HtmlAudioElement,
    report: Rc<dyn Fn(MediaResult)>,
}

/// The media edge. Cheap to clone (shared).
#[derive(Clone)]
pub struct Media(Rc<RefCell<Inner>>);

impl Media {
    pub fn new(
        ice_servers: &[IceServer],
        report: impl Fn(MediaResult) + 'static,
    ) -> Result<Self, String> {
        let speaker = HtmlAudioElement::new().map_err(|_| "this browser cannot play audio")?;
        speaker.set_autoplay(true);
        crate::devices::register_output(&speaker);
        Ok(Self(Rc::new(RefCell::new(Inner {
            calls: Vec::new(),
            warm: {
                // The first call's connection too, once the microphone permission is known
                // to be granted (see `warm.rs` about connections made before that).
                let warm = warm::Warm::new(&rtc_configuration(ice_servers));
                if crate::devices::microphone_ready() {
                    warm.prepare();
                }
                crate::devices::on_microphone_ready(Some(Rc::new(warm.preparer())));
                warm
            },
            speaker,
            report: Rc::new(report),
        }))))
    }

    /// Carries out one request of the SIP core. True when it is a new call's answer
    /// made at once (`answer_early`: no wait for the microphone or a permission prompt),
    /// whose result follows within milliseconds.
    pub fn handle(&self, request: MediaRequest) -> bool {
        let this = self.clone();
        match request {
            MediaRequest::CreateAnswer { call, offer_sdp }
                if self.existing(&call).is_none() && crate::devices::microphone_ready() =>
            {
                self.answer_early(call, &offer_sdp);
                return true;
            }
            MediaRequest::CreateAnswer { call, offer_sdp } => {
                wasm_bindgen_futures::spawn_local(async move {
                    this.answer_and_report(call, &offer_sdp).await;
                });
            }
            MediaRequest::CreateOffer { call } => {
                wasm_bindgen_futures::spawn_local(async move {
                    let id = call.clone();
                    let result = match this.offer(&call).await {
                        Ok(sdp) => MediaResult::LocalSdp { call, sdp },
                        Err(reason) => MediaResult::Failed { call, reason },
                    };
                    this.report(result);
                    this.speaker_live(&id);
                });
            }
            MediaRequest::ApplyAnswer { call, sdp } => {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match this.existing(&call) {
                        Some(media) => {
                            match set_description(&media.pc, RtcSdpType::Answer, &sdp, false).await
                            {
                                Ok(()) => MediaResult::RemoteAnswerApplied { call },
                                Err(e) => MediaResult::Failed {
                                    call,
                                    reason: MediaFailure::Other(e),
                                },
                            }
                        }
                        None => MediaResult::Failed {
                            call,
                            reason: MediaFailure::Other("no media for this call".into()),
                        },
                    };
                    this.report(result);
                });
            }
            MediaRequest::RestartIce { call } => {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match this.restart_offer(&call).await {
                        Ok(sdp) => MediaResult::LocalSdp { call, sdp },
                        Err(reason) => MediaResult::Failed {
                            call,
                            reason: MediaFailure::Other(reason),
                        },
                    };
                    this.report(result);
                });
            }
            MediaRequest::Release { call } => self.release(&call),
        }
        false
    }

    /// `createOffer({iceRestart: true})` on the call's connection (new ICE credentials,
    /// same DTLS), set as local description, then the bounded wait for candidates.
    async fn restart_offer(&self, call: &CallId) -> Result<String, String> {
        let media = self
            .existing(call)
            .ok_or_else(|| "no media for this call".to_string())?;
        let options = Object::new();
        set(&options, "iceRestart", &JsValue::TRUE);
        let create: js_sys::Function = Reflect::get(&media.pc, &"createOffer".into())
            .map_err(|e| js_error(&e))?
            .dyn_into()
            .map_err(|_| "createOffer is not a function".to_string())?;
        let promise: js_sys::Promise = create
            .call1(&media.pc, &options)
            .map_err(|e| js_error(&e))?
            .dyn_into()
            .map_err(|_| "createOffer returned no promise".to_string())?;
        let offer = JsFuture::from(promise).await.map_err(|e| js_error(&e))?;
        let sdp = Reflect::get(&offer, &"sdp".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        set_description(&media.pc, RtcSdpType::Offer, &sdp, true).await?;
        ice_wait::restarted(&media.pc).await; // new candidates, not the last generation's state
        sendable_sdp(&media.pc)
    }

    /// Mutes or unmutes the microphone of a call by disabling its sender track.
    pub fn set_muted(&self, call: &CallId, muted: bool) -> bool {
        let Some(media) = self.existing(call) else {
            return false;
        };
        media.muted.set(muted);
        for sender in media.pc.get_senders().iter() {
            if let Some(track) = sender.unchecked_into::<web_sys::RtcRtpSender>().track() {
                track.set_enabled(!muted);
            }
        }
        true
    }

    /// The chosen microphone changed (or a removed one fell back to the default):
    /// calls in progress switch their sender track, keeping the mute state.
    pub fn switch_microphone(&self) {
        let calls: Vec<Rc<CallMedia>> = self
            .0
            .borrow()
            .calls
            .iter()
            .map(|(_, m)| m.clone())
            .collect();
        for media in calls {
            wasm_bindgen_futures::spawn_local(async move {
                let Ok(stream) = open_microphone().await else {
                    return; // the old track stays; the next call reports the problem
                };
                let Some(track) = stream
                    .get_audio_tracks()
                    .get(0)
                    .dyn_into::<MediaStreamTrack>()
                    .ok()
                else {
                    stop_tracks(&stream);
                    return;
                };
                for sender in media.pc.get_senders().iter() {
                    let sender: web_sys::RtcRtpSender = sender.unchecked_into();
                    if let Some(old) = sender.track().filter(|t| t.kind() == "audio") {
                        track.set_enabled(old.enabled());
                        let _ = JsFuture::from(sender.replace_track(Some(&track))).await;
                    }
                }
                if let Some(old) = media.microphone.replace(Some(stream)) {
                    stop_tracks(&old);
                }
            });
        }
    }

    /// Reports without holding the borrow: the driver reacts synchronously and may
    /// call back into this edge (a failed answer ends the call, which releases its media).
    fn report(&self, result: MediaResult) {
        let report = self.0.borrow().report.clone();
        report(result);
    }

    /// The slow answer (microphone first, then the connection), reported to the core.
    async fn answer_and_report(&self, call: CallId, offer_sdp: &str) {
        let id = call.clone();
        let new_call = self.existing(&call).is_none();
        let result = match self.answer(&call, offer_sdp).await {
            Ok(sdp) => MediaResult::LocalSdp { call, sdp },
            Err(reason) => {
                self.release(&call);
                MediaResult::Failed { call, reason }
            }
        };
        let answered = matches!(result, MediaResult::LocalSdp { .. });
        self.report(result);
        self.speaker_live(&id);
        if answered && new_call {
            self.watch_connection(&id);
        }
    }

    /// A new call's answer is out: if ICE has not connected within
    /// [`ICE_CONNECT_WATCHDOG_MS`] (still `new` or `checking`), the path counts as lost.
    /// `failed` and `disconnected` have their own handling in `new_call_media`.
    fn watch_connection(&self, call: &CallId) {
        let Some(media) = self.existing(call) else {
            return;
        };
        let weak = Rc::downgrade(&media);
        let timer = gloo::timers::callback::Timeout::new(ICE_CONNECT_WATCHDOG_MS, move || {
            let Some(media) = weak.upgrade() else { return };
            if matches!(
                media.pc.ice_connection_state(),
                RtcIceConnectionState::New | RtcIceConnectionState::Checking
            ) {
                gloo::console::warn!(
                    "TTECPhone: ICE still not connected after the answer: audio path lost"
                );
                (media.lose)();
            }
        });
        *media.watchdog.borrow_mut() = Some(timer);
    }

    /// Our description is out: the call's remote audio plays from now on.
    fn speaker_live(&self, call: &CallId) {
        if let Some(media) = self.existing(call) {
            media.speaker.go_live();
        }
    }

    fn existing(&self, call: &CallId) -> Option<Rc<CallMedia>> {
        let inner = self.0.borrow();
        inner
            .calls
            .iter()
            .find(|(id, _)| id == call)
            .map(|(_, m)| m.clone())
    }

    fn release(&self, call: &CallId) {
        let removed = {
            let calls = &mut self.0.borrow_mut().calls;
            let at = calls.iter().position(|(id, _)| id == call);
            at.map(|at| calls.remove(at).1)
        };
        if let Some(media) = removed {
            media.close();
            let inner = self.0.borrow();
            if inner.calls.is_empty() {
                inner.speaker.set_src_object(None);
            }
            inner.warm.prepare();
        }
    }

    /// True while the call still wants its media (not released meanwhile).
    fn still_wanted(&self, call: &CallId, media: &Rc<CallMedia>) -> bool {
        self.existing(call).is_some_and(|m| Rc::ptr_eq(&m, media))
    }

    /// Answers without waiting for the microphone, when it is known to open (permission
    /// granted, a microphone listed: `devices::microphone_ready`). The offer is applied
    /// at once (started synchronously, before any other queued work) to a warm
    /// connection whose audio transceiver is made `sendrecv` with no track yet; the
    /// answer goes out as soon as it exists. Then `getUserMedia` runs (started any
    /// earlier, it competes with the SDP steps for the browser's media threads and slows
    /// them: measured) and its track is put on the sender with `replaceTrack` (no
    /// renegotiation), while ICE and DTLS connect. If it fails after all, the call ends:
    /// the core sends BYE with a Reason and the agent is told why.
    ///
    /// An answer whose only candidates are mDNS `.local` names (Firefox hides host
    /// addresses until the page captures audio, and neither Asterisk nor rtpengine
    /// resolves them) would be a silent call: it is not sent. The connection is dropped
    /// and the call answered the slow way, microphone first, so the new connection
    /// gathers real addresses.
    fn answer_early(&self, call: CallId, offer_sdp: &str) {
        let (answered_tx, answered_rx) = futures::channel::oneshot::channel::<()>();
        let media = match self.new_call_media(&call, None) {
            Ok(media) => media,
            Err(e) => {
                self.report(MediaResult::Failed {
                    call,
                    reason: MediaFailure::Other(e),
                });
                return;
            }
        };
        let remote = description_promise(&media.pc, RtcSdpType::Offer, offer_sdp, false);
        let offer_sdp_owned = offer_sdp.to_string();
        {
            let (this, call, media) = (self.clone(), call.clone(), media.clone());
            let call_id = call.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let offer_sdp = offer_sdp_owned;
                let answered = async {
                    let remote = remote.ok_or("the browser refused the offer")?;
                    JsFuture::from(remote).await.map_err(|e| js_error(&e))?;
                    if ice_wait::is_closed(&media.pc) {
                        return Err("call ended before the answer".to_string());
                    }
                    send_audio(&media.pc);
                    local_answer(&media.pc, media.pooled).await
                }
                .await;
                if !this.still_wanted(&call, &media) {
                    return; // ended meanwhile, or the microphone failed first (reported)
                }
                if answered.as_deref().is_ok_and(sdp::only_mdns_candidates) {
                    gloo::console::info!(
                        "TTECPhone: only mDNS candidates before the microphone: answering microphone first"
                    );
                    drop(answered_tx); // no early microphone for this connection
                    this.release(&call);
                    this.answer_and_report(call, &offer_sdp).await;
                    return;
                }
                let result = match answered {
                    Ok(sdp) => {
                        let _ = answered_tx.send(()); // now the microphone
                        MediaResult::LocalSdp { call, sdp }
                    }
                    Err(e) => {
                        this.release(&call);
                        MediaResult::Failed {
                            call,
                            reason: MediaFailure::Other(e),
                        }
                    }
                };
                let answered = matches!(result, MediaResult::LocalSdp { .. });
                this.report(result);
                this.speaker_live(&call_id);
                if answered {
                    this.watch_connection(&call_id);
                }
            });
        }
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if answered_rx.await.is_err() {
                return; // no answer (failed, or the call ended): no microphone either
            }
            let stream = match open_microphone().await {
                Ok(stream) => stream,
                Err(reason) => {
                    if this.still_wanted(&call, &media) {
                        this.release(&call);
                        this.report(MediaResult::Failed { call, reason });
                    }
                    return;
                }
            };
            if !this.still_wanted(&call, &media) {
                stop_tracks(&stream);
                return;
            }
            attach_microphone(&media, stream).await;
        });
    }

    async fn answer(&self, call: &CallId, offer_sdp: &str) -> Result<String, MediaFailure> {
        // A re-INVITE (hold, resume, MTP insertion) reuses the call's connection.
        if let Some(media) = self.existing(call) {
            set_description(&media.pc, RtcSdpType::Offer, offer_sdp, false)
                .await
                .map_err(MediaFailure::Other)?;
            return local_answer(&media.pc, false)
                .await
                .map_err(MediaFailure::Other);
        }
        let microphone = open_microphone().await?;
        let media = self
            .new_call_media(call, Some(microphone.clone()))
            .map_err(MediaFailure::Other)?;
        if !self.still_wanted(call, &media) {
            media.close();
            return Err(MediaFailure::Other("call ended before the answer".into()));
        }
        for track in microphone.get_audio_tracks().iter() {
            media.pc.add_track_0(&track.unchecked_into(), &microphone);
        }
        set_description(&media.pc, RtcSdpType::Offer, offer_sdp, false)
            .await
            .map_err(MediaFailure::Other)?;
        let sdp = local_answer(&media.pc, media.pooled)
            .await
            .map_err(MediaFailure::Other)?;
        if !self.still_wanted(call, &media) {
            return Err(MediaFailure::Other("call ended before the answer".into()));
        }
        Ok(sdp)
    }

    async fn offer(&self, call: &CallId) -> Result<String, MediaFailure> {
        let media = match self.existing(call) {
            Some(media) => media,
            None => {
                let microphone = open_microphone().await?;
                let media = self
                    .new_call_media(call, Some(microphone.clone()))
                    .map_err(MediaFailure::Other)?;
                for track in microphone.get_audio_tracks().iter() {
                    media.pc.add_track_0(&track.unchecked_into(), &microphone);
                }
                media
            }
        };
        let offer = JsFuture::from(media.pc.create_offer())
            .await
            .map_err(|e| MediaFailure::Other(js_error(&e)))?;
        let sdp = Reflect::get(&offer, &"sdp".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        set_description(&media.pc, RtcSdpType::Offer, &sdp, true)
            .await
            .map_err(MediaFailure::Other)?;
        ice_wait::gathered(&media.pc, media.pooled).await;
        sendable_sdp(&media.pc).map_err(MediaFailure::Other)
    }

    fn new_call_media(
        &self,
        call: &CallId,
        microphone: Option<MediaStream>,
    ) -> Result<Rc<CallMedia>, String> {
        let ((pc, pooled), speaker) = {
            let inner = self.0.borrow();
            let pc = inner
                .warm
                .take()
                .map_err(|e| format!("cannot create a peer connection: {}", js_error(&e)))?;
            (pc, inner.speaker.clone())
        };
        let speaker = Rc::new(Speaker {
            element: speaker,
            stream: RefCell::new(None),
            live: std::cell::Cell::new(false),
        });
        let remote = speaker.clone();
        let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |event: RtcTrackEvent| {
            let stream = event.streams().get(0);
            let stream = if stream.is_undefined() {
                let stream = MediaStream::new().ok();
                if let Some(s) = &stream {
                    s.add_track(&event.track());
                }
                stream
            } else {
                Some(stream.unchecked_into::<MediaStream>())
            };
            remote.offer(stream);
        });
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        // The audio path is gone: ICE "failed", or "disconnected" for longer than a
        // network blip (a dead media relay can leave Chrome "disconnected" for good).
        // Reported once per loss: the core restarts ICE by re-INVITE (or ends the call
        // with a reason); ICE connected again is reported too.
        let lost = Rc::new(std::cell::Cell::new(false));
        let tell: Rc<dyn Fn(MediaResult)> = {
            let inner = Rc::downgrade(&self.0);
            Rc::new(move |result: MediaResult| {
                if let Some(inner) = inner.upgrade() {
                    let report = inner.borrow().report.clone();
                    report(result);
                }
            })
        };
        let lose: Rc<dyn Fn()> = {
            let (lost, call, tell) = (lost.clone(), call.clone(), tell.clone());
            Rc::new(move || {
                if !lost.replace(true) {
                    tell(MediaResult::PathLost { call: call.clone() });
                }
            })
        };
        let on_ice_state = {
            let (call, pc, lose) = (call.clone(), pc.clone(), lose.clone());
            let grace: Rc<RefCell<Option<gloo::timers::callback::Timeout>>> = Rc::default();
            Closure::<dyn FnMut()>::new(move || match pc.ice_connection_state() {
                RtcIceConnectionState::Failed => {
                    grace.borrow_mut().take();
                    lose();
                }
                RtcIceConnectionState::Disconnected => {
                    if grace.borrow().is_none() && !lost.get() {
                        let lose = lose.clone();
                        let timer = gloo::timers::callback::Timeout::new(
                            ICE_DISCONNECTED_GRACE_MS,
                            move || lose(),
                        );
                        *grace.borrow_mut() = Some(timer);
                    }
                }
                RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => {
                    grace.borrow_mut().take();
                    if lost.replace(false) {
                        tell(MediaResult::PathRestored { call: call.clone() });
                    }
                }
                _ => {
                    grace.borrow_mut().take(); // new/checking (a restart) or closed
                }
            })
        };
        pc.set_oniceconnectionstatechange(Some(on_ice_state.as_ref().unchecked_ref()));
        let media = Rc::new(CallMedia {
            pc,
            pooled,
            muted: std::cell::Cell::new(false),
            microphone: RefCell::new(microphone),
            speaker,
            lose,
            watchdog: RefCell::new(None),
            _on_track: on_track,
            _on_ice_state: on_ice_state,
            quality: RefCell::default(),
        });
        let calls = &mut self.0.borrow_mut().calls;
        calls.retain(|(id, _)| id != call);
        calls.push((call.clone(), media.clone()));
        Ok(media)
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// `{ iceServers, rtcpMuxPolicy: "require", bundlePolicy: "balanced" }`: rtpengine
/// offers no BUNDLE group, so `max-bundle` would fail against it.
fn rtc_configuration(ice_servers: &[IceServer]) -> RtcConfiguration {
    let servers = Array::new();
    for server in ice_servers {
        let entry = Object::new();
        let urls: Array = server.urls.iter().map(|u| JsValue::from_str(u)).collect();
        set(&entry, "urls", &urls);
        if let Some(username) = &server.username {
            set(&entry, "username", &username.into());
        }
        if let Some(credential) = &server.credential {
            set(&entry, "credential", &credential.into());
        }
        servers.push(&entry);
    }
    let config = Object::new();
    set(&config, "iceServers", &servers);
    set(&config, "rtcpMuxPolicy", &"require".into());
    set(&config, "bundlePolicy", &"balanced".into());
    config.unchecked_into()
}

fn js_error(error: &JsValue) -> String {
    let field = |name: &str| {
        Reflect::get(error, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (Some(name), None) => name,
        _ => error.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// `getUserMedia`'s outcome in the core's words.
fn microphone_result(result: Result<JsValue, JsValue>) -> Result<MediaStream, MediaFailure> {
    match result {
        Ok(stream) => Ok(stream.unchecked_into()),
        Err(error) => {
            let name = Reflect::get(&error, &"name".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            Err(match name.as_str() {
                "NotAllowedError" | "SecurityError" => MediaFailure::MicrophoneDenied,
                "NotFoundError" | "OverconstrainedError" => MediaFailure::NoMicrophone,
                "NotReadableError" | "AbortError" => MediaFailure::MicrophoneBusy,
                _ => MediaFailure::Other(js_error(&error)),
            })
        }
    }
}

/// Waits before asking again for a microphone the browser reported busy.
const BUSY_RETRY_MS: [u32; 2] = [150, 300];

/// Opens the chosen microphone (audio only, never video). "Busy" (`NotReadableError`,
/// `AbortError`) is often the previous call's track still being released (back-to-back
/// calls, a headset switching profile): asked again twice, within half a second,
/// before the call is given up. Denied or missing microphones fail at once.
async fn open_microphone() -> Result<MediaStream, MediaFailure> {
    let mut retries = BUSY_RETRY_MS.iter();
    loop {
        let result = microphone_result(crate::devices::open_microphone().await);
        match (result, retries.next()) {
            (Err(MediaFailure::MicrophoneBusy), Some(&wait_ms)) => {
                gloo::timers::future::TimeoutFuture::new(wait_ms).await;
            }
            (result, _) => return result,
        }
    }
}

/// The audio transceivers of `pc` (the offer's audio m-line once it is applied).
fn audio_transceivers(pc: &RtcPeerConnection) -> Vec<web_sys::RtcRtpTransceiver> {
    pc.get_transceivers()
        .iter()
        .map(|t| t.unchecked_into::<web_sys::RtcRtpTransceiver>())
        .filter(|t| t.receiver().track().kind() == "audio")
        .collect()
}

/// Early answer: the audio transceiver will send (its track comes later).
fn send_audio(pc: &RtcPeerConnection) {
    for transceiver in audio_transceivers(pc) {
        transceiver.set_direction(web_sys::RtcRtpTransceiverDirection::Sendrecv);
    }
}

/// Puts the microphone's track on the call's audio sender(s), keeping the mute state.
async fn attach_microphone(media: &CallMedia, stream: MediaStream) {
    let Ok(track) = stream
        .get_audio_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
    else {
        stop_tracks(&stream);
        return;
    };
    track.set_enabled(!media.muted.get());
    for transceiver in audio_transceivers(&media.pc) {
        let _ = JsFuture::from(transceiver.sender().replace_track(Some(&track))).await;
    }
    if let Some(old) = media.microphone.replace(Some(stream)) {
        stop_tracks(&old);
    }
}

/// setRemoteDescription / setLocalDescription, started now (the promise is awaited later).
fn description_promise(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
    local: bool,
) -> Option<js_sys::Promise> {
    let description = RtcSessionDescriptionInit::new(kind);
    description.set_sdp(sdp);
    Some(if local {
        pc.set_local_description(&description)
    } else {
        pc.set_remote_description(&description)
    })
}

async fn set_description(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
    local: bool,
) -> Result<(), String> {
    let description = RtcSessionDescriptionInit::new(kind);
    description.set_sdp(sdp);
    let promise = if local {
        pc.set_local_description(&description)
    } else {
        pc.set_remote_description(&description)
    };
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| js_error(&e))
}

/// The local SDP as it is sent: without mDNS `.local` candidates when real ones exist
/// (the broker cannot resolve them); an error once the connection closed (the call
/// ended while the description was made).
fn sendable_sdp(pc: &RtcPeerConnection) -> Result<String, String> {
    ice_wait::local_sdp(pc)
        .map(|sdp| sdp::without_mdns_candidates(&sdp))
        .ok_or_else(|| "call ended before the description was made".to_string())
}

/// createAnswer + setLocalDescription, then the bounded ICE wait (the broker does not trickle).
async fn local_answer(pc: &RtcPeerConnection, pooled: bool) -> Result<String, String> {
    // `setLocalDescription()` without a description makes the answer itself: one trip
    // through the page's main thread less than createAnswer + setLocalDescription.
    let implicit = Reflect::get(pc, &"setLocalDescription".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(pc).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    if let Some(promise) = implicit {
        if JsFuture::from(promise).await.is_ok() {
            ice_wait::gathered(pc, pooled).await;
            return sendable_sdp(pc);
        }
        // A browser that needs the description given: the explicit steps below.
    }
    let answer = JsFuture::from(pc.create_answer())
        .await
        .map_err(|e| js_error(&e))?;
    let sdp = Reflect::get(&answer, &"sdp".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    set_description(pc, RtcSdpType::Answer, &sdp, true).await?;
    ice_wait::gathered(pc, pooled).await;
    sendable_sdp(pc)
}
