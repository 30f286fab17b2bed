// A TCP peer for measuring an emulated link, run inside the link namespace:
// `node --import tsx tcp-peer.ts <host> <port>`. The first byte of a connection picks the mode:
// 'E' echoes everything back; 'S' + uint32 n sends n bytes and ends (downlink throughput);
// 'R' + uint32 n reads n bytes, then answers one byte 'K' (uplink throughput).
// Prints "listening" once it accepts connections.

import { createServer, type Socket } from 'node:net';

const [host = '0.0.0.0', portText = '0'] = process.argv.slice(2);

function serve(socket: Socket): void {
  let head = Buffer.alloc(0);
  let mode: 'E' | 'R' | null = null;
  let remaining = 0;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (mode === 'E') {
      socket.write(chunk);
      return;
    }
    if (mode === 'R') {
      remaining -= chunk.length;
      if (remaining <= 0) socket.end('K');
      return;
    }
    head = Buffer.concat([head, chunk]);
    const kind = String.fromCharCode(head[0] ?? 0);
    if (kind === 'E') {
      mode = 'E';
      if (head.length > 1) socket.write(head.subarray(1));
      return;
    }
    if (head.length < 5) return;
    const count = head.readUInt32BE(1);
    const rest = head.subarray(5);
    if (kind === 'S') {
      socket.end(Buffer.alloc(count, 0x5a));
    } else if (kind === 'R') {
      mode = 'R';
      remaining = count - rest.length;
      if (remaining <= 0) socket.end('K');
    } else {
      socket.destroy();
    }
  });
}

const server = createServer(serve);
server.listen(Number(portText), host, () => {
  process.stdout.write('listening\n');
});
