// Bytes a request moved on its TCP socket: the socket's cumulative counters (bytesWritten,
// bytesRead) at the end of the request minus where the previous request on the same keep-alive
// socket left them (0 on a new socket, so its handshake counts in its first request). A socket
// serves one request at a time here (maxSockets 1 and one queue), so the difference is this
// request's and nothing else's.

/** What a socket's counters say: cumulative bytes written and read. */
export interface CountingSocket {
  readonly bytesWritten: number;
  readonly bytesRead: number;
}

export interface SocketCounts {
  sent: number;
  received: number;
}

export class SocketLedger {
  private readonly lastSeen = new WeakMap<CountingSocket, SocketCounts>();

  /** The counters a request on `socket` starts from. */
  start(socket: CountingSocket): SocketCounts {
    return this.lastSeen.get(socket) ?? { sent: 0, received: 0 };
  }

  /** Bytes since `before`, and remembers where this request left the counters. */
  since(socket: CountingSocket, before: SocketCounts): SocketCounts {
    const now = { sent: socket.bytesWritten, received: socket.bytesRead };
    this.lastSeen.set(socket, now);
    return {
      sent: Math.max(0, now.sent - before.sent),
      received: Math.max(0, now.received - before.received),
    };
  }
}
