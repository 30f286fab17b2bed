// COBS (Consistent Overhead Byte Stuffing, Cheshire & Baker 1999): a packet is encoded without
// zero bytes so that 0x00 can delimit packets on a byte stream; after a lost or garbled byte the
// receiver resynchronises at the next zero. Overhead is one byte per 254 bytes plus one.
// Written here: the npm `cobs` package is barely maintained (~4 k downloads a month) and this is
// 40 lines that the C++ firmware mirrors (firmware/src/cobs.h).

export class CobsError extends Error {
  override readonly name = 'CobsError';
}

export function cobsEncode(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(packet.length + Math.ceil(packet.length / 254) + 1);
  let codeIndex = 0;
  let code = 1;
  let o = 1;
  for (const byte of packet) {
    if (byte === 0) {
      out[codeIndex] = code;
      codeIndex = o++;
      code = 1;
      continue;
    }
    out[o++] = byte;
    code++;
    if (code === 0xff) {
      out[codeIndex] = code;
      codeIndex = o++;
      code = 1;
    }
  }
  out[codeIndex] = code;
  return out.subarray(0, o);
}

/** Decodes one encoded packet (without its 0x00 delimiter); throws CobsError on a malformed one. */
export function cobsDecode(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded.length);
  let i = 0;
  let o = 0;
  while (i < encoded.length) {
    const code = encoded[i] as number;
    if (code === 0) throw new CobsError(`zero byte inside an encoded packet at offset ${i}`);
    if (i + code > encoded.length) {
      throw new CobsError(
        `code ${code} at offset ${i} runs past the end of the ${encoded.length}-byte packet`,
      );
    }
    out.set(encoded.subarray(i + 1, i + code), o);
    o += code - 1;
    i += code;
    if (code !== 0xff && i < encoded.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
