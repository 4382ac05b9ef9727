/**
 * A message id or correlation id as text, the way the .NET client shows it to the host.
 *
 * rhea hands over an AMQP uuid as its 16 bytes, in the network order AMQP writes them. The
 * .NET client reads those bytes into a System.Guid (the first three groups big-endian, as RFC
 * 4122 lays them out) and its string is the dashed lowercase form, whose hex digits follow the
 * wire bytes in order. AMQP binary ids also arrive as bytes; rhea cannot tell a 16-byte binary
 * id from a uuid, so other lengths stay hex.
 */
export function messageIdText(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (!Buffer.isBuffer(id)) return String(id);

  const hex = id.toString('hex');
  if (id.length !== UUID_BYTES) return hex;
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join('-');
}

const UUID_BYTES = 16;
