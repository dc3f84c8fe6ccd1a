//! The audio-devices edge: microphone and speaker lists (`enumerateDevices`,
//! `devicechange`), the chosen devices (`setSinkId` on every output element,
//! the microphone constraint for `getUserMedia`), the autoplay probe and
//! unlock, the answer tone, and the audio test. It only reports to the store;
//! the store decides (e.g. the hot-plug fallback) and the app applies.

mod ffi;

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::{Interval, Timeout};
use js_sys::{Array, Object, Reflect, Uint8Array};
use ttecphone_components::devices::AudioDevice;
use ttecphone_components::store::{AudioTest, MediaProblem};
use ttecphone_components::tone;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, Blob, BlobPropertyBag, HtmlAudioElement, MediaDeviceInfo,
    MediaDeviceKind, MediaStream, MediaStreamConstraints, MediaStreamTrack, Url,
};

/// A permission status and its `onchange` handler.
type WatchedPermission = (web_sys::PermissionStatus, Closure<dyn FnMut()>);

thread_local! {
    /// Every element that plays sound to the agent (call audio, tone, test).
    static OUTPUTS: RefCell<Vec<HtmlAudioElement>> = const { RefCell::new(Vec::new()) };
    static SPEAKER: RefCell<String> = const { RefCell::new(String::new()) };
    /// The chosen microphone's id, and whether the browser's last list had it.
    static MICROPHONE: RefCell<(String, bool)> = const { RefCell::new((String::new(), false)) };
    static TONE_URL: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The Permissions API says the microphone is `granted` (kept current by `onchange`).
    static MIC_GRANTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The last device listing had an audio input.
    static MIC_LISTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The permission status watched for changes (its handler lives as long as the page).
    static MIC_PERMISSION: RefCell<Option<WatchedPermission>> = const { RefCell::new(None) };
    /// Told when the microphone becomes ready (the media edge warms a connection then).
    static ON_MIC_READY: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
    /// The last listing showed real devices (ids and names): the microphone was allowed
    /// in this page. Firefox shows them only after `getUserMedia` succeeded.
    static EXPOSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Lists the devices again into the store (set by [`watch`]).
    static RELIST: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// The microphone opened (a call, the audio test): a browser that hid the devices until
/// now (Firefox) shows them, so they are listed again and a remembered choice is found
/// (by id, else group and name) and used again.
fn microphone_opened() {
    if !EXPOSED.with(|e| e.get()) {
        if let Some(relist) = RELIST.with(|r| r.borrow().clone()) {
            relist();
        }
    }
}

/// Calls `on_ready` whenever [`microphone_ready`] becomes true (replaces the previous one).
pub fn on_microphone_ready(on_ready: Option<Rc<dyn Fn()>>) {
    ON_MIC_READY.with(|r| *r.borrow_mut() = on_ready);
}

fn set_microphone_state(granted: Option<bool>, listed: Option<bool>) {
    let before = microphone_ready();
    if let Some(granted) = granted {
        MIC_GRANTED.with(|g| g.set(granted));
    }
    if let Some(listed) = listed {
        MIC_LISTED.with(|l| l.set(listed));
    }
    if !before && microphone_ready() {
        if let Some(on_ready) = ON_MIC_READY.with(|r| r.borrow().clone()) {
            on_ready();
        }
    }
}

/// True when a call can be answered before the microphone is open: the microphone
/// permission is known to be granted and a microphone is listed, both checked while
/// idle ([`watch_microphone_permission`], [`list`]). The media edge then sends the
/// answer at once and adds the microphone's track when `getUserMedia` resolves.
pub fn microphone_ready() -> bool {
    MIC_GRANTED.with(|g| g.get()) && MIC_LISTED.with(|l| l.get())
}

/// Follows the microphone permission (`navigator.permissions`, `onchange`). Browsers
/// without it (or without the `microphone` name) leave it "not known": mic first.
pub async fn watch_microphone_permission() {
    let Some(permissions) = web_sys::window().and_then(|w| w.navigator().permissions().ok()) else {
        return;
    };
    let descriptor = Object::new();
    let _ = Reflect::set(&descriptor, &"name".into(), &"microphone".into());
    let Ok(promise) = permissions.query(&descriptor) else {
        return;
    };
    let Ok(status) = JsFuture::from(promise).await else {
        return;
    };
    let status: web_sys::PermissionStatus = status.unchecked_into();
    let granted = |s: &web_sys::PermissionStatus| s.state() == web_sys::PermissionState::Granted;
    set_microphone_state(Some(granted(&status)), None);
    let on_change = {
        let status = status.clone();
        Closure::<dyn FnMut()>::new(move || set_microphone_state(Some(granted(&status)), None))
    };
    status.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    MIC_PERMISSION.with(|p| *p.borrow_mut() = Some((status, on_change)));
}

fn media_devices() -> Option<web_sys::MediaDevices> {
    web_sys::window()?.navigator().media_devices().ok()
}

/// `HTMLMediaElement.prototype.setSinkId` exists.
pub fn speaker_selectable() -> bool {
    js_sys::global()
        .dyn_into::<Object>()
        .ok()
        .and_then(|g| Reflect::get(&g, &"HTMLMediaElement".into()).ok())
        .and_then(|c| Reflect::get(&c, &"prototype".into()).ok())
        .is_some_and(|p| Reflect::has(&p, &"setSinkId".into()).unwrap_or(false))
}

/// Microphones and speakers, in the browser's order.
pub async fn list() -> Result<(Vec<AudioDevice>, Vec<AudioDevice>), String> {
    let devices = media_devices().ok_or("this browser has no media devices")?;
    let promise = devices
        .enumerate_devices()
        .map_err(|_| "cannot list the audio devices")?;
    let found = JsFuture::from(promise)
        .await
        .map_err(|_| "cannot list the audio devices")?;
    let (mut microphones, mut speakers) = (Vec::new(), Vec::new());
    for info in Array::from(&found).iter() {
        let info: MediaDeviceInfo = info.unchecked_into();
        let device = device_of(&info);
        match info.kind() {
            MediaDeviceKind::Audioinput => microphones.push(device),
            MediaDeviceKind::Audiooutput => speakers.push(device),
            _ => {}
        }
    }
    set_microphone_state(None, Some(!microphones.is_empty()));
    let exposed = microphones
        .iter()
        .chain(&speakers)
        .all(|d| !d.id.is_empty() && !d.label.is_empty());
    EXPOSED.with(|e| e.set(exposed));
    Ok((microphones, speakers))
}

fn device_of(info: &MediaDeviceInfo) -> AudioDevice {
    AudioDevice {
        id: info.device_id(),
        group_id: info.group_id(),
        label: info.label(),
    }
}

/// Calls `on_change` on every `devicechange` (a headset plugged in or out), and when
/// the microphone opened in a browser that hid the devices before ([`microphone_opened`]).
pub fn watch(on_change: impl Fn() + 'static) -> Option<EventListener> {
    let on_change: Rc<dyn Fn()> = Rc::new(on_change);
    RELIST.with(|r| *r.borrow_mut() = Some(on_change.clone()));
    let devices = media_devices()?;
    Some(EventListener::new(&devices, "devicechange", move |_| {
        on_change()
    }))
}

/// `navigator.mediaDevices.selectAudioOutput` (Firefox's speaker chooser; web-sys
/// binds it only behind its unstable APIs, so it is reached through `Reflect`).
fn select_audio_output() -> Option<(web_sys::MediaDevices, js_sys::Function)> {
    let devices = media_devices()?;
    let select = Reflect::get(&devices, &"selectAudioOutput".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Some((devices, select))
}

/// The browser has its own speaker chooser ([`pick_speaker`]).
pub fn speaker_picker() -> bool {
    select_audio_output().is_some()
}

/// Opens the browser's speaker chooser (it needs the agent's click: call it from one)
/// and gives the chosen speaker to `on_pick`; the devices are listed again after it,
/// since the chosen speaker is listed from then on. Cancelled: nothing happens.
pub fn pick_speaker(on_pick: impl FnOnce(AudioDevice) + 'static) {
    let Some((devices, select)) = select_audio_output() else {
        return;
    };
    let options = Object::new();
    let current = SPEAKER.with(|s| s.borrow().clone());
    if !current.is_empty() {
        let _ = Reflect::set(&options, &"deviceId".into(), &current.into());
    }
    let Some(promise) = select
        .call1(&devices, &options)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(info) = JsFuture::from(promise).await else {
            return; // cancelled, or refused without a click
        };
        on_pick(device_of(info.unchecked_ref()));
        if let Some(relist) = RELIST.with(|r| r.borrow().clone()) {
            relist();
        }
    });
}

/// Routes `element` to the chosen speaker now and on every later choice.
pub fn register_output(element: &HtmlAudioElement) {
    let speaker = SPEAKER.with(|s| s.borrow().clone());
    // A new element already plays on the default device; `setSinkId("")` would only
    // start the browser's audio output early (a ~60 ms long task during start-up).
    if !speaker.is_empty() {
        apply_sink(element, &speaker);
    }
    OUTPUTS.with(|o| o.borrow_mut().push(element.clone()));
}

fn apply_sink(element: &HtmlAudioElement, id: &str) {
    if !speaker_selectable() {
        return;
    }
    let element: &ffi::SinkElement = element.unchecked_ref();
    if let Ok(promise) = element.set_sink_id(id) {
        // A refused device keeps the element on its previous output; the
        // devicechange listing then falls back to the default.
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                gloo::console::warn!("setSinkId failed", e);
            }
        });
    }
}

/// The speaker every output uses (`""`: the default device).
pub fn set_speaker(id: &str) {
    // Unchanged (e.g. the default at start-up): nothing to route, and no `setSinkId`
    // (which starts the audio output: a ~60 ms long task).
    if SPEAKER.with(|s| *s.borrow() == id) {
        return;
    }
    SPEAKER.with(|s| *s.borrow_mut() = id.to_string());
    OUTPUTS.with(|o| {
        for element in o.borrow().iter() {
            apply_sink(element, id);
        }
    });
}

/// The microphone the next `getUserMedia` asks for (`""`: the default); `listed`: the
/// browser's current device list has this id (Firefox's ids change across loads).
pub fn set_microphone(id: &str, listed: bool) {
    MICROPHONE.with(|m| *m.borrow_mut() = (id.to_string(), listed));
}

/// `getUserMedia` constraints: audio only, never video; `device_id` (`""`: the default)
/// as `exact` when the browser lists it, else as `ideal` (a remembered id the browser
/// does not show yet: Firefox before the microphone was allowed, which honours it).
/// Not `ideal` for a listed device: Chromium opens its default device for an `ideal` id
/// (seen with its fake devices; the agent's headset would be ignored).
fn microphone_constraints(device_id: &str, listed: bool) -> MediaStreamConstraints {
    let constraints = MediaStreamConstraints::new();
    if device_id.is_empty() {
        constraints.set_audio(&JsValue::TRUE);
    } else {
        let id = Object::new();
        let _ = Reflect::set(
            &id,
            &(if listed { "exact" } else { "ideal" }).into(),
            &device_id.into(),
        );
        let audio = Object::new();
        let _ = Reflect::set(&audio, &"deviceId".into(), &id);
        constraints.set_audio(&audio);
    }
    constraints.set_video(&JsValue::FALSE);
    constraints
}

/// Opens the agent's microphone (calls and the audio test) with
/// [`microphone_constraints`]; a listed device gone since the list (unplugged:
/// `OverconstrainedError`/`NotFoundError`) falls back to the default rather than failing
/// the call. Resolves to the `MediaStream`, or the browser's error.
pub async fn open_microphone() -> Result<JsValue, JsValue> {
    let Some(devices) = media_devices() else {
        let error = js_sys::Error::new("this browser gives no access to microphones");
        error.set_name("NotFoundError");
        return Err(error.into());
    };
    let (chosen, listed) = MICROPHONE.with(|m| m.borrow().clone());
    let open = |id: &str, listed| {
        devices.get_user_media_with_constraints(&microphone_constraints(id, listed))
    };
    let result = JsFuture::from(open(&chosen, listed)?).await;
    let gone =
        matches!(&result, Err(e) if microphone_problem(e) == Some(MediaProblem::NoMicrophone));
    let result = if gone && listed {
        JsFuture::from(open("", false)?).await
    } else {
        result
    };
    if result.is_ok() {
        microphone_opened();
    }
    result
}

/// A microphone error's kind, if it is one the agent can fix.
pub fn microphone_problem(error: &JsValue) -> Option<MediaProblem> {
    let name = Reflect::get(error, &"name".into()).ok()?.as_string()?;
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => Some(MediaProblem::MicrophoneDenied),
        "NotFoundError" | "OverconstrainedError" => Some(MediaProblem::NoMicrophone),
        _ => None,
    }
}

fn blob_url(bytes: &[u8], mime: &str) -> Option<String> {
    let array = Uint8Array::from(bytes);
    let parts = Array::of1(&array);
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

/// Plays a short silence: `true` if the browser lets the page play sound
/// without a click (autoplay policy), `false` if it needs one.
pub async fn playback_allowed() -> bool {
    let Some(url) = blob_url(&tone::silence_wav(60), "audio/wav") else {
        return true;
    };
    let Ok(element) = HtmlAudioElement::new_with_src(&url) else {
        return true;
    };
    let allowed = match element.play() {
        Ok(promise) => match JsFuture::from(promise).await {
            Ok(_) => true,
            Err(e) => {
                Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string())
                    != Some("NotAllowedError".into())
            }
        },
        Err(_) => false,
    };
    let _ = element.pause();
    let _ = Url::revoke_object_url(&url);
    allowed
}

/// The answer tone on the chosen speaker (best effort: never delays the call).
pub fn play_answer_tone() {
    let url = TONE_URL.with(|t| {
        t.borrow_mut()
            .get_or_insert_with(|| {
                blob_url(&tone::answer_tone_wav(), "audio/wav").unwrap_or_default()
            })
            .clone()
    });
    if url.is_empty() {
        return;
    }
    let Ok(element) = HtmlAudioElement::new_with_src(&url) else {
        return;
    };
    register_output(&element);
    if let Ok(promise) = element.play() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
    forget_output_later(element, 2_000);
}

fn forget_output_later(element: HtmlAudioElement, after_ms: u32) {
    Timeout::new(after_ms, move || {
        let _ = element.pause();
        OUTPUTS.with(|o| o.borrow_mut().retain(|e| e != &element));
    })
    .forget();
}

/// The base URL of the gadget's files (`window.TTEC.base`).
fn asset(name: &str) -> String {
    let base = crate::page::object()
        .and_then(|t| Reflect::get(&t, &"base".into()).ok())
        .and_then(|b| b.as_string())
        .unwrap_or_default();
    format!("{base}{name}")
}

/// A running audio test. Dropping it stops the sound, the meter and the microphone.
pub struct AudioTestRun {
    stream: MediaStream,
    context: AudioContext,
    player: HtmlAudioElement,
    _meter: Interval,
    _ended: EventListener,
    _auto_stop: Timeout,
}

impl Drop for AudioTestRun {
    fn drop(&mut self) {
        let _ = self.player.pause();
        OUTPUTS.with(|o| o.borrow_mut().retain(|e| e != &self.player));
        for track in self.stream.get_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().stop();
        }
        let _ = self.context.close();
    }
}

/// How long the test runs at most, so the microphone is never left open.
pub const AUDIO_TEST_MS: u32 = 20_000;

/// Opens the chosen microphone, plays `audio-test.wav` on the chosen speaker and
/// reports the live level. `report` gets every change; `on_done` fires at the
/// automatic stop. Errors come back as (text for the agent, problem if any).
pub async fn start_audio_test(
    report: Rc<dyn Fn(AudioTest)>,
    on_done: impl FnOnce() + 'static,
) -> Result<AudioTestRun, (String, Option<MediaProblem>)> {
    let stream: MediaStream = match open_microphone().await {
        Ok(stream) => stream.unchecked_into(),
        Err(error) => {
            let problem = microphone_problem(&error);
            let text = match problem {
                Some(MediaProblem::MicrophoneDenied) => "The browser blocks the microphone: allow it in the address bar, then try again.",
                Some(MediaProblem::NoMicrophone) => "No microphone found: plug in your headset, then try again.",
                None => "The microphone is in use by another application: close it, then try again.",
            };
            return Err((text.to_string(), problem));
        }
    };
    let fail = |stream: &MediaStream| {
        for track in stream.get_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().stop();
        }
        (
            "This browser cannot measure the microphone.".to_string(),
            None,
        )
    };
    let context = AudioContext::new().map_err(|_| fail(&stream))?;
    let source = context
        .create_media_stream_source(&stream)
        .map_err(|_| fail(&stream))?;
    let analyser: AnalyserNode = context.create_analyser().map_err(|_| fail(&stream))?;
    analyser.set_fft_size(1024);
    source
        .connect_with_audio_node(&analyser)
        .map_err(|_| fail(&stream))?;
    let _ = context.resume();

    let player =
        HtmlAudioElement::new_with_src(&asset("audio-test.wav")).map_err(|_| fail(&stream))?;
    register_output(&player);
    let playing = Rc::new(RefCell::new(true));
    if let Ok(promise) = player.play() {
        let playing = playing.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if JsFuture::from(promise).await.is_err() {
                *playing.borrow_mut() = false;
            }
        });
    }
    let ended = {
        let playing = playing.clone();
        EventListener::new(&player, "ended", move |_| *playing.borrow_mut() = false)
    };
    let samples = Rc::new(RefCell::new(vec![0f32; 1024]));
    let meter = {
        let report = report.clone();
        Interval::new(100, move || {
            let mut buf = samples.borrow_mut();
            analyser.get_float_time_domain_data(&mut buf);
            report(AudioTest::Running {
                level: level_of(&buf),
                playing: *playing.borrow(),
            });
        })
    };
    report(AudioTest::Running {
        level: 0,
        playing: true,
    });
    Ok(AudioTestRun {
        stream,
        context,
        player,
        _meter: meter,
        _ended: ended,
        _auto_stop: Timeout::new(AUDIO_TEST_MS, on_done),
    })
}

/// RMS of the samples on a 60 dB scale, as 0–100.
fn level_of(samples: &[f32]) -> u8 {
    if samples.is_empty() {
        return 0;
    }
    let rms = (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt();
    if rms <= 0.0 {
        return 0;
    }
    let db = 20.0 * js_sys::Math::log10(f64::from(rms)) as f32;
    (((db + 60.0) / 60.0) * 100.0).clamp(0.0, 100.0) as u8
}

/// Copies `text` to the clipboard; false if the browser refused.
pub async fn copy_text(text: &str) -> bool {
    let Some(clipboard) = web_sys::window()
        .and_then(|w| Reflect::get(&w.navigator(), &"clipboard".into()).ok())
        .filter(|c| !c.is_undefined())
    else {
        return false;
    };
    let clipboard: ffi::Clipboard = clipboard.unchecked_into();
    match clipboard.write_text(text) {
        Ok(promise) => JsFuture::from(promise).await.is_ok(),
        Err(_) => false,
    }
}

/// Saves `text` as a file through the browser's download.
pub fn download_text(file_name: &str, text: &str) -> bool {
    let Some(url) = blob_url(text.as_bytes(), "text/plain;charset=utf-8") else {
        return false;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Ok(anchor) = document.create_element("a") else {
        return false;
    };
    let _ = anchor.set_attribute("href", &url);
    let _ = anchor.set_attribute("download", file_name);
    let anchor: web_sys::HtmlElement = anchor.unchecked_into();
    anchor.click();
    Timeout::new(10_000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    true
}
