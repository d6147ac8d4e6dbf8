import type net from 'node:net';

/**
 * A connection kept from one request to the next (the chunks of one upload): a fresh connection
 * per 64 MiB chunk starts each time with a small TCP window, which cost about a tenth of the
 * throughput. The owner closes it when done.
 */
export class KeptConnection {
  #socket: net.Socket | undefined;

  /** The kept socket, if it is still open; it is the caller's until given back. */
  take(): net.Socket | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.off('error', ignore);
    if (socket && !socket.destroyed && socket.readable && socket.writable) return socket;
    socket?.destroy();
    return undefined;
  }

  keep(socket: net.Socket): void {
    this.#socket?.destroy();
    // Idle, it may still be reset by the server: that must not go unheard.
    socket.on('error', ignore);
    this.#socket = socket;
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}

function ignore(): void {}
