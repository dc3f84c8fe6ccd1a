// A UDP socket that plays a plain-RTP endpoint: it sends every packet it receives
// straight back to its sender (so rtpengine's "symmetric" latching applies) and
// counts them. Lets tests prove media relays both ways without a browser.
import dgram from 'node:dgram';

export class RtpEcho {
  static open(ip = '127.0.0.1', port = 0) {
    return new Promise((resolve, reject) => {
      const e = new RtpEcho();
      e.sock = dgram.createSocket('udp4');
      e.received = 0;
      e.sock.on('message', (msg, rinfo) => {
        e.received++;
        e.sock.send(msg, rinfo.port, rinfo.address);
      });
      e.sock.once('error', reject);
      e.sock.bind(port, ip, () => {
        e.port = e.sock.address().port;
        resolve(e);
      });
    });
  }
  close() { return new Promise((r) => this.sock.close(r)); }
}
