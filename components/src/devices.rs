//! The agent's audio devices as the store keeps them: the lists `enumerateDevices()`
//! gave, the agent's remembered choices, and how a choice is found again in a new
//! listing (Firefox changes device ids across reloads) or reported missing without
//! being forgotten. Plain data, reduced by [`crate::store`]; the browser side (listing,
//! `setSinkId`, `selectAudioOutput`, storage) is `src/devices/`.

/// Which audio device a choice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    Microphone,
    Speaker,
}

impl DeviceKind {
    pub fn noun(self) -> &'static str {
        match self {
            Self::Microphone => "microphone",
            Self::Speaker => "speaker",
        }
    }
}

/// One entry of `enumerateDevices()`, or the device the agent chose, as remembered in
/// this browser (ids and names only: nothing secret).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AudioDevice {
    /// `deviceId` (`"default"` is the browser's default device). Firefox gives a device
    /// a new id on every load unless the microphone permission is kept, and no id at all
    /// before the microphone was allowed in the page.
    pub id: String,
    /// `groupId`: the physical device (a headset's microphone and earphones share it).
    pub group_id: String,
    /// Empty until the agent allowed the microphone once (browser privacy rule).
    pub label: String,
}

/// The listed device that is the agent's `choice`: the same id, else the same physical
/// device (`groupId`) and name, else the same name. Firefox changes ids across reloads,
/// so a remembered id alone would lose the agent's headset.
pub fn find_device<'a>(list: &'a [AudioDevice], choice: &AudioDevice) -> Option<&'a AudioDevice> {
    let known = |s: &str| !s.trim().is_empty();
    let real = |d: &&AudioDevice| known(&d.id) && d.id != "default" && d.id != "communications";
    let label = choice.label.trim();
    list.iter()
        .filter(real)
        .find(|d| known(&choice.id) && d.id == choice.id)
        .or_else(|| {
            list.iter().filter(real).find(|d| {
                known(label)
                    && known(&choice.group_id)
                    && d.group_id == choice.group_id
                    && d.label.trim() == label
            })
        })
        .or_else(|| {
            list.iter()
                .filter(real)
                .find(|d| known(label) && d.label.trim() == label)
        })
}

/// The agent's audio devices and choices. `microphone`/`speaker` are the ids in use
/// (empty: the browser's default); `chosen_*` are what the agent chose, kept while the
/// device is absent and used again when it is back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Devices {
    /// False until the first `enumerateDevices()` answered.
    pub listed: bool,
    pub microphones: Vec<AudioDevice>,
    pub speakers: Vec<AudioDevice>,
    pub microphone: String,
    pub speaker: String,
    /// The agent's microphone choice (`None`: the default), remembered in this browser.
    pub chosen_microphone: Option<AudioDevice>,
    /// The agent's speaker choice (`None`: the default), remembered in this browser.
    pub chosen_speaker: Option<AudioDevice>,
    /// `HTMLMediaElement.setSinkId` exists (speaker choice possible).
    pub speaker_selectable: bool,
    /// The browser offers its own speaker chooser (`selectAudioOutput`, Firefox): used
    /// when it lists no speakers (before the microphone was allowed).
    pub speaker_picker: bool,
    /// Told to the agent after a hot-plug fallback ("headset removed: using the default").
    pub notice: Option<String>,
}

impl Devices {
    pub fn list(&self, kind: DeviceKind) -> &[AudioDevice] {
        match kind {
            DeviceKind::Microphone => &self.microphones,
            DeviceKind::Speaker => &self.speakers,
        }
    }

    pub fn chosen(&self, kind: DeviceKind) -> &str {
        match kind {
            DeviceKind::Microphone => &self.microphone,
            DeviceKind::Speaker => &self.speaker,
        }
    }

    fn chosen_mut(&mut self, kind: DeviceKind) -> &mut String {
        match kind {
            DeviceKind::Microphone => &mut self.microphone,
            DeviceKind::Speaker => &mut self.speaker,
        }
    }

    /// What the agent chose for `kind` (`None`: the default device).
    pub fn choice(&self, kind: DeviceKind) -> Option<&AudioDevice> {
        match kind {
            DeviceKind::Microphone => self.chosen_microphone.as_ref(),
            DeviceKind::Speaker => self.chosen_speaker.as_ref(),
        }
    }

    fn choice_mut(&mut self, kind: DeviceKind) -> &mut Option<AudioDevice> {
        match kind {
            DeviceKind::Microphone => &mut self.chosen_microphone,
            DeviceKind::Speaker => &mut self.chosen_speaker,
        }
    }

    /// A readable name for a device id of this list.
    pub fn label_of(&self, kind: DeviceKind, id: &str) -> String {
        device_label(self.list(kind), kind, id)
    }

    /// The list shows the real devices: the microphone was allowed in this page (or there
    /// are none). Before that browsers list devices without ids (Firefox: microphones
    /// only, no speakers), and a choice can be neither found nor known to be missing.
    pub fn exposed(&self) -> bool {
        self.listed
            && !self
                .microphones
                .iter()
                .chain(&self.speakers)
                .any(|d| d.id.is_empty())
    }

    /// The agent's choice for `kind` is not connected (the list shows real devices and
    /// it is not among them): its name, and the name of the device used instead.
    pub fn missing(&self, kind: DeviceKind) -> Option<(String, String)> {
        let choice = self.choice(kind)?;
        if !self.exposed() || find_device(self.list(kind), choice).is_some() {
            return None;
        }
        let instead = self.label_of(kind, "default");
        Some((choice_label(kind, choice), instead))
    }

    /// A new `enumerateDevices()` listing. Only a device that was in use and is gone
    /// now is "removed" (said in the bar); one missing from the first list shows in the
    /// settings. Either way the agent's choice is kept and used again when the device is
    /// back.
    pub fn listed(
        &mut self,
        microphones: Vec<AudioDevice>,
        speakers: Vec<AudioDevice>,
        speaker_selectable: bool,
        speaker_picker: bool,
    ) {
        let was_listed = self.listed;
        self.microphones = microphones;
        self.speakers = speakers;
        self.speaker_selectable = speaker_selectable;
        self.speaker_picker = speaker_picker;
        self.listed = true;
        let mut fallbacks = self.follow_choices();
        if !was_listed {
            fallbacks.clear(); // nothing was in use before the first listing
        }
        if self.notice.is_some()
            && fallbacks.is_empty()
            && [DeviceKind::Microphone, DeviceKind::Speaker]
                .iter()
                .all(|&kind| self.missing(kind).is_none())
        {
            self.notice = None; // the device is back: the fallback notice is over
        }
        if !fallbacks.is_empty() {
            let parts: Vec<String> = fallbacks
                .iter()
                .map(|(kind, label)| {
                    format!(
                        "{label} was disconnected: using the default {} now.",
                        kind.noun()
                    )
                })
                .collect();
            self.notice = Some(parts.join(" "));
        }
    }

    /// The agent chose `id` for `kind` in the settings (`"default"`: the default).
    pub fn choose(&mut self, kind: DeviceKind, id: String) {
        let id = if id == "default" { String::new() } else { id };
        *self.choice_mut(kind) = (!id.is_empty()).then(|| {
            let listed = self.list(kind).iter().find(|d| d.id == id).cloned();
            listed.unwrap_or(AudioDevice {
                id: id.clone(),
                ..AudioDevice::default()
            })
        });
        *self.chosen_mut(kind) = id;
        self.notice = None;
    }

    /// The choices remembered in this browser, read at start-up. Until the first listing
    /// the remembered microphone id is asked for (an `ideal` constraint, harmless if
    /// unknown); the speaker waits for the list: an id the browser does not show fails
    /// `setSinkId` (Firefox, before the microphone).
    pub fn remembered(&mut self, microphone: Option<AudioDevice>, speaker: Option<AudioDevice>) {
        self.chosen_microphone = microphone;
        self.chosen_speaker = speaker;
        self.microphone = self
            .chosen_microphone
            .as_ref()
            .map(|d| d.id.clone())
            .unwrap_or_default();
        if self.listed {
            self.follow_choices();
        }
    }

    /// The agent picked a speaker in the browser's own chooser (`selectAudioOutput`).
    pub fn speaker_picked(&mut self, device: AudioDevice) {
        if device.id.is_empty() {
            return;
        }
        if !self.speakers.iter().any(|d| d.id == device.id) {
            self.speakers.push(device.clone());
        }
        self.speaker.clone_from(&device.id);
        self.chosen_speaker = Some(device);
        self.notice = None;
    }

    /// Applies the choices to a new listing: each found device is used (its id and name
    /// refreshed: Firefox's ids change across reloads), a missing one leaves the default
    /// in use and the choice kept. Returns the names of devices in use until now that
    /// are gone.
    fn follow_choices(&mut self) -> Vec<(DeviceKind, String)> {
        let mut gone = Vec::new();
        let exposed = self.exposed();
        for kind in [DeviceKind::Microphone, DeviceKind::Speaker] {
            let Some(choice) = self.choice(kind).cloned() else {
                continue;
            };
            let in_use = self.chosen(kind).to_string();
            let found = find_device(self.list(kind), &choice).cloned();
            let next = match found {
                Some(device) => {
                    // A list without names (permission not yet given) keeps the names known.
                    let keep = |new: &str, old: &str| {
                        if new.trim().is_empty() { old } else { new }.to_string()
                    };
                    *self.choice_mut(kind) = Some(AudioDevice {
                        id: device.id.clone(),
                        group_id: keep(&device.group_id, &choice.group_id),
                        label: keep(&device.label, &choice.label),
                    });
                    device.id
                }
                // A list without real devices proves nothing: the microphone keeps its
                // id as an `ideal` constraint (harmless if unknown); a speaker id the
                // browser does not list fails `setSinkId`, so the default plays.
                None if !exposed && kind == DeviceKind::Microphone => choice.id.clone(),
                None => String::new(),
            };
            if !in_use.is_empty() && next.is_empty() && exposed {
                gone.push((kind, choice_label(kind, &choice)));
            }
            *self.chosen_mut(kind) = next;
        }
        gone
    }
}

fn choice_label(kind: DeviceKind, choice: &AudioDevice) -> String {
    device_label(std::slice::from_ref(choice), kind, &choice.id)
}

fn device_label(list: &[AudioDevice], kind: DeviceKind, id: &str) -> String {
    match list.iter().find(|d| d.id == id) {
        Some(d) if !d.label.trim().is_empty() => d.label.trim().to_string(),
        _ if id.is_empty() || id == "default" => format!("Default {}", kind.noun()),
        _ => format!("{} {}", capitalised(kind.noun()), short_id(id)),
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn short_id(id: &str) -> String {
    id.chars().take(6).collect()
}
