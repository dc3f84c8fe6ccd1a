// Reference page: SIP.js's normal API (UserAgent + Registerer), default options,
// auto-answer on every incoming INVITE, with the benchmark's ICE servers.
import { Registerer, RegistererState, SessionState, UserAgent } from 'sip.js';
import { bench, config, error, play } from './common.js';

const ua = new UserAgent({
  uri: UserAgent.makeURI(`sip:${config.user}@${config.domain}`),
  transportOptions: { server: config.ws },
  authorizationUsername: config.user,
  authorizationPassword: config.password,
  sessionDescriptionHandlerFactoryOptions: {
    peerConnectionConfiguration: { iceServers: config.iceServers },
  },
  delegate: {
    onInvite(invitation) {
      bench.incoming += 1;
      invitation.stateChange.addListener((state) => {
        if (state === SessionState.Established) {
          bench.accepted += 1;
          const sdh = invitation.sessionDescriptionHandler;
          if (sdh && sdh.remoteMediaStream) play(sdh.remoteMediaStream);
        }
        if (state === SessionState.Terminated) bench.ended += 1;
      });
      invitation
        .accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } })
        .catch((e) => { bench.failed += 1; error(`call: ${e && e.message}`); });
    },
  },
});
const registerer = new Registerer(ua);
registerer.stateChange.addListener((state) => {
  if (state === RegistererState.Registered) bench.registered += 1;
});
ua.start()
  .then(() => registerer.register())
  .catch((e) => error(`start: ${e && e.message}`));
