/**
 * Reads what a PostgreSQL client sends on one connection, message by message, and names the SQL each message
 * runs: a simple Query and a Parse carry their text; a Bind names a statement parsed earlier on the same
 * connection (a prepared statement sends its text only once), whose text it stands for. Lets the fault proxy
 * recognise a statement however it is sent. Chunks may split or join messages anywhere.
 */
export class FrontendMessages {
  private pending: Buffer = Buffer.alloc(0);
  private started = false;
  /** TLS was negotiated: the bytes are ciphertext from here on */
  private opaque = false;
  private readonly statements = new Map<string, string>();

  /** The SQL texts that the messages completed by this chunk run or prepare, in order. */
  push(chunk: Buffer): string[] {
    if (this.opaque) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const texts: string[] = [];
    for (;;) {
      // a TLS handshake record where a message should start: the client's SSLRequest was accepted
      if (!this.started && this.pending[0] === 0x16) {
        this.opaque = true;
        this.pending = Buffer.alloc(0);
        break;
      }
      // before the startup message (and an SSLRequest ahead of it) there is no type byte
      const header = this.started ? 5 : 4;
      if (this.pending.length < header) break;
      const length = this.started ? this.pending.readInt32BE(1) + 1 : this.pending.readInt32BE(0);
      if (length < header || this.pending.length < length) break;
      const message = this.pending.subarray(0, length);
      this.pending = this.pending.subarray(length);
      if (!this.started) {
        // SSLRequest / GSSENCRequest (8 bytes, a request code) come before the startup message; anything else is it
        this.started = !(length === 8 && message.readInt32BE(4) >>> 16 === 1234);
        continue;
      }
      const text = this.read(String.fromCharCode(message[0]), message.subarray(5));
      if (text !== undefined) texts.push(text);
    }
    return texts;
  }

  private read(type: string, body: Buffer): string | undefined {
    if (type === 'Q') return cstrings(body, 1)[0];
    if (type === 'P') {
      const [name, text] = cstrings(body, 2);
      this.statements.set(name, text);
      return text;
    }
    if (type === 'B') return this.statements.get(cstrings(body, 2)[1]);
    if (type === 'C' && body[0] === 'S'.charCodeAt(0)) this.statements.delete(cstrings(body.subarray(1), 1)[0]);
    return undefined;
  }
}

/** The first `count` NUL-terminated strings of a message body. */
function cstrings(body: Buffer, count: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (out.length < count) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    out.push(body.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}
