import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator } from '../support/emulator';
import { AMQP_HEADER, amqpFrame, RawPeer, SASL_HEADER, saslInitFrame } from '../support/rawAmqp';

// A mechanism the emulator does not offer, with a secret in its initial response.
const SASL_CRAM_INIT = saslInitFrame('CRAM-MD5', Buffer.from('user secret-password', 'latin1'));

describe('emulator: bad protocol headers, failed SASL, idle drops and peer errors', () => {
  let emulator: RunningEmulator;
  const logger = collectingLogger({ keepBindings: true });

  before(async () => {
    emulator = await startTestEmulator({ queues: ['header-logs'] }, { logger, idleTimeoutMs: 300 });
  });

  after(async () => {
    await emulator.close();
  });

  // AMQP 1.0 part 2.2: an unsupported header is answered with a supported one, then closed.
  const headers: [string, Buffer, Buffer][] = [
    ['AMQP version 2.0', Buffer.from('AMQP\x00\x02\x00\x00', 'latin1'), AMQP_HEADER],
    ['the TLS layer', Buffer.from('AMQP\x02\x01\x00\x00', 'latin1'), SASL_HEADER],
    ['SASL version 1.1', Buffer.from('AMQP\x03\x01\x01\x00', 'latin1'), SASL_HEADER],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n\r\n', 'latin1'), SASL_HEADER],
  ];
  for (const [what, sent, expected] of headers) {
    it(`answers ${what} with its own header and closes`, async () => {
      const peer = await RawPeer.connect(emulator.port);

      peer.write(sent);

      assert.ok(await peer.whenClosed(3000), 'the socket stayed open');
      assert.deepEqual(peer.headers, [expected]);
    });
  }

  it('logs a frame it refuses with its condition as the code', async () => {
    const peer = await RawPeer.connect(emulator.port);

    // A frame whose size (4) is below the 8-byte frame header: a framing error (2.3.1).
    peer.write(Buffer.concat([AMQP_HEADER, Buffer.from([0, 0, 0, 4])]));

    assert.ok(await peer.whenClosed(3000), 'the socket stayed open');
    const line = logger.warnings.find((warning) => warning.message.startsWith('incoming AMQP'));
    assert.ok(line, `no refusal logged: ${JSON.stringify(logger.warnings)}`);
    assert.equal(line.fields?.code, 'amqp:connection:framing-error');
  });

  it('logs a SASL mechanism it does not offer, with the peer, not the password', async () => {
    const peer = await RawPeer.connect(emulator.port);

    peer.write(Buffer.concat([SASL_HEADER, SASL_CRAM_INIT]));

    assert.ok(await peer.waitFor('sasl_outcome'), `got ${peer.received.join(', ')}`);
    const line = logger.warnings.find((warning) => warning.message.startsWith('SASL failed'));
    assert.ok(line, 'no SASL failure logged');
    assert.equal(line.fields?.remote, '127.0.0.1');
    assert.equal(line.fields?.mechanism, 'CRAM-MD5');
    assert.doesNotMatch(JSON.stringify(logger.warnings), /secret-password/);
    peer.destroy();
  });

  it('logs an idle connection it drops after twice the idle timeout', async () => {
    const peer = await RawPeer.open(emulator.port);

    assert.ok(await peer.whenClosed(3000), 'the silent connection stayed open');
    const line = logger.warnings.find((warning) => warning.message === 'idle connection dropped');
    assert.ok(line, 'no idle drop logged');
    assert.equal(line.fields?.remote, '127.0.0.1');
    assert.equal(line.fields?.silentForMs, 600);
    assert.equal(peer.closeCondition, 'amqp:resource-limit-exceeded');
  });

  // AMQP 1.0 part 2.7.9: a close carries the error that made the peer close; its condition is
  // the code an operator filters on, whether AMQP's own or Service Bus's.
  for (const condition of ['amqp:internal-error', 'com.microsoft:server-busy']) {
    it(`logs the close error a peer sends, naming the connection (${condition})`, async () => {
      const peer = await RawPeer.open(emulator.port);
      const port = peer.socket.localPort;

      peer.write(amqpFrame('close', { error: { condition, description: 'the peer gave up' } }));

      assert.ok(await peer.waitFor('close'), `got ${peer.received.join(', ')}`);
      const line = logger.warnings.find(
        (warning) =>
          warning.message === 'client closed the connection with an error' &&
          warning.fields?.code === condition,
      );
      assert.ok(line, `no line with code ${condition}: ${JSON.stringify(logger.warnings)}`);
      assert.match(String(line.fields?.error), /the peer gave up/, 'the description it sent');
      assert.match(String(line.fields?.connection), /^c\d+$/, 'the connection id');
      assert.equal(line.fields?.remote, '127.0.0.1');
      assert.equal(line.fields?.remotePort, port);
      peer.destroy();
    });
  }
});
