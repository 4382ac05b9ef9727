interface Typed {
  value: unknown;
}

interface RheaTypes {
  Reader: new (buffer: Buffer) => { read(): Typed };
  Writer: new () => { write(value: Typed): void; toBuffer(): Buffer };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const types = (require('rhea') as { types: RheaTypes }).types;

/**
 * Service Bus limits a message's header as well as its size, in every tier: 64 KB for the
 * properties and application properties together, 32 KB for one application property. The
 * emulator refuses a send over them as Azure does, and the CLI checks what it is about to send
 * against them first, so that nothing goes out when one message would be refused.
 */
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_PROPERTY_BYTES = 32 * 1024;

const PROPERTIES = 0x73;
const APPLICATION_PROPERTIES = 0x74;
/** `00 53 xx`: a section described by its small-ulong code. */
const DESCRIBED = 0x00;
const SMALL_ULONG = 0x53;

/** What is over a limit in the bare message's header, or undefined; reads no body bytes. */
export function headerLimitProblem(bare: Buffer): string | undefined {
  let headerBytes = 0;
  let applicationProperties: Buffer | undefined;
  for (let offset = 0; offset + 3 <= bare.length;) {
    if (bare[offset] !== DESCRIBED || bare[offset + 1] !== SMALL_ULONG) break;
    const code = bare[offset + 2]!;
    if (code > APPLICATION_PROPERTIES) break;

    const length = compoundLength(bare, offset + 3);
    if (length === undefined) break;
    if (code === PROPERTIES || code === APPLICATION_PROPERTIES) headerBytes += 3 + length;
    if (code === APPLICATION_PROPERTIES) {
      applicationProperties = bare.subarray(offset + 3, offset + 3 + length);
    }
    offset += 3 + length;
  }

  if (headerBytes > MAX_HEADER_BYTES) {
    return (
      `its properties and application properties take ${headerBytes} bytes, over the limit ` +
      `of ${MAX_HEADER_BYTES} bytes for a message header`
    );
  }
  // No single property can pass the limit while all of them together stay under it.
  if (applicationProperties === undefined || applicationProperties.length <= MAX_PROPERTY_BYTES) {
    return undefined;
  }
  const entries = new types.Reader(applicationProperties).read().value as Typed[];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    const writer = new types.Writer();
    writer.write(entries[i]!);
    writer.write(entries[i + 1]!);
    const bytes = writer.toBuffer().length;
    if (bytes > MAX_PROPERTY_BYTES) {
      return (
        `its application property '${shortName(String(entries[i]!.value))}' takes ${bytes}` +
        ` bytes, over the limit of ${MAX_PROPERTY_BYTES} bytes for one property`
      );
    }
  }
  return undefined;
}

/** The encoded length of the list or map at `offset` (constructor included), if it is one. */
function compoundLength(bytes: Buffer, offset: number): number | undefined {
  const constructor = bytes[offset];
  if (constructor === 0x45) return 1;
  if ((constructor === 0xc0 || constructor === 0xc1) && offset + 2 <= bytes.length) {
    return 2 + bytes.readUInt8(offset + 1);
  }
  if ((constructor === 0xd0 || constructor === 0xd1) && offset + 5 <= bytes.length) {
    return 5 + bytes.readUInt32BE(offset + 1);
  }
  return undefined;
}

/** A property name as an error shows it: a name of thousands of characters is cut. */
function shortName(name: string): string {
  return name.length <= 60 ? name : `${name.slice(0, 60)}… (${name.length} characters)`;
}
