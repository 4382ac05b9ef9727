import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

import { fixRheaDispositionRanges } from '../../src/shared/rheaDispositions';
import { onMessageDecoded } from '../../src/shared/rheaMessageDecode';
import { rheaCopyFiles } from '../../src/shared/rheaCopies';

// The patches must reach the rhea that @azure/service-bus runs on, found the way Node finds it
// for the SDK (service-bus → rhea-promise → rhea), not whichever copy our own require finds.
const fromSdk = createRequire(require.resolve('@azure/service-bus'));
const fromRheaPromise = createRequire(fromSdk.resolve('rhea-promise'));

describe('rhea patches', () => {
  it("patch the settlement frames of the SDK's rhea copy", () => {
    const sessionFile = fromRheaPromise.resolve('rhea/lib/session.js');

    fixRheaDispositionRanges();

    assert.ok(rheaCopyFiles('lib/session.js').includes(sessionFile));
    const Session = fromRheaPromise(sessionFile) as Record<symbol, unknown>;
    assert.equal(Session[Symbol.for('sbworker.rheaDispositionRangesFixed')], true);
  });

  it("run the decode hooks for messages the SDK's rhea copy decodes", () => {
    const sdkRhea = fromRheaPromise('rhea') as {
      message: { encode(m: object): Buffer; decode(b: Buffer): object };
    };
    const seen: Buffer[] = [];
    onMessageDecoded((_decoded, bytes) => void seen.push(bytes));

    const bytes = sdkRhea.message.encode({ body: 'hello' });
    sdkRhea.message.decode(bytes);

    assert.ok(seen.some((b) => b.equals(bytes)));
  });
});
