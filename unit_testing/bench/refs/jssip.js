// Reference page: JsSIP's normal API, default options, auto-answer on every
// incoming INVITE, with the benchmark's ICE servers.
import JsSIP from 'jssip';
import { bench, config, error, play } from './common.js';

const ua = new JsSIP.UA({
  sockets: [new JsSIP.WebSocketInterface(config.ws)],
  uri: `sip:${config.user}@${config.domain}`,
  password: config.password,
});
ua.on('registered', () => { bench.registered += 1; });
ua.on('registrationFailed', (e) => error(`registration: ${e.cause}`));
ua.on('newRTCSession', ({ originator, session }) => {
  if (originator !== 'remote') return;
  bench.incoming += 1;
  session.on('peerconnection', ({ peerconnection }) => {
    peerconnection.addEventListener('track', (ev) => play(ev.streams[0]));
  });
  session.on('accepted', () => { bench.accepted += 1; });
  session.on('ended', () => { bench.ended += 1; });
  session.on('failed', (e) => { bench.failed += 1; error(`call: ${e.cause}`); });
  session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: config.iceServers } });
});
ua.start();
