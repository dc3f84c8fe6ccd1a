// A STUN server that never answers: binds UDP <ip>:<port>, counts what it gets,
// replies nothing (no ICMP port-unreachable either, since the port is bound).
// Runs in the benchmark's second test host (its own network namespace).
import dgram from 'node:dgram';

const [ip, port] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');
let received = 0;
socket.on('message', () => {
  received += 1;
  console.log(`received ${received}`);
});
socket.bind(Number(port), ip, () => console.log(`listening ${ip}:${port}`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
